"""The typed result vocabulary: enums keep their stored strings, one Deviation type, one rule."""

from __future__ import annotations

import json

from bench_app.checklist.verdict import Facts, StepVerdict, judge
from bench_app.equipment import Deviation as RegisterDeviation
from bench_app.outcomes import VERDICTS, CauseKind, Deviation, DeviationKind, Status, Verdict
from bench_app.report.data import ReportData
from tests.bench_app.report.sample_data import synthetic_report_data


def test_enums_keep_the_stored_strings():
    assert VERDICTS == ("pass", "fail", "na", "not-run")
    assert Verdict.NOT_RUN == "not-run" and json.dumps([Verdict.NA]) == '["na"]'
    assert [str(s) for s in Status] == ["PASS", "FAIL", "INCOMPLETE"]
    assert all(k.label and k.label != k.value for k in DeviationKind)


def test_one_deviation_type_with_the_step_as_a_field():
    assert RegisterDeviation is Deviation
    dev = Deviation(DeviationKind.DISPENSATION, "step DR4-2 FAILED …", step_id="DR4-2",
                    reference="MD-1")  # fmt: skip
    assert dev.to_json() == {"kind": "dispensation", "reference": "MD-1", "step_id": "DR4-2",
                             "text": "step DR4-2 FAILED …"}  # fmt: skip


def _run(*roles: str) -> dict:
    return {"id": 3, "template": "t", "confirmations": [{"role": r} for r in roles]}


def test_judge_types_each_cause():
    steps = [StepVerdict("A", "a", "auto", Verdict.FAIL, actual="wrong"),
             StepVerdict("B", "b", "auto", Verdict.NOT_RUN, reason="never attempted"),
             StepVerdict("C", "c", "auto", Verdict.PASS)]  # fmt: skip
    res = judge(Facts(_run("tester", "witness"), steps))
    assert res.status == Status.FAIL
    assert [(c.kind, c.step_id) for c in res.causes] == [
        (CauseKind.FAIL, "A"), (CauseKind.NOT_RUN, "B")]  # fmt: skip
    ok = judge(Facts(_run("tester", "witness"), [steps[2]]))
    assert ok.status == "PASS" and not ok.causes
    assert judge(Facts(_run("tester"), [steps[2]])).status == "INCOMPLETE"


def test_report_data_has_no_rule_of_its_own():
    """A fixture's overall result is the product's rule: no run → INCOMPLETE, not PASS/NOT RUN."""
    assert ReportData(session={}).overall == "INCOMPLETE"
    data = synthetic_report_data(days=1, channels=1, discrepancies=0, long_names=False)
    assert data.overall == "FAIL" and data.verdict.causes[0].kind == CauseKind.FAIL
