"""The Elexon test record's own fields in a form (:mod:`bench_app.test_record`): application
reference, applicant, the Protocol Testing Agent's role and testers, protocols in test, the
approval role sought, the Elexon-agreed script and its departures. The HHDC, software and
equipment fields have their own forms; the report's first page shows all of them."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QPlainTextEdit, QWidget

from bench_app.test_record import APPROVAL_ROLES, FIELDS, PTA_ROLES
from ui.panels.session_forms import FormDialog

#: list fields: one entry per line in the form
LIST_FIELDS = [k for k, (_, is_list) in FIELDS.items() if is_list and k != "approval_roles"]


class TestRecordDialog(FormDialog):
    """Edit the ``test_record`` session record; :meth:`values` gives the changes to merge."""

    def __init__(self, current: dict | None = None, parent: QWidget | None = None) -> None:
        super().__init__("BSCP601 test record", parent)
        cur = current or {}
        self.edits: dict[str, QLineEdit] = {}
        self.lists: dict[str, QPlainTextEdit] = {}
        for key, (label, is_list) in FIELDS.items():
            if key in ("approval_roles", "pta_role"):
                continue
            if is_list:
                box = QPlainTextEdit("\n".join(cur.get(key) or []))
                box.setPlaceholderText("one per line")
                box.setFixedHeight(56)
                box.setTabChangesFocus(True)  # Tab moves to the next field
                self.lists[key] = box
                self.form.addRow(label, box)
            else:
                self.edits[key] = QLineEdit(str(cur.get(key) or ""))
                self.form.addRow(label, self.edits[key])
        self.pta_role = QComboBox()
        self.pta_role.addItems(list(PTA_ROLES))
        self.pta_role.setCurrentText(str(cur.get("pta_role") or "HHDC"))
        self.form.addRow(FIELDS["pta_role"][0], self.pta_role)
        self.roles: dict[str, QCheckBox] = {}
        for key, text in APPROVAL_ROLES.items():
            self.roles[key] = QCheckBox(text)
            self.roles[key].setChecked(key in (cur.get("approval_roles") or []))
            self.form.addRow(FIELDS["approval_roles"][0] if len(self.roles) == 1 else "",
                             self.roles[key])  # fmt: skip

    def values(self) -> dict:
        out: dict = {k: e.text().strip() or None for k, e in self.edits.items()}
        for key, box in self.lists.items():
            out[key] = [ln.strip() for ln in box.toPlainText().splitlines() if ln.strip()]
        out["pta_role"] = self.pta_role.currentText()
        out["approval_roles"] = [k for k, box in self.roles.items() if box.isChecked()]
        return out
