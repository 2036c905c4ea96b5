"""Trace dissection: what each recorded chunk of bytes asked or answered, in words.

A trace (:mod:`drivers.trace`) records chunks as they were written or read; a frame may span
chunks and a chunk may hold several frames. :func:`dissect_records` reassembles each direction
separately and returns one :class:`Dissection` per record: a one-line ``summary`` ("GET
1.0.99.1.0.255 load profile · buffer by range 2025-03-09 00:00 → 2025-03-10 00:00", "AARE:
rejected — authentication failure", "R1: read 1.8.0"), a ``tree`` of details and a ``level``:

* ``"ok"`` — well-formed;
* ``"refused"`` — well-formed, but the meter refused (NAK, AARE rejected, a data-access error);
* ``"bad"`` — a checksum (HDLC HCS/FCS, IEC BCC) is wrong or the bytes cannot be parsed.

The protocol of each chunk is recognised from its bytes: HDLC frames start with ``0x7E``, the
DLMS TCP wrapper with version ``00 01``, anything else is IEC 62056-21 text (mode E starts as
IEC 62056-21 and continues in HDLC). Per-protocol decoding lives in
:mod:`drivers.dlms.dissect` and :mod:`drivers.iec62056_21.dissect`. Used by the GUI's trace
panel, the report and ``bench-app trace show``.
"""

from __future__ import annotations

from collections.abc import Iterable

from drivers.dlms.dissect import DlmsStream
from drivers.iec62056_21.dissect import IecStream
from drivers.trace import LEVELS, Dissection, Trace, TraceRecord

__all__ = ["LEVELS", "Dissection", "dissect_records", "dissect_trace", "hex_dump", "tree_text"]

class _Direction:
    """Reassembly state of one direction (tx or rx)."""

    def __init__(self) -> None:
        self.dlms = DlmsStream()
        self.iec = IecStream()
        self.mode = ""

    def feed(self, data: bytes) -> Dissection:
        if not data:
            return Dissection("(no bytes)")
        if self.mode == "":
            self.mode = _guess(data)
        elif self.mode == "iec21" and not self.iec.busy() and data[0] == 0x7E:
            self.mode = "hdlc"  # mode E: HDLC after the IEC 62056-21 option select
        elif self.mode != "iec21" and not self.dlms.busy() and data[:1] == b"/":
            self.mode = "iec21"  # a new sign-on
        if self.mode == "iec21":
            parts = self.iec.feed(data)
            if not parts and self.iec.busy():
                return Dissection(
                    f"(part of an IEC 62056-21 message: {len(data)} bytes)", protocol="iec21"
                )
            return Dissection.join(parts, protocol="iec21")
        parts = self.dlms.feed(data, wrapper=self.mode == "wrapper")
        if not parts:
            return Dissection(
                f"(part of a frame: {len(data)} bytes, {self.dlms.pending()} waiting)",
                protocol=self.mode,
            )
        return Dissection.join(parts, protocol=self.mode)


def _guess(data: bytes) -> str:
    if data[0] == 0x7E:
        return "hdlc"
    if len(data) >= 8 and data[:2] == b"\x00\x01":
        return "wrapper"
    return "iec21"


def dissect_records(records: Iterable[TraceRecord]) -> list[Dissection]:
    """One :class:`Dissection` per record, in order (frames reassembled per direction)."""
    directions = {"tx": _Direction(), "rx": _Direction()}
    out = []
    for rec in records:
        state = directions.setdefault(rec.direction, _Direction())
        try:
            out.append(state.feed(rec.data))
        except Exception as exc:  # noqa: BLE001 - a dissector bug must not hide the evidence
            out.append(Dissection(f"(not decoded: {type(exc).__name__}: {exc})", level="bad"))
            directions[rec.direction] = _Direction()
    return out


def dissect_trace(trace: Trace) -> list[Dissection]:
    """:func:`dissect_records` over a whole :class:`~drivers.trace.Trace`."""
    return dissect_records(list(trace))


def hex_dump(data: bytes, width: int = 16) -> str:
    """Offset, hex bytes and ASCII (dots for non-printables), ``width`` bytes a line."""
    lines = []
    for off in range(0, len(data), width):
        chunk = data[off : off + width]
        hexes = " ".join(f"{b:02X}" for b in chunk).ljust(width * 3 - 1)
        ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{off:04X}  {hexes}  {ascii_}")
    return "\n".join(lines)


def tree_text(tree: list[tuple[int, str]]) -> str:
    """The ``(depth, text)`` lines indented two spaces a level."""
    return "\n".join("  " * depth + text for depth, text in tree)
