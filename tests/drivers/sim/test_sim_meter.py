"""The simulated meter's state: data, registers, events, clock, defects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drivers.model import EventCode, StatusFlag
from drivers.sim.meter import DEFECTS, MeterDescription, SimMeter


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


T0 = datetime(2026, 11, 24, 10, 7, 30, tzinfo=UTC)


def make(**kw) -> tuple[SimMeter, FakeClock]:
    clock = FakeClock(T0)
    return SimMeter(MeterDescription.load("prometer100"), clock=clock, **kw), clock


def test_descriptions_ship_with_the_package():
    assert {"prometer100", "iec-generic"} <= set(MeterDescription.available())
    d = MeterDescription.load("prometer100")
    assert d.outstation_type == "PRO" and len(d.channels) == 4 and len(d.associations) == 5
    assert set(d.firmware) == {"metrology", "application", "communications"}


def test_bad_description_names_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n')
    with pytest.raises(ValueError, match="bad.toml"):
        MeterDescription.load(bad)


def test_90_days_of_closed_intervals_deterministic_and_non_uniform():
    m, _ = make(seed=7)
    rows = m.profile_rows()
    assert len(rows) == 90 * 48
    assert rows[-1][0] == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # last closed interval
    again, _ = make(seed=7)
    assert again.profile_rows() == rows
    other, _ = make(seed=8)
    assert other.profile_rows() != rows
    imports = [r[1][0] for r in rows[:48]]
    assert len(set(imports)) > 40  # not uniform


def test_registers_equal_base_plus_sum_of_intervals():
    m, clock = make()
    rows = m.profile_rows()
    for i, (spec, total) in enumerate(m.registers_wh()):
        assert total == spec.register_base_wh + sum(r[1][i] for r in rows)
    clock.now += timedelta(hours=1)  # two more intervals close
    assert m.interval_count() == 90 * 48 + 2


def test_range_is_start_inclusive_end_exclusive():
    m, _ = make()
    start = datetime(2026, 11, 20, tzinfo=UTC)
    rows = m.profile_rows(start, start + timedelta(days=1))
    assert len(rows) == 48 and rows[0][0] == start


@pytest.mark.parametrize("period", [5, 10, 15, 20, 30])
def test_integration_periods(period):
    m, _ = make(period_min=period, days=2)
    rows = m.profile_rows()
    assert len(rows) == 2 * 24 * 60 // period
    assert (rows[1][0] - rows[0][0]) == timedelta(minutes=period)


def test_bench_action_logs_event_and_flags_its_period():
    m, clock = make()
    m.phase_failure(2)
    ev = m.events()
    assert [e.code for e in ev] == [EventCode.PHASE_FAILURE_L2]
    assert m.status_of(clock.now) & StatusFlag.PHASE_FAILURE
    clock.now += timedelta(minutes=30)
    closed = m.profile_rows(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    assert closed[0][2] & StatusFlag.PHASE_FAILURE
    assert m.instantaneous()["1.0.52.7.0.255"][0] == 0.0


def test_alarms_survive_reading():
    m, _ = make()
    m.battery_fault()
    assert m.events() and m.events()


def test_wrong_password_logged_and_refused():
    m, _ = make()
    assert not m.check_password("HHDC2PASS", "hhdc2pass")  # case-sensitive
    assert m.events()[-1].code == EventCode.WRONG_PASSWORD
    assert m.check_password("HHDC2PASS", b"HHDC2PASS")


def test_clock_offset_and_set_clock():
    m, clock = make()
    m.set_clock_offset(-10)
    assert m.meter_now() == clock.now - timedelta(minutes=10)
    assert not m.events()  # bench set-up is not a change via a port
    m.set_clock(clock.now)
    assert abs(m.clock_offset_s) < 1e-6
    assert m.events()[-1].code == EventCode.CLOCK_SET
    assert m.status_of(clock.now) & StatusFlag.CLOCK_CHANGE


def test_supply_cut_powers_down_and_restores():
    m, _ = make()
    m.supply_cut()
    assert not m.powered
    m.supply_restore()
    assert m.powered
    assert [e.code for e in m.events()] == [EventCode.SUPPLY_FAILURE, EventCode.SUPPLY_RESTORED]
    assert m.interval_count() == 90 * 48


def test_defects_misbehave_as_named():
    assert set(DEFECTS) == {
        "accept-wrong-password",
        "clear-alarms-on-read",
        "lose-data-on-supply-cut",
        "clock-correction-unflagged",
        "reading-changes-data",
        "password-length-unchecked",
        "alarm-never-clears",
        "period-double-counted-after-clock-forward",
        "password-truncated-at-8",
    }
    m, _ = make(defects=["accept-wrong-password"])
    assert m.check_password("HHDC2PASS", "WRONG!")
    m, _ = make(defects=["clear-alarms-on-read"])
    m.reset()
    assert m.events() and not m.events()
    m, _ = make(defects=["lose-data-on-supply-cut"])
    m.supply_cut()
    m.supply_restore()
    assert m.interval_count() == 89 * 48
    m, clock = make(defects=["clock-correction-unflagged"])
    m.set_clock_offset(-10)
    m.set_clock(clock.now)
    assert not m.status_of(clock.now) and not m.events()
    m, _ = make(defects=["reading-changes-data"])
    assert m.profile_rows() != m.profile_rows()
    with pytest.raises(ValueError, match="unknown defect"):
        make(defects=["no-such-defect"])


def test_password_length_rule_is_enforced_unless_the_defect_is_on():
    m, _ = make()
    assert m.check_password("HHDC2PASS", "HHDC2PASS")
    assert not m.check_password("HHDC2PASS", "HHDC2PASS-EXTRA")  # 15 characters
    assert not m.check_password("ABCDE", "ABCDE")  # 5 characters: below the 6–12 rule
    m, _ = make(defects=["password-length-unchecked"])
    assert m.check_password("HHDC2PASS", "HHDC2PASS-EXTRA")


def test_advance_moves_the_whole_meter_and_is_bounded():
    m, _ = make()
    before = m.meter_now()
    count = m.interval_count()
    m.reset()
    m.advance(3600)
    assert (m.meter_now() - before).total_seconds() == pytest.approx(3600, abs=1)
    assert m.interval_count() == count + 2  # two more half-hours closed
    assert m.state()["advanced_s"] == 3600
    m.set_clock(m.true_now())  # a client setting the clock keeps it on simulated UTC
    assert abs(m.clock_offset_s) < 1
    for bad in (0, -5, float("nan"), float("inf"), 8 * 86400, "10"):
        with pytest.raises(ValueError):
            m.advance(bad)
