"""A report is its session: the statement it embeds, the pages drawn from it, and the database.

Attacks by someone holding the tester's key and the lab's database: a report rendered from a
doctored copy, pages that do not show their statement, register rows added after signing; and
the honest cases: a bundle imported elsewhere, every checklist run counted, rendering twice.
Real SQLite files, real keys, real pyHanko signatures and validation.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys

import pytest

from bench_app.cli import main
from bench_app.equipment.snapshot import lock_session
from bench_app.report import render as render_mod
from bench_app.report import statement as stmt
from bench_app.report.render import render_bytes, render_statement
from bench_app.signing import new_self_signed
from bench_app.signing.sign import load_signer, sign_pdf
from bench_app.signing.statement_check import embedded_statement
from bench_app.signing.workflow import write_report
from bench_app.store import Store
from tests.bench_app.report.report_fixtures import fill_session, pdftotext

T_PASS, W_PASS = b"tester-passphrase-1", b"witness-passphrase-1"


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    tester = new_self_signed("Alice Tester", "Meter Co", "tester", d, passphrase=T_PASS)
    witness = new_self_signed("Bob Witness", "Elexon", "witness", d, passphrase=W_PASS)
    return {"tester": tester, "witness": witness, "trust": [str(tester[1]), str(witness[1])]}


def _sign_both(store, sid, pdf, keys):
    write_report(store, sid, pdf, signer=load_signer(keys["tester"][0], T_PASS), role="tester")
    write_report(store, sid, pdf, signer=load_signer(keys["witness"][0], W_PASS), role="witness",
                 trust=[keys["trust"][0]])


def _verify(pdf, db, keys, capsys) -> tuple[int, str]:
    args = ["verify", str(pdf), "--db", str(db)]
    for t in keys["trust"]:
        args += ["--trust", t]
    code = main(args)
    return code, capsys.readouterr().out


def test_render_twice_gives_identical_bytes_in_two_processes(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        sid = fill_session(store)
        statement = stmt.build_statement(store, sid)
    first, second = render_bytes(statement), render_bytes(statement)
    assert first == second
    (tmp_path / "st.json").write_bytes(stmt.canonical_bytes(statement))
    code = (
        "import json,sys; from bench_app.report.render import render_bytes; "
        f"sys.stdout.buffer.write(render_bytes(json.load(open({str(tmp_path / 'st.json')!r}))))"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    assert other == first
    # the embedded file is the statement, byte for byte
    pdf = render_statement(statement, tmp_path / "r.pdf")
    got, why = embedded_statement(pdf)
    assert why == "" and got == json.loads(stmt.canonical_bytes(statement))


def test_doctored_copy_report_fails_against_the_real_database(tmp_path, keys, capsys):
    """The failing attempt is deleted in a copy of the database (audit table left alone), the
    report is rendered and signed from the copy: verify --db REAL names what differs."""
    real = tmp_path / "real.db"
    with Store.open(real) as store:
        sid = fill_session(store)  # DR2-1 fails
        store.set_equipment(sid, outstation_type="PRO", model="HH-1", serials=["SN1"],
                            firmware={"metrology": "1.02", "application": "4.2"}, channels=2)
        lock_session(store, sid, by="Alice Tester", reason="signed report")
    copy = tmp_path / "copy.db"
    shutil.copy(real, copy)
    con = sqlite3.connect(copy)
    con.execute("DELETE FROM checklist_steps WHERE verdict = 'fail'")
    con.commit()
    con.close()
    pdf = tmp_path / "doctored.pdf"
    with Store.open(copy) as store:
        render_statement(stmt.build_statement(store, sid), pdf)
    sign_pdf(pdf, pdf, keys["tester"][0], T_PASS, "tester")
    sign_pdf(pdf, pdf, keys["witness"][0], W_PASS, "witness")
    code, out = _verify(pdf, real, keys, capsys)
    assert code == 11 and out.splitlines()[-1] == "FAILED", out
    assert 'overall.status: report says "INCOMPLETE", database says "FAIL"' in out, [
        ln for ln in out.splitlines() if "problem" in ln]
    assert 'verdict: report says "not-run", database says "fail"' in out  # the step, named
    # signatures and pages are sound (--no-db): only the database shows the lie
    args = ["verify", str(pdf), "--no-db", "--trust", keys["trust"][0], "--trust", keys["trust"][1]]
    assert main(args) == 0


def test_pages_that_do_not_show_their_statement_fail(tmp_path, keys, capsys, monkeypatch):
    """The real statement embedded, pages drawn from a doctored one, signed with real keys."""
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        sid = fill_session(store)
        lock_session(store, sid, by="Alice Tester", reason="signed report")
        real = stmt.build_statement(store, sid)
    fake = json.loads(json.dumps(real))
    fake["overall"]["status"] = "PASS"
    drawn = stmt.data_from_statement(fake)
    monkeypatch.setattr(render_mod.stmt, "data_from_statement", lambda _s: drawn)
    pdf = render_statement(real, tmp_path / "r.pdf")
    monkeypatch.undo()
    assert "Overall result: PASS" in pdftotext(pdf)
    sign_pdf(pdf, pdf, keys["tester"][0], T_PASS, "tester")
    sign_pdf(pdf, pdf, keys["witness"][0], W_PASS, "witness")
    code, out = _verify(pdf, db, keys, capsys)
    assert code == 11 and "page 1 of the signed report is not what its statement renders" in out
    assert main(["verify", str(pdf), "--no-db", *sum((["--trust", t] for t in keys["trust"]),
                                                     [])]) == 11  # fmt: skip


def test_register_row_added_after_signing_fails(tmp_path, keys, capsys):
    db, pdf = tmp_path / "s.db", tmp_path / "r.pdf"
    with Store.open(db) as store:
        sid = fill_session(store)
        _sign_both(store, sid, pdf, keys)
    assert _verify(pdf, db, keys, capsys)[0] == 0
    con = sqlite3.connect(db)
    con.execute(
        "INSERT INTO eq_dispensations (reference, session_id, step_id, text, created_at, "
        "updated_at) VALUES ('D-FORGED', ?, 'DR2-1', 'covers it', '2026-01-01', '2026-01-01')",
        (sid,),
    )
    con.commit()
    con.close()
    code, out = _verify(pdf, db, keys, capsys)
    assert code == 11 and "register changed after signing: eq_dispensations" in out, out
    # the report's deviations and the overall result still come from the chain
    with Store.open(db) as store:
        again = stmt.build_statement(store, sid)
    assert not any("D-FORGED" in d["text"] for d in again["deviations"])


def test_bundle_imported_into_a_database_with_other_sessions_verifies(tmp_path, keys, capsys):
    db, pdf, wbs = tmp_path / "s.db", tmp_path / "r.pdf", tmp_path / "s.wbs"
    with Store.open(db) as store:
        sid = fill_session(store)
        _sign_both(store, sid, pdf, keys)
        store.export_bundle(sid, wbs)
    other = tmp_path / "other.db"
    with Store.open(other) as store:
        fill_session(store, days=1)
        fill_session(store, days=1, hhdc=False)
    assert main(["session", "import", str(wbs), "--db", str(other)]) == 0
    capsys.readouterr()
    with Store.open(other) as store:
        new_id = max(s["id"] for s in store.list_sessions())
    assert new_id != sid
    code, out = _verify(pdf, other, keys, capsys)
    assert code == 0 and out.splitlines()[-1] == "OK", out
    assert f"session {new_id} " in out and "statement equals the database's" in out


def _passing_core_run(store, sid):
    run = store.start_checklist_run(sid, "cop-compliance-core", "1.1.0")
    for i in range(1, 10):
        store.record_step(run, f"CC-0{i}", actual="as expected", verdict="pass", by="Alice")
    store.confirm_run(run, "tester", "Alice Tester")
    store.confirm_run(run, "witness", "Bob Witness")
    return run


def test_failed_bscp601_run_and_a_passing_run_of_another_template_fail(tmp_path, keys, capsys):
    db, pdf = tmp_path / "s.db", tmp_path / "r.pdf"
    with Store.open(db) as store:
        sid = fill_session(store)  # BSCP601 run with DR2-1 FAIL
        _passing_core_run(store, sid)
        _sign_both(store, sid, pdf, keys)
    text = pdftotext(pdf)
    assert "Overall result: FAIL" in text and "Overall result: PASS" not in text
    assert "Run #1: bscp601-protocol-cop1-2-3-5-10" in text
    assert "Run #2: cop-compliance-core" in text
    assert "DR2-1" in text and "CC-09" in text
    signed, _ = embedded_statement(pdf)
    assert signed is not None and signed["overall"]["status"] == "FAIL"
    assert [r["template"] for r in signed["runs"]] == [
        "bscp601-protocol-cop1-2-3-5-10", "cop-compliance-core"]  # fmt: skip
    assert any("DR2-1 failed" in r for r in signed["overall"]["reasons"])
    assert _verify(pdf, db, keys, capsys)[0] == 0


def test_supersede_needs_a_reason_and_the_run_stays_as_history(tmp_path, keys, capsys):
    db, pdf = tmp_path / "s.db", tmp_path / "r.pdf"
    with Store.open(db) as store:
        sid = fill_session(store)
        core = _passing_core_run(store, sid)
        bscp = min(r["id"] for r in store.checklist_runs(sid))
    with pytest.raises(SystemExit):  # --reason is required
        main(["checklist", "supersede", str(bscp), "--by", "Alice", "--db", str(db)])
    capsys.readouterr()
    args = ["checklist", "supersede", str(bscp), "--reason", "wrong meter on the bench",
            "--by", "Alice Tester", "--db", str(db)]  # fmt: skip
    assert main(args) == 0
    assert "wrong meter on the bench" in capsys.readouterr().out
    assert main(args) != 0  # already superseded
    capsys.readouterr()
    with Store.open(db) as store:
        runs = {r["id"]: r for r in store.checklist_runs(sid)}
        assert runs[bscp]["status"] == "superseded" and runs[core]["status"] == "confirmed"
        _sign_both(store, sid, pdf, keys)
    text = pdftotext(pdf)
    assert "Run history: superseded runs" in text and "wrong meter on the bench" in text
    # a failure in a superseded run still counts
    assert "Overall result: FAIL" in text
    assert _verify(pdf, db, keys, capsys)[0] == 0
    # the supersession is in the chain: removing it is seen
    con = sqlite3.connect(db)
    con.execute("DELETE FROM session_records WHERE kind = 'run_supersessions'")
    con.commit()
    con.close()
    code, out = _verify(pdf, db, keys, capsys)
    assert code == 11 and "session_records" in out


def test_simulated_evidence_is_stated_on_every_page_and_cannot_be_dropped(tmp_path, keys, capsys):
    """Evidence read from a simulated outstation marks the statement and every page, a real
    port recorded afterwards does not unmark it, a report rendered without the mark fails
    against the database, and clearing the mark in the database breaks the audit chain."""
    from bench_app.store.records import record_bench
    from drivers.trace import Trace

    db, pdf = tmp_path / "s.db", tmp_path / "r.pdf"
    with Store.open(db) as store:
        sid = fill_session(store)
        trace = Trace()
        trace.add("tx", b"/?!\r\n", baud=300)
        store.add_trace(sid, trace, label="simulated read", simulated=True)
        record_bench(store, sid, simulator=False, port="COM3", protocol="dlms")
        assert stmt.build_statement(store, sid)["simulated"] is True
        _sign_both(store, sid, pdf, keys)
        statement = stmt.build_statement(store, sid)  # as signed
    code, out = _verify(pdf, db, keys, capsys)
    assert code == 0 and out.splitlines()[-1] == "OK", out
    pages = pdftotext(pdf).split("\f")
    pages = [p for p in pages if p.strip()]
    assert pages and all("SIMULATED" in p for p in pages)
    # a report whose statement drops the mark (drawn from it, signed) fails against the database
    fake = json.loads(json.dumps(statement))
    fake["simulated"] = False
    other = render_statement(fake, tmp_path / "fake.pdf")
    sign_pdf(other, other, keys["tester"][0], T_PASS, "tester")
    sign_pdf(other, other, keys["witness"][0], W_PASS, "witness")
    code, out = _verify(other, db, keys, capsys)
    assert code == 11 and "simulated: report says false, database says true" in out, out
    # the mark is inside the audit chain
    con = sqlite3.connect(db)
    con.execute("UPDATE traces SET simulated = 0 WHERE simulated = 1")
    con.commit()
    con.close()
    with Store.open(db) as store:
        assert "traces id" in (store.verify().first_broken or "")
