"""Short-name (SN) referencing in the simulated meter: base names, ReadRequest and WriteRequest.

The server half, written from the standard's rules apart from the client's
:mod:`drivers.dlms.sn` so the two check each other. Base names are given out in the order of the
COSEM model, ``0x0100`` apart (room for 32 attributes and methods per object; attribute *i* of the
object at base *b* is the variable ``b + 8·(i − 1)``); the Association SN object (class 12,
0.0.40.0.0.255) sits at ``0xFA00`` and lists ``(base_name, class_id, version, logical_name)`` with
the base name as a signed 16-bit integer (``long``).

A ReadRequest may name several variables (multiple references); a parameterized access carries
the selector and parameters of selective access; an answer longer than the PDU goes out as
numbered data blocks, the client asking for each next one with block-number-access naming the
block it received.
"""

from __future__ import annotations

import bisect
import struct
from typing import Any

from drivers.dlms import axdr, ber
from drivers.dlms.axdr import DataType
from drivers.errors import ProtocolError
from drivers.sim import dlms_apdu as ap
from drivers.sim.dlms_cosem import ASSOCIATION, Context, CosemError, CosemModel, CosemObject

READ_REQUEST, WRITE_REQUEST, READ_RESPONSE, WRITE_RESPONSE = 0x05, 0x06, 0x0C, 0x0D
ASSOCIATION_BASE = 0xFA00
FIRST_BASE, STRIDE = 0x0100, 0x0100


class AssociationSn(CosemObject):
    """Class 12 Association SN: 2 object_list (base name, class, version, logical name)."""

    class_id = 12
    version = 2

    def __init__(self, names: SnNames) -> None:
        super().__init__(ASSOCIATION)
        self.getters[2] = lambda ctx, sel, p: names.object_list()


class SnNames:
    """Base names of every object of ``model`` (the LN association object is replaced)."""

    def __init__(self, model: CosemModel) -> None:
        objs = [o for o in model.objects.values() if o.obis != ASSOCIATION]
        self.by_base: dict[int, CosemObject] = {
            FIRST_BASE + i * STRIDE: o for i, o in enumerate(objs)
        }
        self.by_base[ASSOCIATION_BASE] = AssociationSn(self)
        self.bases = sorted(self.by_base)

    def find(self, name: int) -> tuple[CosemObject, int]:
        """Variable ``name`` → (object, attribute); unknown → CosemError(object-undefined)."""
        i = bisect.bisect_right(self.bases, name) - 1
        if i < 0 or (name - self.bases[i]) % 8 or name - self.bases[i] >= STRIDE:
            raise CosemError(ap.OBJECT_UNDEFINED)
        base = self.bases[i]
        return self.by_base[base], (name - base) // 8 + 1

    def object_list(self) -> bytes:
        items = [
            b"\x02\x04"
            + axdr.encode(base - 0x10000 if base >= 0x8000 else base, DataType.INT16)
            + axdr.encode(o.class_id, DataType.UINT16)
            + axdr.encode(o.version, DataType.UINT8)
            + axdr.encode(o.obis, DataType.OCTET_STRING)
            for base, o in sorted(self.by_base.items())
        ]
        return b"\x01" + ber.encode_length(len(items)) + b"".join(items)


def _items(apdu: bytes) -> list[tuple[str, int, int | None, Any]]:
    """ReadRequest / WriteRequest variable specifications → ``(kind, name or block, selector,
    parameters)``; kind ``name``, ``param`` or ``block``. Malformed → RequestError."""
    try:
        count, pos = ber.decode_length(apdu, 1)
        out: list[tuple[str, int, int | None, Any]] = []
        for _ in range(count):
            tag = apdu[pos]
            (value,) = struct.unpack(">H", apdu[pos + 1 : pos + 3])
            pos += 3
            if tag == 2:
                out.append(("name", value, None, None))
            elif tag == 5:
                out.append(("block", value, None, None))
            elif tag == 4:
                selector = apdu[pos]
                params, rest = axdr.decode(apdu[pos + 1 :])
                pos = len(apdu) - len(rest)
                out.append(("param", value, selector, params))
            else:
                raise ap.RequestError(f"variable access {tag} not supported", apdu, unknown=True)
        return out + [("end", pos, None, None)]
    except (ProtocolError, IndexError, ValueError, struct.error) as exc:
        raise ap.RequestError(f"SN request malformed: {exc}", apdu) from None


