"""Checklist action ``asset_meter_declared`` (step AM-0 of the CoP 11 asset-metering script).

The CoP 11 script's header names an HHDC *and* an Asset Metering HHDC (AMHHDC), each with its
Market Participant ID, and the asset meter's capability fields: internal clock fitted, HH storage
capability, any storage capability, instantaneous power output, energy-flow direction capability
(:data:`bench_app.capabilities.ASSET_METER_FIELDS`). The step quotes what is recorded; anything
missing leaves it not run with what to record — never a pass by omission.
"""

from __future__ import annotations

import re

from bench_app.capabilities import ASSET_METER_FIELDS, CAPABILITIES, declared
from bench_app.checklist.context import ActionContext, ActionResult, action

_MPID = re.compile(r"^[A-Z]{4}$")


def _participant(ctx: ActionContext, role: str) -> dict | None:
    found = [p for p in ctx.store.participants(ctx.session_id) if p.get("role") == role]
    if not found and role == "hhdc":  # the HHDC recorded with session set hhdc
        sw = ctx.store.software(ctx.session_id) or {}
        if sw.get("hhdc_name"):
            return {"name": sw["hhdc_name"], "mpid": sw.get("hhdc_mpid") or ""}
    return found[-1] if found else None


@action("asset_meter_declared")
def asset_meter_declared(ctx: ActionContext) -> ActionResult:
    """AM-0: HHDC and AMHHDC with MPIDs, and every asset-meter field declared."""
    missing, lines = [], []
    for role, label in (("hhdc", "HHDC"), ("amhhdc", "AMHHDC")):
        p = _participant(ctx, role)
        mpid = str((p or {}).get("mpid") or "")
        if p is None or not _MPID.match(mpid):
            missing.append(f"the {label} with its MPID (bench-app session set ID participant "
                           f"--role {role} --name NAME --mpid XXXX)")  # fmt: skip
        else:
            lines.append(f"{label} {p['name']} ({mpid})")
    decl = declared(ctx.store, ctx.session_id, ctx.meter_description)
    ctx.evidence["declaration"] = decl.to_json()
    for name in ASSET_METER_FIELDS:
        d = decl.get(name)
        if d is None:
            missing.append(f"{name} ({CAPABILITIES[name]}) — bench-app session set ID "
                           f"capabilities {name}=yes|no")  # fmt: skip
        else:
            lines.append(d.quote())
    if missing:
        return ActionResult("not run: record " + "; ".join(missing)
                            + (f" (recorded: {'; '.join(lines)})" if lines else ""),
                            "not-run", ctx.evidence)  # fmt: skip
    return ActionResult("; ".join(lines), "pass", ctx.evidence)
