"""The checklist's timeline before a run: each step's moments (act, SP closes, read) in GB local
time with UTC beside, the meter's profile period and where it came from, and the expected time
spent waiting — :func:`bench_app.checklist.timeline.session_plan`, the same plan as
``bench-app checklist plan``. It starts "now" and is recomputed each minute while shown."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bench_app import settlement
from bench_app.checklist.timeline import hms
from bench_app.presentation import gb_and_utc

log = logging.getLogger(__name__)

#: how each moment of a step is named in the list
KIND_WORDS = {"act": "act", "close": "SP closes", "read": "bench reads", "wait": "wait"}


class TimelineView(QWidget):
    """Summary line (duration, profile period and its source) over a step → moments tree.

    :param compute: ``() -> Plan | None`` (None: no session or template); exceptions are shown
        as the summary, never raised.
    """

    def __init__(self, compute: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.compute = compute
        self.plan: Any = None
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Step / time (GB, UTC)", "", "What"])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addWidget(self.summary)
        lay.addWidget(self.tree, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(60_000)  # "if the run starts now" moves on with the clock
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def refresh(self, force: bool = False) -> None:
        """Recompute the plan from now (each minute only while shown; ``force``: always)."""
        if not force and not self.isVisible():
            return
        try:
            plan = self.compute()
        except Exception as exc:  # shown in the view, never a traceback
            log.warning("no timeline", exc_info=True)
            self.plan = None
            self.tree.clear()
            self.summary.setText(f"No timeline: {exc}")
            return
        self.show_plan(plan)

    def show_plan(self, plan: Any) -> None:
        self.plan = plan
        self.tree.clear()
        if plan is None:
            self.summary.setText("Open a session and choose a template to see its timeline.")
            return
        self.summary.setText(
            f"<b>If the run starts now</b> ({gb_and_utc(plan.start)}): {plan.duration_text()}; "
            f"waits end {gb_and_utc(plan.end)}.<br>Profile period: {plan.period.text()}."
            + "".join(f"<br><b>Warning:</b> {w}" for w in plan.warnings)
        )
        for s in plan.steps:
            top = QTreeWidgetItem([f"{s.step}", s.wait_text(), s.title])
            top.setToolTip(2, s.title + (f" — {s.note}" if s.note else ""))
            for e in s.events:
                kind, what = KIND_WORDS.get(e.kind, e.kind), e.text
                if e.deadline is not None:  # the deadline stays visible in a narrow window
                    kind = f"act before {settlement.to_local(e.deadline):%H:%M %Z}"
                    what = what.split(" — before ")[0]
                child = QTreeWidgetItem([hms(e.at), kind, what])
                child.setToolTip(2, e.text)
                child.setToolTip(0, gb_and_utc(e.at))
                top.addChild(child)
            if s.note and not s.events:
                top.addChild(QTreeWidgetItem(["", "", s.note]))
            self.tree.addTopLevelItem(top)
            top.setExpanded(bool(s.events))

    def step_text(self, step_id: str) -> str:
        """The lines shown for one step (tests and tooltips)."""
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if top is not None and top.text(0) == step_id:
                items = [top] + [top.child(j) for j in range(top.childCount())]
                return "\n".join(" ".join(it.text(c) for c in range(3)) for it in items if it)
        return ""
