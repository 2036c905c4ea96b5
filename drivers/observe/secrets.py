"""Passwords in an observed HHDC → meter stream: where they sit, so the *recorded copy* hides them.

The observer forwards every byte unchanged; only the trace it stores is masked. Spans are found
by message structure, never by searching for a password (:mod:`drivers.redact`):

* an HDLC frame (``7E A0 len … 7E``, checked FCS) whose information field is ``E6 E6 00`` + AARQ:
  the AARQ's calling-authentication-value and the frame's FCS (a CRC over a short password
  narrows it down);
* a DLMS TCP wrapper PDU (``00 01 src dst len``) holding an AARQ;
* an IEC 62056-21 ``SOH P1|P2 STX (password) ETX BCC``: the password and the BCC.

The caller masks the spans in the records that carried them (:meth:`drivers.trace.Trace.
mask_stream`), so the dissector shows "password: 9 characters (redacted in the trace)".
"""

from __future__ import annotations

from drivers.dlms import hdlc
from drivers.errors import ProtocolError
from drivers.redact import Span, aarq_password_spans, iec_password_spans

_SOH, _STX, _ETX = 0x01, 0x02, 0x03


def password_spans(stream: bytes) -> list[Span]:
    """Half-open spans of ``stream`` (the HHDC → meter bytes in order) that hold a password."""
    spans: list[Span] = []
    i, n = 0, len(stream)
    while i < n:
        b = stream[i]
        if b == 0x7E and i + 3 < n and stream[i + 1] & 0xF0 == 0xA0:
            got = _hdlc(stream, i)
            if got is not None:
                frame_spans, end = got
                spans += frame_spans
                i = end - 1  # the closing flag may open the next frame
                continue
        elif b == 0x00 and stream[i + 1 : i + 2] == b"\x01" and i + 8 < n:
            length = int.from_bytes(stream[i + 6 : i + 8], "big")
            body = stream[i + 8 : i + 8 + length]
            if length and len(body) == length and body[0] == 0x60:
                spans += _aarq(body, i + 8)
                i += 8 + length
                continue
        elif b == _SOH and stream[i + 1 : i + 2] == b"P" and stream[i + 3 : i + 4] == bytes([_STX]):
            etx = stream.find(bytes([_ETX]), i + 4)
            if etx > 0 and etx + 1 < n:
                msg = stream[i : etx + 2]
                spans += [(s + i, e + i) for s, e in iec_password_spans(msg)]
                i = etx + 2
                continue
        i += 1
    return spans


def _hdlc(stream: bytes, start: int) -> tuple[list[Span], int] | None:
    length = int.from_bytes(stream[start + 1 : start + 3], "big") & 0x07FF
    end = start + length + 2
    if end > len(stream) or stream[end - 1] != 0x7E:
        return None
    try:
        frame = hdlc.parse_frame(stream[start:end])
    except ProtocolError:
        return None
    info = frame.info
    if info[:3] != b"\xe6\xe6\x00" or info[3:4] != b"\x60":
        return [], end
    info_at = end - 3 - len(info)  # info, FCS (2), closing flag
    spans = _aarq(info[3:], info_at + 3)
    if spans:
        spans.append((end - 3, end - 1))  # the FCS covers the password
    return spans, end


def _aarq(aarq: bytes, offset: int) -> list[Span]:
    try:
        return [(s + offset, e + offset) for s, e in aarq_password_spans(aarq)]
    except ProtocolError:  # not a whole AARQ: nothing to mask in it
        return []
