"""Checklist action ``equipment_matches_application`` (step EQ-1 of the BSCP601 templates).

Reads the identity from the meter (stored as the step's ``evidence["identity"]``, so the report
and later checks see it) and runs :func:`bench_app.equipment.check_session` on it. Proposed
verdict: ``fail`` when the meter or the session's equipment differs from the application's
declared combination (firmware, outstation type, serial); ``not-run`` when nothing was declared
to compare with; else ``pass``. Certificate and approval warnings do not fail the step but are
listed in the actual result and in ``evidence["findings"]``.
"""

from __future__ import annotations

from bench_app.checklist.context import ActionContext, ActionResult, action
from bench_app.equipment.checks import check_session


@action("equipment_matches_application")
def equipment_matches_application(ctx: ActionContext) -> ActionResult:
    """EQ-1: the outstation under test is the declared combination."""
    with ctx.meter("identity") as meter:  # read by the acquisition: a simulator is marked
        ident = ctx.acquisition(meter).read_identity()
    identity = ident.to_json()
    ctx.evidence["identity"] = identity
    findings = check_session(ctx.store, ctx.session_id, identity=identity)
    ctx.evidence["findings"] = [f.to_json() for f in findings]
    fw = ", ".join(f"{k} {v}" for k, v in sorted((identity.get("firmware") or {}).items()))
    read = (
        f"meter {identity.get('serial') or '?'}, type {identity.get('outstation_type') or '?'}, "
        f"firmware {fw or 'not reported'}"
    )
    warnings = [f for f in findings if f.severity == "warning"]
    mismatches = [f for f in warnings if f.is_mismatch]
    others = [f for f in warnings if not f.is_mismatch]
    tail = ("; also: " + "; ".join(f.message for f in others)) if others else ""
    if mismatches:
        text = "; ".join(f"WARNING {f.message}" for f in mismatches)
        return ActionResult(f"{read}: {text}{tail}", "fail", ctx.evidence)
    if any(f.code == "no-declaration" for f in findings):
        return ActionResult(
            f"{read}; nothing declared to compare with — link the session to its application "
            "(bench-app equipment applications) or record the equipment, then run EQ-1 again",
            "not-run",
            ctx.evidence,
        )
    return ActionResult(f"{read}: matches the declaration{tail}", "pass", ctx.evidence)
