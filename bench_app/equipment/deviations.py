"""A session's deviations: what departs from the Codes of Practice or from the approval records,
with the reference that covers it (or that nothing does).

:func:`session_deviations` returns :class:`bench_app.outcomes.Deviation` objects of these kinds:

* ``dispensation`` — a failed checklist step covered by a recorded BSCP32 metering dispensation.
  The step **stays FAIL**: a dispensation explains a failure, it never turns it into a pass;
* ``dispensation-expired`` — a failed step whose dispensation expired before the session date
  (or was withdrawn);
* ``cop-departure`` — a CoP departure covered by a dispensation (the session's CoPs);
* ``cop-issue`` — the session's CoP issue is not what the certificates in the register are for;
* ``condition`` — a condition of a certificate/approval the session relies on is not met
  (``condition-unknown``: it cannot be told from what the session declares);
* ``template-override`` — a checklist template was run on a session it does not serve.

The report shows them in their own section (:mod:`bench_app.report.deviations`).
"""

from __future__ import annotations

from typing import Any

from bench_app.equipment import fields as F
from bench_app.equipment.records import Register
from bench_app.outcomes import Deviation, DeviationKind


def _failed_steps(store: Any, session_id: int) -> list[tuple[str, str]]:
    """(template, step id) of each step whose latest attempt is ``fail``, in every run (a
    superseded run's failure still counts, so a dispensation may cover it)."""
    out = []
    for run in store.checklist_runs(session_id):
        for res in store.step_results(run["id"], latest_only=True):
            if res.get("verdict") == "fail":
                out.append((str(run.get("template", "")), str(res["step_id"])))
    return out


def _dispensation_text(d: dict) -> str:
    bits = [f"scope: {d['scope']}" if d["scope"] else "", f"expires {d['expiry']}"
            if d["expiry"] else "no expiry", d["text"]]  # fmt: skip
    return "; ".join(b for b in bits if b)


def _reaches(d: dict, outstation_type: str, site: str) -> bool:
    """A session-less BSCP32 grant applies to the session: generic for the session's outstation
    type, for the session's site (its location), or with no reach recorded. A grant for one
    Metering System does not reach a bench session, which names none."""
    if d.get("msid"):
        return False
    if d.get("site"):
        return d["site"].casefold() == site
    if d.get("outstation_type"):
        return d["outstation_type"] == outstation_type
    return True


def session_deviations(
    store: Any, session_id: int, findings: list[dict] | None = None
) -> list[Deviation]:
    """The deviations of ``session_id`` (see the module docstring).

    :param findings: :func:`~bench_app.equipment.check_session` findings as dicts, when the
        caller already has them (computed otherwise).
    """
    from bench_app.equipment.checks import check_session

    session = store.get_session(session_id)
    reg = Register(store)
    when = str(session.get("date") or "")
    if findings is None:
        findings = [f.to_json() for f in check_session(store, session_id)]
    disps = reg.dispensations(session_id)
    locked_at = str(session.get("locked_at") or "")
    if locked_at:  # a locked session's deviations do not change with later register entries
        disps = [d for d in disps if d["session_id"] == session_id or d["created_at"] <= locked_at]
    out: list[Deviation] = []
    for template, step in _failed_steps(store, session_id):
        mine = [d for d in disps if d["session_id"] == session_id and d["step_id"] == step]
        valid = [
            d for d in mine
            if d["status"] == "granted" and (not d["expiry"] or not when or d["expiry"] >= when)
        ]  # fmt: skip
        for d in valid:
            out.append(Deviation(DeviationKind.DISPENSATION,
                                 f"step {step} ({template}) FAILED; the failure is covered by "
                                 f"metering dispensation {d['reference']} (BSCP32; "
                                 f"{_dispensation_text(d)}). The step remains FAIL.",
                                 step_id=step, reference=d["reference"]))  # fmt: skip
        for d in mine:
            if d not in valid:
                why = (f"was withdrawn on {d['removed_date']}" if d["status"] != "granted"
                       else f"expired on {d['expiry']}")  # fmt: skip
                out.append(Deviation(DeviationKind.DISPENSATION_EXPIRED,
                                     f"step {step} ({template}) FAILED; dispensation "
                                     f"{d['reference']} {why} and does not cover it.",
                                     step_id=step, reference=d["reference"]))  # fmt: skip
    cops = {c[0] for c in (F.cop_ref_lenient(str(x)) for x in session.get("cops") or []) if c}
    eq_type = str((store.equipment(session_id) or {}).get("outstation_type") or "").upper()
    site = str(session.get("location") or "").strip().casefold()
    for d in disps:
        if d["cop"] and d["status"] == "granted" and (
            d["session_id"] == session_id or (d["cop"] in cops and _reaches(d, eq_type, site))
        ):
            expired = bool(d["expiry"] and when and d["expiry"] < when)
            text = (f"departure from CoP {d['cop']} under metering dispensation "
                    f"{d['reference']} (BSCP32, granted for {reg.grant_reach(d)}; "
                    f"{_dispensation_text(d)})")  # fmt: skip
            if expired:
                text += " — EXPIRED before the session date"
            out.append(Deviation(DeviationKind.COP_DEPARTURE, text, reference=d["reference"]))
    for f in findings:
        if f.get("code") == "certificate-wrong-issue":
            out.append(Deviation(DeviationKind.COP_ISSUE, str(f["message"]),
                                 reference=str(f.get("component", ""))))  # fmt: skip
        elif f.get("code") in ("condition-not-met", "condition-unknown"):
            out.append(Deviation(DeviationKind.CONDITION, str(f["message"]),
                                 reference=str(f.get("declared", ""))))  # fmt: skip
    for o in reg.template_overrides(session_id):
        text = (f"template {o['template']} was run although it does not serve this session "
                f"(override by {o['by'] or 'unnamed'}: {o['reason']})")  # fmt: skip
        out.append(Deviation(DeviationKind.TEMPLATE_OVERRIDE, text, reference=o["template"]))
    return out
