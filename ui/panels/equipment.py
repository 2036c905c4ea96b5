"""Equipment register panel: one table per register kind (types, combinations, certificates,
approvals, applications, devices, conditions, dispensations, equivalences, installed-base
snapshots, upgrade plans) with CSV import/export and removal, the equipment check and the
deviations of a session, coverage shares of a dated snapshot (now and after a plan) and the
published lists (CSV/PDF).

Standalone: ``EquipmentPanel(store)`` needs only an open :class:`bench_app.store.Store`. All
register logic is in :mod:`bench_app.equipment`; this widget only shows and forwards. Combinations
list their equivalents (same firmware, other hardware version); removed certificates and
approvals and warning findings are tinted.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QBrush, QColor, QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
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
from bench_app.equipment.csv_records import COLUMNS as NEW_KINDS
from bench_app.equipment.csv_records import rows as new_rows
from bench_app.equipment.deviations import session_deviations
from bench_app.equipment.shares import coverage_shares, format_shares
from bench_app.errors import BenchError
from bench_app.report.published_lists import publish

TITLES = {
    "types": "Outstation types",
    "combos": "Combinations",
    "certs": "Certificates",
    "approvals": "Approvals",
    "applications": "Applications",
    "devices": "Devices",
    "conditions": "Conditions",
    "dispensations": "Dispensations",
    "equivalences": "Equivalences",
    "base": "Installed base",
    "upgrades": "Upgrade plans",
    "dcc": "PPCL/EPCL",
    "tirs": "Testing issues",
}
WARN = QColor("#fde2e1")
REMOVED = QColor("#eeeeee")
PROPOSED = QColor("#fff4c2")
#: kinds whose rows are removed with a date and a reason (kept, marked removed)
DATED_REMOVAL = ("certs", "approvals", "dispensations")


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
        self.remove_btn = QPushButton("Remove…")
        self.remove_btn.clicked.connect(self._ask_remove)
        self.import_btn.clicked.connect(self._ask_import)
        self.export_btn.clicked.connect(self._ask_export)
        self.refresh_btn.clicked.connect(self.refresh)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.session_spin = QSpinBox()
        self.session_spin.setRange(1, 1_000_000)
        self.check_btn = QPushButton("Check session")
        self.check_btn.clicked.connect(lambda: self.check(self.session_spin.value()))
        self.override_btn = QPushButton("Override template…")
        self.override_btn.setToolTip("Let a checklist template run on this session although it "
                                     "does not serve it (reported as a deviation)")  # fmt: skip
        self.override_btn.clicked.connect(self._ask_override)
        self.findings = QListWidget()
        self.snapshot_edit = QLineEdit()
        self.snapshot_edit.setPlaceholderText("snapshot")
        self.tested_edit = QLineEdit()
        self.tested_edit.setPlaceholderText("tested combination keys (space-separated)")
        self.plan_edit = QLineEdit()
        self.plan_edit.setPlaceholderText("upgrade plan (optional)")
        self.shares_btn = QPushButton("Coverage")
        self.shares_btn.clicked.connect(
            lambda: self.shares(self.snapshot_edit.text(), self.tested_edit.text().split(),
                                self.plan_edit.text().strip() or None)
        )  # fmt: skip
        self.list_choice = QComboBox()
        self.list_choice.addItems(["approvals", "types", "ppcl", "epcl"])
        self.publish_btn = QPushButton("Publish list…")
        self.publish_btn.clicked.connect(self._ask_publish)

        buttons = QHBoxLayout()
        for b in (self.import_btn, self.export_btn, self.remove_btn, self.refresh_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(QLabel("Session"))
        buttons.addWidget(self.session_spin)
        buttons.addWidget(self.check_btn)
        buttons.addWidget(self.override_btn)
        lower = QHBoxLayout()
        for w in (QLabel("Coverage of"), self.snapshot_edit, self.tested_edit, self.plan_edit,
                  self.shares_btn):  # fmt: skip
            lower.addWidget(w)
        lower.addStretch(1)
        lower.addWidget(self.list_choice)
        lower.addWidget(self.publish_btn)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addLayout(lower)
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
        if kind in NEW_KINDS:
            return ["id", *cols], new_rows(reg, kind)
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
                tint = {"removed": REMOVED, "assurance": PROPOSED}.get(str(row.get("status")))
                for c, col in enumerate(cols):
                    item = QTableWidgetItem(_text(row.get(col)))
                    if tint is not None:
                        item.setBackground(QBrush(tint))
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
        for d in session_deviations(self.store, session_id, [f.to_json() for f in found]):
            item = QListWidgetItem(f"DEVIATION ({d.kind}, {d.reference}): {d.text}")
            item.setBackground(QBrush(PROPOSED))
            self.findings.addItem(item)
        return found

    def remove(self, kind: str, key: str, date: str = "", reason: str = "") -> bool:
        """Remove entry ``key`` (an id; snapshot/plan name for base/upgrades) of ``kind``;
        certificates, approvals and dispensations are kept, marked removed on ``date``."""
        reg = Register(self.store)
        try:
            if kind in ("base", "upgrades"):
                reg.remove_rows("snapshot" if kind == "base" else "plan", key)
            elif kind in ("types", "combos", "applications"):
                {"types": reg.remove_type, "combos": reg.remove_combination,
                 "applications": reg.remove_application}[kind](key)  # fmt: skip
            else:
                rid = int(key)
                if kind in DATED_REMOVAL:
                    {"certs": reg.remove_certificate, "approvals": reg.remove_approval,
                     "dispensations": reg.remove_dispensation}[kind](rid, date, reason)  # fmt: skip
                else:
                    {"devices": reg.remove_device, "conditions": reg.remove_condition,
                     "equivalences": reg.remove_equivalence}[kind](rid)  # fmt: skip
        except (BenchError, KeyError, ValueError) as exc:
            self.message.setText(f"cannot remove {kind} {key}: {exc}")
            return False
        self.message.setText(f"{TITLES[kind]}: {key} removed")
        self.refresh()
        return True

    def override(self, session_id: int, template: str, reason: str, by: str = "gui") -> bool:
        """Record a template-scope override for a session (a deviation in its report)."""
        try:
            Register(self.store).record_template_override(session_id, template, reason, by)
        except BenchError as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText(f"session {session_id}: {template} may run; override recorded")
        return True

    def shares(self, snapshot: str, tested: list[str], plan: str | None = None) -> list:
        """Coverage of ``snapshot`` by ``tested`` now (and after ``plan``), listed below."""
        self.findings.clear()
        try:
            res = coverage_shares(Register(self.store), snapshot.strip(), tested, plan)
        except BenchError as exc:
            self.message.setText(str(exc))
            return []
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        for line in format_shares(res).splitlines():
            item = QListWidgetItem(line)
            item.setFont(mono)
            self.findings.addItem(item)
        return res

    def publish_list(self, which: str, version: str, when: str, path: str) -> bool:
        """Write a published list (CSV or PDF by the file's suffix)."""
        try:
            out, n = publish(self.store, which, version, when, path)
        except BenchError as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText(f"{n} rows of the {which} list v{version} written to {out}")
        return True

    # -- dialogs ---------------------------------------------------------------------------------
    def _ask_remove(self) -> None:
        kind, table = self.current_kind(), self.tables[self.current_kind()]
        row = table.currentRow()
        if row < 0:
            self.message.setText("select the row to remove")
            return
        col = 1 if kind in ("base", "upgrades") else 0
        cell = table.item(row, col)
        key = cell.text() if cell is not None else ""
        date = reason = ""
        if kind in DATED_REMOVAL:
            date, ok = QInputDialog.getText(self, "Remove", "Removal date (YYYY-MM-DD)")
            if not ok:
                return
            reason, ok = QInputDialog.getText(self, "Remove", "Reason")
            if not ok:
                return
        self.remove(kind, key, date, reason)

    def _ask_override(self) -> None:
        from bench_app.checklist.template import list_templates

        names = [p.stem for p in list_templates()]
        name, ok = QInputDialog.getItem(self, "Override", "Template", names, 0, False)
        if not ok:
            return
        reason, ok = QInputDialog.getText(self, "Override", "Reason (shown in the report)")
        if ok:
            self.override(self.session_spin.value(), name, reason)

    def _ask_publish(self) -> None:
        which = self.list_choice.currentText()
        version, ok = QInputDialog.getText(self, "Publish", "List version (e.g. 75.0)")
        if not ok:
            return
        when, ok = QInputDialog.getText(self, "Publish", "List date (YYYY-MM-DD)")
        if not ok:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Publish list", f"{which}-v{version}.pdf",
                                              "PDF or CSV (*.pdf *.csv)")  # fmt: skip
        if path:
            self.publish_list(which, version, when, path)

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
