"""The overall result of a session — one function, used by the report, the CLI, the demo and GUI.

Rules (printed in the report by :data:`RULES`):

* **PASS** only when every step of the session's template has a current verdict of ``pass`` (or
  ``na`` with the template's own reason, or recorded automatically because the protocol cannot do
  the step), the run is confirmed by tester and witness, the equipment check found no mismatch and
  every reconciliation performed agrees.
* Any step ``fail``, an equipment mismatch (serial, type, firmware, declaration) or a
  reconciliation that disagrees → **FAIL**.
* Otherwise any step not run (never attempted, skipped, ended at a prompt), ``na`` without the
  template's reason, an unconfirmed run or no checklist run at all → **INCOMPLETE**.
* Other equipment warnings (certificates missing or removed), manual overrides of the bench's
  proposed verdict and export periods no bench read covered are listed as **deviations** next to
  the result; they never pass silently.

>>> res = overall_result(store, session_id)
>>> res.status, res.reasons[:1], [r.step_id for r in res.steps][:2]
('INCOMPLETE', ['DR1-1 not run: …'], ['DR1-1', 'DR1-2'])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bench_app.checklist.template import Template, find_template
from bench_app.errors import BenchError

STATUSES = ("PASS", "FAIL", "INCOMPLETE")

#: The rules as the report states them (one sentence each).
RULES = (
    "PASS only when every step of the template has a current verdict of pass (or n/a for the "
    "template's own reason), the run is confirmed by the tester and the witness, the equipment "
    "check found no mismatch and every reconciliation performed agrees.",
    "Any step that failed, an equipment mismatch or a reconciliation that disagrees gives FAIL.",
    "Otherwise any step not run, an unconfirmed run or no run gives INCOMPLETE.",
    "Manual overrides of the bench's proposed verdict and equipment warnings are listed as "
    "deviations.",
)

@dataclass
class StepVerdict:
    """One template step as the result sees it (latest attempt of the current run).

    :param verdict: ``pass`` | ``fail`` | ``na`` | ``not-run``.
    :param proposed: the bench's automatic verdict of the latest automatic attempt ("" if none).
    :param reason: why the step is not run / n/a (empty for pass/fail).
    """

    step_id: str
    title: str
    kind: str
    verdict: str = "not-run"
    proposed: str = ""
    actual: str = ""
    reason: str = ""
    by: str = ""
    attempt: int = 0
    evidence: dict = field(default_factory=dict)


@dataclass
class Deviation:
    """A departure the witness must see: a manual override or an equipment warning."""

    kind: str  #: "override" | "equipment" | "reconciliation" | "na"
    step_id: str
    text: str
    proposed: str = ""
    verdict: str = ""
    by: str = ""
    reason: str = ""


@dataclass
class OverallResult:
    """:func:`overall_result`'s answer. ``status`` is one of :data:`STATUSES`."""

    status: str
    reasons: list[str] = field(default_factory=list)
    steps: list[StepVerdict] = field(default_factory=list)
    deviations: list[Deviation] = field(default_factory=list)
    template: str = ""
    run_id: int | None = None

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.steps:
            out[s.verdict] = out.get(s.verdict, 0) + 1
        return out

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def current_run(store: Any, session_id: int, template: str | None = None) -> dict | None:
    """The session's latest run that is not superseded (of ``template`` when given)."""
    runs = [
        r
        for r in store.checklist_runs(session_id)
        if r.get("status") != "superseded" and (template is None or r["template"] == template)
    ]
    return max(runs, key=lambda r: r["id"]) if runs else None


def _template(name: str) -> Template | None:
    try:
        return find_template(name)
    except BenchError:
        return None


def _step_rows(store: Any, run: dict, tpl: Template | None) -> list[StepVerdict]:
    attempts = store.step_results(run["id"], latest_only=False)
    latest: dict[str, dict] = {}
    proposed: dict[str, str] = {}
    for a in attempts:
        latest[a["step_id"]] = a
        if a.get("proposed_verdict"):
            proposed[a["step_id"]] = a["proposed_verdict"]
    ids = [s.id for s in tpl.steps] if tpl else list(latest)
    ids += [i for i in latest if i not in ids]  # recorded steps the template no longer has
    rows = []
    for sid in ids:
        step = next((s for s in tpl.steps if s.id == sid), None) if tpl else None
        a = latest.get(sid)
        row = StepVerdict(sid, step.title if step else sid, step.kind if step else "")
        if a is None:
            row.reason = "never attempted"
        else:
            row.verdict = a.get("verdict") or "not-run"
            row.actual = a.get("actual") or ""
            row.by = a.get("by") or ""
            row.attempt = int(a.get("attempt") or 0)
            row.evidence = a.get("evidence") or {}
            row.proposed = proposed.get(sid, "")
            if row.verdict in ("not-run", "na"):
                row.reason = row.actual or ("not run" if row.verdict == "not-run" else "n/a")
        rows.append(row)
    return rows


