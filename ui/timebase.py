"""One time base for every panel: GB local time (Europe/London) labelled GMT or BST, UTC beside
it where a witness compares with the meter, and settlement periods as settlement day + SP number.
The text formats are :mod:`bench_app.presentation`'s (the report uses the same); this module adds
the plot axis.

Meters keep UTC; the GB market settles in local days of 46, 48 or 50 half-hour periods
(:mod:`bench_app.settlement`). These helpers only format and convert; they hold no state. All
datetimes given to them are aware (naive ones are taken to be UTC, as in the store).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyqtgraph as pg

from bench_app.presentation import gb, gb_and_utc, sp_text, zone_name
from bench_app.settlement import LONDON, day_start

__all__ = [
    "GBTimeAxis",
    "gb",
    "gb_and_utc",
    "gb_day_span",
    "sp_text",
    "zone_name",
]


def gb_day_span(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC ``[start, end)`` covering GB settlement days ``first`` … ``last`` inclusive.

    A BST day starts at 23:00 UTC the day before (so SP 1–2 are included) and ``last`` is read to
    its local midnight (so "to 29 Nov" includes the 29th).

    :raises ValueError: ``last`` is before ``first``.
    """
    if last < first:
        raise ValueError(f"the last day {last.isoformat()} is before the first {first.isoformat()}")
    return day_start(first), day_start(last + timedelta(days=1))


class GBTimeAxis(pg.DateAxisItem):
    """A time axis in GB local time with one tick format per zoom level (never mixed) and a title
    naming the zone: ``Time (GB local, GMT)``. Values are UNIX seconds."""

    def __init__(self, title: str = "Time", *, titled: bool = True, **kwargs: object) -> None:
        """``titled=False``: no title (stacked plots sharing the bottom plot's title)."""
        super().__init__(orientation="bottom", **kwargs)
        self._title = title
        self._titled = titled
        if titled:
            self.setLabel(self.title_text())

    def title_text(self, when: datetime | None = None) -> str:
        return f"{self._title} (GB local, {zone_name(when)})"

    def tickStrings(self, values: list, scale: float, spacing: float) -> list[str]:
        if values and self._titled:
            title = self.title_text(datetime.fromtimestamp(float(values[-1]), UTC))
            if title != self.labelText:  # relabel only when the zone changes (GMT <-> BST)
                self.setLabel(title)
        span = (max(values) - min(values)) if values else 0.0
        fmt = (
            "%H:%M:%S"
            if spacing < 60
            else ("%d %b %H:%M" if span >= 86400 else "%H:%M")
            if spacing < 86400
            else "%d %b"
            if spacing < 86400 * 300
            else "%b %Y"
        )
        out = []
        for v in values:
            try:
                out.append(datetime.fromtimestamp(float(v), UTC).astimezone(LONDON).strftime(fmt))
            except (OverflowError, OSError, ValueError):
                out.append("")
        return out

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        """One tick level (DateAxisItem draws two, each in its own format): the coarsest level
        with at least three ticks in view, else the finest one that has any."""
        mid = datetime.fromtimestamp((float(minVal) + float(maxVal)) / 2, UTC)
        offset = mid.astimezone(LONDON).utcoffset()
        self.utcOffset = -int(offset.total_seconds()) if offset else 0  # seconds west of UTC
        levels = super().tickValues(minVal, maxVal, size)
        shown = [
            (spacing, [v for v in ticks if minVal <= v <= maxVal]) for spacing, ticks in levels
        ]
        for spacing, ticks in shown:
            if len(ticks) >= 3:
                return [(spacing, ticks)]
        nonempty = [lv for lv in shown if lv[1]]
        return nonempty[-1:] if nonempty else []
