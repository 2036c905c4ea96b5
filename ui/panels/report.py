"""Report panel: render the session's witness report, preview its pages, sign as tester or
witness with a PKCS#12 key, and show the verification of every signature.

Rendering, signing and verifying run in a :class:`~ui.workers.TaskRunner` thread
(:mod:`ui.report_jobs`); the passphrase goes to the job as bytes and the field is cleared — it is
never kept. Pages are previewed as PNGs made by poppler's ``pdftoppm`` (QtPdf is not part of
PySide6-Essentials); without it the panel says so and still signs and verifies.
"""

from __future__ import annotations

import tempfile
from functools import partial
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bench_app.errors import ReportError
from bench_app.paths import user_data_dir
from bench_app.presentation import utc_text
from bench_app.signing import new_self_signed
from bench_app.signing.keys import certificate_fingerprint, certificate_holder
from bench_app.signing.verify import load_trust
from ui import report_jobs as jobs
from ui.context import BenchContext, open_store
from ui.errors import InlineMessage, describe
from ui.icons import icon
from ui.panels.report_preview import ElidedLabel, PagePreview
from ui.panels.session_forms import FormDialog
from ui.timebase import gb
from ui.workers import TaskRunner

ROLES = ("tester", "witness")
GOOD, BAD, MEH = "#1e7b34", "#b02a2a", "#8a6d00"
#: verdict band colours (text, background): green only for OK
VERDICT_COLOURS = {
    "ok": ("#ffffff", GOOD),
    "error": ("#ffffff", BAD),
    "warn": ("#3d2f00", "#ffd666"),
    "draft": ("#333333", "#e4e4e4"),
}


class NewKeyDialog(FormDialog):
    """Name, organisation, role, passphrase (twice) and folder for a self-signed signing key."""

    def __init__(self, role: str = "tester", parent: QWidget | None = None) -> None:
        super().__init__("Create a signing key", parent)
        self.name = QLineEdit(placeholderText="Full name, as it will appear on the report")
        self.org = QLineEdit()
        self.role = QComboBox()
        self.role.addItems(ROLES)
        self.role.setCurrentText(role)
        self.pass1 = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.pass2 = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.folder = QLineEdit(str(user_data_dir() / "keys"))
        self.form.addRow("Name *", self.name)
        self.form.addRow("Organisation", self.org)
        self.form.addRow("Role", self.role)
        self.form.addRow("Passphrase *", self.pass1)
        self.form.addRow("Passphrase again *", self.pass2)
        self.form.addRow("Folder", self.folder)

    def validate(self) -> str | None:
        if not self.name.text().strip():
            return "Name is required."
        if len(self.pass1.text()) < 8:
            return "The passphrase must have at least 8 characters."
        if self.pass1.text() != self.pass2.text():
            return "The two passphrases differ."
        return None

    def create(self) -> tuple[Path, Path]:  # type: ignore[override]  # not QWidget.create
        """Write the key files; returns ``(p12, pem)``. Raises UsageError/SigningError."""
        return new_self_signed(
            self.name.text().strip(),
            self.org.text().strip(),
            self.role.currentText(),
            self.folder.text().strip() or None,
            passphrase=self.pass1.text().encode("utf-8"),
        )


def _mark(ok: bool, yes: str = "yes", no: str = "NO") -> QTableWidgetItem:
    """A centred ✔/✘ cell; the tooltip says it in words."""
    item = QTableWidgetItem("✔" if ok else "✘")
    item.setToolTip(yes if ok else no)
    item.setForeground(QColor(GOOD if ok else BAD))
    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
    return item


