"""Report jobs the Report panel runs in its worker thread: render, sign, inspect (no Qt here).

Each job opens its own store (SQLite connections are per thread) and returns a
:class:`ReportState` — the PDF, its preview page images and the verification of every signature.

Signing goes through :func:`bench_app.report.workflow.write_report`, like ``bench-app report
--sign``: open the key first (a wrong passphrase fails before anything is locked or written); if
the file already holds a signed report of this session, add the signature to it (countersign, no
re-render); otherwise lock the session (when still a draft) **before** rendering, so the
audit-chain head embedded in the PDF is the final one, then sign."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_app.errors import ReportError, UsageError
from bench_app.report import collect_report_data, render_report
from bench_app.report.workflow import write_report
from bench_app.signing import load_signer, verify_pdf
from bench_app.signing.verify import SignatureReport, report_info

PREVIEW_DPI = 110  #: preview resolution (dots per inch): an A4 page is ~910 × 1290 px, sharp
#: at fit width on a 1366×768 screen and at 150 % zoom


@dataclass
class ReportState:
    """What the panel shows about one report file.

    :param pages: preview PNGs, page order (empty when no preview could be made).
    :param preview_error: why there is no preview (e.g. pdftoppm missing), else "".
    :param hash_ok: the audit head embedded in the PDF equals the database's (None: not checked).
    """

    pdf: Path
    pages: list[Path] = field(default_factory=list)
    preview_error: str = ""
    signatures: list[SignatureReport] = field(default_factory=list)
    hash_ok: bool | None = None
    hash_message: str = ""
    session_status: str = ""
    note: str = ""
    report_hash: str = ""  #: the session hash (audit head) the report carries, full hex
    db_hash: str = ""  #: the database's session hash now, full hex


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
    out_dir.mkdir(parents=True, exist_ok=True)
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
    store_factory: Any, session_id: int, pdf: Path, preview_dir: Path, trust: list[Path]
) -> ReportState:
    state = ReportState(pdf)
    try:
        state.pages = preview_pages(pdf, preview_dir)
    except ReportError as exc:
        state.preview_error = str(exc)
    state.signatures = verify_pdf(pdf, trust or None)
    info = report_info(pdf)
    store = store_factory()
    try:
        state.session_status = str(store.get_session(session_id).get("status", ""))
        head = info.get("audit_head", "")
        if not head or info.get("session_id") != str(session_id):
            state.hash_message = "The report carries no session hash of this session."
        else:
            current = store.audit_head(session_id)
            state.report_hash, state.db_hash = head, current
            state.hash_ok = current == head
            state.hash_message = (
                f"Session hash matches the database ({head[:16]}…)."
                if state.hash_ok
                else f"Session hash DIFFERS: report {head[:16]}…, database {current[:16]}… — "
                "the session changed after this report was made."
            )
    finally:
        store.close()
    return state


def inspect(
    store_factory: Any, session_id: int, pdf: Path, preview_dir: Path, trust: list[Path] = ()
) -> ReportState | None:
    """Preview and verify an existing report file (None when there is none yet)."""
    if not Path(pdf).is_file():
        return None
    return _state(store_factory, session_id, Path(pdf), preview_dir, list(trust))


def render(
    store_factory: Any, session_id: int, pdf: Path, preview_dir: Path, trust: list[Path] = ()
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
    trust: list[Path] = (),
) -> ReportState:
    """Sign the session's report as ``role`` (see the module docstring for the order).

    :raises SigningError: wrong passphrase / unreadable key (nothing locked or written), or the
        role's field is already signed.
    """
    pdf = Path(pdf)
    signer = load_signer(p12, passphrase)
    store = store_factory()
    try:
        done = write_report(store, session_id, pdf, signer=signer, role=role)
    finally:
        store.close()
    note = f"Session locked by {done.signer}. " if done.locked_now else ""
    countersign, name = done.countersigned, done.signer
    state = _state(store_factory, session_id, pdf, preview_dir, list(trust))
    verb = "Countersigned" if countersign else "Signed"
    state.note = f"{note}{verb} as {role} by {name}."
    return state
