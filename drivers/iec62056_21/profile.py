"""Load profile (``P.01``) and event log (``P.98``) as the bench's IEC 62056-21 meters send them.

IEC 62056-21 fixes only the request — ``R5`` STX ``P.01(zYYMMDDhhmm;zYYMMDDhhmm)`` ETX BCC — and
leaves the answer to the manufacturer. We follow the common practice of the large European
makers (profile header + value lines); every format detail below is what the simulator sends and
what :func:`parse_profile`/:func:`parse_events` accept.

**Times** — ``zYYMMDDhhmm`` (profile) / ``zYYMMDDhhmmss`` (events): ``z`` is the season flag,
always ``0`` here because the bench works in UTC (a ``1`` is accepted and ignored; the season digit
may also be missing). Two-digit years are 2000–2099.

**Request range** — ``P.01(from;to)`` selects the intervals whose *capture time* (the interval's
**end**, as stamped by real meters) lies in ``[from, to]``, both inclusive, minute resolution.
Either bound may be empty (``P.01(;)`` = everything). ``P.98(from;to)`` selects events with
``from ≤ time < to + 1 min``.

**P.01 answer** (data block ``STX … ETX BCC``) — one or more groups, each a header line and one
value line per interval, intervals consecutive at the period::

    P.01(0YYMMDDhhmm)(SSSS)(pp)(n)(K1)(U1)(K2)(U2)…(Kn)(Un)
    (v1)(v2)…(vn)
    (v1)(v2)…(vn)

- ``0YYMMDDhhmm`` capture time (end) of the group's first interval, UTC;
- ``SSSS`` status of *every* interval of the group: 4 hex digits = :class:`drivers.model.StatusFlag`
  bits; a new header starts whenever the status changes or intervals are missing (gap);
- ``pp`` integration period in minutes (5, 10, 15, 20, 30);
- ``n`` number of channels, then ``n`` pairs (IEC address such as ``1.8.0``, unit such as ``kWh``);
- ``v`` decimal advance of the channel over the interval, in the channel unit (``42.123``);
  an empty ``()`` means "no valid value" (the row gets ``DATA_INVALID`` and ``nan``).

No interval in range: ``P.01()``. A request the meter cannot serve: ``(ERROR)``.

**P.98 answer** — one line per event, oldest first::

    P.98(0YYMMDDhhmmss)(SSSS)()(code)

``SSSS`` the status bits the event raised (hex, :class:`~drivers.model.StatusFlag`), the empty group
is the (unused) event value, ``code`` the decimal :class:`~drivers.model.EventCode`. No event in
range: ``P.98()``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from drivers.errors import ProtocolError
from drivers.iec62056_21.readout import DataSet, parse_data
from drivers.model import Channel, EventCode, MeterEvent, ProfileRow, StatusFlag, utc

_DIGITS = re.compile(r"^\d+$")


def format_time(dt: datetime, *, seconds: bool = False) -> str:
    """UTC ``datetime`` → ``0YYMMDDhhmm`` (``0YYMMDDhhmmss`` with ``seconds``)."""
    return utc(dt).strftime("0%y%m%d%H%M%S" if seconds else "0%y%m%d%H%M")


def parse_time(text: str) -> datetime:
    """``[z]YYMMDDhhmm[ss]`` → aware UTC datetime; :class:`ProtocolError` if malformed."""
    t = text.strip()
    if not _DIGITS.match(t) or len(t) not in (10, 11, 12, 13):
        raise ProtocolError(f"bad IEC time stamp {text!r}", data=text.encode("ascii", "replace"))
    if len(t) in (11, 13):
        t = t[1:]  # season flag
    try:
        return datetime.strptime(t, "%y%m%d%H%M%S" if len(t) == 12 else "%y%m%d%H%M").replace(
            tzinfo=UTC
        )
    except ValueError:
        raise ProtocolError(
            f"bad IEC time stamp {text!r}", data=text.encode("ascii", "replace")
        ) from None


def range_request(code: str, start: datetime | None, end: datetime | None) -> str:
    """``("P.01", a, b)`` → ``"P.01(0YYMMDDhhmm;0YYMMDDhhmm)"`` (None → empty bound)."""
    a = format_time(start) if start else ""
    b = format_time(end) if end else ""
    return f"{code}({a};{b})"


def parse_range(text: str) -> tuple[str, datetime | None, datetime | None]:
    """Meter side: ``"P.01(a;b)"`` → ``("P.01", a, b)``; :class:`ProtocolError` if malformed."""
    m = re.fullmatch(r"\s*([A-Z0-9.]+)\(([0-9]*);?([0-9]*)\)\s*", text)
    if not m:
        raise ProtocolError(f"bad range request {text!r}", data=text.encode("ascii", "replace"))
    code, a, b = m.groups()
    return code, parse_time(a) if a else None, parse_time(b) if b else None


@dataclass
class LoadProfile:
    """A parsed ``P.01`` answer: period (min), channels, rows (``start`` = interval start)."""

    period_min: int
    channels: list[Channel] = field(default_factory=list)
    rows: list[ProfileRow] = field(default_factory=list)


def format_profile(
    period_min: int,
    channels: list[tuple[str, str]],
    rows: list[tuple[datetime, list[str], int]],
) -> str:
    """Meter side: the data of a ``P.01`` answer (without STX/ETX) for rows oldest first.

    :param channels: ``(address, unit)`` per channel.
    :param rows: ``(interval start UTC, value texts, status bits)``.
    """
    if not rows:
        return "P.01()\r\n"
    period = timedelta(minutes=period_min)
    head_tail = f"({period_min:02d})({len(channels)})" + "".join(f"({a})({u})" for a, u in channels)
    out: list[str] = []
    prev_start: datetime | None = None
    prev_status: int | None = None
    for start, values, status in rows:
        if prev_start is None or start - prev_start != period or status != prev_status:
            out.append(f"P.01({format_time(start + period)})({status & 0xFFFF:04X}){head_tail}\r\n")
        out.append("".join(f"({v})" for v in values) + "\r\n")
        prev_start, prev_status = start, status
    return "".join(out)


def _bad(msg: str, ds: DataSet | None = None) -> ProtocolError:
    shown = repr(ds.values)[:200] if ds else ""
    return ProtocolError(f"{msg} {shown}".strip(), data=shown.encode("ascii", "replace"))


def parse_profile(data: bytes | str) -> LoadProfile:
    """Client side: parse a ``P.01`` answer (the bytes between STX and ETX).

    :raises ProtocolError: ``(ERROR)``, a value line before any header, a value count that does
        not match the header, a changed channel set, bad numbers or time stamps.
    """
    profile: LoadProfile | None = None
    time: datetime | None = None
    status = 0
    period = timedelta(0)
    n = 0
    for ds in parse_data(data):
        if ds.address == "P.01":
            vals = [v for v, _ in ds.values]
            if vals in ([""], []):
                continue  # P.01() — nothing in range
            if len(vals) < 4:
                raise _bad("P.01 header too short:", ds)
            try:
                status, pmin, n = int(vals[1], 16), int(vals[2]), int(vals[3])
            except ValueError:
                raise _bad("P.01 header has a bad status/period/count:", ds) from None
            if pmin <= 0 or len(vals) != 4 + 2 * n:
                raise _bad(f"P.01 header announces {n} channel(s) / period {pmin}:", ds)
            channels = [Channel(vals[4 + 2 * i], vals[5 + 2 * i] or None) for i in range(n)]
            if profile is None:
                profile = LoadProfile(pmin, channels)
            elif channels != profile.channels or pmin != profile.period_min:
                raise _bad("P.01 channel set or period changed between headers:", ds)
            period = timedelta(minutes=pmin)
            time = parse_time(vals[0]) - period
        elif ds.address == "" and ds.values:
            if ds.values[0][0] == "ERROR":
                raise _bad("meter answered (ERROR) to the load-profile request")
            if profile is None or time is None:
                raise _bad("P.01 value line before any header:", ds)
            if len(ds.values) != n:
                raise _bad(f"P.01 value line has {len(ds.values)} values, header says {n}:", ds)
            values: list[float] = []
            row_status = status
            for text, _ in ds.values:
                if text == "":
                    values.append(math.nan)
                    row_status |= StatusFlag.DATA_INVALID
                    continue
                try:
                    values.append(float(text))
                except ValueError:
                    raise _bad(f"P.01 value {text!r} is not a number:", ds) from None
            profile.rows.append(ProfileRow(time, values, int(row_status)))
            time += period
        else:
            raise _bad(f"unexpected data set {ds.address!r} in a P.01 answer:", ds)
    return profile or LoadProfile(0)


def format_events(events: list[tuple[datetime, int, int]]) -> str:
    """Meter side: ``P.98`` answer data for ``(time UTC, status bits, code)``, oldest first."""
    if not events:
        return "P.98()\r\n"
    return "".join(
        f"P.98({format_time(t, seconds=True)})({s & 0xFFFF:04X})()({c})\r\n" for t, s, c in events
    )


def event_text(code: int) -> str:
    try:
        return EventCode(code).text
    except ValueError:
        return f"event {code}"


def parse_events(data: bytes | str) -> list[MeterEvent]:
    """Client side: parse a ``P.98`` answer into :class:`MeterEvent` (UTC, canonical code, text)."""
    out: list[MeterEvent] = []
    for ds in parse_data(data):
        vals = [v for v, _ in ds.values]
        if ds.address == "" and vals[:1] == ["ERROR"]:
            raise _bad("meter answered (ERROR) to the event-log request")
        if ds.address != "P.98":
            raise _bad(f"unexpected data set {ds.address!r} in a P.98 answer:", ds)
        if vals in ([""], []):
            continue
        if len(vals) < 4:
            raise _bad("P.98 line too short:", ds)
        try:
            code = int(vals[3])
        except ValueError:
            raise _bad("P.98 event code is not a number:", ds) from None
        out.append(MeterEvent(parse_time(vals[0]), code, event_text(code)))
    return out
