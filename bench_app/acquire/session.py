"""A whole bench read into a session (identity, clock, registers, profile, events), resumable.

:func:`read_into_session` is what ``bench-app read --session``, the demo and the GUI's *Read all*
run. It continues the newest incomplete collection of the same meter in the session (from what the
store holds: the intervals after the newest stored one and before the oldest), stores every block
with its bytes (see :mod:`bench_app.acquire.service`) and marks the collection complete at the end,
or incomplete with the reason when the read stops early.

The reads are :func:`drivers.meter.read_all`'s, the one whole-read sequence (``bench-app read``
without a session runs it on the bare driver), each stored as it is read. Tolerant as it is: an
optional object the meter lacks, refuses or sends undecodable (:class:`~drivers.errors.ObjectError`:
the clock, the registers, the profile, the event log) becomes a :class:`~drivers.model.ReadWarning`;
the rest is read and stored. The collection is then marked ``complete`` with the warnings as its
reason (:data:`WARNINGS_PREFIX`, one per line): the collection's meta is covered by the audit chain
from the moment it is created, so what is learnt at the end of the read goes into its (also
audited) completion record —
:meth:`bench_app.store.Store.collection_state` returns them as ``warnings``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bench_app.acquire.service import (
    Acquisition,
    BlockHook,
    ProgressHook,
    StopHook,
    resume_segments,
)
from bench_app.errors import MeterMismatchError, UsageError
from bench_app.store.acquisition import WARNINGS_PREFIX
from bench_app.store.collection_meta import CollectionMeta
from drivers.meter import MeterDriver, read_all
from drivers.model import (
    ClockReading,
    Identity,
    MeterEvent,
    MeterReading,
    Profile,
    ReadWarning,
    RegisterValue,
)


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


def warnings_reason(warnings: list[ReadWarning]) -> str:
    """The completion reason that records a read's warnings ("" for a clean read)."""
    if not warnings:
        return ""
    return "\n".join([WARNINGS_PREFIX, *(str(w) for w in warnings)])


def find_resumable(store, session_id: int, serial: str) -> int | None:
    """Newest bench collection of this meter in the session, if its read did not complete.

    A collection stored before acquisition states existed is incomplete when it has no registers
    (registers were the last thing a read stored then).
    """
    for coll in sorted(store.collections(session_id), key=lambda c: c["id"], reverse=True):
        if coll["source"] != "bench" or CollectionMeta.from_json(coll.get("meta")).serial != serial:
            continue
        state = store.collection_state(coll["id"])
        if state is None:
            return None if store.registers(coll["id"]) else coll["id"]
        return coll["id"] if state["state"] == "incomplete" else None
    return None


def _check_same_meter(store, collection_id: int, serial: str) -> None:
    coll = store.collection(collection_id)
    theirs = CollectionMeta.from_json(coll.get("meta")).serial
    if coll["source"] != "bench" or (theirs and theirs != serial):
        raise UsageError(
            f"collection {collection_id} is a {coll['source']} collection of meter "
            f"{theirs or 'unknown'}; the meter connected is {serial}: it cannot continue it"
        )


def _identity_deviations(store, session_id: int, serial: str, accept: bool) -> list[str]:
    """[] when ``serial`` is the session's meter (or the session knows none); the deviation text
    when it is not and ``accept``; else :class:`MeterMismatchError`."""
    from bench_app.importcheck import session_serials

    want = session_serials(store, session_id)
    if not want or serial in want:
        return []
    text = (f"meter {serial or '(no serial)'} read, but the session's meter is "
            f"{', '.join(sorted(want))} (declared or read before)")  # fmt: skip
    if not accept:
        raise MeterMismatchError(f"session {session_id}: {text}; nothing stored")
    return [f"{text}; stored with --accept-serial"]


