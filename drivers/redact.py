"""Where a password sits in a logical message, so traces never hold it.

Redaction works on the *message the protocol layer builds*, before it is framed or segmented:
the layer asks for the secret's byte spans (:func:`aarq_password_spans`,
:func:`iec_password_spans`), and every framing layer carries those spans into the frames it
writes (:func:`spans_in_segment`); the transport records a masked copy (:func:`mask`). Nothing
ever searches recorded bytes for the password, so the meter's answers and the command letters
are never rewritten, whatever the password is. Check bytes computed over the password (HDLC FCS,
IEC BCC) are masked too: a 16-bit CRC over a short password would narrow it down.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from drivers.dlms.ber import decode_length
from drivers.errors import ProtocolError

#: Replacement for every secret byte in a trace.
REDACTED_BYTE = ord("*")
#: Note added to a trace record whose bytes were masked.
REDACTED_NOTE = "password redacted"

Span = tuple[int, int]


def mask(data: bytes, spans: Iterable[Span]) -> bytes:
    """``data`` with the bytes in each half-open ``(start, end)`` span replaced by ``*``."""
    out = bytearray(data)
    for start, end in spans:
        start, end = max(0, start), min(len(out), end)
        if end > start:
            out[start:end] = bytes([REDACTED_BYTE]) * (end - start)
    return bytes(out)


def shift(spans: Iterable[Span], offset: int) -> list[Span]:
    """Spans moved by ``offset`` bytes (a header put in front of the message)."""
    return [(s + offset, e + offset) for s, e in spans]


def spans_in_segment(spans: Sequence[Span], start: int, end: int) -> list[Span]:
    """The parts of message ``spans`` inside segment ``[start, end)``, relative to ``start``."""
    out = []
    for s, e in spans:
        lo, hi = max(s, start), min(e, end)
        if hi > lo:
            out.append((lo - start, hi - start))
    return out


def aarq_password_spans(aarq: bytes) -> list[Span]:
    """Span of the calling-authentication-value (``AC 80 len password``) in an AARQ APDU.

    Walks the AARQ's BER elements (tag 0x60, then single-byte context tags) — it does not
    search for the password. Empty when the AARQ carries no authentication value.

    :raises ProtocolError: ``aarq`` is not a well-formed AARQ.
    """
    data = bytes(aarq)
    if not data or data[0] != 0x60:
        raise ProtocolError("not an AARQ (tag 0x60)", data=data)
    length, pos = decode_length(data, 1, "AARQ")
    end = min(len(data), pos + length)
    while pos + 2 <= end:
        tag = data[pos]
        size, body = decode_length(data, pos + 1, "AARQ")
        if tag == 0xAC and body + 2 <= body + size <= end:
            inner = data[body]
            if inner in (0x80, 0x81):  # charstring / bitstring choice
                pw_len, pw_at = decode_length(data, body + 1, "AARQ")
                return [(pw_at, min(pw_at + pw_len, body + size))]
            return [(body, body + size)]
        pos = body + size
    return []


def iec_value_spans(message: bytes) -> list[Span]:
    """Spans of the value and the BCC in an IEC 62056-21 ``SOH W1 STX address(value) ETX BCC``
    (a password written to the meter), located by the message structure; empty otherwise."""
    data = bytes(message)
    if len(data) < 7 or data[0] != 0x01 or data[1:2] != b"W" or data[3] != 0x02:
        return []
    etx = len(data) - 2
    start = data.find(b"(", 4, etx)
    if data[etx] != 0x03 or start < 0 or data[etx - 1 : etx] != b")":
        return []
    return [(start + 1, etx - 1), (len(data) - 1, len(data))]


def iec_password_spans(message: bytes) -> list[Span]:
    """Spans of the password and the BCC in an IEC 62056-21 ``SOH P1 STX (password) ETX BCC``.

    The password is the data between ``(`` and the last ``)`` before ETX, located by the message
    structure; the BCC (an XOR over the password) is masked too. Empty for other messages.
    """
    data = bytes(message)
    if len(data) < 6 or data[0] != 0x01 or data[1:2] != b"P" or data[3] != 0x02:
        return []
    etx = len(data) - 2
    if data[etx] != 0x03 or data[4:5] != b"(" or data[etx - 1 : etx] != b")":
        return []
    return [(5, etx - 1), (len(data) - 1, len(data))]
