"""A-XDR encoding of COSEM ``Data`` (IEC 62056-6-2 / -5-3), and the COSEM date-time.

Two views of the same bytes:

* :func:`decode` → plain Python values: null → None, array → ``list``, structure → ``tuple``,
  boolean → bool, integers and enum → int, bit-string → ``str`` of ``"0"``/``"1"``,
  octet-string → bytes, visible-string / UTF8 → str, bcd → int (the raw byte 0…255),
  float32/float64 → float, date-time → :class:`CosemDateTime`, date → :class:`CosemDate`,
  time → :class:`CosemTime`.
* :func:`decode_typed` → a :class:`Typed` tree that keeps every tag, so that
  ``decode_typed(encode_typed(t)) == (t, b"")`` exactly.

:func:`encode` takes ``(value, type)``. Scalars take plain values; for ``ARRAY`` and ``STRUCTURE``
each element must be a :class:`Typed` (or an already encoded ``bytes`` element).

Lengths and element counts use the A-XDR variable-length form: ``< 0x80`` one byte, otherwise
``0x81 n``, ``0x82 nn``, ``0x83 nnn``, ``0x84 nnnn`` (read and written by :mod:`drivers.dlms.ber`).

COSEM date-time (12 bytes): year(2, 0xFFFF = not specified) month day weekday hour minute second
hundredths (0xFF = not specified) deviation (int16 minutes, 0x8000 = not specified) clock-status
(0xFF = not specified). The deviation follows the Blue Book: minutes *from local time to UTC*,
so ``UTC = local + deviation`` (CET winter → −60). Meters usually send a date-time inside an
octet-string (``09 0C …``); :func:`as_datetime` accepts both forms.

Every malformed input raises :class:`drivers.errors.ProtocolError` and nothing else.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from drivers.dlms.ber import decode_length, encode_length
from drivers.errors import ProtocolError

NOT_SPECIFIED = 0xFF
YEAR_NOT_SPECIFIED = 0xFFFF
DEVIATION_NOT_SPECIFIED = -0x8000  #: 0x8000 read as int16
MAX_DEPTH = 32  #: deepest nesting of arrays/structures accepted by the decoder


class DataType(enum.IntEnum):
    """A-XDR ``Data`` choice tags."""

    NULL = 0
    ARRAY = 1
    STRUCTURE = 2
    BOOLEAN = 3
    BIT_STRING = 4
    INT32 = 5
    UINT32 = 6
    OCTET_STRING = 9
    VISIBLE_STRING = 10
    UTF8_STRING = 12
    BCD = 13
    INT8 = 15
    INT16 = 16
    UINT8 = 17
    UINT16 = 18
    INT64 = 20
    UINT64 = 21
    ENUM = 22
    FLOAT32 = 23
    FLOAT64 = 24
    DATE_TIME = 25
    DATE = 26
    TIME = 27


#: integer types → (struct format, size)
_INTS: dict[DataType, tuple[str, int]] = {
    DataType.INT8: (">b", 1),
    DataType.UINT8: (">B", 1),
    DataType.ENUM: (">B", 1),
    DataType.BCD: (">B", 1),
    DataType.INT16: (">h", 2),
    DataType.UINT16: (">H", 2),
    DataType.INT32: (">i", 4),
    DataType.UINT32: (">I", 4),
    DataType.INT64: (">q", 8),
    DataType.UINT64: (">Q", 8),
}
_FLOATS = {DataType.FLOAT32: (">f", 4), DataType.FLOAT64: (">d", 8)}


# -- date and time --------------------------------------------------------------------------------
@dataclass(frozen=True)
class CosemDate:
    """COSEM date (5 bytes); 0xFFFF year / 0xFF fields mean "not specified"."""

    year: int = YEAR_NOT_SPECIFIED
    month: int = NOT_SPECIFIED
    day: int = NOT_SPECIFIED
    weekday: int = NOT_SPECIFIED

    def encode(self) -> bytes:
        return struct.pack(">HBBB", self.year, self.month, self.day, self.weekday)


@dataclass(frozen=True)
class CosemTime:
    """COSEM time (4 bytes); 0xFF fields mean "not specified"."""

    hour: int = NOT_SPECIFIED
    minute: int = NOT_SPECIFIED
    second: int = NOT_SPECIFIED
    hundredths: int = NOT_SPECIFIED

    def encode(self) -> bytes:
        return bytes([self.hour, self.minute, self.second, self.hundredths])


@dataclass(frozen=True)
class CosemDateTime:
    """COSEM date-time (12 bytes) with every field kept as sent.

    :param year: 0…0xFFFE, 0xFFFF = not specified.
    :param month: 1…12, 0xFD/0xFE = DST end/begin, 0xFF = not specified.
    :param day: 1…31, 0xFD/0xFE = second last / last day, 0xFF = not specified.
    :param weekday: 1 (Monday)…7, 0xFF = not specified.
    :param hour: 0…23 (0xFF n.s.); ``minute``/``second`` 0…59; ``hundredths`` 0…99 (0xFF n.s.).
    :param deviation: minutes from local time to UTC, −720…720; −32768 (0x8000) = not specified.
    :param clock_status: status bits (0x80 = DST active, 0x01 invalid, 0x02 doubtful…),
        0xFF = not specified.
    """

    year: int = YEAR_NOT_SPECIFIED
    month: int = NOT_SPECIFIED
    day: int = NOT_SPECIFIED
    weekday: int = NOT_SPECIFIED
    hour: int = NOT_SPECIFIED
    minute: int = NOT_SPECIFIED
    second: int = NOT_SPECIFIED
    hundredths: int = NOT_SPECIFIED
    deviation: int = DEVIATION_NOT_SPECIFIED
    clock_status: int = NOT_SPECIFIED

    @classmethod
    def from_datetime(
        cls, dt: datetime, *, deviation: int = 0, clock_status: int = 0, hundredths: bool = True
    ) -> CosemDateTime:
        """Meter representation of ``dt`` (naive = UTC) as local time with ``deviation``.

        Local time sent = UTC − ``deviation`` minutes (deviation 0 → the UTC wall clock).
        ``deviation`` may be :data:`DEVIATION_NOT_SPECIFIED` (then UTC is sent).
        """
        aware = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
        shift = 0 if deviation == DEVIATION_NOT_SPECIFIED else deviation
        local = aware - timedelta(minutes=shift)
        return cls(
            local.year,
            local.month,
            local.day,
            local.isoweekday(),
            local.hour,
            local.minute,
            local.second,
            local.microsecond // 10000 if hundredths else NOT_SPECIFIED,
            deviation,
            clock_status,
        )

    def to_datetime(self) -> datetime | None:
        """Aware UTC datetime, or None when a date/time field is not specified or impossible.

        A not-specified deviation is taken as 0 (local time = UTC); not-specified hundredths as 0.
        """
        if self.year == YEAR_NOT_SPECIFIED or NOT_SPECIFIED in (
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
        ):
            return None
        hs = 0 if self.hundredths == NOT_SPECIFIED else self.hundredths
        try:
            local = datetime(
                self.year, self.month, self.day, self.hour, self.minute, self.second,
                hs * 10000, tzinfo=UTC,
            )  # fmt: skip
            dev = 0 if self.deviation == DEVIATION_NOT_SPECIFIED else self.deviation
            return local + timedelta(minutes=dev)
        except (ValueError, OverflowError):
            return None

    def encode(self) -> bytes:
        """The 12 raw bytes (no tag)."""
        return struct.pack(
            ">HBBBBBBBhB",
            self.year,
            self.month,
            self.day,
            self.weekday,
            self.hour,
            self.minute,
            self.second,
            self.hundredths,
            self.deviation,
            self.clock_status,
        )


def encode_datetime(value: CosemDateTime | datetime) -> bytes:
    """12 raw bytes of a COSEM date-time (a :class:`datetime` is sent as UTC, deviation 0)."""
    if isinstance(value, datetime):
        value = CosemDateTime.from_datetime(value)
    try:
        return value.encode()
    except struct.error as exc:
        raise ValueError(f"date-time field out of range: {value}") from exc


def decode_datetime(data: bytes) -> CosemDateTime:
    """Parse exactly 12 raw bytes (no tag) into a :class:`CosemDateTime`."""
    if len(data) != 12:
        raise ProtocolError(f"date-time needs 12 bytes, got {len(data)}", data=bytes(data))
    return CosemDateTime(*struct.unpack(">HBBBBBBBhB", bytes(data)))


def as_datetime(value: Any) -> CosemDateTime | None:
    """A decoded value as :class:`CosemDateTime`: date-time itself or a 12-byte octet-string."""
    if isinstance(value, CosemDateTime):
        return value
    if isinstance(value, bytes | bytearray) and len(value) == 12:
        return decode_datetime(bytes(value))
    return None


# -- typed values ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Typed:
    """A value with its A-XDR tag; arrays/structures hold a tuple of :class:`Typed`."""

    type: DataType
    value: Any = None

    def encode(self) -> bytes:
        return encode(self.value, self.type)

    def plain(self) -> Any:
        """The plain Python value (as :func:`decode` would return it)."""
        if self.type == DataType.ARRAY:
            return [e.plain() for e in self.value]
        if self.type == DataType.STRUCTURE:
            return tuple(e.plain() for e in self.value)
        return self.value


def encode(value: Any, type: DataType | int) -> bytes:
    """Encode ``value`` as A-XDR ``Data`` of ``type`` (tag included).

    :raises ValueError: the value does not fit the type (wrong range, wrong Python type).
    """
    t = DataType(type)
    tag = bytes([t])
    try:
        if t == DataType.NULL:
            return tag
        if t in (DataType.ARRAY, DataType.STRUCTURE):
            items = list(value)
            parts = [
                item if isinstance(item, bytes | bytearray) else item.encode() for item in items
            ]
            return tag + encode_length(len(items)) + b"".join(parts)
        if t == DataType.BOOLEAN:
            return tag + (b"\x01" if value else b"\x00")
        if t in _INTS:
            return tag + struct.pack(_INTS[t][0], value)
        if t in _FLOATS:
            return tag + struct.pack(_FLOATS[t][0], value)
        if t == DataType.OCTET_STRING:
            return tag + encode_length(len(value)) + bytes(value)
        if t == DataType.VISIBLE_STRING:
            raw = value.encode("latin-1") if isinstance(value, str) else bytes(value)
            return tag + encode_length(len(raw)) + raw
        if t == DataType.UTF8_STRING:
            raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
            return tag + encode_length(len(raw)) + raw
        if t == DataType.BIT_STRING:
            bits = str(value)
            if bits.strip("01"):
                raise ValueError(f"bit-string must be '0'/'1' characters: {bits!r}")
            padded = bits + "0" * (-len(bits) % 8)
            raw = int(padded, 2).to_bytes(len(padded) // 8, "big") if padded else b""
            return tag + encode_length(len(bits)) + raw
        if t == DataType.DATE_TIME:
            return tag + encode_datetime(value)
        if t in (DataType.DATE, DataType.TIME):
            return tag + value.encode()
    except (struct.error, TypeError, AttributeError, UnicodeError, OverflowError) as exc:
        raise ValueError(f"cannot encode {value!r} as {t.name}: {exc}") from exc
    raise ValueError(f"type {t.name} not supported")  # pragma: no cover


def encode_typed(item: Typed) -> bytes:
    """Encode a :class:`Typed` tree."""
    return encode(item.value, item.type)


def _decode(data: bytes, pos: int, typed: bool, depth: int) -> tuple[Any, int]:
    if pos >= len(data):
        raise ProtocolError("A-XDR data truncated: tag missing", data=bytes(data))
    tag = data[pos]
    pos += 1
    try:
        t = DataType(tag)
    except ValueError:
        raise ProtocolError(f"unknown A-XDR data tag {tag}", data=bytes(data)) from None
    end = len(data)

    def need(n: int) -> None:
        if pos + n > end:
            raise ProtocolError(f"A-XDR {t.name} truncated", data=bytes(data))

    if t in (DataType.ARRAY, DataType.STRUCTURE):
        if depth >= MAX_DEPTH:
            raise ProtocolError("A-XDR data nested too deeply", data=bytes(data))
        count, pos = decode_length(data, pos)
        if count > end - pos:
            raise ProtocolError(f"A-XDR {t.name} of {count} elements truncated", data=bytes(data))
        items = []
        for _ in range(count):
            item, pos = _decode(data, pos, typed, depth + 1)
            items.append(item)
        if typed:
            value: Any = tuple(items)
        else:
            value = items if t == DataType.ARRAY else tuple(items)
    elif t == DataType.NULL:
        value = None
    elif t == DataType.BOOLEAN:
        need(1)
        value = data[pos] != 0
        pos += 1
    elif t in _INTS:
        fmt, size = _INTS[t]
        need(size)
        value = struct.unpack_from(fmt, data, pos)[0]
        pos += size
    elif t in _FLOATS:
        fmt, size = _FLOATS[t]
        need(size)
        value = struct.unpack_from(fmt, data, pos)[0]
        pos += size
    elif t in (DataType.OCTET_STRING, DataType.VISIBLE_STRING, DataType.UTF8_STRING):
        n, pos = decode_length(data, pos)
        need(n)
        raw = bytes(data[pos : pos + n])
        pos += n
        if t == DataType.OCTET_STRING:
            value = raw
        elif t == DataType.VISIBLE_STRING:
            value = raw.decode("latin-1")
        else:
            try:
                value = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ProtocolError("UTF8-string is not valid UTF-8", data=raw) from None
    elif t == DataType.BIT_STRING:
        nbits, pos = decode_length(data, pos)
        nbytes = (nbits + 7) // 8
        need(nbytes)
        raw = data[pos : pos + nbytes]
        pos += nbytes
        value = "".join(f"{b:08b}" for b in raw)[:nbits]
    elif t == DataType.DATE_TIME:
        need(12)
        value = decode_datetime(data[pos : pos + 12])
        pos += 12
    elif t == DataType.DATE:
        need(5)
        value = CosemDate(*struct.unpack_from(">HBBB", data, pos))
        pos += 5
    else:  # TIME
        need(4)
        value = CosemTime(*data[pos : pos + 4])
        pos += 4
    return (Typed(t, value) if typed else value), pos


def decode(data: bytes) -> tuple[Any, bytes]:
    """Decode one ``Data`` value from the start of ``data``; returns ``(value, rest)``.

    :raises ProtocolError: truncated, unknown tag, bad length, nesting deeper than 32.
    """
    data = bytes(data)
    value, pos = _decode(data, 0, False, 0)
    return value, data[pos:]


def decode_typed(data: bytes) -> tuple[Typed, bytes]:
    """Like :func:`decode` but returns a :class:`Typed` tree (tags kept)."""
    data = bytes(data)
    value, pos = _decode(data, 0, True, 0)
    return value, data[pos:]
