"""One worker per port, living in its own :class:`QThread`, so the window never freezes.

:class:`PortWorker` owns the :class:`~drivers.meter.MeterDriver` and (in its own thread) its own
:class:`bench_app.store.Store` connection — SQLite connections are not shared across threads. Every
operation runs in the worker thread; results come back as queued signals:

* ``progress(op, done, total)`` — ``total`` may be 0 when unknown;
* ``block(op, {"rows", "channels"})`` — a profile block **already stored** (save, then plot);
* ``finished(op, result)`` and ``failed(op, exc, context)`` — ``context`` carries what a Resume
  needs (``collection_id``, ``rows_saved``, ``resume_from``).

Every read goes through the acquisition service :class:`bench_app.acquire.Acquisition` (the CLI's
too): the worker moves its calls onto this thread and turns its hooks into these signals; the UI
writes nothing to the store itself. Cancel sets a sequence mark that the service polls between
blocks (``should_stop``) and the worker checks before each queued operation; a cancelled read keeps
every block stored so far and its collection is marked incomplete. ``resume(collection_id)``
continues an incomplete collection from what the store holds (also after a restart).
:class:`PortController` is the GUI-side handle.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from bench_app.acquire import Acquisition, Block, acquire_all
from bench_app.errors import AcquisitionStopped
from bench_app.store.collection_meta import CollectionMeta
from drivers.meter import MeterDriver
from drivers.model import Identity
from ui.errors import Cancelled

log = logging.getLogger(__name__)

MeterFactory = Callable[[], MeterDriver]
StoreFactory = Callable[[], Any]


class PortWorker(QObject):
    """Runs meter operations for one port in a worker thread (see module docstring).

    Every read goes through :class:`bench_app.acquire.Acquisition` — the same service the CLI,
    the demo and the checklist use: this worker only runs its calls in this thread and turns its
    hooks into signals. It writes nothing to the store itself.
    """

    progress = Signal(str, int, int)
    block = Signal(str, object)
    finished = Signal(str, object)
    failed = Signal(str, object, object)
    state_changed = Signal(str)

    def __init__(
        self,
        meter_factory: MeterFactory,
        store_factory: StoreFactory | None = None,
        session_id: int | None = None,
    ) -> None:
        super().__init__()
        self._meter_factory = meter_factory
        self._store_factory = store_factory
        self.session_id = session_id
        self.meter: MeterDriver | None = None
        self.acq: Acquisition | None = None
        self._store: Any = None
        self._cancel_upto = 0
        self._seq = 0
        self._lock = threading.Lock()
        self._ctx: dict = {}

    @property
    def identity(self) -> Identity | None:
        return self.acq.identity if self.acq is not None else None

    @property
    def last_collection_id(self) -> int | None:
        """The collection the latest read stored into (None before any)."""
        return self.acq.collection_id if self.acq is not None else None

    # -- thread-safe controls ------------------------------------------------------------------
    def cancel(self, upto_seq: int) -> None:
        """Cancel every operation submitted with a sequence number ≤ ``upto_seq``."""
        with self._lock:
            self._cancel_upto = max(self._cancel_upto, upto_seq)

    def _cancelled(self) -> bool:
        with self._lock:
            return self._seq <= self._cancel_upto

    def _check_cancel(self) -> None:
        if self._cancelled():
            raise Cancelled("cancelled by the user")

    @property
    def store(self) -> Any:
        if self._store is None and self._store_factory is not None:
            self._store = self._store_factory()
        return self._store

    # -- dispatcher ----------------------------------------------------------------------------
    @Slot(int, str, object)
    def run(self, seq: int, op: str, kwargs: dict) -> None:
        """Run operation ``op`` (``connect``, ``identity``, ``clock``, ``set_clock``,
        ``instantaneous``, ``registers``, ``profile``, ``events``, ``read``, ``resume``,
        ``disconnect``)."""
        self._seq = seq
        context: dict = {}
        self._ctx = context
        try:
            if op != "disconnect":
                self._check_cancel()
            handler = getattr(self, f"_op_{op}")
            result = handler(context, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, never raised
            if isinstance(exc, AcquisitionStopped):
                exc = Cancelled(str(exc))
            log.info("port operation %s ended: %s: %s", op, type(exc).__name__, exc)
            if not isinstance(exc, Cancelled) and op in ("connect", "profile", "events", "read"):
                self.state_changed.emit("error")
            self.failed.emit(op, exc, context)
        else:
            self.finished.emit(op, result)

    @Slot()
    def shutdown(self) -> None:
        """Close the meter (saving the trace) and the store; called before the thread stops."""
        try:
            self._op_disconnect({})
        except Exception:
            log.warning("closing the meter at shutdown failed", exc_info=True)
        if self._store is not None:
            try:
                self._store.close()
            except Exception:
                log.warning("closing the worker's store failed", exc_info=True)
            self._store = None

    # -- hooks -> signals ----------------------------------------------------------------------
    def _on_block(self, block: Block) -> None:
        if block.kind != "profile":
            return
        ctx = self._ctx
        ctx["rows_saved"] = ctx.get("rows_saved", 0) + len(block.items)
        ctx["resume_from"] = max(r.start for r in block.items) + timedelta(minutes=30)
        self.block.emit("profile", {"rows": list(block.items), "channels": block.channels})

    def _on_progress(self, op: str, done: int, total: int) -> None:
        self.progress.emit(op, done, total)

    def _need_acq(self) -> Acquisition:
        if self.meter is None or self.acq is None:
            from drivers.errors import TransportError

            raise TransportError("not connected; press Connect first")
        self.acq.store = self.store  # opened lazily, in this thread
        self.acq.session_id = self.session_id
        return self.acq

    # -- operations ----------------------------------------------------------------------------
    def _op_connect(self, ctx: dict) -> dict:
        if self.meter is not None:
            self._op_disconnect(ctx)
        self.state_changed.emit("connecting")
        meter = self._meter_factory()
        try:
            meter.connect()
        except Exception:
            meter.close()
            raise
        self.meter = meter
        self.acq = Acquisition(
            None,
            None,
            meter,
            label=f"{meter.protocol} GUI read",
            on_block=self._on_block,
            progress=self._on_progress,
            should_stop=self._cancelled,
        )
        self.state_changed.emit("connected")
        return {"protocol": getattr(meter, "protocol", "")}

    def _op_disconnect(self, ctx: dict) -> dict:
        meter, self.meter = self.meter, None
        acq, self.acq = self.acq, None
        if meter is None:
            return {"trace_id": None}
        meter.close()
        trace_id = None
        if acq is not None:
            acq.store, acq.session_id = self.store, self.session_id
            acq.label = f"{meter.protocol} port session"
            acq.collection_id = None  # the sign-off belongs to the port session, not a read
            trace_id = acq.store_trace("until disconnect")
        self.state_changed.emit("disconnected")
        return {"trace_id": trace_id}

    def _op_identity(self, ctx: dict) -> Any:
        return self._need_acq().read_identity()

    def _op_clock(self, ctx: dict) -> Any:
        return self._need_acq().read_clock("read from GUI")

    def _op_set_clock(self, ctx: dict, meter_time: datetime, by: str, reason: str) -> Any:
        """Write the meter clock as :func:`bench_app.meter_writes.set_clock` does for the CLI
        (refused during a witnessed run; who and why, before and after recorded); returns the
        clock reading taken after the write."""
        from bench_app.meter_writes import WriteIntent, set_clock

        _record, after = set_clock(self._need_acq(), meter_time, WriteIntent(by, reason),
                                   what="clock set to PC UTC")  # fmt: skip
        return after

    def _op_instantaneous(self, ctx: dict) -> Any:
        return self._need_acq().read_instantaneous()

    def _op_registers(self, ctx: dict) -> Any:
        return self._need_acq().read_registers()

    def _op_events(self, ctx: dict, start=None, end=None) -> Any:
        return self._need_acq().read_events(start, end)

    def _op_profile(
        self,
        ctx: dict,
        start: datetime | None = None,
        end: datetime | None = None,
        collection_id: int | None = None,
    ) -> dict:
        """Read the profile into a new collection (or continue ``collection_id`` from ``start``);
        each block is stored with its bytes before it is emitted."""
        acq = self._need_acq()
        try:
            meta = CollectionMeta(start=start, end=end)
            with acq.collection(meta, collection_id=collection_id):
                ctx.update(
                    collection_id=acq.collection_id, rows_saved=0, resume_from=start, end=end
                )
                self.state_changed.emit("reading")
                profile = acq.read_profile(start, end)
        finally:
            self.state_changed.emit("connected" if self.meter is not None else "disconnected")
        return {
            "collection_id": acq.collection_id,
            "rows": len(profile.rows),
            "channels": [c.obis for c in profile.channels],
            "period_min": profile.period_min,
        }

    def _op_read(
        self,
        ctx: dict,
        start: datetime | None = None,
        end: datetime | None = None,
        collection_id: int | None = None,
        resume: bool = True,
    ) -> dict:
        """A whole read (identity, clock, registers, profile, events) exactly as
        ``bench-app read --session`` does it; continues ``collection_id`` when given."""
        acq = self._need_acq()
        ctx.update(collection_id=collection_id, rows_saved=0, resume_from=start, end=end)
        self.state_changed.emit("reading")
        try:
            result = acquire_all(acq, start, end, resume=resume, collection_id=collection_id)
        finally:
            ctx["collection_id"] = acq.collection_id
            self.state_changed.emit("connected" if self.meter is not None else "disconnected")
        profile = result.reading.profile
        return {
            "collection_id": result.collection_id,
            "rows": len(profile.rows) if profile else 0,
            "rows_stored": result.rows_stored,
            "channels": [c.obis for c in profile.channels] if profile else [],
            "period_min": profile.period_min if profile else None,
            "resumed_from": result.resumed_from,
        }

    def _op_resume(self, ctx: dict, collection_id: int) -> dict:
        """Continue an incomplete collection from what the store holds (also after a restart):
        the registers, the intervals still missing from its range, then the events."""
        return self._op_read(ctx, collection_id=collection_id)


class PortController(QObject):
    """GUI-side handle: owns the thread and the worker, queues requests, cancels, shuts down."""

    submit = Signal(int, str, object)
    busy_changed = Signal(bool)

    def __init__(
        self,
        meter_factory: MeterFactory,
        store_factory: StoreFactory | None = None,
        session_id: int | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.worker_thread = QThread()
        self.worker_thread.setObjectName("port-worker")
        self.worker = PortWorker(meter_factory, store_factory, session_id)
        self.worker.moveToThread(self.worker_thread)
        self.submit.connect(self.worker.run)
        self.worker.finished.connect(self._done)
        self.worker.failed.connect(self._done)
        self._seq = 0
        self.pending = 0
        self.worker_thread.start()

    @property
    def busy(self) -> bool:
        return self.pending > 0

    def request(self, op: str, **kwargs: Any) -> int:
        """Queue ``op`` for the worker; returns its sequence number (for :meth:`cancel`)."""
        self._seq += 1
        self.pending += 1
        if self.pending == 1:
            self.busy_changed.emit(True)
        self.submit.emit(self._seq, op, kwargs)
        return self._seq

    def cancel(self) -> None:
        """Cancel the running operation (at its next block) and everything queued so far."""
        self.worker.cancel(self._seq)

    def _done(self, *args: Any) -> None:
        self.pending = max(0, self.pending - 1)
        if self.pending == 0:
            self.busy_changed.emit(False)

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Cancel, close the meter in its own thread, stop the thread (waits ≤ ``timeout_ms``)."""
        if not self.worker_thread.isRunning():
            return
        self.cancel()
        from PySide6.QtCore import QMetaObject, Qt

        QMetaObject.invokeMethod(
            self.worker, "shutdown", Qt.ConnectionType.BlockingQueuedConnection
        )
        self.worker_thread.quit()
        self.worker_thread.wait(timeout_ms)


