"""A whole bench read into a session (identity, clock, profile, events, registers), resumable.

:func:`read_into_session` is what ``bench-app read --session``, the demo and the GUI's *Read all*
run. It continues the newest incomplete collection of the same meter in the session (from what the
store holds: the intervals after the newest stored one and before the oldest), stores every block
with its bytes (see :mod:`bench_app.acquire.service`) and marks the collection complete at the end,
or incomplete with the reason when the read stops early.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bench_app.acquire.service import (
    Acquisition,
    BlockHook,
    ProgressHook,
    StopHook,
    resume_segments,
)
from drivers.meter import MeterDriver
from drivers.model import MeterReading


@dataclass
class AcquireResult:
    """What one read stored.

    :param rows_stored: readings (interval × channel) newly stored by this read.
    :param resumed_from: where the profile read continued (UTC), None for a fresh collection.
    :param trace_ids: the trace segments stored by this read, in order.
    """

    collection_id: int
    reading: MeterReading
    rows_stored: int
    resumed_from: datetime | None
    trace_ids: list[int] = field(default_factory=list)

    @property
    def trace_id(self) -> int | None:
        """The last trace segment stored (None when the read stored no bytes)."""
        return self.trace_ids[-1] if self.trace_ids else None


def find_resumable(store, session_id: int, serial: str) -> int | None:
    """Newest bench collection of this meter in the session, if its read did not complete.

    A collection stored before acquisition states existed is incomplete when it has no registers
    (registers are the last thing a read stores).
    """
    for coll in sorted(store.collections(session_id), key=lambda c: c["id"], reverse=True):
        meta = coll.get("meta") or {}
        ident = meta.get("identity") or {}
        if coll["source"] != "bench" or ident.get("serial") != serial:
            continue
        state = store.collection_state(coll["id"])
        if state is None:
            return None if store.registers(coll["id"]) else coll["id"]
        return coll["id"] if state["state"] == "incomplete" else None
    return None


def read_into_session(
    store,
    session_id: int,
    meter: MeterDriver,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    resume: bool = True,
    collection_id: int | None = None,
    progress: ProgressHook | None = None,
    on_block: BlockHook | None = None,
    should_stop: StopHook | None = None,
    label: str = "bench read",
    redact: tuple[bytes, ...] = (),
) -> AcquireResult:
    """Read identity, clock, profile, events and registers from a *connected* meter.

    :param start: first interval start to read (UTC); None = everything the meter holds.
    :param end: read intervals that start before this (UTC); None = up to the newest.
    :param resume: continue the newest incomplete collection of the same meter, if any.
    :param collection_id: continue exactly this collection (the GUI's Resume).
    :raises AcquisitionStopped: ``should_stop()`` returned True (collection marked incomplete).
    """
    store.check_unlocked(session_id)
    acq = Acquisition(
        store,
        session_id,
        meter,
        label=label,
        on_block=on_block,
        progress=progress,
        should_stop=should_stop,
        redact=redact,
    )
    identity = acq.read_identity()
    if collection_id is None and resume:
        collection_id = find_resumable(store, session_id, identity.serial)
    span = store.interval_span(collection_id) if collection_id is not None else None
    segments = resume_segments(span, start, end)
    resumed_from = segments[-1][0] if span is not None else None
    meta = {
        "label": label,
        "range": [start.isoformat() if start else None, end.isoformat() if end else None],
    }
    acq.begin(meta, collection_id=collection_id)
    stored = 0

    def count(block) -> None:
        nonlocal stored
        if block.kind == "profile":
            stored += block.added
        if on_block is not None:
            on_block(block)

    acq.on_block = count
    try:
        clock = acq.read_clock("clock at start of read")
        profile = acq.read_profile_segments(segments)
        events = acq.read_events()
        registers = acq.read_registers()
    except BaseException as exc:
        acq.stopped(exc)
        raise
    acq.finish()
    reading = MeterReading(identity, clock, registers, profile, events)
    assert acq.collection_id is not None
    return AcquireResult(acq.collection_id, reading, stored, resumed_from, acq.trace_ids)
