"""Signing keys: self-signed certificates in encrypted PKCS#12 files, passphrase input, and the
role and holder each certificate carries.

A Witness Bench key's certificate names its holder (CN) and its role (OU = ``tester`` or
``witness``). Signing refuses a key made for another role, and a witness signature by the
tester's certificate, key or name (:func:`check_role`); verification re-checks the same rules.

A passphrase comes from ``--passphrase-file`` (first line), the ``WITNESS_BENCH_PASSPHRASE``
environment variable, or an interactive prompt — in that order. It is never written anywhere.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import logging
import os
import re
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from bench_app.errors import SigningError, UsageError
from bench_app.paths import private_dir, user_data_dir

log = logging.getLogger(__name__)

PASSPHRASE_ENV = "WITNESS_BENCH_PASSPHRASE"
ROLES = ("tester", "witness")
#: Fewest characters a new key's passphrase may have (a stolen .p12 is attacked offline).
MIN_PASSPHRASE = 10


def read_passphrase(
    passphrase_file: str | Path | None = None, *, confirm: bool = False, prompt: str = "Passphrase"
) -> bytes:
    """The passphrase from a file, ``$WITNESS_BENCH_PASSPHRASE`` or an interactive prompt.

    :param confirm: ask twice when prompting (new keys).
    :raises UsageError: unreadable file, empty passphrase, or no terminal to prompt on.
    """
    if passphrase_file is not None:
        try:
            text = Path(passphrase_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read passphrase file {passphrase_file}: {exc}") from exc
        lines = text.splitlines()
        value = lines[0] if lines else ""
        where = f"passphrase file {passphrase_file}"
    elif os.environ.get(PASSPHRASE_ENV):
        value, where = os.environ[PASSPHRASE_ENV], f"${PASSPHRASE_ENV}"
    else:
        if not sys.stdin or not sys.stdin.isatty():
            raise UsageError(
                f"no passphrase: give --passphrase-file FILE or set {PASSPHRASE_ENV} "
                "(no terminal to prompt on)"
            )
        value = getpass.getpass(f"{prompt}: ")
        if confirm and getpass.getpass(f"{prompt} (again): ") != value:
            raise UsageError("the two passphrases differ")
        where = "prompt"
    if not value:
        raise UsageError(f"empty passphrase from {where}")
    return value.encode("utf-8")


def check_new_passphrase(passphrase: bytes) -> None:
    """Refuse a new key's passphrase shorter than :data:`MIN_PASSPHRASE` characters.

    :raises UsageError: naming the length found and needed.
    """
    n = len(passphrase.decode("utf-8", "replace"))
    if n < MIN_PASSPHRASE:
        raise UsageError(
            f"a signing key's passphrase needs at least {MIN_PASSPHRASE} characters "
            f"(this one has {n}): the key file can be attacked offline if it is copied"
        )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "key"


def new_self_signed(
    name: str,
    org: str,
    role: str,
    out_dir: str | Path | None = None,
    *,
    passphrase: bytes,
    days: int = 3 * 365,
) -> tuple[Path, Path]:
    """Create an EC P-256 key and a self-signed signing certificate.

    The certificate's subject is ``CN=name, O=org, OU=role``; key usage is digitalSignature and
    nonRepudiation (critical). Writes ``<name>-<role>.p12`` (key + certificate, encrypted with
    ``passphrase``) and ``<name>-<role>.pem`` (certificate only, to hand out as trust root).

    :param out_dir: folder for both files; default ``<user data>/keys``.
    :param days: validity in days from now.
    :returns: ``(p12_path, cert_pem_path)``.
    :raises UsageError: bad role, empty name, a passphrase shorter than
        :data:`MIN_PASSPHRASE` characters, or the files already exist.
    """
    if role not in ROLES:
        raise UsageError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not name.strip():
        raise UsageError("a signing key needs a --name")
    check_new_passphrase(passphrase)
    folder = Path(out_dir) if out_dir else user_data_dir() / "keys"
    stem = f"{_slug(name)}-{role}"
    p12_path, pem_path = folder / f"{stem}.p12", folder / f"{stem}.pem"
    for path in (p12_path, pem_path):
        if path.exists():
            raise UsageError(f"{path} already exists; choose another --out folder or name")

    key = ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, name.strip())]
    if org.strip():
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org.strip()))
    attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role))
    subject = x509.Name(attrs)
    now = dt.datetime.now(dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    p12 = pkcs12.serialize_key_and_certificates(
        stem.encode(), key, cert, None, serialization.BestAvailableEncryption(passphrase)
    )
    try:
        private_dir(folder)
        _write_private(p12_path, p12)
        pem_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    except OSError as exc:
        p12_path.unlink(missing_ok=True)
        raise SigningError(f"cannot write key files to {folder}: {exc}") from exc
    return p12_path, pem_path


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by the owner only (0600 where the OS supports it)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


# -- role and holder of a certificate (asn1crypto, as pyHanko hands them) -------------------
def certificate_fingerprint(cert) -> str:
    """SHA-256 of the certificate's DER encoding, upper-case hex with ``:`` between bytes."""
    digest = hashlib.sha256(cert.dump()).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _subject(cert) -> dict:
    try:
        return dict(cert.subject.native)
    except Exception as exc:  # noqa: BLE001 - asn1crypto may raise anything on exotic subjects
        log.warning(
            "certificate subject not readable (%s: %s); shown as empty", type(exc).__name__, exc
        )
        return {}


def certificate_role(cert) -> str:
    """The role in the certificate's OU (``tester``/``witness``), else ``""``."""
    ou = _subject(cert).get("organizational_unit_name") or ""
    values = ou if isinstance(ou, list) else [ou]
    for value in values:
        if str(value).strip().lower() in ROLES:
            return str(value).strip().lower()
    return ""


def certificate_holder(cert) -> str:
    """The person the certificate names (CN), else its whole subject."""
    return str(_subject(cert).get("common_name") or cert.subject.human_friendly)


def same_person(a: str, b: str) -> bool:
    """Two holder names are one person (case, punctuation and spacing ignored)."""
    norm = re.compile(r"[^a-z0-9]+")
    return (
        bool(a.strip())
        and norm.sub(" ", a.casefold()).strip() == norm.sub(" ", b.casefold()).strip()
    )


def check_role(cert, role: str, others: list) -> None:
    """Refuse to sign as ``role`` with ``cert`` when it was made for another role, or when it is
    the certificate, key or person of a signature already in the report (``others``).

    :raises SigningError: naming the role, the holder and the conflict.
    """
    made_for = certificate_role(cert)
    holder = certificate_holder(cert)
    if made_for != role:
        what = f"a {made_for} key" if made_for else "a key that names no role"
        raise SigningError(
            f"cannot sign as {role}: {holder}'s certificate is {what}; "
            f"create one with 'bench-app keys new --role {role}'"
        )
    for other in others:
        other_role = certificate_role(other) or "another signer"
        if other.dump() == cert.dump():
            raise SigningError(
                f"cannot sign as {role}: this certificate already signed the report as "
                f"{other_role}; tester and witness must be different people"
            )
        if other.public_key.dump() == cert.public_key.dump():
            raise SigningError(
                f"cannot sign as {role}: this key already signed the report as {other_role}"
            )
        if same_person(certificate_holder(other), holder):
            raise SigningError(
                f"cannot sign as {role}: {holder!r} is the same person as the {other_role} "
                f"{certificate_holder(other)!r} who already signed the report; tester and "
                "witness must be different people"
            )
