"""Writes to the meter outside a checklist step need intent and are evidence: ``bench-app
set-clock`` refuses without --reason and --by (naming what is missing) and during an open
witnessed run; a write stores the clock before and after and a record of who, why, what changed
and what it leaves in the meter, which the statement carries (``verify --db`` re-derives it) and
every report lists under "Writes to the meter". Real simulator over socket://, real SQLite, real
PDF and signatures."""

from __future__ import annotations

import pytest

from bench_app.cli import main
from bench_app.meter_writes import KIND, meter_writes
from bench_app.report import collect_report_data, render_report
from bench_app.report import statement as stmt
from bench_app.store import Store
from drivers.sim import start_simulator
from tests.bench_app.report.report_fixtures import pdftotext


@pytest.fixture
def sim():
    with start_simulator("dlms", days=1) as s:
        s.control.set_clock_offset(15)  # the meter runs 15 minutes fast
        yield s


def _set_clock(db, sid, url, *extra: str) -> int:
    return main(["set-clock", "--port", url, "--protocol", "dlms", "--password", "HHDC2PASS",
                 "--session", str(sid), "--db", str(db), *extra])  # fmt: skip


def test_set_clock_without_reason_or_name_is_refused_naming_what_is_missing(tmp_path, capsys):
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        sid = store.create_session("W-1", "protocol-approval")
    # a port where nothing listens: the refusal comes before anything is sent
    assert _set_clock(db, sid, "socket://127.0.0.1:9") == 2
    assert "give --reason and --by" in capsys.readouterr().err
    assert _set_clock(db, sid, "socket://127.0.0.1:9", "--reason", "meter fast") == 2
    err = capsys.readouterr().err
    assert "give --by" in err and "--reason" not in err.split("give", 1)[1]
    assert _set_clock(db, sid, "socket://127.0.0.1:9", "--by", "  ", "--reason", "x") == 2
    with Store.open(db) as store:
        assert store.clock_observations(sid) == [] and meter_writes(store, sid) == []


def test_a_write_is_recorded_listed_in_the_report_and_re_derived_by_verify(tmp_path, sim,
                                                                          capsys):  # fmt: skip
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        sid = store.create_session("W-2", "protocol-approval")
    assert _set_clock(db, sid, sim.url, "--reason", "meter 15 min fast before DR1-1",
                      "--by", "A. Tester") == 0, capsys.readouterr().err  # fmt: skip
    out = capsys.readouterr().out
    assert "clock-change event" in out and "by A. Tester" in out
    with Store.open(db) as store:
        (write,) = meter_writes(store, sid)
        assert (write["what"], write["by"], write["reason"]) == (
            "clock", "A. Tester", "meter 15 min fast before DR1-1")
        assert write["before"]["deviation_s"] == pytest.approx(900, abs=5)
        assert abs(write["after"]["deviation_s"]) < 5
        assert "flagged as lengthened (clock set back)" in write["leaves"]
        assert write["simulated"] is True
        assert KIND not in store.session_records(sid)  # listed, never "the newest"
        notes = [o["note"] for o in store.clock_observations(sid)]
        assert len(notes) == 2 and all("by A. Tester" in n for n in notes)
        assert "before clock set by hand" in notes[0]
        assert store.verify(sid).ok
        data = collect_report_data(store, sid)
        statement = stmt.statement_from_data(data)
        assert [w["reason"] for w in statement["meter_writes"]] == [write["reason"]]
        derived = stmt.build_statement(store, sid)
        assert stmt.differences(derived, stmt.build_statement(store, sid)) == []
        # a statement that leaves the write out is caught
        without = {k: v for k, v in derived.items() if k != "meter_writes"}
        (diff,) = stmt.differences(without, derived)
        assert diff.path == "meter_writes (count)" and (diff.signed, diff.database) == (0, 1)
        text = " ".join(pdftotext(render_report(data, tmp_path / "r.pdf")).split())
        store.export_bundle(sid, tmp_path / "s.wbs")
    with Store.open(tmp_path / "other.db") as other:  # a bundle carries the write with it
        moved = other.import_bundle(tmp_path / "s.wbs")
        assert stmt.differences(derived, stmt.build_statement(other, moved)) == []
        assert [w["reason"] for w in meter_writes(other, moved)] == [write["reason"]]
    assert "Writes to the meter outside the checklist steps" in text
    assert "meter 15 min fast before DR1-1" in text and "A. Tester" in text
    # what the record says it leaves is in the meter: a clock-change event in its log
    from drivers.model import EventCode

    assert EventCode.CLOCK_SET in [e.code for e in sim.meter.events()]


def test_an_old_statement_without_the_key_still_equals_a_database_without_writes(tmp_path):
    from tests.bench_app.report.report_fixtures import fill_session

    with Store.open(tmp_path / "s.db") as store:
        sid = fill_session(store)
        derived = stmt.build_statement(store, sid)
    assert derived["meter_writes"] == []
    old = {k: v for k, v in derived.items() if k != "meter_writes"}
    assert stmt.differences(old, derived) == []
    # and it renders exactly as before: no section, byte-identical pages on the same statement
    from bench_app.report.render import render_bytes

    assert render_bytes(old) == render_bytes(old)
    with Store.open(tmp_path / "s.db") as store:
        pdf = render_report(collect_report_data(store, sid), tmp_path / "r.pdf")
    assert "Writes to the meter" not in pdftotext(pdf)


def test_writes_are_refused_while_a_witnessed_run_is_open(tmp_path, sim, capsys):
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        sid = store.create_session("W-3", "protocol-approval")
        run = store.start_checklist_run(sid, "bscp601-witnessed", "1",
                                        frozen={"run_kind": "witnessed"})  # fmt: skip
    intent = ["--reason", "meter fast", "--by", "A. Tester"]
    assert _set_clock(db, sid, sim.url, *intent) == 2
    err = capsys.readouterr().err
    assert "write to the meter refused" in err and f"checklist run {run}" in err
    assert "witnessed run still open" in err
    with Store.open(db) as store:
        assert store.clock_observations(sid) == [] and meter_writes(store, sid) == []
        store.confirm_run(run, "tester", "A. Tester")
        store.confirm_run(run, "witness", "B. Witness")
    assert _set_clock(db, sid, sim.url, *intent) == 0, capsys.readouterr().err
    with Store.open(db) as store:
        assert len(meter_writes(store, sid)) == 1
