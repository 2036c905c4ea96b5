"""HDLC frames for DLMS/COSEM (IEC 62056-46 data link layer): bytes ↔ :class:`HdlcFrame`.

Frame layout (everything between the ``0x7E`` flags is counted by the 11-bit length)::

    7E | format(2) | dest addr (1/2/4) | src addr (1/2/4) | control | [HCS(2) info] | FCS(2) | 7E

* format: ``0xA0`` (type 3) | ``0x08`` segmentation bit, then the length in the low 11 bits.
* HCS/FCS: CRC-16/X.25 (:func:`crc16_x25`) sent least-significant byte first. The HCS covers
  format…control and is present only when an information field follows.
* addresses: 7 bits per byte, the last byte has LSB = 1. A server address is
  *upper* (logical device, 1 = management) and optionally *lower* (physical address):
  1 byte = upper only, 2 bytes = upper 7 bits + lower 7 bits, 4 bytes = upper 14 + lower 14 bits.
  A client address is one byte, ``(sap << 1) | 1`` (public client SAP 16 → ``0x21``).

Control field values (poll/final bit ``0x10`` included): SNRM ``0x93``, UA ``0x73``, DISC ``0x53``,
DM ``0x1F``, FRMR ``0x97``, UI ``0x13``; I-frame ``RRR P SSS 0``; RR ``RRR P 0001``;
RNR ``RRR P 0101`` (R = N(R), S = N(S), 0…7).

SNRM/UA information field (:class:`HdlcParams`): ``81 80 len`` then parameters 5 (max info
length transmit), 6 (max info length receive), 7 (window transmit), 8 (window receive); defaults
128 bytes and window 1. In an SNRM, *transmit* is the client's direction; in a UA it is the
server's.

Every malformed input raises :class:`drivers.errors.ProtocolError` carrying the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.errors import ProtocolError

FLAG = 0x7E
FORMAT_TYPE3 = 0xA000
SEGMENTED_BIT = 0x0800
MAX_FRAME_LENGTH = 0x7FF  #: largest value of the 11-bit length field (bytes between flags)

SNRM = 0x93
UA = 0x73
DISC = 0x53
DM = 0x1F
FRMR = 0x97
UI = 0x13
PF = 0x10  #: poll/final bit

#: LLC header in front of every APDU, client → server and server → client.
LLC_REQUEST = b"\xe6\xe6\x00"
LLC_RESPONSE = b"\xe6\xe7\x00"

#: Public client SAP (no security, reads only LDN and clock on most meters).
PUBLIC_CLIENT_SAP = 16


# -- CRC ------------------------------------------------------------------------------------------
def _make_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _make_table()


def crc16_x25(data: bytes | bytearray) -> int:
    """CRC-16/X.25 (reflected poly 0x8408, init 0xFFFF, final XOR 0xFFFF) of ``data``, 0…0xFFFF.

    On the wire it is sent least-significant byte first: ``crc.to_bytes(2, "little")``.
    """
    crc = 0xFFFF
    table = _CRC_TABLE
    for b in data:
        crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFF


# -- addresses ------------------------------------------------------------------------------------
def encode_address(value: int, length: int = 1) -> bytes:
    """Encode ``value`` in ``length`` (1, 2 or 4) bytes of 7 bits each, last byte LSB = 1.

    ``value`` must fit in ``7 × length`` bits (0…0x7F, 0…0x3FFF, 0…0xFFFFFFF).
    """
    if length not in (1, 2, 4):
        raise ValueError(f"HDLC address length must be 1, 2 or 4 bytes, not {length}")
    if not 0 <= value < (1 << (7 * length)):
        raise ValueError(f"HDLC address {value} does not fit in {length} byte(s)")
    out = bytearray()
    for i in range(length - 1, -1, -1):
        out.append(((value >> (7 * i)) & 0x7F) << 1)
    out[-1] |= 1
    return bytes(out)


def decode_address(data: bytes | bytearray) -> tuple[int, int]:
    """Decode an address that starts ``data``; returns ``(value, length_in_bytes)``.

    :raises ProtocolError: no terminating byte (LSB = 1) within 4 bytes, or a 3-byte address.
    """
    value = 0
    for i, b in enumerate(data[:4]):
        value = (value << 7) | (b >> 1)
        if b & 1:
            length = i + 1
            if length == 3:
                raise ProtocolError("HDLC address of 3 bytes is not allowed", data=bytes(data))
            return value, length
    raise ProtocolError("HDLC address has no last byte (LSB = 1) within 4 bytes", data=bytes(data))


def server_address(logical: int = 1, physical: int | None = None, size: int = 4) -> bytes:
    """Server HDLC address: ``logical`` (upper) and ``physical`` (lower) in ``size`` bytes.

    ``size`` 1 carries only the logical address (``physical`` must be None); 2 bytes allow
    0…127 each; 4 bytes allow 0…16383 each. ``server_address(1, 0x11, 4)`` → ``00 02 00 23``.
    """
    if size == 1:
        if physical is not None:
            raise ValueError("a 1-byte server address has no physical (lower) part")
        return encode_address(logical, 1)
    bits = 7 if size == 2 else 14
    if size not in (2, 4):
        raise ValueError(f"server address size must be 1, 2 or 4 bytes, not {size}")
    phys = 0 if physical is None else physical
    for name, v in (("logical", logical), ("physical", phys)):
        if not 0 <= v < (1 << bits):
            raise ValueError(f"server {name} address {v} does not fit in a {size}-byte address")
    return encode_address((logical << bits) | phys, size)


def split_server_address(addr: bytes) -> tuple[int, int | None]:
    """``(logical, physical)`` of an encoded server address (physical None for 1 byte)."""
    value, length = decode_address(addr)
    if length != len(addr):
        raise ProtocolError("server address has trailing bytes", data=addr)
    if length == 1:
        return value, None
    bits = 7 if length == 2 else 14
    return value >> bits, value & ((1 << bits) - 1)


def client_address(sap: int) -> bytes:
    """One-byte client address ``(sap << 1) | 1`` (SAP 0…127; 16 → ``0x21``)."""
    return encode_address(sap, 1)


def _as_address(addr: bytes | int) -> bytes:
    if isinstance(addr, int):
        return encode_address(addr, 1)
    addr = bytes(addr)
    _, length = decode_address(addr)
    if length != len(addr):
        raise ValueError(f"address {addr.hex(' ')} has bytes after its last byte")
    return addr


# -- control field --------------------------------------------------------------------------------
def i_control(ns: int, nr: int, poll: bool = True) -> int:
    """I-frame control byte: N(S) ``ns`` and N(R) ``nr`` (0…7), poll/final bit."""
    return ((nr & 7) << 5) | (PF if poll else 0) | ((ns & 7) << 1)


def rr_control(nr: int, poll: bool = True) -> int:
    """RR (receive ready) control byte acknowledging up to N(R) − 1."""
    return ((nr & 7) << 5) | (PF if poll else 0) | 0x01


@dataclass(frozen=True)
class Control:
    """A decoded control byte: ``kind`` ∈ I, RR, RNR, SNRM, UA, DISC, DM, FRMR, UI, ?."""

    kind: str
    ns: int | None = None
    nr: int | None = None
    pf: bool = False


_UNNUMBERED = {0x83: "SNRM", 0x63: "UA", 0x43: "DISC", 0x0F: "DM", 0x87: "FRMR", 0x03: "UI"}


def parse_control(control: int) -> Control:
    """Decode a control byte (never raises; unknown commands have kind ``"?"``)."""
    pf = bool(control & PF)
    if control & 1 == 0:
        return Control("I", (control >> 1) & 7, (control >> 5) & 7, pf)
    if control & 3 == 1:
        kind = {0x01: "RR", 0x05: "RNR"}.get(control & 0x0F, "?")
        return Control(kind, None, (control >> 5) & 7, pf)
    return Control(_UNNUMBERED.get(control & ~PF & 0xFF, "?"), None, None, pf)


# -- frames ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HdlcFrame:
    """One HDLC frame.

    :param dest: destination address bytes as on the wire.
    :param src: source address bytes as on the wire.
    :param control: control byte.
    :param info: information field (may be empty).
    :param segmented: the segmentation bit (more segments follow).
    :param length: value of the length field (bytes between the flags).
    """

    dest: bytes
    src: bytes
    control: int
    info: bytes = b""
    segmented: bool = False
    length: int = 0

    @property
    def ctrl(self) -> Control:
        return parse_control(self.control)

    @property
    def kind(self) -> str:
        return parse_control(self.control).kind

    def encode(self) -> bytes:
        return encode_frame(self.dest, self.src, self.control, self.info, self.segmented)


def encode_frame(
    dest: bytes | int,
    src: bytes | int,
    control: int,
    info: bytes = b"",
    segmented: bool = False,
) -> bytes:
    """Build a complete frame with both flags.

    :param dest: encoded destination address (or an int for a 1-byte address value).
    :param src: encoded source address (or an int for a 1-byte address value).
    :param control: control byte 0…255.
    :param info: information field; HCS is added only when it is not empty.
    :param segmented: set the segmentation bit.
    :raises ValueError: the frame would exceed the 11-bit length (2047 bytes).
    """
    d, s = _as_address(dest), _as_address(src)
    length = 2 + len(d) + len(s) + 1 + 2 + (len(info) + 2 if info else 0)
    if length > MAX_FRAME_LENGTH:
        raise ValueError(f"HDLC frame of {length} bytes exceeds {MAX_FRAME_LENGTH}")
    fmt = FORMAT_TYPE3 | (SEGMENTED_BIT if segmented else 0) | length
    head = fmt.to_bytes(2, "big") + d + s + bytes([control & 0xFF])
    body = head
    if info:
        body = head + crc16_x25(head).to_bytes(2, "little") + bytes(info)
    return bytes([FLAG]) + body + crc16_x25(body).to_bytes(2, "little") + bytes([FLAG])


def parse_frame(data: bytes) -> HdlcFrame:
    """Parse one frame, with or without its flags; check length, HCS and FCS.

    :raises ProtocolError: wrong format type, length, address, HCS or FCS (``.data`` = the bytes).
    """
    raw = bytes(data)
    body = raw
    if len(body) >= 2 and body[0] == FLAG and body[-1] == FLAG:
        body = body[1:-1]
    if len(body) < 7:
        raise ProtocolError(f"HDLC frame too short ({len(body)} bytes)", data=raw)
    fmt = int.from_bytes(body[:2], "big")
    if fmt & 0xF000 != FORMAT_TYPE3:
        raise ProtocolError(f"HDLC frame format 0x{fmt:04X} is not type 3 (0xA…)", data=raw)
    length = fmt & MAX_FRAME_LENGTH
    if length != len(body):
        raise ProtocolError(
            f"HDLC length field says {length} bytes but the frame has {len(body)}", data=raw
        )
    if crc16_x25(body[:-2]) != int.from_bytes(body[-2:], "little"):
        raise ProtocolError("HDLC frame check sequence (FCS) is wrong", data=raw)
    pos = 2
    _, dlen = decode_address(body[pos : pos + 4])
    dest = body[pos : pos + dlen]
    pos += dlen
    _, slen = decode_address(body[pos : pos + 4])
    src = body[pos : pos + slen]
    pos += slen
    if pos >= len(body) - 2:
        raise ProtocolError("HDLC frame has no control field", data=raw)
    control = body[pos]
    pos += 1
    rest = len(body) - 2 - pos
    info = b""
    if rest:
        if rest < 3:
            raise ProtocolError("HDLC frame has a truncated header check sequence", data=raw)
        if crc16_x25(body[:pos]) != int.from_bytes(body[pos : pos + 2], "little"):
            raise ProtocolError("HDLC header check sequence (HCS) is wrong", data=raw)
        info = body[pos + 2 : -2]
    return HdlcFrame(dest, src, control, info, bool(fmt & SEGMENTED_BIT), length)


#: bytes of discarded garbage the reader keeps for the trace (the most recent ones).
MAX_DISCARDED = 4096


@dataclass
class FrameReader:
    """Extract frames from a byte stream, resynchronising after garbage.

    :meth:`feed` bytes as they arrive, then call :meth:`pop` until it returns None. Bytes that
    cannot start a frame are dropped and the last :data:`MAX_DISCARDED` of them are kept in
    :attr:`discarded` (evidence for the trace). A closing flag may double as the next frame's
    opening flag.

    Linear time: the buffer never holds more than one maximal frame beyond what was just fed,
    and while a frame is incomplete each later candidate start is examined once (its header
    check sequence first, the full FCS only if that matches), not once per :meth:`feed`.
    """

    buffer: bytearray = field(default_factory=bytearray)
    discarded: bytearray = field(default_factory=bytearray)
    _base: int = 0  # stream offset of buffer[0]
    _scan: int = 0  # stream offset up to which later flags have been queued
    _pending: list[int] = field(default_factory=list)  # stream offsets of undecided candidates

    def feed(self, data: bytes) -> None:
        self.buffer += data

    def _drop(self, n: int) -> None:
        self.discarded += self.buffer[:n]
        if len(self.discarded) > MAX_DISCARDED:
            del self.discarded[: len(self.discarded) - MAX_DISCARDED]
        del self.buffer[:n]
        self._base += n

    def frame_end(self) -> int | None:
        """Resynchronise and return the byte count of the complete frame at the buffer's start.

        None when more bytes are needed. Leading garbage is discarded.
        """
        buf = self.buffer
        while True:
            start = buf.find(FLAG)
            if start < 0:
                self._drop(len(buf))
                return None
            if start:
                self._drop(start)
            while len(buf) >= 2 and buf[1] == FLAG:
                del buf[0]  # idle/shared flags, not garbage
                self._base += 1
            if len(buf) < 3:
                return None
            if buf[1] & 0xF0 != 0xA0:
                self._drop(1)
                continue
            length = ((buf[1] << 8) | buf[2]) & MAX_FRAME_LENGTH
            if length < 7:
                self._drop(1)
                continue
            if len(buf) < length + 2:
                # Incomplete — unless this "start" was garbage and a whole valid frame follows.
                later = self._later_valid_frame()
                if later is None:
                    return None
                self._drop(later)
                continue
            if buf[length + 1] != FLAG:
                self._drop(1)
                continue
            return length + 2

    def _candidate(self, p: int) -> bool | None:
        """Is a valid frame at ``buffer[p]`` (a flag)? None: cannot tell yet (more bytes needed)."""
        buf = self.buffer
        if len(buf) < p + 3:
            return None
        if buf[p + 1] & 0xF0 != 0xA0:
            return False
        length = ((buf[p + 1] << 8) | buf[p + 2]) & MAX_FRAME_LENGTH
        if length < 7:
            return False
        # Header check first (cheap, and rejects garbage with probability 1 − 1/65536).
        head = buf[p + 1 : p + 1 + min(length, 13)]
        try:
            _, dlen = decode_address(head[2:6])
            _, slen = decode_address(head[2 + dlen : 6 + dlen])
        except ProtocolError:
            return False if len(head) >= 13 or len(buf) >= p + 1 + length else None
        hlen = 2 + dlen + slen + 1  # format, addresses, control
        if length > hlen + 2:  # an information field follows: the HCS must match
            if len(buf) < p + 1 + hlen + 2:
                return None
            hcs = int.from_bytes(buf[p + 1 + hlen : p + 3 + hlen], "little")
            if crc16_x25(buf[p + 1 : p + 1 + hlen]) != hcs:
                return False
        end = p + length + 1
        if end >= len(buf):
            return None
        return buf[end] == FLAG and crc16_x25(buf[p + 1 : end - 2]) == int.from_bytes(
            buf[end - 2 : end], "little"
        )

    def _later_valid_frame(self) -> int | None:
        """Offset in the buffer of the first later flag that starts a complete valid frame."""
        buf, base = self.buffer, self._base
        p = buf.find(FLAG, max(self._scan - base, 1))
        while p >= 0:
            self._pending.append(base + p)
            p = buf.find(FLAG, p + 1)
        self._scan = base + len(buf)
        undecided: list[int] = []
        found = None
        for offset in self._pending:
            p = offset - base
            if p < 1:
                continue
            verdict = self._candidate(p) if found is None else None
            if verdict:
                found = p
            elif verdict is None:
                undecided.append(offset)
        self._pending = undecided
        return found

    def pop(self) -> HdlcFrame | None:
        """Next complete frame, or None if more bytes are needed.

        :raises ProtocolError: a delimited frame failed its HCS/FCS check (the frame is dropped
            and the error carries its bytes; the caller may ask for a repeat).
        """
        end = self.frame_end()
        if end is None:
            return None
        raw = bytes(self.buffer[:end])
        del self.buffer[: end - 1]  # keep the closing flag: it may open the next frame
        self._base += end - 1
        return parse_frame(raw)


# -- SNRM / UA parameters -------------------------------------------------------------------------
@dataclass(frozen=True)
class HdlcParams:
    """HDLC parameters negotiated by SNRM/UA.

    :param max_info_tx: largest information field the sender of the SNRM/UA transmits (bytes).
    :param max_info_rx: largest information field it can receive (bytes, 32…2030 in practice).
    :param window_tx: transmit window (frames, 1…7).
    :param window_rx: receive window (frames, 1…7).
    """

    max_info_tx: int = 128
    max_info_rx: int = 128
    window_tx: int = 1
    window_rx: int = 1

def _param(pid: int, value: int, width: int | None = None) -> bytes:
    if width is None:
        width = 1 if value < 0x100 else 2
    return bytes([pid, width]) + value.to_bytes(width, "big")


def encode_params(params: HdlcParams) -> bytes:
    """SNRM/UA information field: ``81 80 len`` + parameters 5, 6, 7, 8 (windows as 4 bytes)."""
    for name in ("max_info_tx", "max_info_rx"):
        if not 1 <= getattr(params, name) <= 0xFFFF:
            raise ValueError(f"{name} {getattr(params, name)} outside 1…65535")
    group = (
        _param(5, params.max_info_tx)
        + _param(6, params.max_info_rx)
        + _param(7, params.window_tx, 4)
        + _param(8, params.window_rx, 4)
    )
    return bytes([0x81, 0x80, len(group)]) + group


def decode_params(info: bytes) -> HdlcParams:
    """Parse an SNRM/UA information field; missing parameters take the defaults (128, 1).

    An empty field means all defaults.

    :raises ProtocolError: wrong format/group identifier or truncated parameters.
    """
    info = bytes(info)
    if not info:
        return HdlcParams()
    if len(info) < 3 or info[0] != 0x81 or info[1] != 0x80:
        raise ProtocolError("HDLC parameter field does not start with 81 80", data=info)
    glen = info[2]
    if glen > len(info) - 3:
        raise ProtocolError("HDLC parameter group is truncated", data=info)
    values = {5: 128, 6: 128, 7: 1, 8: 1}
    pos, end = 3, 3 + glen
    while pos < end:
        if pos + 2 > end:
            raise ProtocolError("HDLC parameter is truncated", data=info)
        pid, plen = info[pos], info[pos + 1]
        if plen > 4 or pos + 2 + plen > end:
            raise ProtocolError(f"HDLC parameter {pid} has bad length {plen}", data=info)
        if plen:
            values[pid] = int.from_bytes(info[pos + 2 : pos + 2 + plen], "big")
        pos += 2 + plen
    return HdlcParams(values[5], values[6], values[7], values[8])
