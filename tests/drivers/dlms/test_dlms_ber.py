"""The one parser of DLMS length octets (drivers.dlms.ber): scripted byte cases for the short and
long forms, truncated and refused forms, and the callers that read lengths through it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.dlms import apdu as A
from drivers.dlms import ber, sn
from drivers.dlms.dissect import dissect_apdu
from drivers.errors import ProtocolError
from drivers.redact import aarq_password_spans
from drivers.sim import dlms_apdu as S

#: (length, its octets) — short form, then each long form at its edges.
FORMS = [
    (0, "00"),
    (1, "01"),
    (0x7F, "7F"),
    (0x80, "81 80"),
    (0xFF, "81 FF"),
    (0x100, "82 01 00"),
    (0x1234, "82 12 34"),
    (0xFFFF, "82 FF FF"),
    (0x10000, "83 01 00 00"),
    (0xFFFFFF, "83 FF FF FF"),
    (0x1000000, "84 01 00 00 00"),
    (0xFFFFFFFF, "84 FF FF FF FF"),
]


@pytest.mark.parametrize(("n", "octets"), FORMS)
def test_length_forms_both_ways(n: int, octets: str) -> None:
    raw = bytes.fromhex(octets)
    assert ber.encode_length(n) == raw
    assert ber.decode_length(raw) == (n, len(raw))
    # read in the middle of a message: position in, position after the octets out
    assert ber.decode_length(b"\xc4\x01" + raw + b"\x09", 2) == (n, 2 + len(raw))


@pytest.mark.parametrize("n", [-1, 2**32])
def test_unencodable_lengths_are_refused(n: int) -> None:
    with pytest.raises(ValueError, match="length"):
        ber.encode_length(n)


@pytest.mark.parametrize(
    ("data", "pos", "message"),
    [
        ("", 0, "length missing"),
        ("01 02", 2, "length missing"),
        ("81", 0, "length truncated"),
        ("82 01", 0, "length truncated"),
        ("83 00 01", 0, "length truncated"),
        ("84 00 00 01", 0, "length truncated"),
        ("C0 03 01 82 00", 3, "length truncated"),
        ("80", 0, "length form 0x80 not supported"),  # indefinite form: not in DLMS
        ("85 00 00 00 00 01", 0, "length form 0x85 not supported"),
        ("FF", 0, "length form 0xFF not supported"),
    ],
)
def test_bad_lengths_raise_protocol_error(data: str, pos: int, message: str) -> None:
    raw = bytes.fromhex(data)
    with pytest.raises(ProtocolError, match=message) as info:
        ber.decode_length(raw, pos, "GET data block")
    assert str(info.value).startswith("GET data block")
    assert info.value.data is not None  # the offending bytes stay with the error (evidence)


@given(st.integers(0, 2**32 - 1), st.binary(max_size=4), st.binary(max_size=4))
def test_length_round_trip_anywhere(n: int, before: bytes, after: bytes) -> None:
    raw = ber.encode_length(n)
    assert ber.decode_length(before + raw + after, len(before)) == (n, len(before) + len(raw))


@given(st.binary(max_size=12), st.integers(0, 12))
def test_any_bytes_give_a_length_or_a_protocol_error(data: bytes, pos: int) -> None:
    try:
        n, after = ber.decode_length(data, pos)
    except ProtocolError:
        return
    assert pos < after <= len(data) and n >= 0


def test_elements_short_and_long() -> None:
    long_value = bytes(range(200))
    data = ber.tlv(0xA1, b"\x06\x01\x02") + ber.tlv(0xBE, long_value) + ber.tlv(0x8B, b"")
    assert data[5:8] == bytes.fromhex("BE 81 C8")
    assert ber.items(data) == [(0xA1, b"\x06\x01\x02"), (0xBE, long_value), (0x8B, b"")]
    assert ber.first(ber.tlv(0xAC, ber.tlv(0x80, b"PASS"))[2:]) == b"PASS"
    assert ber.first(b"") == b""
    assert ber.outer(ber.tlv(0x61, data), 0x61, "AARE") == data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("A1", "element 0xA1 has no length"),
        ("A1 03 06 01", "element 0xA1 truncated"),
        ("A1 81", "length truncated"),
        ("A1 81 80 00", "element 0xA1 truncated"),
        ("A1 80 00", "length form 0x80 not supported"),
        ("A1 00 BE", "element 0xBE has no length"),
    ],
)
def test_cut_elements_raise_protocol_error(data: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        ber.items(bytes.fromhex(data), "AARE")


def test_outer_refuses_other_tags_and_trailing_bytes() -> None:
    with pytest.raises(ProtocolError, match="expected tag 0x61"):
        ber.outer(bytes.fromhex("60 00"), 0x61, "AARE")
    with pytest.raises(ProtocolError, match="trailing bytes"):
        ber.outer(bytes.fromhex("61 00 00 00"), 0x61, "AARE")
    with pytest.raises(ProtocolError):
        ber.outer(b"", 0x61, "AARE")


@given(st.binary(max_size=40))
def test_any_bytes_split_or_raise_protocol_error(data: bytes) -> None:
    try:
        found = ber.items(data)
    except ProtocolError:
        return
    # every byte is accounted for (a long form of a short length is read, not rewritten)
    assert len(b"".join(ber.tlv(t, v) for t, v in found)) <= len(data)
    assert all(v in data for _, v in found)


# -- the callers read lengths through the one parser ------------------------------------------
def test_long_aarq_is_read_the_same_by_client_simulator_dissector_and_redactor() -> None:
    """A 200-byte password makes the AARQ and its authentication value use long forms."""
    pw = b"p" * 200
    aarq = A.aarq(pw)
    assert aarq[:2] == b"\x60\x81"
    assert S.parse_aarq(aarq).password == pw
    (span,) = aarq_password_spans(aarq)
    assert aarq[span[0] : span[1]] == pw
    shown = dissect_apdu(aarq)
    assert shown.level == "ok"
    assert (1, "password: 200 characters (not shown)") in shown.tree


def test_truncated_acse_is_a_typed_error_everywhere() -> None:
    aarq = A.aarq(b"PASS")
    with pytest.raises(S.RequestError, match="truncated"):
        S.parse_aarq(aarq[:-3])
    with pytest.raises(ProtocolError, match="truncated"):
        A.parse_aare(bytes.fromhex("61 05 A2 03 02 01"))
    assert dissect_apdu(aarq[:-3]).level == "bad"


def test_truncated_counts_are_typed_errors() -> None:
    with pytest.raises(S.RequestError, match="count unreadable"):
        S.parse_request(bytes.fromhex("C0 03 01 82 00"))
    with pytest.raises(ProtocolError, match="length truncated"):
        sn.parse_read_response(bytes.fromhex("0C 81"))
