"""Reports drawn by another page layout than this build's, and statements older than their data.

Real SQLite files, real keys, real pyHanko signatures. The adversary holds the tester's key and
the lab's database: writing an old layout number into a fresh statement must not skip the page
check (a warning at best, never OK, and the witness does not countersign); a statement without a
field the database holds must not hide it.
"""

from __future__ import annotations

import json

import pytest

from bench_app.cli import main
from bench_app.equipment.snapshot import lock_session
from bench_app.errors import SigningError
from bench_app.report import layout
from bench_app.report import render as render_mod
from bench_app.report import statement as stmt
from bench_app.report.render import render_statement
from bench_app.signing.sign import load_signer, sign_pdf
from bench_app.signing.workflow import write_report
from bench_app.store import Store
from tests.bench_app.report import test_statement_attacks as attacks
from tests.bench_app.report.report_fixtures import fill_session, pdftotext
from tests.bench_app.report.test_statement_attacks import T_PASS, W_PASS

keys = attacks.keys  # the same fixture: a tester's and a witness's key, both trusted



@pytest.fixture
def session(tmp_path):
    """A locked session (DR2-1 failed: overall FAIL) and its statement as the database says it."""
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        sid = fill_session(store)
        lock_session(store, sid, by="Alice Tester", reason="signed report")
        statement = stmt.build_statement(store, sid)
    assert statement["overall"]["status"] == "FAIL"
    return db, sid, statement


def _render(statement, pdf, monkeypatch, pages_from=None):
    """Render ``statement`` to ``pdf``; ``pages_from``: draw the pages from that statement instead
    (what an adversary's own program does), embedding ``statement``."""
    if pages_from is not None:
        drawn = stmt.data_from_statement(pages_from)
        monkeypatch.setattr(render_mod.stmt, "data_from_statement", lambda _s: drawn)
    render_statement(statement, pdf)
    monkeypatch.undo()


def _verify(pdf, db, keys, capsys, *extra) -> tuple[int, str]:
    args = ["verify", str(pdf), "--db", str(db), *extra]
    for t in keys["trust"]:
        args += ["--trust", t]
    code = main(args)
    return code, capsys.readouterr().out


def _passing(statement: dict) -> dict:
    fake = json.loads(json.dumps(statement))
    fake["overall"]["status"] = "PASS"
    return fake


def test_an_old_layout_number_in_a_fresh_statement_never_verifies_ok(
    session, tmp_path, keys, capsys, monkeypatch
):
    """The real statement says layout 1; the pages say PASS. This build cannot tell layout 1's
    drawing from a forgery, so it says so (exit 17), and the witness refuses to countersign."""
    db, sid, real = session
    claimed = dict(real, **{layout.LAYOUT_KEY: 1})
    pdf = tmp_path / "r.pdf"
    _render(claimed, pdf, monkeypatch, pages_from=_passing(real))
    assert "Overall result: PASS" in pdftotext(pdf)
    sign_pdf(pdf, pdf, keys["tester"][0], T_PASS, "tester")
    with Store.open(db) as store, pytest.raises(SigningError) as refused:
        write_report(store, sid, pdf, signer=load_signer(keys["witness"][0], W_PASS),
                     role="witness", trust=[keys["trust"][0]])  # fmt: skip
    why = str(refused.value)
    assert "refusing to countersign" in why and "PAGES NOT RE-DRAWN" in why, why
    assert "pages drawn by layout 1" in why and "countersign with a build of that layout" in why
    # signed by the witness anyway (outside the app): the full report is still not OK
    sign_pdf(pdf, pdf, keys["witness"][0], W_PASS, "witness")
    code, out = _verify(pdf, db, keys, capsys)
    assert code == 17 and out.splitlines()[-1] == "PAGES NOT RE-DRAWN", out
    made = f"Witness Bench {real['generator']['app_version']}, {real['as_of'][:10]}"
    assert (
        f"pages: warning - pages drawn by layout 1 ({made}); this build draws layout "
        f"{layout.LAYOUT_VERSION}: the statement was verified, the pages were not re-drawn — "
        "check them with a build of layout 1"
    ) in out
    assert "\nOK\n" not in out + "\n"
    main(["verify", str(pdf), "--db", str(db), "--json", "--trust", keys["trust"][0],
          "--trust", keys["trust"][1]])  # fmt: skip
    got = json.loads(capsys.readouterr().out)
    assert got["result"] == "PAGES NOT RE-DRAWN" and got["exit_code"] == 17
    assert got["layout"] == {"report": 1, "this_build": layout.LAYOUT_VERSION,
                             "pages_redrawn": False}  # fmt: skip
    assert got["warnings"] and not got["problems"]
    # signatures only: still the warning, saying what was verified
    code, out = _verify(pdf, db, keys, capsys, "--no-db")
    assert code == 17 and "the signatures were verified, the pages were not re-drawn" in out


