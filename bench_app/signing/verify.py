"""Independent verification of signed witness reports with pyHanko's validator.

:func:`verify_pdf` returns one :class:`SignatureReport` per embedded signature, judged with a
*strict* difference policy: after a signature only signature fields, their widgets and DSS /
timestamp data may change — an incremental update of the document information, the XMP metadata
or any page is a disallowed change, named in the report.

:func:`report_info` reads the session link (id, reference, audit head) from the revision the
**first** signature covers, never from a later revision, so a forged link appended after signing
is ignored (and the append itself fails the signatures). :func:`verify_report` prints (or returns
as JSON) the signatures, each signer's certificate SHA-256 fingerprint, the role checks and the
database re-check (:mod:`bench_app.signing.checks`), and returns the exit code:

- ``0`` (:data:`VERIFY_OK`): every signature intact, valid, trusted; data re-verified (or
  ``--no-db`` was asked for, and the output says the data was not checked);
- ``11`` (:data:`VERIFY_FAILED`): a signature, a role, the signed link or the data failed;
- ``15`` (:data:`VERIFY_UNTRUSTED`): all of that passed but a signer's certificate is not in the
  trust roots given with ``--trust`` (or none were given);
- ``17`` (:data:`VERIFY_NOT_REDRAWN`): all of that passed, but the pages were drawn by an older
  page layout than this build draws (:mod:`bench_app.report.layout`), so they were not compared
  with their statement: check them with a build of that layout. Never OK, so the witness does not
  countersign it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import sys
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import TextIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from bench_app.errors import ReportError
from bench_app.pdf_layout import (
    INFO_AUDIT_HEAD,
    INFO_SESSION_ID,
    INFO_SESSION_REF,
    INFO_SESSION_UID,
    SIGNATURE_FIELDS,
)
from bench_app.report.layout import LAYOUT_VERSION, not_redrawn
from bench_app.signing.checks import STRICT_DIFF_POLICY, describe_changes
from bench_app.signing.keys import (
    certificate_fingerprint,
    certificate_holder,
    certificate_role,
    same_person,
)
from bench_app.signing.tail import tail_problems
from bench_app.signing.trust import (
    SignerFacts,
    TrustFile,
    chain_problems,
    key_problems,
    load_trust_file,
    lock_problems,
    lock_time,
    order_problems,
    time_problems,
    trusted_as,
)
from bench_app.textsafe import printable

log = logging.getLogger(__name__)

#: Exit codes of ``bench-app verify REPORT``.
VERIFY_OK = 0
VERIFY_FAILED = 11
VERIFY_UNTRUSTED = 15
VERIFY_NOT_REDRAWN = 17
#: The result of a report whose pages this build could not re-draw (an older page layout).
NOT_REDRAWN = "PAGES NOT RE-DRAWN"

_INFO_KEYS = {
    INFO_SESSION_ID: "session_id",
    INFO_SESSION_UID: "session_uid",
    INFO_SESSION_REF: "reference",
    INFO_AUDIT_HEAD: "audit_head",
}


@dataclass
class SignatureReport:
    """Validation result of one signature.

    :param intact: the signed byte ranges hash to the signed digest (nothing changed).
    :param valid: the cryptographic signature over that digest verifies with the certificate.
    :param trusted: the certificate chains to one of the given trust roots.
    :param coverage: ``ENTIRE_FILE`` (last signature) or ``ENTIRE_REVISION`` (earlier ones).
    :param modifications: what later revisions changed (``NONE``, ``FORM_FILLING``, …).
    :param fingerprint: SHA-256 of the signer's certificate (DER), hex, upper case.
    :param role: the role the certificate was made for (its OU), ``""`` when it names none.
    :param holder: the person the certificate names (its CN).
    :param revision: the document revision this signature covers (0 = first).
    :param changes: disallowed later changes, named (empty when there are none).
    :param problems: trust-file, chain and signing-time failures of this signature
        (:mod:`bench_app.signing.trust`).
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
    fingerprint: str = ""
    role: str = ""
    holder: str = ""
    revision: int = -1
    changes: str = ""
    problems: list[str] = dataclasses.field(default_factory=list)
    facts: SignerFacts | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """Intact, cryptographically valid and no disallowed later modifications."""
        return self.intact and self.valid and self.docmdp_ok and not self.error

    def to_json(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "facts"}
        out["signing_time"] = self.signing_time.isoformat() if self.signing_time else None
        out["ok"] = self.ok
        return out


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
    except Exception as exc:  # noqa: BLE001 - asn1crypto may raise anything on exotic subjects
        log.warning("signer subject not readable (%s); shown as '?'", exc)
        return "?"


