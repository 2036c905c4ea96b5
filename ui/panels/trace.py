"""Trace panel: every byte of the session in hex and ASCII, direction-coloured, time-stamped, with a
one-line decoding per chunk (HDLC frame and APDU kind, IEC 62056-21 lines), search and export.

Sources: the live trace of the open port (refreshed while it grows) and the traces stored with the
session (``store.traces`` / ``store.load_trace``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase
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
    QVBoxLayout,
    QWidget,
)

from drivers.trace import Trace, TraceRecord
from ui.context import BenchContext
from ui.errors import InlineMessage
from ui.icons import icon

APDU_NAMES = {
    0x60: "AARQ",
    0x61: "AARE",
    0x62: "RLRQ",
    0x63: "RLRE",
    0xC0: "GET.request",
    0xC4: "GET.response",
    0xC1: "SET.request",
    0xC5: "SET.response",
    0xC3: "ACTION.request",
    0xC7: "ACTION.response",
    0xD8: "ExceptionResponse",
    0x0E: "ConfirmedServiceError",
}
CONTROL_NAMES = {
    0x01: "<SOH>",
    0x02: "<STX>",
    0x03: "<ETX>",
    0x04: "<EOT>",
    0x06: "<ACK>",
    0x15: "<NAK>",
    0x0D: "",
    0x0A: "⏎",
}
TX_COLOUR, RX_COLOUR = QColor("#1f5fa8"), QColor("#1e7b34")
TX_BG, RX_BG = QColor("#eef4fc"), QColor("#eef8f0")


def summarise(data: bytes) -> str:
    """One-line decoding of a chunk: HDLC frame kind and APDU, or IEC 62056-21 text."""
    if len(data) >= 9 and data[0] == 0x7E and data[-1] == 0x7E:
        from drivers.dlms.hdlc import crc16_x25, parse_frame
        from drivers.trace import REDACTED_BYTE

        note = ""
        try:
            frame = parse_frame(data)
        except Exception as exc:  # noqa: BLE001 - a bad frame is itself worth showing
            if bytes([REDACTED_BYTE]) * 4 not in data or "FCS" not in str(exc):
                return f"HDLC ? ({exc})"
            # the password inside was redacted after sending, so the stored FCS no longer fits:
            # decode it with a recomputed FCS and say so (a genuine FCS error is shown as such)
            body = bytearray(data[1:-1])
            body[-2:] = crc16_x25(bytes(body[:-2])).to_bytes(2, "little")
            try:
                frame = parse_frame(bytes(body))
            except Exception:  # noqa: BLE001
                return f"HDLC ? ({exc})"
            note = " (password redacted; FCS not checked)"
        c = frame.ctrl
        text = f"HDLC {c.kind}"
        if c.ns is not None:
            text += f" N(S)={c.ns}"
        if c.nr is not None:
            text += f" N(R)={c.nr}"
        info = frame.info
        if info[:2] in (b"\xe6\xe6", b"\xe6\xe7") and len(info) > 3:
            tag = info[3]
            text += f" · {APDU_NAMES.get(tag, f'APDU 0x{tag:02X}')}"
            if tag in (0xC0, 0xC4) and len(info) > 4:
                text += {1: " normal", 2: " next/block", 3: " with-list"}.get(info[4], "")
        elif info:
            text += f" · {len(info)} byte segment"
        return text + (" (segmented)" if frame.segmented else "") + note
    out = []
    for b in data:
        if b in CONTROL_NAMES:
            out.append(CONTROL_NAMES[b])
        elif 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append(f"<{b:02X}>")
    text = "".join(out)
    return text if len(text) <= 120 else text[:117] + "…"


def hex_dump(data: bytes, width: int = 16) -> str:
    """Classic dump: offset, hex bytes, ASCII (dots for non-printables)."""
    lines = []
    for off in range(0, len(data), width):
        chunk = data[off : off + width]
        hexes = " ".join(f"{b:02X}" for b in chunk).ljust(width * 3 - 1)
        ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{off:04X}  {hexes}  {ascii_}")
    return "\n".join(lines)


class TraceModel(QAbstractTableModel):
    """Rows = trace records (optionally filtered); columns as in :attr:`HEADERS`."""

    HEADERS = ["#", "Time (UTC)", "Δt ms", "Dir", "Bytes", "Decoded", "Hex"]

    def __init__(self) -> None:
        super().__init__()
        self.records: list[TraceRecord] = []
        self.rows: list[int] = []
        self._summary: dict[int, str] = {}

    def set_records(self, records: list[TraceRecord], rows: list[int] | None = None) -> None:
        self.beginResetModel()
        if records is not self.records:
            self._summary.clear()
        self.records = records
        self.rows = list(range(len(records))) if rows is None else rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def summary(self, i: int) -> str:
        if i not in self._summary:
            self._summary[i] = summarise(self.records[i].data)
        return self._summary[i]

    def data(self, index: QModelIndex, role: int = 0) -> Any:
        i = self.rows[index.row()]
        rec = self.records[i]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return str(i + 1)
            if col == 1:
                t = datetime.fromtimestamp(rec.wall_ns / 1e9, UTC)
                return t.strftime("%H:%M:%S.") + f"{t.microsecond // 1000:03d}"
            if col == 2:
                return f"{(rec.t_ns - self.records[i - 1].t_ns) / 1e6:.1f}" if i else "0.0"
            if col == 3:
                return "→ TX" if rec.direction == "tx" else "← RX"
            if col == 4:
                return str(len(rec.data))
            if col == 5:
                return self.summary(i) + (f"  [{rec.note}]" if rec.note else "")
            if col == 6:
                shown = rec.data[:24].hex(" ").upper()
                return shown + (" …" if len(rec.data) > 24 else "")
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(TX_COLOUR if rec.direction == "tx" else RX_COLOUR)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(TX_BG if rec.direction == "tx" else RX_BG)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 2, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class TracePanel(QWidget):
    """Source selector, search, export, record table and a hex/ASCII detail view."""

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
        self.source_combo.setMinimumWidth(280)
        self.source_combo.currentIndexChanged.connect(self._load_source)
        self.search_edit = QLineEdit(placeholderText="Search hex (7E A0) or text (P.01)")
        self.search_edit.returnPressed.connect(self.apply_search)
        self.search_btn = QPushButton(icon("search"), "Find")
        self.search_btn.clicked.connect(self.apply_search)
        self.export_btn = QPushButton(icon("export"), "Export…")
        self.export_btn.clicked.connect(self.export_dialog)
        self.count_label = QLabel("")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Trace"))
        bar.addWidget(self.source_combo, 1)
        bar.addWidget(self.search_edit, 1)
        bar.addWidget(self.search_btn)
        bar.addWidget(self.export_btn)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.table.setFont(mono)
        hdr = self.table.horizontalHeader()
        for col, width in enumerate([48, 124, 64, 56, 52, 380]):
            hdr.resizeSection(col, width)
        hdr.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._show_detail)
        self.detail = QPlainTextEdit(readOnly=True)
        self.detail.setFont(mono)
        self.detail.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setSizes([420, 160])
        self.message = InlineMessage()
        lay = QVBoxLayout(self)
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
                self.source_combo.addItem(
                    f"#{t['id']} {t.get('label', '')} — {t.get('records', 0)} records, "
                    f"{t.get('bytes_tx', 0)} B out / {t.get('bytes_rx', 0)} B in",
                    t["id"],
                )
        self.source_combo.blockSignals(False)
        self._load_source()

    def _load_source(self) -> None:
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
        self.count_label.setText(
            f"{len(self.model.rows)} of {n} records · {tx} bytes out, {rx} bytes in · "
            f"least wire time {self.trace.wire_time_s():.2f} s"
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
        if not current.isValid():
            self.detail.clear()
            return
        i = self.model.rows[current.row()]
        rec = self.model.records[i]
        head = (
            f"Record {i + 1} · {rec.direction.upper()} · {len(rec.data)} bytes · "
            f"{rec.baud or '?'} baud {rec.line} · {self.model.summary(i)}"
        )
        self.detail.setPlainText(head + "\n\n" + hex_dump(rec.data))
        self.detail.setFont(QFont(self.table.font()))
