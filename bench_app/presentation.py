"""One visual language for the window and the PDF report: how times, durations, channels,
collections, status flags and internal names are shown to a person. Plain text only (no Qt, no
ReportLab): the GUI panels and the report sections both call these, so a witness reads the same
words and colours on the screen and on the signed pages.

- **Times** are GB local time with the zone in force (``07 Dec 2026 02:30:00 GMT``), UTC beside
  them where a witness compares with the meter (``… (02:30:00 UTC)``) or in a tooltip, and a time
  kept by a simulated outstation is marked ``(simulated)``: it is the simulator's clock, which
  may run ahead of the day the session was held.
- **Durations** in hours, minutes and seconds (``4 h 23 min 9 s``), never bare seconds.
- **Channels** by quantity, unit and OBIS code (``Active import, kWh (1.0.1.8.0.255)``).
- **Collections** by purpose and time (``Profile read 07 Dec 10:02 GMT``), their row id kept for
  tooltips and cross-references.
- **Status flags**: one table (:data:`FLAGS`) of name, colour and legend text per
  :class:`drivers.model.StatusFlag` bit; the first flag of the table set in a period gives its
  colour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bench_app.channel_names import QUANTITIES, channel_name
from bench_app.settlement import LONDON, as_utc, parse_utc, settlement_period
from drivers.model import EventCode, StatusFlag

__all__ = [
    "FLAGS",
    "NORMAL_COLOUR",
    "QUANTITIES",
    "SIMULATED",
    "FlagStyle",
    "channel_name",
    "clock_deviation",
    "collection_name",
    "collection_tooltip",
    "day_text",
    "duration",
    "event_flag",
    "flag_colour",
    "flag_names",
    "flag_styles",
    "flag_text",
    "gb",
    "gb_and_utc",
    "human_name",
    "signed_duration",
    "sp_text",
    "when",
    "when_short",
    "utc_text",
    "zone_name",
]

#: The format family: day, month name, year, 24-hour time; the zone follows.
DATE_TIME = "%d %b %Y %H:%M:%S"
#: Short form (lists, collection names): day, month name, hours and minutes.
SHORT = "%d %b %H:%M"
#: The marker after a time kept by a simulated outstation's clock.
SIMULATED = "(simulated)"


def _instant(dt: datetime | str) -> datetime:
    """Aware UTC datetime from a datetime (naive = UTC) or ISO 8601 text."""
    return parse_utc(dt) if isinstance(dt, str) else as_utc(dt)


def zone_name(dt: datetime | None = None) -> str:
    """``"GMT"`` or ``"BST"``: the GB zone in force at ``dt`` (default: now)."""
    t = as_utc(dt) if dt is not None else datetime.now(UTC)
    return t.astimezone(LONDON).tzname() or "GMT"


def gb(dt: datetime | str, fmt: str = DATE_TIME, *, simulated: bool = False) -> str:
    """``dt`` as GB local time with its zone: ``"01 Jul 2026 10:30:00 BST"``; ``simulated``
    adds ``" (simulated)"``."""
    local = _instant(dt).astimezone(LONDON)
    text = f"{local.strftime(fmt)} {local.tzname()}"
    return f"{text} {SIMULATED}" if simulated else text


def utc_text(dt: datetime | str, fmt: str = DATE_TIME) -> str:
    """``dt`` in UTC: ``"01 Jul 2026 09:30:00 UTC"`` (for tooltips and the meter's own view)."""
    return f"{_instant(dt).strftime(fmt)} UTC"


def gb_and_utc(dt: datetime | str, fmt: str = DATE_TIME, *, simulated: bool = False) -> str:
    """GB local time with its zone and UTC beside it: ``"01 Jul 2026 10:30:00 BST (09:30:00
    UTC)"``. The UTC part repeats the date only when it differs from the local date."""
    u = _instant(dt)
    local = u.astimezone(LONDON)
    seconds = "%S" in fmt
    clock = "%H:%M:%S" if seconds else "%H:%M"
    utc_fmt = clock if local.date() == u.date() else f"%d %b %Y {clock}"
    text = f"{gb(u, fmt)} ({u.strftime(utc_fmt)} UTC)"
    return f"{text} {SIMULATED}" if simulated else text


def when(value: Any, *, simulated: bool = False, utc: bool = True, empty: str = "—") -> str:
    """Any time value as the report and the window show it: ``gb_and_utc`` (``utc=False``: GB
    local only); ``empty`` for None or ""; text that is not a time is returned as it is."""
    if value is None or value == "":
        return empty
    try:
        t = _instant(value)
    except (TypeError, ValueError):
        return str(value)
    return gb_and_utc(t, simulated=simulated) if utc else gb(t, simulated=simulated)


def when_short(value: datetime | str) -> str:
    """``"07 Dec 10:02 GMT"``: short form for names and lists."""
    return gb(value, SHORT)


def sp_text(dt: datetime) -> str:
    """Settlement day and period of instant ``dt``: ``"SP 21 of Wed 01 Jul 2026"``."""
    day, sp = settlement_period(as_utc(dt))
    return f"SP {sp} of {day:%a %d %b %Y}"


def day_text(day: date | str, *, weekday: bool = True) -> str:
    """A settlement day: ``"Tue 08 Sep 2026"`` (``weekday=False``: ``"08 Sep 2026"``; GB local
    days have no zone to name); ISO text is parsed, anything else returned as it is."""
    if isinstance(day, str):
        try:
            return day_text(date.fromisoformat(day[:10]), weekday=weekday)
        except ValueError:
            return day
    return day.strftime("%a %d %b %Y" if weekday else "%d %b %Y")


def event_flag(code: object) -> int:
    """The status flag an event code raises (0 for unknown codes and restorations)."""
    try:
        return int(EventCode(int(code)).flag)  # type: ignore[call-overload]
    except (ValueError, TypeError):
        return 0


# ----------------------------------------------------------------------------------- durations


def duration(seconds: float) -> str:
    """``4 h 23 min 9 s``: a length of time for people (sign ignored; see
    :func:`signed_duration`). Under a minute to 0.1 s (``8.7 s``, ``0.0 s``); from a minute on,
    whole seconds with days, hours and minutes as needed, trailing zero parts left out
    (``10 min``, ``1 h 0 min 5 s``, ``2 d 3 h``). NaN or infinite: ``"—"``."""
    if not math.isfinite(seconds):
        return "—"
    s = abs(seconds)
    if round(s, 1) < 60:
        return f"{s:.1f} s"
    rest = int(round(s))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        n, rest = divmod(rest, size)
        parts.append((n, unit))
    while parts and parts[0][0] == 0:  # leading zeros
        parts.pop(0)
    while parts and parts[-1][0] == 0:  # trailing zeros
        parts.pop()
    return " ".join(f"{n} {unit}" for n, unit in parts)


def signed_duration(seconds: float) -> str:
    """``+10 min`` / ``-4 h 23 min 9 s`` / ``0.0 s`` (never ``-0.0 s``)."""
    text = duration(seconds)
    if text in ("—", "0.0 s"):
        return text
    return ("-" if seconds < 0 else "+") + text


def clock_deviation(seconds: float) -> str:
    """A meter clock's deviation from the reference (meter − reference, seconds):
    ``"4 h 23 min 9 s ahead"``, ``"10 min behind"``, ``"0.0 s"``."""
    text = duration(seconds)
    if text in ("—", "0.0 s"):
        return text
    return f"{text} {'ahead' if seconds > 0 else 'behind'}"


# ------------------------------------------------------------------------------- collections

#: collection source → what it is, for people
SOURCE_NAMES = {
    "hhdc": "HHDC export",
    "manufacturer": "Manufacturer export",
}


def _meta(c: dict) -> dict:
    meta = c.get("meta")
    return meta if isinstance(meta, dict) else {}


def collection_purpose(c: dict) -> str:
    """What a collection is: ``"Profile read"``, ``"Event-log read"``, ``"HHDC export"``…"""
    source = str(c.get("source") or "")
    if source in SOURCE_NAMES:
        return SOURCE_NAMES[source]
    meta = _meta(c)
    if meta.get("kind") == "events":
        return "Event-log read"
    if source and source != "bench":
        return f"{human_name(source)} import"
    return "Profile read" if c.get("rows") or c.get("span") else "Read"


def collection_name(c: dict) -> str:
    """``"Profile read 07 Dec 10:02 GMT"`` (``"… (DR4-1a)"`` when a checklist step made it):
    a collection by purpose and the time it was made. ``c`` is a collection as the store or
    the statement gives it (``source``, ``meta``, ``started_at``)."""
    name = collection_purpose(c)
    started = c.get("started_at")
    if started:
        try:
            name += " " + when_short(started)
        except (TypeError, ValueError):
            pass
    meta = _meta(c)
    if meta.get("step"):
        name += f" ({meta['step']})"
    return name


def collection_tooltip(c: dict) -> str:
    """The details behind a collection's name: ``"collection #21 · events read 1 · DR4-1b"``."""
    meta = _meta(c)
    parts = [f"collection #{c.get('id')}"] if c.get("id") is not None else []
    for key in ("label", "step"):
        if meta.get(key) and str(meta[key]) not in parts:
            parts.append(str(meta[key]))
    if c.get("source_file"):
        parts.append(str(c["source_file"]))
    if c.get("simulated"):
        parts.append("from a simulated outstation")
    return " · ".join(parts)


# --------------------------------------------------------------------------- internal names

#: internal identifiers whose plain reading is not enough
_NAMES = {
    "Sig_tester": "Tester's signature",
    "Sig_witness": "Witness's signature",
    "RESET": "Reset (not after a supply failure)",
    "OTHER_ERROR": "Other error",
    "DATA_INVALID": "Data invalid",
}


def human_name(name: str) -> str:
    """An internal name as text: ``PHASE_FAILURE`` → ``Phase failure``, ``Sig_tester`` →
    ``Tester's signature``; anything else with ``_`` as spaces and the first letter capital."""
    text = str(name)
    if text in _NAMES:
        return _NAMES[text]
    words = text.replace("_", " ").strip()
    return words[:1].upper() + words[1:].lower() if words.isupper() or "_" in text else words


# ------------------------------------------------------------------------------------- flags


@dataclass(frozen=True)
class FlagStyle:
    """How one status-flag bit is shown: ``name`` (table cells, legend), ``colour`` (#rrggbb:
    bars, markers, heat-map outlines, legend swatch) and ``legend`` (what the flag means)."""

    flag: StatusFlag
    name: str
    colour: str
    legend: str


#: Every status flag, in precedence order (the first set in a period gives its colour). The
#: colours tell the flags apart from each other and from the unflagged blue; every one is drawn
#: with a white halo on the heat map, so none disappears on dark cells.
FLAGS: tuple[FlagStyle, ...] = (
    FlagStyle(StatusFlag.SUPPLY_FAILURE, "Supply failure", "#b02a2a",
              "the outstation lost its supply in the period"),
    FlagStyle(StatusFlag.PHASE_FAILURE, "Phase failure", "#e67e22",
              "one or more phases were missing in the period"),
    FlagStyle(StatusFlag.CLOCK_CHANGE, "Clock change", "#8e44ad",
              "date or time changed through a port"),
    FlagStyle(StatusFlag.PERIOD_ADJUSTED, "Period adjusted", "#e377c2",
              "period shortened or lengthened by time synchronisation"),
    FlagStyle(StatusFlag.RESET, "Reset", "#17becf",
              "an equipment reset other than a supply failure"),
    FlagStyle(StatusFlag.BATTERY, "Battery", "#d4ac0d", "battery monitor alarm"),
    FlagStyle(StatusFlag.DATA_CHANGE, "Data change", "#2ca02c",
              "other data changed through a port"),
    FlagStyle(StatusFlag.REVERSE_RUNNING, "Reverse running", "#2c3e50",
              "energy ran backwards in the period"),
    FlagStyle(StatusFlag.OTHER_ERROR, "Other error", "#7f8c8d", "another error the meter logged"),
    FlagStyle(StatusFlag.DATA_INVALID, "Data invalid", "#000000",
              "the meter marked the value invalid"),
)  # fmt: skip
#: colour of an unflagged period (bars, legend)
NORMAL_COLOUR = "#5b8fd6"
#: the halo drawn under every flag outline on a heat map (visible on dark and light cells)
HALO_COLOUR = "#ffffff"


def flag_styles(status: int) -> list[FlagStyle]:
    """The styles of the flags set in ``status``, in precedence order."""
    return [f for f in FLAGS if int(status) & int(f.flag)]


def flag_names(status: int) -> list[str]:
    """Names of the flags set in ``status``: ``["Supply failure", "Battery"]``; a bit no flag
    of the table knows is named by its value (``"bit 0x8000"``)."""
    names = [f.name for f in flag_styles(status)]
    known = 0
    for f in FLAGS:
        known |= int(f.flag)
    unknown = int(status) & ~known
    bit = 1
    while unknown >= bit:
        if unknown & bit:
            names.append(f"bit 0x{bit:04x}")
        bit <<= 1
    return names


def flag_text(status: int, *, none: str = "") -> str:
    """``"Supply failure, Battery"``; ``none`` when no flag is set."""
    return ", ".join(flag_names(status)) or none


def flag_colour(status: int) -> str:
    """Colour for a period's status bits (:data:`NORMAL_COLOUR` when none are set)."""
    styles = flag_styles(status)
    return styles[0].colour if styles else NORMAL_COLOUR
