"""One worker per port, living in its own :class:`QThread`, so the window never freezes.

:class:`PortWorker` owns the :class:`~drivers.meter.MeterDriver` and (in its own thread) its own
:class:`bench_app.store.Store` connection — SQLite connections are not shared across threads. Every
operation runs in the worker thread; results come back as queued signals:

* ``progress(op, done, total)`` — ``total`` may be 0 when unknown;
* ``block(op, {"rows", "channels"})`` — a profile block **already stored** (save, then plot);
* ``finished(op, result)`` and ``failed(op, exc, context)`` — ``context`` carries what a Resume
  needs (``collection_id``, ``rows_saved``, ``resume_from``).

Cancel sets a sequence mark that the worker checks between blocks and before each queued operation;
a cancelled read keeps every block stored so far. :class:`PortController` is the GUI-side handle.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from drivers.meter import MeterDriver
from drivers.model import Channel, Identity, ProfileRow
from ui.errors import Cancelled

MeterFactory = Callable[[], MeterDriver]
StoreFactory = Callable[[], Any]


def profile_channels(meter: MeterDriver) -> list[Channel] | None:
    """The channels a driver reports before the profile is read (attribute or method), if any."""
    for name in ("profile_channels", "channels"):
        value = getattr(meter, name, None)
        if callable(value):
            try:
                value = value()
            except Exception:  # noqa: BLE001 - optional capability, fall back to buffering
                value = None
        if value:
            return list(value)
    return None


class PortWorker(QObject):
    """Runs meter operations for one port in a worker thread (see module docstring)."""

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
        self.identity: Identity | None = None
        self._store: Any = None
        self._cancel_upto = 0
        self._seq = 0
        self._lock = threading.Lock()
        self.last_collection_id: int | None = None

    # -- thread-safe controls ------------------------------------------------------------------
    def cancel(self, upto_seq: int) -> None:
        """Cancel every operation submitted with a sequence number ≤ ``upto_seq``."""
        with self._lock:
            self._cancel_upto = max(self._cancel_upto, upto_seq)

    def _check_cancel(self) -> None:
        with self._lock:
            if self._seq <= self._cancel_upto:
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
        ``instantaneous``, ``registers``, ``profile``, ``events``, ``disconnect``)."""
        self._seq = seq
        context: dict = {}
        try:
            if op != "disconnect":
                self._check_cancel()
            handler = getattr(self, f"_op_{op}")
            result = handler(context, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, never raised
            if not isinstance(exc, Cancelled) and op in ("connect", "profile", "events"):
                self.state_changed.emit("error")
            self.failed.emit(op, exc, context)
        else:
            self.finished.emit(op, result)

    @Slot()
    def shutdown(self) -> None:
        """Close the meter (saving the trace) and the store; called before the thread stops."""
        try:
            self._op_disconnect({})
        except Exception:  # noqa: BLE001 - closing never raises to the caller
            pass
        if self._store is not None:
            try:
                self._store.close()
            except Exception:  # noqa: BLE001
                pass
            self._store = None

    # -- operations ----------------------------------------------------------------------------
    def _need_meter(self) -> MeterDriver:
        if self.meter is None:
            from drivers.errors import TransportError

            raise TransportError("not connected; press Connect first")
        return self.meter

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
        self.state_changed.emit("connected")
        return {"protocol": getattr(meter, "protocol", "")}

    def _op_disconnect(self, ctx: dict) -> dict:
        meter, self.meter = self.meter, None
        self.identity = None
        if meter is None:
            return {"trace_id": None}
        meter.close()
        trace_id = None
        if self.store is not None and self.session_id is not None and len(meter.trace):
            trace_id = self.store.add_trace(
                self.session_id, meter.trace, label=f"{meter.protocol} port session"
            )
        self.state_changed.emit("disconnected")
        return {"trace_id": trace_id}

    def _op_identity(self, ctx: dict) -> Any:
        self.identity = self._need_meter().read_identity()
        return self.identity

    def _collection_meta(self, **extra: Any) -> dict:
        """Meta of a new bench collection: the identity read on this connection (the report
        and the equipment checks compare it with the declared equipment) plus ``extra``."""
        if self.identity is None:
            return extra
        return {"identity": self.identity.to_json(), **extra}

    def _op_clock(self, ctx: dict) -> Any:
        reading = self._need_meter().read_clock()
        if self.store is not None and self.session_id is not None:
            self.store.add_clock_observation(self.session_id, reading, note="read from GUI")
        return reading

    def _op_set_clock(self, ctx: dict, meter_time: datetime) -> Any:
        reading = self._need_meter().set_clock(meter_time)
        if self.store is not None and self.session_id is not None:
            self.store.add_clock_observation(self.session_id, reading, note="after set clock")
        return reading

    def _op_instantaneous(self, ctx: dict) -> Any:
        return self._need_meter().read_instantaneous()

    def _op_registers(self, ctx: dict) -> Any:
        regs = self._need_meter().read_registers()
        if self.store is not None and self.last_collection_id is not None:
            self.store.add_registers(self.last_collection_id, regs)
        return regs

    def _op_events(self, ctx: dict, start=None, end=None) -> Any:
        events = self._need_meter().read_events(start, end)
        if self.store is not None and self.session_id is not None:
            cid = self.last_collection_id or self.store.new_collection(
                self.session_id,
                "bench",
                protocol=self._need_meter().protocol,
                meta=self._collection_meta(),
            )
            self.last_collection_id = cid
            self.store.add_events(cid, events)
        return events

    def _op_profile(
        self,
        ctx: dict,
        start: datetime | None = None,
        end: datetime | None = None,
        collection_id: int | None = None,
    ) -> dict:
        """Read the profile; each block is stored (one transaction) before it is emitted."""
        meter = self._need_meter()
        store = self.store
        if store is not None and self.session_id is not None and collection_id is None:
            collection_id = store.new_collection(
                self.session_id,
                "bench",
                protocol=meter.protocol,
                meta=self._collection_meta(
                    start=start.isoformat() if start else None,
                    end=end.isoformat() if end else None,
                ),
            )
        self.last_collection_id = collection_id
        ctx.update(collection_id=collection_id, rows_saved=0, resume_from=start, end=end)
        pending: list[ProfileRow] = []
        period = timedelta(minutes=30)

        def on_block(rows: list[ProfileRow]) -> None:
            self._check_cancel()
            if not rows:
                return
            channels = profile_channels(meter)  # set by read_profile before its first block
            if store is not None and collection_id is not None:
                if channels is None:
                    pending.extend(rows)  # channels only known at the end: store them then
                else:
                    batch = pending + list(rows)
                    pending.clear()
                    store.add_profile_block(collection_id, channels, batch)
                    ctx["rows_saved"] += len(batch)
                    ctx["resume_from"] = rows[-1].start + period
            self.block.emit("profile", {"rows": list(rows), "channels": channels or []})

        def on_progress(done: int, total: int) -> None:
            self.progress.emit("profile", int(done), int(total))
            self._check_cancel()

        self.state_changed.emit("reading")
        try:
            profile = meter.read_profile(start, end, on_block=on_block, progress=on_progress)
        finally:
            self.state_changed.emit("connected" if self.meter is not None else "disconnected")
        period = timedelta(minutes=profile.period_min or 30)
        if pending and store is not None and collection_id is not None:
            store.add_profile_block(collection_id, profile.channels, pending)
            ctx["rows_saved"] += len(pending)
        return {
            "collection_id": collection_id,
            "rows": len(profile.rows),
            "channels": [c.obis for c in profile.channels],
            "period_min": profile.period_min,
        }


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
        self.thread = QThread()
        self.thread.setObjectName("port-worker")
        self.worker = PortWorker(meter_factory, store_factory, session_id)
        self.worker.moveToThread(self.thread)
        self.submit.connect(self.worker.run)
        self.worker.finished.connect(self._done)
        self.worker.failed.connect(self._done)
        self._seq = 0
        self.pending = 0
        self.thread.start()

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
        if not self.thread.isRunning():
            return
        self.cancel()
        from PySide6.QtCore import QMetaObject, Qt

        QMetaObject.invokeMethod(
            self.worker, "shutdown", Qt.ConnectionType.BlockingQueuedConnection
        )
        self.thread.quit()
        self.thread.wait(timeout_ms)


class _TaskWorker(QObject):
    """Runs submitted callables one after another in :class:`TaskRunner`'s thread."""

    done = Signal(str, object)
    failed = Signal(str, object)

    @Slot(str, object)
    def run(self, name: str, fn: Callable[[], Any]) -> None:
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001 - every failure is reported, never raised
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
        self.thread = QThread()
        self.thread.setObjectName(name)
        self.worker = _TaskWorker()
        self.worker.moveToThread(self.thread)
        self._submit.connect(self.worker.run)
        self.worker.done.connect(self._on_done)
        self.worker.failed.connect(self._on_failed)
        self.pending = 0
        self.thread.start()

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
        if self.thread.isRunning():
            self.thread.quit()
            self.thread.wait(timeout_ms)
