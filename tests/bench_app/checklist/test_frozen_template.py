"""The run's template is frozen: objective, method, expected and the figures are stored with the
run when it starts (hashed into the audit chain) and the report prints them from there."""

from __future__ import annotations

from bench_app.checklist import ChecklistEngine, find_template
from bench_app.checklist.verdict import overall_result
from bench_app.report.data import collect_report_data


def test_run_stores_the_template_as_run_and_the_report_prints_it(store, monkeypatch):
    sid = store.create_session("FRZ-1", "cop-compliance", cops=["CoP 5 issue 6"])
    engine = ChecklistEngine(store, sid, find_template("cop-compliance-core"))
    engine.record("CC-02", "20 days held", "pass", by="A. Tester")
    run = store.checklist_runs(sid)[-1]
    frozen = run["frozen"]
    assert frozen["name"] == "cop-compliance-core" and frozen["version"] == run["template_version"]
    cc02 = next(s for s in frozen["steps"] if s["id"] == "CC-02")
    assert cc02["title"] == "Storage of 20 days per channel"
    assert cc02["params"]["min_days"] == 20 and cc02["limits"]["storage_days"]["confirmed"]
    assert "{" not in cc02["method"]
    # the template file changes afterwards: the verdict and the report keep what was run
    import bench_app.checklist.verdict as verdict_mod
    import bench_app.report.data as data_mod

    def gone(*a, **k):
        raise AssertionError("the template file was read instead of the frozen copy")

    monkeypatch.setattr(verdict_mod, "_template", gone)
    monkeypatch.setattr(data_mod, "_step_catalogue", gone)
    res = overall_result(store, sid)
    assert next(r for r in res.steps if r.step_id == "CC-02").title == cc02["title"]
    data = collect_report_data(store, sid)
    row = next(r for r in data.steps if r.step_id == "CC-02")
    assert (row.objective, row.method, row.expected) == (
        cc02["objective"], cc02["method"], cc02["expected"])
    assert store.verify(sid).ok


def test_the_frozen_template_is_in_the_audit_chain(store):
    sid = store.create_session("FRZ-2", "cop-compliance", cops=["CoP 5 issue 6"])
    engine = ChecklistEngine(store, sid, find_template("cop-compliance-core"))
    engine.record("CC-06", "four levels", "pass", by="A. Tester")
    assert store.verify(sid).ok
    store.conn.execute("UPDATE checklist_runs SET frozen = replace(frozen, '20 days', '2 days')")
    assert not store.verify(sid).ok