class _TaskWorker(QObject):
    """Runs submitted callables one after another in :class:`TaskRunner`'s thread."""

    done = Signal(str, object)
    failed = Signal(str, object)

    @Slot(str, object)
    def run(self, name: str, fn: Callable[[], Any]) -> None:
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001 - every failure is reported, never raised
            log.info("background job %s failed: %s: %s", name, type(exc).__name__, exc)
            self.failed.emit(name, exc)
        else:
            self.done.emit(name, result)


class TaskRunner(QObject):
    """One background :class:`QThread` for short store/file jobs (render, sign, verify).

    ``submit(name, fn)`` queues ``fn()`` (it must open its own store: SQLite connections are
    per thread); ``finished(name, result)`` or ``failed(name, exc)`` arrive in the GUI thread.
    Jobs run in submission order. :meth:`shutdown` waits for the running job (≤ ``timeout_ms``).
    """

    finished = Signal(str, object)
    failed = Signal(str, object)
    busy_changed = Signal(bool)
    _submit = Signal(str, object)

    def __init__(self, name: str = "task-worker", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker_thread = QThread()
        self.worker_thread.setObjectName(name)
        self.worker = _TaskWorker()
        self.worker.moveToThread(self.worker_thread)
        self._submit.connect(self.worker.run)
        self.worker.done.connect(self._on_done)
        self.worker.failed.connect(self._on_failed)
        self.pending = 0
        self.worker_thread.start()

    @property
    def busy(self) -> bool:
        return self.pending > 0

    def submit(self, name: str, fn: Callable[[], Any]) -> None:
        """Queue ``fn`` under ``name`` (the name comes back with its result)."""
        self.pending += 1
        if self.pending == 1:
            self.busy_changed.emit(True)
        self._submit.emit(name, fn)

    def _settle(self) -> None:
        self.pending = max(0, self.pending - 1)
        if self.pending == 0:
            self.busy_changed.emit(False)

    def _on_done(self, name: str, result: Any) -> None:
        self._settle()
        self.finished.emit(name, result)

    def _on_failed(self, name: str, exc: Any) -> None:
        self._settle()
        self.failed.emit(name, exc)

    def shutdown(self, timeout_ms: int = 30000) -> None:
        if self.worker_thread.isRunning():
            self.worker_thread.quit()
            self.worker_thread.wait(timeout_ms)
