"""A-XDR Data encoding: hand-checked bytes, date-time fields, round-trips and fuzzing."""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.dlms import axdr
from drivers.dlms.axdr import CosemDateTime, DataType, Typed
from drivers.errors import ProtocolError


def test_hand_checked_encodings() -> None:
    assert axdr.encode(5, DataType.UINT16) == bytes.fromhex("12 0005")
    assert axdr.encode(-3, DataType.INT8) == bytes.fromhex("0F FD")
    assert axdr.encode(30, DataType.ENUM) == bytes.fromhex("16 1E")
    assert axdr.encode(b"\x01" * 200, DataType.OCTET_STRING)[:3] == bytes.fromhex("09 81 C8")
    assert axdr.encode("PRO", DataType.VISIBLE_STRING) == bytes.fromhex("0A 03 50524F")
    assert axdr.encode("101", DataType.BIT_STRING) == bytes.fromhex("04 03 A0")
    scaler_unit = axdr.encode(
        [Typed(DataType.INT8, -1), Typed(DataType.ENUM, 30)], DataType.STRUCTURE
    )
    assert scaler_unit == bytes.fromhex("02 02 0F FF 16 1E")
    assert axdr.decode(scaler_unit + b"rest") == ((-1, 30), b"rest")


def test_long_lengths() -> None:
    arr = axdr.encode([Typed(DataType.NULL)] * 300, DataType.ARRAY)
    assert arr[:4] == bytes.fromhex("01 82 01 2C")
    assert axdr.decode(arr) == ([None] * 300, b"")


def test_datetime_keeps_deviation_status_and_not_specified() -> None:
    raw = bytes.fromhex("07EA 0B 18 02 03 1E 00 FF 8000 FF")
    dt, rest = axdr.decode(b"\x19" + raw)
    assert rest == b""
    assert dt == CosemDateTime(2026, 11, 24, 2, 3, 30, 0, 0xFF, -0x8000, 0xFF)
    assert axdr.encode(dt, DataType.DATE_TIME) == b"\x19" + raw
    assert dt.to_datetime() == datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
    # deviation -60 (CET): local 13:00 → 12:00 UTC; clock status DST bit kept
    cet = axdr.decode_datetime(bytes.fromhex("07EA 06 01 01 0D 00 00 00 FFC4 80"))
    assert cet.deviation == -60 and cet.clock_status == 0x80
    assert cet.to_datetime() == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert (
        axdr.decode_datetime(bytes.fromhex("FFFF FF FF FF FF FF FF FF 8000 FF")).to_datetime()
        is None
    )
    # clock sent as an octet-string (what meters do)
    os_form = axdr.encode(raw, DataType.OCTET_STRING)
    assert axdr.as_datetime(axdr.decode(os_form)[0]) == dt


