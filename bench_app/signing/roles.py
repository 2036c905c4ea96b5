"""Signer roles and identity carried by a signing certificate.

A Witness Bench key's certificate names its holder (CN) and its role (OU = ``tester`` or
``witness``). Signing refuses a key made for another role, and a witness signature by the
tester's certificate, key or name; verification re-checks the same rules.
"""

from __future__ import annotations

import hashlib
import re

from bench_app.errors import SigningError

ROLES = ("tester", "witness")


def certificate_fingerprint(cert) -> str:
    """SHA-256 of the certificate's DER encoding, upper-case hex with ``:`` between bytes."""
    digest = hashlib.sha256(cert.dump()).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _subject(cert) -> dict:
    try:
        return dict(cert.subject.native)
    except Exception:  # pragma: no cover - exotic subjects
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
