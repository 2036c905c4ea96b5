"""parse_readout, BCC and framing: worked examples, real-meter variations, property tests."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ProtocolError
from drivers.iec62056_21.readout import (
    BREAK,
    bcc,
    check_block,
    command,
    data_block,
    parse_data,
    parse_readout,
)


def test_break_is_the_standard_bytes():
    assert command("B0") == bytes.fromhex("01 42 30 03 71") == BREAK


def test_bcc_of_known_message():
    # SOH P1 STX (00000000) ETX -> BCC over "P1\x02(00000000)\x03"
    body = b"P1\x02(00000000)\x03"
    assert command("P1", "(00000000)") == b"\x01" + body + bytes([bcc(body)])
    assert bcc(body) == 0x61


def test_parse_standard_readout():
    raw = b"/GEN5GEN HH-4\r\n" + data_block(
        "0.0.0(GEN-1)\r\n1.8.0(018250.375*kWh)\r\n0.9.1(103015)\r\n!\r\n"
    )
    r = parse_readout(raw)
    assert r.identification == "GEN5GEN HH-4"
    assert [d.address for d in r.datasets] == ["0.0.0", "1.8.0", "0.9.1"]
    assert r.get("1.8.0").values == [("018250.375", "kWh")]
    assert r.get("0.0.0").values == [("GEN-1", None)]


def test_parse_variations_lf_spaces_empty_groups_prefixes():
    text = (
        "F.F(00000000)\n"
        " 1-0:1.8.0*255 ( 12.5 * kWh )\n"
        "C.1.0()\n"
        "1.6.0(0.512*kW)(2601151030)\n"
        "0.9.1(10:30:15)0.9.2(26-01-15)\n"
        "(1.0)(2.0)\n"
        "!\n"
    )
    r = parse_readout(data_block(text))
    assert r.identification == ""
    assert r.get("1.8.0").values == [("12.5", "kWh")]
    assert r.get("C.1.0").values == [("", None)]
    assert r.get("1.6.0").values == [("0.512", "kW"), ("2601151030", None)]
    assert r.get("0.9.2").value == "26-01-15"
    # a line without an address continues the data set above it (issue 15: continuation lines)
    assert r.datasets[-1].address == "0.9.2"
    assert r.get("0.9.2").values == [("26-01-15", None), ("1.0", None), ("2.0", None)]


def test_crlf_and_lf_give_the_same_datasets():
    a = parse_data(b"1.8.0(1*kWh)\r\n2.8.0(2*kWh)\r\n")
    b = parse_data(b"1.8.0(1*kWh)\n2.8.0(2*kWh)\n")
    assert a == b and len(a) == 2


def test_bcc_error_is_protocol_error_with_bytes():
    raw = bytearray(data_block("1.8.0(1*kWh)\r\n!\r\n"))
    raw[-1] ^= 0x01
    with pytest.raises(ProtocolError, match="BCC") as info:
        parse_readout(bytes(raw))
    assert info.value.data == bytes(raw)


@pytest.mark.parametrize(
    "raw",
    [b"", b"/GEN5X\r\n", b"\x021.8.0(1)", b"\x021.8.0(1)\x03", data_block("1.8.0(1\r\n")],
)
def test_malformed_readouts(raw):
    with pytest.raises(ProtocolError):
        parse_readout(raw)


def test_check_block_command_and_partial():
    head, data, last = check_block(command("R1", "1.8.0()"))
    assert (head, data, last) == (b"R1", b"1.8.0()", True)
    assert check_block(data_block("x", last=False))[2] is False


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_parse_readout_on_arbitrary_bytes_raises_only_protocol_error(raw):
    try:
        parse_readout(raw)
    except ProtocolError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list(b"\x02\x01\x03/()*!\r\n .0189ABkWh")), max_size=80))
def test_parse_readout_on_protocol_like_bytes(chars):
    try:
        parse_readout(bytes(chars) + b"\x03\x00")
    except ProtocolError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200))
def test_bcc_round_trip(text):
    block = data_block(text)
    _, data, last = check_block(block)
    assert data == text.encode() and last
    # any single-bit change in the body is caught
    if text:
        bad = bytearray(block)
        bad[1] ^= 0x01
        with pytest.raises(ProtocolError):
            check_block(bytes(bad))
