"""The acquisition service: every read of a meter into a session goes through :class:`Acquisition`.

One :class:`Acquisition` wraps one *connected* driver and (optionally) one session of a store. Its
small operations — :meth:`~Acquisition.read_identity`, :meth:`~Acquisition.read_clock`,
:meth:`~Acquisition.set_clock`, :meth:`~Acquisition.read_registers`,
:meth:`~Acquisition.read_events`, :meth:`~Acquisition.read_profile`,
:meth:`~Acquisition.read_instantaneous` — are used unchanged by the CLI, the demo, the checklist
engine and the GUI worker. Evidence rules, the same for all of them:

* each block (a profile block, the event log, the registers, a clock reading) is stored in ONE
  transaction with the trace segment holding the bytes read since the previous block, and an
  ``acq_blocks`` record naming that segment — a kill -9 at any moment leaves no stored reading
  without its bytes;
* events and registers are stored idempotently (a resumed read adds no duplicates);
* a collection is opened by one context manager, ``with acquisition.collection(meta) as c:``,
  used by every writer (whole read, profile read, checklist step): marked ``started``/``resumed``
  when it opens, ``complete`` (with ``c.reason``) when the body ends and ``incomplete`` with the
  reason when the body raises (error, Ctrl-C, Cancel). Its meta is a
  :class:`~bench_app.store.collection_meta.CollectionMeta`.

Hooks (all optional, called in the caller's thread): ``on_block(Block)`` after a block is stored,
``progress(operation, done, total)`` (``total`` 0 = unknown) and ``should_stop() -> bool``,
polled between blocks; when it returns True the read raises :class:`AcquisitionStopped`.
Without a store (``store=None``) the same operations read and call the hooks but store nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench_app.errors import AcquisitionStopped
from bench_app.store.collection_meta import CollectionMeta
from drivers.meter import MeterDriver
from drivers.model import (
    Channel,
    ClockReading,
    Identity,
    MeterEvent,
    Profile,
    ProfileRow,
    RegisterValue,
    utc,
)
from drivers.trace import Trace


@dataclass
class Block:
    """One stored block, as passed to the ``on_block`` hook.

    :param kind: ``profile``, ``events``, ``registers``, ``clock`` or ``set-clock``.
    :param items: what the block held as read (ProfileRow, MeterEvent, RegisterValue or
        ClockReading objects).
    :param channels: the profile channels (profile blocks only).
    :param added: items newly stored (the rest were stored already, e.g. by an earlier read).
    :param trace_id: the trace segment stored with the block (None when not storing).
    :param warnings: texts the driver reported while reading this block (tolerant reads).
    """

    kind: str
    collection_id: int | None
    items: list
    channels: list[Channel] = field(default_factory=list)
    added: int = 0
    trace_id: int | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class OpenCollection:
    """The collection a ``with acquisition.collection(meta) as c:`` body reads into.

    :param id: the collection's id (None when the acquisition stores nothing).
    :param reason: set by the body: the completion reason (a tolerant read's warnings).
    """

    id: int | None
    reason: str = ""


BlockHook = Callable[[Block], None]
#: ``progress(operation, done, total)``; total 0 when unknown.
ProgressHook = Callable[[str, int, int], None]
StopHook = Callable[[], bool]


def stop_reason(exc: BaseException) -> str:
    """The text an incomplete collection carries for the exception that stopped its read."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted by the user (Ctrl-C)"
    if isinstance(exc, AcquisitionStopped):
        return str(exc) or "stopped by the user"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


class Acquisition:
    """Reads from one connected driver into one session (see the module docstring).

    :param store: a :class:`bench_app.store.Store` or None (read without storing).
    :param label: prefix of stored trace labels (``"bench read"``, ``"DR1-1 collection"``…).
    :param simulated: the meter is a simulated outstation (None: not known yet — reading the
        identity sets it from what the outstation announces); every collection, trace segment
        and clock observation stored records it.
    Passwords never reach the driver's trace (the protocol layers mask them as they write), so
    segments are stored as recorded.
    """

    def __init__(
        self,
        store: Any,
        session_id: int | None,
        meter: MeterDriver,
        *,
        label: str = "bench read",
        on_block: BlockHook | None = None,
        progress: ProgressHook | None = None,
        should_stop: StopHook | None = None,
        simulated: bool | None = None,
        time_source: Any = None,
    ) -> None:
        self.store = store
        self.simulated = simulated
        self.session_id = session_id
        self.meter = meter
        #: :class:`bench_app.timesource.TimeSource` measured with every clock reading (None: the
        #: bare PC clock, nothing stored about it)
        self.time_source = time_source
        self.label = label
        self.on_block = on_block
        self.progress = progress
        self.should_stop = should_stop
        self.identity: Identity | None = None
        self.collection_id: int | None = None
        self.trace_ids: list[int] = []
        self._mark = 0  # trace records already stored

    @property
    def storing(self) -> bool:
        return self.store is not None and self.session_id is not None

    # -- hooks ----------------------------------------------------------------------------------
    def check_stop(self) -> None:
        """Raise :class:`AcquisitionStopped` when ``should_stop()`` says so."""
        if self.should_stop is not None and self.should_stop():
            raise AcquisitionStopped("stopped by the user")

    def _progress(self, op: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(op, int(done), int(total))

    def _emit(self, block: Block) -> None:
        if self.on_block is not None:
            self.on_block(block)

    # -- trace segments -------------------------------------------------------------------------
    def _segment(self) -> Trace:
        """The trace records not stored yet, advancing the mark."""
        records = self.meter.trace.since(self._mark)
        self._mark += len(records)
        return Trace(records=list(records))

    def store_trace(self, what: str) -> int | None:
        """Store the bytes not stored yet as one trace segment (linked to the open collection);
        returns its id, None when there were none or nothing is stored."""
        if not self.storing:
            self._mark = len(self.meter.trace)
            return None
        seg = self._segment()
        if not len(seg):
            return None
        tid = self.store.add_trace(
            self.session_id,
            seg,
            label=f"{self.label}: {what}",
            collection_id=self.collection_id,
            simulated=self.simulated,
        )
        self.trace_ids.append(tid)
        return tid

    def _store_block(
        self, kind: str, items: list, store_items: Callable[[], int], **span: Any
    ) -> tuple[int, int | None]:
        """Store items + trace segment + block record in ONE transaction; (added, trace id)."""
        if not self.storing:
            self._mark = len(self.meter.trace)
            return 0, None
        mark, n_traces = self._mark, len(self.trace_ids)
        try:
            with self.store.atomic():
                added = store_items()
                tid = self.store_trace(kind)
                if self.collection_id is not None:
                    self.store.add_block_record(
                        self.collection_id, kind, trace_id=tid, items=len(items), added=added,
                        **span,
                    )
        except BaseException:  # rolled back: these bytes go with the next segment
            self._mark = mark
            del self.trace_ids[n_traces:]
            raise
        return added, tid

    # -- collections ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def collection(
        self, meta: CollectionMeta | None = None, *, collection_id: int | None = None
    ) -> Iterator[OpenCollection]:
        """Open a new bench collection (or continue ``collection_id``) for the ``with`` body.

        Marked ``started``/``resumed`` in the transaction that opens it, ``complete`` with the
        body's ``c.reason`` when the body ends, ``incomplete`` with the reason when it raises
        (the exception goes on). A new collection's meta carries the identity read on this
        connection, if any. Without a store the body runs and nothing is stored.
        """
        opened = OpenCollection(self._begin(meta or CollectionMeta(), collection_id))
        try:
            yield opened
        except BaseException as exc:
            self._stopped(exc)
            raise
        self._finish(opened.reason)

    def _begin(self, meta: CollectionMeta, collection_id: int | None) -> int | None:
        if not self.storing:
            self.collection_id = collection_id
            return collection_id
        with self.store.atomic():
            if collection_id is None:
                if self.identity and not meta.identity:
                    meta.identity = self.identity.to_json()
                collection_id = self.store.new_collection(
                    self.session_id,
                    "bench",
                    protocol=self.meter.protocol,
                    meta=meta.to_json(),
                    simulated=self.simulated,
                )
                self.store.mark_collection(collection_id, "started")
            else:
                self.store.mark_collection(collection_id, "resumed")
        self.collection_id = collection_id
        return collection_id

    def _finish(self, reason: str = "") -> None:
        if self.storing and self.collection_id is not None:
            self.store_trace("end of read")
            self.store.mark_collection(self.collection_id, "complete", reason)

    def _stopped(self, exc: BaseException) -> None:
        """Mark the open collection incomplete with the reason ``exc`` gives; never raises."""
        if not self.storing or self.collection_id is None:
            return
        with contextlib.suppress(Exception):
            self.store_trace("until the read stopped")
        with contextlib.suppress(Exception):
            self.store.mark_collection(self.collection_id, "incomplete", stop_reason(exc))

    @contextlib.contextmanager
    def _collection(self) -> Iterator[int | None]:
        """The open collection; an operation run without one (the GUI's Events button) gets a
        collection of its own, marked complete — or incomplete — when the operation ends."""
        if not self.storing or self.collection_id is not None:
            yield self.collection_id
            return
        with self.collection() as own:
            yield own.id

    # -- operations -----------------------------------------------------------------------------
    def read_identity(self) -> Identity:
        """Serial, type code, firmware (not stored by itself: new collections carry it)."""
        self.check_stop()
        self.identity = self.meter.read_identity()
        if self.identity.simulated:  # the outstation announces a simulator: its evidence says so
            self.simulated = True
        return self.identity

    def read_clock(self, note: str = "clock read") -> ClockReading:
        """Read the meter clock; stored as a clock observation with its bytes."""
        self.check_stop()
        return self._clock_block("clock", self.meter.read_clock(), note)

    def set_clock(self, meter_time: datetime, note: str = "after set clock") -> ClockReading:
        """Set the meter clock (UTC); the reading taken after it is stored with its bytes."""
        self.check_stop()
        return self._clock_block("set-clock", self.meter.set_clock(meter_time), note)

    def _clock_block(self, kind: str, reading: ClockReading, note: str) -> ClockReading:
        reference = None
        if self.time_source is not None:  # the PC's offset, measured with this reading
            from bench_app.timesource import corrected

            ref = self.time_source.measure()
            reading, reference = corrected(reading, ref), ref.to_json()

        def store() -> int:
            self.store.add_clock_observation(
                self.session_id,
                reading,
                note=f"{self.label}: {note}",
                reference=reference,
                simulated=self.simulated,
            )
            return 1

        added, tid = self._store_block(kind, [reading], store)
        self._emit(Block(kind, self.collection_id, [reading], added=added, trace_id=tid))
        return reading

    def read_instantaneous(self) -> list[RegisterValue]:
        """V/I/P values now (live view): not stored; their bytes go with the next block."""
        return self.meter.read_instantaneous()

    def read_registers(self) -> list[RegisterValue]:
        """Read the energy registers into the collection (a register already stored is kept)."""
        self.check_stop()
        with self._collection() as cid:
            regs = self.meter.read_registers()
            added, tid = self._store_block(
                "registers", regs, lambda: self.store.add_registers(cid, regs)
            )
            self._emit(Block("registers", cid, list(regs), added=added, trace_id=tid))
        return regs

    def read_events(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[MeterEvent]:
        """Read the event log into the collection (entries already stored are not repeated)."""
        self.check_stop()
        with self._collection():
            return self.store_events(self.meter.read_events(start, end))

    def store_events(self, events: list[MeterEvent]) -> list[MeterEvent]:
        """Store events the caller read from this meter (with the bytes read since the last
        block) into the open collection."""
        with self._collection() as cid:
            added, tid = self._store_block(
                "events", events, lambda: self.store.add_events(cid, events)
            )
            self._emit(Block("events", cid, list(events), added=added, trace_id=tid))
        return events

    def read_profile(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> Profile:
        """Read ``start <= interval < end`` (UTC; None = oldest / newest), storing block by block.

        :raises AcquisitionStopped: ``should_stop()`` became true; blocks read so far are kept.
        """
        self.check_stop()
        with self._collection() as cid:
            return self._read_profile(cid, start, end)

    def _read_profile(
        self, cid: int | None, start: datetime | None, end: datetime | None
    ) -> Profile:
        meter = self.meter
        pending: list[ProfileRow] = []

        def store_rows(rows: list[ProfileRow], channels: list[Channel]) -> None:
            first = min(r.start for r in rows)
            last = max(r.start for r in rows)
            added, tid = self._store_block(
                "profile",
                rows,
                lambda: self.store.add_profile_block(cid, channels, rows),
                first_start=first,
                last_start=last,
            )
            self._emit(Block("profile", cid, rows, list(channels), added, tid))

        calls = 0

        def on_block(rows: list[ProfileRow]) -> None:
            nonlocal calls
            calls += 1
            if rows:
                channels = list(getattr(meter, "profile_channels", None) or [])
                if not channels:  # channels known only at the end: store the rows then
                    pending.extend(rows)
                else:
                    batch = pending + list(rows)
                    pending.clear()
                    store_rows(batch, channels)
            self.check_stop()

        def on_progress(done: int, total: int) -> None:
            self._progress("profile", done, total)
            self.check_stop()

        profile = meter.read_profile(start, end, on_block=on_block, progress=on_progress)
        if not calls and profile.rows:  # a driver without blocks: the whole profile is one
            pending = list(profile.rows)
        if pending:
            store_rows(pending, profile.channels)
        return profile

    # -- a whole read ---------------------------------------------------------------------------
    def read_profile_segments(
        self, segments: Sequence[tuple[datetime | None, datetime | None]]
    ) -> Profile | None:
        """Read several ``(start, end)`` spans (a resume) and merge them into one profile."""
        profile: Profile | None = None
        for seg_start, seg_end in segments:
            if seg_start is not None and seg_end is not None and seg_start >= seg_end:
                continue
            part = self.read_profile(seg_start, seg_end)
            if profile is None:
                profile = part
            else:
                profile.rows = sorted(profile.rows + part.rows, key=lambda r: r.start)
                profile.channels = profile.channels or part.channels
        return profile


def resume_segments(
    span: tuple[datetime, datetime, int] | None, start: datetime | None, end: datetime | None
) -> list[tuple[datetime | None, datetime | None]]:
    """What is still to read of ``[start, end)`` when ``span`` (oldest, newest, period s) is
    stored: drivers read forwards (DLMS) or newest first (IEC 62056-21 without a start), so an
    interrupted read may lack intervals after the newest stored one and before the oldest."""
    if span is None:
        return [(start, end)]
    first, last, period_s = span
    after = last + timedelta(seconds=period_s)
    segments: list[tuple[datetime | None, datetime | None]] = [
        (max(utc(start), after) if start else after, end)
    ]
    if start is None or utc(start) < first:
        segments.insert(0, (start, first))
    return segments
