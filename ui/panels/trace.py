"""Trace panel: every byte of the session, decoded so that a witness can read it.

Each record (a chunk written to or read from the port) shows its time, direction, size and what
it asked or answered (:mod:`drivers.dissect`: OBIS code and attribute, selective-access dates,
"AARE: rejected — authentication failure", "R1: read 1.8.0", …). Records whose checksum is wrong
or that cannot be parsed are highlighted red, refusals (NAK, rejected association, data-access
errors) amber. The selected record shows its decoded tree beside its hex dump. Search, export.

Sources: the live trace of the open port (refreshed while it grows) and the traces stored with the
session (``store.traces`` / ``store.load_trace``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from drivers.dissect import Dissection, dissect_records, hex_dump
from drivers.trace import Trace, TraceRecord
from ui.context import BenchContext
from ui.errors import InlineMessage
from ui.icons import icon
from ui.timebase import LONDON, gb_and_utc

TX_COLOUR, RX_COLOUR = QColor("#1f5fa8"), QColor("#1e7b34")
TX_BG, RX_BG = QColor("#eef4fc"), QColor("#eef8f0")
#: record level → (text colour, background); "ok" uses the direction colours.
LEVEL_STYLE = {
    "bad": (QColor("#8f1d1d"), QColor("#fbd5d5")),
    "refused": (QColor("#7a4b00"), QColor("#ffe9b8")),
}
#: words that make a driver's note worth showing beside the decoding.
NOTE_WORDS = ("repeat", "redact", "retry", "resync", "discard", "echo", "timeout")


def summarise(data: bytes) -> str:
    """One-line decoding of a single chunk on its own (see :func:`drivers.dissect.dissect_records`
    for a whole trace, where frames spanning chunks are reassembled)."""
    return dissect_records([TraceRecord("tx", 0, 0, bytes(data))])[0].summary


#: an index as the model methods receive it
AnyIndex = QModelIndex | QPersistentModelIndex


class TraceModel(QAbstractTableModel):
    """Rows = trace records (optionally filtered); columns as in :attr:`HEADERS`."""

    #: the bytes themselves are in the detail view beside the decoded tree, so that the
    #: decoding gets the table's width
    HEADERS = ["#", "Time (GB local)", "Δt ms", "Dir", "Bytes", "Decoded"]
    DECODED = 5

    def __init__(self) -> None:
        super().__init__()
        self.records: list[TraceRecord] = []
        self.rows: list[int] = []
        self.dissections: list[Dissection] = []

    def set_records(self, records: list[TraceRecord], rows: list[int] | None = None) -> None:
        self.beginResetModel()
        if records != self.records or len(self.dissections) != len(records):
            self.dissections = dissect_records(records)  # reassembles frames across chunks
        self.records = records
        self.rows = list(range(len(records))) if rows is None else rows
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def summary(self, i: int) -> str:
        return self.dissections[i].summary

    def level(self, i: int) -> str:
        return self.dissections[i].level

    def _text(self, i: int, col: int) -> str:
        rec = self.records[i]
        if col == 0:
            return str(i + 1)
        if col == 1:  # GB local time with its zone; UTC in the tooltip
            t = datetime.fromtimestamp(rec.wall_ns / 1e9, UTC).astimezone(LONDON)
            return t.strftime("%H:%M:%S.") + f"{t.microsecond // 1000:03d} {t.tzname()}"
        if col == 2:
            return f"{(rec.t_ns - self.records[i - 1].t_ns) / 1e6:.1f}" if i else "0.0"
        if col == 3:
            return "→ TX" if rec.direction == "tx" else "← RX"
        if col == 4:
            return str(len(rec.data))
        # the decoding, with notes that add to it (repeats, redaction); all in the tooltip
        extra = rec.note if any(w in rec.note for w in NOTE_WORDS) else ""
        return self.summary(i) + (f"  [{extra}]" if extra else "")

    def data(self, index: AnyIndex, role: int = 0) -> Any:
        i = self.rows[index.row()]
        rec = self.records[i]
        col = index.column()
        level = self.level(i)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(i, col)
        if role == Qt.ItemDataRole.ToolTipRole and col == 1:
            return gb_and_utc(datetime.fromtimestamp(rec.wall_ns / 1e9, UTC))
        if role == Qt.ItemDataRole.ToolTipRole and col == self.DECODED:
            return self.summary(i) + (f"\nnote: {rec.note}" if rec.note else "")
        if role == Qt.ItemDataRole.ForegroundRole:
            if level in LEVEL_STYLE:
                return QBrush(LEVEL_STYLE[level][0])
            return QBrush(TX_COLOUR if rec.direction == "tx" else RX_COLOUR)
        if role == Qt.ItemDataRole.BackgroundRole:
            if level in LEVEL_STYLE:
                return QBrush(LEVEL_STYLE[level][1])
            return QBrush(TX_BG if rec.direction == "tx" else RX_BG)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 2, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class TracePanel(QWidget):
    """Source selector, search, export, record table and the selected record decoded + hex."""

    def __init__(self, ctx: BenchContext | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.trace: Trace | None = None
        self._shown = -1
        self.model = TraceModel()
        self._build()
        self.timer = QTimer(self)
        self.timer.setInterval(500)
        self.timer.timeout.connect(self._refresh_live)
        self.timer.start()
        if ctx is not None:
            ctx.session_changed.connect(lambda _s: self.reload_sources())
            ctx.data_changed.connect(lambda k: self.reload_sources() if k == "trace" else None)
            ctx.port_changed.connect(lambda _p: self.reload_sources())

    def _build(self) -> None:
        self.source_combo = QComboBox()
        # never clip: as wide as its longest entry (bounded), full text in the tooltip
        self.source_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.source_combo.setMinimumContentsLength(36)
        self.source_combo.currentIndexChanged.connect(self._load_source)
        self.search_edit = QLineEdit(placeholderText="Search hex (7E A0) or text (P.01)")
        self.search_edit.returnPressed.connect(self.apply_search)
        self.search_btn = QPushButton(icon("search"), "Find")
        self.search_btn.clicked.connect(self.apply_search)
        self.export_btn = QPushButton(icon("export"), "Export…")
        self.export_btn.clicked.connect(self.export_dialog)
        self.count_label = QLabel("")
        self.legend = QLabel(
            f'<span style="background:{LEVEL_STYLE["refused"][1].name()}">&nbsp;refused&nbsp;'
            f'</span> <span style="background:{LEVEL_STYLE["bad"][1].name()}">&nbsp;bad frame'
            "&nbsp;</span>"
        )
        self.legend.setToolTip(
            "Refused: the meter said no (NAK, association rejected, access denied).\n"
            "Bad frame: checksum wrong or bytes that cannot be decoded."
        )
        source_row = QHBoxLayout()  # the source gets a whole row: its label is never clipped
        source_row.addWidget(QLabel("Trace"))
        source_row.addWidget(self.source_combo, 1)
        bar = QHBoxLayout()
        bar.addWidget(self.search_edit, 1)
        bar.addWidget(self.search_btn)
        bar.addWidget(self.export_btn)
        bar.addStretch(1)
        bar.addWidget(self.legend)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.table.setFont(mono)
        hdr = self.table.horizontalHeader()
        for col in range(len(TraceModel.HEADERS)):
            mode = QHeaderView.ResizeMode.ResizeToContents
            if col == TraceModel.DECODED:
                mode = QHeaderView.ResizeMode.Stretch
            hdr.setSectionResizeMode(col, mode)
        self.table.selectionModel().currentRowChanged.connect(self._show_detail)
        self.detail_head = QLabel("Select a record to see it decoded.")
        self.detail_head.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabel("Decoded")
        self.tree.setFont(mono)
        self.detail = QPlainTextEdit(readOnly=True)
        self.detail.setFont(mono)
        self.detail.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        beside = QSplitter(Qt.Orientation.Horizontal)
        beside.addWidget(self.tree)
        beside.addWidget(self.detail)
        hex_width = self.detail.fontMetrics().horizontalAdvance("0" * 76) + 40  # 16-byte lines
        self.detail.setMinimumWidth(hex_width)  # a hex line is never cut
        beside.setStretchFactor(0, 1)
        beside.setStretchFactor(1, 0)
        beside.setSizes([400, hex_width])
        lower = QWidget()
        lower_lay = QVBoxLayout(lower)
        lower_lay.setContentsMargins(0, 0, 0, 0)
        lower_lay.addWidget(self.detail_head)
        lower_lay.addWidget(beside, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setSizes([380, 220])
        self.message = InlineMessage()
        lay = QVBoxLayout(self)
        lay.addLayout(source_row)
        lay.addLayout(bar)
        lay.addWidget(self.message)
        lay.addWidget(split, 1)
        lay.addWidget(self.count_label)

    # -- sources -------------------------------------------------------------------------------
    def reload_sources(self) -> None:
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        if self.ctx is not None and self.ctx.trace is not None and self.ctx.port is not None:
            self.source_combo.addItem("Current port session (live)", "live")
        if self.ctx is not None and self.ctx.store is not None and self.ctx.session_id is not None:
            for t in reversed(self.ctx.store.traces(self.ctx.session_id)):
                text = (
                    f"#{t['id']} {t.get('label', '')} — {t.get('records', 0)} records, "
                    f"{t.get('bytes_tx', 0)} B out / {t.get('bytes_rx', 0)} B in"
                )
                self.source_combo.addItem(text, t["id"])
                self.source_combo.setItemData(
                    self.source_combo.count() - 1, text, Qt.ItemDataRole.ToolTipRole
                )
        self.source_combo.setToolTip(self.source_combo.currentText())
        self.source_combo.blockSignals(False)
        self._load_source()

    def _load_source(self) -> None:
        self.source_combo.setToolTip(self.source_combo.currentText())
        key = self.source_combo.currentData()
        if key == "live" and self.ctx is not None:
            self.set_trace(self.ctx.trace)
        elif key is not None and self.ctx is not None and self.ctx.store is not None:
            self.set_trace(self.ctx.store.load_trace(key))
        else:
            self.set_trace(None)

    def set_trace(self, trace: Trace | None) -> None:
        self.trace = trace
        self._shown = -1
        self._refresh_live(force=True)

    def _refresh_live(self, force: bool = False) -> None:
        if self.trace is None:
            if force:
                self.model.set_records([])
                self.count_label.setText("No trace selected.")
            return
        n = len(self.trace)
        if n == self._shown and not force:
            return
        self._shown = n
        records = list(self.trace)
        self.model.set_records(records, self._filter(records))
        tx, rx = self.trace.byte_counts()
        levels = [d.level for d in self.model.dissections]
        bad, refused = levels.count("bad"), levels.count("refused")
        self.count_label.setText(
            f"{len(self.model.rows)} of {n} records · {tx} bytes out, {rx} bytes in · "
            f"least wire time {self.trace.wire_time_s():.2f} s · "
            f"{bad} bad frame(s), {refused} refusal(s)"
        )

    # -- search / export -----------------------------------------------------------------------
    def _needle(self) -> bytes | None:
        text = self.search_edit.text().strip()
        if not text:
            return None
        compact = text.replace(" ", "")
        if len(compact) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in compact):
            return bytes.fromhex(compact)
        return text.encode("latin-1", "replace")

    def _filter(self, records: list[TraceRecord]) -> list[int] | None:
        needle = self._needle()
        if needle is None:
            return None
        return [i for i, r in enumerate(records) if needle in r.data]

    def apply_search(self) -> None:
        self._refresh_live(force=True)
        if self._needle() is not None and not self.model.rows:
            self.message.show_message("No record contains that text or byte sequence.", "info")
        else:
            self.message.clear()

    def export(self, path: str | Path) -> Path:
        """Write the shown trace: ``.jsonl`` → JSON Lines (re-loadable), else a text dump."""
        path = Path(path)
        if self.trace is None:
            raise ValueError("no trace selected to export")
        if path.suffix == ".jsonl":
            return self.trace.save(path)
        lines = []
        for i in self.model.rows:
            rec = self.model.records[i]
            t = datetime.fromtimestamp(rec.wall_ns / 1e9, UTC).isoformat()
            lines.append(
                f"#{i + 1} {t} {rec.direction.upper()} {len(rec.data)} B  {self.model.summary(i)}"
            )
            lines.append(hex_dump(rec.data))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export trace", "trace.jsonl", "JSON Lines (*.jsonl);;Text dump (*.txt)"
        )
        if path:
            try:
                self.export(path)
                self.message.show_message(f"Trace written to {path}", "ok")
            except Exception as exc:  # noqa: BLE001
                self.message.show_error(exc)

    def _show_detail(self, current: QModelIndex, _prev: QModelIndex) -> None:
        self.tree.clear()
        if not current.isValid():
            self.detail.clear()
            self.detail_head.setText("Select a record to see it decoded.")
            return
        i = self.model.rows[current.row()]
        rec = self.model.records[i]
        d = self.model.dissections[i]
        self.detail_head.setText(
            f"Record {i + 1} · {rec.direction.upper()} · {len(rec.data)} bytes · "
            f"{rec.baud or '?'} baud {rec.line} · {d.level}"
            + (f" · {rec.note}" if rec.note else "")
        )
        parents: list[QTreeWidgetItem] = []
        for depth, text in d.tree or [(0, d.summary)]:
            del parents[depth:]
            item = QTreeWidgetItem([text])
            item.setToolTip(0, text)
            if parents:
                parents[-1].addChild(item)
            else:
                self.tree.addTopLevelItem(item)
            parents.append(item)
        self.tree.expandAll()
        self.detail.setPlainText(hex_dump(rec.data))
