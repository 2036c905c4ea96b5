"""Checklist panel: walk a template's steps, run automatic/stimulus steps, record results, sign off.

Steps run in a :class:`~ui.checklist_worker.ChecklistWorker` thread with its own store connection
and the :class:`bench_app.checklist.ChecklistEngine`; each step opens its own meter connection
(the port's own connection is released first). On the built-in simulator, stimulus steps act on
the simulated bench; on a real meter the engine's prompt shows the instruction as a form and
waits for the tester. While a step waits for a settlement period to close the panel shows a
countdown (``SP 5 closes 02:30:00 GMT — 12:34``) and Cancel: the step is then recorded as not
run with its evidence kept. Sign-off is disabled while a step runs.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from PySide6.QtCore import Qt, QThread, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from bench_app.checklist import ChecklistEngine, find_template, list_templates
from ui.checklist_worker import ChecklistWorker, countdown_text
from ui.context import BenchContext
from ui.errors import InlineMessage
from ui.icons import icon, status_icon
from ui.panels.checklist_view import (
    KIND_MARK,
    NO_VERDICT,
    VERDICT_STYLE,
    earlier_attempts_html,
    evidence_links,
    verdict_banner_style,
    when_text,
)
from ui.widgets import gate

log = logging.getLogger(__name__)

__all__ = ["ChecklistPanel", "ChecklistWorker"]


class ChecklistPanel(QWidget):
    """Steps list with status icons, step details, actions, result form and sign-off."""

    step_finished = Signal(object)
    submit = Signal(object)
    #: an evidence link was clicked: ``(kind, row id)``, kind ``trace``, ``collection``, …
    open_evidence = Signal(str, int)
    #: the step results shown changed (a run, a record, another session or template)
    results_changed = Signal()
    #: a run started (True) or ended (False): the report's sign and render follow it
    running_changed = Signal(bool)

    def __init__(self, ctx: BenchContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[dict] = []
        self.worker_thread: QThread | None = None
        self.worker: ChecklistWorker | None = None
        self._form: Any = None
        #: ``() -> (protocol, ConnectOptions)`` for step connections; set by the main window.
        self.meter_setup: Any = None
        self._build()
        ctx.session_changed.connect(lambda _s: self.reload())
        ctx.data_changed.connect(lambda k: self.reload() if k == "checklist" else None)
        self.reload()

    def _build(self) -> None:
        self.template_combo = QComboBox()
        for path in list_templates():
            try:
                title = find_template(path.stem).title or path.stem
            except Exception:
                log.warning("template %s does not load", path, exc_info=True)
                title = path.stem
            self.template_combo.addItem(title, path.stem)
            self.template_combo.setItemData(
                self.template_combo.count() - 1,
                f"template {path.name}",
                Qt.ItemDataRole.ToolTipRole,
            )
        self.template_combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.run_label = QLabel("")
        self.run_btn = QPushButton(icon("run"), "&Run selected step")
        self.run_btn.clicked.connect(self.run_selected)
        self.run_all_btn = QPushButton(icon("run"), "Run &all automatic")
        self.run_all_btn.clicked.connect(self.run_all_automatic)
        self.cancel_btn = QPushButton(icon("cancel"), "Cancel step")
        self.cancel_btn.setToolTip(
            "Stop the running step: it is recorded as not run, its evidence so far is kept"
        )
        self.cancel_btn.clicked.connect(self.cancel_run)
        self.cancel_btn.setEnabled(False)
        self.wait_bar = QProgressBar()
        self.wait_bar.setTextVisible(True)
        self.wait_bar.setFormat("")
        self.wait_bar.hide()
        # two rows: the template, then the run (fits a 1280-pixel-wide window)
        bar = QVBoxLayout()
        row1 = QHBoxLayout()
        row1.addWidget(QLabel("Template"))
        row1.addWidget(self.template_combo, 1)
        row2 = QHBoxLayout()
        row2.addWidget(self.run_label, 1)
        row2.addWidget(self.run_btn)
        row2.addWidget(self.run_all_btn)
        row2.addWidget(self.cancel_btn)
        bar.addLayout(row1)
        bar.addLayout(row2)
        bar.addWidget(self.wait_bar)

        self.steps = QListWidget()
        self.steps.setMinimumWidth(300)
        self.steps.setWordWrap(True)  # long step titles wrap instead of being cut off
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.steps.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.steps.currentRowChanged.connect(self._show_step)

        self.detail_title = QLabel("")
        self.detail_title.setObjectName("sidebarTitle")
        self.detail_title.setWordWrap(True)
        self.banner = QLabel("")
        self.banner.setObjectName("verdictBanner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.detail.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        self.detail.setOpenExternalLinks(False)
        self.detail.linkActivated.connect(self._open_link)
        self.actual_edit = QPlainTextEdit()
        self.actual_edit.setPlaceholderText("Actual result, as observed")
        self.actual_edit.setFixedHeight(64)
        self.actual_edit.setTabChangesFocus(True)  # Tab moves on to the verdict, as in a form
        self.verdict_combo = QComboBox()
        self.verdict_combo.addItem(NO_VERDICT, None)  # no default: the tester must choose
        for v in ("pass", "fail", "na", "not-run"):
            self.verdict_combo.addItem(v, v)
        self.note_edit = QLineEdit(placeholderText="Note (optional)")
        self.by_edit = QLineEdit(placeholderText="Your name")
        self.record_btn = QPushButton(icon("note"), "Record res&ult")
        self.record_btn.clicked.connect(self.record_result)
        self.attach_btn = QPushButton(icon("attach"), "Attach f&ile…")
        self.attach_btn.clicked.connect(self.attach_dialog)
        form = QFormLayout()
        form.addRow("Actual", self.actual_edit)
        row = QHBoxLayout()
        row.addWidget(self.verdict_combo)
        row.addWidget(self.by_edit, 1)
        form.addRow("Verdict / by", row)
        form.addRow("Note", self.note_edit)
        btns = QHBoxLayout()
        btns.addWidget(self.record_btn)
        btns.addWidget(self.attach_btn)
        btns.addStretch(1)
        form.addRow("", btns)
        record_box = QGroupBox("Record")
        record_box.setLayout(form)

        self.role_combo = QComboBox()
        self.role_combo.addItems(["tester", "witness"])
        self.signer_edit = QLineEdit(placeholderText="Full name")
        self.confirm_btn = QPushButton(icon("sign"), "Confir&m run")
        self.confirm_btn.clicked.connect(self.confirm_run)
        sign_row = QHBoxLayout()
        sign_row.addWidget(self.role_combo)
        sign_row.addWidget(self.signer_edit, 1)
        sign_row.addWidget(self.confirm_btn)
        sign_box = QGroupBox("Sign-off")
        sign_box.setLayout(sign_row)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(6, 0, 0, 0)
        rl.addWidget(self.detail_title)
        rl.addWidget(self.banner)
        detail_scroll = QScrollArea()  # a long result or many attempts scroll, never clip
        detail_scroll.setWidgetResizable(True)
        detail_scroll.setFrameShape(QFrame.Shape.NoFrame)
        detail_scroll.setWidget(self.detail)
        rl.addWidget(detail_scroll, 1)
        rl.addWidget(record_box)
        rl.addWidget(sign_box)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.steps)
        split.addWidget(right)
        split.setSizes([360, 700])
        self.message = InlineMessage()
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.message)
        lay.addWidget(split, 1)

    # -- engine in the GUI thread (quick, store-only operations) -------------------------------
    def engine(self) -> ChecklistEngine | None:
        name = self.template_combo.currentData()
        if self.ctx.store is None or self.ctx.session_id is None or not name:
            return None
        return ChecklistEngine(self.ctx.store, self.ctx.session_id, find_template(name), by="gui")

    def reload(self) -> None:
        eng = self.engine()
        current = self.steps.currentRow()
        self.steps.blockSignals(True)
        self.steps.clear()
        self.rows = eng.results() if eng is not None else []
        for r in self.rows:
            mark = KIND_MARK.get(r["kind"], r["kind"])
            word = VERDICT_STYLE.get(r["verdict"], ("", "", r["verdict"].upper()))[2]
            item = QListWidgetItem(
                status_icon(r["verdict"]), f"{r['step']}  {r['title']}\n{mark} · {word}"
            )
            item.setToolTip(f"{mark} step · {word}")
            if r["verdict"] == "fail":
                item.setForeground(QBrush(QColor(VERDICT_STYLE["fail"][1])))
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.steps.addItem(item)
        self.steps.blockSignals(False)
        run = eng.current_run() if eng is not None else None
        if run:
            done = sum(1 for r in self.rows if r["verdict"] != "not-run")
            self.run_label.setText(f"Run #{run['id']} · {run['status']} · {done}/{len(self.rows)}")
        else:
            self.run_label.setText("No run yet")
        if self.rows:
            self.steps.setCurrentRow(max(0, min(current, len(self.rows) - 1)))
        self._gate_session()
        self.results_changed.emit()

    def selected(self) -> dict | None:
        i = self.steps.currentRow()
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def _show_step(self, _i: int) -> None:
        r = self.selected()
        self.verdict_combo.setCurrentIndex(0)  # never pre-filled from the previous step
        self.actual_edit.clear()  # nor the text typed for another step or session
        self.note_edit.clear()
        if r is None:
            self.detail_title.clear()
            self.detail.clear()
            self.banner.hide()
            return
        mark = KIND_MARK.get(r["kind"], r["kind"])
        self.detail_title.setText(f"{r['step']} — {r['title']} · {mark}")
        self._show_banner(r)
        last = ""
        if r["attempt"]:
            links = evidence_links(r.get("evidence") or {})
            fg, bg, word = VERDICT_STYLE.get(r["verdict"], ("#333", "#fff", r["verdict"].upper()))
            last = (
                f"<p><b>Latest (attempt {r['attempt']}):</b> "
                f"<b style='color:{bg if r['verdict'] in ('fail', 'pass') else fg}'>{word}</b> — "
                f"{html.escape(str(r['actual']))}<br><i>by {html.escape(str(r['by']))} at "
                f"{when_text(r['at'])}</i></p>"
                + (f"<p><b>Evidence:</b> {links}</p>" if links else "")
                + earlier_attempts_html(r.get("earlier") or [])
            )
        self.detail.setText(
            f"<p><b>Objective:</b> {r['objective']}</p><p><b>Method:</b> {r['method']}</p>"
            f"<p><b>Expected:</b> {r['expected']}</p>{last}"
        )
        auto = r["kind"] in ("automatic", "stimulus")
        self.run_btn.setEnabled(auto and self.worker_thread is None)
        self.run_btn.setToolTip(
            "" if auto else "Manual steps are recorded by hand below (Record result)"
        )
        self.run_btn.setText(
            "&Perform stimulus and check" if r["kind"] == "stimulus" else "&Run selected step"
        )
        revising = bool(r["attempt"]) and r["verdict"] != "not-run"
        self.record_btn.setText("Revise res&ult…" if revising else "Record res&ult")
        self.note_edit.setPlaceholderText(
            f"Reason for the revision (required; attempt {r['attempt']} is kept)"
            if revising
            else "Note (optional)"
        )
        self._gate_session()

    def _gate_session(self) -> None:
        """No session or a locked one: the run, record and sign-off controls are greyed out with
        the reason (while a step runs :meth:`_set_running` governs them)."""
        if self.worker_thread is not None:
            return
        why = self.ctx.why_read_only()
        gate([self.run_all_btn, self.record_btn, self.attach_btn, self.confirm_btn], why)
        if why:
            gate([self.run_btn], why)

    def _show_banner(self, r: dict) -> None:
        """A coloured banner with the step's verdict word: red FAIL, green PASS, grey otherwise."""
        word = VERDICT_STYLE.get(r["verdict"], ("#333", "#fff", r["verdict"].upper()))[2]
        how = "recorded by hand" if r["kind"] in ("manual", "attachment") else "automatic check"
        text = f"<b>{word}</b>"
        if r["verdict"] != "not-run":
            text += f" &nbsp;·&nbsp; {how}"
        elif r.get("attempt"):
            text += f" &nbsp;·&nbsp; attempt {r['attempt']} did not complete (see below)"
        else:
            text += " &nbsp;·&nbsp; no result recorded yet"
        self.banner.setText(text)
        self.banner.setStyleSheet(verdict_banner_style(r["verdict"]))
        self.banner.show()

    def banner_verdict(self) -> str:
        """The verdict word the banner shows (``FAIL``, ``PASS``, …; empty when hidden)."""
        if self.banner.isHidden():
            return ""
        text = self.banner.text()
        return text[3 : text.index("</b>")] if text.startswith("<b>") else text

    def _open_link(self, href: str) -> None:
        kind, _, rid = href.partition(":")
        if rid.isdigit():
            self.open_evidence.emit(kind, int(rid))

    def _guard(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            out = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - inline message, never a traceback
            self.message.show_error(exc)
            return None
        self.message.clear()
        self.reload()
        return out

    def record_result(self) -> None:
        r, eng = self.selected(), self.engine()
        if r is None or eng is None:
            return
        verdict = self.verdict_combo.currentData()
        if not verdict:
            self.message.show_message("Choose a verdict first (there is no default).", "warning")
            self.verdict_combo.setFocus()
            return
        note = self.note_edit.text().strip()
        if r["attempt"] and r["verdict"] != "not-run":  # a revision: the earlier result stays
            if not note:
                self.message.show_message(
                    f"{r['step']} already has a result (attempt {r['attempt']}, kept): type the "
                    "reason for the revision in Note.",
                    "warning",
                )
                self.note_edit.setFocus()
                return
            note = f"Revision of attempt {r['attempt']}: {note}"
        self._guard(
            eng.record,
            r["step"],
            self.actual_edit.toPlainText(),
            verdict,
            note=note,
            by=self.by_edit.text().strip(),
        )

    def attach(self, path: str) -> None:
        r, eng = self.selected(), self.engine()
        if r is not None and eng is not None:
            self._guard(
                eng.attach,
                r["step"],
                path,
                note=self.note_edit.text(),
                by=self.by_edit.text().strip(),
            )

    def attach_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Attach evidence file")
        if path:
            self.attach(path)

    def confirm_run(self) -> None:
        eng = self.engine()
        name = self.signer_edit.text().strip()
        if eng is None:
            return
        if not name:
            self.message.show_message("Type your full name to confirm the run.", "warning")
            return
        self._guard(eng.confirm, self.role_combo.currentText(), name)

    # -- running steps in the worker -----------------------------------------------------------
    def run_selected(self) -> None:
        r = self.selected()
        if r is not None:
            self.run_steps([r["step"]])

    def run_all_automatic(self) -> None:
        self.run_steps([r["step"] for r in self.rows if r["kind"] in ("automatic", "stimulus")])

    @property
    def running(self) -> bool:
        """A step runs now (its worker thread is alive)."""
        return self.worker_thread is not None

    def running_text(self) -> str:
        """What runs, for a question before closing: ``DR4-1a (waiting: SP 5 closes …)``."""
        if self.worker is None:
            return ""
        step = self.worker.current or "a step"
        return self.wait_bar.format() if not self.wait_bar.isHidden() else step

    def cancel_run(self) -> None:
        """Cancel the running step at its next wait or question (not-run, evidence kept)."""
        if self.worker is not None:
            self.worker.cancel()
            self.message.show_message(
                f"Cancelling {self.worker.current or 'the run'}… (the step is recorded as not "
                "run, its evidence so far is kept)",
                "warning",
            )
            self.cancel_btn.setEnabled(False)
        if self._form is not None:
            self._form.withdraw()
            self._form = None

    def stop(self, timeout_ms: int = 120000) -> bool:
        """Cancel and wait for the worker thread to end (closing the window); True when it
        ended. The step in progress is recorded as not run with its evidence."""
        if self.worker_thread is None:
            return True
        self.cancel_run()
        thread = self.worker_thread
        thread.quit()  # ends once the worker's run returns
        ended = bool(thread.wait(timeout_ms))
        if not ended:
            log.error("checklist worker did not stop within %d ms", timeout_ms)
            return False
        self._stop_thread()
        return True

    def run_steps(self, step_ids: list[str]) -> None:
        if self.worker_thread is not None or not step_ids or self.ctx.session_id is None:
            return
        setup = self.meter_setup() if callable(self.meter_setup) else None
        if setup is None:
            self.message.show_message(
                "No meter configured: choose a port (or the simulator) on the Connection tab.",
                "warning",
            )
            return
        self.ctx.close_port()  # steps open their own connections
        proto, opts = setup
        try:  # the session records how its steps reached the meter (simulator or port)
            self.ctx.record_bench(proto, opts.url, opts.baud, bool(opts.mode_e), opts.framing)
        except Exception as exc:  # noqa: BLE001 - shown inline, never stops the run
            self.message.show_error(exc)
        control = getattr(self.ctx.sim, "control", None)
        # the meter read on the Connection tab marks the steps' evidence only on the same port
        same_port = getattr(self.ctx, "identity_url", None) == opts.url
        identity = getattr(self.ctx, "identity", None) if same_port else None
        simulated = True if control is not None or (identity and identity.simulated) else None
        self.worker_thread = QThread()
        self.worker = ChecklistWorker(
            self.ctx.db_path,
            self.ctx.session_id,
            self.template_combo.currentData(),
            setup,
            control,
            simulated=simulated,
            by=self.by_edit.text().strip() or "bench",
        )
        self.worker.moveToThread(self.worker_thread)
        self.submit.connect(self.worker.run)
        # slots of this panel (decorated): they run in the GUI thread, queued
        self.worker.finished.connect(self._done)
        self.worker.failed.connect(self._failed)
        self.worker.prompt_requested.connect(self._prompt)
        self.worker.waiting.connect(self._waiting)
        self.worker.step_started.connect(self._step_started)
        self.worker_thread.start()
        self._set_running(True)
        self.message.show_message(f"Running {', '.join(step_ids)}…", "info")
        self.submit.emit(step_ids)

    def _set_running(self, on: bool) -> None:
        """Buttons while a step runs: no second run, no sign-off, Cancel available."""
        self.run_btn.setEnabled(not on)
        self.run_all_btn.setEnabled(not on)
        self.cancel_btn.setEnabled(on)
        why = "A step is running: sign off when it has finished" if on else ""
        for w in (self.confirm_btn, self.record_btn, self.attach_btn):
            w.setEnabled(not on)
            w.setToolTip(why)
        if not on:
            self.wait_bar.hide()
            self._gate_session()
        self.running_changed.emit(on)

    @Slot(str, int, int)
    def _step_started(self, step_id: str, n: int, count: int) -> None:
        self.wait_bar.hide()
        self.reload()  # the run now exists (and earlier steps of this batch have results)
        self.message.show_message(f"Running {step_id} (step {n + 1} of {count})…", "info")

    @Slot(float, str)
    def _waiting(self, remaining_s: float, _message: str) -> None:
        """Countdown while a step waits for a settlement period to close."""
        text = countdown_text(remaining_s)
        step = self.worker.current if self.worker is not None else ""
        if self.wait_bar.isHidden():  # the evidence so far is stored: the sidebar shows it
            self.ctx.data_changed.emit("trace")
        if self.wait_bar.isHidden() or remaining_s > self.wait_bar.maximum():
            self.wait_bar.setRange(0, max(1, int(remaining_s)))
        self.wait_bar.setValue(max(0, self.wait_bar.maximum() - int(remaining_s)))
        self.wait_bar.setFormat(f"{step} waiting: {text}")
        self.wait_bar.show()

    @Slot(str)
    def _prompt(self, text: str) -> None:
        """The engine asks the tester: a stimulus form (never a bare OK/Cancel box)."""
        from ui.stimulus_form import StimulusForm, parse_prompt

        form = StimulusForm(parse_prompt(text), self.by_edit.text().strip(), self)
        form.answered.connect(self._answer)
        form.finished.connect(lambda _r: setattr(self, "_form", None))
        self._form = form
        form.show()

    def _answer(self, text: str) -> None:
        if self.worker is not None:
            self.worker.answer(text)

    def _stop_thread(self) -> None:
        if self.worker_thread is not None:
            self.submit.disconnect()
            self.worker_thread.quit()
            if not self.worker_thread.wait(120000):
                log.error("checklist worker thread still running after 120 s")
            self.worker_thread = None
            self.worker = None
        if self._form is not None:
            self._form.withdraw()
            self._form = None
        self._set_running(False)

    @Slot(object)
    def _done(self, outcomes: list) -> None:
        self._stop_thread()
        verdicts = ", ".join(f"{o.step_id}: {o.verdict.upper()}" for o in outcomes)
        self.reload()
        failed = any(o.verdict == "fail" for o in outcomes)  # a fail is never shown in green
        passed = all(o.verdict == "pass" for o in outcomes)
        level = "error" if failed else ("ok" if passed else "warning")
        self.message.show_message(f"Finished — {verdicts}", level)
        self.ctx.data_changed.emit("trace")
        self.step_finished.emit(outcomes)

    @Slot(object)
    def _failed(self, exc: BaseException) -> None:
        self._stop_thread()
        self.reload()
        self.message.show_error(exc)
        self.step_finished.emit([])
