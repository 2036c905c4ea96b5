"""``bench-app report``: write a session's witness report, optionally signing it.

``--sign --p12 KEY --role tester|witness`` signs as that role. Signing locks the session first
(so the report carries the final audit-chain head); a wrong passphrase, a key made for another
role or a checklist step still running is refused before anything is locked or written. When
``--out`` already holds a signed report of the same session, the new signature is added to it
(incremental update) instead of re-rendering, so the tester's signature stays valid when the
witness countersigns. The witness countersigns only a report the tester signed first and that
``verify`` finds OK with the witness's ``--trust`` and the database. An unsigned report is never
written over a signed PDF (``--force`` keeps the signed one under a new name first).
"""

from __future__ import annotations

import argparse

from bench_app.cli import validate
from bench_app.cli.common import add_db_option, open_store
from bench_app.errors import UsageError

ROLES = ("tester", "witness")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write (and sign) the witness report PDF of a session",
        description=(
            "Needs --session and --out FILE.pdf (in an existing folder). Writes the witness "
            "report PDF; with --sign --p12 KEY --role tester|witness it also signs it (the "
            "first signature locks the session; a second role countersigns the same file "
            "without invalidating the first, after verifying the tester's signature with "
            "--trust). A signed PDF is never written over."
        ),
    )
    p.add_argument("--session", type=int, required=True, help="session id")
    p.add_argument(
        "--out", required=True, metavar="FILE.pdf", help="report file to write (folder must exist)"
    )
    p.add_argument("--sign", action="store_true", help="sign the report (locks the session)")
    p.add_argument("--p12", metavar="FILE", help="PKCS#12 signing key (bench-app keys new)")
    p.add_argument("--role", choices=ROLES, help="sign as tester or witness")
    p.add_argument("--passphrase-file", metavar="FILE", help="first line is the passphrase")
    p.add_argument("--timestamp-url", metavar="URL", help="RFC 3161 server for PAdES B-T")
    p.add_argument(
        "--trust",
        metavar="FILE",
        action="append",
        default=None,
        help="witness: your trust file (.toml) or the tester's certificate (tester=CERT.pem); "
        "the report is verified with it before you countersign; repeatable",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="unsigned report over a signed PDF: keep the signed one as NAME.signed-N.pdf first",
    )
    add_db_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bench_app.signing.keys import read_passphrase
    from bench_app.signing.sign import load_signer
    from bench_app.signing.workflow import write_report

    validate.output_file(args.out, "--out")
    signer = None
    if args.sign:
        if not args.p12 or not args.role:
            raise UsageError("--sign needs --p12 FILE and --role tester|witness")
        signer = load_signer(args.p12, read_passphrase(args.passphrase_file))
    elif args.p12 or args.role:
        raise UsageError("--p12/--role only make sense with --sign")
    with open_store(args, readonly=signer is None) as store:  # drafts only read the database
        done = write_report(
            store,
            args.session,
            args.out,
            signer=signer,
            role=args.role,
            timestamp_url=args.timestamp_url,
            trust=args.trust,
            force=args.force,
        )
    if done.kept_as:
        print(f"signed report kept as {done.kept_as}")
    if done.locked_now:
        print(f"session {args.session} locked by {done.signer}")
    if done.rendered:
        print(f"report written: {done.path}")
    if done.signed_as:
        verb = "countersigned" if done.countersigned else "signed"
        print(f"{verb} as {done.signed_as} by {done.signer}: {done.path}")
    return 0
