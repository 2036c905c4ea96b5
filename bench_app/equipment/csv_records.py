"""CSV columns and row handling of the approval-record kinds (merged into
:mod:`bench_app.equipment.csvio`, which does the reading, checking and reporting of bad rows).

Kinds: ``devices`` (of a combination), ``conditions`` (on a certificate or approval, by register
id as ``list`` shows it), ``dispensations`` (BSCP32), ``equivalences`` (proposed/assessed),
``base`` (dated installed-base snapshot rows) and ``upgrades`` (plan moves). Lists are
``;``-separated; dates are YYYY-MM-DD.
"""

from __future__ import annotations

import json

from bench_app.equipment import fields as F

COLUMNS: dict[str, tuple[str, ...]] = {
    "devices": ("combination", "role", "model", "hardware_version", "hardware_revision",
                "firmware", "factory_config", "notes"),
    "conditions": ("target", "target_id", "text"),
    "dispensations": ("reference", "session", "step_id", "cop", "scope", "expiry", "text",
                      "status", "removed_date", "removed_reason"),
    "equivalences": ("combination", "tested", "status", "assessed_by", "assessed_date",
                     "evidence"),
    "base": ("snapshot", "snapshot_date", "combination", "active", "dormant"),
    "upgrades": ("plan", "planned_date", "from", "to", "count"),
}  # fmt: skip
REQUIRED: dict[str, tuple[str, ...]] = {
    "devices": ("combination", "role", "model", "firmware"),
    "conditions": ("target", "target_id", "text"),
    "dispensations": ("reference",),
    "equivalences": ("combination", "tested"),
    "base": ("snapshot", "snapshot_date", "combination"),
    "upgrades": ("plan", "from", "to", "count"),
}
#: Columns added to the register's first kinds (optional on import, written on export).
EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "combos": ("solution_release",),
    "certs": ("scope",),
    "approvals": ("scope",),
    "applications": ("amends", "amendment"),
}


def _int(text: str, what: str) -> int:
    if not text.strip().isdigit():
        raise ValueError(f"{what} {text!r} is not a whole number")
    return int(text)


def store_row(reg, kind: str, r: dict[str, str]) -> int:
    """Add or update one entry of an approval-record kind from a CSV row; returns its id."""
    if kind == "devices":
        return reg.add_device(r["combination"], r["role"], r["model"], r["hardware_version"],
                              r["hardware_revision"], r["firmware"], r["factory_config"],
                              r["notes"], replace=True)  # fmt: skip
    if kind == "conditions":
        return reg.add_condition(r["target"], _int(r["target_id"], "target_id"), r["text"])
    if kind == "dispensations":
        sid = _int(r["session"], "session") if r["session"] else None
        did = reg.add_dispensation(r["reference"], session_id=sid, step_id=r["step_id"],
                                   cop=r["cop"], scope=r["scope"], expiry=r["expiry"],
                                   text=r["text"], replace=True)  # fmt: skip
        status = F.status(r["status"], ("granted", "removed"))
        if status == "removed":
            reg.remove_dispensation(did, r["removed_date"], r["removed_reason"])
        return did
    if kind == "equivalences":
        status = F.status(r["status"], ("proposed", "assessed", "removed"))
        if status == "assessed":
            return reg.assess_equivalent(r["combination"], r["tested"], r["assessed_by"],
                                         r["assessed_date"], r["evidence"])  # fmt: skip
        eid = reg.propose_equivalent(r["combination"], r["tested"])
        if status == "removed":
            reg.remove_equivalence(eid)
        return eid
    if kind == "base":
        return reg.add_base_count(r["snapshot"], r["snapshot_date"], r["combination"],
                                  r["active"], r["dormant"], replace=True)  # fmt: skip
    return reg.add_upgrade(r["plan"], r["planned_date"], r["from"], r["to"], r["count"],
                           replace=True)  # fmt: skip


def rows(reg, kind: str) -> list[dict]:
    """Register rows of an approval-record kind, keyed by :data:`COLUMNS` names."""
    if kind == "devices":
        return reg.devices()
    if kind == "conditions":
        return reg.conditions()
    if kind == "dispensations":
        return [{**d, "session": d["session_id"]} for d in reg.dispensations()]
    if kind == "equivalences":
        return reg.equivalences()
    if kind == "base":
        return reg.base_counts()
    return reg.upgrades()


def extra_values(reg, kind: str, row: dict) -> dict:
    """Values of :data:`EXTRA_COLUMNS` for an exported row of the first kinds."""
    if kind == "combos":
        return {"solution_release": reg.solution_release(row["key"])}
    if kind in ("certs", "approvals"):
        scope = row.get("scope") or []
        return {"scope": ";".join(scope if isinstance(scope, list) else json.loads(scope))}
    if kind == "applications":
        return {"amends": row.get("amends") or "", "amendment": row.get("amendment") or ""}
    return {}
