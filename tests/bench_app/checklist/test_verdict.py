"""The one overall result: rules applied to real sessions, and the report that states them.

Real Store files, the real simulated meter core, real signed PDFs read back with pdftotext.
"""

from __future__ import annotations

import subprocess

import pytest

from bench_app.checklist.verdict import overall_result
from bench_app.signing.keys import new_self_signed
from bench_app.signing.sign import load_signer
from bench_app.signing.workflow import write_report
from tests.bench_app.checklist.conftest import WITNESSED
from tests.bench_app.report.report_fixtures import pdftotext

TEMPLATE_STEPS = ["DR1-1", "DR1-2", "DR2-1", "DR2-2", "DR3-1", "DR3-2", "DR3-3", "DR4-1a",
                  "DR4-1b", "DR4-2", "DR4-3", "DR4-4", "DR4-5", "EQ-1"]  # fmt: skip


def _confirm(engine) -> None:
    engine.confirm("tester", "A. Tester")
    engine.confirm("witness", "B. Witness")


def _pages(path) -> list[str]:
    pytest.importorskip("reportlab")
    pdftotext(path)  # skips without poppler
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode().split("\f")[:-1]


def test_only_dr2_2_run_confirmed_and_signed_is_incomplete_and_lists_every_step(
    sim_engine, store, session, tmp_path
):
    engine, _ = sim_engine()
    assert engine.run_step("DR2-2").verdict == "pass"
    engine.confirm("tester", "A. Tester", accept_incomplete=True)
    engine.confirm("witness", "B. Witness", accept_incomplete=True)
    result = overall_result(store, session)
    assert result.status == "INCOMPLETE"
    assert [s.step_id for s in result.steps] == TEMPLATE_STEPS
    assert sum(s.verdict == "not-run" for s in result.steps) == 13
    assert all(s.reason == "never attempted" for s in result.steps if s.verdict == "not-run")
    p12, _ = new_self_signed("A. Tester", "Lab", "tester", tmp_path, passphrase=b"tester-pass-1")
    out = tmp_path / "r.pdf"
    write_report(store, session, out, signer=load_signer(p12, b"tester-pass-1"), role="tester")
    text = "".join(_pages(out))
    assert "Overall result: INCOMPLETE" in text and "Overall result: PASS" not in text
    for step in TEMPLATE_STEPS:
        assert step in text, step
    assert "DR1-1 not run: never attempted" in text


def test_pass_needs_confirmation_and_every_step(sim_engine, store, session):
    engine, _ = sim_engine(WITNESSED)
    for step in TEMPLATE_STEPS:
        engine.record(step, "seen by the witness", "pass", by="A. Tester")
    assert overall_result(store, session).status == "INCOMPLETE"  # not confirmed
    engine.confirm("tester", "A. Tester")
    result = overall_result(store, session)
    assert result.status == "INCOMPLETE" and "witness" in result.reasons[0]
    engine.confirm("witness", "B. Witness")
    assert overall_result(store, session).status == "PASS"


def test_a_fail_anywhere_fails_and_na_needs_the_templates_reason(sim_engine, store, session):
    engine, _ = sim_engine()
    for step in TEMPLATE_STEPS:
        engine.record(step, "ok", "pass")
    engine.record("DR4-4", "no port access on this meter", "na", by="A. Tester")
    _confirm(engine)
    result = overall_result(store, session)
    assert result.status == "INCOMPLETE"  # n/a chosen by a person, not the template's reason
    assert any(d.kind == "na" and d.step_id == "DR4-4" for d in result.deviations)
    engine.supersede("re-test")
    for step in TEMPLATE_STEPS:
        engine.record(step, "ok", "fail" if step == "DR3-1" else "pass")
    assert overall_result(store, session).status == "FAIL"