class SnServer:
    """Answers SN requests for one association of a simulated meter."""

    def __init__(self, model: CosemModel) -> None:
        self.names = SnNames(model)
        self.blocks: tuple[bytes, int] | None = None  #: encoded data, block size

    def handle(self, apdu: bytes, ctx: Context, limit: int) -> bytes:
        """One ReadRequest / WriteRequest → its response (``limit`` = largest APDU sent)."""
        try:
            if apdu[0] == READ_REQUEST:
                return self._read(apdu, ctx, limit)
            if apdu[0] == WRITE_REQUEST:
                return self._write(apdu, ctx)
            raise ap.RequestError(f"APDU tag 0x{apdu[0]:02X} not supported", apdu, unknown=True)
        except ap.RequestError as exc:
            return ap.exception_response(
                ap.STATE_SERVICE_UNKNOWN if exc.unknown else ap.STATE_SERVICE_NOT_ALLOWED,
                ap.SERVICE_NOT_SUPPORTED if exc.unknown else 3,
            )

    def _read(self, apdu: bytes, ctx: Context, limit: int) -> bytes:
        items = _items(apdu)
        end = items.pop()[1]
        if end != len(apdu):
            raise ap.RequestError("ReadRequest has trailing bytes", apdu)
        if len(items) == 1 and items[0][0] == "block":
            return self._next_block(items[0][1])
        self.blocks = None
        parts = []
        for kind, name, selector, params in items:
            if kind == "block":
                raise ap.RequestError("block-number-access among other variables", apdu)
            try:
                obj, attr = self.names.find(name)
                parts.append(b"\x00" + obj.get(ctx, attr, selector, params))
            except CosemError as exc:
                parts.append(bytes([1, exc.code]))
        response = bytes([READ_RESPONSE]) + ber.encode_length(len(parts)) + b"".join(parts)
        if len(response) <= limit or len(parts) != 1 or parts[0][0] != 0:
            return response
        self.blocks = (parts[0][1:], max(16, limit - 10))
        return self._block(1)

    def _block(self, number: int) -> bytes:
        assert self.blocks is not None
        data, size = self.blocks
        count = -(-len(data) // size)
        chunk = data[(number - 1) * size : number * size]
        last = number >= count
        if last:
            self.blocks = None
        head = bytes([READ_RESPONSE, 1, 2, 1 if last else 0]) + struct.pack(">H", number)
        return head + ber.encode_length(len(chunk)) + chunk

    def _next_block(self, received: int) -> bytes:
        if self.blocks is None:
            return bytes([READ_RESPONSE, 1, 1, ap.NO_LONG_GET_IN_PROGRESS])
        data, size = self.blocks
        if not 1 <= received + 1 <= -(-len(data) // size):
            self.blocks = None
            return bytes([READ_RESPONSE, 1, 1, ap.DATA_BLOCK_NUMBER_INVALID])
        return self._block(received + 1)

    def _write(self, apdu: bytes, ctx: Context) -> bytes:
        items = _items(apdu)
        pos = items.pop()[1]
        try:
            count, pos = ber.decode_length(apdu, pos)
            values = []
            for _ in range(count):
                value, rest = axdr.decode(apdu[pos:])
                values.append(value)
                pos = len(apdu) - len(rest)
        except (ProtocolError, IndexError, ValueError) as exc:
            raise ap.RequestError(f"WriteRequest data malformed: {exc}", apdu) from None
        if count != len(items) or pos != len(apdu):
            raise ap.RequestError("WriteRequest: variables and data do not pair up", apdu)
        codes = []
        for (kind, name, _, _), value in zip(items, values, strict=True):
            try:
                if kind != "name":
                    raise CosemError(ap.OTHER_REASON)
                obj, attr = self.names.find(name)
                obj.set(ctx, attr, value)
                codes.append(b"\x00")
            except CosemError as exc:
                codes.append(bytes([1, exc.code]))
        return bytes([WRITE_RESPONSE]) + ber.encode_length(len(codes)) + b"".join(codes)