def load_trust(trust: list[Path] | list[str] | str | Path | None) -> list:
    """Every certificate the ``--trust`` values name (see :func:`load_trust_file`).

    :raises ReportError: a file is unreadable or holds no certificate.
    """
    return load_trust_file(trust).certs()


def _failed(sig, exc: Exception) -> SignatureReport:
    return SignatureReport(
        sig.field_name, "?", None, False, False, False, "", error=str(exc) or type(exc).__name__
    )


def verify_pdf(
    path: str | Path, trust: list[Path] | list[str] | str | Path | TrustFile | None = None
) -> list[SignatureReport]:
    """Validate every signature in ``path`` against the trust file(s) ``trust``
    (:func:`bench_app.signing.trust.load_trust_file`): pinned signers per role, or real CAs.

    :raises ReportError: when the file cannot be read or parsed as PDF, or a trust file is bad.
    """
    trusted = load_trust_file(trust)
    roots = trusted.ca_roots()  # pyHanko chains only to real CAs; pinned signers are matched
    out: list[SignatureReport] = []
    try:
        with _quiet_pyhanko(), Path(path).open("rb") as fh:
            reader = PdfFileReader(fh, strict=False)
            for sig in reader.embedded_signatures:
                context = ValidationContext(trust_roots=roots, allow_fetching=False)
                try:
                    st = validate_pdf_signature(
                        sig, signer_validation_context=context, diff_policy=STRICT_DIFF_POLICY
                    )
                except Exception as exc:  # noqa: BLE001 - one broken signature must not hide the others
                    log.info("signature %s failed validation: %s", sig.field_name, exc)
                    out.append(_failed(sig, exc))
                    continue
                out.append(_report(sig, st))
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc}") from exc
    except ReportError:
        raise
    except Exception as exc:
        raise ReportError(f"{path} is not a readable PDF: {exc}") from exc
    _judge_trust(out, trusted)
    return out


def _report(sig, st) -> SignatureReport:
    """One signature's report from pyHanko's status (trust is judged by :func:`_judge_trust`)."""
    level = st.modification_level
    docmdp_ok = st.docmdp_ok is not False
    changes = "" if docmdp_ok else describe_changes(st.diff_result)
    cert = st.signing_cert
    tst = st.timestamp_validity
    stamped = tst is not None and tst.intact and tst.valid
    when = tst.timestamp if stamped else st.signer_reported_dt
    anchor = None
    if st.trusted and st.validation_path is not None:
        anchor = st.validation_path[0]
    role = {f: r for r, f in SIGNATURE_FIELDS.items()}.get(sig.field_name, "")
    facts = SignerFacts(
        field_role=role,
        cert=cert,
        anchor=anchor,
        embedded=list(sig.other_embedded_certs),
        signing_time=when,
        time_source="from its RFC 3161 timestamp" if stamped else "claimed by the signer",
    )
    return SignatureReport(
        field=sig.field_name,
        signer=_name(cert),
        signing_time=when,
        intact=bool(st.intact),
        valid=bool(st.valid),
        trusted=False,
        coverage=st.coverage.name if st.coverage else "",
        modifications=level.name if level is not None else "",
        docmdp_ok=docmdp_ok,
        fingerprint=certificate_fingerprint(cert),
        role=certificate_role(cert),
        holder=certificate_holder(cert),
        revision=int(sig.signed_revision),
        changes=changes,
        facts=facts,
    )


def _judge_trust(reports: list[SignatureReport], trusted: TrustFile) -> None:
    """Trusted only as the trust file says; forged chains, borrowed keys and impossible signing
    times are problems of the signature (see :mod:`bench_app.signing.trust`)."""
    facts = [r.facts for r in reports if r.facts is not None]
    known = trusted.certs() + [f.cert for f in facts] + [c for f in facts for c in f.embedded]
    for r in reports:
        if r.facts is None:
            continue
        ok, problems = trusted_as(r.facts, trusted)
        r.trusted = ok and not trusted.empty
        r.problems = problems + chain_problems(r.facts, known) + time_problems(r.facts)


