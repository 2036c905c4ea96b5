"""Report jobs the Report panel runs in its worker thread: render, sign, inspect (no Qt here).

Each job opens its own store (SQLite connections are per thread) and returns a
:class:`ReportState` — the PDF, its preview page images and its verification by
:func:`bench_app.signing.check_report`, exactly what ``bench-app verify REPORT --trust … --db DB``
prints: signatures, roles, the session link signed by the tester and the session's data re-hashed
in the database. The panel never judges a report by the current audit head alone.

Signing goes through :func:`bench_app.signing.workflow.write_report`, like ``bench-app report
--sign``: open the key first (a wrong passphrase fails before anything is locked or written); if
the file already holds a signed report of this session, add the signature to it (countersign, no
re-render); otherwise lock the session (when still a draft) **before** rendering, so the
audit-chain head embedded in the PDF is the final one, then sign."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_app.errors import BenchError, ReportError, UsageError
from bench_app.paths import private_dir
from bench_app.pdf_layout import SIGNATURE_FIELDS
from bench_app.report import collect_report_data, render_report
from bench_app.signing import check_report, load_signer, verify_pdf
from bench_app.signing.verify import (
    NOT_REDRAWN,  # noqa: F401 - re-exported: the panel shows it as a verdict
    ReportVerdict,
    SignatureReport,
    load_trust,
    report_info,
)
from bench_app.signing.workflow import write_report

PREVIEW_DPI = 110  #: preview resolution (dots per inch): an A4 page is ~910 × 1290 px, sharp
#: at fit width on a 1366×768 screen and at 150 % zoom


#: What the panel shows as the verdict: the CLI's four, plus two states of a report that is not
#: finished yet (never shown as OK): NOT SIGNED (a draft) and INCOMPLETE (only the witness's
#: signature is missing; ``bench-app verify`` says FAILED until it is there).
OK = "OK"
UNTRUSTED = "UNTRUSTED"
FAILED = "FAILED"
NOT_SIGNED = "NOT SIGNED"
INCOMPLETE = "INCOMPLETE"
_NO_SIGNATURES = "no signatures"
_NO_WITNESS = f"{SIGNATURE_FIELDS['witness']}: not signed"


@dataclass
class ReportState:
    """What the panel shows about one report file.

    :param pages: preview PNGs, page order (empty when no preview could be made).
    :param preview_error: why there is no preview (e.g. pdftoppm missing), else "".
    :param verdict: :func:`bench_app.signing.check_report` of the file against the trusted
        certificates and the session database — the same check as ``bench-app verify``.
    :param trust_error: the trusted certificate files could not be read (checked as untrusted).
    :param hash_ok: unsigned drafts only: the draft's session hash is the database's now.
    """

    pdf: Path
    pages: list[Path] = field(default_factory=list)
    preview_error: str = ""
    verdict: ReportVerdict | None = None
    trust_error: str = ""
    hash_ok: bool | None = None
    hash_message: str = ""
    session_status: str = ""
    note: str = ""
    report_hash: str = ""  #: the session hash (audit head) the report carries, full hex
    db_hash: str = ""  #: the database's session hash now, full hex
    other_session: str = ""  #: "session 3 'REF'" when the report is not the open session's

    @property
    def signatures(self) -> list[SignatureReport]:
        return self.verdict.signatures if self.verdict is not None else []

    @property
    def result(self) -> str:
        """OK, UNTRUSTED, PAGES NOT RE-DRAWN, FAILED, NOT SIGNED or INCOMPLETE (see the module
        constants)."""
        v = self.verdict
        if v is None:
            return FAILED
        if not v.signatures and v.problems[:1] == [_NO_SIGNATURES]:
            return NOT_SIGNED  # readable, no signature (the data check has nothing to check)
        if v.problems and all(p.startswith(_NO_WITNESS) for p in v.problems):
            return INCOMPLETE
        return v.result

    @property
    def problems(self) -> list[str]:
        """What failed, as ``bench-app verify`` names it (empty for a draft)."""
        if self.verdict is None or self.result == NOT_SIGNED:
            return []
        return list(self.verdict.problems)


def default_report_path(db_path: str | Path | None, session: dict) -> Path:
    """``<folder of the database>/reports/session-<id>-<reference>.pdf``."""
    ref = re.sub(r"[^A-Za-z0-9._-]+", "-", str(session.get("reference", ""))).strip("-")
    folder = Path(db_path).resolve().parent if db_path else Path.cwd()
    return folder / "reports" / f"session-{session['id']}-{ref or 'report'}.pdf"


def preview_pages(pdf: Path, out_dir: Path, dpi: int = PREVIEW_DPI) -> list[Path]:
    """Render every page of ``pdf`` to ``out_dir/page-N.png`` with poppler's ``pdftoppm``.

    :raises ReportError: pdftoppm is not installed, fails or times out (60 s).
    """
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise ReportError(
            "page preview needs poppler's pdftoppm, which is not installed "
            "(Debian/Ubuntu: apt install poppler-utils); the PDF itself is fine"
        )
    private_dir(out_dir)
    for old in out_dir.glob("page-*.png"):
        old.unlink()
    try:
        proc = subprocess.run(
            [exe, "-png", "-r", str(int(dpi)), str(pdf), str(out_dir / "page")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ReportError(f"pdftoppm could not preview {pdf}: {exc}") from exc
    if proc.returncode != 0:
        raise ReportError(f"pdftoppm could not preview {pdf}: {proc.stderr.strip()[:300]}")
    pages = list(out_dir.glob("page-*.png"))
    return sorted(pages, key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def _state(
    store_factory: Any, session_id: int, pdf: Path, preview_dir: Path, trust: Sequence[Path]
) -> ReportState:
    state = ReportState(pdf)
    try:
        state.pages = preview_pages(pdf, preview_dir)
    except ReportError as exc:
        state.preview_error = str(exc)
    try:
        load_trust(list(trust))
    except ReportError as exc:  # judged without them: UNTRUSTED at best, never OK
        state.trust_error = str(exc)
        trust = []
    store = store_factory()
    try:
        db_path = store.path
        state.session_status = str(store.get_session(session_id).get("status", ""))
    finally:
        store.close()
    # the very check of `bench-app verify REPORT --trust … --db DB` (the database read-only)
    state.verdict = verdict = check_report(pdf, list(trust) or None, db_path)
    signed = verdict.signed if verdict.signatures else report_info(pdf)
    head, sid = signed.get("audit_head", ""), signed.get("session_id", "")
    state.report_hash = head
    if sid and sid != str(session_id):
        state.other_session = f"session {sid} {signed.get('reference', '')!r}".strip()
    if sid.isdigit():
        store = store_factory()
        try:
            state.db_hash = store.audit_head(int(sid))
        except BenchError:
            state.db_hash = ""
        finally:
            store.close()
    if state.result == NOT_SIGNED:  # a draft: is it the session as it is now?
        if not head or sid != str(session_id):
            state.hash_message = "The draft carries no session hash of this session."
        else:
            state.hash_ok = state.db_hash == head
            state.hash_message = (
                "The draft shows the session as it is now."
                if state.hash_ok
                else "The session changed after this draft was rendered: render it again."
            )
    return state


def inspect(
    store_factory: Any, session_id: int, pdf: Path, preview_dir: Path, trust: Sequence[Path] = ()
) -> ReportState | None:
    """Preview and verify an existing report file (None when there is none yet)."""
    if not Path(pdf).is_file():
        return None
    return _state(store_factory, session_id, Path(pdf), preview_dir, list(trust))


def render(
    store_factory: Any, session_id: int, pdf: Path, preview_dir: Path, trust: Sequence[Path] = ()
) -> ReportState:
    """Render the report of the session as it is now (an unsigned draft when not locked).

    :raises UsageError: ``pdf`` already holds signatures (it would destroy them).
    """
    pdf = Path(pdf)
    if pdf.is_file():
        try:
            signed = bool(verify_pdf(pdf))
        except ReportError:
            signed = False
        if signed:
            raise UsageError(
                f"{pdf} already holds signatures; choose another report file to render a "
                "fresh copy (the signed one is kept)"
            )
    store = store_factory()
    try:
        render_report(collect_report_data(store, session_id), pdf)
    finally:
        store.close()
    return _state(store_factory, session_id, pdf, preview_dir, list(trust))


def sign(
    store_factory: Any,
    session_id: int,
    pdf: Path,
    p12: Path,
    passphrase: bytes,
    role: str,
    preview_dir: Path,
    trust: Sequence[Path] = (),
) -> ReportState:
    """Sign the session's report as ``role`` (see the module docstring for the order).

    :raises SigningError: wrong passphrase / unreadable key (nothing locked or written), or the
        role's field is already signed.
    """
    pdf = Path(pdf)
    signer = load_signer(p12, passphrase)
    store = store_factory()
    try:
        done = write_report(store, session_id, pdf, signer=signer, role=role, trust=list(trust))
    finally:
        store.close()
    note = f"Session locked by {done.signer}. " if done.locked_now else ""
    countersign, name = done.countersigned, done.signer
    state = _state(store_factory, session_id, pdf, preview_dir, list(trust))
    verb = "Countersigned" if countersign else "Signed"
    state.note = f"{note}{verb} as {role} by {name}."
    return state
