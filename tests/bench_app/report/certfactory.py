"""Certificates an adversary (or a lab CA) makes with the cryptography library, packed as the
PKCS#12 files ``sign_pdf`` opens: forged chains, borrowed keys, odd validity periods."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

PASS = b"adversary-pass-1"
NOW = dt.datetime.now(dt.UTC)


def name(cn: str, ou: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    return x509.Name(attrs)


def make_cert(
    subject: x509.Name,
    key,
    *,
    issuer: x509.Certificate | None = None,
    issuer_key=None,
    ca: bool = False,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> x509.Certificate:
    """A certificate over ``key``'s public key; self-signed unless ``issuer``/``issuer_key``."""
    pub = key.public_key() if hasattr(key, "public_key") else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer is not None else subject)
        .public_key(pub)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - dt.timedelta(minutes=5))
        .not_valid_after(not_after or NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
    )  # fmt: skip
    return builder.sign(issuer_key if issuer_key is not None else key, hashes.SHA256())


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def write_p12(folder: Path, stem: str, key, cert: x509.Certificate, chain=()) -> tuple[Path, Path]:
    """``stem.p12`` (key + certificate, :data:`PASS`) and ``stem.pem``."""
    p12 = folder / f"{stem}.p12"
    pem = folder / f"{stem}.pem"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            stem.encode(), key, cert, list(chain) or None,
            serialization.BestAvailableEncryption(PASS),
        )
    )  # fmt: skip
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return p12, pem


def load_p12(path: Path, passphrase: bytes):
    """``(key, certificate)`` of a PKCS#12 file."""
    key, cert, _ = pkcs12.load_key_and_certificates(path.read_bytes(), passphrase)
    return key, cert
