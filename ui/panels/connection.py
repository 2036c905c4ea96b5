"""Connection panel: pick a port and protocol, connect, read identity/clock/profile, set the clock.

Every meter operation goes through the port's :class:`~ui.workers.PortController` (worker thread);
this panel only builds :class:`~drivers.meter.ConnectOptions` and shows progress and results.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bench_app.presentation import clock_deviation
from drivers.errors import TransportError, os_reason
from drivers.meter import ConnectOptions, create_meter
from drivers.model import ClockReading, Identity
from drivers.trace import Trace
from ui.context import BenchContext
from ui.errors import InlineMessage
from ui.icons import icon
from ui.identity_view import IdentityView
from ui.timebase import gb_and_utc, gb_day_span, sp_text
from ui.widgets import date_edit, gate

log = logging.getLogger(__name__)

#: (label, protocol, mode_e)
PROTOCOLS = [
    ("IEC 62056-21 (optical, mode C)", "iec21", False),
    ("DLMS/COSEM over HDLC (RS232/RS485)", "dlms", False),
    ("DLMS/COSEM mode E (optical)", "dlms", True),
]
BAUDS = [300, 600, 1200, 2400, 4800, 9600, 19200]
#: (label, client SAP)
CLIENT_LEVELS = [
    ("Public client — SAP 16, no password", 16),
    ("Level 1 (LLS) — SAP 32", 32),
    ("Level 2, HHDC reading (LLS) — SAP 48", 48),
    ("Level 3 (LLS) — SAP 64", 64),
    ("Level 4, master (LLS) — SAP 80", 80),
]


def list_serial_ports() -> list[tuple[str, str]]:
    """``[(device, description)]`` from pyserial, sorted by device name."""
    try:
        from serial.tools import list_ports

        return sorted((p.device, p.description or "") for p in list_ports.comports())
    except Exception:
        log.warning("serial ports could not be listed", exc_info=True)
        return []


class ConnectionPanel(QWidget):
    """Port/protocol form, action buttons, progress bar with Cancel, identity and clock results."""

    profile_block = Signal(object)  # {"rows": list[ProfileRow], "channels": list[Channel]}
    profile_done = Signal(dict)

    def __init__(self, ctx: BenchContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.identity: Identity | None = None
        self.clock: ClockReading | None = None
        self._resume: dict | None = None
        #: ``(protocol, url, baud, mode_e)`` of the latest connection, for the bench record
        self._bench: tuple[str, str, int | None, bool, str] | None = None
        self._build()
        self.refresh_ports()
        self._update_buttons()
        ctx.session_changed.connect(lambda _s: self.check_identity())
        ctx.session_changed.connect(lambda _s: self._update_buttons())
        ctx.data_changed.connect(
            lambda kind: self.check_identity() if kind in ("equipment", "session") else None
        )

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.port_combo = QComboBox(editable=True)
        self.port_combo.setMinimumWidth(320)
        port_edit = self.port_combo.lineEdit()
        if port_edit is not None:
            port_edit.setPlaceholderText("/dev/ttyUSB0, COM3 or socket://host:port")
        self.refresh_btn = QPushButton(icon("refresh"), "Refresh")
        self.refresh_btn.clicked.connect(self.refresh_ports)
        self.protocol_combo = QComboBox()
        for label, proto, mode_e in PROTOCOLS:
            self.protocol_combo.addItem(label, (proto, mode_e))
        self.baud_combo = QComboBox()
        for b in BAUDS:
            self.baud_combo.addItem(f"{b} baud", b)
        self.baud_combo.setCurrentIndex(BAUDS.index(9600))
        self.level_combo = QComboBox()
        for label, sap in CLIENT_LEVELS:
            self.level_combo.addItem(label, sap)
        self.password_edit = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("6–12 characters, case-sensitive")
        self.show_pw = QCheckBox("Show")
        self.show_pw.toggled.connect(
            lambda on: self.password_edit.setEchoMode(
                QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
            )
        )
        self.sim_check = QCheckBox("Use the built-in simulated outstation (training)")
        self.sim_check.toggled.connect(lambda on: self.port_combo.setEnabled(not on))
        self.protocol_combo.currentIndexChanged.connect(self._protocol_changed)
        self._protocol_changed()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        port_row = QHBoxLayout()
        port_row.addWidget(self.port_combo, 1)
        port_row.addWidget(self.refresh_btn)
        form.addRow("Port or URL", port_row)
        form.addRow("", self.sim_check)
        form.addRow("Protocol", self.protocol_combo)
        form.addRow("Maximum baud", self.baud_combo)
        form.addRow("Client level", self.level_combo)
        pw_row = QHBoxLayout()
        pw_row.addWidget(self.password_edit, 1)
        pw_row.addWidget(self.show_pw)
        form.addRow("Password", pw_row)
        settings = QGroupBox("Port and protocol")
        settings.setLayout(form)

        self.connect_btn = QPushButton(icon("connect"), "Connect")
        self.connect_btn.clicked.connect(self.toggle_connection)
        self.identity_btn = QPushButton(icon("identity"), "Read identity")
        self.identity_btn.clicked.connect(lambda: self._request("identity"))
        self.clock_btn = QPushButton(icon("clock"), "Read clock")
        self.clock_btn.clicked.connect(lambda: self._request("clock"))
        self.set_clock_btn = QPushButton(icon("clock"), "Set clock to PC UTC…")
        self.set_clock_btn.clicked.connect(self.set_clock)
        self.events_btn = QPushButton(icon("events"), "Read events")
        self.events_btn.clicked.connect(lambda: self._request("events"))
        today = QDate.currentDate()
        # GB settlement days, both ends included (a BST day starts at 23:00 UTC the day before)
        self.from_date = date_edit(today.addDays(-7))
        self.to_date = date_edit(today)
        for w in (self.from_date, self.to_date):
            w.setToolTip("GB settlement days (Europe/London), both days included")
        self.profile_btn = QPushButton(icon("profile"), "Read profile")
        self.profile_btn.clicked.connect(self.read_profile)
        self.resume_btn = QPushButton(icon("resume"), "Resume")
        self.resume_btn.clicked.connect(self.resume)
        self.resume_btn.hide()

        actions = QGridLayout()
        actions.addWidget(self.connect_btn, 0, 0)
        actions.addWidget(self.identity_btn, 0, 1)
        actions.addWidget(self.clock_btn, 0, 2)
        actions.addWidget(self.set_clock_btn, 0, 3)
        actions.addWidget(self.events_btn, 0, 4)
        prof = QHBoxLayout()
        prof.addWidget(QLabel("Profile, settlement days"))
        prof.addWidget(self.from_date)
        prof.addWidget(QLabel("to"))
        prof.addWidget(self.to_date)
        prof.addWidget(QLabel("(inclusive)"))
        prof.addWidget(self.profile_btn)
        prof.addWidget(self.resume_btn)
        prof.addStretch(1)
        actions.addLayout(prof, 1, 0, 1, 5)
        action_box = QGroupBox("Actions")
        action_box.setLayout(actions)

        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("idle")
        self.progress.setValue(0)
        self.cancel_btn = QPushButton(icon("cancel"), "Cancel")
        self.cancel_btn.clicked.connect(self.cancel)
        prog_row = QHBoxLayout()
        prog_row.addWidget(self.progress, 1)
        prog_row.addWidget(self.cancel_btn)

        self.message = InlineMessage()
        self.identity_view = IdentityView()
        self.result_labels = self.identity_view.labels
        results = self.identity_view

        top = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(settings)
        left.addWidget(action_box)
        left.addLayout(prog_row)
        left.addWidget(self.message)
        left.addStretch(1)
        top.addLayout(left, 3)
        top.addWidget(results, 2)
        self.setLayout(top)

    # -- helpers -------------------------------------------------------------------------------
    def refresh_ports(self) -> None:
        current = self.port_combo.currentText()
        self.port_combo.clear()
        for device, desc in list_serial_ports():
            self.port_combo.addItem(f"{device} — {desc}" if desc else device, device)
        if current:
            self.port_combo.setEditText(current)

    def port_url(self) -> str:
        idx = self.port_combo.currentIndex()
        text = self.port_combo.currentText().strip()
        if idx >= 0 and self.port_combo.itemText(idx) == text:
            return str(self.port_combo.itemData(idx))
        return text

    def _protocol_changed(self, *_a: Any) -> None:
        """IEC 62056-21 has no DLMS client levels: the level is disabled (the password is the
        programming-mode P1 password then)."""
        iec = self.protocol_combo.currentData()[0] == "iec21"
        self.level_combo.setEnabled(not iec)
        self.level_combo.setToolTip(
            "IEC 62056-21 has no client levels: the password below is the programming-mode "
            "(P1) password" if iec else "DLMS client level (client SAP) of the association"
        )
        self.password_edit.setPlaceholderText(
            "programming-mode (P1) password" if iec else "6–12 characters, case-sensitive"
        )

    def options(self, url: str) -> tuple[str, ConnectOptions]:
        proto, mode_e = self.protocol_combo.currentData()
        self.ctx.trace = Trace()
        opts = ConnectOptions(
            url=url,
            password=self.password_edit.text() or None,
            baud=int(self.baud_combo.currentData()),
            client_sap=int(self.level_combo.currentData()),
            mode_e=bool(mode_e),
            window=7,  # as the CLI proposes: the meter grants what it can
            trace=self.ctx.trace,
        )
        return proto, opts

    @property
    def connected(self) -> bool:
        return self.ctx.port is not None and self.ctx.status.get("state") in (
            "connected",
            "reading",
        )

    def _update_buttons(self) -> None:
        port = self.ctx.port
        busy = port is not None and port.busy
        live = self.connected
        self.connect_btn.setText("Disconnect" if port is not None else "Connect")
        self.connect_btn.setIcon(icon("disconnect" if port is not None else "connect"))
        self.connect_btn.setEnabled(not busy or port is None)
        why = self.ctx.why_no_meter() if not (live and not busy) else ""
        if not why and self.ctx.session_id is not None:
            locked = self.ctx.why_read_only()  # a locked session takes no new readings
            why = f"{locked}. Open or create another session to read the meter" if locked else ""
        gate(
            (
                self.identity_btn,
                self.clock_btn,
                self.set_clock_btn,
                self.events_btn,
                self.profile_btn,
                self.resume_btn,
            ),
            why,
        )
        self.cancel_btn.setEnabled(busy)
        self.cancel_btn.setToolTip("" if busy else "Nothing is being read")

    def _request(self, op: str, **kwargs: Any) -> None:
        if self.ctx.port is None:
            self.message.show_message("Not connected — press Connect first.", "warning")
            return
        self.message.clear()
        self.progress.setRange(0, 0)
        self.progress.setFormat(f"{op}…")
        self.ctx.port.request(op, **kwargs)

    # -- actions -------------------------------------------------------------------------------
    def toggle_connection(self) -> None:
        if self.ctx.port is not None:
            self.ctx.close_port()
            self.ctx.stop_simulator()
            self.progress.setRange(0, 100)
            self.progress.setFormat("disconnected")
            self._update_buttons()
            return
        self.connect_meter()

    def connect_meter(self) -> None:
        """Start the worker for the chosen port (or the built-in simulator) and connect."""
        self.message.clear()
        url = self._start_simulator() if self.sim_check.isChecked() else self.port_url()
        if url is None:
            return
        if not url:
            self.message.show_message(
                "Choose a port or type a URL such as socket://host:4059.", "warning"
            )
            return
        proto, opts = self.options(url)
        if self.ctx.sim is not None and opts.mode_e:
            opts.mode_e = False
        port = self.ctx.open_port(lambda: create_meter(proto, opts), port=url, protocol=proto)
        self._bench = (proto, url, opts.baud, bool(opts.mode_e), opts.framing)
        port.worker.progress.connect(self._on_progress)
        port.worker.block.connect(self._on_block)
        port.worker.finished.connect(self._on_finished)
        port.worker.failed.connect(self._on_failed)
        port.busy_changed.connect(lambda _b: self._update_buttons())
        port.worker.state_changed.connect(lambda _s: self._update_buttons())
        self._request("connect")
        self._update_buttons()

    def _start_simulator(self) -> str | None:
        """Start (or reuse) the built-in simulated outstation; returns its URL, None on error."""
        proto, _ = self.protocol_combo.currentData()
        sim = self.ctx.sim
        if sim is not None and getattr(sim, "protocol", proto) == proto:
            return sim.url
        try:
            from bench_app.simulator import start_builtin

            self.ctx.stop_simulator()
            self.ctx.sim = start_builtin(proto)
        except Exception as exc:  # noqa: BLE001 - shown inline
            self.message.show_error(exc)
            return None
        self.port_combo.setEditText(self.ctx.sim.url)
        return self.ctx.sim.url

    def meter_setup(self) -> tuple[str, ConnectOptions] | None:
        """``(protocol, ConnectOptions)`` as set in the form (starts the simulator if chosen);
        used by the checklist to open its own connections. None when no port is chosen."""
        url = self._start_simulator() if self.sim_check.isChecked() else self.port_url()
        if not url:
            return None
        proto, opts = self.options(url)
        if self.ctx.sim is not None:
            opts.mode_e = False
        return proto, opts

    def profile_span(self) -> tuple[datetime, datetime]:
        """UTC ``[start, end)`` of the chosen GB settlement days, both days included.

        :raises ValueError: the 'to' day is before the 'from' day.
        """
        first, last = self.from_date.date().toPython(), self.to_date.date().toPython()
        assert isinstance(first, date) and isinstance(last, date)
        return gb_day_span(first, last)

    def read_profile(self) -> None:
        try:
            start, end = self.profile_span()
        except ValueError:
            self.message.show_message(
                "The 'to' day must be the 'from' day or later (both days are read).", "warning"
            )
            return
        self._resume = None
        self.resume_btn.hide()
        self._request("profile", start=start, end=end)

    def resume(self) -> None:
        """Continue a stopped read (cancelled, broken, or found incomplete in the store after a
        restart) from what the store holds, reconnecting when needed."""
        if not self._resume or self._resume.get("collection_id") is None:
            return
        r, self._resume = self._resume, None
        self.resume_btn.hide()
        if self.ctx.status.get("state") in ("error", "disconnected"):
            self._request("connect")
        self._request("resume", collection_id=r["collection_id"])

    def offer_resume(self, serial: str) -> None:
        """Offer Resume when the store holds an incomplete collection of this meter (a read
        stopped by a kill, crash, unplug or error, possibly before a restart)."""
        store, sid = self.ctx.store, self.ctx.session_id
        if store is None or sid is None or self._resume:
            return
        try:
            found = [
                c
                for c in store.incomplete_collections(sid)
                if ((c.get("meta") or {}).get("identity") or {}).get("serial") == serial
            ]
        except Exception:
            log.warning("incomplete collections not looked up", exc_info=True)
            return
        if not found:
            return
        coll = found[-1]
        self._resume = {"collection_id": coll["id"]}
        self.resume_btn.show()
        self.message.show_message(
            f"Collection {coll['id']} of this meter is incomplete ({coll['reason']}); "
            f"{coll['rows']} readings are stored. Press Resume to read the rest.",
            "warning",
        )

    def write_refusal(self) -> str:
        """Why a write to the meter is refused now (``""``: it may be asked for)."""
        if getattr(self.ctx, "run_active", False):
            return "A checklist step is running: no writes to the meter outside the step"
        sid = self.ctx.session_id
        session = self.ctx.session() if sid is not None else None
        if session is None or sid is None:
            return "No session is open: a write to the meter is recorded in a session"
        if session.get("status") == "locked":
            return "The session is signed and locked: nothing more is recorded in it"
        from bench_app.meter_writes import refusal

        why = refusal(self.ctx.store, sid)  # a witnessed run is open
        return why[:1].upper() + why[1:]

    def set_clock(self) -> None:
        """Set the meter clock to PC UTC after a confirmation with who and why, through
        :func:`bench_app.meter_writes.set_clock` (the same operation as ``bench-app set-clock``:
        the clock before and after, and the write with who and why, are recorded)."""
        refused = self.write_refusal()
        if refused:
            self.message.show_message(f"Clock not set. {refused}.", "warning")
            return
        dev = clock_deviation(self.clock.deviation_s) if self.clock is not None else "not read yet"
        intent = self.ask_write(
            "Set the meter clock?",
            f"The meter clock is set to this PC's UTC time (deviation now {dev}).",
            "A clock-change event in the meter's event log and the settlement period in "
            "progress flagged as shortened or lengthened — the evidence DR3-2 and DR3-3 "
            "examine. Neither can be removed from the meter afterwards.",
        )
        if intent is None:
            self.message.show_message("Clock not set (cancelled).", "info")
            return
        self._request(
            "set_clock",
            meter_time=datetime.now(UTC) + timedelta(seconds=0),
            by=intent.by,
            reason=intent.reason,
        )

    def ask_write(self, title: str, changes: str, leaves: str) -> Any:
        """The write confirmation (:func:`ui.write_confirm.ask_write`); tests replace it."""
        from ui.write_confirm import ask_write

        return ask_write(self, title, changes, leaves)

    def cancel(self) -> None:
        if self.ctx.port is not None:
            self.ctx.port.cancel()
            self.progress.setFormat("cancelling…")

    # -- worker results ------------------------------------------------------------------------
    def _on_progress(self, op: str, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self.progress.setFormat(f"{op}: %p% ({done}/{total})")
        else:
            self.progress.setRange(0, 0)

    def _on_block(self, op: str, block: dict) -> None:
        self.profile_block.emit(block)

    def _on_finished(self, op: str, result: Any) -> None:
        self.progress.setRange(0, 100)
        self.progress.setValue(100)
        self.progress.setFormat(f"{op}: done")
        lab = self.result_labels
        if op == "identity":
            self.identity = result
            self.ctx.identity = result
            self.ctx.identity_url = self.ctx.status.get("port") or None
            if result.simulated:  # a simulator on a port announced itself: the session says so
                self._record_bench(simulated_serial=result.serial)
            self.check_identity()
            self.offer_resume(result.serial)
        elif op in ("clock", "set_clock"):
            self.clock = result
            lab["clock"].setText(f"{gb_and_utc(result.meter_time)}<br>{sp_text(result.meter_time)}")
            lab["deviation"].setText(f"{clock_deviation(result.deviation_s)} (meter − PC)")
            lab["deviation"].setToolTip(f"{result.deviation_s:+.3f} s")
            self.ctx.update_status(clock_dev_s=result.deviation_s)
        elif op in ("profile", "read", "resume"):
            lab["last"].setText(f"profile: {result['rows']} periods stored")
            self.ctx.data_changed.emit("profile")
            self.profile_done.emit(result)
        elif op == "events":
            lab["last"].setText(f"events: {len(result)} read")
            self.ctx.data_changed.emit("events")
        elif op == "connect":
            lab["last"].setText(f"connected ({result.get('protocol', '')})")
            self._record_bench()
            self._request("identity")
            self._request("clock")
        self._update_buttons()

    def _record_bench(self, simulated_serial: str = "") -> None:
        """The session's bench record: simulator or port, as connected (never fatal)."""
        if self._bench is None:
            return
        try:
            self.ctx.record_bench(*self._bench, simulated_serial=simulated_serial)
        except Exception as exc:  # noqa: BLE001 - shown inline, the connection stays
            self.message.show_error(exc)

    def _never_opened(self, exc: BaseException) -> None:
        """A connection that failed to open: say so (not "Connection lost"), release the port
        so the button offers Connect again."""
        from ui.errors import ErrorInfo, log_shown

        url = self._bench[1] if self._bench else self.port_url()
        reason = getattr(exc, "message", None) or os_reason(exc)  # the port is named once
        info = ErrorInfo(
            "Port did not open",
            f"{url}: {reason}",
            "Check the port name or URL, that the cable or optical probe is plugged in, and "
            "that no other program holds the port; then press Connect.",
        )
        log_shown(info, exc)
        self.message.show_message(f"<b>{info.title}:</b> {info.what}<br>{info.todo}", "error")
        self.progress.setFormat("connect: port did not open")
        self.ctx.close_port()
        self._update_buttons()

    def check_identity(self) -> list:
        """Show the identity read and compare it at once with the session's declared equipment
        (:func:`bench_app.equipment.checks.check_session`); returns the mismatch findings."""
        if self.identity is None:
            return []
        findings: list | None = None
        store, sid = self.ctx.store, self.ctx.session_id
        if store is not None and sid is not None:
            from bench_app.equipment.checks import check_session

            try:
                findings = check_session(store, sid, identity=self.identity.to_json())
            except Exception as exc:  # noqa: BLE001 - the identity is still shown
                self.message.show_error(exc)
        return self.identity_view.show(self.identity, findings)

    def _on_failed(self, op: str, exc: BaseException, context: dict) -> None:
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        if op == "connect" and isinstance(exc, TransportError | OSError):
            # the port never opened: not a lost connection, nothing to resume
            self._never_opened(exc)
            return
        info = self.message.show_error(exc)
        self.progress.setFormat(f"{op}: {info.title.lower()}")
        if op in ("profile", "read", "resume"):
            saved = context.get("rows_saved", 0)
            self.result_labels["last"].setText(f"profile stopped: {saved} periods kept")
            if info.resumable and context.get("collection_id") is not None:
                self._resume = context
                self.resume_btn.show()
            self.ctx.data_changed.emit("profile")
        self._update_buttons()
