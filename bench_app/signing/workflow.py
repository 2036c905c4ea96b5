"""Writing and signing a session's report in the one order that keeps signatures and hashes valid.

Used by ``bench-app report``, the GUI's Report panel and the demo, so all three behave the same:

1. a signer's key is loaded (and its passphrase checked) *before* anything is locked or written;
2. signing locks the session first (recording the register facts it used), so the rendered
   report carries the final audit-chain head and a statement ``verify`` can re-derive;
3. a file that already holds a signed report of the same session is countersigned (incremental
   update) instead of being re-rendered, so the tester's signature stays valid when the witness
   signs;
4. a refused signature changes nothing, the witness countersigns only what verifies against
   their trust file, and a signed PDF is never written over
   (:mod:`bench_app.signing.guard`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_app.equipment.snapshot import lock_session
from bench_app.errors import ReportError, UsageError
from bench_app.report.render import render_statement
from bench_app.report.statement import build_statement
from bench_app.signing.guard import before_signing, keep_signed
from bench_app.signing.sign import sign_pdf, signer_name
from bench_app.signing.verify import report_info, verify_pdf

log = logging.getLogger(__name__)


@dataclass
class ReportOutcome:
    """What :func:`write_report` did."""

    path: Path
    rendered: bool
    signed_as: str | None = None
    signer: str | None = None
    locked_now: bool = False
    countersigned: bool = False
    kept_as: Path | None = None


def existing_signed(out: Path, session_id: int, session_uid: str = "") -> bool:
    """True when ``out`` is already a signed report of this session (so: countersign it).

    :raises UsageError: ``out`` is a signed report of another session.
    """
    if not out.is_file():
        return False
    try:
        signed = bool(verify_pdf(out))
    except ReportError as exc:
        log.info("%s is not a readable signed report (%s): it will be replaced", out, exc)
        return False
    if not signed:
        return False
    info = report_info(out)
    sid = info.get("session_id")
    if session_uid and info.get("session_uid"):  # the same session wherever it lives
        if info["session_uid"] == session_uid:
            return True
        raise UsageError(
            f"{out} is a signed report of another session (uid {info['session_uid']}), not "
            f"session {session_id} (uid {session_uid}); choose another output file"
        )
    if sid == str(session_id):
        return True
    raise UsageError(
        f"{out} is a signed report of session {sid or '?'}, not {session_id}; "
        "choose another output file"
    )


def write_report(
    store: Any,
    session_id: int,
    out: str | Path,
    *,
    signer: Any | None = None,
    role: str | None = None,
    timestamp_url: str | None = None,
    trust: Any = None,
    force: bool = False,
) -> ReportOutcome:
    """Render (and optionally sign as ``role``) the report of ``session_id`` to ``out``.

    :param signer: a loaded pyHanko signer (:func:`bench_app.signing.sign.load_signer`), or None
        for an unsigned draft report.
    :param role: ``"tester"`` or ``"witness"`` — required with ``signer``.
    :param trust: the signer's ``--trust`` values; the witness needs them to countersign.
    :param force: an unsigned report may replace a signed PDF, which is kept under a new name.
    """
    out = Path(out)
    if signer is not None and role is None:
        raise UsageError("signing needs a role: tester or witness")
    session = store.get_session(session_id)
    countersign = signer is not None and existing_signed(out, session_id, session.get("uid", ""))
    kept = None
    if signer is None:
        kept = keep_signed(out, force)
    elif role is not None:
        before_signing(store, session_id, out, signer, role, countersign=countersign, trust=trust)
    outcome = ReportOutcome(out, rendered=not countersign, countersigned=countersign)
    outcome.kept_as = kept
    if signer is not None:
        outcome.signer = signer_name(signer)
        if session["status"] == "draft":
            lock_session(store, session_id, by=outcome.signer, reason="signed report")
            outcome.locked_now = True
    if not countersign:  # the pages are drawn from the statement, which is embedded with them
        render_statement(build_statement(store, session_id), out)
    if signer is not None and role is not None:
        sign_pdf(out, out, None, None, role, timestamp_url=timestamp_url, signer=signer)
        outcome.signed_as = role
    return outcome
