"""GB settlement time: UTC ↔ Europe/London, settlement days and 30-minute settlement periods.

A settlement day runs from local midnight to local midnight (Europe/London). Periods are 30
minutes long and numbered from 1: 48 on a normal day, 46 on the spring clock-change day (e.g.
2026-03-29) and 50 on the autumn one (2026-10-25). Meters record in UTC; London's offset is always
a whole hour, so UTC half-hours and local half-hours coincide; an interval of 5/10/15/30
minutes never straddles two settlement periods (a 20-minute one can, see :func:`half_hours`).

This is the one place for settlement time: SP boundaries and labels, GB local ↔ UTC, ISO-8601
parsing (:func:`parse_utc`), the roll-up of 5/10/15/20/30-minute intervals to settlement periods
(:func:`half_hours`, one rule: split pro rata across the half hour) and the day × SP grid
(:func:`day_grid`, 46/48/50-period days). The reconciliation, the GUI's Compare tab, the report's
heat map and daily table, the checklist and the importers all use it, so they give the same
per-SP values for the same data.

The time-zone rules come from the ``tzdata`` package when the operating system has none (Windows),
so this works offline.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from drivers.model import ProfileRow, iso
from drivers.model import utc as as_utc

K = TypeVar("K")

__all__ = [
    "INTEGRATION_PERIODS", "LONDON", "SP", "SP_SECONDS", "as_utc", "day_grid", "day_periods",
    "day_start", "describe", "floor_to_period", "half_hours", "integration_seconds", "iso",
    "local_to_utc", "parse_utc", "parse_utc_or_none", "period_number", "period_of_epoch",
    "period_start", "periods_in_day", "roll_up", "settlement_day", "settlement_period",
    "sp_label", "split_period", "to_local",
]  # fmt: skip

LONDON = ZoneInfo("Europe/London")
#: Length of a settlement period in seconds.
SP_SECONDS = 1800
SP = timedelta(seconds=SP_SECONDS)
#: Integration (demand) periods the CoPs allow, minutes.
INTEGRATION_PERIODS = (5, 10, 15, 20, 30)


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
    """:func:`half_hours` for :class:`~drivers.model.ProfileRow` lists of a known integration
    period ``period_min`` (5/10/15/20/30): values summed per channel, flags OR-ed, a 20-minute
    interval straddling a half hour split pro rata. A period not fully covered is partial: kept
    by default, dropped with ``complete_only``. A value stays None only if every row had None.

    :raises ValueError: ``period_min`` is not an allowed integration period, or a row does not
        start on a ``period_min`` boundary.
    """
    if period_min not in INTEGRATION_PERIODS:
        raise ValueError(
            f"integration period must be one of {INTEGRATION_PERIODS} minutes, not {period_min}"
        )
    period_s = period_min * 60
    flat: list[tuple[int, int, Any, int]] = []
    width = 0
    for row in rows:
        ts = int(as_utc(row.start).timestamp())
        if ts % period_s:
            raise ValueError(
                f"row {as_utc(row.start).isoformat()} is not on a {period_min}-minute boundary"
            )
        width = max(width, len(row.values))
        flat += [(ts, i, v, int(row.status)) for i, v in enumerate(row.values)]
        if not row.values:
            flat.append((ts, -1, None, int(row.status)))
    cells = half_hours(flat, period_s)
    out = []
    for key in sorted({k[0] for k in cells}):
        values: list = [cells[(key, i)][0] if (key, i) in cells else None for i in range(width)]
        status = 0
        covered = 0.0
        for i in range(-1, width):
            cell = cells.get((key, i))
            if cell is not None:
                status |= cell[1]
                covered = max(covered, cell[2])
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


def parse_utc(text: str) -> datetime:
    """ISO 8601 text (``…Z``, ``…+01:00`` or naive = UTC) → aware UTC datetime.

    :raises ValueError: not an ISO 8601 date-time.
    """
    return as_utc(datetime.fromisoformat(str(text).strip()))


def parse_utc_or_none(text: str | None) -> datetime | None:
    """:func:`parse_utc`, or None for empty or unreadable text."""
    if not text:
        return None
    try:
        return parse_utc(text)
    except ValueError:
        return None


def sp_label(when: datetime) -> str:
    """``"SP 03:30–04:00Z 2026-11-24"``: the half hour containing ``when``, for messages."""
    s = floor_to_period(when)
    return f"SP {s:%H:%M}–{s + SP:%H:%M}Z {s:%Y-%m-%d}"


def integration_seconds(starts: Iterable[int]) -> int:
    """Integration period of a series: the smallest gap between distinct interval starts (UTC
    epoch seconds), at most 1800 s (a lone interval counts as half-hourly)."""
    ordered = sorted(set(starts))
    best = SP_SECONDS
    for x, y in zip(ordered, ordered[1:]):
        if 0 < y - x < best:
            best = y - x
    return best


def _scale(value: Any, fraction: float) -> Any:
    return value * fraction


def half_hours(
    rows: Iterable[tuple[int, K, Any, int]],
    period_s: int | None = None,
    *,
    part: Callable[[Any, float], Any] = _scale,
) -> dict[tuple[int, K], list]:
    """THE roll-up of interval data to settlement periods, used by every view (reconcile, the
    GUI's Compare tab, the report's heat map and daily table, :func:`roll_up`).

    Rule: an interval's value is split across the half hours it covers in proportion to time
    (uniform consumption assumed); status flags go to every half hour it touches. Intervals of
    5/10/15/30 minutes never straddle a half hour, so only 20-minute ones (hh:20–hh:40) are split,
    1/2 to each side. Half hours are UTC-aligned: London's offset is a whole hour, so they are the
    GB settlement periods in GMT and BST alike.

    :param rows: ``(start UTC epoch s, key, value, status)``; ``key`` is usually the channel;
        ``value`` None counts for coverage and flags only.
    :param period_s: the integration period in seconds (default: :func:`integration_seconds`
        of the rows' starts).
    :param part: ``part(value, fraction)`` → the share of a split value (exact decimals in the
        reconciliation); called only when the fraction is not 1.
    :returns: ``{(SP start epoch s, key): [value or None, status OR-ed, covered seconds]}``.
    """
    rows = list(rows)
    if period_s is None:
        period_s = integration_seconds(int(r[0]) for r in rows)
    aligned = SP_SECONDS % period_s == 0
    out: dict[tuple[int, K], list] = {}
    if aligned:  # the common case, kept tight: long profiles go through here on every verify
        covered = float(period_s)
        get = out.get
        for start, key, value, status in rows:
            ts = int(start)
            where = (ts - ts % SP_SECONDS, key)
            flag = int(status or 0)
            cell = get(where)
            if cell is None:
                out[where] = [value, flag, covered]
                continue
            if value is not None:
                cell[0] = value if cell[0] is None else cell[0] + value
            cell[1] |= flag
            cell[2] += covered
        return out
    for start, key, value, status in rows:
        for sp_start, frac in split_period(int(start), period_s):
            share = value if value is None or frac == 1.0 else part(value, frac)
            cell = out.get((sp_start, key))
            if cell is None:
                out[(sp_start, key)] = [share, int(status or 0), frac * period_s]
                continue
            if share is not None:
                cell[0] = share if cell[0] is None else cell[0] + share
            cell[1] |= int(status or 0)
            cell[2] += frac * period_s
    return out


@functools.lru_cache(maxsize=4096)
def _day_of_epoch_hour(hour_s: int) -> tuple[date, int]:
    """``(settlement day, UTC epoch s of its local midnight)`` of the hour starting ``hour_s``.
    London's offset is a whole hour, so every instant of a UTC hour has the same day."""
    day = settlement_day(datetime.fromtimestamp(hour_s, UTC))
    return day, int(day_start(day).timestamp())


def period_of_epoch(ts: int) -> tuple[date, int]:
    """``(settlement day, period number)`` of the instant ``ts`` (UTC epoch seconds): the same
    answer as :func:`settlement_period`, worked out once per hour for long series."""
    ts = int(ts)
    day, midnight = _day_of_epoch_hour(ts - ts % 3600)
    return day, (ts - midnight) // SP_SECONDS + 1


def day_grid(cells: Iterable[tuple[int, Any, int]]) -> dict[date, dict[int, tuple[Any, int]]]:
    """Half-hour cells ``(SP start epoch s, value, status)`` (one channel) as the day × SP grid:
    ``{settlement day: {SP number 1…46/48/50: (value, status)}}``, days and SPs in time order."""
    out: dict[date, dict[int, tuple[Any, int]]] = {}
    for sp_start, value, status in sorted(cells, key=lambda c: c[0]):
        day, sp = period_of_epoch(sp_start)
        out.setdefault(day, {})[sp] = (value, status)
    return out