def report_info(path: str | Path) -> dict[str, str]:
    """Session id, reference and audit head as signed by the first signature.

    Read from the document information of the revision the earliest signature covers; an
    unsigned report falls back to its (only) current revision. Empty dict when unreadable.
    """
    try:
        with Path(path).open("rb") as fh:
            reader = PdfFileReader(fh, strict=False)
            revisions = [s.signed_revision for s in reader.embedded_signatures]
            resolver = reader.get_historical_resolver(min(revisions)) if revisions else reader
            raw = resolver.trailer_view.raw_get("/Info")
            if isinstance(raw, generic.IndirectObject):
                # resolve in *that* revision: IndirectObject.get_object() reads the latest one
                info = resolver.get_object(raw.reference)
            else:
                info = raw
            return {v: str(info.get("/" + k, "")) for k, v in _INFO_KEYS.items() if "/" + k in info}
    except Exception as exc:  # noqa: BLE001 - any unreadable PDF: the report has no bench metadata
        log.info("report metadata not readable: %s", exc)
        return {}


def _signature_fields(path: str | Path) -> set[str]:
    """Names of every signature field in the latest revision, signed or empty."""
    from pyhanko.sign.fields import enumerate_sig_fields

    try:
        with Path(path).open("rb") as fh:
            reader = PdfFileReader(fh, strict=False)
            return {name for name, _value, _ref in enumerate_sig_fields(reader)}
    except Exception as exc:  # noqa: BLE001 - unreadable: verify_pdf has said so already
        log.debug("signature fields not readable: %s", exc)
        return set()


def role_problems(reports: list[SignatureReport]) -> list[str]:
    """Signer-role violations: a field signed by a key made for another role, or one person
    (same certificate, key or name) signing as both tester and witness."""
    problems: list[str] = []
    by_role: dict[str, SignatureReport] = {}
    fields_to_role = {f: r for r, f in SIGNATURE_FIELDS.items()}
    for r in reports:
        role = fields_to_role.get(r.field)
        if role is None or r.error:
            continue
        by_role[role] = r
        if r.role != role:
            made = f"a {r.role} key" if r.role else "a key without a role"
            problems.append(f"{r.field} is signed with {made} ({r.holder}), not a {role} key")
    tester, witness = by_role.get("tester"), by_role.get("witness")
    if tester and witness:
        if tester.fingerprint == witness.fingerprint:
            problems.append("tester and witness signed with the same certificate")
        elif same_person(tester.holder, witness.holder):
            problems.append(f"tester and witness are the same person ({tester.holder})")
    return problems


def _signature_lines(reports: list[SignatureReport]) -> list[str]:
    lines = []
    for r in reports:
        if r.error:
            lines.append(f"{r.field}: ERROR {r.error}")
            continue
        when = r.signing_time.isoformat() if r.signing_time else "unknown time"
        state = "intact" if r.intact else "NOT INTACT"
        valid = "valid" if r.valid else "INVALID"
        trusted = "trusted" if r.trusted else "UNTRUSTED"
        later = f", later changes {r.modifications.lower()}" if r.modifications else ""
        extra = "" if r.docmdp_ok else f", DISALLOWED CHANGES after signing: {r.changes}"
        lines.append(
            f"{r.field}: {r.signer} [{r.role or 'no role'}], signed {when}: {state}, {valid}, "
            f"{trusted}, coverage {r.coverage.lower().replace('_', ' ')}{later}{extra}"
        )
        lines.append(f"  certificate SHA-256 {r.fingerprint}")
    return lines


