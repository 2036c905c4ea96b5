"""``bench-app verify``: check the audit chain of the session database, or a signed report.

Without a file it re-hashes every audit record and every row it covers and exits 7 naming the
first broken row (e.g. ``readings id 1234: content changed``). With ``REPORT.pdf`` it checks the
report's signatures (trusted only as ``--trust`` says: a trust file pinning certificates per role,
``tester=``/``witness=``/``ca=`` certificate files, or plain PEM/DER files; see
:mod:`bench_app.signing.trust`), the signer roles, the signing times, the session link signed by
the first signature, and re-verifies that session's data in the database (``--no-db``: signatures
only) — exit 0 OK, 11 FAILED, 15 UNTRUSTED, 17 PAGES NOT RE-DRAWN (an older page layout:
everything else checked, the pages not compared) (:mod:`bench_app.signing.verify`). The database is
opened read-only.
"""

from __future__ import annotations

import argparse

from bench_app.cli.common import add_db_option, open_store, print_json
from bench_app.errors import IntegrityError, UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify",
        help="verify the audit chain, or a signed report PDF",
        description=(
            "Without a file: re-hashes the session database's audit chain (exit 7 naming "
            "the first broken row). With REPORT.pdf: checks every signature (trusted only "
            "when --trust pins the signer's certificate for the role it signed, or names a "
            "real CA for it), the signing times and the report's link to --db (exit 11 when "
            "anything fails, 15 when a signer is not trusted, 17 when the pages were drawn by an "
            "older page layout and could not be re-drawn). Writes nothing."
        ),
    )
    p.add_argument("report", nargs="?", help="signed report PDF to verify")
    p.add_argument("--session", type=int, help="only this session's chain")
    p.add_argument(
        "--trust",
        metavar="FILE",
        action="append",
        default=None,
        help="trust file (.toml), or certificate file(s) as tester=CERT.pem, witness=CERT.pem, "
        "ca=CA.pem or plain CERT.pem (role from its OU); repeat for several",
    )
    p.add_argument(
        "--no-db",
        action="store_true",
        help="with REPORT: check the signatures only, not the session data (said in the output)",
    )
    p.add_argument("--json", action="store_true")
    add_db_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.report:
        from bench_app.signing.verify import verify_report

        return int(
            verify_report(
                args.report,
                trust=args.trust,
                db_path=args.db,
                check_db=not args.no_db,
                as_json=args.json,
            )
        )
    if args.no_db:
        raise UsageError("--no-db only applies when verifying a REPORT")
    with open_store(args, readonly=True) as store:
        if args.session is not None:
            store.get_session(args.session)  # NotFoundError (exit 6) for an unknown id
        result = store.verify(args.session)
        integrity = store.integrity_check()
        path = store.path
    if integrity != "ok":
        raise IntegrityError(f"{path}: SQLite integrity check failed: {integrity}")
    if args.json:
        print_json(result.to_json())
    if not result.ok:
        raise IntegrityError(f"audit chain broken in {path}: {result.first_broken}")
    if not args.json:
        scope = f"session {args.session}" if args.session is not None else "all sessions"
        print(f"audit chain ok ({scope}): {result.checked} records, head {result.head}")
        if result.warning:
            print(f"warning: {result.warning} (written before full-width digests)")
    return 0