def _na_justified(row: StepVerdict, tpl: Template | None) -> bool:
    """n/a counts only for the template's own reason or the bench's automatic protocol check."""
    if row.proposed == "na":
        return True
    step = next((s for s in tpl.steps if s.id == row.step_id), None) if tpl else None
    return bool(step and step.na_reason)


def _equipment(store: Any, session_id: int) -> tuple[list[dict], frozenset]:
    """The equipment findings and the codes that mean "not what was declared" (fail)."""
    from bench_app.equipment.checks import MISMATCH_CODES, check_session  # import cost: lazily

    try:
        return [f.to_json() for f in check_session(store, session_id)], MISMATCH_CODES
    except BenchError:
        return [], MISMATCH_CODES


def _reconciliations(store: Any, session_id: int) -> list[tuple[str, Any]]:
    from bench_app.reconcile import reference_comparison

    out = []
    for source in ("hhdc", "manufacturer"):
        try:
            res = reference_comparison(store, session_id, source)
        except BenchError:
            res = None
        if res is not None:
            out.append((source, res))
    return out


def overall_result(store: Any, session_id: int, template: str | None = None) -> OverallResult:
    """Judge the session (see the module docstring for the rules).

    :param template: judge the current run of this template (default: the latest run).
    :raises bench_app.errors.NotFoundError: when the session does not exist.
    """
    store.get_session(session_id)
    run = current_run(store, session_id, template)
    fails: list[str] = []
    incomplete: list[str] = []
    res = OverallResult("INCOMPLETE")
    if run is None:
        incomplete.append("no checklist run was recorded")
    else:
        res.run_id, res.template = run["id"], f"{run['template']} {run['template_version']}"
        tpl = _template(run["template"])
        res.steps = _step_rows(store, run, tpl)
        for row in res.steps:
            if row.verdict == "fail":
                fails.append(f"{row.step_id} failed: {row.actual}")
            elif row.verdict == "not-run":
                incomplete.append(f"{row.step_id} not run: {row.reason}")
            elif row.verdict == "na" and not _na_justified(row, tpl):
                incomplete.append(f"{row.step_id} n/a without the template's reason: {row.reason}")
                res.deviations.append(
                    Deviation(
                        "na",
                        row.step_id,
                        f"marked n/a by {row.by}: {row.reason}",
                        verdict="na",
                        by=row.by,
                    )  # fmt: skip
                )
            if row.proposed and row.proposed != row.verdict and row.attempt:
                res.deviations.append(
                    Deviation(
                        "override",
                        row.step_id,
                        f"bench proposed {row.proposed.upper()}, recorded {row.verdict.upper()} "
                        f"by {row.by or 'unknown'}",
                        proposed=row.proposed,
                        verdict=row.verdict,
                        by=row.by,
                        reason=row.actual,
                    )
                )
        roles = {c.get("role") for c in run.get("confirmations") or []}
        missing = [r for r in ("tester", "witness") if r not in roles]
        if missing:
            incomplete.append(f"run #{run['id']} not confirmed by the {' and '.join(missing)}")
    findings, mismatch = _equipment(store, session_id)
    for f in findings:
        if f.get("code") in mismatch:
            fails.append(f"equipment check: {f.get('message')}")
        elif f.get("severity") == "warning":
            res.deviations.append(Deviation("equipment", "", str(f.get("message"))))
    for source, rec in _reconciliations(store, session_id):
        what = f"reconciliation {source} #{rec.collection_a} vs bench #{rec.collection_b}"
        if rec.value_diffs or rec.flag_diffs or rec.missing_in_a:
            fails.append(
                f"{what} disagrees: {rec.value_diffs} values and {rec.flag_diffs} flags differ, "
                f"{rec.missing_in_a} periods missing in the {source} export"
            )
        elif rec.missing_in_b or not rec.compared:
            res.deviations.append(
                Deviation("reconciliation", "", f"{what}: the bench read does not cover "
                          f"{rec.missing_in_b} of the export's periods (not compared)")  # fmt: skip
            )
    res.status = "FAIL" if fails else "INCOMPLETE" if incomplete else "PASS"
    res.reasons = fails + incomplete
    return res
