"""Declared capabilities: "(where fitted)" steps are n/a with the declaration quoted when it says
not fitted, run (and FAIL without the alarm) when it says fitted, and can then never be n/a."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench_app.capabilities import declared, parse_pairs, record
from bench_app.checklist import ChecklistEngine, find_template
from bench_app.checklist.verdict import overall_result
from bench_app.cli import main
from bench_app.errors import UsageError
from bench_app.store import Store
from drivers.sim.control import BenchControl
from drivers.sim.meter import MeterDescription, SimMeter

from .conftest import PASSWORD, add_exports, declare_sim_equipment, factory_for, rehearsal_pass

WHERE_FITTED = {"DR4-2": "battery", "DR4-3": "reset_alarm", "DR4-5": "reverse_running"}


def _engine(store, sid, sim, **kw):
    return ChecklistEngine(
        store, sid, find_template("bscp601-protocol-cop1-2-3-5-10"), factory_for(sim),
        BenchControl(sim), None, protocol="dlms", password=PASSWORD,
        now=lambda: datetime.now(UTC), sleep=lambda s: None, **kw,
    )  # fmt: skip


def test_not_fitted_is_na_with_the_declaration_quoted_and_pass_is_possible(store):
    sid = store.create_session("CAP-1", "protocol-approval", cops=["CoP 5 issue 6"])
    declare_sim_equipment(store, sid)
    record(store, sid, parse_pairs(["battery=no", "reset_alarm=no", "reverse_running=no"]),
           by="A. Tester (manufacturer's datasheet)")  # fmt: skip
    sim = SimMeter(MeterDescription.load("prometer100"), seed=7, days=22)
    add_exports(store, sid, sim)
    engine = _engine(store, sid, sim)
    outcomes = {o.step_id: o for o in engine.run_all()}
    for step, cap in WHERE_FITTED.items():
        out = outcomes[step]
        assert out.verdict == "na", (step, out.actual)
        assert f"{cap} = no" in out.actual and "A. Tester (manufacturer's datasheet)" in out.actual
        assert out.evidence["declaration"]["fitted"] is False
    assert all(o.verdict == "pass" for s, o in outcomes.items() if s not in WHERE_FITTED), [
        (s, o.actual) for s, o in outcomes.items() if o.verdict not in ("pass", "na")
    ]
    engine.confirm("tester", "A. Tester")
    engine.confirm("witness", "B. Witness")
    res = overall_result(store, sid)
    assert rehearsal_pass(res), res.reasons  # n/a counted, every other step passed


def test_declared_fitted_but_not_alarming_fails_and_cannot_be_na(store):
    sid = store.create_session("CAP-2", "protocol-approval", cops=["CoP 5 issue 6"])
    desc = MeterDescription.load("asset-meter-sim")  # the simulated meter has no battery alarm
    declare_sim_equipment(store, sid, desc)
    record(store, sid, {"battery": True}, by="the application")
    sim = SimMeter(desc, seed=7, days=3)
    engine = _engine(store, sid, sim)
    out = engine.run_step("DR4-2")
    assert out.verdict == "fail", out.actual
    assert "no 'battery fault' event" in out.actual.lower() or "battery" in out.actual.lower()
    assert "battery = yes" in out.actual
    with pytest.raises(UsageError, match="cannot be n/a: battery = yes"):
        engine.record("DR4-2", "no battery", "na", by="A. Tester")


def test_meter_description_declares_and_the_session_record_wins(store):
    sid = store.create_session("CAP-3", "protocol-approval", cops=["CoP 5 issue 6"])
    declare_sim_equipment(store, sid, MeterDescription.load("asset-meter-sim"))
    d = declared(store, sid)
    assert d.get("battery").fitted is False
    assert "meter description asset-meter-sim" in d.get("battery").quote()
    assert d.get("internal_clock").fitted is False and d.get("export_channels").value == 0
    record(store, sid, {"battery": True})
    assert declared(store, sid).get("battery").fitted is True
    # nothing declared → the step simply runs (never n/a by omission)
    bare = store.create_session("CAP-4", "protocol-approval", cops=["CoP 5 issue 6"])
    assert declared(store, bare).get("battery") is None


def test_cli_declares_capabilities(tmp_path, capsys):
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        sid = store.create_session("CAP-5", "protocol-approval")
    rc = main(["session", "set", "capabilities", str(sid), "battery=no", "export_channels=2",
               "--by", "A. Tester", "--db", str(db)])  # fmt: skip
    assert rc == 0 and "battery=False" in capsys.readouterr().out
    with Store.open(db) as store:
        assert declared(store, sid).get("export_channels").value == 2
    assert main(["session", "set", "capabilities", str(sid), "battery=maybe", "--db", str(db)])
    assert "say yes or no" in capsys.readouterr().err
