"""Main window: session sidebar on the left, panels in tabs, port status in the status bar.

What the window remembers between runs (``QSettings``, an INI file in the user data folder, so
``WITNESS_BENCH_HOME`` on a USB stick carries it too): window geometry, the last port, protocol,
baud, client level, whether the built-in simulator was used, the checklist template and the
report's trusted certificate files (their paths; the certificates are read again each time).
Passwords are never stored. Only the real GUI (``bench-app gui``) restores and saves them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTabWidget,
)

from bench_app.paths import user_data_dir
from bench_app.presentation import clock_deviation, duration
from ui.context import BenchContext
from ui.icons import icon
from ui.panels.checklist import ChecklistPanel
from ui.panels.connection import ConnectionPanel
from ui.panels.equipment import EquipmentPanel
from ui.panels.events import EventsPanel
from ui.panels.live import LivePanel
from ui.panels.observer import ObserverPanel
from ui.panels.profile import ProfilePanel
from ui.panels.report import ReportPanel
from ui.panels.session_forms import SessionSidebar
from ui.panels.trace import TracePanel

FILE_NAME = "settings.ini"
log = logging.getLogger(__name__)


def app_settings() -> QSettings:
    """The settings file ``<user data folder>/settings.ini``."""
    return QSettings(str(user_data_dir() / FILE_NAME), QSettings.Format.IniFormat)


def _select_data(combo: Any, value: Any) -> None:
    """Select the combo entry whose data equals ``value`` (stored as text: compare as text)."""
    for i in range(combo.count()):
        if str(combo.itemData(i)) == str(value):
            combo.setCurrentIndex(i)
            return


def save_window(window: Any) -> None:
    """Remember ``window``'s geometry and its connection/checklist choices."""
    s = app_settings()
    s.setValue("window/geometry", window.saveGeometry())
    conn = window.connection
    sim = conn.sim_check.isChecked()
    s.setValue("connection/simulator", sim)
    if not sim:  # the simulator's URL changes every run: keep the last real port instead
        s.setValue("connection/port", conn.port_combo.currentText().strip())
    proto, mode_e = conn.protocol_combo.currentData()
    s.setValue("connection/protocol", f"{proto}:{'E' if mode_e else ''}")
    s.setValue("connection/baud", int(conn.baud_combo.currentData()))
    s.setValue("connection/client_sap", int(conn.level_combo.currentData()))
    template = window.checklist.template_combo.currentData()
    if template:
        s.setValue("checklist/template", template)
    s.setValue("report/trust", [str(p) for p in window.report.trust])
    s.sync()


def restore_window(window: Any) -> bool:
    """Apply what :func:`save_window` remembered; False when nothing was saved yet."""
    s = app_settings()
    geometry = s.value("window/geometry")
    if isinstance(geometry, QByteArray | bytes) and geometry:
        window.restoreGeometry(QByteArray(geometry))
    conn = window.connection
    port = s.value("connection/port")
    if port:
        conn.port_combo.setEditText(str(port))
    if str(s.value("connection/simulator", "false")).lower() == "true":
        conn.sim_check.setChecked(True)
    proto = str(s.value("connection/protocol") or "")
    if proto:
        name, _, mode = proto.partition(":")
        _select_data(conn.protocol_combo, (name, mode == "E"))
    if s.value("connection/baud"):
        _select_data(conn.baud_combo, s.value("connection/baud"))
    if s.value("connection/client_sap"):
        _select_data(conn.level_combo, s.value("connection/client_sap"))
    template = s.value("checklist/template")
    if template:
        _select_data(window.checklist.template_combo, template)
    trust = s.value("report/trust") or []
    trust = [trust] if isinstance(trust, str) else list(trust)
    kept = [Path(t) for t in trust if t and Path(t).is_file()]  # a moved file is dropped
    if kept:
        window.report.set_trust(kept, quiet=True)
    return geometry is not None


