"""``bench-app keys new``: create a self-signed signing certificate with an encrypted key.

The passphrase comes from ``--passphrase-file``, ``$WITNESS_BENCH_PASSPHRASE`` or a prompt (asked
twice); it is never stored. Prints the PKCS#12 path (keep it private) and the certificate path
(hand it to whoever verifies reports, as ``--trust``).
"""

from __future__ import annotations

import argparse

from bench_app.cli import validate

ROLES = ("tester", "witness")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("keys", help="signing keys for reports")
    ksub = p.add_subparsers(dest="keys_command", metavar="ACTION")
    ksub.required = True
    new = ksub.add_parser(
        "new",
        help="create a self-signed signing certificate (PKCS#12)",
        description=(
            "Needs --name and --role, and a passphrase (--passphrase-file, "
            "$WITNESS_BENCH_PASSPHRASE or a prompt, asked twice; never stored). Writes "
            "NAME-ROLE.p12 (the encrypted key: keep it private) and NAME-ROLE.pem (the "
            "certificate: give it to whoever verifies, as --trust) into --out DIR (an "
            "existing folder) or the user data folder's keys/."
        ),
    )
    new.add_argument("--name", required=True, help='signer\'s name, e.g. "Bob Witness"')
    new.add_argument("--org", default="", help="organisation")
    new.add_argument("--role", choices=ROLES, required=True)
    new.add_argument("--out", metavar="DIR", help="folder (default: <user data>/keys)")
    new.add_argument("--passphrase-file", metavar="FILE", help="first line is the passphrase")
    new.add_argument(
        "--days",
        type=validate.int_range(1, 36500),
        default=3 * 365,
        help="validity in days (default 1095)",
    )
    new.set_defaults(func=run_new)


def run_new(args: argparse.Namespace) -> int:
    from bench_app.signing.keys import new_self_signed, read_passphrase

    if args.out:
        validate.output_dir(args.out, "--out")
    passphrase = read_passphrase(args.passphrase_file, confirm=True, prompt="New key passphrase")
    p12, pem = new_self_signed(
        args.name, args.org, args.role, args.out, passphrase=passphrase, days=args.days
    )
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_pem_x509_certificate(pem.read_bytes())
    fingerprint = cert.fingerprint(hashes.SHA256()).hex(":").upper()
    print(f"key (PKCS#12, encrypted): {p12}")
    print(f"certificate (trust root for verify): {pem}")
    print(f"role {args.role}, holder {args.name.strip()}; certificate SHA-256 {fingerprint}")
    return 0
