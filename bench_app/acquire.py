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
    segments: list[tuple[datetime | None, datetime | None]] = [(start, end)]
    collection_id = find_resumable(store, session_id, identity.serial) if resume else None
    span = store.interval_span(collection_id) if collection_id is not None else None
    if collection_id is not None and span is not None:
        # Drivers read forwards (DLMS) or newest first (IEC 62056-21 without a start), so an
        # interrupted read may lack intervals after the newest stored one and before the oldest.
        first, last, period_s = span
        resumed_from = last + timedelta(seconds=period_s)
        segments = [(max(utc(start), resumed_from) if start else resumed_from, end)]
        if start is None or utc(start) < first:
            segments.insert(0, (start, first))
    elif collection_id is None:
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

    def on_block(rows: list[ProfileRow]) -> None:
        nonlocal stored
        stored += store.add_profile_block(collection_id, meter.profile_channels, rows)

    profile: Profile | None = None
    try:
        for seg_start, seg_end in segments:
            if seg_start is not None and seg_end is not None and seg_start >= seg_end:
                continue
            part = meter.read_profile(seg_start, seg_end, on_block=on_block, progress=progress)
            if profile is None:
                profile = part
            else:
                profile.rows = sorted(profile.rows + part.rows, key=lambda r: r.start)
                profile.channels = profile.channels or part.channels
        events = meter.read_events()
        store.add_events(collection_id, events)
        registers = meter.read_registers()
        store.add_registers(collection_id, registers)
    finally:
        trace_id = store.add_trace(
            session_id, meter.trace, label=label, collection_id=collection_id
        )
    warnings = list(getattr(meter, "warnings", []))  # optional objects the driver could not read
    reading = MeterReading(identity, clock, registers, profile, events, warnings=warnings)
    return AcquireResult(collection_id, reading, stored, resumed_from, trace_id)
