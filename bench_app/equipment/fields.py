"""Field rules of the equipment register: normalising and validating codes, CoPs, dates, MPIDs.

Every checker takes the raw text and returns the normal form or raises :class:`ValueError` with a
short reason (the caller adds where: ``file:line`` for CSV, the field for the CLI/GUI).
"""

from __future__ import annotations

import re
from datetime import date

from bench_app.cops import _COP_ISSUE, cop_ref, cop_ref_lenient, cop_text  # noqa: F401

#: The register kinds (CLI names) → table.
KINDS = {
    "types": "eq_types",
    "combos": "eq_combinations",
    "certs": "eq_certificates",
    "approvals": "eq_approvals",
    "applications": "eq_applications",
}
FIRMWARE_PARTS = ("metrology", "application", "communications")
CERT_STATUSES = ("issued", "removed")
APPROVAL_STATUSES = ("approved", "removed")
ASKS = ("compliance", "protocol-approval", "both")
_ASK_ALIASES = {
    "compliance": "compliance",
    "cop-compliance": "compliance",
    "protocol-approval": "protocol-approval",
    "protocol": "protocol-approval",
    "approval": "protocol-approval",
    "both": "both",
    "compliance+protocol-approval": "both",
}

_TYPE = re.compile(r"^[A-Z0-9]{3}$")
_MPID = re.compile(r"^[A-Z0-9]{4}$")
_COP = re.compile(r"^(?:cop)?\s*0*(1[01]|[1-9])$", re.IGNORECASE)


def type_code(text: str) -> str:
    """Valid Outstation Type code: exactly 3 letters/digits, upper-cased (``"pro"`` → ``"PRO"``)."""
    code = (text or "").strip().upper()
    if not _TYPE.match(code):
        raise ValueError(f"outstation type {text!r} must be 3 letters or digits (e.g. PRO)")
    return code


def cop(text: str) -> str:
    """Code of Practice number 1–11 as text: ``"CoP5"``, ``"cop 5"``, ``"5"`` → ``"5"``."""
    m = _COP.match((text or "").strip())
    if not m:
        if _COP_ISSUE.match(" ".join((text or "").split())):
            raise ValueError(f"give the Code of Practice number only here, not {text!r} (issues "
                             "belong to sessions, templates and certificates)")  # fmt: skip
        raise ValueError(f"Code of Practice {text!r} is not 1–11 (e.g. 5 or CoP5)")
    return m.group(1)


def cops(items) -> list[str]:
    """A list of CoPs (text with ``;``/``,`` separators, or an iterable), normalised, unique,
    in numeric order."""
    if isinstance(items, str):
        items = [p for p in re.split(r"[;,]", items) if p.strip()]
    return sorted({cop(str(c)) for c in items}, key=int)


def iso_date(text: str, *, required: bool = False) -> str:
    """``YYYY-MM-DD`` (checked as a calendar date); empty stays empty unless ``required``."""
    text = (text or "").strip()
    if not text:
        if required:
            raise ValueError("a date (YYYY-MM-DD) is required")
        return ""
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"date {text!r} is not YYYY-MM-DD") from None


def year(text: str | int | None) -> int | None:
    """Approval year 1990–2100; empty → None."""
    if text is None or str(text).strip() == "":
        return None
    try:
        value = int(str(text).strip())
    except ValueError:
        raise ValueError(f"year {text!r} is not a number") from None
    if not 1990 <= value <= 2100:
        raise ValueError(f"year {value} is outside 1990–2100")
    return value


def mpid(text: str, *, required: bool = False) -> str:
    """Market Participant ID: 4 letters/digits, upper-cased; empty allowed unless ``required``."""
    value = (text or "").strip().upper()
    if not value:
        if required:
            raise ValueError("an HHDC MPID (4 letters, e.g. UKDC) is required")
        return ""
    if not _MPID.match(value):
        raise ValueError(f"MPID {text!r} must be 4 letters or digits (e.g. UKDC)")
    return value


def asks(text: str) -> str:
    """What an application asks for: ``compliance``, ``protocol-approval`` or ``both``."""
    key = re.sub(r"[\s_]+", "-", (text or "").strip().lower())
    if key not in _ASK_ALIASES:
        raise ValueError(f"'asks' {text!r} must be one of {', '.join(ASKS)}")
    return _ASK_ALIASES[key]


