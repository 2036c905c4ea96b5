"""The simulated outstation's COSEM object model: OBIS → interface class → attributes on SimMeter.

Objects (class id, OBIS, attributes served):

========================  =====  ===================================================================
OBIS                      class  content
========================  =====  ===================================================================
0.0.42.0.0.255            1      logical device name (octet-string)
0.0.96.1.0.255            1      serial number (octet-string)
0.0.96.1.1.255            1      outstation type code, e.g. ``PRO`` (octet-string)
1.0.0.2.0.255             1      firmware: metrology (octet-string)
0.1.0.2.0.255             1      firmware: application
0.2.0.2.0.255             1      firmware: communications
0.0.96.10.1.255           1      status of the current period (uint16 :class:`StatusFlag` bits)
0.0.96.11.0.255           1      last event code (uint16 :class:`EventCode`)
0.0.1.0.0.255             8      clock: 2 time (UTC, deviation 0), 3 time_zone, 4 status, 5–9 DST
1.0.{1,2,3,4}.8.0.255     3      energy registers: 2 value (Wh/varh, scaler 0), 3 scaler_unit
1.0.32/52/72.7.0.255      3      voltage L1–L3 (scaler −1, V)
1.0.31/51/71.7.0.255      3      current L1–L3 (scaler −2, A)
1.0.1.7.0.255             3      active power (scaler −1, W; negative when running in reverse)
1.0.13.7.0.255            3      power factor (scaler −3, no unit)
1.0.14.7.0.255            3      frequency (scaler −2, Hz)
1.0.99.1.0.255            7      load profile: clock (END of interval), status, 4 × energy advance
                                 in the interval (Wh/varh, uint32); 4 capture_period (s),
                                 7 entries_in_use; selective access by range (1) and entry (2)
0.0.99.98.0.255           7      event log: clock, event code (uint16)
0.0.40.0.0.255            15     current association: 2 object_list, 3 partners, 8 status
========================  =====  ===================================================================

Access per association level (levels and SAPs from the meter description):

* level 0 (public client, SAP 16): reads only the logical device name, the clock and the current
  association object; writes nothing;
* level 1: reads everything;
* level 2 (the HHDC's reading level): reads everything, sets the clock (attribute 2) and runs the
  clock methods (3 adjust_to_minute, 6 shift_time);
* level 3 and above: also write parameters — clock 3 time_zone and 8 DST enabled (each logged
  as "other data change via a port" by :meth:`SimMeter.change_parameter`).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from drivers.description import Description
from drivers.dlms import axdr, ber
from drivers.dlms.axdr import CosemDateTime, DataType
from drivers.model import EventCode
from drivers.obis import Obis
from drivers.sim import dlms_apdu as ap
from drivers.sim.behaviour import Behaviour
from drivers.sim.meter import SimMeter

CLOCK = bytes([0, 0, 1, 0, 0, 255])
LDN = bytes([0, 0, 42, 0, 0, 255])
ASSOCIATION = bytes([0, 0, 40, 0, 0, 255])
STATUS = bytes([0, 0, 96, 10, 1, 255])
EVENT_CODE = bytes([0, 0, 96, 11, 0, 255])
LOAD_PROFILE = bytes([1, 0, 99, 1, 0, 255])
EVENT_LOG = bytes([0, 0, 99, 98, 0, 255])
PUBLIC_OBJECTS = frozenset({LDN, CLOCK, ASSOCIATION})

UNITS = {"kWh": 30, "Wh": 30, "kvarh": 32, "varh": 32, "kVAh": 31, "V": 35, "A": 33, "W": 27}
UNIT_HZ, UNIT_NONE = 44, 255


#: selective-access dates are clamped into this span (the meter holds no data outside it, and
#: date arithmetic near year 1 or 9999 would overflow; epoch seconds stay valid on every OS).
EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
#: time_zone attribute range (minutes, Blue Book: −720…720; 0x8000 = not specified).
TIME_ZONE_RANGE = range(-720, 721)


class CosemError(Exception):
    """A request refused with a Data-Access-Result / Action-Result ``code``."""

    def __init__(self, code: int) -> None:
        super().__init__(f"data-access-result {code}")
        self.code = code


def obis_text(obis: bytes) -> str:
    return Obis.parse(obis).long


def obis_of(text: str) -> bytes:
    return Obis.parse(text).to_bytes()


def dt_bytes(when: datetime, hundredths: bool = True) -> bytes:
    """12-byte COSEM date-time of an aware UTC ``when`` (deviation 0, clock status 0)."""
    return CosemDateTime.from_datetime(
        when, deviation=0, clock_status=0, hundredths=hundredths
    ).encode()


def _uint(value: int) -> bytes:
    """Unsigned energy value: uint32 when it fits, else uint64."""
    if 0 <= value <= 0xFFFFFFFF:
        return b"\x06" + struct.pack(">I", value)
    return axdr.encode(max(0, value), DataType.UINT64)


def _octets(text: str | bytes) -> bytes:
    raw = text.encode("latin-1") if isinstance(text, str) else text
    return axdr.encode(raw, DataType.OCTET_STRING)


def _scaler_unit(scaler: int, unit: int) -> bytes:
    return b"\x02\x02" + axdr.encode(scaler, DataType.INT8) + axdr.encode(unit, DataType.ENUM)


def _capture_def(class_id: int, obis: bytes, attr: int) -> bytes:
    return (
        b"\x02\x04"
        + axdr.encode(class_id, DataType.UINT16)
        + _octets(obis)
        + axdr.encode(attr, DataType.INT8)
        + axdr.encode(0, DataType.UINT16)
    )


@dataclass
class Context:
    """The association a request arrives on."""

    level: int
    sap: int


Getter = Callable[[Context, int | None, Any], bytes]


class CosemObject:
    """One COSEM object: ``get``/``set``/``action`` raise :class:`CosemError` when refused."""

    class_id = 1
    version = 0

    def __init__(self, obis: bytes) -> None:
        self.obis = obis
        self.getters: dict[int, Getter] = {1: lambda ctx, sel, p: _octets(self.obis)}
        self.setters: dict[int, tuple[int, Callable[[Any], None]]] = {}
        self.methods: dict[int, tuple[int, Callable[[Any], bytes | None]]] = {}

    def readable(self, ctx: Context) -> bool:
        return ctx.level >= 1 or self.obis in PUBLIC_OBJECTS

    def get(
        self, ctx: Context, attr: int, selector: int | None = None, params: Any = None
    ) -> bytes:
        if attr not in self.getters:
            raise CosemError(ap.OBJECT_UNAVAILABLE)
        if not self.readable(ctx):
            raise CosemError(ap.READ_WRITE_DENIED)
        if selector is not None and attr not in self.selective_attrs():
            raise CosemError(ap.OTHER_REASON)
        return self.getters[attr](ctx, selector, params)

    def selective_attrs(self) -> tuple[int, ...]:
        return ()

    def set(self, ctx: Context, attr: int, value: Any) -> None:
        if attr not in self.setters:
            raise CosemError(
                ap.READ_WRITE_DENIED if attr in self.getters else ap.OBJECT_UNAVAILABLE
            )
        level, fn = self.setters[attr]
        if ctx.level < level:
            raise CosemError(ap.READ_WRITE_DENIED)
        fn(value)

    def action(self, ctx: Context, method: int, params: Any) -> bytes | None:
        if method not in self.methods:
            raise CosemError(ap.OBJECT_UNAVAILABLE)
        level, fn = self.methods[method]
        if ctx.level < level:
            raise CosemError(ap.READ_WRITE_DENIED)
        return fn(params)

    def access_rights(self, ctx: Context) -> bytes:
        """Association LN object_list access_rights for this object at ``ctx``'s level."""
        attrs = []
        for attr in sorted(self.getters):
            mode = 1 if self.readable(ctx) else 0
            if attr in self.setters and ctx.level >= self.setters[attr][0]:
                mode |= 2
            attrs.append(
                b"\x02\x03"
                + axdr.encode(attr, DataType.INT8)
                + axdr.encode(mode, DataType.ENUM)
                + b"\x00"
            )
        methods = [
            b"\x02\x02"
            + axdr.encode(m, DataType.INT8)
            + axdr.encode(1 if ctx.level >= lv else 0, DataType.ENUM)
            for m, (lv, _) in sorted(self.methods.items())
        ]
        return (
            b"\x02\x02\x01" + ber.encode_length(len(attrs)) + b"".join(attrs)
            + b"\x01" + ber.encode_length(len(methods)) + b"".join(methods)
        )  # fmt: skip