@dataclass
class ReportVerdict:
    """Everything :func:`verify_report` found; ``result`` is OK, UNTRUSTED, PAGES NOT RE-DRAWN
    (:data:`NOT_REDRAWN`) or FAILED. ``layout``: the page layout that drew the report;
    ``warnings``: what was not checked (the pages of an older layout)."""

    file: str
    signatures: list[SignatureReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    signed: dict[str, str] = field(default_factory=dict)
    data_checked: bool = False
    data: list[str] = field(default_factory=list)
    untrusted: bool = False
    layout: int | None = None
    pages_redrawn: bool = True
    warnings: list[str] = field(default_factory=list)

    @property
    def result(self) -> str:
        if self.problems:
            return "FAILED"
        if self.untrusted:
            return "UNTRUSTED"
        return "OK" if self.pages_redrawn else NOT_REDRAWN

    @property
    def exit_code(self) -> int:
        codes = {"OK": VERIFY_OK, "UNTRUSTED": VERIFY_UNTRUSTED, NOT_REDRAWN: VERIFY_NOT_REDRAWN}
        return codes.get(self.result, VERIFY_FAILED)

    def to_json(self) -> dict:
        return {
            "file": self.file,
            "result": self.result,
            "exit_code": self.exit_code,
            "signatures": [s.to_json() for s in self.signatures],
            "signed_session": self.signed,
            "data_checked": self.data_checked,
            "data": self.data,
            "problems": self.problems,
            "warnings": self.warnings,
            "layout": {"report": self.layout, "this_build": LAYOUT_VERSION,
                       "pages_redrawn": self.pages_redrawn},
        }  # fmt: skip


def check_report(
    pdf_path: str | Path,
    trust: list[Path] | list[str] | str | Path | None = None,
    db_path: str | Path | None = None,
    *,
    check_db: bool = True,
    awaiting: tuple[str, ...] = (),
) -> ReportVerdict:
    """Verify signatures, roles, the signed session link and (unless ``check_db`` is False) the
    session's data in ``db_path``; see the module docstring for the verdicts.

    :param awaiting: roles not expected to have signed yet (``("witness",)`` before the witness
        countersigns); everything else is checked as for a finished report.
    """
    verdict = ReportVerdict(str(pdf_path))
    try:
        trusted = load_trust_file(trust)
        verdict.signatures = reports = verify_pdf(pdf_path, trusted)
    except ReportError as exc:
        verdict.problems.append(str(exc))
        return verdict
    if not reports:
        verdict.problems.append("no signatures")
    for r in reports:
        if r.error:
            verdict.problems.append(f"{r.field}: {r.error}")
        elif not r.ok:
            what = "not intact" if not r.intact else "invalid" if not r.valid else r.changes
            verdict.problems.append(f"{r.field}: {what}")
        elif r.coverage not in ("ENTIRE_REVISION", "ENTIRE_FILE"):
            verdict.problems.append(f"{r.field}: covers only part of its revision ({r.coverage})")
        elif not r.trusted:
            verdict.untrusted = True
    verdict.problems.extend(role_problems(reports))
    verdict.problems.extend(pinning_problems(reports, trusted))
    if reports:
        verdict.problems.extend(tail_problems(pdf_path))
    present = {r.field for r in reports}
    for fld in sorted((present | _signature_fields(pdf_path)) - set(SIGNATURE_FIELDS.values())):
        # an extra field, even unsigned, has a widget whose appearance can cover page content
        verdict.problems.append(f"{fld}: a signature field a witness report does not have")
    for role, fld in SIGNATURE_FIELDS.items():
        if reports and fld not in present and role not in awaiting:
            verdict.problems.append(f"{fld}: not signed (no {role} signature in the report)")
    first = min((r for r in reports if not r.error), key=lambda r: r.revision, default=None)
    if first is not None and first.field != SIGNATURE_FIELDS["tester"]:
        verdict.problems.append(f"the first signature is {first.field}, not the tester's")
    verdict.signed = report_info(pdf_path) if reports else {}
    statement = _check_statement(pdf_path, verdict) if reports else None
    if not check_db:
        verdict.data.append("session data: NOT CHECKED (--no-db: signatures only)")
        _layout_warning(verdict, statement, "the signatures were verified")
        return verdict
    from bench_app.signing.checks import check_session_data

    ok, lines = check_session_data(verdict.signed, db_path, statement)
    verdict.data_checked = ok
    verdict.data += lines
    if not ok:
        failed = [ln.removeprefix("session data: FAILED - ") for ln in lines if "FAILED" in ln]
        if failed or statement is not None:
            verdict.problems.extend(failed or ["session data not checked"])
    else:
        verdict.problems.extend(session_lock_problems(reports, verdict.signed, db_path))
    _layout_warning(verdict, statement, "the statement was verified" if ok else
                    "the statement was not verified either")  # fmt: skip
    return verdict


def _layout_warning(verdict: ReportVerdict, statement: dict | None, verified: str) -> None:
    """Say (as a ``pages: warning`` line, like the data's legacy-digest warning) that pages of
    an older layout were not re-drawn."""
    if statement is None or verdict.pages_redrawn or verdict.layout is None:
        return
    text = not_redrawn(statement, verdict.layout, verified)
    verdict.warnings.append(text)
    verdict.data.append(f"pages: warning - {text}")


def _check_statement(pdf_path: str | Path, verdict: ReportVerdict) -> dict | None:
    """The statement the tester signed, after checking that the signed pages are its rendering
    (problems go to ``verdict``); None when the report carries none."""
    from bench_app.signing.statement_check import check_pages, embedded_statement

    statement, why = embedded_statement(pdf_path)
    if statement is None:
        verdict.problems.append(why)
        return None
    session = statement.get("session") or {}
    verdict.signed.setdefault("session_uid", str(session.get("uid", "")))
    if verdict.signed.get("audit_head", "") != statement.get("audit_head", ""):
        verdict.problems.append(
            f"the statement's audit head {str(statement.get('audit_head'))[:16]}... is not the "
            f"document's {verdict.signed.get('audit_head', '')[:16]}..."
        )
    pages = check_pages(pdf_path, statement)
    verdict.problems.extend(pages.problems)
    verdict.layout, verdict.pages_redrawn = pages.layout, pages.redrawn
    if not pages.problems:
        said = (f"every page is its rendering (page layout {pages.layout})" if pages.redrawn
                else f"pages of page layout {pages.layout}, not re-drawn by this build")
        verdict.data.append(
            f"statement: overall result {(statement.get('overall') or {}).get('status', '?')}, "
            f"{len(statement.get('runs') or [])} checklist run(s); {said}"
        )  # fmt: skip
    return statement


def pinning_problems(reports: list[SignatureReport], trusted: TrustFile) -> list[str]:
    """Each signature's trust-file, chain and time problems, one key signing as both roles, and
    a witness who signed before the tester."""
    out = [f"{r.field}: {p}" for r in reports for p in r.problems]
    facts = [r.facts for r in reports if r.facts is not None]
    return out + key_problems(facts, trusted) + order_problems(facts)


def session_lock_problems(
    reports: list[SignatureReport], signed: dict[str, str], db_path: str | Path | None
) -> list[str]:
    """A signature claimed before the session was locked (the lock time is in its audit chain)."""
    locked = lock_time(signed, db_path)
    if locked is None:
        return []
    return [
        f"{r.field}: {p}" for r in reports if r.facts is not None
        for p in lock_problems(r.facts, locked)
    ]  # fmt: skip


def verify_report(
    pdf_path: str | Path,
    trust: list[Path] | list[str] | str | Path | None = None,
    db_path: str | Path | None = None,
    out: TextIO | None = None,
    *,
    check_db: bool = True,
    as_json: bool = False,
) -> int:
    """Print the verification of ``pdf_path`` (text, or JSON with ``as_json``); return the exit
    code: :data:`VERIFY_OK` (0), :data:`VERIFY_FAILED` (11), :data:`VERIFY_UNTRUSTED` (15) or
    :data:`VERIFY_NOT_REDRAWN` (17)."""
    out = out or sys.stdout
    verdict = check_report(pdf_path, trust, db_path, check_db=check_db)
    if as_json:
        json.dump(verdict.to_json(), out, indent=2, ensure_ascii=False)
        out.write("\n")
        return verdict.exit_code
    for line in _signature_lines(verdict.signatures):
        print(printable(line), file=out)
    if verdict.signed:
        s = verdict.signed
        print(
            printable(
                f"signed session: uid {s.get('session_uid', '?')}, id {s.get('session_id', '?')}, "
                f"reference {s.get('reference', '?')!r}, audit head {s.get('audit_head', '?')}"
            ),
            file=out,
        )
    for line in verdict.data:
        print(printable(line), file=out)
    for problem in verdict.problems:
        print(printable(f"problem: {problem}"), file=out)
    if verdict.result == "UNTRUSTED":
        print("a signer's certificate is not among the --trust certificates", file=out)
    print(verdict.result, file=out)
    return verdict.exit_code