class ReportPanel(QWidget):
    """Preview on the left; report file, signing and verification on the right."""

    HEADERS = ["Role", "Signer", "Signed (GB)", "Intact", "Valid", "Trusted"]
    state_changed = Signal(object)  #: a new :class:`~ui.report_jobs.ReportState` (or None)

    def __init__(self, ctx: BenchContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.state: jobs.ReportState | None = None
        self.trust: list[Path] = []
        #: why render and sign are disabled now ("" = they are not)
        self.blocked = ""
        self._tmp = tempfile.TemporaryDirectory(prefix="wb-preview-")
        self._renders = 0
        self.runner = TaskRunner("report-worker", self)
        self.runner.finished.connect(self._on_done)
        self.runner.failed.connect(self._on_failed)
        self.runner.busy_changed.connect(self._update_buttons)
        self._build()
        self._show_trust([], [])
        ctx.session_changed.connect(lambda _s: self.load_session())
        thread = self.runner.worker_thread  # stopped with the window (ctx.shutdown), not by GC

        def stop_thread() -> None:
            thread.quit()
            thread.wait(30000)

        ctx.add_shutdown(stop_thread)
        self.load_session()

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.preview = PagePreview()
        self.page_label = QLabel("")

        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("report file (.pdf)")
        self.path_btn = QPushButton("…")
        self.path_btn.setToolTip("Choose where the report PDF is written")
        self.path_btn.clicked.connect(self.choose_path)
        self.render_btn = QPushButton(icon("report"), "Render report")
        self.render_btn.clicked.connect(self.render)
        file_form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.path_btn)
        file_form.addRow("File", row)
        file_form.addRow("", self.render_btn)
        file_box = QGroupBox("Report")
        file_box.setLayout(file_form)

        self.role_combo = QComboBox()
        self.role_combo.addItems(ROLES)
        self.role_combo.currentTextChanged.connect(lambda _r: self._update_buttons())
        self.key_edit = QLineEdit()
        self.key_edit.setPlaceholderText("PKCS#12 key file (.p12)")
        self.key_btn = QPushButton("…")
        self.key_btn.setToolTip("Choose your PKCS#12 key file")
        self.key_btn.clicked.connect(self.choose_key)
        self.pass_edit = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.pass_edit.setPlaceholderText("key passphrase (not stored)")
        # Enter in the passphrase field never signs: signing is always a deliberate click
        self.sign_btn = QPushButton(icon("sign"), "Sign as tester")
        self.sign_btn.clicked.connect(self.sign)
        self.newkey_btn = QPushButton(icon("add"), "Create a key…")
        self.newkey_btn.clicked.connect(self.create_key)
        sign_form = QFormLayout()
        sign_form.addRow("Role", self.role_combo)
        krow = QHBoxLayout()
        krow.addWidget(self.key_edit, 1)
        krow.addWidget(self.key_btn)
        sign_form.addRow("Key", krow)
        sign_form.addRow("Passphrase", self.pass_edit)
        brow = QHBoxLayout()
        brow.addWidget(self.sign_btn)
        brow.addWidget(self.newkey_btn)
        brow.addStretch(1)
        sign_form.addRow("", brow)
        self.sign_box = sign_box = QGroupBox("Sign")
        sign_box.setLayout(sign_form)

        self.table = QTableWidget(0, len(self.HEADERS))
        self.table.setHorizontalHeaderLabels(self.HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        hdr = self.table.horizontalHeader()
        hdr.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hdr.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setWordWrap(True)  # "Alice Tester (Acme Meter Lab)" wraps, never cut
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a giant name: both ends
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.hash_label = ElidedLabel("")
        self.hash_label.setObjectName("sessionHash")
        self.verdict_label = QLabel("")  # OK / UNTRUSTED / FAILED …, the one-line answer
        self.verdict_label.setObjectName("verdict")
        self.verdict_label.setTextFormat(Qt.TextFormat.PlainText)
        self.verdict_label.setWordWrap(True)
        self.verify_label = QLabel("")  # problems, data check, fingerprints
        self.verify_label.setWordWrap(True)
        self.verify_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verify_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        details = QScrollArea()
        details.setWidgetResizable(True)
        details.setFrameShape(QFrame.Shape.NoFrame)
        details.setWidget(self.verify_label)
        details.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        details.setStyleSheet(
            "QScrollArea, QScrollArea > QWidget > QWidget { background: transparent; }"
        )
        self.trust_label = ElidedLabel("")
        self.verify_btn = QPushButton(icon("verify"), "Verify again")
        self.verify_btn.clicked.connect(self.inspect)
        self.trust_btn = QPushButton(icon("add"), "Trusted certificates…")
        self.trust_btn.setToolTip(
            "Choose the PEM certificates of the signers you trust (the .pem files 'keys new' "
            "wrote; a file may hold several). Remembered for next time."
        )
        self.trust_btn.clicked.connect(self.choose_trust)
        vrow = QHBoxLayout()
        vrow.addWidget(self.verify_btn)
        vrow.addWidget(self.trust_btn)
        vrow.addStretch(1)
        vlay = QVBoxLayout()
        vlay.addWidget(self.verdict_label)
        vlay.addWidget(self.table)
        vlay.addWidget(details, 1)
        trow = QHBoxLayout()
        trow.addWidget(QLabel("Trusted"))
        trow.addWidget(self.trust_label, 1)
        vlay.addLayout(trow)
        hrow = QHBoxLayout()
        hrow.addWidget(QLabel("Session hash"))
        hrow.addWidget(self.hash_label, 1)
        vlay.addLayout(hrow)
        vlay.addLayout(vrow)
        verify_box = QGroupBox("Verification (as bench-app verify)")
        verify_box.setLayout(vlay)

        self.message = InlineMessage()
        right = QWidget()
        right.setFixedWidth(500)
        right.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(file_box)
        rl.addWidget(sign_box)
        rl.addWidget(verify_box, 1)
        rl.addWidget(self.message)

        left = QVBoxLayout()
        left.addWidget(self.page_label)
        left.addWidget(self.preview, 1)
        lay = QHBoxLayout(self)
        lay.addLayout(left, 1)
        lay.addWidget(right)
        self._show_placeholder("Open a session to render its witness report.")

    # -- state ---------------------------------------------------------------------------------
    def _store_factory(self) -> Any:
        db = self.ctx.db_path
        return lambda: open_store(db)

    def pdf_path(self) -> Path | None:
        text = self.path_edit.text().strip()
        return Path(text) if text else None

    def load_session(self) -> None:
        """Point the file at the session's default report and show it if it exists."""
        self.message.clear()
        self._set_state(None)
        session = self.ctx.session()
        if session is None:
            self.path_edit.clear()
            self._show_placeholder("Open a session to render its witness report.")
        else:
            self.path_edit.setText(str(jobs.default_report_path(self.ctx.db_path, session)))
            self._show_placeholder(
                "No report rendered yet. Press <b>Render report</b> to preview the session's "
                "witness report; signing renders the final version and locks the session."
            )
            self.inspect(quiet=True)
        self._update_buttons()

    def set_blocked(self, reason: str) -> None:
        """Disable render and sign while ``reason`` holds (a step or a read is running:
        a report then would state a step 'never attempted' that is still in progress);
        ``""`` lifts it."""
        self.blocked = reason
        self._update_buttons()

    def _update_buttons(self, *_a: Any) -> None:
        has = self.ctx.session_id is not None and self.ctx.db_path is not None
        busy = self.runner.busy
        blocked = self.blocked
        why = (
            "Open a session first"
            if not has
            else blocked or ("Working on the report…" if busy else "")
        )
        for w in (self.render_btn, self.sign_btn, self.verify_btn):
            w.setEnabled(has and not busy and not (blocked and w is not self.verify_btn))
            w.setToolTip(why)
        role = self.role_combo.currentText()
        signer = self.signed_by(role)
        if signer:  # countersigned (or signed) already: a second signature in a role is refused
            self.sign_btn.setEnabled(False)
            self.sign_btn.setText(f"Signed as {role} ✔")
            self.sign_btn.setToolTip(f"This report is already signed as {role} by {signer}")
        else:
            self.sign_btn.setText(f"Sign as {role}")
        # signed in both roles: nothing left to sign, the verification gets the room
        self.sign_box.setVisible(not all(self.signed_by(r) for r in ROLES))

    def signed_by(self, role: str) -> str:
        """Who signed the shown report in ``role`` (``""`` when nobody did)."""
        for s in self.state.signatures if self.state is not None else []:
            if s.field and s.field.removeprefix("Sig_") == role and not s.error:
                return s.signer
        return ""

    def _preview_dir(self) -> Path:
        self._renders += 1
        return Path(self._tmp.name) / f"r{self._renders}"

    def _submit(self, name: str, fn: Any, busy_text: str) -> None:
        self.message.show_message(busy_text, "info")
        self.runner.submit(name, fn)
        self._update_buttons()

    # -- actions -------------------------------------------------------------------------------
    def render(self) -> None:  # type: ignore[override]  # the report, not QWidget.render
        pdf = self.pdf_path()
        if pdf is None or self.ctx.session_id is None:
            self.message.show_message("Choose the report file first.", "warning")
            return
        fn = partial(
            jobs.render,
            self._store_factory(),
            self.ctx.session_id,
            pdf,
            self._preview_dir(),
            list(self.trust),
        )
        self._submit("render", fn, "Rendering the report…")

    def inspect(self, quiet: bool = False) -> None:
        pdf = self.pdf_path()
        if pdf is None or self.ctx.session_id is None:
            return
        fn = partial(
            jobs.inspect,
            self._store_factory(),
            self.ctx.session_id,
            pdf,
            self._preview_dir(),
            list(self.trust),
        )
        if quiet:
            self.runner.submit("inspect-quiet", fn)
        else:
            self._submit("inspect", fn, "Verifying the signatures…")

    def sign(self) -> None:
        pdf, key = self.pdf_path(), self.key_edit.text().strip()
        role = self.role_combo.currentText()
        if pdf is None or self.ctx.session_id is None:
            self.message.show_message("Choose the report file first.", "warning")
            return
        if not key:
            self.message.show_message(
                "Choose your PKCS#12 key file (or create one with Create a key…).", "warning"
            )
            return
        if not self.pass_edit.text():
            self.message.show_message("Type the passphrase of your key.", "warning")
            self.pass_edit.setFocus()
            return
        if self.blocked:
            self.message.show_message(self.blocked, "warning")
            return
        if not any(self.signed_by(r) for r in ROLES) and not self.confirm_first_signature(role):
            self.message.show_message("Not signed: the confirmation was declined.", "info")
            return
        passphrase = self.pass_edit.text().encode("utf-8")
        self.pass_edit.clear()  # never kept in the widget once used
        fn = partial(
            jobs.sign,
            self._store_factory(),
            self.ctx.session_id,
            pdf,
            Path(key),
            passphrase,
            role,
            self._preview_dir(),
            list(self.trust),
        )
        del passphrase
        self._submit("sign", fn, f"Signing as {role}…")

    def first_signature_sheet(self) -> str:
        """What the first signature locks (:func:`ui.sign_sheet.sheet_html`)."""
        from ui.sign_sheet import sheet_html

        return sheet_html(self.ctx.store, self.ctx.session_id)

    def confirm_first_signature(self, role: str) -> bool:
        """The confirmation sheet before the first signature (Enter never signs)."""
        from ui.sign_sheet import confirm_first_signature

        return confirm_first_signature(self, role, self.first_signature_sheet())

    def choose_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Report file", self.path_edit.text(), "PDF (*.pdf)"
        )
        if path:
            self.path_edit.setText(path if path.lower().endswith(".pdf") else path + ".pdf")
            self.inspect(quiet=True)

    def choose_key(self) -> None:
        start = self.key_edit.text() or str(user_data_dir() / "keys")
        path, _ = QFileDialog.getOpenFileName(
            self, "PKCS#12 signing key", start, "PKCS#12 (*.p12 *.pfx);;All files (*)"
        )
        if path:
            self.key_edit.setText(path)

    def choose_trust(self) -> None:
        start = str(self.trust[0].parent) if self.trust else str(user_data_dir() / "keys")
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            "Trusted signer certificates",
            start,
            "Certificates (*.pem *.crt *.cer *.der);;All files (*)",
        )
        if paths:
            self.set_trust([Path(p) for p in paths])

    def set_trust(self, paths: list[Path], *, quiet: bool = False) -> bool:
        """Trust the certificates in ``paths`` (PEM files or bundles, or DER) and verify again.

        A file that holds no readable certificate is refused with an inline message and the
        previous choice stays; returns False then."""
        paths = [Path(p) for p in paths]
        try:
            certs = load_trust(paths) if paths else []
        except ReportError as exc:
            self.message.show_message(
                f"<b>Certificates not trusted:</b> {escape(str(exc))}.<br>Choose the signers' "
                "PEM certificates (the .pem files written by Create a key… or "
                "<tt>bench-app keys new</tt>).",
                "error",
            )
            return False
        self.trust = paths
        self._show_trust(paths, certs)
        self.inspect(quiet=quiet)
        return True

    def _show_trust(self, paths: list[Path], certs: list) -> None:
        """Whom the shown verification trusts: the certificates' holders and their files."""
        holders = list(dict.fromkeys(certificate_holder(c) or "?" for c in certs))
        files = ", ".join(p.name for p in paths)
        if certs:
            self.trust_label.set_full_text(
                f"{', '.join(holders)} ({files})",
                "\n".join(
                    [str(p) for p in paths]
                    + [f"{certificate_holder(c)}: {certificate_fingerprint(c)}" for c in certs]
                ),
            )
        else:
            self.trust_label.set_full_text(
                "nobody yet — choose the signers' certificates",
                "Without trusted certificates a signed report can only be UNTRUSTED",
            )

    def create_key(self, dialog: NewKeyDialog | None = None) -> Path | None:
        """Ask for name/org/passphrase and write a self-signed key; fills the key field."""
        dlg = dialog or NewKeyDialog(self.role_combo.currentText(), self)
        if dialog is None and dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        try:
            p12, pem = dlg.create()
        except Exception as exc:  # noqa: BLE001 - inline message, never a traceback
            self.message.show_error(exc)
            return None
        self.key_edit.setText(str(p12))
        self.role_combo.setCurrentText(dlg.role.currentText())
        self.message.show_message(
            f"Key created: {p12}<br>Give the certificate {pem.name} to whoever verifies "
            "the report (Trust certificates…).",
            "ok",
        )
        return p12

    # -- results -------------------------------------------------------------------------------
    def _on_done(self, name: str, state: Any) -> None:
        self._update_buttons()
        if name == "inspect-quiet" and state is None:
            return
        if state is None:
            self.message.show_message("No report file yet: press Render report.", "info")
            return
        self._set_state(state)
        if name == "sign":
            self.message.show_message(state.note, "ok")
            self.ctx.data_changed.emit("session")
        elif name == "render":
            draft = state.session_status == "draft"
            self.message.show_message(
                f"Report rendered: {state.pdf.name}"
                + (
                    " (draft — signing renders the final version and locks the session)."
                    if draft
                    else "."
                ),
                "ok",
            )
        else:
            self.message.clear()

    def _on_failed(self, name: str, exc: BaseException) -> None:
        self._update_buttons()
        info = describe(exc)
        self.message.show_message(f"<b>{info.title}:</b> {info.what}<br>{info.todo}", "error")
        if name == "sign":
            self.pass_edit.setFocus()

    def _set_state(self, state: jobs.ReportState | None) -> None:
        self.state = state
        unsigned = [r for r in ROLES if not self.signed_by(r)]
        if unsigned and self.role_combo.currentText() not in unsigned:
            self.role_combo.setCurrentText(unsigned[0])  # tester signed: the witness is next
        self._show_pages(state)
        self._show_signatures(state)
        self._update_buttons()
        self.state_changed.emit(state)

    def _show_placeholder(self, text: str) -> None:
        self.preview.show_placeholder(text)
        self.page_label.setText("")

    def _show_pages(self, state: jobs.ReportState | None) -> None:
        if state is None:
            return
        note = f"<b>No page preview:</b> {state.preview_error}" if state.preview_error else ""
        self.preview.set_pages(list(state.pages), note)
        n = len(state.pages)
        self.page_label.setText(
            f"<b>{state.pdf.name}</b> · {n} page{'s' if n != 1 else ''} · "
            f"session {state.session_status or '?'}"
        )

    def _show_signatures(self, state: jobs.ReportState | None) -> None:
        sigs = state.signatures if state is not None else []
        self.table.setRowCount(len(sigs))
        for row, s in enumerate(sigs):
            role = s.field.removeprefix("Sig_") if s.field else "?"
            when = gb(s.signing_time, "%d %b %Y\n%H:%M") if s.signing_time else "—"
            self.table.setItem(row, 0, QTableWidgetItem(role))
            name = s.error and f"error: {s.error}" or s.signer
            who = QTableWidgetItem(name.replace(" (", "\n("))  # organisation on its own line
            fp = f"\ncertificate SHA-256 {s.fingerprint}" if s.fingerprint else ""
            who.setToolTip(name + fp)
            self.table.setItem(row, 1, who)
            when_item = QTableWidgetItem(when)
            if s.signing_time:
                when_item.setToolTip(utc_text(s.signing_time))
            self.table.setItem(row, 2, when_item)
            intact = s.intact and s.docmdp_ok and not s.error
            self.table.setItem(row, 3, _mark(intact, "intact", "NOT intact"))
            self.table.setItem(row, 4, _mark(s.valid, "valid", "INVALID"))
            trusted = _mark(s.trusted, "trusted", "not trusted")
            if not s.trusted:
                trusted.setForeground(QColor(MEH))
                trusted.setToolTip(
                    "Not among the certificates you trust: add the signer's .pem with "
                    "Trusted certificates…"
                )
            self.table.setItem(row, 5, trusted)
        self.table.setVisible(bool(sigs))
        if sigs:  # exactly its rows: the space below is for the problems and fingerprints
            self.table.resizeRowsToContents()
            rows = sum(self.table.rowHeight(r) for r in range(len(sigs)))
            frame = 2 * self.table.frameWidth()
            self.table.setFixedHeight(self.table.horizontalHeader().height() + rows + frame)
        if state is None:
            self._set_verdict("", "")
            self.verify_label.setText("")
            self.hash_label.set_full_text("")
            return
        if state.report_hash:
            tip = f"signed:   {state.report_hash}\ndatabase: {state.db_hash or '—'}"
            self.hash_label.set_full_text(state.report_hash, tip)
        else:
            self.hash_label.set_full_text("—", "The report carries no session hash")
        result = state.result
        untrusted = [s.holder or s.signer for s in sigs if not s.error and not s.trusted]
        names = " and ".join(dict.fromkeys(untrusted)) or "a signer"
        headline = {
            jobs.OK: "OK — every signature intact, valid and trusted; the session's data "
            "re-verified in the database.",
            jobs.UNTRUSTED: f"UNTRUSTED — intact and valid, data re-verified, but {names} is "
            "not among the certificates you trust.",
            jobs.NOT_REDRAWN: "PAGES NOT RE-DRAWN — signatures and data verified, but the pages "
            "were drawn by an older page layout: check them with a build of that layout.",
            jobs.FAILED: "FAILED — do not rely on this report: "
            + ("see the problems below." if len(state.problems) != 1 else "see the problem below."),
            jobs.INCOMPLETE: "INCOMPLETE — waiting for the witness's signature "
            "(bench-app verify says FAILED until then).",
            jobs.NOT_SIGNED: "NOT SIGNED — a draft; signing as tester makes the final report.",
        }[result]
        kind = {jobs.OK: "ok", jobs.FAILED: "error", jobs.NOT_SIGNED: "draft"}.get(result, "warn")
        if result == jobs.OK and state.other_session:
            kind = "warn"
            headline += f" But it is the report of {state.other_session}, not the open session."
        self._set_verdict(headline, kind)
        self.verify_label.setText(self._details_html(state, untrusted))

    def _set_verdict(self, text: str, kind: str) -> None:
        """The one-line answer on a coloured band; green only for OK."""
        fg, bg = VERDICT_COLOURS.get(kind, ("#333", "transparent"))
        self.verdict_label.setProperty("kind", kind)
        self.verdict_label.setStyleSheet(
            f"#verdict {{ color: {fg}; background: {bg}; border-radius: 4px; padding: 4px 6px; "
            "font-weight: bold; }"
        )
        self.verdict_label.setText(text)
        self.verdict_label.setVisible(bool(text))

    def _details_html(self, state: jobs.ReportState, untrusted: list[str]) -> str:
        """Problems (each one), the data check, trust hints and each certificate's fingerprint."""
        out: list[str] = []
        if state.result == jobs.INCOMPLETE:  # only the countersignature is missing
            out.append(
                f"<span style='color:{MEH}'><b>Still to do:</b> the witness signs above "
                "with their own key and passphrase.</span>"
            )
        elif state.problems:
            out.append(f"<b style='color:{BAD}'>Problems</b>")
            out += [f"<span style='color:{BAD}'>• {escape(p)}</span>" for p in state.problems]
        if state.other_session and state.result != jobs.NOT_SIGNED:
            out.append(
                f"<b style='color:{MEH}'>This is the report of {escape(state.other_session)}, "
                "not of the session open in the window.</b>"
            )
        if state.trust_error:
            out.append(
                f"<span style='color:{BAD}'>Trusted certificates unreadable: "
                f"{escape(state.trust_error)}</span>"
            )
        if untrusted and not state.problems or untrusted and state.result == jobs.INCOMPLETE:
            out.append(
                f"<span style='color:{MEH}'>Not trusted: {escape(', '.join(untrusted))}. "
                "Compare the fingerprint below with the signer's certificate, then add it with "
                "<b>Trusted certificates…</b></span>"
            )
        verdict = state.verdict
        if verdict is not None and verdict.data_checked:
            out += [f"<span style='color:{GOOD}'>{escape(d)}</span>" for d in verdict.data
                    if not d.startswith("pages: warning")]  # fmt: skip
        if verdict is not None:
            out += [f"<span style='color:{MEH}'>{escape(w)}</span>" for w in verdict.warnings]
        if state.hash_message:  # an unsigned draft
            colour = "#555" if state.hash_ok is None else (GOOD if state.hash_ok else MEH)
            out.append(f"<span style='color:{colour}'>{escape(state.hash_message)}</span>")
        sigs = [s for s in state.signatures if s.fingerprint]
        if sigs:
            out.append("<br><b>Certificates</b> (SHA-256, as printed in each signature box)")
        for s in sigs:
            half = len(s.fingerprint) // 2 + 1  # the same split as the signature box
            out.append(
                f"{escape(s.field.removeprefix('Sig_'))}: {escape(s.holder or s.signer)} "
                f"[{escape(s.role or 'no role')} key]<br>"
                f"<tt>{s.fingerprint[:half]}<br>{s.fingerprint[half:]}</tt>"
            )
        return "<br>".join(out)

    def valid_signatures(self) -> int:
        """Number of signatures shown as intact and valid (for tests and the smoke test)."""
        return sum(1 for s in (self.state.signatures if self.state else []) if s.ok)
