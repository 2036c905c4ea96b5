"""Events panel: the session's event log (stored events of every collection), with the status flag
each event raises, filterable by collection and text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bench_app.presentation import flag_text, utc_text
from drivers.model import EventCode
from ui.context import BenchContext
from ui.errors import InlineMessage
from ui.icons import icon
from ui.panels.profile_data import flag_colour
from ui.timebase import gb, sp_text
from ui.widgets import add_collection, collection_label, gate


class EventsPanel(QWidget):
    """Table of events: time UTC, time local, code, text, flag raised, collection."""

    HEADERS = [
        "GB local time",
        "UTC",
        "Settlement period",
        "Code",
        "Event",
        "Flag raised",
        "Seen in reads",
    ]

    def __init__(self, ctx: BenchContext | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.events: list[dict] = []
        self._names: dict[int, str] = {}  # collection id -> name, for reads that hold events
        self._simulated: set[int] = set()  # collections read from a simulated outstation
        self.collection_combo = QComboBox()
        self.collection_combo.setMinimumWidth(200)
        self.collection_combo.currentIndexChanged.connect(lambda _i: self._fill())
        self.filter_edit = QLineEdit(placeholderText="Filter (e.g. phase, clock)")
        self.filter_edit.textChanged.connect(lambda _t: self._fill())
        self.read_btn = QPushButton(icon("events"), "Read events from meter")
        self.read_btn.clicked.connect(self.read_from_meter)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Collection"))
        bar.addWidget(self.collection_combo)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.read_btn)
        self.table = QTableWidget(0, len(self.HEADERS))
        self.table.setHorizontalHeaderLabels(self.HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        hdr = self.table.horizontalHeader()
        hdr.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # nothing clipped
        hdr.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)  # the event text
        self.count = QLabel("")
        self.message = InlineMessage()
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.message)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.count)
        if ctx is not None:
            ctx.session_changed.connect(lambda _s: self.reload())
            ctx.data_changed.connect(
                lambda k: self.reload() if k in ("events", "profile") else None
            )
            ctx.status_changed.connect(lambda _st: self.update_buttons())
            ctx.port_changed.connect(self._watch_port)
        self.update_buttons()

    def _watch_port(self, port: Any) -> None:
        if port is not None:
            port.busy_changed.connect(lambda _b: self.update_buttons())
        self.update_buttons()

    def update_buttons(self) -> None:
        """Read events only with a connected, idle meter (else greyed out, saying why)."""
        why = self.ctx.why_no_meter() if self.ctx is not None else "No window context"
        gate([self.read_btn], why, "Read the meter's event log into this session")

    def reload(self) -> None:
        ctx = self.ctx
        self.events = []
        self._names = {}
        self._simulated = set()
        self.collection_combo.blockSignals(True)
        self.collection_combo.clear()
        self.collection_combo.addItem("All collections", None)
        if ctx is not None and ctx.store is not None and ctx.session_id is not None:
            self.events = list(ctx.store.events(ctx.session_id))
            for c in ctx.store.collections(ctx.session_id):
                if any(e.get("collection_id") == c["id"] for e in self.events):
                    self._names[c["id"]] = f"#{c['id']} {collection_label(c)}"
                if c.get("simulated"):  # its event times are the simulator's clock
                    self._simulated.add(c["id"])
                add_collection(self.collection_combo, c)
        self.collection_combo.blockSignals(False)
        self._fill()

    def _fill(self) -> None:
        cid = self.collection_combo.currentData()
        needle = self.filter_edit.text().strip().lower()
        rows = [
            e
            for e in self.events
            if (cid is None or e.get("collection_id") == cid)
            and (not needle or needle in _haystack(e))
        ]
        rows = merge_reads(rows)  # one row per event, however many reads listed it
        self.table.setRowCount(len(rows))
        for r, e in enumerate(rows):
            t: datetime = e["time"]
            flag = _flag_of(e.get("code"))
            cells = [
                gb(t, simulated=any(c in self._simulated for c in e["reads"])),
                t.astimezone(UTC).strftime("%H:%M:%S"),
                sp_text(t),
                str(e.get("code", "")),
                str(e.get("text", "")),
                flag_text(flag, none="—"),
                seen_text(e["reads"]),
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 5 and flag:
                    item.setForeground(QBrush(QColor(flag_colour(flag))))
                if c == 1:
                    item.setToolTip(utc_text(t))
                if c == 6:
                    item.setToolTip(self._reads_tip(e["reads"]))
                if c == 3:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(r, c, item)
        if not self.events:
            self.count.setText(
                "No events stored for this session yet — press Read events from meter "
                "(Connection tab: connect first)."
            )
        else:
            distinct = len(merge_reads(self.events))
            self.count.setText(
                f"{len(rows)} of {distinct} events · each listed once, with the reads of "
                f"the meter's log that saw it ({len(self._names)} reads)"
            )

    def _reads_tip(self, reads: list[int]) -> str:
        return "\n".join(self._names.get(c, f"collection {c}") for c in reads)

    def read_from_meter(self) -> None:
        port: Any = self.ctx.port if self.ctx is not None else None
        if port is None:
            self.message.show_message("Not connected — connect on the Connection tab.", "warning")
            return
        self.message.clear()
        port.request("events")


def merge_reads(events: list[dict]) -> list[dict]:
    """One row per meter event, oldest first: events with the same time, code and text from
    several reads of the log are one event, with ``reads`` = the collection ids that listed it."""
    merged: dict[tuple, dict] = {}
    for e in sorted(events, key=lambda e: (e["time"], e.get("collection_id") or 0)):
        key = (e["time"], e.get("code"), e.get("text"))
        row = merged.setdefault(key, {**e, "reads": []})
        cid = e.get("collection_id")
        if cid is not None and cid not in row["reads"]:
            row["reads"].append(cid)
    return list(merged.values())


def seen_text(reads: list[int]) -> str:
    """``"#3, #5"`` (the reads by collection number, as the report's event table lists them),
    ``"—"`` when none is known."""
    return ", ".join(f"#{c}" for c in reads) or "—"


def _haystack(event: dict) -> str:
    """Lower-case text a filter matches: event text, code and the names of the flags raised."""
    flags = flag_text(_flag_of(event.get("code")))
    return f"{event.get('text', '')} {event.get('code', '')} {flags}".lower()


def _flag_of(code: Any) -> int:
    try:
        return int(EventCode(int(code)).flag)
    except (ValueError, TypeError):
        return 0