class DataObject(CosemObject):
    """Class 1 Data: attribute 2 value (encoded by ``value()``)."""

    class_id = 1

    def __init__(self, obis: bytes, value: Callable[[], bytes]) -> None:
        super().__init__(obis)
        self.getters[2] = lambda ctx, sel, p: value()


class RegisterObject(CosemObject):
    """Class 3 Register: 2 value, 3 scaler_unit."""

    class_id = 3

    def __init__(self, obis: bytes, value: Callable[[], bytes], scaler: int, unit: int) -> None:
        super().__init__(obis)
        self.getters[2] = lambda ctx, sel, p: value()
        self.getters[3] = lambda ctx, sel, p: _scaler_unit(scaler, unit)


class ClockObject(CosemObject):
    """Class 8 Clock on the meter's clock (UTC, GB settlement time)."""

    class_id = 8

    def __init__(self, meter: SimMeter) -> None:
        super().__init__(CLOCK)
        self.meter = meter
        p = meter.parameters
        p.setdefault("time_zone", 0)
        p.setdefault("dst_enabled", False)
        self.getters.update(
            {
                2: lambda c, s, x: _octets(dt_bytes(meter.meter_now())),
                3: lambda c, s, x: axdr.encode(p["time_zone"], DataType.INT16),
                4: lambda c, s, x: axdr.encode(0, DataType.UINT8),
                5: lambda c, s, x: _octets(bytes.fromhex("ffff03fe07010000008000ff")),
                6: lambda c, s, x: _octets(bytes.fromhex("ffff0afe07020000008000ff")),
                7: lambda c, s, x: axdr.encode(60, DataType.INT8),
                8: lambda c, s, x: axdr.encode(bool(p["dst_enabled"]), DataType.BOOLEAN),
                9: lambda c, s, x: axdr.encode(1, DataType.ENUM),
            }
        )
        self.setters = {
            2: (2, self._set_time),
            3: (3, self._set_time_zone),
            8: (3, self._set_dst_enabled),
        }
        self.methods = {3: (2, self._adjust_to_minute), 6: (2, self._shift_time)}

    def _set_time(self, value: Any) -> None:
        dt = axdr.as_datetime(value)
        when = dt.to_datetime() if dt is not None else None
        if when is None:
            raise CosemError(ap.TYPE_UNMATCHED)
        try:
            self.meter.set_clock(when)  # refuses a clock beyond ±400 days (bounded data)
        except (ValueError, OverflowError):
            raise CosemError(ap.OTHER_REASON) from None

    def _set_time_zone(self, value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise CosemError(ap.TYPE_UNMATCHED)
        if value not in TIME_ZONE_RANGE and value != axdr.DEVIATION_NOT_SPECIFIED:
            raise CosemError(ap.OTHER_REASON)  # a time zone beyond ±12 h
        self.meter.change_parameter("time_zone", value)

    def _set_dst_enabled(self, value: Any) -> None:
        if not isinstance(value, bool):
            raise CosemError(ap.TYPE_UNMATCHED)
        self.meter.change_parameter("dst_enabled", value)

    def _adjust_to_minute(self, params: Any) -> None:
        now = self.meter.meter_now()
        base = now.replace(second=0, microsecond=0)
        self.meter.set_clock(base + timedelta(minutes=1) if now.second >= 30 else base)

    def _shift_time(self, params: Any) -> None:
        if not isinstance(params, int) or isinstance(params, bool) or not -900 <= params <= 900:
            raise CosemError(ap.TYPE_UNMATCHED)
        self.meter.set_clock(self.meter.meter_now() + timedelta(seconds=params))


class ProfileObject(CosemObject):
    """Class 7 Profile Generic over rows ``(clock, values…)``.

    :param columns: capture objects ``(class_id, obis, attr)``; column 0 is the clock.
    :param rows: ``rows(start, end)`` → encoded row structures whose clock lies in
        ``[start, end]`` (None = open); each item is ``(clock, [encoded column values])``.
    """

    class_id = 7
    version = 1

    def __init__(
        self,
        obis: bytes,
        columns: list[tuple[int, bytes, int]],
        rows: Callable[[datetime | None, datetime | None], list[tuple[datetime, list[bytes]]]],
        period_s: Callable[[], int],
        entries: Callable[[], int],
        capacity: Callable[[], int],
        behaviour: Behaviour | None = None,
    ) -> None:
        super().__init__(obis)
        self.behaviour = behaviour or Behaviour()
        self.columns = columns
        self.rows = rows
        self.getters.update(
            {
                2: self._buffer,
                3: lambda c, s, x: b"\x01" + ber.encode_length(len(columns))
                + b"".join(_capture_def(*col) for col in columns),
                4: lambda c, s, x: axdr.encode(period_s(), DataType.UINT32),
                5: lambda c, s, x: axdr.encode(1, DataType.ENUM),  # fifo
                6: lambda c, s, x: _capture_def(0, bytes(6), 0),
                7: lambda c, s, x: axdr.encode(entries(), DataType.UINT32),
                8: lambda c, s, x: axdr.encode(capacity(), DataType.UINT32),
            }
        )  # fmt: skip

    def selective_attrs(self) -> tuple[int, ...]:
        return (2,)

    def _select_columns(self, selected: Any) -> list[int]:
        if not selected:
            return list(range(len(self.columns)))
        out = []
        for item in selected:
            try:
                class_id, obis, attr = item[0], _obis_value(item[1]), item[2]
            except (TypeError, IndexError, KeyError):
                raise CosemError(ap.TYPE_UNMATCHED) from None
            idx = next((i for i, c in enumerate(self.columns) if c == (class_id, obis, attr)), None)
            if idx is None:
                raise CosemError(ap.OBJECT_UNAVAILABLE)
            out.append(idx)
        return out

    def _buffer(self, ctx: Context, selector: int | None, params: Any) -> bytes:
        cols = list(range(len(self.columns)))
        if selector is not None and selector not in self.behaviour.selectors:
            raise CosemError(ap.OTHER_REASON)  # this meter offers no such selective access
        if selector is None:
            rows = self.rows(None, None)
        elif selector == 1:
            try:
                restrict, lo, hi, selected = params
                restrict_key = (restrict[0], _obis_value(restrict[1]), restrict[2])
            except (TypeError, ValueError, IndexError, KeyError):
                raise CosemError(ap.TYPE_UNMATCHED) from None
            if restrict_key not in self.columns or restrict_key[0] != 8:
                raise CosemError(ap.OTHER_REASON)
            start, end = _bound(lo), _bound(hi)
            rows = self.rows(start, end)
            cols = self._select_columns(selected)
            if self.behaviour.range_deviation == "unspecified" and not _unspecified(lo, hi):
                rows = []  # the meter quietly finds nothing for a range with a deviation
        elif selector == 2:
            try:
                first, last, col_lo, col_hi = params
            except (TypeError, ValueError):
                raise CosemError(ap.TYPE_UNMATCHED) from None
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in params):
                raise CosemError(ap.TYPE_UNMATCHED)  # floats (inf, NaN) are not entry numbers
            every = self.rows(None, None)
            first = max(first, 1)
            rows = every[first - 1 : (last or len(every))]
            col_hi = col_hi or len(self.columns)
            cols = list(range(max(col_lo, 1) - 1, min(col_hi, len(self.columns))))
        else:
            raise CosemError(ap.OTHER_REASON)
        head = b"\x02" + ber.encode_length(len(cols))
        parts = [b"\x01" + ber.encode_length(len(rows))]
        all_cols = len(cols) == len(self.columns)
        for _, values in rows:
            parts.append(
                head + (b"".join(values) if all_cols else b"".join(values[i] for i in cols))
            )
        return b"".join(parts)


