"""Array form of half-hourly data for plotting, and the settlement-day grid (GB local days).

:class:`ProfileSeries` holds one collection's periods as numpy arrays (UNIX seconds, one column
per channel, status bits). Settlement days and periods come from :mod:`bench_app.settlement` (the
same functions the reconciliation and the report use): 48 periods normally, 46 on the spring and
50 on the autumn clock-change day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np

from bench_app import settlement
from bench_app.presentation import FLAGS, NORMAL_COLOUR, flag_colour
from bench_app.settlement import LONDON, SP_SECONDS
from bench_app.settlement import day_periods as _day_periods
from bench_app.settlement import settlement_day as _settlement_day
from drivers.model import Channel, ProfileRow, StatusFlag, normalise

__all__ = [
    "FLAG_COLOURS",
    "LONDON",
    "NORMAL_COLOUR",
    "SP_SECONDS",
    "ProfileSeries",
    "day_gaps",
    "day_periods",
    "flag_colour",
    "settlement_day",
]

#: Flag → colour used for flagged periods (bars, markers, legend); first match wins. The one flag
#: table of :mod:`bench_app.presentation` (the report draws the same colours).
FLAG_COLOURS: list[tuple[StatusFlag, str]] = [(f.flag, f.colour) for f in FLAGS]


def day_periods(day: date) -> list[datetime]:
    """UTC start of each settlement period of local day ``day`` (46, 48 or 50 entries)."""
    return _day_periods(day)


def day_gaps(periods: list[datetime], vals: np.ndarray, now: datetime) -> tuple[int, int]:
    """``(missing, not ended yet)`` among the periods with no value: a period is missing only
    once it has ended by ``now`` (its end ≤ ``now``, the heat map's rule); one still to end on the
    current settlement day is not missing."""
    ends = np.array([p.timestamp() + SP_SECONDS for p in periods], dtype=float)
    empty = ~np.isfinite(np.asarray(vals, dtype=float))
    ended = ends <= now.timestamp()
    return int(np.count_nonzero(empty & ended)), int(np.count_nonzero(empty & ~ended))


def settlement_day(t: datetime) -> date:
    """The local settlement day a UTC instant belongs to."""
    return _settlement_day(t)


@dataclass
class ProfileSeries:
    """One collection's periods: ``starts`` (UNIX s, sorted), ``values`` (n × ch), ``status``."""

    channels: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    starts: np.ndarray = field(default_factory=lambda: np.empty(0))
    values: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    status: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.starts)

    @classmethod
    def from_rows(
        cls, channels: list[Channel] | list[str], rows: list[ProfileRow]
    ) -> ProfileSeries:
        names = [c.obis if isinstance(c, Channel) else str(c) for c in channels]
        # live blocks come as the meter sent them (Wh…): shown in the kilo units the store keeps,
        # so a read in progress and the stored collection never differ by a factor of 1000
        scale = [normalise(1.0, c.unit) if isinstance(c, Channel) else (1.0, "") for c in channels]
        factors = [f for f, _u in scale]
        units = [u or "" for _f, u in scale]
        if not names and rows:
            names = [f"channel {i + 1}" for i in range(len(rows[0].values))]
            units = [""] * len(names)
        by_start = {r.start.timestamp(): r for r in rows}
        keys = sorted(by_start)
        vals = np.full((len(keys), len(names)), np.nan)
        status = np.zeros(len(keys), dtype=np.int64)
        for i, k in enumerate(keys):
            row = by_start[k]
            n = min(len(row.values), len(names))
            vals[i, :n] = [float(v) * (factors[j] if j < len(factors) else 1.0)
                           for j, v in enumerate(row.values[:n])]  # fmt: skip
            status[i] = int(row.status)
        return cls(names, units, np.array(keys, dtype=float), vals, status)

    @classmethod
    def from_readings(cls, readings: list) -> ProfileSeries:
        """Build from ``store.readings()`` objects (``start``, ``channel``, ``value``, ``unit``,
        ``status``)."""
        channels: dict[str, str] = {}
        for r in readings:
            channels.setdefault(r.channel, r.unit or "")
        names = list(channels)
        col = {n: i for i, n in enumerate(names)}
        starts = sorted({r.start.timestamp() for r in readings})
        row = {s: i for i, s in enumerate(starts)}
        vals = np.full((len(starts), len(names)), np.nan)
        status = np.zeros(len(starts), dtype=np.int64)
        for r in readings:
            i = row[r.start.timestamp()]
            vals[i, col[r.channel]] = float(r.value)
            status[i] |= int(r.status or 0)
        return cls(names, list(channels.values()), np.array(starts, dtype=float), vals, status)

    def half_hourly(self) -> ProfileSeries:
        """The series rolled up to 30-minute settlement periods by
        :func:`bench_app.settlement.half_hours` — the reconciliation's and the report's rule
        (values summed, a 20-minute interval split pro rata across the half hour, flags OR-ed);
        unchanged when already half-hourly. A period whose every value is missing stays NaN."""
        if not len(self) or not np.any(np.mod(self.starts, SP_SECONDS)):
            return self
        starts = self.starts.astype(np.int64)
        rows = [
            (int(t), j, None if np.isnan(v) else float(v), int(f))
            for t, vals, f in zip(starts, self.values, self.status, strict=True)
            for j, v in enumerate(vals)
        ]
        cells = settlement.half_hours(rows)
        keys = sorted({k[0] for k in cells})
        index = {k: i for i, k in enumerate(keys)}
        vals = np.full((len(keys), self.values.shape[1]), np.nan)
        status = np.zeros(len(keys), dtype=np.int64)
        for (sp_start, j), (value, flags, _covered) in cells.items():
            i = index[sp_start]
            if value is not None:
                vals[i, j] = value
            status[i] |= flags
        return ProfileSeries(
            list(self.channels), list(self.units), np.array(keys, dtype=float), vals, status
        )

    def channel_index(self, name: str) -> int | None:
        """Column of channel ``name``, matched in canonical OBIS form (``1.0.1.8.0.255`` meets
        ``1-0:1.8.0*255`` and ``1.8.0``, as in the reconciliation); None when absent."""
        from bench_app.reconcile import canonical_channel

        want = canonical_channel(name)
        for i, ch in enumerate(self.channels):
            if canonical_channel(ch) == want:
                return i
        return None

    @classmethod
    def from_raw(cls, rows: list[tuple]) -> ProfileSeries:
        """Build from ``store.readings_raw()`` tuples ``(start_epoch_s, channel, value, unit,
        status)`` with numpy (fast: 90 days × 4 channels in a few ms)."""
        if not rows:
            return cls()
        units: dict[str, str] = {}
        for r in rows:
            if r[1] not in units:
                units[r[1]] = r[3] or ""
        names = list(units)
        col = {n: i for i, n in enumerate(names)}
        t = np.fromiter((r[0] for r in rows), dtype=float, count=len(rows))
        c = np.fromiter((col[r[1]] for r in rows), dtype=np.int64, count=len(rows))
        v = np.fromiter((r[2] for r in rows), dtype=float, count=len(rows))
        st = np.fromiter((int(r[4] or 0) for r in rows), dtype=np.int64, count=len(rows))
        starts, inv = np.unique(t, return_inverse=True)
        vals = np.full((len(starts), len(names)), np.nan)
        vals[inv, c] = v
        status = np.zeros(len(starts), dtype=np.int64)
        np.bitwise_or.at(status, inv, st)
        return cls(names, list(units.values()), starts, vals, status)

    @classmethod
    def from_store(cls, store: object, collection_id: int) -> ProfileSeries:
        """One stored collection (``readings_raw`` fast path when the store has it)."""
        raw = getattr(store, "readings_raw", None)
        if raw is not None:
            return cls.from_raw(raw(collection_id))
        return cls.from_readings(store.readings(collection_id))  # type: ignore[attr-defined]

    def day(self, day: date, channel: int) -> tuple[list[datetime], np.ndarray, np.ndarray]:
        """``(period starts, values, status)`` for settlement day ``day``; NaN where missing."""
        periods = day_periods(day)
        vals = np.full(len(periods), np.nan)
        status = np.zeros(len(periods), dtype=np.int64)
        if len(self.starts):
            keys = np.array([p.timestamp() for p in periods])
            idx = np.searchsorted(self.starts, keys)
            idx_c = np.clip(idx, 0, len(self.starts) - 1)
            hit = self.starts[idx_c] == keys
            if self.values.shape[1] > channel:
                vals[hit] = self.values[idx_c[hit], channel]
            status[hit] = self.status[idx_c[hit]]
        return periods, vals, status

    def days(self) -> list[date]:
        """Settlement days that hold at least one period, oldest first."""
        seen = {settlement_day(datetime.fromtimestamp(s, UTC)) for s in self.starts}
        return sorted(seen)

    def heatmap(self, channel: int, last_days: int = 90) -> tuple[list[date], np.ndarray]:
        """``(days, matrix days × 50)`` of the last ``last_days`` days; NaN where no period."""
        days = self.days()[-last_days:]
        mat = np.full((len(days), 50), np.nan)
        for i, d in enumerate(days):
            _p, vals, _s = self.day(d, channel)
            mat[i, : len(vals)] = vals
        return days, mat
