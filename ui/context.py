"""Shared state of one window: the store, the open session, the port and the simulator.

Panels never talk to each other directly; they read :class:`BenchContext` and listen to its
signals. The store handle here belongs to the GUI thread; workers open their own (see
:mod:`ui.workers`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from drivers.trace import Trace
from ui.workers import MeterFactory, PortController

log = logging.getLogger(__name__)


def open_store(db_path: str | Path | None) -> Any:
    """Open the session database (``None`` → default path); raises StoreError on failure."""
    from bench_app.store import Store

    return Store.open(db_path)


class BenchContext(QObject):
    """Window-wide state and notifications.

    Signals: ``session_changed(id | None)``, ``data_changed(kind)`` with kind ``"profile"``,
    ``"events"``, ``"trace"``, ``"checklist"``, ``"session"``; ``port_changed(controller | None)``;
    ``status_changed(dict)`` with keys port, protocol, state, bytes_in, bytes_out, clock_dev_s.
    """

    session_changed = Signal(object)
    data_changed = Signal(str)
    port_changed = Signal(object)
    status_changed = Signal(dict)

    def __init__(self, store: Any = None, db_path: str | Path | None = None) -> None:
        super().__init__()
        self.store = store
        self.db_path = Path(db_path) if db_path else (Path(store.path) if store else None)
        self.session_id: int | None = None
        self.port: PortController | None = None
        self.sim: Any = None
        self.trace: Trace | None = None
        #: the identity the latest connection read (its ``simulated`` marks step evidence of
        #: steps run on the same port, ``identity_url``)
        self.identity: Any = None
        self.identity_url: str | None = None
        #: a checklist step is running (writes to the meter outside it are refused)
        self.run_active = False
        self._on_shutdown: list = []
        self.status: dict = {
            "port": "",
            "protocol": "",
            "state": "disconnected",
            "bytes_in": 0,
            "bytes_out": 0,
            "clock_dev_s": None,
        }

    # -- session -------------------------------------------------------------------------------
    def set_session(self, session_id: int | None) -> None:
        self.session_id = session_id
        if self.port is not None:
            self.port.worker.session_id = session_id
        self.session_changed.emit(session_id)

    def session(self) -> dict | None:
        if self.store is None or self.session_id is None:
            return None
        return self.store.get_session(self.session_id)

    def why_read_only(self) -> str:
        """Why nothing can be recorded in the open session now (for a disabled control's
        tooltip), or ``""`` when it can."""
        if self.store is None or self.session_id is None:
            return "Open a session first (sidebar, or Session > New session…)"
        from bench_app.errors import BenchError, SessionLockedError

        try:
            self.store.check_unlocked(self.session_id)
        except SessionLockedError:
            return "This session is signed and locked: it can be read and exported, not changed"
        except BenchError as exc:
            return str(exc)
        return ""

    def why_no_meter(self) -> str:
        """Why the meter cannot be read now (for a disabled control's tooltip), or ``""``."""
        if self.port is None or self.status.get("state") not in ("connected", "reading"):
            return "Not connected: connect on the Connection tab first (Ctrl+K)"
        if self.port.busy:
            return "A meter read is running: wait for it or press Cancel"
        if self.run_active:
            return "A checklist step is using the meter: wait for it or cancel the step"
        return ""

    # -- port ----------------------------------------------------------------------------------
    def open_port(self, meter_factory: MeterFactory, *, port: str, protocol: str) -> PortController:
        """Create the worker thread for a port (closing any previous one)."""
        self.close_port()
        self.identity = self.identity_url = None  # not known for this port until read
        db = self.db_path
        store_factory = (lambda: open_store(db)) if (self.store is not None and db) else None
        self.port = PortController(meter_factory, store_factory, self.session_id)
        # a bound slot of this (GUI-thread) object: the worker's state arrives queued, in order
        # with the window's own updates (a lambda would run in the worker thread and could
        # re-show a closed port's status after close_port cleared it)
        self.port.worker.state_changed.connect(self._worker_state)
        self.update_status(port=port, protocol=protocol, state="connecting")
        self.port_changed.emit(self.port)
        return self.port

    @Slot(str)
    def _worker_state(self, state: str) -> None:
        if self.port is not None:  # a closed port's last words are not the window's state
            self.update_status(state=state)

    def close_port(self) -> None:
        """Close the meter (its trace goes to the store) and stop the worker thread."""
        if self.port is not None:
            port, self.port = self.port, None
            port.shutdown()
            port.deleteLater()
            self.port_changed.emit(None)
            # nothing of the closed port stays in the status bar (name, protocol, counts, clock)
            self.update_status(
                port="",
                protocol="",
                state="disconnected",
                bytes_in=0,
                bytes_out=0,
                clock_dev_s=None,
            )
            self.data_changed.emit("trace")

    def record_bench(
        self,
        protocol: str,
        url: str,
        baud: int | None,
        mode_e: bool,
        framing: str = "hdlc",
        *,
        simulated_serial: str = "",
    ) -> bool:
        """Record in the open session how the meter is reached (a simulator when ``url`` is the
        built-in simulator's, or when ``simulated_serial`` names the simulated outstation that
        announced itself on a port), through the CLI's own
        :func:`bench_app.store.records.record_bench`; tells the window when it changed."""
        if self.store is None or self.session_id is None:
            return False
        from bench_app.store.records import framing_text, record_bench

        sim = self.sim if self.sim is not None and self.sim.url == url else None
        control = getattr(sim, "control", None)
        meter = str((control.state() or {}).get("serial", "")) if control is not None else ""
        changed = record_bench(
            self.store,
            self.session_id,
            simulator=sim is not None or bool(simulated_serial),
            meter=meter or simulated_serial,
            port=url,
            protocol=protocol,
            baud=baud,
            framing=framing_text(protocol, mode_e=mode_e, framing=framing.upper()),
        )
        if changed:
            self.data_changed.emit("session")
        return changed

    def stop_simulator(self) -> None:
        if self.sim is not None:
            sim, self.sim = self.sim, None
            try:
                sim.stop()
            except Exception:
                log.warning("the built-in simulator did not stop cleanly", exc_info=True)

    def update_status(self, **fields: Any) -> None:
        self.status.update(fields)
        self.status_changed.emit(dict(self.status))

    def add_shutdown(self, fn: Any) -> None:
        """Call ``fn()`` when the window shuts down (e.g. to stop a panel's worker thread)."""
        self._on_shutdown.append(fn)

    def shutdown(self) -> None:
        self.close_port()
        self.stop_simulator()
        while self._on_shutdown:
            fn = self._on_shutdown.pop()
            try:
                fn()
            except Exception:
                log.warning("a shutdown step failed", exc_info=True)