def _obis_value(value: Any) -> bytes:
    """A logical name from a client: exactly 6 bytes (never ``bytes(int)``, which allocates)."""
    if not isinstance(value, bytes | bytearray) or len(value) != 6:
        raise TypeError("a logical name is a 6-byte octet-string")
    return bytes(value)


def _unspecified(*values: Any) -> bool:
    """Every date-time of ``values`` has deviation "not specified" (0x8000)."""
    return all(
        (dt := axdr.as_datetime(v)) is not None and dt.deviation == axdr.DEVIATION_NOT_SPECIFIED
        for v in values
    )


def _bound(value: Any) -> datetime | None:
    dt = axdr.as_datetime(value)
    if dt is None:
        raise CosemError(ap.TYPE_UNMATCHED)
    when = dt.to_datetime()  # None when "not specified" → open bound
    return None if when is None else min(max(when, EARLIEST), LATEST)


class AssociationObject(CosemObject):
    """Class 15 Association LN (current association): 2 object_list, 3 partners, 8 status."""

    class_id = 15
    version = 1

    def __init__(self, model: CosemModel) -> None:
        super().__init__(ASSOCIATION)
        self.getters.update(
            {
                2: lambda c, s, x: model.object_list(c),
                3: lambda c, s, x: b"\x02\x02" + axdr.encode(c.sap, DataType.INT8)
                + axdr.encode(1, DataType.UINT16),
                8: lambda c, s, x: axdr.encode(2, DataType.ENUM),  # associated
            }
        )  # fmt: skip


