"""General Block Transfer (GBT): any xDLMS APDU carried in numbered blocks.

A long APDU (a GET-Response with a 30-day profile buffer, say) is cut into blocks, each sent as
a general-block-transfer APDU, tag ``0xE0``::

    E0 | block-control | block-number (u16) | block-number-ack (u16) | block-data

* block-control, one byte: bit 7 *last block*, bit 6 *streaming* (the sender goes on sending
  without waiting for an acknowledgement), bits 5…0 *window* — how many blocks the sender of
  this APDU is able to receive before it acknowledges (1…63);
* block-number: this block's number, from 1; block-number-ack: the last block the sender of
  this APDU has received from the other side (0 = none);
* block-data: an A-XDR octet-string (length-prefixed), empty in a bare acknowledgement.

Unlike the GET service's own data blocks, GBT is independent of the service, and with streaming
the sender sends up to the receiver's window of blocks without a request for each. The
receiver acknowledges a block that is not streamed on (the last of a window) with a GBT APDU
carrying no data, its block-number-ack and its own window. It is used only when both sides
offer the ``general-block-transfer`` conformance bit in the association.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from drivers.dlms.ber import decode_length, encode_length
from drivers.errors import ProtocolError

#: APDU tag of general-block-transfer ([224]).
GBT_TAG = 0xE0
#: conformance bit 2 (counted from the MSB of 24) "general-block-transfer".
GENERAL_BLOCK_TRANSFER = 1 << (23 - 2)
LAST, STREAMING = 0x80, 0x40
MAX_WINDOW = 0x3F


@dataclass(frozen=True)
class Block:
    """One general-block-transfer APDU.

    :param last: the final block of the carried APDU.
    :param streaming: the sender sends its next block without waiting for an acknowledgement.
    :param window: blocks the sender can receive before acknowledging (0…63).
    :param number: this block's number (0…65535, from 1).
    :param ack: the last block the sender received (0…65535, 0 = none).
    :param data: the block's slice of the carried APDU (empty in an acknowledgement).
    """

    last: bool
    streaming: bool
    window: int
    number: int
    ack: int
    data: bytes = b""

    def encode(self) -> bytes:
        if not 0 <= self.window <= MAX_WINDOW:
            raise ValueError(f"GBT window {self.window} outside 0…63")
        control = (LAST if self.last else 0) | (STREAMING if self.streaming else 0) | self.window
        head = struct.pack(">BBHH", GBT_TAG, control, self.number, self.ack)
        return head + encode_length(len(self.data)) + self.data


def header_size(data_len: int) -> int:
    """Bytes a block holding ``data_len`` data bytes adds before them (tag to length)."""
    return 6 + len(encode_length(data_len))


def parse(apdu: bytes) -> Block:
    """Decode one GBT APDU; raises :class:`ProtocolError` (naming the fault) if malformed."""
    if len(apdu) < 7 or apdu[0] != GBT_TAG:
        raise ProtocolError("general-block-transfer APDU truncated or mis-tagged", data=apdu[:16])
    control = apdu[1]
    number, ack = struct.unpack(">HH", apdu[2:6])
    length, pos = decode_length(apdu, 6, f"general-block-transfer block {number} block-data")
    if pos + length != len(apdu):
        raise ProtocolError(
            f"general-block-transfer block {number}: block-data holds {len(apdu) - pos} bytes,"
            f" its length says {length}",
            data=apdu[:16],
        )
    return Block(
        bool(control & LAST), bool(control & STREAMING), control & MAX_WINDOW, number, ack,
        bytes(apdu[pos:]),
    )  # fmt: skip


def cut(apdu: bytes, size: int) -> list[bytes]:
    """``apdu`` as consecutive block-data slices of ``size`` bytes (the last may be shorter)."""
    if size <= 0:
        raise ValueError(f"GBT block size {size} must be positive")
    return [apdu[i : i + size] for i in range(0, len(apdu), size)] or [b""]
