"""Checks before a report is signed or written, so the signing workflow cannot be tricked.

- :func:`before_signing`: nothing is locked or written when a signature would be refused — a key
  made for another role, the tester's key or person countersigning, a checklist step still
  running, a witness signing before the tester, or a tester signature the witness's own trust
  file does not vouch for (the full ``verify`` runs first: signatures, signers, the signed audit
  head in the database, and everything else :func:`bench_app.signing.verify.check_report` checks).
- :func:`keep_signed`: an unsigned report is never written over a signed PDF; ``force`` keeps
  the signed file under a new name first.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from bench_app.errors import ReportError, SigningError, UsageError
from bench_app.signing.keys import check_role


def _signatures(path: Path) -> list:
    """Certificates of the signatures in ``path`` ([] when it is not a readable signed PDF)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    if not path.is_file():
        return []
    try:
        with path.open("rb") as fh:
            reader = PdfFileReader(fh, strict=False)
            return [sig.signer_cert for sig in reader.embedded_signatures]
    except Exception as exc:  # noqa: BLE001 - pyHanko raises many types on an unreadable PDF
        logging.getLogger(__name__).info("signatures not readable: %s", exc)
        return []


def before_signing(
    store: Any,
    session_id: int,
    out: Path,
    signer: Any,
    role: str,
    *,
    countersign: bool,
    trust: Any = None,
) -> None:
    """Refuse (before anything is locked or written) a signature that would be refused or would
    sign something unverified.

    :param countersign: ``out`` already holds a signed report of this session.
    :param trust: the signer's trust file(s) (``--trust`` values); needed to countersign.
    :raises SigningError: saying why.
    """
    from bench_app.checklist.running import running_step

    step = running_step(store, session_id)
    if step is not None:
        raise SigningError(
            f"cannot sign: checklist step {step} of session {session_id} is still running; "
            "sign when it has finished (nothing was locked or written)"
        )
    others = _signatures(out) if countersign else []
    check_role(signer.signing_cert, role, others)
    if role != "witness":
        return
    if not countersign:
        raise SigningError(
            f"cannot countersign {out}: it is not a report of session {session_id} signed by "
            "the tester; the tester signs first (nothing was locked or written)"
        )
    if not trust:
        raise SigningError(
            "cannot countersign without a trust file: give --trust naming the tester's "
            "certificate, so the tester's signature is verified before you sign"
        )
    from bench_app.signing.verify import check_report

    verdict = check_report(out, trust, store.path, awaiting=("witness",))
    if verdict.result == "OK":
        return
    why = "; ".join(verdict.problems) or (
        "the tester's certificate is not in your trust file (--trust)"
        if verdict.untrusted
        else "; ".join(verdict.warnings) + " (this build cannot show that the pages you sign "
        "are the statement's: countersign with a build of that layout)"
    )
    raise SigningError(f"refusing to countersign {out} ({verdict.result}): {why}")


def keep_signed(out: Path, force: bool) -> Path | None:
    """Before an unsigned report is written to ``out``: refuse when ``out`` is a signed PDF, or
    with ``force`` move it to a new name (returned) so it is kept.

    :raises UsageError: ``out`` is signed and ``force`` is False.
    """
    if not _signatures(out):
        return None
    n = 1
    while (aside := out.with_name(f"{out.stem}.signed-{n}{out.suffix}")).exists():
        n += 1
    if not force:
        raise UsageError(
            f"{out} is a signed report and is never written over: choose a new file name, or "
            f"give --force to keep it as {aside.name} and write the new report to {out.name}"
        )
    try:
        os.replace(out, aside)
    except OSError as exc:
        raise ReportError(f"cannot keep the signed report {out} as {aside}: {exc}") from exc
    return aside
