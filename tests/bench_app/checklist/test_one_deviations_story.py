"""One Deviations story: the overall result and the report's single Deviations section hold the
manual overrides (issue 13), the register's deviations (issue 18: dispensations, CoP issues,
conditions), imports accepted with another serial (issue 19) and incomplete collections
(issue 16). Real Store, real PDFs read back with pdftotext."""

from __future__ import annotations

import subprocess

import pytest

from bench_app.checklist import ChecklistEngine, find_template
from bench_app.checklist.verdict import RULES, overall_result
from bench_app.equipment import Register
from bench_app.report import collect_report_data, render_report
from drivers.sim.meter import MeterDescription
from tests.bench_app.checklist.conftest import declare_sim_equipment
from tests.bench_app.report.report_fixtures import pdftotext

#: the witnessed script: the rules of the overall result are about a run that can PASS
TEMPLATE = "bscp601-witnessed-cop1-2-3-5-10"


@pytest.fixture
def reg_session(store):
    """A PRO session declaring CoP 5 issue 6, its application and combination in the register."""
    d = MeterDescription.load("prometer100")
    reg = Register(store)
    reg.add_type("PRO", "Secure Meters", ["Prometer 100 P3E"], ["5"])
    reg.add_combination("PRO", d.model, dict(d.firmware), d.hardware_version, key="PRO-P3E")
    reg.add_application("BSCP601-19", "Secure", "both", combination="PRO-P3E", cops="5")
    sid = store.create_session("BSCP601-19", "protocol-approval", cops=["CoP 5 issue 6"])
    declare_sim_equipment(store, sid)
    return reg, sid


def _all_pass(store, sid, fail: str = "") -> ChecklistEngine:
    engine = ChecklistEngine(store, sid, find_template(TEMPLATE))
    for step in engine.template.steps:
        engine.record(step.id, "seen", "fail" if step.id == fail else "pass", by="A. Tester")
    engine.confirm("tester", "A. Tester")
    engine.confirm("witness", "B. Witness")
    return engine


def _text(store, sid, tmp_path) -> str:
    """The report's text in reading order (not -layout: table cells stay whole), one space."""
    out = render_report(collect_report_data(store, sid), tmp_path / "r.pdf")
    pdftotext(out)  # skips without poppler
    raw = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, check=True).stdout
    return " ".join(raw.decode().split())


def test_dispensation_failure_stays_fail_in_one_deviations_section(store, reg_session, tmp_path):
    reg, sid = reg_session
    reg.add_certificate("PRO", "5", "6", "Lab A", "2024-01-01")
    _all_pass(store, sid, fail="DR4-2")
    reg.add_dispensation("MD-2026-017", session_id=sid, step_id="DR4-2", expiry="2099-12-31",
                         text="battery monitor not fitted")  # fmt: skip
    res = overall_result(store, sid)
    assert res.status == "FAIL"
    (disp,) = [d for d in res.deviations if d.kind == "dispensation"]
    assert (disp.reference, disp.step_id) == ("MD-2026-017", "DR4-2")
    text = _text(store, sid, tmp_path)
    assert text.count("Deviations") == text.count("3a. Deviations") + 2  # + rules, declaration
    assert "3a. Deviations Overall result stays FAIL" in text
    assert "None: no verdict was overridden" not in text  # ONE section, not two
    assert "MD-2026-017" in text and "Overall result: PASS" not in text


def test_unmet_condition_fails_an_otherwise_passing_session(store, reg_session):
    reg, sid = reg_session
    cert = reg.add_certificate("PRO", "5", "6", "Lab A", "2024-01-01")
    reg.add_condition("certificate", cert, "manufacturer software ≥ 8.1.2")
    store.set_software(sid, manufacturer_software="M-Cubed", manufacturer_version="8.0")
    _all_pass(store, sid)
    res = overall_result(store, sid)
    assert res.status == "FAIL"
    assert any(r.startswith("condition not met") for r in res.reasons)
    assert _kinds(res) == ["condition"]  # listed once, not twice


def test_certificate_of_another_issue_is_never_a_silent_pass(store, reg_session, tmp_path):
    reg, sid = reg_session
    reg.add_certificate("PRO", "5", "5", "Lab A", "2021-01-01")
    _all_pass(store, sid)
    res = overall_result(store, sid)
    assert res.status == "PASS"
    assert _kinds(res) == ["cop-issue"]  # not also as "equipment"
    assert "deviation" in res.reasons[-1] and "cop-issue" in res.reasons[-1]
    text = _text(store, sid, tmp_path)
    assert "CoP issue" in text and "issue 5 only" in text and "PASS with 2 deviation" in text


def test_accepted_serial_mismatch_is_a_listed_deviation(store, reg_session, tmp_path):
    reg, sid = reg_session
    reg.add_certificate("PRO", "5", "6", "Lab A", "2024-01-01")
    store.new_collection(sid, "hhdc", meta={"deviations": ["meter serial X9 in h.csv is not "
                                                           "the session's meter; accepted with "
                                                           "--accept-serial"]},
                         source_file="h.csv")  # fmt: skip
    _all_pass(store, sid)
    res = overall_result(store, sid)
    (dev,) = _others(res)
    assert dev.kind == "serial-accepted" and "h.csv" in dev.reference
    assert res.status == "PASS" and "deviation" in res.reasons[-1]
    text = _text(store, sid, tmp_path)
    assert "serial X9" in text and "--accept-serial" in text


def test_incomplete_collection_a_step_used_is_never_pass(store, reg_session, tmp_path):
    reg, sid = reg_session
    reg.add_certificate("PRO", "5", "6", "Lab A", "2024-01-01")
    used = store.new_collection(sid, "bench", meta={"label": "DR1-1 collection"})
    store.mark_collection(used, "started")
    store.mark_collection(used, "incomplete", "TimeoutError: no answer from the meter")
    spare = store.new_collection(sid, "bench", meta={"label": "bench read"})
    store.mark_collection(spare, "started")  # never ended: killed
    engine = ChecklistEngine(store, sid, find_template(TEMPLATE))
    for step in engine.template.steps:
        ev = {"collection_ids": [used]} if step.id == "DR1-1" else {}
        engine.record(step.id, "seen", "pass", by="A. Tester", evidence=ev)
    engine.confirm("tester", "A. Tester")
    engine.confirm("witness", "B. Witness")
    res = overall_result(store, sid)
    assert res.status == "INCOMPLETE"
    (why,) = res.reasons
    assert f"collection #{used}" in why and "no answer from the meter" in why
    (dev,) = _others(res)
    assert dev.kind == "incomplete-collection" and dev.reference == f"collection #{spare}"
    text = _text(store, sid, tmp_path)
    assert "Incomplete collections" in text and "no answer from the meter" in text


def test_the_rules_text_names_every_rule_applied():
    text = " ".join(RULES)
    for phrase in ("dispensation", "condition", "incomplete", "another CoP issue",
                   "imports of another serial", "PASS with deviations says so"):  # fmt: skip
        assert phrase in text, phrase


def _others(res):
    """The deviations other than the limits table's NOT CONFIRMED figures (every DR3 step is
    judged by the clock accuracy, which no CoP issue in our references gives)."""
    nc = [d for d in res.deviations if d.kind == "limit-not-confirmed"]
    assert [d.reference for d in nc] == ["clock_accuracy_s"]
    return [d for d in res.deviations if d.kind != "limit-not-confirmed"]


def _kinds(res):
    return [d.kind for d in _others(res)]