def test_from_datetime_round_trip() -> None:
    now = datetime(2026, 3, 29, 0, 59, 59, 990000, tzinfo=UTC)
    for dev in (0, -60, 120):
        cdt = CosemDateTime.from_datetime(now, deviation=dev)
        assert cdt.to_datetime() == now
    assert CosemDateTime.from_datetime(now).weekday == 7  # Sunday


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x01",
        b"\x01\x05\x00",
        b"\x09\x81",
        b"\x09\x85\x00",
        b"\x12\x00",
        b"\x08",
        b"\x0c\x01\xff",
        b"\x19" + b"\x00" * 11,
        b"\x01\x01" * 40 + b"\x00",
    ],
)
def test_malformed_is_protocol_error(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        axdr.decode(data)


# -- property tests -------------------------------------------------------------------------------
def _int_strategy(t: DataType) -> st.SearchStrategy:
    fmt = {
        DataType.INT8: "b",
        DataType.UINT8: "B",
        DataType.ENUM: "B",
        DataType.BCD: "B",
        DataType.INT16: "h",
        DataType.UINT16: "H",
        DataType.INT32: "i",
        DataType.UINT32: "I",
        DataType.INT64: "q",
        DataType.UINT64: "Q",
    }[t]
    bits = struct.calcsize(fmt) * 8
    if fmt.islower():
        return st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    return st.integers(0, (1 << bits) - 1)


byte = st.integers(0, 255)
datetimes = st.builds(
    CosemDateTime,
    st.integers(0, 0xFFFF),
    byte,
    byte,
    byte,
    byte,
    byte,
    byte,
    byte,
    st.integers(-0x8000, 0x7FFF),
    byte,
)
floats32 = st.floats(width=32, allow_nan=False)
floats64 = st.floats(allow_nan=False)


def scalar() -> st.SearchStrategy[Typed]:
    options = [
        st.just(Typed(DataType.NULL, None)),
        st.builds(Typed, st.just(DataType.BOOLEAN), st.booleans()),
    ]
    for t in (
        DataType.INT8,
        DataType.UINT8,
        DataType.ENUM,
        DataType.BCD,
        DataType.INT16,
        DataType.UINT16,
        DataType.INT32,
        DataType.UINT32,
        DataType.INT64,
        DataType.UINT64,
    ):
        options.append(st.builds(Typed, st.just(t), _int_strategy(t)))
    options += [
        st.builds(Typed, st.just(DataType.FLOAT32), floats32),
        st.builds(Typed, st.just(DataType.FLOAT64), floats64),
        st.builds(Typed, st.just(DataType.OCTET_STRING), st.binary(max_size=300)),
        st.builds(
            Typed,
            st.just(DataType.VISIBLE_STRING),
            st.text(st.characters(max_codepoint=255), max_size=40),
        ),
        st.builds(Typed, st.just(DataType.UTF8_STRING), st.text(max_size=40)),
        st.builds(Typed, st.just(DataType.BIT_STRING), st.text("01", max_size=40)),
        st.builds(Typed, st.just(DataType.DATE_TIME), datetimes),
        st.builds(
            Typed,
            st.just(DataType.DATE),
            st.builds(axdr.CosemDate, st.integers(0, 0xFFFF), byte, byte, byte),
        ),
        st.builds(Typed, st.just(DataType.TIME), st.builds(axdr.CosemTime, byte, byte, byte, byte)),
    ]
    return st.one_of(options)


typed_values = st.recursive(
    scalar(),
    lambda children: st.one_of(
        st.builds(Typed, st.just(DataType.ARRAY), st.lists(children, max_size=5).map(tuple)),
        st.builds(Typed, st.just(DataType.STRUCTURE), st.lists(children, max_size=5).map(tuple)),
    ),
    max_leaves=20,
)


@given(typed_values, st.binary(max_size=4))
def test_round_trip_every_type(value: Typed, tail: bytes) -> None:
    raw = axdr.encode_typed(value)
    assert axdr.decode_typed(raw + tail) == (value, tail)
    plain, rest = axdr.decode(raw)
    assert rest == b""
    expected = value.plain()
    if value.type == DataType.FLOAT32:
        assert math.isclose(plain, expected, rel_tol=0) or plain == expected
    else:
        assert plain == expected


@given(st.binary(max_size=200))
def test_decode_arbitrary_bytes_raises_only_protocol_error(data: bytes) -> None:
    for fn in (axdr.decode, axdr.decode_typed):
        try:
            fn(data)
        except ProtocolError:
            pass


@given(st.binary(min_size=12, max_size=12))
def test_any_12_bytes_are_a_datetime(data: bytes) -> None:
    cdt = axdr.decode_datetime(data)
    assert axdr.encode_datetime(cdt) == data
    dt = cdt.to_datetime()
    assert dt is None or dt.tzinfo is UTC


def test_to_datetime_overflow_is_none() -> None:
    assert CosemDateTime(9999, 12, 31, 5, 23, 59, 0, 0, 720, 0).to_datetime() is None
