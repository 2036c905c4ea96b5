"""Writes to the meter under test need intent: a confirmation that says what will change, what
the write leaves in the meter, and asks who and why.

Setting the clock outside a step adds a clock-change event and a flagged (shortened or lengthened)
settlement period to the meter — exactly the evidence DR3-2/DR3-3 examine — so the window never
does it on one click. The reason and the name go to :func:`bench_app.meter_writes.set_clock`
(the same operation as ``bench-app set-clock``): the notes of the clock readings before and after
the write, and the write's record the report lists under "Writes to the meter". During a running
checklist step, an open witnessed run, or in a locked session, such writes are refused.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from bench_app.meter_writes import WriteIntent


class WriteConfirmDialog(QDialog):
    """``What will change`` / ``What it leaves in the meter`` / reason / name; OK is disabled
    until both are given, and Cancel is the default button (Enter never writes)."""

    def __init__(
        self, title: str, changes: str, leaves: str, by: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        form = QFormLayout()
        for label, text in (("What will change", changes), ("What it leaves in the meter", leaves)):
            lab = QLabel(text)
            lab.setWordWrap(True)
            form.addRow(label, lab)
        self.reason_edit = QLineEdit(placeholderText="Why (recorded with the reading)")
        self.by_edit = QLineEdit(by, placeholderText="Your name")
        form.addRow("Reason", self.reason_edit)
        form.addRow("By", self.by_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Write to the meter")
        ok.setAutoDefault(False)
        ok.setDefault(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for edit in (self.reason_edit, self.by_edit):
            edit.textChanged.connect(self._check)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.buttons)
        self._check()

    def _check(self) -> None:
        ok = bool(self.reason_edit.text().strip() and self.by_edit.text().strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def intent(self) -> WriteIntent:
        return WriteIntent(self.by_edit.text().strip(), self.reason_edit.text().strip())


def ask_write(
    parent: QWidget | None, title: str, changes: str, leaves: str, by: str = ""
) -> WriteIntent | None:
    """Ask; the intent when confirmed, None when cancelled."""
    dlg = WriteConfirmDialog(title, changes, leaves, by, parent)
    if dlg.exec() != QDialog.DialogCode.Accepted:
        return None
    return dlg.intent()
