"""Session sidebar and its forms: new session, participants, equipment and software under test.

Every form validates before it writes (required fields, MPID = 4 letters, firmware as
``name=version`` lines) and shows what is wrong next to the field, not in a traceback.
"""

from __future__ import annotations

import logging
import re
from html import escape
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ui.context import BenchContext
from ui.errors import InlineMessage, show_error
from ui.icons import icon
from ui.widgets import date_edit, gate

log = logging.getLogger(__name__)

KINDS = [("Protocol approval (BSCP601)", "protocol-approval"), ("CoP compliance", "cop-compliance")]
ROLES = ["tester", "witness", "hhdc", "manufacturer"]
MPID_RE = re.compile(r"^[A-Z]{4}$")


class FormDialog(QDialog):
    """A dialog with a form, an inline error line and OK/Cancel; subclasses fill ``self.form``."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.form = QFormLayout()
        self.error = InlineMessage()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._try_accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(self.form)
        lay.addWidget(self.error)
        lay.addWidget(buttons)

    def validate(self) -> str | None:
        """Return an error message, or None when the form is valid."""
        return None

    def _try_accept(self) -> None:
        problem = self.validate()
        if problem:
            self.error.show_message(problem, "error")
            return
        self.accept()


class NewSessionDialog(FormDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("New test session", parent)
        self.reference = QLineEdit(
            placeholderText="BSCP601 application reference, e.g. P601-2026-014"
        )
        self.kind = QComboBox()
        for label, value in KINDS:
            self.kind.addItem(label, value)
        self.cops = QLineEdit(placeholderText="e.g. 5, 10")
        self.location = QLineEdit()
        self.date = date_edit(QDate.currentDate(), "yyyy-MM-dd")
        self.title = QLineEdit()
        self.form.addRow("Reference *", self.reference)
        self.form.addRow("Kind", self.kind)
        self.form.addRow("Codes of Practice", self.cops)
        self.form.addRow("Location", self.location)
        self.form.addRow("Date", self.date)
        self.form.addRow("Title", self.title)

    def validate(self) -> str | None:
        if not self.reference.text().strip():
            return "Reference is required (the BSCP601 application reference)."
        bad = [c for c in self.cop_list() if not re.fullmatch(r"\d{1,2}", c)]
        if bad:
            return f"Codes of Practice must be numbers such as 5 or 10 (not {', '.join(bad)})."
        return None

    def cop_list(self) -> list[str]:
        return [c.strip() for c in self.cops.text().replace(";", ",").split(",") if c.strip()]

    def values(self) -> dict:
        return {
            "reference": self.reference.text().strip(),
            "kind": self.kind.currentData(),
            "cops": self.cop_list(),
            "location": self.location.text().strip(),
            "date": self.date.date().toString("yyyy-MM-dd"),
            "title": self.title.text().strip(),
        }


class ParticipantDialog(FormDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Add participant", parent)
        self.name = QLineEdit()
        self.organisation = QLineEdit()
        self.role = QComboBox()
        self.role.addItems(ROLES)
        self.mpid = QLineEdit(placeholderText="4 capital letters, for an HHDC (e.g. UKDC)")
        self.form.addRow("Name *", self.name)
        self.form.addRow("Organisation", self.organisation)
        self.form.addRow("Role", self.role)
        self.form.addRow("MPID", self.mpid)

    def validate(self) -> str | None:
        if not self.name.text().strip():
            return "Name is required."
        mpid = self.mpid.text().strip()
        if mpid and not MPID_RE.match(mpid):
            return f"MPID must be 4 capital letters (got {mpid!r})."
        if self.role.currentText() == "hhdc" and not mpid:
            return "An HHDC participant needs its MPID."
        return None

    def values(self) -> dict:
        return {
            "name": self.name.text().strip(),
            "organisation": self.organisation.text().strip(),
            "role": self.role.currentText(),
            "mpid": self.mpid.text().strip() or None,
        }


class EquipmentDialog(FormDialog):
    def __init__(self, current: dict | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Equipment under test", parent)
        cur = current or {}
        self.outstation_type = QLineEdit(cur.get("outstation_type", ""), maxLength=3)
        self.outstation_type.setPlaceholderText("3 characters, e.g. PRO")
        self.model = QLineEdit(cur.get("model", ""))
        self.serials = QLineEdit(", ".join(cur.get("serials", []) or []))
        fw = cur.get("firmware") or {}
        self.firmware = QPlainTextEdit("\n".join(f"{k}={v}" for k, v in fw.items()))
        self.firmware.setPlaceholderText("metrology=1.02\napplication=3.4\ncommunications=2.1")
        self.firmware.setFixedHeight(80)
        self.firmware.setTabChangesFocus(True)  # Tab moves to the next field
        self.hardware = QLineEdit(cur.get("hardware_version", ""))
        self.channels = QSpinBox(minimum=0, maximum=64, value=int(cur.get("channels", 0) or 0))
        self.channel_types = QLineEdit(cur.get("channel_types", ""))
        self.comms = QLineEdit(cur.get("comms_method", ""))
        self.variants = QLineEdit(cur.get("variants_covered", ""))
        for label, w in [
            ("Outstation type *", self.outstation_type),
            ("Model *", self.model),
            ("Serial numbers *", self.serials),
            ("Firmware", self.firmware),
            ("Hardware version", self.hardware),
            ("Channels", self.channels),
            ("Channel types", self.channel_types),
            ("Comms method", self.comms),
            ("Variants covered", self.variants),
        ]:
            self.form.addRow(label, w)

    def firmware_dict(self) -> dict[str, str]:
        out = {}
        for line in self.firmware.toPlainText().splitlines():
            if line.strip():
                k, _, v = line.partition("=")
                out[k.strip()] = v.strip()
        return out

    def validate(self) -> str | None:
        if not re.fullmatch(r"[A-Z0-9]{3}", self.outstation_type.text().strip()):
            return "Outstation type must be the 3-character Valid Outstation Type code (e.g. PRO)."
        if not self.model.text().strip():
            return "Model is required."
        if not self.serial_list():
            return "Give at least one serial number."
        for line in self.firmware.toPlainText().splitlines():
            if line.strip() and ("=" not in line or not line.partition("=")[2].strip()):
                return f"Firmware lines must read name=version (line {line.strip()!r})."
        return None

    def serial_list(self) -> list[str]:
        return [s.strip() for s in self.serials.text().split(",") if s.strip()]

    def values(self) -> dict:
        return {
            "outstation_type": self.outstation_type.text().strip(),
            "model": self.model.text().strip(),
            "serials": self.serial_list(),
            "firmware": self.firmware_dict(),
            "hardware_version": self.hardware.text().strip(),
            "channels": self.channels.value(),
            "channel_types": self.channel_types.text().strip(),
            "comms_method": self.comms.text().strip(),
            "variants_covered": self.variants.text().strip(),
        }


class SoftwareDialog(FormDialog):
    FIELDS = [
        ("hhdc_name", "HHDC name *"),
        ("hhdc_mpid", "HHDC MPID *"),
        ("hhdc_software", "HHDC software"),
        ("hhdc_version", "HHDC software version"),
        ("hhdc_date", "HHDC software date"),
        ("hhdc_host", "Host"),
        ("hhdc_modules", "Modules"),
        ("manufacturer_software", "Manufacturer software"),
        ("manufacturer_version", "Manufacturer software version"),
    ]

    def __init__(self, current: dict | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Software under test", parent)
        cur = current or {}
        self.edits: dict[str, QLineEdit] = {}
        for key, label in self.FIELDS:
            self.edits[key] = QLineEdit(str(cur.get(key, "") or ""))
            self.form.addRow(label, self.edits[key])

    def validate(self) -> str | None:
        if not self.edits["hhdc_name"].text().strip():
            return "HHDC name is required."
        if not MPID_RE.match(self.edits["hhdc_mpid"].text().strip()):
            return "HHDC MPID must be 4 capital letters (e.g. UKDC)."
        return None

    def values(self) -> dict:
        return {k: e.text().strip() for k, e in self.edits.items()}


#: the sidebar's badge on a session whose meter was the built-in simulator
SIM_BADGE = "<b>SIMULATOR</b> — evidence of this session came from a simulated outstation"
SIM_BADGE_STYLE = (
    "QLabel#simulatorBadge { color: #ffffff; background: #6a3d9a; padding: 4px 6px;"
    " border-radius: 3px; }"
)


#: reasons the sidebar's overall-result box lists before "n more"
SHOWN_REASONS = 3


def eut_line(eq: dict) -> str:
    """``"EUT: GEN HH-4 (GEN-SIM-004711)"``: the model once (a model that already starts with the
    outstation type's code is not prefixed again), then the serials."""
    kind, model = str(eq.get("outstation_type") or "").strip(), str(eq.get("model") or "").strip()
    first = model.split()[0].upper() if model else ""
    name = model if kind and first == kind.upper() else f"{kind} {model}".strip()
    serials = ", ".join(eq.get("serials", []) or [])
    return f"EUT: {escape(name) or '—'}" + (f" ({escape(serials)})" if serials else "")


class SessionSidebar(QWidget):
    """List of sessions with New, and per-session Participants / Equipment / Software buttons."""

    session_selected = Signal(object)

    def __init__(self, ctx: BenchContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.list = QListWidget()
        self.list.currentItemChanged.connect(self._on_select)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setMinimumHeight(84)  # two sessions stay readable beside a long result
        self.new_btn = QPushButton(icon("add"), "New session…")
        self.new_btn.clicked.connect(self.new_session)
        self.part_btn = QPushButton(icon("identity"), "Add participant…")
        self.part_btn.clicked.connect(self.add_participant)
        self.equip_btn = QPushButton(icon("session"), "Equipment under test…")
        self.equip_btn.clicked.connect(self.edit_equipment)
        self.soft_btn = QPushButton(icon("checklist"), "Software under test…")
        self.soft_btn.clicked.connect(self.edit_software)
        self.record_btn = QPushButton(icon("report"), "Test record (BSCP601)…")
        self.record_btn.clicked.connect(self.edit_test_record)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.summary.setObjectName("sessionSummary")
        self.overall = QLabel("")
        self.overall.setObjectName("overallResult")
        self.overall.setWordWrap(True)
        self.overall_status = ""
        self.simulated = False
        self.sim_badge = QLabel(SIM_BADGE)
        self.sim_badge.setObjectName("simulatorBadge")
        self.sim_badge.setWordWrap(True)
        self.sim_badge.setToolTip(
            "Collections, traces or clock readings of this session came from a simulated "
            "outstation (it announced itself, or the bench record names the simulator): the "
            "report marks every page SIMULATED, whatever is recorded later."
        )
        self.sim_badge.setStyleSheet(SIM_BADGE_STYLE)
        self.sim_badge.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        title = QLabel("Sessions")
        title.setObjectName("sidebarTitle")
        lay.addWidget(title)
        lay.addWidget(self.list, 2)
        lay.addWidget(self.sim_badge)
        lay.addWidget(self.overall)
        lay.addWidget(self.new_btn)
        lay.addWidget(self.part_btn)
        lay.addWidget(self.equip_btn)
        lay.addWidget(self.soft_btn)
        lay.addWidget(self.record_btn)
        lay.addWidget(self.summary, 1)
        self.setMinimumWidth(230)
        self.setMaximumWidth(300)
        ctx.data_changed.connect(
            lambda kind: self.update_overall() if kind in ("session", "checklist") else None
        )
        self.refresh()

    def refresh(self, select: int | None = None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        sessions = self.ctx.store.list_sessions() if self.ctx.store is not None else []
        for s in sorted(sessions, key=lambda s: s["id"], reverse=True):
            lock = " — locked" if s.get("status") == "locked" else ""
            item = QListWidgetItem(
                f"{s['reference']}{lock}\n{s.get('kind', '')} · {s.get('date', '')}"
            )
            item.setData(Qt.ItemDataRole.UserRole, s["id"])
            self.list.addItem(item)
            if s["id"] == (select if select is not None else self.ctx.session_id):
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._update_summary()

    def _on_select(self, item: QListWidgetItem | None, _prev: Any) -> None:
        sid = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        self.ctx.set_session(sid)
        self._update_summary()
        self.session_selected.emit(sid)

    def set_overall(self, status: str, reasons: list[str], tooltip: str = "") -> None:
        """Show the session's overall result (``PASS``/``FAIL``/``INCOMPLETE``) and why; always
        visible above the session's buttons."""
        from ui.panels.checklist_view import overall_html, overall_style

        self.overall_status = status
        # at most SHOWN_REASONS lines: a long list would be cut mid-line on a 720 px screen;
        # every reason is in the tooltip
        shown = reasons[:SHOWN_REASONS]
        if len(reasons) > SHOWN_REASONS:
            shown.append(f"{len(reasons) - SHOWN_REASONS} more (hover to read all)")
        self.overall.setText(overall_html(status, shown))
        rule = "By the report's rules: any failed step fails"
        self.overall.setToolTip(tooltip or "\n".join([*(f"· {r}" for r in reasons), rule]))
        self.overall.setStyleSheet(overall_style(status))

    def update_overall(self) -> None:
        """Recompute the overall result with the report's own rules
        (:func:`bench_app.checklist.verdict.overall_result`) and the simulator marking."""
        self._update_simulator()
        if self.ctx.session_id is None or self.ctx.store is None:
            self.set_overall("NOT RUN", ["no session open"])
            return
        from bench_app.checklist.verdict import overall_result
        from ui.panels.checklist_view import overall_lines, overall_tooltip

        try:
            res = overall_result(self.ctx.store, self.ctx.session_id)
        except Exception as exc:
            log.exception("overall result of session %s", self.ctx.session_id)
            self.set_overall("UNKNOWN", [str(exc)])
            return
        lines = overall_lines(res)
        if res.rehearsal:  # titled as such: a rehearsal is never a protocol approval
            from bench_app.checklist.verdict import REHEARSAL_TITLE

            lines = [REHEARSAL_TITLE, *(x for x in lines if not x.startswith(REHEARSAL_TITLE))]
        self.set_overall(res.status, lines, overall_tooltip(res))

    def _update_simulator(self) -> None:
        """Show the SIMULATOR badge when any evidence of the session came from a simulated
        outstation (:func:`bench_app.store.records.is_simulator_session`)."""
        sim = False
        if self.ctx.session_id is not None and self.ctx.store is not None:
            from bench_app.store.records import is_simulator_session

            try:
                sim = is_simulator_session(self.ctx.store, self.ctx.session_id)
            except Exception:
                log.exception("simulator marking of session %s", self.ctx.session_id)
                sim = False
        self.simulated = sim
        self.sim_badge.setVisible(sim)

    def _update_summary(self) -> None:
        has = self.ctx.session_id is not None and self.ctx.store is not None
        gate([self.record_btn], "" if has else self.ctx.why_read_only())
        gate([self.part_btn, self.equip_btn, self.soft_btn], self.ctx.why_read_only())
        self.update_overall()
        if not has:
            self.summary.setText("No session open. Create one with New session…")
            return
        st = self.ctx.store
        sid = self.ctx.session_id
        s = st.get_session(sid)
        people = st.participants(sid)
        eq = st.equipment(sid) or {}
        sw = st.software(sid) or {}
        lines = [f"<b>{s['reference']}</b> ({s.get('status', '')})", f"{s.get('location') or ''}"]
        lines += [f"{p['role']}: {p['name']}" for p in people] or ["<i>no participants yet</i>"]
        if eq:
            lines.append(eut_line(eq))
        if sw:
            lines.append(f"HHDC: {sw.get('hhdc_name', '')} {sw.get('hhdc_mpid', '')}")
        self.summary.setText("<br>".join(x for x in lines if x))

    def _store_call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - shown as a dialog that says what to do
            show_error(self, exc)
            return None

    def new_session(self) -> int | None:
        dlg = NewSessionDialog(self)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        sid = self._store_call(self.ctx.store.create_session, **dlg.values())
        if sid is not None:
            self.refresh(select=sid)
            self.ctx.set_session(sid)
            self._update_summary()
        return sid

    def add_participant(self) -> None:
        dlg = ParticipantDialog(self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self._store_call(self.ctx.store.add_participant, self.ctx.session_id, **dlg.values())
            self._update_summary()

    def edit_equipment(self) -> None:
        dlg = EquipmentDialog(self.ctx.store.equipment(self.ctx.session_id), self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self._store_call(self.ctx.store.set_equipment, self.ctx.session_id, **dlg.values())
            self._update_summary()
            self.ctx.data_changed.emit("equipment")  # the identity shown is checked again

    def edit_software(self) -> None:
        dlg = SoftwareDialog(self.ctx.store.software(self.ctx.session_id), self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self._store_call(self.ctx.store.set_software, self.ctx.session_id, **dlg.values())
            self._update_summary()

    def edit_test_record(self) -> None:
        """The Elexon test record's own fields (``session set test-record`` in the CLI)."""
        from bench_app import test_record
        from ui.panels.test_record_form import TestRecordDialog

        current = self.ctx.store.session_records(self.ctx.session_id).get("test_record")
        dlg = TestRecordDialog(current, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self._store_call(test_record.record, self.ctx.store, self.ctx.session_id,
                             dlg.values())  # fmt: skip
            self._update_summary()