def status(text: str, allowed: tuple[str, ...]) -> str:
    value = (text or "").strip().lower() or allowed[0]
    if value not in allowed:
        raise ValueError(f"status {text!r} must be one of {', '.join(allowed)}")
    return value


def names(text) -> list[str]:
    """Model names/variants: ``;``-separated text or an iterable → stripped, non-empty, unique."""
    items = text.split(";") if isinstance(text, str) else list(text or [])
    out: list[str] = []
    for item in items:
        item = str(item).strip()
        if item and item not in out:
            out.append(item)
    return out


def required(text: str | None, what: str) -> str:
    value = (text or "").strip()
    if not value:
        raise ValueError(f"{what} is required")
    return value


# -- approval records: CoP Issues, scopes, device roles, versions ---------------------------------
#: Approval / certificate scope: the HHDC collecting for SVA settlement, for the CDCA (CVA), or
#: as an asset-metering HHDC (CoP 11).
SCOPES = ("sva-hhdc", "cva-cdca", "asset-hhdc")
_SCOPE_ALIASES = {
    "sva": "sva-hhdc", "sva-hhdc": "sva-hhdc", "hhdc": "sva-hhdc",
    "cva": "cva-cdca", "cdca": "cva-cdca", "cva-cdca": "cva-cdca",
    "asset": "asset-hhdc", "amhhdc": "asset-hhdc", "asset-hhdc": "asset-hhdc",
}  # fmt: skip
#: Device roles in a device model combination (SMETS1 DMC terms; ``outstation`` for HH meters).
ROLES = ("outstation", "ESME", "GSME", "CH", "PPMID", "IHD")
#: Consumer display roles: a display that takes firmware upgrades is a PPMID, never an IHD.
CONSUMER_DISPLAYS = ("PPMID", "IHD")


def scopes(items) -> list[str]:
    """Scopes (``;``/``,`` text or an iterable) → unique names from :data:`SCOPES`."""
    if isinstance(items, str):
        items = [p for p in re.split(r"[;,]", items) if p.strip()]
    out: list[str] = []
    for item in items or []:
        key = re.sub(r"[\s_/]+", "-", str(item).strip().lower())
        if key not in _SCOPE_ALIASES:
            raise ValueError(f"scope {item!r} must be one of {', '.join(SCOPES)}")
        if _SCOPE_ALIASES[key] not in out:
            out.append(_SCOPE_ALIASES[key])
    return out


def role(text: str) -> str:
    """Device role, case-blind: ``esme`` → ``ESME``; ``meter``/empty → ``outstation``."""
    value = (text or "").strip()
    if value.lower() in ("", "meter", "outstation"):
        return "outstation"
    for r in ROLES:
        if r.lower() == value.lower():
            return r
    raise ValueError(f"device role {text!r} must be one of {', '.join(ROLES)}")


