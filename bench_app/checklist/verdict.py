"""The overall result of a session — one function, used by the report, the CLI, the demo and GUI.

Rules (printed in the report by :data:`RULES`):

* Every checklist run of the session counts. A run is set aside only as *superseded* (a later run
  names it, or :meth:`~bench_app.store.Store.supersede_run` recorded the reason); it stays in the
  report as run history, and a failed step in it still gives **FAIL**.
* **PASS** only when every step of every current run has a verdict of ``pass`` (or
  ``na`` with the template's own reason, or recorded automatically because the protocol cannot do
  the step), the run is confirmed by tester and witness, the equipment check found no mismatch and
  every reconciliation performed agrees.
* Any step ``fail`` (also one a metering dispensation covers: a dispensation explains a failure,
  it never turns it into a pass), an equipment mismatch (serial, type, firmware, declaration), a
  condition of the approval or certificate that is not met, or a reconciliation that disagrees →
  **FAIL**.
* Otherwise any step not run (never attempted, skipped, ended at a prompt), ``na`` without the
  template's reason, a collection a step used (or the reconciliation compared) whose read stopped
  early, an unconfirmed run or no checklist run at all → **INCOMPLETE**.
* Every other departure is listed as a **deviation** (kind, reference, text) next to the result —
  manual overrides of the bench's proposed verdict, dispensations, CoP departures, a certificate
  of another CoP issue, conditions that cannot be told, a template run on a session it does not
  serve, imports accepted despite another serial (``--accept-serial``), other equipment warnings
  (certificates missing or removed), incomplete collections no step used and export periods no
  bench read covered. A PASS with deviations says so in its reasons: never a silent PASS.

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
    "PASS only when every step of every current checklist run has a verdict of pass (or n/a for "
    "the template's own reason), each run is confirmed by the tester and the witness, the "
    "equipment check found no mismatch and every reconciliation performed agrees.",
    "Every run of the session counts: a run is set aside only as superseded, with a recorded "
    "reason, and stays in the report as run history; a step that failed in it still gives FAIL.",
    "Any step that failed (also one a metering dispensation covers: a dispensation never turns "
    "a FAIL into a PASS), an equipment mismatch, an approval or certificate condition that is "
    "not met or a reconciliation that disagrees gives FAIL.",
    "Otherwise any step not run, a collection a step used whose read stopped early (incomplete), "
    "an unconfirmed run or no run gives INCOMPLETE.",
    "Every other departure is listed under Deviations with its kind and reference (manual "
    "overrides, dispensations, CoP departures, a certificate of another CoP issue, conditions "
    "that cannot be told, template overrides, imports of another serial accepted, other "
    "equipment warnings, incomplete collections no step used, export periods not compared); a "
    "PASS with deviations says so.",
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
    """A departure the witness must see, in the report's one Deviations section.

    ``kind``: ``override`` | ``na`` | ``equipment`` | ``reconciliation`` | ``serial-accepted`` |
    ``incomplete-collection`` | the kinds of :func:`bench_app.equipment.deviations.
    session_deviations` (``dispensation``, ``dispensation-expired``, ``cop-departure``,
    ``cop-issue``, ``condition``, ``template-override``) | ``error``. ``reference`` is what the
    deviation is about or covered by (step, dispensation reference, CoP, collection…).
    """

    kind: str
    step_id: str
    text: str
    proposed: str = ""
    verdict: str = ""
    by: str = ""
    reason: str = ""
    reference: str = ""

    def to_json(self) -> dict[str, str]:
        """``{"kind", "reference", "text"}`` as the report and the CLI print it."""
        text = self.text + (f"; reason: {self.reason}" if self.reason else "")
        return {"kind": self.kind, "reference": self.reference or self.step_id, "text": text}


@dataclass
class RunResult:
    """One checklist run of the session as the result sees it: the run (as
    :meth:`~bench_app.store.Store.checklist_runs` gives it), its step rows, and whether it
    counts as current (``False``: superseded, with the recorded reason, kept as run history)."""

    run: dict
    steps: list[StepVerdict] = field(default_factory=list)
    current: bool = True


@dataclass
class OverallResult:
    """:func:`overall_result`'s answer. ``status`` is one of :data:`STATUSES`.

    ``steps`` are the steps of every current run (in run order), ``runs`` every run of the
    session, superseded ones included; ``run_id``/``template`` name the latest current run."""

    status: str
    reasons: list[str] = field(default_factory=list)
    steps: list[StepVerdict] = field(default_factory=list)
    deviations: list[Deviation] = field(default_factory=list)
    template: str = ""
    run_id: int | None = None
    runs: list[RunResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.steps:
            out[s.verdict] = out.get(s.verdict, 0) + 1
        return out

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def current_runs(store: Any, session_id: int) -> list[dict]:
    """Every run of the session that is not superseded, oldest first."""
    return [r for r in store.checklist_runs(session_id) if r.get("status") != "superseded"]


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
    from bench_app.equipment import snapshot
    from bench_app.equipment.checks import MISMATCH_CODES, check_session  # import cost: lazily

    frozen = snapshot.stored(store, session_id)
    if frozen is not None:  # a locked session: the register as it was when it locked
        return list(frozen.get("findings") or []), MISMATCH_CODES
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
    fails: list[str] = []
    incomplete: list[str] = []
    res = OverallResult("INCOMPLETE")
    if template is not None:
        chosen = current_run(store, session_id, template)
        runs = [chosen] if chosen is not None else []
    else:
        runs = store.checklist_runs(session_id)
    if not [r for r in runs if r.get("status") != "superseded"]:
        incomplete.append("no checklist run was recorded")
    several = len(runs) > 1
    for run in runs:
        current = run.get("status") != "superseded"
        tpl = _template(run["template"])
        rows = _step_rows(store, run, tpl)
        res.runs.append(RunResult(run, rows, current))
        prefix = f"run #{run['id']} ({run['template']}) " if several else ""
        if not current:  # run history: its failures still count, nothing else does
            why = run.get("superseded_reason") or run.get("reason") or "no reason"
            for row in rows:
                if row.verdict == "fail":
                    fails.append(f"{prefix}{row.step_id} failed (run superseded: {why}; a "
                                 f"failure stays a failure): {row.actual}")  # fmt: skip
            continue
        res.run_id, res.template = run["id"], f"{run['template']} {run['template_version']}"
        res.steps += rows
        _judge_run(run, rows, tpl, prefix, fails, incomplete, res)
    findings, mismatch = _equipment(store, session_id)
    for f in findings:
        if f.get("code") in mismatch:
            fails.append(f"equipment check: {f.get('message')}")
        elif f.get("code") == "condition-not-met":
            fails.append(f"condition not met: {f.get('message')}")
        elif f.get("severity") == "warning" and f.get("code") not in _LISTED_BY_REGISTER:
            res.deviations.append(Deviation("equipment", "", str(f.get("message")),
                                            reference=str(f.get("component") or "")))  # fmt: skip
    res.deviations += _register_deviations(store, session_id, findings)
    res.deviations += _import_deviations(store, session_id)
    used = {cid for row in res.steps for cid in row.evidence.get("collection_ids") or []}
    for source, rec in _reconciliations(store, session_id):
        used |= {rec.collection_a, rec.collection_b}
        what = f"reconciliation {source} #{rec.collection_a} vs bench #{rec.collection_b}"
        if rec.value_diffs or rec.flag_diffs or rec.missing_in_a:
            fails.append(
                f"{what} disagrees: {rec.value_diffs} values and {rec.flag_diffs} flags differ, "
                f"{rec.missing_in_a} periods missing in the {source} export"
            )
        elif rec.missing_in_b or not rec.compared:
            res.deviations.append(
                Deviation("reconciliation", "", f"{what}: the bench read does not cover "
                          f"{rec.missing_in_b} of the export's periods (not compared)",
                          reference=f"collection #{rec.collection_a}")  # fmt: skip
            )
    for coll in _incomplete(store, session_id):
        text = f"collection #{coll['id']} ({_label(coll)}) is incomplete: {coll['reason']}"
        if coll["id"] in used:
            incomplete.append(f"{text}; a step or the reconciliation used it — read it again")
        else:
            ref = f"collection #{coll['id']}"
            res.deviations.append(
                Deviation("incomplete-collection", "", f"{text} (no step used it)", reference=ref)
            )
    res.status = "FAIL" if fails else "INCOMPLETE" if incomplete else "PASS"
    res.reasons = fails + incomplete
    if res.status == "PASS" and res.deviations:
        res.reasons.append(
            f"PASS with {len(res.deviations)} deviation(s) listed under Deviations: "
            + ", ".join(sorted({d.kind for d in res.deviations}))
        )
    return res


def _judge_run(
    run: dict,
    rows: list[StepVerdict],
    tpl: Template | None,
    prefix: str,
    fails: list[str],
    incomplete: list[str],
    res: OverallResult,
) -> None:
    """Add one current run's failures, gaps and deviations (``prefix`` names the run when the
    session has several)."""
    for row in rows:
        if row.verdict == "fail":
            fails.append(f"{prefix}{row.step_id} failed: {row.actual}")
        elif row.verdict == "not-run":
            incomplete.append(f"{prefix}{row.step_id} not run: {row.reason}")
        elif row.verdict == "na" and not _na_justified(row, tpl):
            incomplete.append(
                f"{prefix}{row.step_id} n/a without the template's reason: {row.reason}"
            )
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


#: Equipment findings :func:`bench_app.equipment.deviations.session_deviations` lists itself.
_LISTED_BY_REGISTER = frozenset({"certificate-wrong-issue", "condition-not-met"})


def _register_deviations(store: Any, session_id: int, findings: list[dict]) -> list[Deviation]:
    """Dispensations, CoP departures and issues, conditions, template overrides (issue 18)."""
    from bench_app.equipment import snapshot
    from bench_app.equipment.deviations import Deviation as RegisterDeviation
    from bench_app.equipment.deviations import session_deviations

    frozen = snapshot.stored(store, session_id)
    try:
        found = (
            [RegisterDeviation(**d) for d in frozen.get("deviations") or []]
            if frozen is not None
            else session_deviations(store, session_id, findings)
        )
    except BenchError as exc:
        return [Deviation("error", "", f"register deviations not listed: {exc}")]
    out = []
    for d in found:
        step = ""
        if d.kind.startswith("dispensation"):
            step = d.text.removeprefix("step ").split(" ", 1)[0]
        out.append(Deviation(d.kind, step, d.text, reference=d.reference))
    return out


def _import_deviations(store: Any, session_id: int) -> list[Deviation]:
    """Imports stored although their serial/MPAN differs (``--accept-serial``, issue 19)."""
    out = []
    for coll in store.collections(session_id):
        for text in (coll.get("meta") or {}).get("deviations") or []:
            ref = f"collection #{coll['id']} {coll.get('source_file') or coll['source']}"
            out.append(Deviation("serial-accepted", "", f"{coll['source']} import: {text}",
                                 reference=ref.strip()))  # fmt: skip
    return out


def _incomplete(store: Any, session_id: int) -> list[dict]:
    """The session's collections whose read stopped early (issue 16), if the store knows."""
    if not hasattr(store, "incomplete_collections"):
        return []
    return list(store.incomplete_collections(session_id))


def _label(coll: dict) -> str:
    meta = coll.get("meta") or {}
    return str(meta.get("label") or meta.get("step") or coll.get("source") or "")
