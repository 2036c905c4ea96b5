"""Length octets and one-byte-tag elements of DLMS APDUs: the one parser of both.

A-XDR (IEC 62056-6-2, Green Book) codes lengths and element counts in the same variable-length
form as BER's definite length (ITU-T X.690 8.1.3), so the ACSE APDUs (AARQ, AARE), the A-XDR
``Data`` types, SN ``ReadRequest`` counts and GET data blocks all read them here:

* short form: one byte ``0x00…0x7F`` is the length itself;
* long form: ``0x81…0x84`` then 1…4 bytes, big-endian (``0x81 0x80`` = 128, ``0x82 0x01 0x2C``
  = 300). ``0x80`` (BER's indefinite form, not allowed in DLMS) and ``0x85…0xFF`` are refused.

Every malformed or truncated input raises :class:`drivers.errors.ProtocolError` carrying the
offending bytes (the evidence), never ``IndexError``; callers that must not stop (the dissector,
the line observer, the simulated outstation) catch that one class.
"""

from __future__ import annotations

from drivers.errors import ProtocolError

#: most length octets after the ``0x8k`` byte (lengths up to 2**32 − 1).
MAX_LENGTH_OCTETS = 4


def encode_length(n: int) -> bytes:
    """The length octets of ``n`` (0…2**32 − 1): short form below 0x80, else ``0x8k`` + k bytes.

    :raises ValueError: ``n`` is negative or needs more than four octets.
    """
    if n < 0:
        raise ValueError(f"negative length {n}")
    if n < 0x80:
        return bytes([n])
    size = (n.bit_length() + 7) // 8
    if size > MAX_LENGTH_OCTETS:
        raise ValueError(f"length {n} too large")
    return bytes([0x80 | size]) + n.to_bytes(size, "big")


def decode_length(data: bytes, pos: int = 0, what: str = "A-XDR") -> tuple[int, int]:
    """Read the length at ``data[pos]``; returns ``(length, position after the length octets)``.

    :param what: names the structure in error messages (``"AARQ"``, ``"A-XDR"``…).
    :raises ProtocolError: no byte at ``pos``, the indefinite or a too-long form, or fewer
        length octets than the first byte announces.
    """
    if pos >= len(data):
        raise ProtocolError(f"{what} length missing", data=bytes(data[pos - 1 if pos else 0 :]))
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    size = first & 0x7F
    if size == 0 or size > MAX_LENGTH_OCTETS:
        raise ProtocolError(f"{what} length form 0x{first:02X} not supported", data=bytes(data))
    if pos + 1 + size > len(data):
        raise ProtocolError(f"{what} length truncated", data=bytes(data[pos:]))
    return int.from_bytes(data[pos + 1 : pos + 1 + size], "big"), pos + 1 + size


def tlv(tag: int, value: bytes) -> bytes:
    """One BER element with a one-byte ``tag`` (0…255) around ``value``."""
    return bytes([tag]) + encode_length(len(value)) + bytes(value)


def items(data: bytes, what: str = "BER") -> list[tuple[int, bytes]]:
    """Split a sequence of one-byte-tag BER elements into ``(tag, value)`` pairs, in order.

    :param what: names the structure in error messages (``"AARE result"``…).
    :raises ProtocolError: an element is cut short (tag without length, bad length form, or
        fewer value bytes than its length says).
    """
    data = bytes(data)
    out: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(data):
        tag = data[pos]
        if pos + 1 >= len(data):
            raise ProtocolError(f"{what}: element 0x{tag:02X} has no length", data=data)
        n, pos = decode_length(data, pos + 1, what)
        if pos + n > len(data):
            raise ProtocolError(f"{what}: element 0x{tag:02X} truncated", data=data)
        out.append((tag, data[pos : pos + n]))
        pos += n
    return out


def first(data: bytes, what: str = "BER") -> bytes:
    """The value of the first element of ``data`` (``b""`` when ``data`` is empty): what a
    context tag wraps, e.g. the password inside ``AC 80 len password``.

    :raises ProtocolError: as :func:`items`.
    """
    found = items(data, what)
    return found[0][1] if found else b""


def outer(data: bytes, tag: int, what: str) -> bytes:
    """The value of ``data``, which must be exactly one element tagged ``tag`` (an APDU).

    :raises ProtocolError: another tag, a malformed element, or bytes after it.
    """
    data = bytes(data)
    if not data or data[0] != tag:
        raise ProtocolError(f"{what}: expected tag 0x{tag:02X}", data=data)
    found = items(data, what)
    if len(found) != 1:
        raise ProtocolError(f"{what}: trailing bytes after the APDU", data=data)
    return found[0][1]
