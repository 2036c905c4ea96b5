"""A run's timeline before it starts (bench_app.checklist.timeline): real settlement periods on
clock-change days, the meter's profile period and where it came from, and agreement with what the
engine then does on the simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench_app import settlement
from bench_app.checklist import find_template
from bench_app.checklist.timeline import PeriodSource, hms, plan_run, profile_period, session_plan
from bench_app.limits import SessionLimits
from bench_app.presentation import duration as duration_text
from drivers.model import Channel, ProfileRow

PROTOCOL = "bscp601-protocol-cop1-2-3-5-10"
SPRING = datetime(2026, 3, 29, 0, 40, tzinfo=UTC)  # 00:40 GMT, SP 2 of a 46-period day
AUTUMN = datetime(2026, 10, 25, 0, 40, tzinfo=UTC)  # 01:40 BST, SP 4 of a 50-period day


def _template(name: str = PROTOCOL):
    return find_template(name).resolved(SessionLimits([("5", "6")]))


def _sps(step) -> list[int]:
    """SP numbers of the step's ``close`` events, in order."""
    return [int(e.sp.split()[1]) for e in step.events if e.kind == "close"]


def test_clock_change_days_are_what_the_plan_counts_on():
    assert settlement.periods_in_day(SPRING.date()) == 46
    assert settlement.periods_in_day(AUTUMN.date()) == 50


@pytest.mark.parametrize("minutes", [30, 15])
def test_dr4_1a_on_the_50_period_day_names_the_repeated_hour_by_its_zone(minutes):
    plan = plan_run(_template(), PeriodSource(minutes, "given"), AUTUMN, steps=["DR4-1a"])
    (step,) = plan.steps
    # one phase per SP (4, 5, 6, 7 with the combination last), then the stimulus SP and the
    # first full SP after the restore close: five closes, SP 4 to SP 8
    assert _sps(step) == [4, 5, 6, 7, 8]
    acts = [e for e in step.events if e.kind == "act"]
    assert [a.text.split(" —")[0] for a in acts] == [
        "remove phase L1, then restore it", "remove phase L2, then restore it",
        "remove phase L3, then restore it", "remove phase L1 and L2, then restore it",
    ]  # fmt: skip
    # SP 4 is 01:30–02:00 BST = 00:30–01:00 UTC; SP 5 starts the repeated hour, now in GMT
    assert hms(acts[0].at) == "01:40:00 BST (00:40:00 UTC)"
    assert "before SP 4 of Sun 25 Oct 2026 ends at 01:00:00 GMT (01:00:00 UTC)" in acts[0].text
    assert hms(acts[1].at) == "01:00:02 GMT (01:00:02 UTC)"
    read = step.events[-1]
    assert read.kind == "read" and read.at == datetime(2026, 10, 25, 3, 0, 2, tzinfo=UTC)
    assert step.wait_s == pytest.approx((read.at - AUTUMN).total_seconds())  # holds inside
    assert duration_text(step.wait_s) == "2 h 20 min 2 s"
    assert plan.warnings == []  # 15 and 30 minutes both end with every SP


@pytest.mark.parametrize("minutes", [30, 15])
def test_dr4_1a_on_the_46_period_day_skips_the_missing_hour(minutes):
    plan = plan_run(_template(), PeriodSource(minutes, "given"), SPRING, steps=["DR4-1a"])
    (step,) = plan.steps
    assert _sps(step) == [2, 3, 4, 5, 6]
    closes = [hms(e.at) for e in step.events if e.kind == "close"]
    assert closes[0] == "02:00:00 BST (01:00:00 UTC)"  # 01:00 GMT never happens: 02:00 BST
    assert closes[-1] == "04:00:00 BST (03:00:00 UTC)"
    assert plan.duration_text() == "2 h 20 min 2 s of waiting (meter reads not included)"


