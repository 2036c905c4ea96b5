"""Conditions on certificates and approvals, and their evaluation for a session.

A condition is a short text; these forms are understood (case-blind, ``≥``/``>=`` alike,
``from v8.1.2 onwards`` means ``>= 8.1.2``):

* ``manufacturer software >= 8.1.2.19602`` / ``hhdc software >= 4.2`` — compared with the
  session's declared software (``bench-app session software``);
* ``application firmware >= 3.4`` (also metrology, communications) — the session's equipment
  firmware, else the firmware read from the meter;
* ``types P3E R3E`` (also ``only types P3E and R3E``) — the session's hardware version or model
  must name one of them.

Anything else is kept as free text and evaluates to *cannot tell* (a person must judge it).
Versions are compared numerically part by part (``8.1.10 > 8.1.9``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from bench_app.equipment import fields as F

MET, NOT_MET, UNKNOWN = "met", "not met", "cannot tell"
_OPS = {">=": (0, 1), ">": (1,), "<=": (-1, 0), "<": (-1,), "=": (0,), "==": (0,)}
_VERSIONED = re.compile(
    r"^(?:only\s+(?:with\s+)?)?(?P<subject>manufacturer|hhdc|metrology|application|communications)"
    r"(?:'s)?\s+(?P<what>software|firmware)(?:\s+version)?\s*"
    r"(?:(?P<op>>=|<=|==|=|>|<|≥|≤)\s*v?(?P<v1>\S+)|from\s+v?(?P<v2>\S+)\s+onwards)$",
    re.IGNORECASE,
)
_TYPES = re.compile(r"^(?:only\s+)?(?:types?|variants?)\s+(?P<list>.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Condition:
    """A parsed condition. ``kind``: ``software``, ``firmware``, ``types`` or ``text``."""

    text: str
    kind: str
    subject: str = ""
    op: str = ""
    value: str = ""
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConditionResult:
    """One condition evaluated for a session: ``status`` is met / not met / cannot tell."""

    text: str
    status: str
    detail: str
    owner: str = ""  #: what carries it, e.g. "certificate 3 (PRO CoP 5 Issue 6)"

    def to_json(self) -> dict:
        return asdict(self)


def parse_condition(text: str) -> Condition:
    """Parse a condition text (see the module docstring).

    :raises ValueError: empty text, or a version that has no number.
    """
    text = " ".join((text or "").split())
    if not text:
        raise ValueError("a condition needs a text")
    m = _VERSIONED.match(text)
    if m:
        op = {"≥": ">=", "≤": "<=", "==": "="}.get(m["op"] or ">=", m["op"] or ">=")
        value = m["v1"] or m["v2"]
        F.version_key(value)
        subject = m["subject"].lower()
        kind = "software" if subject in ("manufacturer", "hhdc") else "firmware"
        if (kind == "software") != (m["what"].lower() == "software"):
            return Condition(text, "text")
        return Condition(text, kind, subject, op, value)
    m = _TYPES.match(text)
    if m:
        values = tuple(v for v in re.split(r"[\s,;/]+|\band\b|\bor\b", m["list"]) if v.strip())
        if values:
            return Condition(text, "types", values=values)
    return Condition(text, "text")


def _compare(found: str, op: str, value: str) -> bool:
    return F.compare_versions(found, value) in _OPS[op]


def evaluate(cond: Condition, software: dict, equipment: dict, identity: dict) -> tuple[str, str]:
    """``(status, detail)`` of one condition against what the session declares."""
    if cond.kind == "software":
        field = "manufacturer_version" if cond.subject == "manufacturer" else "hhdc_version"
        found = str(software.get(field) or "").strip()
        who = "manufacturer" if cond.subject == "manufacturer" else "HHDC"
        if not found:
            return UNKNOWN, f"the session declares no {who} software version"
        try:
            ok = _compare(found, cond.op, cond.value)
        except ValueError:
            return UNKNOWN, f"{who} software version {found!r} cannot be compared"
        detail = f"{who} software version {found}, required {cond.op} {cond.value}"
        return (MET if ok else NOT_MET), detail
    if cond.kind == "firmware":
        fw = (equipment.get("firmware") or {}).get(cond.subject) or (
            identity.get("firmware") or {}
        ).get(cond.subject)
        if not fw:
            return UNKNOWN, f"no {cond.subject} firmware declared or read"
        try:
            ok = _compare(str(fw), cond.op, cond.value)
        except ValueError:
            return UNKNOWN, f"{cond.subject} firmware {fw!r} cannot be compared"
        detail = f"{cond.subject} firmware {fw}, required {cond.op} {cond.value}"
        return (MET if ok else NOT_MET), detail
    if cond.kind == "types":
        said = " ".join(str(equipment.get(k) or "") for k in ("hardware_version", "model"))
        if not said.strip():
            return UNKNOWN, "the session declares no hardware version or model"
        words = {w.casefold() for w in re.split(r"[\s,;/]+", said) if w}
        hit = [v for v in cond.values if v.casefold() in words]
        if hit:
            return MET, f"the session's equipment is {', '.join(hit)}"
        return NOT_MET, f"the session's equipment ({said.strip()}) is none of " + ", ".join(
            cond.values
        )
    return UNKNOWN, "free-text condition: a person must judge it"


def session_conditions(
    reg: Any, store: Any, session_id: int, certificate_ids: list[int], approval_ids: list[int],
    identity: dict | None = None,
) -> list[ConditionResult]:
    """Evaluate the conditions of the given certificates and approvals for a session."""
    software = store.software(session_id) or {}
    equipment = store.equipment(session_id) or {}
    owners = {("certificate", c["id"]): c for c in reg.certificates() if c["id"] in certificate_ids}
    owners.update({("approval", a["id"]): a for a in reg.approvals() if a["id"] in approval_ids})
    out: list[ConditionResult] = []
    for c in reg.conditions():
        rec = owners.get((c["target"], c["target_id"]))
        if rec is None:
            continue
        if c["target"] == "certificate":
            owner = (f"certificate {rec['id']} ({rec['outstation_type']} "
                     f"{F.cop_text(rec['cop'], rec['cop_issue'])})")  # fmt: skip
        else:
            owner = f"approval {rec['id']} ({rec['combination']} for {rec['hhdc_mpid']})"
        status, detail = evaluate(parse_condition(c["text"]), software, equipment, identity or {})
        out.append(ConditionResult(c["text"], status, detail, owner))
    return out
