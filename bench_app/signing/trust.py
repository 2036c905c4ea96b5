"""Who may sign a witness report, and as what: signers are pinned, not chained.

A *trust file* names certificates per role, or a real CA for labs that run one::

    # trust.toml — paths are relative to this file
    tester = ["alice-tester.pem"]
    witness = ["bob-witness.pem", "carol-witness.pem"]
    ca = ["lab-ca.pem"]            # a CA: basicConstraints CA:TRUE and keyCertSign
    witness_ca = ["elexon-ca.pem"] # a CA whose certificates may sign as witness only

``verify --trust`` takes such a ``.toml`` file, or certificate files (PEM bundles or DER), each
optionally prefixed with its role: ``tester=alice.pem``, ``witness=bob.pem``, ``ca=lab-ca.pem``.
A certificate given without a role is pinned for the role its own OU names (Witness Bench keys
carry it) — even when it has CA flags, so a tester's certificate never becomes a CA by being
trusted — else taken as a CA when it is one (``ca=`` says so explicitly).

A signature is *trusted* when its certificate is one the trust file pins for the role of the
field it signs, or when pyHanko validates its chain to a trusted CA allowed for that role. A
pinned certificate never vouches for another: a certificate issued by a non-CA certificate is a
forged chain (FAILED), as is a certificate whose public key is the other role's, or one the trust
file gives another role (:func:`signature_problems`). The signing time must lie inside the
certificate's validity, not in the future, and the witness signs after the tester
(:func:`time_problems`).
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509 as cx509

from bench_app.errors import ReportError
from bench_app.signing.keys import ROLES, certificate_holder, certificate_role

#: A claimed signing time this far ahead of the verifying computer's clock is "in the future".
CLOCK_SKEW = timedelta(minutes=5)
#: Trust file keys: role → roles it allows, and whether the entry must be a CA.
_KEYS: dict[str, tuple[tuple[str, ...], bool]] = {
    "tester": (("tester",), False),
    "witness": (("witness",), False),
    "ca": (ROLES, True),
    "tester_ca": (("tester",), True),
    "witness_ca": (("witness",), True),
}


@dataclass
class TrustEntry:
    """One trusted certificate (asn1crypto, as pyHanko hands them).

    :param roles: the roles it may sign as (pinned signer) or issue for (CA).
    :param ca: a CA (its chain is validated by pyHanko), else a pinned signer.
    :param source: the file it came from (named in messages).
    """

    cert: Any
    roles: tuple[str, ...]
    ca: bool
    source: str


@dataclass
class TrustFile:
    """Every entry of the trust file(s) and ``--trust`` options given."""

    entries: list[TrustEntry] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.entries

    def ca_roots(self) -> list:
        """The CA certificates (pyHanko's trust roots)."""
        return [e.cert for e in self.entries if e.ca]

    def pinned_roles(self, cert) -> set[str]:
        """Roles the trust file pins exactly this certificate for."""
        der = cert.dump()
        return {r for e in self.entries if not e.ca and e.cert.dump() == der for r in e.roles}

    def ca_roles(self, anchor) -> set[str]:
        der = anchor.dump()
        return {r for e in self.entries if e.ca and e.cert.dump() == der for r in e.roles}

    def keys_of(self, role: str) -> list[tuple[bytes, object]]:
        """``(public key DER, certificate)`` of every signer pinned for ``role``."""
        return [(e.cert.public_key.dump(), e.cert) for e in self.entries
                if not e.ca and role in e.roles]  # fmt: skip

    def certs(self) -> list:
        return [e.cert for e in self.entries]


def is_ca(cert) -> bool:
    """basicConstraints CA:TRUE and a key usage that includes keyCertSign."""
    try:
        bc = cert.basic_constraints_value
        ku = cert.key_usage_value
    except Exception as exc:  # noqa: BLE001 - asn1crypto raises many types on malformed extensions
        logging.getLogger(__name__).info("certificate extensions not readable: %s", exc)
        return False
    return bool(bc and bc["ca"].native) and bool(ku) and "key_cert_sign" in ku.native


def _load_certs(path: Path) -> list:
    from pyhanko.keys import load_certs_from_pemder

    try:
        certs = list(load_certs_from_pemder([str(path)]))
    except Exception as exc:
        raise ReportError(f"cannot load trust certificate(s) from {path}: {exc}") from exc
    if not certs:
        raise ReportError(f"trust file {path} holds no certificate")
    return certs


def _entry(cert, key: str | None, source: str) -> TrustEntry:
    """The entry for ``cert`` given under ``key`` (None: no role given)."""
    holder = certificate_holder(cert)
    if key is None:
        role = certificate_role(cert)
        if role:  # a signer's certificate, even one with CA flags: pinned, never a CA
            return TrustEntry(cert, (role,), False, source)
        if is_ca(cert):
            return TrustEntry(cert, ROLES, True, source)
        raise ReportError(
            f"{source}: {holder}'s certificate names no role and is not a CA; give it as "
            "tester=FILE or witness=FILE, or in a trust file"
        )
    roles, ca = _KEYS[key]
    if ca and not is_ca(cert):
        raise ReportError(
            f"{source}: {holder}'s certificate is given as a CA but is not one "
            "(needs basicConstraints CA:TRUE and keyCertSign)"
        )
    return TrustEntry(cert, roles, ca, source)


def _toml(path: Path) -> list[TrustEntry]:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ReportError(f"cannot read trust file {path}: {exc}") from exc
    entries: list[TrustEntry] = []
    for key, value in doc.items():
        if key not in _KEYS:
            raise ReportError(f"trust file {path}: unknown key {key!r} (use {', '.join(_KEYS)})")
        files = [value] if isinstance(value, str) else value
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise ReportError(f"trust file {path}: {key} must be a list of certificate files")
        for name in files:
            cert_path = (path.parent / name) if not Path(name).is_absolute() else Path(name)
            for cert in _load_certs(cert_path):
                entries.append(_entry(cert, key, f"{path} ({key})"))
    if not entries:
        raise ReportError(f"trust file {path} names no certificate")
    return entries


def load_trust_file(trust: list[Path] | list[str] | str | Path | TrustFile | None) -> TrustFile:
    """Read ``--trust`` values: ``.toml`` trust files, and certificate files optionally prefixed
    ``tester=``, ``witness=``, ``ca=``, ``tester_ca=`` or ``witness_ca=``.

    :raises ReportError: an unreadable file, a file without certificates, a CA entry that is not
        a CA, or a certificate given without a role that names none.
    """
    if isinstance(trust, TrustFile):
        return trust
    if trust is None:
        return TrustFile()
    items = [trust] if isinstance(trust, (str, Path)) else list(trust)
    out = TrustFile()
    for item in items:
        text = str(item)
        key, sep, rest = text.partition("=")
        if sep and key in _KEYS:
            path: Path = Path(rest)
            role_key: str | None = key
        else:
            path, role_key = Path(text), None
        if role_key is None and path.suffix.lower() == ".toml":
            out.entries.extend(_toml(path))
            continue
        for cert in _load_certs(path):
            out.entries.append(_entry(cert, role_key, str(path)))
    return out


# -- judging one report's signatures ---------------------------------------------------------------
@dataclass
class SignerFacts:
    """What :func:`signature_problems` needs of one signature (filled by ``verify_pdf``)."""

    field_role: str  # the role of the field it signs ("" for a field a report does not have)
    cert: Any
    anchor: Any | None  # the CA pyHanko validated the chain to, None when untrusted
    embedded: list = field(default_factory=list)  # certificates carried in the signature
    signing_time: datetime | None = None
    time_source: str = "claimed by the signer"


def _crypto(cert) -> cx509.Certificate:
    return cx509.load_der_x509_certificate(cert.dump())


def _issued_by(cert, candidate) -> bool:
    """``candidate``'s key signed ``cert`` (and names match)."""
    if candidate.dump() == cert.dump() or candidate.subject != cert.issuer:
        return False
    try:
        _crypto(cert).verify_directly_issued_by(_crypto(candidate))
    except Exception as exc:  # noqa: BLE001 - cryptography raises several types for "not issued by"
        logging.getLogger(__name__).debug("not issued by the candidate: %s", exc)
        return False
    return True


def trusted_as(facts: SignerFacts, trust: TrustFile) -> tuple[bool, list[str]]:
    """``(trusted, problems)`` of one signature against the trust file."""
    role, cert = facts.field_role, facts.cert
    holder = certificate_holder(cert)
    problems: list[str] = []
    if not role:
        return False, problems
    pinned = trust.pinned_roles(cert)
    if pinned:
        if role in pinned:
            return True, problems
        problems.append(
            f"{holder}'s certificate signed as {role}, but the trust file names it as the "
            f"{' and '.join(sorted(pinned))}'s"
        )
        return False, problems
    if facts.anchor is not None:
        allowed = trust.ca_roles(facts.anchor)
        own = certificate_role(cert)
        if role in allowed and own in ("", role):
            return True, problems
        what = f"a {own} certificate" if own and own != role else "a certificate"
        problems.append(
            f"{holder}'s certificate signed as {role}: it is {what} issued under the CA "
            f"{certificate_holder(facts.anchor)}, which the trust file allows for "
            f"{' and '.join(sorted(allowed)) or 'no role'} only"
        )
    return False, problems


def chain_problems(facts: SignerFacts, known: list) -> list[str]:
    """A signing certificate issued by a certificate that is not a CA (a forged chain)."""
    cert = facts.cert
    holder = certificate_holder(cert)
    for candidate in known:
        if _issued_by(cert, candidate) and not is_ca(candidate):
            return [
                f"{holder}'s certificate is issued by {certificate_holder(candidate)}'s "
                "certificate, which is not a CA (no CA:TRUE with keyCertSign): a forged chain"
            ]
    return []


def key_problems(facts: list[SignerFacts], trust: TrustFile) -> list[str]:
    """A signature whose public key is the other role's (another signature's, or a certificate
    the trust file pins for the other role)."""
    problems: list[str] = []
    for f in facts:
        if f.field_role not in ROLES:
            continue
        key = f.cert.public_key.dump()
        other = next(r for r in ROLES if r != f.field_role)
        holder = certificate_holder(f.cert)
        theirs = [g for g in facts if g.field_role == other and g.cert.public_key.dump() == key]
        pinned = [c for k, c in trust.keys_of(other) if k == key]
        if theirs or pinned:
            whose = certificate_holder(theirs[0].cert if theirs else pinned[0])
            problems.append(
                f"the {f.field_role} certificate ({holder}) is over the {other}'s public key "
                f"({whose}): one key cannot sign as both"
            )
    return list(dict.fromkeys(problems))


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def time_problems(facts: SignerFacts, *, now: datetime | None = None) -> list[str]:
    """The signing time against the certificate's validity and the clock, and the certificate
    against the clock (not valid yet)."""
    now = now or datetime.now(UTC)
    cert = facts.cert
    holder = certificate_holder(cert)
    t = facts.signing_time
    if t is None:
        return [f"{holder}'s signature carries no signing time"]
    t = _aware(t)
    c = _crypto(cert)
    before, after = c.not_valid_before_utc, c.not_valid_after_utc
    when = f"signing time {t.isoformat()} ({facts.time_source})"
    out: list[str] = []
    if t < before:
        out.append(f"{when} is before {holder}'s certificate is valid (from {before.isoformat()})")
    if t > after:
        out.append(f"{when} is after {holder}'s certificate expired ({after.isoformat()})")
    if t > now + CLOCK_SKEW:
        out.append(f"{when} is in the future (this computer's clock: {now.isoformat()})")
    elif now < before:
        out.append(f"{holder}'s certificate is not valid yet (from {before.isoformat()})")
    return out


def lock_problems(facts: SignerFacts, locked_at: datetime) -> list[str]:
    """A signing time before the session was locked (signing locks the session first)."""
    t = facts.signing_time
    # a CMS signing time has whole seconds; the lock record has microseconds
    if t is None or _aware(t) >= _aware(locked_at).replace(microsecond=0):
        return []
    return [
        f"signing time {_aware(t).isoformat()} ({facts.time_source}) is before the session was "
        f"locked ({_aware(locked_at).isoformat()})"
    ]


def lock_time(signed: dict[str, str], db_path: str | Path | None) -> datetime | None:
    """When the signed session was locked, from the lock record of its audit chain in ``db_path``
    (None when there is no such session or lock)."""
    import sqlite3

    from bench_app.errors import BenchError
    from bench_app.paths import default_db_path
    from bench_app.store import Store
    from bench_app.store.base import from_iso

    db = Path(db_path) if db_path else default_db_path()
    uid, sid = signed.get("session_uid", ""), signed.get("session_id", "")
    try:
        with Store.open(db, readonly=True) as store:
            if uid:
                row = store.conn.execute("SELECT id FROM sessions WHERE uid = ?", (uid,)).fetchone()
            elif sid.isdigit():
                row = (int(sid),)
            else:
                row = None
            if row is None:
                return None
            lock = store.conn.execute(
                "SELECT at FROM audit WHERE session_id = ? AND action = 'lock' ORDER BY seq "
                "LIMIT 1", (row[0],)
            ).fetchone()  # fmt: skip
    except (BenchError, sqlite3.Error):
        return None
    return from_iso(lock[0]) if lock else None


def order_problems(facts: list[SignerFacts]) -> list[str]:
    """The witness signs after the tester."""
    times = {f.field_role: f.signing_time for f in facts if f.signing_time is not None}
    tester, witness = times.get("tester"), times.get("witness")
    if tester and witness and _aware(witness) < _aware(tester):
        return [
            f"the witness signed at {witness.isoformat()}, before the tester "
            f"({tester.isoformat()}): the tester signs first"
        ]
    return []
