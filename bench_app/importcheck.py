"""Checks an imported export must pass before anything is stored.

* **Time**: settlement periods on clock-change days, local wall-clock times in the repeated autumn
  hour and the skipped spring hour (:class:`LocalTimes`).
* **Plausible values** (:func:`check_plausible`): an energy advance per period is never negative
  (export is a channel of its own) and never more than the meter can pass in one period —
  ``--max-kwh-per-period``, else the session's meter description's ``max_kwh_per_period``
  (:func:`bench_app.meters.session_description`), else the mapping's ``[checks]
  max_kwh_per_period``, else :data:`DEFAULT_MAX_KWH`.
* **Identity** (:func:`identity_check`): the file's meter serial against the session's declared
  equipment and the serials the bench read (or, when the session has neither, earlier imports),
  and its MPAN against the MPANs of earlier imports.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bench_app import settlement
from bench_app.errors import DataImportError
from drivers.model import normalise

#: Default bound on one period's energy, kWh (or kvarh): 1 000 000 kWh in half an hour is 2 GW,
#: more than any single GB metering system. Give the meter's own figure with
#: ``--max-kwh-per-period`` to catch smaller absurdities.
DEFAULT_MAX_KWH = Decimal(1_000_000)
ENERGY_UNITS = ("kWh", "kvarh", "kVAh")
_ABBREVIATIONS = {"Z": 0, "UTC": 0, "GMT": 0, "BST": 1}


class LineError(ValueError):
    """A reason why the current line is bad (becomes ``file:line: reason``)."""


def positive_limit(value: object) -> Decimal:
    """A ``max_kwh_per_period`` setting as a Decimal > 0.

    :raises ValueError: not a finite positive number.
    """
    try:
        limit = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"max_kwh_per_period {value!r} is not a number") from None
    if not limit.is_finite() or limit <= 0:
        raise ValueError(f"max_kwh_per_period must be a number > 0, not {value!r}")
    return limit


def to_kilo(value: Decimal, unit: str) -> tuple[Decimal, str]:
    """``value`` in the bench's kilo unit, exactly (``3131 Wh`` → ``3.131 kWh``)."""
    factor, base = normalise(1.0, unit)
    if factor == 1.0:
        return value, base or unit
    return value * Decimal(repr(factor)), base or unit


def check_plausible(value: Decimal, unit: str, limit: Decimal, what: str) -> None:
    """Refuse a negative or impossible energy advance (other units are not checked).

    :raises LineError: naming the value, the unit and the bound.
    """
    if unit not in ENERGY_UNITS:
        return
    shown = f"{value.normalize():f}" if abs(value) < Decimal("1e15") else f"{value:E}"
    if value < 0:
        raise LineError(
            f"{what} {shown} {unit} is negative; an energy advance per period cannot be "
            "(reverse energy is a channel of its own)"
        )
    if value > limit:
        raise LineError(
            f"{what} {shown} {unit} is more than {limit.normalize():f} {unit} in one period, "
            "more than the meter can pass (bound: --max-kwh-per-period, else the session's meter "
            "description's max_kwh_per_period, else the mapping's)"
        )


def clock_change_note(day: date) -> str:
    """``" — the clocks go forward that day"`` on a clock-change day, else ``""``."""
    n = settlement.periods_in_day(day)
    if n == 46:
        return " — the clocks go forward that day"
    if n == 50:
        return " — the clocks go back that day"
    return ""


def sp_start(day: date, text: str | int) -> datetime:
    """UTC start of settlement period ``text`` of ``day``.

    :raises LineError: not a whole number, or no such period that day (naming the day).
    """
    try:
        sp = int(str(text).strip())
    except ValueError:
        raise LineError(f"settlement period {text!r} is not a whole number") from None
    try:
        return settlement.period_start(day, sp)
    except ValueError as exc:
        raise LineError(f"{exc}{clock_change_note(day)}") from None