def collection_range(store, collection_id: int) -> tuple[datetime | None, datetime | None]:
    """The ``(start, end)`` a stored bench collection was asked to read (None = open end), from
    its meta (older whole reads kept it as ``range``: read too)."""
    meta = CollectionMeta.from_json(store.collection(collection_id).get("meta"))
    return meta.start, meta.end


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
    accept_serial: bool = False,
    time_source: Any = None,
) -> AcquireResult:
    """Read identity, clock, registers, profile and events from a *connected* meter.

    Builds an :class:`Acquisition` with the hooks and runs :func:`acquire_all`.
    """
    acq = Acquisition(
        store,
        session_id,
        meter,
        label=label,
        on_block=on_block,
        progress=progress,
        should_stop=should_stop,
        time_source=time_source,
    )
    return acquire_all(
        acq, start, end, resume=resume, collection_id=collection_id, accept_serial=accept_serial
    )


class _Storing:
    """The connected meter as :func:`drivers.meter.read_all` sees it, each read going through
    the acquisition (stored block by block with its bytes): the identity read before the
    collection opened, the profile spans still missing (``segments``), the whole event log
    (stored idempotently, so a resumed read adds no duplicates)."""

    def __init__(
        self,
        acq: Acquisition,
        identity: Identity,
        segments: list[tuple[datetime | None, datetime | None]],
    ) -> None:
        self.acq, self.identity, self.segments = acq, identity, segments

    @property
    def warnings(self) -> list[ReadWarning]:
        """The driver's own per-object warnings (a missing firmware identifier…)."""
        return list(getattr(self.acq.meter, "warnings", []))

    def read_identity(self) -> Identity:
        return self.identity

    def read_clock(self) -> ClockReading:
        return self.acq.read_clock("clock at start of read")

    def read_profile(self, start: Any = None, end: Any = None, **hooks: Any) -> Profile | None:
        return self.acq.read_profile_segments(self.segments)

    def read_events(self, start: Any = None, end: Any = None) -> list[MeterEvent]:
        return self.acq.read_events()

    def read_registers(self) -> list[RegisterValue]:
        return self.acq.read_registers()


def acquire_all(
    acq: Acquisition,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    resume: bool = True,
    collection_id: int | None = None,
    accept_serial: bool = False,
) -> AcquireResult:
    """A whole read through ``acq`` (its store and session must be set).

    :param start: first interval start to read (UTC); None = everything the meter holds.
    :param end: read intervals that start before this (UTC); None = up to the newest.
    :param resume: continue the newest incomplete collection of the same meter, if any.
    :param collection_id: continue exactly this collection (the GUI's Resume); ``start`` and
        ``end`` default to the range it was asked for.
    :param accept_serial: store the read although the meter is not the session's (declared
        serial, or the meter read before); the difference is recorded as a deviation.
    :raises AcquisitionStopped: ``should_stop()`` returned True (collection marked incomplete).
    :raises MeterMismatchError: the meter is not the session's and not ``accept_serial``
        (nothing is stored then).
    """
    store, session_id = acq.store, acq.session_id
    store.check_unlocked(session_id)
    assert session_id is not None  # check_unlocked refused a missing session (None too)
    identity = acq.read_identity()
    deviations = _identity_deviations(store, session_id, identity.serial, accept_serial)
    if collection_id is not None:
        _check_same_meter(store, collection_id, identity.serial)
        if start is None and end is None:
            start, end = collection_range(store, collection_id)
    elif resume:
        collection_id = find_resumable(store, session_id, identity.serial)
    span = store.interval_span(collection_id) if collection_id is not None else None
    segments = resume_segments(span, start, end)
    resumed_from = segments[-1][0] if span is not None else None
    meta = CollectionMeta(label=acq.label, start=start, end=end, deviations=deviations)
    stored = 0
    outer = acq.on_block

    def count(block) -> None:
        nonlocal stored
        if block.kind == "profile":
            stored += block.added
        if outer is not None:
            outer(block)

    with acq.collection(meta, collection_id=collection_id) as opened:
        acq.on_block = count
        try:
            reading = read_all(_Storing(acq, identity, segments))
        finally:
            acq.on_block = outer
        opened.reason = warnings_reason(reading.warnings)
    assert acq.collection_id is not None
    return AcquireResult(acq.collection_id, reading, stored, resumed_from, list(acq.trace_ids))
