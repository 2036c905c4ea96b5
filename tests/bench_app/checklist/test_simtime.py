"""Settlement-period names, simulated time and the real-meter wait (no timed assertions)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench_app.checklist.context import event_identities, new_events
from bench_app.checklist.simtime import BenchTime, secs, sp_name
from drivers.model import ClockReading, MeterEvent
from drivers.sim.control import BenchControl, ControlServer, RemoteBenchControl
from drivers.sim.meter import MeterDescription, SimMeter


@pytest.mark.parametrize(
    ("when", "name"),
    [  # GMT, BST, and the 50- and 46-period clock-change days (domain.md)
        (datetime(2026, 11, 29, 7, 40, tzinfo=UTC),
         "2026-11-29 SP 16, 07:30–08:00 GMT (UTC 07:30–08:00)"),
        (datetime(2026, 6, 1, 7, 0, tzinfo=UTC),
         "2026-06-01 SP 17, 08:00–08:30 BST (UTC 07:00–07:30)"),
        (datetime(2026, 10, 25, 23, 59, tzinfo=UTC),
         "2026-10-25 SP 50, 23:30–00:00 GMT (UTC 23:30–00:00)"),
        (datetime(2026, 3, 29, 22, 45, tzinfo=UTC),
         "2026-03-29 SP 46, 23:30–00:00 BST (UTC 22:30–23:00)"),
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
         "2026-03-29 SP 2, 00:30–02:00 local (UTC 00:30–01:00)"),
    ],
)  # fmt: skip
def test_sp_names_follow_the_gb_settlement_day(when, name):
    assert sp_name(when) == name


def test_secs_never_prints_minus_zero():
    assert secs(-0.04) == "0.0" and secs(-0.06) == "-0.1" and secs(12.0) == "+12.0"


def test_two_events_in_the_same_second_are_two_events():
    t = datetime(2026, 11, 29, 7, 40, 5, tzinfo=UTC)
    before = [MeterEvent(t, 12, "Clock set")]
    after = [{"id": 1, "time": t, "code": 12}, {"id": 2, "time": t, "code": 12}]
    new = new_events(after, event_identities(before))
    assert [r["id"] for r in new] == [2]


def test_advance_over_the_control_channel_is_validated():
    sim = SimMeter(MeterDescription.load("prometer100"), days=1)
    server = ControlServer(BenchControl(sim))
    url = server.start()
    try:
        remote = RemoteBenchControl(url)
        state = remote.advance(1800)
        assert state["advanced_s"] == 1800
        for bad in ("nan", "-1", "x", str(8 * 86400)):
            with pytest.raises(ValueError):
                remote.do("advance", bad)
        assert remote.state()["advanced_s"] == 1800
    finally:
        server.stop()


def test_bench_time_follows_the_simulator_and_closes_a_period():
    sim = SimMeter(MeterDescription.load("prometer100"), days=1)
    bt = BenchTime(control=BenchControl(sim))
    assert bt.simulated
    start = sim.meter_now()
    end = bt.close_period(start)
    assert sim.meter_now() >= end and (sim.meter_now() - end).total_seconds() < 10
    raw = ClockReading.of(sim.meter_now(), datetime.now(UTC))  # what a driver reports
    assert abs(bt.adjust(raw).deviation_s) < 5  # against the simulated reference time
    assert abs((bt.now() - sim.true_now()).total_seconds()) < 5


def test_real_meter_wait_reports_progress_until_the_period_closes():
    slept, told = [], []
    bt = BenchTime(sleep=slept.append, progress=lambda left, msg: told.append(left))
    meter_now = datetime(2026, 11, 29, 7, 59, 50, tzinfo=UTC)
    bt.close_period(meter_now, margin_s=2)
    assert sum(slept) == pytest.approx(12)
    assert told[0] == pytest.approx(12) and told == sorted(told, reverse=True)
