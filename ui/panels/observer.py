"""Observer panel: the HHDC's system and the outstation talking, live, both directions, decoded.

The panel runs :class:`bench_app.observe.Observer` (the same relay or passive tap as
``bench-app observe``): the HHDC's system dials the address shown (TCP relay) or the bench sits on
the line between two serial ports. Every chunk appears as it passes (time, direction, size, a
one-line decoding); each finished call is stored in the session as an observed trace tagged with
the checklist step, and its exchanges (associations with level and result, GETs of the profile
and event log with the periods and flags returned, clock SETs with old and new time) are listed.

Chunks arrive on the relay's thread and are handed to the GUI thread through a Qt signal; the
session store is written only from the GUI thread (a timer polls the observer).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.context import BenchContext
from ui.errors import InlineMessage

DIRECTION_TEXT = {"tx": "HHDC → meter", "rx": "meter → HHDC"}
DIRECTION_COLOUR = {"tx": QColor("#1f5fa8"), "rx": QColor("#1e7b34")}
LEVEL_COLOUR = {"refused": QColor("#7a4b00"), "bad": QColor("#8f1d1d")}
#: rows kept in the live table (older ones scroll away; everything is stored in the session).
MAX_ROWS = 2000


class _Bridge(QObject):
    """Carries chunks from the relay thread to the GUI thread (queued signal)."""

    chunk = Signal(object)


class ObserverPanel(QWidget):
    """Start/stop observing; live chunks and decoded exchanges of the stored calls."""

    HEADERS = ["UTC", "Direction", "Bytes", "Decoded"]

    def __init__(self, ctx: BenchContext | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.observer: Any = None
        self.bridge = _Bridge()
        self.bridge.chunk.connect(self._on_chunk)
        self.hhdc_edit = QLineEdit("tcp://127.0.0.1:0")
        self.hhdc_edit.setToolTip("the HHDC's side: tcp://HOST:PORT to listen on, or a serial port")
        self.meter_edit = QLineEdit()
        self.meter_edit.setPlaceholderText("the meter's port: COM3 or socket://HOST:PORT")
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("relay (in the line)", "relay")
        self.mode_combo.addItem("passive tap (receive only)", "tap")
        self.step_edit = QLineEdit()
        self.step_edit.setPlaceholderText("checklist step, e.g. DR2-1")
        self.start_btn = QPushButton("Start observing")
        self.start_btn.clicked.connect(self.start)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setEnabled(False)
        self.stop_btn.clicked.connect(self.stop)
        self.address = QLabel("not observing")
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("HHDC side", self.hhdc_edit)
        form.addRow("Meter side", self.meter_edit)
        form.addRow("Way", self.mode_combo)
        form.addRow("Step", self.step_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_btn)
        buttons.addWidget(self.stop_btn)
        buttons.addWidget(self.address, 1)
        self.table = QTableWidget(0, len(self.HEADERS))
        self.table.setHorizontalHeaderLabels(self.HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        hdr = self.table.horizontalHeader()
        hdr.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hdr.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.exchanges = QListWidget()
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(self.exchanges)
        split.setSizes([700, 500])
        self.message = InlineMessage()
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.message)
        lay.addWidget(split, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(200)
        self.timer.timeout.connect(self.poll)

    # -- observing -----------------------------------------------------------------------------
    def start(self) -> str:
        """Start the relay or tap on the open session; returns what the HHDC dials ("" when it
        could not start — the reason is shown)."""
        from bench_app.errors import BenchError
        from bench_app.observe import Observer, ObserveSpec, meter_levels

        if self.ctx is None or self.ctx.store is None or self.ctx.session_id is None:
            self.message.show_message("Open a session first: observed traces are stored in it.",
                                      "error")
            return ""
        if not self.meter_edit.text().strip():
            self.message.show_message("Give the meter's port (COM3 or socket://HOST:PORT).",
                                      "error")
            return ""
        spec = ObserveSpec(self.hhdc_edit.text().strip(), self.meter_edit.text().strip(),
                           mode=str(self.mode_combo.currentData()))  # fmt: skip
        try:
            self.observer = Observer(
                self.ctx.store, self.ctx.session_id, spec, step=self.step_edit.text().strip(),
                levels=meter_levels(self.ctx.store, self.ctx.session_id),
                on_chunk=self.bridge.chunk.emit, on_stored=self._on_stored,
            )  # fmt: skip
            url = self.observer.start()
        except (BenchError, OSError, ValueError) as exc:
            self.observer = None
            self.message.show_error(exc)
            return ""
        self.message.clear()
        self.address.setText(f"observing {spec.described} — the HHDC dials {url}")
        self.start_btn.setEnabled(False)
        self.stop_btn.setEnabled(True)
        self.timer.start()
        return str(url)

    def poll(self) -> None:
        """Store the calls finished since the last poll (GUI thread)."""
        if self.observer is not None:
            self.observer.poll(0.0)

    def stop(self) -> None:
        """Stop observing; what was still in flight is stored."""
        self.timer.stop()
        if self.observer is not None:
            self.observer.stop()
            errors = getattr(self.observer.observer, "errors", [])
            if errors:
                self.message.show_message("; ".join(str(e) for e in errors[-3:]), "warning")
            self.observer = None
        self.address.setText("not observing")
        self.start_btn.setEnabled(True)
        self.stop_btn.setEnabled(False)
        if self.ctx is not None:
            self.ctx.data_changed.emit("trace")

    # -- showing ---------------------------------------------------------------------------------
    def _on_chunk(self, chunk: Any) -> None:
        from drivers.dissect import dissect_records

        rec = chunk.record
        when = datetime.fromtimestamp(rec.wall_ns / 1e9, UTC).strftime("%H:%M:%S.%f")[:-3]
        decoded = dissect_records([rec])[0].summary
        row = self.table.rowCount()
        if row >= MAX_ROWS:
            self.table.removeRow(0)
            row -= 1
        self.table.insertRow(row)
        cells = [when, DIRECTION_TEXT.get(chunk.direction, chunk.direction), str(len(rec.data)),
                 decoded]  # fmt: skip
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if col == 1:
                item.setForeground(QBrush(DIRECTION_COLOUR.get(chunk.direction, QColor("#333"))))
            self.table.setItem(row, col, item)
        self.table.scrollToBottom()

    def _on_stored(self, stored: Any) -> None:
        head = f"trace #{stored.trace_id}: {stored.segment.reason}"
        self.exchanges.addItem(head)
        for ex in stored.exchanges:
            self.exchanges.addItem(f"  {ex.text}")
            colour = LEVEL_COLOUR.get(ex.level)
            if colour is not None:
                self.exchanges.item(self.exchanges.count() - 1).setForeground(QBrush(colour))
        self.exchanges.scrollToBottom()

    def shutdown(self) -> None:
        """Stop observing when the window closes."""
        if self.observer is not None:
            self.stop()
