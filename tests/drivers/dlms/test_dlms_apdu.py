"""xDLMS APDUs against hand-checked bytes (Green Book style examples) and both-way parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.dlms import apdu as A
from drivers.dlms import axdr
from drivers.errors import AuthenticationError, ProtocolError
from drivers.sim import dlms_apdu as ap
from tests.drivers.dlms import server_apdus as S

AARQ_NO_AUTH = bytes.fromhex(
    "60 1D A1 09 06 07 60 85 74 05 08 01 01 BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 20 7E 1F 04 B0"
)
AARQ_LLS = bytes.fromhex(
    "60 36 A1 09 06 07 60 85 74 05 08 01 01 8A 02 07 80 8B 07 60 85 74 05 08 02 01"
    " AC 0A 80 08 31 32 33 34 35 36 37 38 BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 20 7E 1F 04 B0"
)
AARE_OK = bytes.fromhex(
    "61 29 A1 09 06 07 60 85 74 05 08 01 01 A2 03 02 01 00 A3 05 A1 03 02 01 00"
    " BE 10 04 0E 08 00 06 5F 1F 04 00 00 50 1F 01 F4 00 07"
)
GET_CLOCK = bytes.fromhex("C0 01 C1 00 08 00 00 01 00 00 FF 02 00")


def test_aarq_no_auth_and_lls_hand_checked() -> None:
    assert A.aarq(None, max_pdu=0x04B0) == AARQ_NO_AUTH
    assert A.aarq("12345678", max_pdu=0x04B0) == AARQ_LLS
    # read back by the simulator's independent server half
    parsed = ap.parse_aarq(AARQ_LLS)
    assert (parsed.mechanism, parsed.password, parsed.max_pdu) == (
        ap.MECHANISM_LLS,
        b"12345678",
        0x04B0,
    )
    assert ap.parse_aarq(AARQ_NO_AUTH).mechanism is None


def test_aare_parse_and_build() -> None:
    res = A.parse_aare(AARE_OK)
    assert res.accepted and res.max_pdu == 0x01F4 and res.conformance == 0x00501F
    assert ap.aare(0, 0, conformance=0x00501F, max_pdu=0x01F4) == AARE_OK
    rejected = A.parse_aare(S.aare(1, 13))
    assert not rejected.accepted and rejected.diagnostic_text == "authentication-failure"


def test_get_request_hand_checked() -> None:
    assert A.get_request(A.Descriptor.of(8, "0.0.1.0.0.255", 2)) == GET_CLOCK
    assert A.get_request_next(2) == bytes.fromhex("C0 02 C1 00 00 00 02")
    req = ap.parse_request(GET_CLOCK)
    assert (req.kind, req.class_id, req.obis, req.index) == (
        "get",
        8,
        bytes([0, 0, 1, 0, 0, 255]),
        2,
    )


def test_range_descriptor_bytes() -> None:
    sel, params = A.range_descriptor(
        datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    )
    assert sel == 1
    assert params.hex(" ").upper() == (
        "02 04 02 04 12 00 08 09 06 00 00 01 00 00 FF 0F 02 12 00 00"
        " 09 0C 07 EA 01 01 04 00 00 00 00 00 00 00"
        " 09 0C 07 EA 01 02 05 00 00 00 00 00 00 00 01 00"
    )
    req = ap.parse_request(A.get_request(A.Descriptor.of(7, "1.0.99.1.0.255", 2), (sel, params)))
    assert req.selector == 1
    start = axdr.as_datetime(req.params[1]).to_datetime()
    assert start == datetime(2026, 1, 1, tzinfo=UTC)


def test_responses_parse() -> None:
    r = A.parse_response(bytes.fromhex("C4 01 C1 00 12 00 05"))
    assert (r.kind, r.data) == ("get", bytes.fromhex("12 00 05"))
    r = A.parse_response(bytes.fromhex("C4 01 C1 01 04"))
    assert (r.kind, r.result) == ("get", 4)
    r = A.parse_response(S.get_response_block(b"\x01\x02", 3, True))
    assert (r.kind, r.block_number, r.last, r.data) == ("get-block", 3, True, b"\x01\x02")
    assert A.parse_response(S.set_response(0)).kind == "set"
    r = A.parse_response(S.action_response(0, b"\x11\x05"))
    assert (r.kind, r.data) == ("action", b"\x11\x05")
    assert A.parse_response(S.rlre()).kind == "release"
    with pytest.raises(ProtocolError, match="ExceptionResponse"):
        A.parse_response(S.exception_response(1, 2))
    with pytest.raises(ProtocolError, match="ConfirmedServiceError"):
        A.parse_response(bytes.fromhex("0E 01 06 01"))


def test_access_results_map_to_typed_errors() -> None:
    with pytest.raises(AuthenticationError):
        A.raise_for_result(3, "serial")
    with pytest.raises(A.DataAccessError) as err:
        A.raise_for_result(4, "x")
    assert err.value.code == 4
    A.raise_for_result(0, "ok")


def test_obis() -> None:
    assert A.obis_bytes("1.0.99.1.0.255") == bytes([1, 0, 99, 1, 0, 255])
    assert A.obis_bytes("1-0:99.1.0*255") == bytes([1, 0, 99, 1, 0, 255])
    assert A.obis_str(bytes([0, 0, 96, 1, 0, 255])) == "0.0.96.1.0.255"
    with pytest.raises(ValueError):
        A.obis_bytes("1.0.99.1.0")


@given(st.binary(max_size=120))
def test_parsers_raise_only_protocol_error(data: bytes) -> None:
    for fn in (A.parse_response, A.parse_aare):
        try:
            fn(data)
        except ProtocolError:
            pass
