"""CSV columns and row handling of the approval-record kinds (merged into
:mod:`bench_app.equipment.csvio`, which does the reading, checking and reporting of bad rows).

Kinds: ``devices`` (of a combination), ``conditions`` (on a certificate or approval, by register
id as ``list`` shows it), ``dispensations`` (BSCP32), ``equivalences`` (assurance → assessed →
proposed → eligible), ``base`` (dated installed-base snapshot rows), ``upgrades`` (plan
moves), ``dcc`` (PPCL/EPCL entries) and ``tirs`` (Testing Issue Resolution records). Lists are
``;``-separated; dates are YYYY-MM-DD.
"""

from __future__ import annotations

import json

from bench_app.equipment import fields as F

COLUMNS: dict[str, tuple[str, ...]] = {
    "devices": ("combination", "role", "model", "hardware_version", "hardware_revision",
                "firmware", "factory_config", "notes", "manufacturer", "upgradable", "smso",
                "wan_provider"),
    "conditions": ("target", "target_id", "text"),
    "dispensations": ("reference", "session", "step_id", "cop", "scope", "expiry", "text",
                      "status", "removed_date", "removed_reason", "msid", "site",
                      "outstation_type"),
    "equivalences": ("combination", "tested", "status", "assurance", "assessed_by",
                     "assessed_date", "evidence", "evidence_kind", "proposed_date",
                     "eligible_date"),
    "base": ("snapshot", "snapshot_date", "combination", "active", "dormant"),
    "upgrades": ("plan", "planned_date", "from", "to", "count"),
    "dcc": ("combination", "list", "stage", "status", "since", "notes"),
    "tirs": ("reference", "title", "outcome", "combinations", "detail", "fixed_firmware",
             "raised_date"),
}  # fmt: skip
REQUIRED: dict[str, tuple[str, ...]] = {
    "devices": ("combination", "role", "model", "firmware"),
    "conditions": ("target", "target_id", "text"),
    "dispensations": ("reference",),
    "equivalences": ("combination", "tested"),
    "base": ("snapshot", "snapshot_date", "combination"),
    "upgrades": ("plan", "from", "to", "count"),
    "dcc": ("combination", "list", "status"),
    "tirs": ("reference", "title"),
}
#: Columns added to the register's first kinds (optional on import, written on export).
EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "types": ("regime", "major_pattern"),
    "combos": ("solution_release", "fuel"),
    "certs": ("scope",),
    "approvals": ("scope",),
    "applications": ("amends", "amendment", "decision", "decision_date"),
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
                              r["notes"], manufacturer=r["manufacturer"],
                              upgradable=r["upgradable"], smso=r["smso"],
                              wan_provider=r["wan_provider"], replace=True)  # fmt: skip
    if kind == "conditions":
        return reg.add_condition(r["target"], _int(r["target_id"], "target_id"), r["text"])
    if kind == "dispensations":
        sid = _int(r["session"], "session") if r["session"] else None
        did = reg.add_dispensation(r["reference"], session_id=sid, step_id=r["step_id"],
                                   cop=r["cop"], scope=r["scope"], expiry=r["expiry"],
                                   text=r["text"], msid=r["msid"], site=r["site"],
                                   outstation_type=r["outstation_type"],
                                   replace=True)  # fmt: skip
        status = F.status(r["status"], ("granted", "removed"))
        if status == "removed":
            reg.remove_dispensation(did, r["removed_date"], r["removed_reason"])
        return did
    if kind == "equivalences":
        return store_equivalence(reg, r)
    if kind == "base":
        return reg.add_base_count(r["snapshot"], r["snapshot_date"], r["combination"],
                                  r["active"], r["dormant"], replace=True)  # fmt: skip
    if kind == "dcc":
        return reg.set_dcc_entry(r["combination"], r["list"], r["status"], r["stage"],
                                 r["since"], r["notes"])  # fmt: skip
    if kind == "tirs":
        combos = [k.strip() for k in r["combinations"].split(";") if k.strip()]
        return reg.add_tir(r["reference"], r["title"], r["outcome"] or "open", combos,
                           r["detail"], r["fixed_firmware"], r["raised_date"],
                           replace=True)  # fmt: skip
    return reg.add_upgrade(r["plan"], r["planned_date"], r["from"], r["to"], r["count"],
                           replace=True)  # fmt: skip


def store_equivalence(reg, r: dict[str, str]) -> int:
    """One equivalence row, walked through the DCC's order up to its status (an ``assessed``
    row needs its assurance, assessor, date and evidence of its own)."""
    status = F.status(r["status"], F.EQUIVALENCE_STATUSES)
    eid = reg.record_assurance(r["combination"], r["tested"], r["assurance"])
    if status in F.EQUIVALENCE_COVERED:
        reg.assess_equivalent(r["combination"], r["tested"], r["assessed_by"],
                              r["assessed_date"], r["evidence"],
                              r["evidence_kind"] or "independent")  # fmt: skip
    for step, on in (("proposed", r["proposed_date"]), ("eligible", r["eligible_date"])):
        if F.EQUIVALENCE_STATUSES.index(status) >= F.EQUIVALENCE_STATUSES.index(step) and \
                status != "removed":
            reg.advance_equivalence(r["combination"], r["tested"], step, on)
    if status == "removed":
        reg.remove_equivalence(eid)
    return eid


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
    if kind == "dcc":
        return reg.dcc_entries()
    if kind == "tirs":
        return [{**t, "combinations": ";".join(t["combinations"])} for t in reg.tirs()]
    return reg.upgrades()


def extra_values(reg, kind: str, row: dict) -> dict:
    """Values of :data:`EXTRA_COLUMNS` for an exported row of the first kinds."""
    if kind == "types":
        return {"regime": row.get("regime") or "bsc", "major_pattern": row.get("major_pattern")}
    if kind == "combos":
        combo = reg.combination(row["key"])
        return {"solution_release": combo.solution_release, "fuel": combo.fuel}
    if kind in ("certs", "approvals"):
        scope = row.get("scope") or []
        return {"scope": ";".join(scope if isinstance(scope, list) else json.loads(scope))}
    if kind == "applications":
        return {"amends": row.get("amends") or "", "amendment": row.get("amendment") or "",
                "decision": row.get("decision") or "pending",
                "decision_date": row.get("decision_date") or ""}
    return {}