def version_key(text: str) -> tuple[int, ...]:
    """Numeric version key: ``"v8.1.2.19602"`` → ``(8, 1, 2, 19602)``.

    :raises ValueError: no number in the text (such a version cannot be compared).
    """
    parts = re.findall(r"\d+", text or "")
    if not parts:
        raise ValueError(f"version {text!r} has no number to compare")
    return tuple(int(p) for p in parts)


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as version ``a`` is older, equal or newer than ``b`` (missing parts are 0)."""
    ka, kb = version_key(a), version_key(b)
    n = max(len(ka), len(kb))
    ka, kb = ka + (0,) * (n - len(ka)), kb + (0,) * (n - len(kb))
    return (ka > kb) - (ka < kb)


#: What an amendment of an existing approval changes.
AMENDMENTS = ("firmware", "hhdc-software", "variant")


# -- regimes, the DCC's lists and equivalence assessment ---------------------------------------
#: ``bsc``: an outstation type under BSCP601 and the CoPs (certificates, protocol approvals, a
#: Valid Outstation Type code). ``smets``: a SMETS device model under the DCC's regime (PPCL/EPCL,
#: device model combinations) — exempt from BSCP601 protocol approval and CoP 10 compliance
#: testing, so it carries no BSCP601 certificate or approval.
REGIMES = ("bsc", "smets")
#: Fuel of a device model combination (SMETS): dual fuel, or one fuel only.
FUELS = ("", "dual", "electricity", "gas")
#: The DCC's path of a hardware variant, in order: the manufacturer's assurance of no material
#: difference (firmware, hardware, configuration) → the DCC's assessment ("judged substantively
#: equivalent") → proposed for the Eligible Product Combinations List → eligible. Only an
#: assessment (and what follows it) makes the variant count as covered.
EQUIVALENCE_STATUSES = ("assurance", "assessed", "proposed", "eligible", "removed")
EQUIVALENCE_COVERED = ("assessed", "proposed", "eligible")
#: Evidence an assessment rests on: its own (``independent``: the assessor's review, tests) —
#: a manufacturer's statement alone is the assurance, not an assessment.
EVIDENCE_KINDS = ("independent", "manufacturer", "unstated")
#: The DCC's lists: Pending and Eligible Product Combinations Lists.
DCC_LISTS = ("ppcl", "epcl")
DCC_LIST_TITLES = {"ppcl": "Pending Product Combinations List",
                   "epcl": "Eligible Product Combinations List"}  # fmt: skip
#: Testing stage of a combination: System Integration Testing, Device Model Combination Testing.
DCC_STAGES = ("", "SIT", "DMCT")
DCC_STATUSES = ("selected for testing", "in testing", "being assessed",
                "pending migration testing", "proposed for EPCL", "eligible",
                "withdrawn")  # fmt: skip
#: Testing Issue Resolution outcomes.
TIR_OUTCOMES = ("open", "documented-behaviour", "workaround", "firmware-fix")
APPLICATION_DECISIONS = ("pending", "granted", "refused")


def regime(text: str | None) -> str:
    """``bsc`` (default) or ``smets``, case-blind; ``dcc``/``smets1``/``smets2`` read as smets."""
    value = (text or "").strip().lower()
    if value in ("", "bsc", "bscp601", "cop"):
        return "bsc"
    if value in ("smets", "smets1", "smets2", "dcc"):
        return "smets"
    raise ValueError(f"regime {text!r} must be one of {', '.join(REGIMES)}")


def choice(text: str | None, allowed: tuple[str, ...], what: str) -> str:
    """``text`` (stripped; lower-cased unless ``allowed`` has capitals) if it is in ``allowed``."""
    value = (text or "").strip()
    for a in allowed:
        if a.lower() == value.lower():
            return a
    shown = ", ".join(a or "(empty)" for a in allowed)
    raise ValueError(f"{what} {text!r} must be one of {shown}")


def flag(text) -> bool:
    """yes/no, true/false, 1/0 (empty = no)."""
    value = str(text if text is not None else "").strip().lower()
    if value in ("", "0", "no", "n", "false"):
        return False
    if value in ("1", "yes", "y", "true"):
        return True
    raise ValueError(f"{text!r} is not yes or no")


def major_pattern(text: str | None) -> str:
    """A regular expression whose first group is a firmware version's *major iteration*
    (e.g. ``(\\d+\\.\\d+)`` reads ``E-8.0.12`` as ``8.0``); empty = the whole version."""
    value = (text or "").strip()
    if value:
        try:
            rx = re.compile(value)
        except re.error as exc:
            raise ValueError(f"major-iteration pattern {value!r} is not a regular expression: "
                             f"{exc}") from None
        if rx.groups < 1:
            raise ValueError(f"major-iteration pattern {value!r} needs one (group) for the "
                             "major iteration")
    return value


def major(version: str, pattern: str) -> str:
    """The major iteration of ``version`` under the manufacturer's declared ``pattern`` (the
    whole version when no pattern is declared or it does not match)."""
    version = (version or "").strip()
    if pattern:
        m = re.search(pattern, version)
        if m and m.group(1):
            return m.group(1)
    return version


def registrability(cop: str) -> str:
    """Where equipment compliant with this CoP can be registered: CoPs 1, 2, 3 and 5 — CMRS
    (CVA) and SMRS (SVA); CoPs 6–10 — SMRS only; CoP 11 (asset metering) — neither."""
    if cop in ("1", "2", "3", "5"):
        return "CMRS and SMRS"
    if cop in ("6", "7", "8", "9", "10"):
        return "SMRS"
    return "not for settlement registration"
