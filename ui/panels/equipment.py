"""Equipment register panel: one table per register kind (types, combinations, certificates,
approvals, applications) with CSV import/export, and the equipment check of a session.

Standalone: ``EquipmentPanel(store)`` needs only an open :class:`bench_app.store.Store`. All
register logic is in :mod:`bench_app.equipment`; this widget only shows and forwards. Combinations
list their equivalents (same firmware, other hardware version); removed certificates and
approvals and warning findings are tinted.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from bench_app.equipment import COLUMNS, Register, check_session, export_csv, import_csv
from bench_app.errors import BenchError

TITLES = {
    "types": "Outstation types",
    "combos": "Combinations",
    "certs": "Certificates",
    "approvals": "Approvals",
    "applications": "Applications",
}
WARN = QColor("#fde2e1")
REMOVED = QColor("#eeeeee")


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _heading(column: str) -> str:
    """Column title for a register field: ``cop_issue`` → ``CoP issue``, ``mpid`` → ``MPID``."""
    words = column.replace("_", " ").split()
    fixed = {"cop": "CoP", "cops": "CoPs", "mpid": "MPID", "hhdc": "HHDC", "id": "ID"}
    text = " ".join(fixed.get(w, w) for w in words)
    return text[:1].upper() + text[1:]


class EquipmentPanel(QWidget):
    """Tabs of register tables, Import/Export/Refresh buttons and a session check."""

    def __init__(self, store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.tables: dict[str, QTableWidget] = {}
        self.tabs = QTabWidget()
        for kind in COLUMNS:
            table = QTableWidget()
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
            table.horizontalHeader().setStretchLastSection(True)
            self.tables[kind] = table
            self.tabs.addTab(table, TITLES[kind])
        self.import_btn = QPushButton("Import CSV…")
        self.export_btn = QPushButton("Export CSV…")
        self.refresh_btn = QPushButton("Refresh")
        self.import_btn.clicked.connect(self._ask_import)
        self.export_btn.clicked.connect(self._ask_export)
        self.refresh_btn.clicked.connect(self.refresh)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.session_spin = QSpinBox()
        self.session_spin.setRange(1, 1_000_000)
        self.check_btn = QPushButton("Check session")
        self.check_btn.clicked.connect(lambda: self.check(self.session_spin.value()))
        self.findings = QListWidget()

        buttons = QHBoxLayout()
        for b in (self.import_btn, self.export_btn, self.refresh_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(QLabel("Session"))
        buttons.addWidget(self.session_spin)
        buttons.addWidget(self.check_btn)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 3)
        layout.addWidget(self.findings, 1)
        self.refresh()

    # -- data ------------------------------------------------------------------------------------
    def current_kind(self) -> str:
        return list(COLUMNS)[self.tabs.currentIndex()]

    def _rows(self, kind: str) -> tuple[list[str], list[dict]]:
        reg = Register(self.store)
        cols = list(COLUMNS[kind])
        if kind == "types":
            return cols, reg.types()
        if kind == "combos":
            rows = []
            for c in reg.combinations():
                others = [e.key for e in reg.equivalents(c.id)[1:]]
                rows.append({**c.to_json(), **c.firmware, "equivalent_to": others})
            return [*cols[:-1], "equivalent_to", cols[-1]], rows
        if kind == "certs":
            return ["id", *cols], reg.certificates()
        if kind == "approvals":
            return ["id", *cols], reg.approvals()
        return cols, reg.applications()

    def refresh(self) -> None:
        """Reload every table from the store."""
        for kind, table in self.tables.items():
            cols, rows = self._rows(kind)
            table.clear()
            table.setColumnCount(len(cols))
            table.setHorizontalHeaderLabels([_heading(c) for c in cols])
            table.setRowCount(len(rows))
            for r, row in enumerate(rows):
                removed = row.get("status") == "removed"
                for c, col in enumerate(cols):
                    item = QTableWidgetItem(_text(row.get(col)))
                    if removed:
                        item.setBackground(QBrush(REMOVED))
                    table.setItem(r, c, item)
            table.resizeColumnsToContents()

    def import_file(self, kind: str, path: str) -> bool:
        """Import a CSV into ``kind``; the message shows the count or every bad row."""
        try:
            n = import_csv(self.store, kind, path)
        except BenchError as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText(f"{n} {TITLES[kind].lower()} imported from {path}")
        self.refresh()
        return True

    def export_file(self, kind: str, path: str) -> bool:
        try:
            n = export_csv(self.store, kind, path)
        except BenchError as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText(f"{n} {TITLES[kind].lower()} written to {path}")
        return True

    def check(self, session_id: int) -> list:
        """Run the equipment check of a session and list its findings (warnings tinted)."""
        self.findings.clear()
        try:
            found = check_session(self.store, session_id)
        except BenchError as exc:
            self.message.setText(str(exc))
            return []
        if not found:
            self.findings.addItem(f"Session {session_id}: the meter matches the declaration.")
        for f in found:
            item = QListWidgetItem(f"{f.severity.upper()}: {f.message}")
            if f.severity == "warning":
                item.setBackground(QBrush(WARN))
            self.findings.addItem(item)
        return found

    # -- dialogs ---------------------------------------------------------------------------------
    def _ask_import(self) -> None:
        kind = self.current_kind()
        path, _ = QFileDialog.getOpenFileName(self, f"Import {TITLES[kind]}", "", "CSV (*.csv)")
        if path:
            self.import_file(kind, path)

    def _ask_export(self) -> None:
        kind = self.current_kind()
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {TITLES[kind]}", f"{kind}.csv", "CSV (*.csv)"
        )
        if path:
            self.export_file(kind, path)