def _offset(text: str) -> timezone:
    """``+01:00`` / ``+0100`` / ``+1`` / ``BST`` / ``GMT`` / ``Z`` → a fixed offset."""
    t = text.strip().upper()
    if t in _ABBREVIATIONS:
        return timezone(timedelta(hours=_ABBREVIATIONS[t]))
    sign = -1 if t.startswith("-") else 1
    digits = t.lstrip("+-").replace(":", "")
    if not digits.isdigit() or len(digits) not in (1, 2, 4):
        raise LineError(f"UTC offset {text!r} is not +HH:MM, BST, GMT or Z")
    hours, minutes = (int(digits), 0) if len(digits) <= 2 else (int(digits[:2]), int(digits[2:]))
    if hours > 14 or minutes > 59:
        raise LineError(f"UTC offset {text!r} is out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


class LocalTimes:
    """Naive timestamps in a zone → UTC, carrying the repeated autumn hour.

    A wall-clock time that happens twice (01:00–01:59 on the autumn clock-change day in London)
    is resolved, in this order, by the line's offset column (``+01:00``, ``BST``, ``GMT``), by an
    offset in the timestamp itself, or by order within the file: the first line for a channel at
    that wall-clock time is the first occurrence (BST), the second the later one (GMT). A time
    that does not exist (the skipped spring hour) is an error naming the day.
    """

    def __init__(self, zone: str) -> None:
        self.name = zone
        self.is_utc = zone.upper() == "UTC"
        try:
            self.zone: tzinfo = UTC if self.is_utc else ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise DataImportError(f"mapping: unknown time zone {zone!r}") from None
        self._count: dict[tuple[str, datetime], int] = {}
        self.repeated: set[str] = set()

    def resolve(self, text: str, pattern: str, offset_text: str, channel: str) -> datetime:
        """Aware UTC start of the line's interval.

        :raises LineError: unparsable, not on a whole minute, nonexistent or thrice-repeated.
        """
        try:
            stamp = text.strip()
            dt = (
                datetime.fromisoformat(stamp)
                if pattern == "iso"
                else datetime.strptime(stamp, pattern)
            )
        except ValueError:
            raise LineError(f"timestamp {text!r} does not match {pattern!r}") from None
        if dt.tzinfo is None and offset_text:
            dt = self._with_offset(dt, offset_text)
        elif dt.tzinfo is None:
            dt = self._wall_clock(dt, channel)
        dt = dt.astimezone(UTC)
        if dt.second or dt.microsecond:
            raise LineError(f"timestamp {text!r} is not on a whole minute")
        return dt

    def _with_offset(self, dt: datetime, offset_text: str) -> datetime:
        aware = dt.replace(tzinfo=_offset(offset_text))
        if not self.is_utc and aware.astimezone(self.zone).replace(tzinfo=None) != dt:
            raise LineError(
                f"{dt.isoformat()} {offset_text.strip()} is not a time {self.name} ever shows "
                "(wrong offset for that date)"
            )
        return aware

    def _wall_clock(self, dt: datetime, channel: str) -> datetime:
        if self.is_utc:
            return dt.replace(tzinfo=UTC)
        first = dt.replace(tzinfo=self.zone, fold=0)
        second = dt.replace(tzinfo=self.zone, fold=1)
        if first.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) != dt:
            day = dt.date()
            raise LineError(
                f"{dt.isoformat()} does not exist in {self.name}: the clocks skip that hour on "
                f"{day.isoformat()}, a settlement day of {settlement.periods_in_day(day)} periods"
            )
        if first.utcoffset() == second.utcoffset():
            return first
        key = (channel, dt)
        seen = self._count.get(key, 0)
        if seen >= 2:
            raise LineError(
                f"{dt.isoformat()} for {channel} appears a third time; the autumn hour "
                f"repeats only once on {dt.date().isoformat()}"
            )
        self._count[key] = seen + 1
        self.repeated.add(dt.date().isoformat())
        return second if seen else first


def session_serials(store, session_id: int) -> set[str]:
    """The session's meter serials: declared (equipment) and read by the bench — a bench read of
    another meter stored with ``--accept-serial`` (it carries ``deviations``) does not count."""
    serials: set[str] = set()
    eq = store.equipment(session_id)
    if eq:
        serials |= {str(s) for s in eq.get("serials") or [] if s}
    for coll in store.collections(session_id):
        meta = coll.get("meta") or {}
        ident = meta.get("identity") or {}
        if coll["source"] == "bench" and ident.get("serial") and not meta.get("deviations"):
            serials.add(str(ident["serial"]))
    return serials


def _imported(store, session_id: int, key: str) -> set[str]:
    """Serials or MPANs (``key`` = ``serials``/``mpans``) named by earlier imports."""
    found: set[str] = set()
    for coll in store.collections(session_id):
        found |= set((coll.get("meta") or {}).get(key) or [])
    return found


def identity_check(store, session_id: int, fname: str, meta: dict, accept: bool) -> dict:
    """Compare the file's serial(s)/MPAN(s) (``meta``) with the session's.

    Returns metadata to store with the collection: ``identity_check`` (what was compared, and
    the result) and, when a mismatch was accepted, ``deviations`` (one line each).

    :raises DataImportError: a mismatch and not ``accept`` (nothing is stored then).
    """
    want_serials = session_serials(store, session_id)
    whose = "the session's meter"
    if not want_serials:  # nothing declared or read: earlier imports are the reference
        want_serials, whose = _imported(store, session_id, "serials"), "earlier imports"
    want_mpans = _imported(store, session_id, "mpans")
    problems = []
    file_serials, file_mpans = set(meta.get("serials") or []), set(meta.get("mpans") or [])
    if want_serials and file_serials - want_serials:
        problems.append(
            f"meter serial {', '.join(sorted(file_serials - want_serials))} in {fname} is not "
            f"{whose} ({', '.join(sorted(want_serials))})"
        )
    if len(file_mpans) > 1:
        problems.append(f"{fname} holds {len(file_mpans)} MPANs: {', '.join(sorted(file_mpans))}")
    elif want_mpans and file_mpans - want_mpans:
        problems.append(
            f"MPAN {', '.join(sorted(file_mpans))} in {fname} differs from the MPAN of earlier "
            f"imports ({', '.join(sorted(want_mpans))})"
        )
    if not want_serials:
        result = (
            "serial not checked: the session declares no meter serial, has no bench read "
            "and no earlier import"
        )
    elif not file_serials:
        result = f"serial not checked: {fname} has no serial column"
    else:
        result = f"serial matches {whose}"
    check = {"result": result, "session_serials": sorted(want_serials), "problems": problems}
    if problems and not accept:
        raise DataImportError(
            f"{fname}: " + "; ".join(problems) + ". Nothing imported; if this really is the "
            "meter under test, import again with --accept-serial (recorded as a deviation)"
        )
    out: dict = {"identity_check": check}
    if problems:
        check["result"] = "mismatch accepted (--accept-serial)"
        out["deviations"] = [f"{p}; accepted with --accept-serial" for p in problems]
    return out