#: event kinds served from a second event log when the description names one (power quality).
PHASE_EVENTS = frozenset(
    {
        EventCode.PHASE_FAILURE_L1,
        EventCode.PHASE_FAILURE_L2,
        EventCode.PHASE_FAILURE_L3,
        EventCode.PHASE_RESTORED,
    }
)


class CosemModel:
    """Every COSEM object of one simulated meter, keyed by ``(class_id, obis)``.

    Which objects exist, at which OBIS codes, and how event codes and status bits are numbered come
    from the meter description (``description.meter_type``, the file the drivers read too).
    ``without`` leaves objects out (long OBIS codes), so a lab can rehearse a meter that lacks them.
    """

    def __init__(self, meter: SimMeter, without: frozenset[str] | set[str] = frozenset()) -> None:
        self.meter = meter
        d = meter.description
        t = d.meter_type or Description("builtin", "<builtin>")
        self.meter_type = t
        values = {
            "logical_device_name": d.logical_device_name,
            "serial": d.serial,
            "outstation_type": d.outstation_type,
        }
        objs: list[CosemObject] = [
            DataObject(obis_of(o), partial(lambda k: _octets(values.get(k, "")), k))
            for k, o in t.identity.items()
        ]
        objs += [
            DataObject(obis_of(o), partial(lambda k: _octets(d.firmware.get(k, "")), k))
            for k, o in t.firmware.items()
        ]
        status = obis_of(t.profile_status or obis_text(STATUS))
        event_code = obis_of(t.event_code)
        objs += [
            DataObject(
                status, lambda: axdr.encode(self._status(meter.meter_now()), DataType.UINT16)
            ),
            DataObject(event_code, self._last_event),
            ClockObject(meter),
        ]
        def register(i: int) -> bytes:
            return _uint(meter.registers_wh()[i][1])

        for i, spec in enumerate(d.channels):
            objs.append(
                RegisterObject(
                    obis_of(spec.obis),
                    partial(register, i),
                    0,
                    UNITS.get(spec.unit, UNIT_NONE),
                )
            )
        wanted = set(t.instantaneous)
        objs += [o for o in self._instantaneous() if obis_text(o.obis) in wanted]
        per_day = 86400 // meter.period_s
        columns = [(1, status, 2)] + [(3, obis_of(c.obis), 2) for c in d.channels]
        self.clock_column = meter.behaviour.clock_column
        columns.insert(self.clock_column, (8, CLOCK, 2))
        objs.append(
            ProfileObject(
                obis_of(t.load_profile),
                columns,
                self._profile_rows,
                lambda: meter.period_s,
                meter.interval_count,
                lambda: max(meter.interval_count(), 120 * per_day),
                meter.behaviour,
            )
        )
        for n, log in enumerate(t.event_logs):
            objs.append(
                ProfileObject(
                    obis_of(log),
                    [(8, CLOCK, 2), (1, event_code, 2)],
                    partial(self._event_rows, log_number=n),
                    lambda: 0,
                    lambda: int(meter.state()["events"]),
                    lambda: max(int(meter.state()["events"]), 1000),
                    meter.behaviour,
                )
            )
        objs.append(AssociationObject(self))
        gone = {Obis.parse(w).long for w in without}
        self.objects = {(o.class_id, o.obis): o for o in objs if obis_text(o.obis) not in gone}

    def _status(self, when: datetime) -> int:
        """The meter's status word for the period at ``when`` (description's bit numbering)."""
        return self.meter_type.status_of(self.meter.status_of(when)) & 0xFFFF

    def _code(self, code: int) -> int:
        """Bench event kind → the meter's own event code."""
        mine = self.meter_type.meter_event_code(EventCode(code)) if self.meter_type else None
        return code if mine is None else mine

    # -- lookups ----------------------------------------------------------------------------------
    def find(self, class_id: int, obis: bytes) -> CosemObject:
        obj = self.objects.get((class_id, bytes(obis)))
        if obj is None:
            known = any(o.obis == bytes(obis) for o in self.objects.values())
            raise CosemError(ap.OBJECT_CLASS_INCONSISTENT if known else ap.OBJECT_UNDEFINED)
        return obj

    def object_list(self, ctx: Context) -> bytes:
        items = [
            b"\x02\x04"
            + axdr.encode(o.class_id, DataType.UINT16)
            + axdr.encode(o.version, DataType.UINT8)
            + _octets(o.obis)
            + o.access_rights(ctx)
            for o in self.objects.values()
        ]
        return b"\x01" + ber.encode_length(len(items)) + b"".join(items)

    # -- data sources -----------------------------------------------------------------------------
    def _last_event(self) -> bytes:
        events = self.meter._events
        return axdr.encode(self._code(events[-1][1]) if events else 0, DataType.UINT16)

    def _instantaneous(self) -> list[CosemObject]:
        meter = self.meter
        specs = [
            ("1.0.32.7.0.255", -1, 35, DataType.UINT16),
            ("1.0.52.7.0.255", -1, 35, DataType.UINT16),
            ("1.0.72.7.0.255", -1, 35, DataType.UINT16),
            ("1.0.31.7.0.255", -2, 33, DataType.UINT32),
            ("1.0.51.7.0.255", -2, 33, DataType.UINT32),
            ("1.0.71.7.0.255", -2, 33, DataType.UINT32),
            ("1.0.1.7.0.255", -1, 27, DataType.INT32),
            ("1.0.13.7.0.255", -3, UNIT_NONE, DataType.INT16),
            ("1.0.14.7.0.255", -2, UNIT_HZ, DataType.UINT16),
        ]

        def value(obis: str, scaler: int, kind: DataType) -> bytes:
            raw = meter.instantaneous()[obis][0]
            return axdr.encode(int(round(raw / 10**scaler)), kind)

        return [
            RegisterObject(obis_of(o), partial(value, o, s, k), s, u)
            for o, s, u, k in specs
        ]

    def _profile_rows(
        self, start: datetime | None, end: datetime | None
    ) -> list[tuple[datetime, list[bytes]]]:
        """Rows whose clock (END of the interval) lies in ``[start, end]``."""
        period = self.meter.period_s
        lo = None if start is None else start - timedelta(seconds=period)
        hi = None
        if end is not None:
            hi = datetime.fromtimestamp(math.floor(end.timestamp() - period) + 1, UTC)
        out = []
        for row_start, values, status in self.meter.profile_rows(lo, hi):
            clock = row_start + timedelta(seconds=period)
            if start is not None and clock < start:
                continue
            status_word = self.meter_type.status_of(status) & 0xFFFF
            cells = [b"\x12" + struct.pack(">H", status_word)] + [_uint(v) for v in values]
            cells.insert(self.clock_column, _octets(dt_bytes(clock, hundredths=False)))
            out.append((clock, cells))
        return out

    def _event_rows(
        self, start: datetime | None, end: datetime | None, log_number: int = 0
    ) -> list[tuple[datetime, list[bytes]]]:
        """Rows of event log ``log_number``: with two logs, phase events go to the second."""
        hi = None if end is None else end + timedelta(microseconds=1)
        split = len(self.meter_type.event_logs) > 1
        return [
            (e.time, [_octets(dt_bytes(e.time)), b"\x12" + struct.pack(">H", self._code(e.code))])
            for e in self.meter.events(start, hi)
            if not split or (e.code in PHASE_EVENTS) == (log_number == 1)
        ]
