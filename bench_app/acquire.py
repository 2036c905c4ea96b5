"""Reading a meter into a session: crash-safe, resumable, with every byte kept as evidence.

:func:`read_into_session` stores each profile block in its own transaction as it arrives (so a
kill -9 loses at most the block in flight), resumes an unfinished collection from its last stored
interval, and never duplicates rows (the store ignores a second copy of the same collection,
start and channel). The byte trace is stored with the collection even when the read fails.

A collection is *complete* once its registers are stored — the last step of a read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from drivers.meter import MeterDriver
from drivers.model import MeterReading, Profile, ProfileRow, utc

ProgressFn = Callable[[int, int], None]


@dataclass
class AcquireResult:
    """What one read stored."""

    collection_id: int
    reading: MeterReading
    rows_stored: int
    resumed_from: datetime | None
    trace_id: int | None


def find_resumable(store, session_id: int, serial: str) -> int | None:
    """Latest bench collection of this meter in the session that has no registers yet."""
    for coll in sorted(store.collections(session_id), key=lambda c: c["id"], reverse=True):
        meta = coll.get("meta") or {}
        ident = meta.get("identity") or {}
        if coll["source"] != "bench" or ident.get("serial") != serial:
            continue
        if not store.registers(coll["id"]):
            return coll["id"]
        return None
    return None


def read_into_session(
    store,
    session_id: int,
    meter: MeterDriver,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    resume: bool = True,
    progress: ProgressFn | None = None,
    label: str = "bench read",
) -> AcquireResult:
    """Read identity, clock, profile, events and registers from a *connected* meter into a session.

    :param start: first interval start to read (UTC); None = everything the meter holds.
    :param end: read intervals that start before this (UTC); None = up to the newest.
    :param resume: continue the latest unfinished collection of the same meter, if any.
    """
    store.check_unlocked(session_id)
    identity = meter.read_identity()
    clock = meter.read_clock()
    store.add_clock_observation(session_id, clock, note=f"{label}: clock at start of read")
    resumed_from = None
    collection_id = find_resumable(store, session_id, identity.serial) if resume else None
    if collection_id is not None:
        last = store.last_interval(collection_id)
        if last is not None:
            period = _period_minutes(store, collection_id)
            resumed_from = utc(last) + timedelta(minutes=period)
            start = max(utc(start), resumed_from) if start else resumed_from
    else:
        collection_id = store.new_collection(
            session_id,
            "bench",
            protocol=meter.protocol,
            meta={
                "identity": identity.to_json(),
                "label": label,
                "range": [start.isoformat() if start else None, end.isoformat() if end else None],
            },
        )
    stored = 0
    trace_id = None

    def on_block(rows: list[ProfileRow]) -> None:
        nonlocal stored
        stored += store.add_profile_block(collection_id, meter.profile_channels, rows)

    try:
        profile: Profile = meter.read_profile(start, end, on_block=on_block, progress=progress)
        events = meter.read_events()
        store.add_events(collection_id, events)
        registers = meter.read_registers()
        store.add_registers(collection_id, registers)
    finally:
        trace_id = store.add_trace(
            session_id, meter.trace, label=label, collection_id=collection_id
        )
    reading = MeterReading(identity, clock, registers, profile, events)
    return AcquireResult(collection_id, reading, stored, resumed_from, trace_id)


def _period_minutes(store, collection_id: int) -> int:
    rows = store.readings(collection_id)
    starts = sorted({r.start for r in rows[-16:]})
    if len(starts) >= 2:
        return int((starts[-1] - starts[-2]).total_seconds() // 60) or 30
    return 30
