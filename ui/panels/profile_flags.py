"""Flags made visible: which flag each settlement period carries, which logged event caused it, the
legend entries for the flag kinds actually shown, and the heat map's "no data" / "no such SP"
background. Pure functions over numpy arrays and event dicts; the panels draw.

Events are the store's event rows (``time`` aware UTC, ``code``); an event causes a period's flag
when it falls inside that period and the flag it raises (:attr:`drivers.model.EventCode.flag`) is
among the period's status bits.
"""

from __future__ import annotations

import html
from bisect import bisect_left
from datetime import UTC, date, datetime, timedelta

import numpy as np

from bench_app import presentation
from bench_app.settlement import SP_SECONDS, periods_in_day
from drivers.model import EventCode
from ui.panels.profile_data import NORMAL_COLOUR
from ui.timebase import gb

#: heat-map cell colours (RGBA) for periods without a value
NO_DATA_RGBA = (246, 205, 205, 255)  #: the SP exists on that day but nothing was read
NO_SUCH_SP_RGBA = (222, 225, 229, 255)  #: the day has fewer SPs (46 / 48)
NOT_YET_RGBA = (255, 255, 255, 255)  #: the period has not ended yet (today, later)
#: heat-map legend entries for those cells
HEAT_EXTRA = [
    ("#{:02x}{:02x}{:02x}".format(*NO_DATA_RGBA[:3]), "no data"),
    ("#{:02x}{:02x}{:02x}".format(*NO_SUCH_SP_RGBA[:3]), "no such SP (46/48-period day)"),
    ("#ffffff", "not ended yet"),  # white, as in the map (drawn framed in the legend)
]


def flag_names(status: int) -> list[str]:
    """Names of the flag bits in ``status``: ``["Phase failure", "Battery"]`` (the report's
    names, :func:`bench_app.presentation.flag_names`)."""
    return presentation.flag_names(status)


def event_flag(code: object) -> int:
    """The status flag an event code raises (0 for unknown codes and restorations)."""
    try:
        return int(EventCode(int(code)).flag)  # type: ignore[call-overload]
    except (ValueError, TypeError):
        return 0


class EventIndex:
    """The session's events sorted by time, to find the cause of a flagged period quickly."""

    def __init__(self, events: list[dict] | None = None) -> None:
        self.events = sorted(events or [], key=lambda e: e["time"])
        self.times = [e["time"].timestamp() for e in self.events]

    def causes(self, start_s: float, status: int, length_s: int = SP_SECONDS) -> list[dict]:
        """Events inside ``[start_s, start_s + length_s)`` whose flag is set in ``status``."""
        if not status:
            return []
        i = bisect_left(self.times, start_s)
        out = []
        while i < len(self.times) and self.times[i] < start_s + length_s:
            e = self.events[i]
            if event_flag(e.get("code")) & status:
                out.append(e)
            i += 1
        return out


def period_tooltip(
    start: datetime, sp: int, value: float, unit: str, status: int, index: EventIndex
) -> str:
    """Tooltip of one settlement period: when, value, each flag and the event that caused it."""
    end = start + timedelta(seconds=SP_SECONDS)
    head = f"SP {sp} · {gb(start, '%a %d %b %H:%M')}–{gb(end, '%H:%M')} ({start:%H:%M} UTC)"
    val = "no data" if not np.isfinite(value) else f"{value:,.3f} {unit}".rstrip()
    lines = [f"<b>{html.escape(head)}</b>", html.escape(val)]
    if status:
        causes = index.causes(start.timestamp(), status)
        for style in presentation.flag_styles(status):
            flag, colour, name = style.flag, style.colour, style.name
            why = [e for e in causes if event_flag(e.get("code")) & flag]
            cause = (
                "; ".join(
                    f"{html.escape(str(e.get('text') or e.get('code')))} at "
                    f"{gb(e['time'], '%H:%M:%S')}"
                    for e in why
                )
                if why
                else "no logged event in this period"
            )
            lines.append(f"<span style='color:{colour}'>■</span> <b>{name}</b> — cause: {cause}")
    else:
        lines.append("no flag")
    return "<br>".join(lines)


def legend_html(
    present: int, *, extra: list[tuple[str, str]] | None = None, normal: bool = True
) -> str:
    """Legend: one entry per flag kind present (plus ``extra`` ``(colour, label)`` entries);
    ``normal`` adds the unflagged colour (not on the heat map, whose cells are values)."""
    items = [f"<span style='color:{NORMAL_COLOUR}'>■</span> no flag"] if normal else []
    for style in presentation.flag_styles(present):
        items.append(
            f"<span style='color:{style.colour}' title='{html.escape(style.legend)}'>■</span> "
            f"{style.name}"
        )
    if len(items) == int(normal):
        items.append("(no flagged periods shown)")
    for colour, label in extra or []:
        frame = "; background:#9aa0a6" if colour.lower() == "#ffffff" else ""
        items.append(f"<span style='color:{colour}{frame}'>■</span> {label}")
    return "Flags: " + " &nbsp; ".join(items)


def heat_background(days: list[date], mat: np.ndarray, now: datetime | None = None) -> np.ndarray:
    """RGBA image (days × 50) behind the heat map: pale red where an SP exists but has no value,
    grey where the day has no such SP (46 / 48-period days), white where the period has not ended
    by ``now`` (default: the current time), transparent where there is a value."""
    from bench_app.settlement import day_start

    now_s = (now or datetime.now(UTC)).timestamp()
    rgba = np.zeros((len(days), mat.shape[1], 4), dtype=np.uint8)
    for i, d in enumerate(days):
        n = periods_in_day(d)
        ends = day_start(d).timestamp() + SP_SECONDS * np.arange(1, n + 1)
        missing = ~np.isfinite(mat[i, :n])
        row = rgba[i, :n]
        row[missing & (ends <= now_s)] = NO_DATA_RGBA
        row[missing & (ends > now_s)] = NOT_YET_RGBA
        rgba[i, n:] = NO_SUCH_SP_RGBA
    return rgba


def clock_change_days(days: list[date]) -> list[int]:
    """Indexes of the clock-change days (46 or 50 periods) in ``days``."""
    return [i for i, d in enumerate(days) if periods_in_day(d) != 48]