def test_the_profile_period_decides_whole_period_waits():
    """CC-04 waits for the next integration boundary, settle_s, then `periods` whole periods:
    30-minute and 15-minute meters differ, and with no known period the wait is unknown."""
    t = _template("cop-compliance-core")
    start = SPRING + timedelta(minutes=1)  # 00:41 UTC
    p30 = plan_run(t, PeriodSource(30, "given"), start, steps=["CC-04"])
    p15 = plan_run(t, PeriodSource(15, "given"), start, steps=["CC-04"])
    assert p30.duration_s == pytest.approx(19 * 60 + 5 + 2 * 1800)  # 01:00 + 5 s + 2 × 30 min
    assert p15.duration_s == pytest.approx(4 * 60 + 5 + 2 * 900)  # 00:45 + 5 s + 2 × 15 min
    unknown = plan_run(t, PeriodSource(None, "nothing says"), start, steps=["CC-04"])
    assert unknown.duration_s is None and unknown.steps[0].wait_s is None
    assert "unknown for CC-04" in unknown.duration_text()
    assert "profile period: unknown (nothing says)" in unknown.lines()


def test_a_20_minute_period_that_straddles_an_sp_end_is_warned():
    plan = plan_run(_template(), PeriodSource(20, "given"), SPRING, steps=["DR4-2"])
    assert plan.warnings and "20-minute profile period" in plan.warnings[0]


def test_steps_declared_not_fitted_and_steps_without_waits_take_no_time():
    plan = plan_run(_template(), PeriodSource(30, "given"), AUTUMN,
                    steps=["DR1-1", "DR4-2"], not_fitted={"DR4-2": "battery = no"})  # fmt: skip
    assert [s.wait_s for s in plan.steps] == [0.0, 0.0]
    assert plan.steps[0].note == "meter reads only: no wait"
    assert plan.steps[1].note == "n/a: battery = no"
    assert [s.wait_text() for s in plan.steps] == ["no wait", "no wait"]  # never "waits 0.0 s"
    assert "no wait]" in "\n".join(plan.lines())


def test_the_period_is_measured_from_the_sessions_bench_read_else_unknown(store, session):
    bare = store.create_session("NOTHING-DECLARED", "protocol-approval", cops=["CoP5"])
    assert profile_period(store, bare).minutes is None
    assert profile_period(store, bare).text().startswith("unknown (no bench read")
    declared = profile_period(store, session)  # the Prometer declared: its description says
    assert (declared.minutes, declared.source) == (30, "meter description prometer100 "
                                                   "(period_min)")  # fmt: skip
    cid = store.new_collection(session, "bench")
    rows = [ProfileRow(SPRING + timedelta(minutes=15 * i), [1.0], 0) for i in range(4)]
    store.add_profile_block(cid, [Channel("1.0.1.8.0.255", "kWh")], rows)
    found = profile_period(store, session)
    assert found.minutes == 15 and f"collection {cid}" in found.source
    hhdc = store.new_collection(session, "hhdc")  # an import is not the meter's own read
    store.add_profile_block(hhdc, [Channel("1.0.1.8.0.255", "kWh")],
                            [ProfileRow(SPRING + timedelta(minutes=30 * i), [1.0], 0)
                             for i in range(4)])  # fmt: skip
    assert profile_period(store, session).minutes == 15
    assert profile_period(store, session, "iec-generic").minutes == 15  # the read wins
    plan = session_plan(store, session, find_template(PROTOCOL), AUTUMN, period_min=30)
    assert plan.period.source == "given with --period"


def test_the_plan_agrees_with_what_the_engine_does_on_the_simulator(sim_engine):
    """Simulated time passes exactly as the plan says real time will: the SPs DR4-1a and DR4-2
    close and judge are the plan's."""
    start = datetime(2026, 10, 25, 0, 40, 30, tzinfo=UTC)
    engine, _sim = sim_engine(clock=lambda: start)
    plan = plan_run(engine.template, PeriodSource(30, "given"), start,
                    steps=["DR4-1a", "DR4-2"])  # fmt: skip
    for step in plan.steps:
        out = engine.run_step(step.step)
        assert out.verdict == "pass", out.actual
        planned = [e.sp for e in step.events if e.kind == "close"]
        clear = out.evidence["clear_period"]  # "2026-10-25 SP 8, …"
        assert clear.startswith(f"2026-10-25 SP {planned[-1].split()[1]},"), (clear, planned)
        judged = [p.split(",")[0] for p in out.evidence["closed_periods"]]
        assert judged[0] == f"2026-10-25 SP {planned[0].split()[1]}", (judged, planned)
