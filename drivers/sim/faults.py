"""Fault injection for the simulators: ``--fault KIND[:RATE]``.

Kinds (RATE is the probability per reply, 0 < RATE ≤ 1, default 1):

- ``corrupt`` — flip bits in the reply's checksum (BCC for IEC 62056-21, FCS for HDLC);
- ``drop`` — drop a few bytes from the middle of a reply;
- ``delay`` — answer :data:`DELAY_S` seconds late;
- ``nak`` — IEC: answer NAK instead of data; DLMS: answer nothing to that request;
- ``reject-password`` — refuse even the right password (RATE ignored);
- ``stop`` — stop answering for good after the first data block (RATE ignored): "cable pulled".

Decisions come from a seeded RNG, so a test run is repeatable.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

KINDS = ("corrupt", "drop", "delay", "nak", "reject-password", "stop")
DELAY_S = 0.8


@dataclass(frozen=True)
class Fault:
    kind: str
    rate: float = 1.0

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """``"corrupt:0.2"`` → Fault("corrupt", 0.2); raises ValueError naming the bad part."""
        kind, _, rate = spec.partition(":")
        kind = kind.strip()
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose from {', '.join(KINDS)}")
        try:
            value = float(rate) if rate else 1.0
        except ValueError:
            raise ValueError(f"fault rate {rate!r} is not a number (0 < RATE <= 1)") from None
        if not 0 < value <= 1:
            raise ValueError(f"fault rate {value} out of range (0 < RATE <= 1)")
        return cls(kind, value)


class FaultPlan:
    """What to break, decided reply by reply."""

    def __init__(self, faults: list[Fault] | None = None, seed: int = 1) -> None:
        self.faults = {f.kind: f for f in faults or []}
        self._rng = random.Random(seed)
        self.stopped = False
        self.injected: dict[str, int] = {}

    @classmethod
    def from_specs(cls, specs: list[str] | None, seed: int = 1) -> FaultPlan:
        return cls([Fault.parse(s) for s in specs or []], seed)

    def __bool__(self) -> bool:
        return bool(self.faults)

    def active(self, kind: str) -> bool:
        return kind in self.faults

    def hit(self, kind: str) -> bool:
        """True when fault ``kind`` strikes this time (and counts it)."""
        fault = self.faults.get(kind)
        if fault is None or self._rng.random() >= fault.rate:
            return False
        self.injected[kind] = self.injected.get(kind, 0) + 1
        return True

    def mangle(self, reply: bytes, checksum: slice) -> bytes | None:
        """Apply delay/drop/corrupt to one reply; None means "send nothing" (stopped).

        :param checksum: where the checksum bytes sit in ``reply`` (they get corrupted).
        """
        if self.stopped:
            return None
        if self.hit("delay"):
            time.sleep(DELAY_S)
        out = bytearray(reply)
        if len(out) > 4 and self.hit("drop"):
            mid = len(out) // 2
            del out[mid : mid + max(1, len(out) // 10)]
            return bytes(out)
        if self.hit("corrupt"):
            idx = range(len(out))[checksum]
            for i in idx:
                out[i] ^= 0x55
        return bytes(out)

    def after_data_block(self) -> None:
        """Call after a data block was sent: the ``stop`` fault pulls the cable here."""
        if self.active("stop"):
            self.stopped = True
            self.injected["stop"] = 1
