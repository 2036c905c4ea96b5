"""Independent verification of signed witness reports with pyHanko's validator.

:func:`verify_pdf` returns one :class:`SignatureReport` per embedded signature;
:func:`verify_report` prints them, compares the audit-chain head embedded in the report with
the session database, and returns the ``bench-app verify`` exit code (0 all good, 11 otherwise).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from bench_app.errors import BenchError, ReportError
from bench_app.pdf_layout import INFO_AUDIT_HEAD, INFO_SESSION_ID, INFO_SESSION_REF

#: Exit code of ``bench-app verify`` when a signature, its trust or the session hash fails.
VERIFY_FAILED = 11


@dataclass
class SignatureReport:
    """Validation result of one signature.

    :param intact: the signed byte ranges hash to the signed digest (nothing changed).
    :param valid: the cryptographic signature over that digest verifies with the certificate.
    :param trusted: the certificate chains to one of the given trust roots.
    :param coverage: ``ENTIRE_FILE`` (last signature) or ``ENTIRE_REVISION`` (earlier ones).
    :param modifications: what later revisions changed (``NONE``, ``FORM_FILLING``, …).
    """

    field: str
    signer: str
    signing_time: datetime | None
    intact: bool
    valid: bool
    trusted: bool
    coverage: str
    modifications: str = ""
    docmdp_ok: bool = True
    error: str = ""

    @property
    def ok(self) -> bool:
        """Intact, cryptographically valid and no disallowed later modifications."""
        return self.intact and self.valid and self.docmdp_ok and not self.error


@contextlib.contextmanager
def _quiet_pyhanko():
    """pyHanko logs an untrusted chain as a warning with a traceback; the report says it instead."""
    logger = logging.getLogger("pyhanko")
    old = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(old)


def _name(cert) -> str:
    try:
        subject = cert.subject.native
        cn, org = subject.get("common_name"), subject.get("organization_name")
        return f"{cn} ({org})" if cn and org else str(cn or cert.subject.human_friendly)
    except Exception:  # pragma: no cover
        return "?"


def verify_pdf(
    path: str | Path, trust: list[Path] | str | Path | None = None
) -> list[SignatureReport]:
    """Validate every signature in ``path``; ``trust`` are PEM/DER certificates to trust.

    :raises ReportError: when the file cannot be read or parsed as PDF, or a trust file is bad.
    """
    if isinstance(trust, (str, Path)):
        trust = [Path(trust)]
    roots = []
    if trust:
        try:
            roots = list(load_certs_from_pemder([str(p) for p in trust]))
        except Exception as exc:
            raise ReportError(f"cannot load trust certificate(s) {trust}: {exc}") from exc
    out: list[SignatureReport] = []
    try:
        with _quiet_pyhanko(), Path(path).open("rb") as fh:
            reader = PdfFileReader(fh, strict=False)
            for sig in reader.embedded_signatures:
                context = ValidationContext(trust_roots=roots, allow_fetching=False)
                try:
                    st = validate_pdf_signature(sig, signer_validation_context=context)
                except Exception as exc:  # a broken signature must not hide the others
                    out.append(
                        SignatureReport(
                            sig.field_name,
                            "?",
                            None,
                            False,
                            False,
                            False,
                            "",
                            error=str(exc) or type(exc).__name__,
                        )
                    )
                    continue
                level = st.modification_level
                out.append(
                    SignatureReport(
                        field=sig.field_name,
                        signer=_name(st.signing_cert),
                        signing_time=st.signer_reported_dt,
                        intact=bool(st.intact),
                        valid=bool(st.valid),
                        trusted=bool(st.trusted) and bool(roots),
                        coverage=st.coverage.name if st.coverage else "",
                        modifications=level.name if level is not None else "",
                        docmdp_ok=st.docmdp_ok is not False,
                    )
                )
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc}") from exc
    except ReportError:
        raise
    except Exception as exc:
        raise ReportError(f"{path} is not a readable PDF: {exc}") from exc
    return out


def report_info(path: str | Path) -> dict[str, str]:
    """Session id, reference and audit head embedded in the report's document information."""
    keys = {
        INFO_SESSION_ID: "session_id",
        INFO_SESSION_REF: "reference",
        INFO_AUDIT_HEAD: "audit_head",
    }
    try:
        with Path(path).open("rb") as fh:
            info = PdfFileReader(fh, strict=False).trailer_view.get("/Info")
            info = info.get_object() if info is not None else {}
            return {v: str(info.get("/" + k, "")) for k, v in keys.items() if ("/" + k) in info}
    except Exception:
        return {}


def _session_check(info: dict[str, str], db_path: str | Path | None) -> tuple[bool | None, str]:
    """``(matches, message)``; ``matches`` is None when the check could not be made."""
    head, sid = info.get("audit_head", ""), info.get("session_id", "")
    if not head or not sid.isdigit():
        return None, "session hash: not checked (the report carries no session hash)"
    from bench_app.paths import default_db_path

    db = Path(db_path) if db_path else default_db_path()
    if not db.exists():
        return None, f"session hash: not checked (no database at {db})"
    try:
        from bench_app.store import Store

        store = Store.open(db)
        try:
            session = store.get_session(int(sid))
            current = store.audit_head(int(sid))
        finally:
            store.close()
    except BenchError as exc:
        return None, f"session hash: not checked ({exc})"
    ref = info.get("reference", "")
    if ref and session.get("reference") != ref:
        return None, (
            f"session hash: not checked (session {sid} in {db} is "
            f"{session.get('reference')!r}, not {ref!r})"
        )
    if current == head:
        return True, f"session hash: matches session {sid} in {db} ({head[:16]}…)"
    return False, (
        f"session hash: DIFFERS from session {sid} in {db} "
        f"(report {head[:16]}…, database {current[:16]}…)"
    )


def verify_report(
    pdf_path: str | Path,
    trust: list[Path] | str | Path | None = None,
    db_path: str | Path | None = None,
    out: TextIO | None = None,
) -> int:
    """Print one line per signature and the session-hash check; return the exit code.

    0 only when there is at least one signature, every signature is intact and valid (and
    trusted when ``trust`` is given) and the embedded session hash does not contradict the
    database; otherwise :data:`VERIFY_FAILED` (11).
    """
    out = out or sys.stdout
    try:
        reports = verify_pdf(pdf_path, trust)
    except ReportError as exc:
        print(f"{pdf_path}: {exc}", file=out)
        return VERIFY_FAILED
    ok = bool(reports)
    if not reports:
        print(f"{pdf_path}: no signatures", file=out)
    for r in reports:
        when = r.signing_time.isoformat() if r.signing_time else "unknown time"
        if r.error:
            print(f"{r.field}: ERROR {r.error}", file=out)
            ok = False
            continue
        trusted = "trusted" if r.trusted else "untrusted"
        state = "intact" if r.intact else "NOT INTACT"
        valid = "valid" if r.valid else "INVALID"
        extra = "" if r.docmdp_ok else ", DISALLOWED CHANGES after signing"
        print(
            f"{r.field}: {r.signer}, signed {when}: {state}, {valid}, {trusted}, "
            f"coverage {r.coverage.lower().replace('_', ' ')}"
            f"{', later changes ' + r.modifications.lower() if r.modifications else ''}{extra}",
            file=out,
        )
        if not r.ok or (trust and not r.trusted):
            ok = False
    matches, message = _session_check(report_info(pdf_path), db_path)
    print(message, file=out)
    if matches is False:
        ok = False
    print("OK" if ok else "FAILED", file=out)
    return 0 if ok else VERIFY_FAILED
