"""HDLC framing: the reference SNRM frames, addresses, HCS/FCS, resynchronisation, parameters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.dlms import hdlc
from drivers.errors import ProtocolError

SNRM_1BYTE = bytes.fromhex("7E A0 07 03 21 93 0F 01 7E")
SNRM_4BYTE = bytes.fromhex("7E A0 0A 00 02 00 23 21 93 18 71 7E")


def test_reference_snrm_frames_are_reproduced() -> None:
    assert hdlc.encode_frame(hdlc.server_address(1, None, 1), hdlc.client_address(16), 0x93) == (
        SNRM_1BYTE
    )
    assert hdlc.encode_frame(hdlc.server_address(1, 0x11, 4), hdlc.client_address(16), 0x93) == (
        SNRM_4BYTE
    )


def test_reference_snrm_frames_parse() -> None:
    f = hdlc.parse_frame(SNRM_4BYTE)
    assert (f.dest, f.src, f.control, f.info, f.segmented, f.length) == (
        bytes.fromhex("00020023"),
        b"\x21",
        hdlc.SNRM,
        b"",
        False,
        10,
    )
    assert hdlc.split_server_address(f.dest) == (1, 0x11)
    assert hdlc.split_server_address(hdlc.parse_frame(SNRM_1BYTE).dest) == (1, None)
    assert f.kind == "SNRM"


def test_crc_check_value() -> None:
    # CRC-16/X.25 catalogue check value for "123456789".
    assert hdlc.crc16_x25(b"123456789") == 0x906E


def test_addresses() -> None:
    assert hdlc.client_address(16) == b"\x21"
    assert hdlc.server_address(1, 17, 2) == b"\x02\x23"
    assert hdlc.split_server_address(b"\x02\x23") == (1, 17)
    assert hdlc.decode_address(b"\x00\x02\x00\x23") == (0x4011, 4)
    with pytest.raises(ProtocolError):
        hdlc.decode_address(b"\x00\x02\x03")  # 3-byte address
    with pytest.raises(ValueError):
        hdlc.server_address(1, 200, 2)


def test_frame_with_info_has_hcs_and_round_trips() -> None:
    info = hdlc.LLC_REQUEST + bytes(range(40))
    raw = hdlc.encode_frame(b"\x03", b"\x21", hdlc.i_control(0, 0), info, segmented=True)
    body = raw[1:-1]
    assert hdlc.crc16_x25(body[:5]) == int.from_bytes(body[5:7], "little")  # HCS
    f = hdlc.parse_frame(raw)
    assert f.info == info and f.segmented and f.ctrl == hdlc.Control("I", 0, 0, True)


def test_bad_fcs_and_hcs_are_protocol_errors() -> None:
    raw = bytearray(hdlc.encode_frame(b"\x03", b"\x21", 0x10, b"abc"))
    bad_fcs = bytes(raw[:-2]) + bytes([raw[-2] ^ 1]) + b"\x7e"
    with pytest.raises(ProtocolError, match="FCS"):
        hdlc.parse_frame(bad_fcs)
    raw[6] ^= 0xFF  # HCS byte; recompute FCS so only HCS is wrong
    body = bytes(raw[1:-3])
    fixed = b"\x7e" + body + hdlc.crc16_x25(body).to_bytes(2, "little") + b"\x7e"
    with pytest.raises(ProtocolError, match="HCS") as err:
        hdlc.parse_frame(fixed)
    assert err.value.data == fixed


def test_control_bytes() -> None:
    assert hdlc.i_control(ns=3, nr=5) == 0xB6
    assert hdlc.rr_control(2) == 0x51
    assert hdlc.parse_control(0x51) == hdlc.Control("RR", None, 2, True)
    assert hdlc.parse_control(0xB6) == hdlc.Control("I", 3, 5, True)
    for ctl, kind in ((0x73, "UA"), (0x53, "DISC"), (0x1F, "DM"), (0x97, "FRMR"), (0x93, "SNRM")):
        assert hdlc.parse_control(ctl).kind == kind


def test_frame_reader_resynchronises_after_garbage() -> None:
    a = hdlc.encode_frame(b"\x21", b"\x03", 0x73)
    b = hdlc.encode_frame(b"\x21", b"\x03", hdlc.i_control(0, 1), b"\xe6\xe7\x00hello")
    reader = hdlc.FrameReader()
    # garbage, a frame, a shared flag between two frames, garbage containing a flag
    stream = b"\x00\x13garbage" + a + b"\xa0\x7e\x11" + a[:-1] + b + b"zz"
    for i in range(0, len(stream), 5):
        reader.feed(stream[i : i + 5])
    frames = []
    while (f := reader.pop()) is not None:
        frames.append(f.kind)
    assert frames == ["UA", "UA", "I"]
    assert b"garbage" in reader.discarded


def test_frame_reader_raises_for_bad_fcs_then_continues() -> None:
    a = bytearray(hdlc.encode_frame(b"\x21", b"\x03", 0x73))
    a[-2] ^= 0x55
    good = hdlc.encode_frame(b"\x21", b"\x03", 0x1F)
    reader = hdlc.FrameReader()
    reader.feed(bytes(a) + good)
    with pytest.raises(ProtocolError, match="FCS"):
        reader.pop()
    assert reader.pop().kind == "DM"


def test_params_encode_decode() -> None:
    p = hdlc.HdlcParams(1024, 512, 1, 1)
    raw = hdlc.encode_params(p)
    assert raw.hex() == "818014050204000602020007040000000108040000000" + "1"
    assert hdlc.decode_params(raw) == p
    assert hdlc.decode_params(b"") == hdlc.HdlcParams()
    # short form seen from meters: 1-byte lengths, 1-byte windows
    assert hdlc.decode_params(bytes.fromhex("8180 0C 050180 060180 070101 080101")) == (
        hdlc.HdlcParams()
    )
    with pytest.raises(ProtocolError):
        hdlc.decode_params(b"\x81\x80\x09\x05\x02")


@given(st.binary(max_size=300))
def test_parse_frame_raises_only_protocol_error(data: bytes) -> None:
    try:
        hdlc.parse_frame(data)
    except ProtocolError:
        pass


@given(st.binary(max_size=300))
def test_frame_reader_raises_only_protocol_error(data: bytes) -> None:
    reader = hdlc.FrameReader()
    reader.feed(data)
    for _ in range(400):
        try:
            if reader.pop() is None:
                break
        except ProtocolError:
            pass


@given(
    st.sampled_from([1, 2, 4]),
    st.integers(0, 127),
    st.integers(0, 127),
    st.integers(0, 255),
    st.binary(max_size=200),
    st.booleans(),
)
def test_frame_round_trip(
    size: int, logical: int, sap: int, control: int, info: bytes, seg: bool
) -> None:
    dest = hdlc.server_address(logical, None if size == 1 else 17, size)
    raw = hdlc.encode_frame(dest, hdlc.client_address(sap), control, info, seg)
    f = hdlc.parse_frame(raw)
    assert (f.dest, f.src, f.control, f.info, f.segmented) == (
        dest,
        hdlc.client_address(sap),
        control,
        info,
        seg,
    )
    reader = hdlc.FrameReader()
    reader.feed(b"\x55" + raw)
    assert reader.pop() == f
