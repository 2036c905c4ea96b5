"""Settlement time model: clock-change days, period numbers, roll-up of integration periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench_app import settlement as s
from drivers.model import ProfileRow


@pytest.mark.parametrize(
    "day,count",
    [(date(2026, 3, 29), 46), (date(2026, 10, 25), 50), (date(2026, 6, 1), 48),
     (date(2026, 1, 1), 48), (date(2025, 3, 30), 46), (date(2025, 10, 26), 50)],
)  # fmt: skip
def test_periods_in_day(day, count):
    assert s.periods_in_day(day) == count
    assert len(s.day_periods(day)) == count


def test_spring_day_periods():
    day = date(2026, 3, 29)
    assert s.period_start(day, 1) == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    # 01:00 UTC is 02:00 BST: local 01:00-02:00 does not exist, so SP3 starts at 01:00Z.
    assert s.period_start(day, 3) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert s.period_start(day, 46) == datetime(2026, 3, 29, 22, 30, tzinfo=UTC)
    assert s.period_number(datetime(2026, 3, 29, 22, 59, tzinfo=UTC)) == 46
    assert s.settlement_period(datetime(2026, 3, 29, 23, 0, tzinfo=UTC)) == (date(2026, 3, 30), 1)
    with pytest.raises(ValueError, match="47 does not exist on 2026-03-29"):
        s.period_start(day, 47)


def test_autumn_day_periods():
    day = date(2026, 10, 25)
    assert s.period_start(day, 1) == datetime(2026, 10, 24, 23, 0, tzinfo=UTC)
    # local 01:00-02:00 happens twice: SP3/SP4 (BST) and SP5/SP6 (GMT)
    assert s.period_start(day, 3) == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    assert s.period_start(day, 5) == datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
    assert s.to_local(s.period_start(day, 3)).hour == s.to_local(s.period_start(day, 5)).hour == 1
    assert s.period_start(day, 50) == datetime(2026, 10, 25, 23, 30, tzinfo=UTC)
    assert s.settlement_period(datetime(2026, 10, 24, 22, 59, tzinfo=UTC)) == (
        date(2026, 10, 24),
        48,
    )
    assert s.describe(datetime(2026, 10, 25, 1, 0, tzinfo=UTC)).startswith("2026-10-25 SP05")


def test_summer_day_starts_at_2300_utc():
    assert s.period_start(date(2026, 7, 1), 1) == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert s.settlement_day(datetime(2026, 6, 30, 23, 0, tzinfo=UTC)) == date(2026, 7, 1)


def test_local_to_utc_and_gaps():
    assert s.local_to_utc(datetime(2026, 7, 1, 12, 0)) == datetime(2026, 7, 1, 11, 0, tzinfo=UTC)
    assert s.local_to_utc(datetime(2026, 10, 25, 1, 30), fold=1) == datetime(
        2026, 10, 25, 1, 30, tzinfo=UTC
    )
    assert s.local_to_utc(datetime(2026, 10, 25, 1, 30)) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="does not exist"):
        s.local_to_utc(datetime(2026, 3, 29, 1, 30))


@given(st.integers(min_value=1_577_836_800, max_value=2_082_758_399))
def test_period_of_epoch_is_settlement_period(ts):
    """The per-hour fast path the report and reconcile use gives the one rule's answer,
    including the 46- and 50-period clock-change days (2020–2035)."""
    assert s.period_of_epoch(ts) == s.settlement_period(datetime.fromtimestamp(ts, UTC))


def test_period_of_epoch_on_clock_change_days():
    for day, n in ((date(2026, 3, 29), 46), (date(2026, 10, 25), 50)):
        starts = s.day_periods(day)
        assert [s.period_of_epoch(int(t.timestamp())) for t in starts] == [
            (day, k) for k in range(1, n + 1)
        ]


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31)))
def test_period_start_inverts_settlement_period(naive):
    dt = naive.replace(tzinfo=UTC)
    day, sp = s.settlement_period(dt)
    assert 1 <= sp <= s.periods_in_day(day)
    start = s.period_start(day, sp)
    assert start == s.floor_to_period(dt)
    assert start <= dt < start + timedelta(minutes=30)


@pytest.mark.parametrize("period_min", [5, 10, 15, 30])
def test_roll_up_sums_values_and_ors_flags(period_min):
    t0 = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    n = 4 * 30 // period_min  # two hours
    rows = [
        ProfileRow(t0 + timedelta(minutes=period_min * i), [1.0, 2.0], 1 << (i % 3))
        for i in range(n)
    ]
    out = s.roll_up(rows, period_min, complete_only=True)
    per = 30 // period_min
    assert [r.start for r in out] == [t0 + timedelta(minutes=30 * k) for k in range(4)]
    assert all(r.values == [pytest.approx(per * 1.0), pytest.approx(per * 2.0)] for r in out)
    expect = 0
    for i in range(per):
        expect |= 1 << (i % 3)
    assert out[0].status == expect


def test_roll_up_20_minute_periods_split_the_straddling_one():
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        ProfileRow(t0 + timedelta(minutes=20 * i), [v], f)
        for i, (v, f) in enumerate([(3.0, 0), (6.0, 4), (9.0, 0)])
    ]
    out = s.roll_up(rows, 20)
    assert [r.values[0] for r in out] == [pytest.approx(6.0), pytest.approx(12.0)]
    assert [r.status for r in out] == [4, 4]
    assert sum(r.values[0] for r in out) == pytest.approx(18.0)


def test_roll_up_partial_and_bad_input():
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        ProfileRow(t0, [1.0], 0),
        ProfileRow(t0 + timedelta(minutes=30), [1.0], 0),
        ProfileRow(t0 + timedelta(minutes=45), [1.0], 0),
    ]
    assert [r.values[0] for r in s.roll_up(rows, 15)] == [1.0, 2.0]
    assert [r.values[0] for r in s.roll_up(rows, 15, complete_only=True)] == [2.0]
    with pytest.raises(ValueError, match="integration period"):
        s.roll_up(rows, 7)
    with pytest.raises(ValueError, match="boundary"):
        s.roll_up([ProfileRow(t0 + timedelta(minutes=5), [1.0], 0)], 15)
