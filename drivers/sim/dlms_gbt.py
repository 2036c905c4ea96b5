"""The simulated meter's general block transfer (GBT), server side.

When the association grants ``general-block-transfer`` (the client proposed it and the meter's
``[simulation] general_block_transfer`` is true, the default), an answer longer than the
negotiated PDU goes out as GBT APDUs (tag ``0xE0``: block-control with last-block bit 7,
streaming bit 6 and the sender's receive window in bits 5…0, block-number, block-number-ack,
block-data as a length-prefixed octet-string) instead of GET-Response-With-Datablock.

Streaming: the meter sends as many blocks as the client's window allows without waiting; the
last one of each window goes without the streaming bit, and the client's bare acknowledgement
(a GBT APDU with no data) names the last block it has and its window, from which the meter goes
on. The window is the one the client last announced in this association — 1 until the client
has announced any. Each block is sized so that, with the LLC header, it fills whole HDLC frames.

Encoded here independently of the client's GBT codec (``drivers.dlms.gbt``); lengths are read
and written by the one parser of DLMS length octets, :mod:`drivers.dlms.ber`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from drivers.dlms.ber import decode_length
from drivers.dlms.ber import encode_length as _length
from drivers.errors import ProtocolError

TAG = 0xE0
#: conformance bit 2 (bit 0 = MSB of 24): general-block-transfer.
CONFORMANCE_BIT = 0x200000
_LAST, _STREAMING, _WINDOW = 0x80, 0x40, 0x3F
#: blocks the meter takes before it acknowledges (it only receives single-block requests).
OWN_WINDOW = 1


class GbtError(Exception):
    """A client GBT APDU the meter cannot take (answered with an exception response)."""


def encode(last: bool, streaming: bool, window: int, number: int, ack: int, data: bytes) -> bytes:
    """One GBT APDU (window 0…63, block numbers 0…65535)."""
    control = (_LAST if last else 0) | (_STREAMING if streaming else 0) | (window & _WINDOW)
    return struct.pack(">BBHH", TAG, control, number, ack) + _length(len(data)) + data


@dataclass(frozen=True)
class Incoming:
    """A client's GBT APDU: ``window`` it can receive, its ``number``, ``ack`` of ours, data."""

    last: bool
    window: int
    number: int
    ack: int
    data: bytes


def decode(apdu: bytes) -> Incoming:
    """Parse a client's GBT APDU; raises :class:`GbtError` if malformed."""
    if len(apdu) < 7 or apdu[0] != TAG:
        raise GbtError("GBT APDU truncated")
    control = apdu[1]
    number, ack = struct.unpack(">HH", apdu[2:6])
    try:
        length, pos = decode_length(apdu, 6, "GBT block-data")
    except ProtocolError as exc:
        raise GbtError(str(exc)) from None
    if pos + length != len(apdu):
        raise GbtError("GBT block-data length does not match")
    return Incoming(bool(control & _LAST), control & _WINDOW, number, ack, apdu[pos:])


def block_size(limit: int, frame_info: int | None, llc: int = 3) -> int:
    """Data bytes per block: the APDU stays within ``limit`` bytes and, over HDLC with
    ``frame_info`` bytes per frame, LLC header + block fills whole frames (when that keeps at
    least half the PDU)."""
    plain = max(16, limit - 6 - len(_length(limit)))
    if not frame_info:
        return plain
    frames = (limit + llc) // frame_info
    total = frames * frame_info - llc  # the GBT APDU's length
    data = total - 6 - len(_length(total))
    while data > 0 and 6 + len(_length(data)) + data < total:
        data += 1
    return data if data >= max(16, limit // 2) else plain


class GbtSender:
    """One association's GBT state: the answer being sent, and the client's window."""

    def __init__(self) -> None:
        self.window = 1  #: the client's receive window (blocks), as last announced
        self.apdu = b""
        self.size = 0
        self.ack = 0  #: the client's last block number we have seen

    @property
    def active(self) -> bool:
        return bool(self.apdu)

    @property
    def count(self) -> int:
        return -(-len(self.apdu) // self.size) if self.size else 0

    def start(self, apdu: bytes, size: int) -> list[bytes]:
        """Begin sending ``apdu`` in blocks of ``size`` bytes; the first window of blocks."""
        self.apdu, self.size = apdu, max(1, size)
        return self.window_from(1)

    def stop(self) -> None:
        self.apdu, self.size = b"", 0

    def window_from(self, first: int) -> list[bytes]:
        """Blocks ``first`` … (the client's window, or to the last block); the last of them is
        not streamed on unless it is the final block."""
        count = self.count
        end = min(count, first + max(1, self.window) - 1)
        out = []
        for n in range(first, end + 1):
            chunk = self.apdu[(n - 1) * self.size : n * self.size]
            out.append(encode(n == count, n < end, OWN_WINDOW, n, self.ack, chunk))
        if end == count:
            self.stop()
        return out

    def on_ack(self, block: Incoming) -> list[bytes]:
        """The client acknowledged ``block.ack``: the next window from the block after it."""
        self.window = block.window or 1
        self.ack = block.number
        if not self.active or not 1 <= block.ack + 1 <= self.count:
            self.stop()
            raise GbtError(f"no block {block.ack + 1} to send")
        return self.window_from(block.ack + 1)
