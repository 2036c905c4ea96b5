"""Locating passwords in logical messages (drivers.redact), against the messages the drivers
and the simulators build — never by searching for the password's bytes."""

from __future__ import annotations

import pytest

from drivers.dlms import apdu as A
from drivers.errors import ProtocolError
from drivers.iec62056_21.readout import command
from drivers.redact import (
    aarq_password_spans,
    iec_password_spans,
    iec_value_spans,
    mask,
    spans_in_segment,
)
from drivers.sim import dlms_apdu as S


@pytest.mark.parametrize("pw", [b"A", b"HHDC2PASS", b"\x80\x08", b"x" * 200, b"AARQ`\xa1"])
def test_aarq_span_is_exactly_the_calling_authentication_value(pw):
    apdu = A.aarq(pw)
    (span,) = aarq_password_spans(apdu)
    assert apdu[span[0] : span[1]] == pw
    masked = mask(apdu, [span])
    parsed = S.parse_aarq(masked)  # the simulator's own parser: structure kept, value masked
    assert parsed.mechanism == S.MECHANISM_LLS and parsed.password == b"*" * len(pw)
    assert masked.replace(b"*" * len(pw), pw, 1) == apdu


def test_aarq_without_password_has_no_span():
    assert aarq_password_spans(A.aarq(None)) == []
    with pytest.raises(ProtocolError, match="not an AARQ"):
        aarq_password_spans(b"\x61\x00")
    with pytest.raises(ProtocolError, match="AARQ length truncated"):
        aarq_password_spans(b"\x60\x82\x01")


@pytest.mark.parametrize("pw", ["1", "P", "(", ")", "P1", "ABCDEF12", "(P1)"])
def test_iec_p1_span_leaves_command_letters_alone(pw):
    msg = command("P1", f"({pw})")
    spans = iec_password_spans(msg)
    out = mask(msg, spans)
    assert out == b"\x01P1\x02(" + b"*" * len(pw) + b")\x03*"


def test_iec_other_messages_have_no_password_span():
    assert iec_password_spans(command("R5", "P.01(;)")) == []
    assert iec_password_spans(b"\x06") == []


def test_iec_w1_value_span():
    msg = command("W1", "96.2.5(NEWPASS1)")
    assert mask(msg, iec_value_spans(msg)) == b"\x01W1\x0296.2.5(********)\x03*"
    assert iec_value_spans(command("P1", "(X)")) == []


def test_spans_follow_segments():
    spans = [(5, 15)]
    assert spans_in_segment(spans, 0, 8) == [(5, 8)]
    assert spans_in_segment(spans, 8, 16) == [(0, 7)]
    assert spans_in_segment(spans, 16, 24) == []