def test_equipment_mismatch_fails_the_session(sim_engine, store, session):
    engine, _ = sim_engine(WITNESSED)
    for step in TEMPLATE_STEPS[:-1]:
        engine.record(step, "ok", "pass")
    assert engine.run_step("EQ-1").verdict == "pass"  # reads the meter's identity
    _confirm(engine)
    assert overall_result(store, session).status == "PASS"
    # the declaration now names another firmware than the meter reported in EQ-1
    store.set_equipment(session, outstation_type="PRO", serials=["PRO-SIM-000123"],
                        firmware={"metrology": "MET 9.99"})  # fmt: skip
    result = overall_result(store, session)
    assert result.status == "FAIL"
    assert any(r.startswith("equipment check") for r in result.reasons)


def test_manual_override_is_a_deviation_in_the_report(sim_engine, store, session, tmp_path):
    engine, _ = sim_engine("bscp601-protocol-cop1-2-3-5-10", "accept-wrong-password")
    assert engine.run_step("DR2-1").verdict == "fail"
    engine.record("DR2-1", "witness accepts: meter logs the attempt", "pass", by="C. Override")
    result = overall_result(store, session)
    dev = next(d for d in result.deviations if d.kind == "override")
    assert (dev.step_id, dev.proposed, dev.verdict, dev.by) == ("DR2-1", "fail", "pass",
                                                                 "C. Override")  # fmt: skip
    out = write_report(store, session, tmp_path / "r.pdf").path
    text = pdftotext(out)
    assert "Deviations" in text and "C. Override" in text
    # the Actual column shares the page with Method: the note may wrap after any word
    words = " ".join(text.split())
    assert "Bench proposed FAIL; recorded by C. Override" in words or all(
        w in text for w in ("Bench", "proposed", "FAIL;", "recorded by"))


def test_simulator_session_is_marked_on_every_page(sim_engine, store, session, tmp_path):
    store.set_session_record(session, "bench", {"simulator": True, "meter": "prometer100"})
    engine, _ = sim_engine()
    engine.run_step("DR2-2")
    out = write_report(store, session, tmp_path / "r.pdf").path
    pages = _pages(out)
    assert len(pages) >= 3
    for n, page in enumerate(pages, start=1):
        assert "SIMULATED OUTSTATION" in page, f"page {n} is not marked"
    real = {"simulator": False, "port": "COM3", "baud": 9600, "framing": "7E1", "probe": "ABB"}
    # a port recorded afterwards does not unmark evidence that came from the simulator
    store.set_session_record(session, "bench", real)
    pages = _pages(write_report(store, session, tmp_path / "later.pdf").path)
    assert all("SIMULATED OUTSTATION" in page for page in pages)
    assert "now port COM3" in "".join(pages)
    # a session whose evidence never came from a simulator is not marked
    other = store.create_session("P601-REAL-1", "protocol-approval", cops=["5"])
    store.set_session_record(other, "bench", real)
    text = "".join(_pages(write_report(store, other, tmp_path / "real.pdf").path))
    assert "SIMULATED OUTSTATION" not in text
    assert "port COM3" in text and "baud 9600" in text and "probe ABB" in text


def test_checklist_show_prints_the_same_overall_result(sim_engine, store, session, capsys):
    import json

    from bench_app.cli import main

    engine, _ = sim_engine()
    engine.run_step("DR2-2")
    base = ["checklist", "show", "--session", str(session), "--db", str(store.path)]
    assert main(base) == 0
    text = capsys.readouterr().out
    assert "Overall result: INCOMPLETE" in text and "DR1-1 not run: never attempted" in text
    assert main([*base, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overall"]["status"] == overall_result(store, session).status == "INCOMPLETE"


def test_a_reconciliation_that_disagrees_fails_the_session(sim_engine, store, session):
    from tests.bench_app.checklist.conftest import add_exports

    engine, sim = sim_engine(days=22)
    for step in TEMPLATE_STEPS:
        engine.record(step, "ok", "pass")
    _confirm(engine)
    add_exports(store, session, sim, days=21, sources=("bench",))  # a full bench read
    add_exports(store, session, sim, days=21, bump=250.0, sources=("hhdc",))  # one value off
    result = overall_result(store, session)
    assert result.status == "FAIL"
    assert any(r.startswith("reconciliation hhdc") and "1 values" in r for r in result.reasons)
