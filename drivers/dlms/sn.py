"""Short-name (SN) referencing: the xDLMS services many installed meters speak instead of GET/SET.

IEC 62056-5-3 SN services, in our words:

* the AARQ names the SN application context ``2.16.756.5.8.1.2`` and proposes an SN conformance
  (read, write, unconfirmed write, block transfer with read, multiple references, information
  report, parameterized access);
* every object has a 16-bit *base name* (a multiple of 8); attribute *i* is the variable
  ``base + 8·(i − 1)``. The Association SN object (class 12, logical name 0.0.40.0.0.255, base
  name ``0xFA00``) lists every object as ``(base_name, class_id, version, logical_name)`` in its
  attribute 2 (variable ``0xFA08``); base names travel as signed 16-bit integers;
* ``ReadRequest`` (``0x05``) = SEQUENCE OF Variable-Access-Specification: ``[2]`` variable-name,
  ``[4]`` parameterized-access (variable name, selector, parameters — selective access),
  ``[5]`` block-number-access (the number of the data block received: "send the next");
* ``ReadResponse`` (``0x0C``) = SEQUENCE OF CHOICE ``[0]`` data, ``[1]`` data-access-error,
  ``[2]`` data-block-result (last-block, block-number, raw-data);
* ``WriteRequest`` (``0x06``) = the variables, then their data; ``WriteResponse`` (``0x0D``) =
  ``[0]`` success or ``[1]`` data-access-error per variable.

:class:`SnClient` is a :class:`~drivers.dlms.client.DlmsClient` whose ``get``/``get_list``/``set``
speak these services, so every helper above them (identity, clock, registers, profiles, events)
reads an SN meter exactly as an LN one.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from drivers.dlms import apdu as A
from drivers.dlms import axdr, ber
from drivers.dlms.client import DlmsClient
from drivers.errors import ObjectError, ProtocolError

CONTEXT_SN = bytes.fromhex("60857405080102")
#: read (3), write (4), unconfirmed-write (5), block-transfer-with-get-or-read (11),
#: multiple-references (14), information-report (15), parameterized-access (18).
SN_CONFORMANCE = 0x1C1320
READ_REQUEST, WRITE_REQUEST, READ_RESPONSE, WRITE_RESPONSE = 0x05, 0x06, 0x0C, 0x0D
ASSOCIATION_SN = 0xFA00
CLASS_ASSOCIATION_SN = 12
OBIS_ASSOCIATION = "0.0.40.0.0.255"


def variable(base: int, attr: int) -> int:
    """The variable name of attribute ``attr`` (1…) of the object at ``base``."""
    return (base + 8 * (attr - 1)) & 0xFFFF


def read_request(items: list[tuple[int, tuple[int, bytes] | None]]) -> bytes:
    """ReadRequest for ``[(variable name, (selector, encoded parameters) | None)…]``."""
    out = bytearray([READ_REQUEST]) + ber.encode_length(len(items))
    for name, access in items:
        if access is None:
            out += b"\x02" + struct.pack(">H", name & 0xFFFF)
        else:
            out += b"\x04" + struct.pack(">HB", name & 0xFFFF, access[0]) + access[1]
    return bytes(out)


def read_next(block: int) -> bytes:
    """ReadRequest asking for the block after ``block`` (block-number-access)."""
    return bytes([READ_REQUEST, 1, 5]) + struct.pack(">H", block & 0xFFFF)


def write_request(name: int, data: bytes) -> bytes:
    """WriteRequest of one variable with encoded A-XDR ``data``."""
    return bytes([WRITE_REQUEST, 1, 2]) + struct.pack(">H", name & 0xFFFF) + b"\x01" + data


@dataclass(frozen=True)
class ReadResult:
    """One item of a ReadResponse: ``kind`` ``data`` (encoded Data), ``error`` (result code)
    or ``block`` (``last``, ``number``, raw slice in ``data``)."""

    kind: str
    data: bytes = b""
    code: int = 0
    last: bool = True
    number: int = 0


def _service_error(apdu: bytes) -> None:
    if apdu[:1] in (bytes([A.EXCEPTION_RESPONSE]), bytes([A.CONFIRMED_SERVICE_ERROR])):
        A.parse_response(apdu)  # raises ProtocolError with the meter's reason


def parse_read_response(apdu: bytes) -> list[ReadResult]:
    """ReadResponse → one :class:`ReadResult` per variable; anything else → ProtocolError."""
    apdu = bytes(apdu)
    if not apdu:
        raise ProtocolError("empty APDU from the meter", data=apdu)
    _service_error(apdu)
    if apdu[0] != READ_RESPONSE:
        raise ProtocolError(f"expected ReadResponse, got tag 0x{apdu[0]:02X}", data=apdu)
    try:
        count, pos = ber.decode_length(apdu, 1)
        out = []
        for _ in range(count):
            choice = apdu[pos]
            pos += 1
            if choice == 0:
                _, rest = axdr.decode(apdu[pos:])
                end = len(apdu) - len(rest)
                out.append(ReadResult("data", apdu[pos:end]))
                pos = end
            elif choice == 1:
                out.append(ReadResult("error", code=apdu[pos]))
                pos += 1
            elif choice == 2:
                last, number = apdu[pos] != 0, struct.unpack(">H", apdu[pos + 1 : pos + 3])[0]
                n, at = ber.decode_length(apdu, pos + 3)
                if at + n > len(apdu):
                    raise IndexError("raw-data truncated")
                out.append(ReadResult("block", apdu[at : at + n], 0, last, number))
                pos = at + n
            else:
                raise ProtocolError(f"ReadResponse choice {choice} not supported", data=apdu)
    except (IndexError, ValueError, struct.error) as exc:
        raise ProtocolError(f"ReadResponse malformed: {exc}", data=apdu) from None
    if pos != len(apdu):
        raise ProtocolError("ReadResponse has trailing bytes", data=apdu)
    return out


def parse_write_response(apdu: bytes) -> list[int]:
    """WriteResponse → a result code per variable (0 = success)."""
    apdu = bytes(apdu)
    _service_error(apdu)
    if apdu[:1] != bytes([WRITE_RESPONSE]):
        raise ProtocolError("expected WriteResponse", data=apdu)
    try:
        count, pos = ber.decode_length(apdu, 1)
        out = []
        for _ in range(count):
            if apdu[pos] == 0:
                out.append(0)
                pos += 1
            else:
                out.append(apdu[pos + 1])
                pos += 2
    except (IndexError, ValueError) as exc:
        raise ProtocolError(f"WriteResponse malformed: {exc}", data=apdu) from None
    return out


def parse_object_list(value: Any) -> list[tuple[int, int, int, bytes]]:
    """Decoded SN object_list → ``[(base name, class id, version, logical name)…]``."""
    if not isinstance(value, list):
        raise ObjectError("SN object_list is not an array", obj=OBIS_ASSOCIATION, attribute=2)
    out = []
    for i, item in enumerate(value):
        try:
            base, class_id, version, ln = item
            out.append((int(base) & 0xFFFF, int(class_id), int(version), bytes(ln)))
        except (TypeError, ValueError) as exc:
            raise ObjectError(
                f"SN object_list entry {i} malformed: {exc}", obj=OBIS_ASSOCIATION, attribute=2,
                reason=f"entry {i} malformed",
            ) from None  # fmt: skip
    return out


class SnClient(DlmsClient):
    """A :class:`DlmsClient` speaking short-name services (base names from the object list)."""

    referencing = "sn"
    context = CONTEXT_SN
    conformance = SN_CONFORMANCE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._names: dict[tuple[int, bytes], int] | None = None

    def object_list(self) -> list[tuple[int, int, int, bytes]]:
        """The Association SN object list (read once per association)."""
        raw = self._read(variable(ASSOCIATION_SN, 2), None, "READ object list", "object list")
        value, rest = axdr.decode(raw)
        entries = parse_object_list(value)
        self._names = {(c, ln): base for base, c, _, ln in entries}
        self._names[(CLASS_ASSOCIATION_SN, A.obis_bytes(OBIS_ASSOCIATION))] = ASSOCIATION_SN
        return entries

    def base_name(self, class_id: int, obis: bytes) -> int:
        if self._names is None:
            self.object_list()
        assert self._names is not None
        key = (class_id, bytes(obis))
        if key not in self._names:
            if class_id == 15 and bytes(obis) == A.obis_bytes(OBIS_ASSOCIATION):
                return ASSOCIATION_SN
            raise A.DataAccessError(4, what=f"class {class_id} {A.obis_str(obis)} (no base name)")
        return self._names[key]

    def _read(self, name: int, access: tuple[int, bytes] | None, step: str, what: str) -> bytes:
        results = parse_read_response(self.link.exchange(read_request([(name, access)]), step=step))
        if len(results) != 1:
            raise ProtocolError(f"{len(results)} results for one variable", step=step)
        r = results[0]
        if r.kind == "error":
            A.raise_for_result(r.code, what)
        if r.kind == "data":
            return r.data
        data, expected = bytearray(), 1
        while True:
            if r.kind != "block":
                raise ProtocolError(f"expected a data block, got {r.kind}", step=step)
            if r.number != expected:
                raise ProtocolError(
                    f"data block {r.number} arrived, expected {expected}", step=step
                )
            data += r.data
            self.blocks_received += 1
            if r.last:
                return bytes(data)
            nxt = parse_read_response(
                self.link.exchange(read_next(r.number), step=f"{step} block {expected}")
            )
            if len(nxt) != 1:
                raise ProtocolError("a data block answer names more than one variable", step=step)
            r = nxt[0]
            if r.kind == "error":
                A.raise_for_result(r.code, f"{what} block {expected + 1}")
            expected += 1

    def _get_raw(self, desc: A.Descriptor, access: tuple[int, bytes] | None, step: str) -> bytes:
        name = variable(self.base_name(desc.class_id, desc.obis), desc.index)
        return self._read(name, access, f"READ {desc} (0x{name:04X})", str(desc))

    def get_list(self, items: list[tuple[int, str, int]]) -> list[Any]:
        """Several variables in one ReadRequest (multiple references)."""
        descs = [A.Descriptor.of(c, o, a) for c, o, a in items]
        names = [variable(self.base_name(d.class_id, d.obis), d.index) for d in descs]
        step = f"READ list of {len(names)}"
        results = parse_read_response(
            self.link.exchange(read_request([(n, None) for n in names]), step=step)
        )
        if len(results) != len(descs):
            raise ProtocolError(f"{len(results)} results for {len(descs)} variables", step=step)
        out: list[Any] = []
        for d, r in zip(descs, results, strict=True):
            name = A.obis_str(d.obis)
            try:
                if r.kind != "data":
                    A.raise_for_result(r.code or 250, f"class {d.class_id} {name} #{d.index}")
                out.append(axdr.decode(r.data)[0])
            except ObjectError as exc:
                exc.obj, exc.attribute = exc.obj or name, exc.attribute or d.index
                out.append(exc)
        return out

    def set(self, class_id: int, obis: str | bytes, attr: int, data: bytes | axdr.Typed) -> None:
        desc = A.Descriptor.of(class_id, obis, attr)
        name = variable(self.base_name(desc.class_id, desc.obis), attr)
        raw = data.encode() if isinstance(data, axdr.Typed) else data
        step = f"WRITE {desc} (0x{name:04X})"
        codes = parse_write_response(self.link.exchange(write_request(name, raw), step=step))
        if len(codes) != 1:
            raise ProtocolError(f"{len(codes)} results for one variable", step=step)
        A.raise_for_result(codes[0], str(desc))

    def action(self, class_id: int, obis: str | bytes, method: int, data: Any = None) -> Any:
        raise ProtocolError(
            "methods are not invoked with short-name referencing by this client "
            f"(class {class_id} {A.obis_str(A.obis_bytes(obis))} method {method})"
        )
