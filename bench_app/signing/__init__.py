"""Signing and verification of witness reports: self-signed PKCS#12 keys, PAdES signatures per
role (tester, witness) with pyHanko, and independent verification."""

from bench_app.signing.keys import PASSPHRASE_ENV, new_self_signed, read_passphrase
from bench_app.signing.sign import load_signer, sign_pdf, signer_name
from bench_app.signing.verify import (
    SignatureReport,
    check_report,
    verify_pdf,
    verify_report,
)

__all__ = [
    "PASSPHRASE_ENV",
    "SignatureReport",
    "check_report",
    "load_signer",
    "new_self_signed",
    "read_passphrase",
    "sign_pdf",
    "signer_name",
    "verify_pdf",
    "verify_report",
]