class MainWindow(QMainWindow):
    """The Witness Bench window. ``ctx`` carries the store and the open session."""

    def __init__(self, ctx: BenchContext, *, remember: bool = False) -> None:
        """``remember``: restore the user's settings now and save them on close (the real GUI;
        smoke tests, benchmarks and screenshots leave the user's settings alone)."""
        super().__init__()
        self.ctx = ctx
        self.remember = remember
        self.setWindowTitle("Witness Bench")
        self.resize(1366, 768)
        self.sidebar = SessionSidebar(ctx)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.connection = ConnectionPanel(ctx)
        self.live = LivePanel(ctx)
        self.profile = ProfilePanel(ctx)
        self.events = EventsPanel(ctx)
        self.checklist = ChecklistPanel(ctx)
        self.trace = TracePanel(ctx)
        self.observer = ObserverPanel(ctx)
        self.report = ReportPanel(ctx)
        self.equipment = EquipmentPanel(ctx.store)
        for panel, name, ic in [
            (self.connection, "Connection", "connect"),
            (self.live, "Live", "live"),
            (self.profile, "Profile", "profile"),
            (self.events, "Events", "events"),
            (self.checklist, "Checklist", "checklist"),
            (self.trace, "Trace", "trace"),
            (self.observer, "Observer", "trace"),
            (self.report, "Report", "report"),
            (self.equipment, "Equipment", "identity"),
        ]:
            # each panel scrolls inside its tab: no panel's content can push the window past a
            # 1280x720 laptop screen (the window's minimum size stays small, see tests)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(panel)
            self.tabs.addTab(scroll, icon(ic), f"&{name}" if name != "Events" else "E&vents")
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.sidebar)
        self.split.addWidget(self.tabs)
        self.split.setStretchFactor(1, 1)
        self.split.setCollapsible(0, True)
        self.split.setCollapsible(1, False)
        self.split.setSizes([250, 1100])
        self.setCentralWidget(self.split)

        self.connection.profile_block.connect(self._on_block)
        self.checklist.results_changed.connect(self.sidebar.update_overall)
        self.checklist.open_evidence.connect(self.open_evidence)
        self.checklist.running_changed.connect(self._on_running)
        ctx.port_changed.connect(self._on_port)
        if hasattr(self.checklist, "meter_setup"):
            self.checklist.meter_setup = self.connection.meter_setup
        self.status_labels: dict[str, QLabel] = {}
        for key in ("port", "protocol", "state", "bytes", "clock"):
            lab = QLabel("")
            lab.setObjectName("statusField")
            self.statusBar().addPermanentWidget(lab)
            self.status_labels[key] = lab
        ctx.status_changed.connect(self._show_status)
        ctx.session_changed.connect(self._on_session_for_equipment)
        self._show_status(ctx.status)
        self.bytes_timer = QTimer(self)
        self.bytes_timer.setInterval(500)
        self.bytes_timer.timeout.connect(self._update_bytes)
        self.bytes_timer.start()
        from ui.menus import build_menus

        self.actions_by_name = build_menus(self)
        if remember:
            restore_window(self)  # geometry, last port, protocol, baud, level, template

    # -- layout helpers ----------------------------------------------------------------------------
    def show_panel(self, panel: Any) -> None:
        """Make ``panel``'s tab the current one."""
        for i in range(self.tabs.count()):
            if self.panel_at(i) is panel:
                self.tabs.setCurrentIndex(i)
                return

    def panel_at(self, index: int) -> Any:
        """The panel of tab ``index`` (inside its scroll area)."""
        scroll = self.tabs.widget(index)
        return scroll.widget() if isinstance(scroll, QScrollArea) else scroll

    def current_panel(self) -> Any:
        return self.panel_at(self.tabs.currentIndex())

    def toggle_sidebar(self) -> None:
        """Collapse or show the sessions sidebar (Ctrl+B): more room on a small screen."""
        visible = not self.sidebar.isVisible()
        self.sidebar.setVisible(visible)
        act = getattr(self, "actions_by_name", {}).get("sidebar")
        if act is not None:
            act.setChecked(visible)

    def switch_database(self, path: str) -> None:
        """Open another session database in this window (File > Open database)."""
        from ui.context import open_store
        from ui.errors import show_error

        try:
            store = open_store(path)
        except Exception as exc:
            log.exception("opening database %s", path)
            show_error(self, exc)
            return
        self.ctx.close_port()
        old, self.ctx.store = self.ctx.store, store
        self.ctx.db_path = Path(path)
        if old is not None:
            old.close()
        self.open_session(None)
        self.statusBar().showMessage(f"Database {path}", 8000)

    def _on_running(self, on: bool) -> None:
        """While a step runs, nothing writes to the meter outside the step (and the report
        waits, :meth:`_update_blocked`)."""
        self.ctx.run_active = on
        self._update_blocked()

    def _on_port(self, port: Any) -> None:
        if port is not None:
            port.busy_changed.connect(self._update_blocked)
        self._update_blocked()

    def _update_blocked(self, *_a: Any) -> None:
        """While a checklist step or a meter read runs, the report can be neither rendered nor
        signed: it would state as missing what is still being recorded."""
        port = self.ctx.port
        if self.ctx.run_active:
            why = "A checklist step is running: render and sign when it has finished"
        elif port is not None and port.busy:
            why = "A meter read is running: render and sign when it has finished"
        else:
            why = ""
        self.report.set_blocked(why)

    def _on_block(self, block: dict) -> None:
        if not self.profile._live_rows and block.get("channels"):
            self.profile.reset_live(block["channels"])
        self.profile.add_rows(block["rows"], block.get("channels"))

    def open_evidence(self, kind: str, row_id: int) -> None:
        """Show a piece of evidence a checklist result names: a trace or a collection."""
        targets = {
            "trace": (self.trace, "reload_sources", "source_combo"),
            "collection": (self.profile, "reload_collections", "collection_combo"),
        }
        if kind in targets:
            panel, reload, combo_name = targets[kind]
            getattr(panel, reload)()
            combo = getattr(panel, combo_name)
            idx = combo.findData(row_id)
            if idx >= 0:
                combo.setCurrentIndex(idx)
            self.show_panel(panel)
        elif kind == "event":
            self.show_panel(self.events)

    def sync_actions(self) -> None:
        """Menu actions follow the buttons they stand for: greyed out with the same reason when
        the button cannot act (the shortcut then does nothing instead of failing)."""
        acts = getattr(self, "actions_by_name", {})
        conn, chk = self.connection, self.checklist
        mirror = {
            "clock": conn.clock_btn,
            "set_clock": conn.set_clock_btn,
            "run": chk.run_btn,
            "cancel": chk.cancel_btn,
            "render": self.report.render_btn,
            "participant": self.sidebar.part_btn,
            "equipment": self.sidebar.equip_btn,
            "software": self.sidebar.soft_btn,
        }
        for name, button in mirror.items():
            act = acts.get(name)
            if act is not None:
                act.setEnabled(button.isEnabled())
                act.setToolTip(button.toolTip())
        if "export" in acts:
            acts["export"].setEnabled(self.ctx.session_id is not None)

    def _update_bytes(self) -> None:
        self.sync_actions()
        if self.ctx.trace is not None and self.ctx.port is not None:
            tx, rx = self.ctx.trace.byte_counts()
            if (tx, rx) != (self.ctx.status["bytes_out"], self.ctx.status["bytes_in"]):
                self.ctx.update_status(bytes_out=tx, bytes_in=rx)

    def _on_session_for_equipment(self, session_id: int | None) -> None:
        """The Equipment tab checks the open session against the register."""
        if session_id is not None:
            self.equipment.session_spin.setValue(int(session_id))

    def _show_status(self, st: dict) -> None:
        lab = self.status_labels
        lab["port"].setText(f"Port: {st.get('port') or '—'}")
        lab["protocol"].setText(f"Protocol: {st.get('protocol') or '—'}")
        state = st.get("state", "")
        colour = {"connected": "#1e7b34", "reading": "#2b5797", "error": "#b02a2a"}.get(
            state, "#555"
        )
        lab["state"].setText(f"State: <b style='color:{colour}'>{state}</b>")
        lab["bytes"].setText(f"Bytes in {st.get('bytes_in', 0):,} / out {st.get('bytes_out', 0):,}")
        dev = st.get("clock_dev_s")
        text = "Meter clock: —"
        if dev is not None:
            text = f"Meter clock: {clock_deviation(dev)}"
        ahead = self._simulated_time_s()
        if dev is not None and ahead:
            # the checklist let simulated time pass in the simulator: say so, not "clock wrong"
            text += f" (simulated time moved on {duration(ahead)})"
        lab["clock"].setText(text)
        lab["clock"].setToolTip(
            "Meter clock minus this PC's UTC clock" + (f": {dev:+.3f} s" if dev is not None else "")
        )

    def _simulated_time_s(self) -> float:
        """Seconds the built-in simulator's meter time was advanced (checklist runs with
        simulated time); 0 without a simulator."""
        control = getattr(self.ctx.sim, "control", None)
        try:
            return float((control.state() or {}).get("advanced_s") or 0) if control else 0.0
        except Exception:
            log.warning("simulated time not read from bench control", exc_info=True)
            return 0.0

    def open_session(self, session_id: int | None) -> None:
        self.sidebar.refresh(select=session_id)
        self.ctx.set_session(session_id)
        self.sidebar._update_summary()

    def busy_text(self) -> str:
        """What is running now (a checklist step, a meter read), or ``""``."""
        if self.checklist.running:
            return f"Checklist step {self.checklist.running_text()} (running)."
        port = self.ctx.port
        if port is not None and port.busy:
            return "A meter read is running on the Connection tab."
        return ""

    def ask_close(self, busy: str) -> bool:
        """Ask before closing while something runs (No is the default)."""
        answer = QMessageBox.question(
            self,
            "Close Witness Bench?",
            f"{busy}\n\nClose anyway? The running step is stopped and recorded as not run; "
            "the evidence stored so far is kept and the run can be resumed after a restart.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        busy = self.busy_text()
        if busy and not self.ask_close(busy):
            event.ignore()
            return
        if self.remember:
            try:
                save_window(self)
            except Exception:
                log.exception("window settings not saved")
        self.statusBar().showMessage("Stopping the running step…")
        if not self.checklist.stop():
            log.error("closing with the checklist worker still running")
        self.observer.shutdown()  # the relay stops; what it saw is stored
        self.ctx.shutdown()
        super().closeEvent(event)

    def panel(self, name: str) -> Any:
        return getattr(self, name)
