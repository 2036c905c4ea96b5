"""GB settlement time: UTC ↔ Europe/London, settlement days and 30-minute settlement periods.

A settlement day runs from local midnight to local midnight (Europe/London). Periods are 30
minutes long and numbered from 1: 48 on a normal day, 46 on the spring clock-change day (e.g.
2026-03-29) and 50 on the autumn one (2026-10-25). Meters record in UTC; London's offset is always
a whole hour, so UTC half-hours and local half-hours coincide; an interval of 5/10/15/30
minutes never straddles two settlement periods (a 20-minute one can, see :func:`roll_up`).

The time-zone rules come from the ``tzdata`` package when the operating system has none (Windows),
so this works offline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from drivers.model import ProfileRow

LONDON = ZoneInfo("Europe/London")
#: Length of a settlement period in seconds.
SP_SECONDS = 1800
SP = timedelta(seconds=SP_SECONDS)
#: Integration (demand) periods the CoPs allow, minutes.
INTEGRATION_PERIODS = (5, 10, 15, 20, 30)


def as_utc(dt: datetime) -> datetime:
    """``dt`` as aware UTC; naive datetimes are taken to be UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def to_local(dt: datetime) -> datetime:
    """UTC (or any aware/naive-UTC) datetime → aware Europe/London time."""
    return as_utc(dt).astimezone(LONDON)


def local_to_utc(local: datetime, *, fold: int = 0) -> datetime:
    """Naive London wall-clock time → aware UTC.

    :param fold: in the repeated autumn hour, 0 = the first (BST) occurrence, 1 = the second (GMT).
    :raises ValueError: the time does not exist (skipped spring hour).
    """
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    aware = local.replace(tzinfo=LONDON, fold=fold)
    utc = aware.astimezone(UTC)
    if utc.astimezone(LONDON).replace(tzinfo=None) != local:
        raise ValueError(f"{local.isoformat()} does not exist in Europe/London (clock change)")
    return utc


def day_start(day: date) -> datetime:
    """UTC instant of local midnight starting settlement day ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=LONDON).astimezone(UTC)


def periods_in_day(day: date) -> int:
    """Settlement periods in ``day``: 48, or 46 / 50 on clock-change days."""
    span = day_start(day + timedelta(days=1)) - day_start(day)
    return int(span.total_seconds()) // SP_SECONDS


def settlement_day(dt: datetime) -> date:
    """Settlement day (local date) containing the instant ``dt``."""
    return to_local(dt).date()


def period_number(dt: datetime) -> int:
    """Settlement period (1…46/48/50) containing the instant ``dt``."""
    utc = as_utc(dt)
    offset = (utc - day_start(settlement_day(utc))).total_seconds()
    return int(offset // SP_SECONDS) + 1


def settlement_period(dt: datetime) -> tuple[date, int]:
    """``(settlement_day, period_number)`` of ``dt``."""
    return settlement_day(dt), period_number(dt)


def period_start(day: date, sp: int) -> datetime:
    """UTC start of period ``sp`` of settlement day ``day``.

    :raises ValueError: ``sp`` outside 1…periods_in_day(day).
    """
    n = periods_in_day(day)
    if not 1 <= int(sp) <= n:
        raise ValueError(f"settlement period {sp} does not exist on {day.isoformat()} (1…{n})")
    return day_start(day) + (int(sp) - 1) * SP


def day_periods(day: date) -> list[datetime]:
    """UTC starts of every period of ``day`` in order."""
    start = day_start(day)
    return [start + i * SP for i in range(periods_in_day(day))]


def floor_to_period(dt: datetime) -> datetime:
    """Start of the 30-minute period containing ``dt`` (UTC)."""
    utc = as_utc(dt)
    ts = int(utc.timestamp())
    return datetime.fromtimestamp(ts - ts % SP_SECONDS, UTC)


def split_period(start_s: int, period_s: int) -> list[tuple[int, float]]:
    """How an interval ``[start_s, start_s + period_s)`` (UTC epoch seconds) falls into 30-minute
    periods: ``[(sp_start_s, fraction), …]``; fractions add up to 1."""
    out = []
    t, end = start_s, start_s + period_s
    while t < end:
        sp = t - t % SP_SECONDS
        nxt = min(end, sp + SP_SECONDS)
        out.append((sp, (nxt - t) / period_s))
        t = nxt
    return out


def roll_up(
    rows: Iterable[ProfileRow], period_min: int, *, complete_only: bool = False
) -> list[ProfileRow]:
    """Roll integration periods of ``period_min`` (5/10/15/20/30) up to 30-minute periods.

    Values are summed per channel (energy advances add up) and status flags OR-ed. 20-minute
    periods do not divide a half hour: the one straddling a boundary (hh:20–hh:40) is split in
    proportion to time (uniform consumption assumed) and its flags go to both periods. A period
    not fully covered is partial: kept by default, dropped with ``complete_only``. ``None`` values
    stay None only if every row had None for that channel.

    :raises ValueError: ``period_min`` is not an allowed integration period, or a row does not
        start on a ``period_min`` boundary.
    """
    if period_min not in INTEGRATION_PERIODS:
        raise ValueError(
            f"integration period must be one of {INTEGRATION_PERIODS} minutes, not {period_min}"
        )
    period_s = period_min * 60
    buckets: dict[int, list] = {}  # sp start → [values, status, covered seconds]
    for row in rows:
        ts = int(as_utc(row.start).timestamp())
        if ts % period_s:
            raise ValueError(
                f"row {as_utc(row.start).isoformat()} is not on a {period_min}-minute boundary"
            )
        for key, frac in split_period(ts, period_s):
            cell = buckets.get(key)
            if cell is None:
                cell = buckets[key] = [[None] * len(row.values), 0, 0.0]
            values = cell[0]
            for i, v in enumerate(row.values):
                if v is None:
                    continue
                part = v * frac if frac != 1 else v
                values[i] = part if values[i] is None else values[i] + part
            cell[1] |= int(row.status)
            cell[2] += frac * period_s
    out = []
    for key in sorted(buckets):
        values, status, covered = buckets[key]
        if complete_only and covered < SP_SECONDS - 1e-6:
            continue
        out.append(ProfileRow(datetime.fromtimestamp(key, UTC), values, status))
    return out


def describe(dt: datetime) -> str:
    """``2026-10-25 SP03 (01:00 BST, 00:00Z)`` — how the bench shows an instant."""
    day, sp = settlement_period(dt)
    local = to_local(dt)
    return (
        f"{day.isoformat()} SP{sp:02d} ({local.strftime('%H:%M %Z')}, "
        f"{as_utc(dt).strftime('%H:%MZ')})"
    )