def test_the_same_forgery_with_this_builds_layout_fails(session, tmp_path, keys, capsys,
                                                       monkeypatch):  # fmt: skip
    db, _sid, real = session
    assert real[layout.LAYOUT_KEY] == layout.LAYOUT_VERSION
    pdf = tmp_path / "r.pdf"
    _render(real, pdf, monkeypatch, pages_from=_passing(real))
    sign_pdf(pdf, pdf, keys["tester"][0], T_PASS, "tester")
    sign_pdf(pdf, pdf, keys["witness"][0], W_PASS, "witness")
    code, out = _verify(pdf, db, keys, capsys)
    assert code == 11 and out.splitlines()[-1] == "FAILED", out
    assert "page 1 of the signed report is not what its statement renders" in out


def test_an_old_layout_this_build_draws_alike_is_ok(session, tmp_path, keys, capsys, monkeypatch):
    """A statement without a layout (made before it was recorded) whose pages this build draws
    byte for byte: the page check was done, so OK."""
    db, _sid, real = session
    old = {k: v for k, v in real.items() if k != layout.LAYOUT_KEY}
    pdf = tmp_path / "r.pdf"
    _render(old, pdf, monkeypatch)
    sign_pdf(pdf, pdf, keys["tester"][0], T_PASS, "tester")
    sign_pdf(pdf, pdf, keys["witness"][0], W_PASS, "witness")
    code, out = _verify(pdf, db, keys, capsys)
    assert code == 0 and out.splitlines()[-1] == "OK", out
    assert "every page is its rendering (page layout 1)" in out


@pytest.mark.parametrize("newer", [layout.LAYOUT_VERSION + 1, 99])
def test_a_newer_layout_is_refused(session, tmp_path, keys, capsys, monkeypatch, newer):
    db, _sid, real = session
    pdf = tmp_path / "r.pdf"
    _render(dict(real, **{layout.LAYOUT_KEY: newer}), pdf, monkeypatch)
    sign_pdf(pdf, pdf, keys["tester"][0], T_PASS, "tester")
    sign_pdf(pdf, pdf, keys["witness"][0], W_PASS, "witness")
    code, out = _verify(pdf, db, keys, capsys)
    assert code == 11 and out.splitlines()[-1] == "FAILED", out
    assert (f"problem: the pages were drawn by page layout {newer}, newer than this build's layout "
            f"{layout.LAYOUT_VERSION}: verify with a newer Witness Bench") in out  # fmt: skip


def test_a_layout_that_is_not_a_number_fails(session, tmp_path, keys, capsys, monkeypatch):
    db, _sid, real = session
    pdf = tmp_path / "r.pdf"
    _render(dict(real, **{layout.LAYOUT_KEY: "1"}), pdf, monkeypatch)
    sign_pdf(pdf, pdf, keys["tester"][0], T_PASS, "tester")
    sign_pdf(pdf, pdf, keys["witness"][0], W_PASS, "witness")
    code, out = _verify(pdf, db, keys, capsys)
    assert code == 11 and "page layout '1' is not a layout number" in out, out


