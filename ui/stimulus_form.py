"""A stimulus step's question as a form for hands at the bench, not command-line text.

The engine asks in text (``DR4-1a: remove phase L2 — press Enter when done``; ``… closes in 25 min
— press Enter to wait, or type 'later' …``). :func:`parse_prompt` turns that into a
:class:`StimulusRequest`: what to do, where, a safety note, what the meter should show, the
deadline (the end of the settlement period in progress) and buttons that say what they do
("Phase L2 removed", "Skip step…"). :class:`StimulusForm` shows it non-modally; its answer is
the engine's: ``done by NAME`` (recorded with the time as evidence of the step), ``skip: REASON``
or ``later``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bench_app import settlement

SAFETY = (
    "Work to the site's safe-isolation procedure: open the test rig's phase or supply switch; "
    "never disconnect live conductors at the meter terminals."
)


@dataclass
class StimulusRequest:
    """One question of a stimulus step, as the form shows it."""

    step: str
    kind: str  #: "do" (an action at the bench) or "wait" (leave the step or wait for the SP)
    instruction: str
    done_label: str = "Done"
    where: str = "at the test rig"
    shows: str = ""
    safety: str = SAFETY


def _done_label(instruction: str) -> tuple[str, str]:
    """Button text saying what was done, and what the meter should show after it."""
    m = re.match(r"(remove|restore) phase (L\d)", instruction)
    if m:
        verb, phase = m.groups()
        shows = (
            f"{phase} voltage indicator off (phase failure)"
            if verb == "remove"
            else f"{phase} voltage indicator back on"
        )
        return f"Phase {phase} {verb}d", shows
    m = re.match(r"(remove|restore) the outstation supply", instruction)
    if m:
        verb = m.group(1)
        return f"Supply {verb}d", "display off" if verb == "remove" else "display back on"
    return f"Done: {instruction[:1].upper()}{instruction[1:]}", ""


def parse_prompt(text: str) -> StimulusRequest:
    """The engine's prompt text → :class:`StimulusRequest` (an unknown text: a "do" request
    whose instruction is the whole text)."""
    step, _, rest = text.partition(": ")
    if not rest:
        step, rest = "", text
    if "type 'later'" in rest:
        head = rest.split(" — ")[0]
        return StimulusRequest(step, "wait", head, "Wait here", where="", safety="")
    instruction = rest.split(" — press Enter")[0].strip()
    label, shows = _done_label(instruction)
    return StimulusRequest(step, "do", instruction, label, shows=shows)


def deadline_text(now: datetime | None = None) -> str:
    """``before SP 21 closes at 10:30:00 GMT (12:34 left)`` — the settlement period in progress
    (PC clock), which the stimulus must fall in."""
    now = now or datetime.now(UTC)
    end = settlement.floor_to_period(now) + settlement.SP
    day, sp = settlement.settlement_period(now)
    local = settlement.to_local(end)
    m, s = divmod(int((end - now).total_seconds()), 60)
    zone = local.tzname()
    return f"before SP {sp} ({day:%d %b}) closes at {local:%H:%M:%S} {zone} ({m:02d}:{s:02d} left)"


class StimulusForm(QDialog):
    """The form; ``answered(text)`` carries the engine's answer (see the module docstring)."""

    answered = Signal(str)

    def __init__(self, request: StimulusRequest, by: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self.setWindowTitle(f"{request.step} — action at the bench".strip(" —"))
        self.setModal(False)
        form = QFormLayout()
        what = QLabel(f"<b>{request.instruction[:1].upper()}{request.instruction[1:]}</b>")
        what.setWordWrap(True)
        form.addRow("What to do", what)
        if request.where:
            form.addRow("Where", QLabel(request.where))
        if request.shows:
            form.addRow("The meter should show", QLabel(request.shows))
        if request.kind == "do":
            self.deadline = QLabel(deadline_text())
            form.addRow("Deadline", self.deadline)
        if request.safety:
            safety = QLabel(f"⚠ {request.safety}")
            safety.setWordWrap(True)
            safety.setStyleSheet("color: #7a4a00;")
            form.addRow("Safety", safety)
        self.by_edit = QLineEdit(by)
        self.by_edit.setPlaceholderText("Your name (recorded with the time)")
        if request.kind == "do":
            form.addRow("Done by", self.by_edit)
        self.done_btn = QPushButton(request.done_label)
        self.done_btn.setAutoDefault(False)
        self.done_btn.clicked.connect(self._done)
        self.skip_btn = QPushButton(
            "Leave step, re-run later" if request.kind == "wait" else "Skip step…"
        )
        self.skip_btn.setAutoDefault(False)
        self.skip_btn.clicked.connect(self._skip)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.skip_btn)
        buttons.addWidget(self.done_btn)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(buttons)
        self._sent = False

    def _send(self, text: str) -> None:
        if not self._sent:
            self._sent = True
            self.answered.emit(text)
        self.accept()

    def _done(self) -> None:
        if self.request.kind == "wait":
            self._send("")
            return
        who = self.by_edit.text().strip()
        self._send(f"done by {who}" if who else "")

    def _skip(self) -> None:
        if self.request.kind == "wait":
            self._send("later")
            return
        reason, ok = QInputDialog.getText(
            self, "Skip step", "Why is this step skipped? (recorded with the step)"
        )
        if ok and reason.strip():
            self._send(f"skip: {reason.strip()}")

    def reject(self) -> None:
        return

    def withdraw(self) -> None:
        """Close without answering (the run was cancelled)."""
        self._sent = True
        super().reject()
