"""Byte trace: every chunk read from or written to a port, as evidence.

A :class:`Trace` is an append-only list of :class:`TraceRecord`. Each record holds the direction
(``"tx"`` written by us, ``"rx"`` read from the meter), a monotonic timestamp in nanoseconds
(:func:`time.monotonic_ns`), the wall-clock UTC time in nanoseconds, the line settings in force
(baud, ``"7E1"``/``"8N1"``) and the bytes. Protocol layers that know where a password sits pass
its byte spans with the write (:mod:`drivers.redact`), so the secret never enters a record.

Saved as JSON Lines, one record per line: ``{"dir": "tx", "t_ns": …, "wall_ns": …, "baud": 300,
"line": "7E1", "hex": "2f3f210d0a", "note": "sign-on"}``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from drivers.redact import REDACTED_BYTE, REDACTED_NOTE, Span, mask, spans_in_segment

__all__ = ["REDACTED_BYTE", "Trace", "TraceRecord"]

LEVELS = ("ok", "refused", "bad")


@dataclass
class Dissection:
    """What one record (or one message inside it) means.

    :param summary: one line for a table column.
    :param tree: ``(depth, text)`` lines, depth 0 = the message, deeper = its fields.
    :param level: ``"ok"``, ``"refused"`` or ``"bad"`` (see the module docstring).
    :param protocol: ``"hdlc"``, ``"wrapper"``, ``"iec21"`` or ``""`` (unknown).
    """

    summary: str
    tree: list[tuple[int, str]] = field(default_factory=list)
    level: str = "ok"
    protocol: str = ""

    @staticmethod
    def join(parts: list[Dissection], *, protocol: str = "") -> Dissection:
        """Several messages completed in one chunk → one record dissection (worst level wins)."""
        if not parts:
            return Dissection("", [], "ok", protocol)
        if len(parts) == 1:
            return parts[0]
        level = max((p.level for p in parts), key=LEVELS.index)
        tree = [line for p in parts for line in p.tree]
        return Dissection(" ‖ ".join(p.summary for p in parts), tree, level, parts[0].protocol)


@dataclass
class TraceRecord:
    """One chunk of bytes on the wire.

    :param direction: ``"tx"`` (client → meter) or ``"rx"`` (meter → client).
    :param t_ns: :func:`time.monotonic_ns` when the chunk was written or finished arriving.
    :param wall_ns: :func:`time.time_ns` at the same moment (UTC, nanoseconds since the epoch).
    :param data: the bytes (already redacted where a protocol layer asked).
    :param baud: the baud rate in force for these bytes (bits per second).
    :param line: the character format in force, e.g. ``"7E1"`` or ``"8N1"``.
    :param note: free text set by the protocol layer (``"sign-on"``, ``"redacted password"``…).
    """

    direction: str
    t_ns: int
    wall_ns: int
    data: bytes
    baud: int = 0
    line: str = ""
    note: str = ""

    def to_json(self) -> dict:
        return {
            "dir": self.direction,
            "t_ns": self.t_ns,
            "wall_ns": self.wall_ns,
            "baud": self.baud,
            "line": self.line,
            "hex": self.data.hex(),
            "note": self.note,
        }

    @classmethod
    def from_json(cls, obj: dict) -> TraceRecord:
        return cls(
            direction=obj["dir"],
            t_ns=int(obj["t_ns"]),
            wall_ns=int(obj.get("wall_ns", 0)),
            data=bytes.fromhex(obj["hex"]),
            baud=int(obj.get("baud", 0)),
            line=str(obj.get("line", "")),
            note=str(obj.get("note", "")),
        )


@dataclass
class Trace:
    """Thread-safe, append-only byte trace of one port session."""

    records: list[TraceRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(
        self,
        direction: str,
        data: bytes,
        *,
        baud: int = 0,
        line: str = "",
        note: str = "",
        secret: Sequence[Span] = (),
    ) -> int:
        """Append one chunk and return its index (so a caller can annotate it later).

        :param secret: byte spans of ``data`` holding a password: recorded as ``*``.
        """
        now, wall = time.monotonic_ns(), time.time_ns()
        if secret:
            data = mask(data, secret)
            note = f"{note}; {REDACTED_NOTE}" if note else REDACTED_NOTE
        rec = TraceRecord(direction, now, wall, bytes(data), baud, line, note)
        with self._lock:
            self.records.append(rec)
            return len(self.records) - 1

    def mask_stream(self, direction: str, first: int, spans: Sequence[Span]) -> int:
        """Mask ``spans`` of the byte stream formed by the ``direction`` records from index
        ``first`` on (an echo of a password that arrived in several chunks); returns the number
        of records changed."""
        changed, pos = 0, 0
        with self._lock:
            for rec in self.records[first:]:
                if rec.direction != direction:
                    continue
                local = spans_in_segment(spans, pos, pos + len(rec.data))
                pos += len(rec.data)
                if local:
                    rec.data = mask(rec.data, local)
                    rec.note = f"{rec.note}; {REDACTED_NOTE}" if rec.note else REDACTED_NOTE
                    changed += 1
        return changed

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[TraceRecord]:
        with self._lock:
            return iter(list(self.records))

    def since(self, index: int) -> list[TraceRecord]:
        """Records from ``index`` on (a *span* of the trace, e.g. one checklist step)."""
        with self._lock:
            return list(self.records[index:])

    def byte_counts(self) -> tuple[int, int]:
        """``(bytes_tx, bytes_rx)`` so far."""
        with self._lock:
            tx = sum(len(r.data) for r in self.records if r.direction == "tx")
            rx = sum(len(r.data) for r in self.records if r.direction == "rx")
        return tx, rx

    def wire_time_s(self) -> float:
        """Sum over all records of ``bytes × 10 / baud`` (least time the wire needs), seconds.

        Assumes one start bit, one stop bit and 7 data + parity or 8 data bits: 10 bit times a byte.
        Records with an unknown baud (0) count as zero.
        """
        with self._lock:
            return sum(len(r.data) * 10 / r.baud for r in self.records if r.baud)

    def waits(self) -> tuple[list[float], list[float]]:
        """``(meter reactions, client turnarounds)`` in seconds, one per change of direction.

        A reaction runs from a request fully on the wire (its ``bytes × 10 / baud`` after it was
        written) to the first byte of the answer, a turnaround from the last byte of an answer to
        the next request. Echo records (a half-duplex head returning what was sent) are skipped.
        """
        reactions: list[float] = []
        turnarounds: list[float] = []
        with self._lock:
            recs = [r for r in self.records if "echo" not in r.note]
        for prev, rec in zip(recs, recs[1:]):
            if prev.direction == rec.direction or not prev.baud:
                continue
            # t_ns is when a chunk was written (tx) or finished arriving (rx)
            own = len(rec.data) * 10 / rec.baud if rec.baud else 0.0
            gap = (rec.t_ns - prev.t_ns) / 1e9 - (own if rec.direction == "rx" else 0.0)
            if prev.direction == "tx":
                reactions.append(max(0.0, gap - len(prev.data) * 10 / prev.baud))
            else:
                turnarounds.append(max(0.0, gap))
        return reactions, turnarounds

    def mandated_wait_s(self, min_reaction_s: float) -> float:
        """Time the protocol makes the meter wait before its answers, seconds: for each answer
        the least of ``min_reaction_s`` (e.g. IEC 62056-21 ``tr``) and the reaction seen."""
        if min_reaction_s <= 0:
            return 0.0
        return sum(min(r, min_reaction_s) for r in self.waits()[0])

    def to_jsonl(self) -> str:
        with self._lock:
            return "".join(json.dumps(r.to_json()) + "\n" for r in self.records)

    def save(self, path: str | Path) -> Path:
        """Write the trace as JSON Lines to ``path`` and return it."""
        path = Path(path)
        path.write_text(self.to_jsonl(), encoding="utf-8")
        return path

    @classmethod
    def from_jsonl(cls, lines: Iterable[str]) -> Trace:
        trace = cls()
        for line in lines:
            line = line.strip()
            if line:
                trace.records.append(TraceRecord.from_json(json.loads(line)))
        return trace

    @classmethod
    def load(cls, path: str | Path) -> Trace:
        with open(path, encoding="utf-8") as fh:
            return cls.from_jsonl(fh)