# -- a statement older than a field the database now derives -----------------------------------
def _with_new_field(monkeypatch, value):
    """This build derives a field the signed statement's build did not write (a new section)."""
    build = stmt.build_statement
    monkeypatch.setattr(
        stmt, "build_statement", lambda store, sid: {**build(store, sid), "later_section": value}
    )


def _signed_report(session, tmp_path, keys) -> tuple:
    db, sid, real = session
    pdf = tmp_path / "r.pdf"
    with Store.open(db) as store:
        write_report(store, sid, pdf, signer=load_signer(keys["tester"][0], T_PASS), role="tester")
        write_report(store, sid, pdf, signer=load_signer(keys["witness"][0], W_PASS),
                     role="witness", trust=[keys["trust"][0]])  # fmt: skip
    return db, pdf


def test_a_field_the_old_statement_lacks_and_the_database_holds_nothing_in(
    session, tmp_path, keys, capsys, monkeypatch
):
    db, pdf = _signed_report(session, tmp_path, keys)
    for empty in ([], {}, None, "", False):
        _with_new_field(monkeypatch, empty)
        code, out = _verify(pdf, db, keys, capsys)
        assert code == 0 and "statement equals the database's" in out, (empty, out)
        monkeypatch.undo()


def test_a_field_the_old_statement_lacks_and_the_database_holds_something_in_fails(
    session, tmp_path, keys, capsys, monkeypatch
):
    db, pdf = _signed_report(session, tmp_path, keys)
    _with_new_field(monkeypatch, [{"obis": "0.0.1.0.0.255", "value": "2026-01-01T00:00:00Z"}])
    code, out = _verify(pdf, db, keys, capsys)
    assert code == 11 and out.splitlines()[-1] == "FAILED", out
    assert ("the report differs from the database: later_section: report says nothing (its "
            'statement has no such field), database says [{"obis": "0.0.1.0.0.255"') in out


def test_a_report_signed_before_meter_writes_existed_verifies(session, tmp_path, keys, capsys,
                                                              monkeypatch):  # fmt: skip
    db, _sid, real = session
    assert real["meter_writes"] == []
    old = {k: v for k, v in real.items() if k not in ("meter_writes", layout.LAYOUT_KEY)}
    pdf = tmp_path / "r.pdf"
    _render(old, pdf, monkeypatch)
    sign_pdf(pdf, pdf, keys["tester"][0], T_PASS, "tester")
    sign_pdf(pdf, pdf, keys["witness"][0], W_PASS, "witness")
    code, out = _verify(pdf, db, keys, capsys)
    assert code == 0 and "statement equals the database's" in out, out


def test_missing_fields_compare_as_empty_at_every_depth_and_numbers_are_data():
    signed = {"runs": [{"steps": [{"step_id": "DR1-1"}]}], "records": {}}
    same = {"runs": [{"steps": [{"step_id": "DR1-1", "kind": "", "notes": []}]}],
            "records": {"bench": None}, "observed": []}  # fmt: skip
    assert stmt.differences(signed, same) == []
    more = {"runs": [{"steps": [{"step_id": "DR1-1", "kind": "witnessed", "count": 0}]}]}
    paths = {d.path: d for d in stmt.differences(signed, more)}
    assert set(paths) == {"runs[0].steps[0].kind", "runs[0].steps[0].count"}
    assert paths["runs[0].steps[0].kind"].missing == "signed"


def test_a_field_an_old_statement_states_elsewhere_is_compared_as_stated():
    """Statements before the ``simulated`` field said so in the bench record (every page then
    said SIMULATED): equal when the database agrees, a difference when it does not."""
    bench = {"records": {"bench": {"simulator": True}}}
    assert stmt.differences(bench, {**bench, "simulated": True}) == []
    real_meter = {"records": {"bench": {"port": "COM3"}}}
    assert stmt.differences(real_meter, {**real_meter, "simulated": False}) == []
    diffs = stmt.differences(real_meter, {**real_meter, "simulated": True})
    assert [(d.path, d.signed, d.database) for d in diffs] == [("simulated", False, True)]
