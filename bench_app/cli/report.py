"""``bench-app report``: write a session's witness report, optionally signing it.

``--sign --p12 KEY --role tester|witness`` signs as that role. Signing locks the session first
(so the report carries the final audit-chain head); a wrong passphrase is detected before anything
is locked or written. When ``--out`` already holds a signed report of the same session, the new
signature is added to it (incremental update) instead of re-rendering, so the tester's signature
stays valid when the witness countersigns.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench_app.cli.common import add_db_option, open_store
from bench_app.errors import ReportError, UsageError
from bench_app.report import collect_report_data, render_report
from bench_app.signing.keys import read_passphrase
from bench_app.signing.sign import ROLES, load_signer, sign_pdf, signer_name
from bench_app.signing.verify import report_info, verify_pdf


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write (and sign) the witness report PDF of a session")
    p.add_argument("--session", type=int, required=True, help="session id")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="report file to write")
    p.add_argument("--sign", action="store_true", help="sign the report (locks the session)")
    p.add_argument("--p12", metavar="FILE", help="PKCS#12 signing key (bench-app keys new)")
    p.add_argument("--role", choices=ROLES, help="sign as tester or witness")
    p.add_argument("--passphrase-file", metavar="FILE", help="first line is the passphrase")
    p.add_argument("--timestamp-url", metavar="URL", help="RFC 3161 server for PAdES B-T")
    add_db_option(p)
    p.set_defaults(func=run)


def _existing_signed(out: Path, session_id: int) -> bool:
    """True when ``out`` is already a signed report of this session (countersign it)."""
    if not out.is_file():
        return False
    try:
        signed = bool(verify_pdf(out))
    except ReportError:
        return False
    if not signed:
        return False
    sid = report_info(out).get("session_id")
    if sid != str(session_id):
        raise UsageError(
            f"{out} is a signed report of session {sid or '?'}, not {session_id}; "
            "choose another --out"
        )
    return True


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    signer = None
    if args.sign:
        if not args.p12 or not args.role:
            raise UsageError("--sign needs --p12 FILE and --role tester|witness")
        signer = load_signer(args.p12, read_passphrase(args.passphrase_file))
    elif args.p12 or args.role:
        raise UsageError("--p12/--role only make sense with --sign")
    countersign = signer is not None and _existing_signed(out, args.session)
    with open_store(args) as store:
        session = store.get_session(args.session)
        if signer is not None:
            name = signer_name(signer)
            if session["status"] == "draft":
                store.lock_session(args.session, by=name, reason="signed report")
                print(f"session {args.session} locked by {name}")
        if not countersign:
            data = collect_report_data(store, args.session)
            render_report(data, out)
            print(f"report written: {out}")
    if signer is not None:
        sign_pdf(out, out, None, None, args.role, timestamp_url=args.timestamp_url, signer=signer)
        verb = "countersigned" if countersign else "signed"
        print(f"{verb} as {args.role} by {signer_name(signer)}: {out}")
    return 0
