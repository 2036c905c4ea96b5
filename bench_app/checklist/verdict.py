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
* Only a witnessed run can give a protocol approval its PASS: when every current run is a
  meter-side rehearsal (template ``run_kind = "rehearsal"``), the result is **INCOMPLETE** with
  the cause titled :data:`REHEARSAL_TITLE`.
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

from bench_app.checklist.template import Template, find_template, thaw
from bench_app.errors import BenchError
from bench_app.outcomes import Cause, CauseKind, Deviation, DeviationKind, Status, Verdict

STATUSES = tuple(s.value for s in Status)
#: How a session whose current runs are all meter-side rehearsals is titled (report and GUI).
REHEARSAL_TITLE = "Meter-side rehearsal — not a protocol approval"


def run_kind(run: dict | None) -> str:
    """``witnessed``, ``rehearsal`` or "" (a template of neither kind, or a run from before runs
    recorded their kind) — as frozen with the run when it started."""
    frozen = (run or {}).get("frozen")
    return str(frozen.get("run_kind") or "") if isinstance(frozen, dict) else ""


def rehearsal_only(runs: list[dict]) -> bool:
    """True when there are current runs and every one is a meter-side rehearsal (the bench
    collecting from the meter itself): such a session is never a protocol approval."""
    current = [r for r in runs if r.get("current", r.get("status") != "superseded")]
    return bool(current) and all(run_kind(r) == "rehearsal" for r in current)

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
    "Only a witnessed run (the HHDC's system observed and judged on its own evidence) can give a "
    "protocol approval its PASS: a session whose current runs are all meter-side rehearsals "
    "(the bench collecting from the meter itself) is INCOMPLETE, titled \"" + REHEARSAL_TITLE
    + "\".",
    "Every other departure is listed under Deviations with its kind and reference (manual "
    "overrides, figures of the limits table marked NOT CONFIRMED, dispensations, CoP "
    "departures, a certificate of another CoP issue, conditions "
    "that cannot be told, template overrides, imports of another serial accepted, other "
    "equipment warnings, incomplete collections no step used, export periods not compared); a "
    "PASS with deviations says so.",
)


@dataclass
class StepVerdict:
    """One template step as the result sees it (latest attempt of the current run).

    :param verdict: a :class:`~bench_app.outcomes.Verdict`.
    :param proposed: the bench's automatic verdict of the latest automatic attempt ("" if none).
    :param reason: why the step is not run / n/a (empty for pass/fail).
    """

    step_id: str
    title: str
    kind: str
    verdict: str = Verdict.NOT_RUN
    proposed: str = ""
    actual: str = ""
    reason: str = ""
    by: str = ""
    attempt: int = 0
    evidence: dict = field(default_factory=dict)
    #: the template gives a reason for n/a (or the bench proposed n/a): n/a then counts
    na_justified: bool = False


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
    """:func:`overall_result`'s answer: ``status`` and the typed ``causes`` behind it.

    ``steps`` are the steps of every current run (in run order), ``runs`` every run of the
    session, superseded ones included; ``run_id``/``template`` name the latest current run."""

    status: Status
    causes: list[Cause] = field(default_factory=list)
    steps: list[StepVerdict] = field(default_factory=list)
    deviations: list[Deviation] = field(default_factory=list)
    template: str = ""
    run_id: int | None = None
    runs: list[RunResult] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """The causes as sentences: failures first, then what keeps it incomplete, then notes."""
        return [c.text for c in self.causes]

    @property
    def rehearsal(self) -> bool:
        """Every current run is a meter-side rehearsal: titled :data:`REHEARSAL_TITLE`, never a
        protocol-approval PASS."""
        return rehearsal_only([{**r.run, "current": r.current} for r in self.runs])

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.steps:
            out[s.verdict] = out.get(s.verdict, 0) + 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "reasons": self.reasons}


@dataclass
class Facts:
    """Everything :func:`judge` decides on, gathered from the store by :func:`overall_result`
    (or built directly for synthetic report data)."""

    run: dict | None  #: the current run (``id``, ``template``, ``confirmations``…), None if none
    steps: list[StepVerdict] = field(default_factory=list)
    #: every run of the session with its steps (superseded ones too); when empty, ``run`` and
    #: ``steps`` are the one run judged
    runs: list[RunResult] = field(default_factory=list)
    #: equipment findings as dicts (code, severity, message, component)
    findings: list[dict] = field(default_factory=list)
    #: the finding codes that mean "not what was declared" (FAIL)
    mismatch_codes: frozenset = frozenset()
    #: deviations found elsewhere (the register's, accepted serials), listed as they are
    listed: list[Deviation] = field(default_factory=list)
    #: ``(source, ReconcileResult)`` of each reconciliation performed
    reconciliations: list[tuple[str, Any]] = field(default_factory=list)
    #: the session's collections whose read stopped early (``id``, ``reason``, ``meta``…)
    incomplete: list[dict] = field(default_factory=list)


def current_run(store: Any, session_id: int, template: str | None = None) -> dict | None:
    """The session's latest run that is not superseded (of ``template`` when given)."""
    runs = [
        r
        for r in store.checklist_runs(session_id)
        if r.get("status") != "superseded" and (template is None or r["template"] == template)
    ]
    return max(runs, key=lambda r: r["id"]) if runs else None


def _template(name: str, store: Any = None, session_id: int | None = None) -> Template | None:
    """The template by name, with the session's figures when a session is given."""
    try:
        tpl = find_template(name)
        if store is not None and session_id is not None:
            from bench_app.limits import session_limits

            tpl = tpl.resolved(session_limits(store, session_id))
        return tpl
    except BenchError:
        return None


def _limit_deviations(steps: list[StepVerdict]) -> list[Deviation]:
    """One deviation per figure of the limits table a step was judged by that is NOT CONFIRMED
    (the figures each attempt recorded in its evidence, with their notes)."""
    used: dict[str, tuple[dict, list[str]]] = {}
    for row in steps:
        for name, fig in (row.evidence.get("limits") or {}).items():
            if not fig.get("confirmed", True):
                used.setdefault(name, (fig, []))[1].append(row.step_id)
    out = []
    for name, (fig, step_ids) in sorted(used.items()):
        from bench_app.limits import value_text

        value = f"{value_text(fig.get('value'))} {fig.get('unit') or ''}".strip()
        text = (f"NOT CONFIRMED: {name} = {value} used by {', '.join(step_ids)}; "
                + "; ".join(fig.get("notes") or []))  # fmt: skip
        out.append(Deviation(DeviationKind.LIMIT_NOT_CONFIRMED, text, reference=name))
    return out


def _step_rows(store: Any, run: dict, tpl: Template | None, declared: Any = None
               ) -> list[StepVerdict]:  # fmt: skip
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
            row.verdict = Verdict(a.get("verdict") or Verdict.NOT_RUN)
            row.actual = a.get("actual") or ""
            row.by = a.get("by") or ""
            row.attempt = int(a.get("attempt") or 0)
            row.evidence = a.get("evidence") or {}
            row.proposed = proposed.get(sid, "")
            if row.verdict in (Verdict.NOT_RUN, Verdict.NA):
                row.reason = row.actual or ("not run" if row.verdict == Verdict.NOT_RUN else "n/a")
        row.na_justified = _na_justified(row, tpl, declared)
        rows.append(row)
    return rows


def _na_justified(row: StepVerdict, tpl: Template | None, declared=None) -> bool:
    """n/a counts only for the template's own reason, the bench's automatic protocol check or a
    "(where fitted)" capability declared not fitted — never when it is declared fitted."""
    step = next((s for s in tpl.steps if s.id == row.step_id), None) if tpl else None
    decl = declared.get(step.fitted) if (declared is not None and step and step.fitted) else None
    if decl is not None:
        return not decl.fitted
    if row.proposed == "na":
        return True
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


def overall_result(
    store: Any,
    session_id: int,
    template: str | None = None,
    *,
    reconciliations: list[tuple[str, Any]] | None = None,
) -> OverallResult:
    """Judge the session (see the module docstring for the rules).

    :param template: judge only the current run of this template (default: every run).
    :param reconciliations: the ``(source, result)`` comparisons when the caller has them
        already (:func:`reconciliations`), so a report does not compare twice.
    :raises bench_app.errors.NotFoundError: when the session does not exist.
    """
    store.get_session(session_id)
    from bench_app.capabilities import declared

    caps = declared(store, session_id)
    if template is not None:
        chosen = current_run(store, session_id, template)
        runs = [chosen] if chosen is not None else []
    else:
        runs = store.checklist_runs(session_id)
    facts = Facts(current_run(store, session_id, template))
    for run in runs:  # each run judged on the template frozen with it when it started
        tpl = thaw(run["frozen"]) if run.get("frozen") else _template(run["template"], store,
                                                                         session_id)  # fmt: skip
        rows = _step_rows(store, run, tpl, caps)
        facts.runs.append(RunResult(run, rows, run.get("status") != "superseded"))
    facts.findings, facts.mismatch_codes = _equipment(store, session_id)
    facts.listed = _register_deviations(store, session_id, facts.findings)
    facts.listed += _import_deviations(store, session_id)
    for run in runs:  # confirmations given with steps not run, per run
        facts.listed += _accepted_incomplete(store, session_id, run)
    facts.reconciliations = (
        _reconciliations(store, session_id) if reconciliations is None else reconciliations
    )
    facts.incomplete = _incomplete(store, session_id)
    return judge(facts)


def judge(facts: Facts) -> OverallResult:
    """The one overall-result rule (:data:`RULES`) applied to ``facts``; no store involved."""
    fails: list[Cause] = []
    incomplete: list[Cause] = []
    res = OverallResult(Status.INCOMPLETE)
    one = [RunResult(facts.run, list(facts.steps))] if facts.run is not None else []
    res.runs = list(facts.runs) or one
    if not any(r.current for r in res.runs):
        incomplete.append(Cause(CauseKind.INCOMPLETE, "no checklist run was recorded"))
    several = len(res.runs) > 1
    for result in res.runs:
        run = result.run
        prefix = f"run #{run.get('id')} ({run.get('template', '')}) " if several else ""
        if not result.current:  # run history: its failures still count, nothing else does
            why = run.get("superseded_reason") or run.get("reason") or "no reason recorded"
            for row in result.steps:
                if row.verdict == Verdict.FAIL:
                    fails.append(Cause(CauseKind.FAIL, f"{prefix}{row.step_id} failed (the run "
                                       f"was superseded: {why}; a failure stays a failure): "
                                       f"{row.actual}", row.step_id))  # fmt: skip
            continue
        res.run_id = run.get("id")
        res.template = f"{run.get('template', '')} {run.get('template_version', '')}".strip()
        res.steps += result.steps
        for row in result.steps:
            _judge_step(row, fails, incomplete, res.deviations, prefix)
        known = {d.text for d in res.deviations}
        res.deviations += [d for d in _limit_deviations(result.steps) if d.text not in known]
        roles = {c.get("role") for c in _confirmations(run)}
        missing = [r for r in ("tester", "witness") if r not in roles]
        if missing:
            text = f"run #{run.get('id')} not confirmed by the {' and '.join(missing)}"
            incomplete.append(Cause(CauseKind.INCOMPLETE, text))
    for f in facts.findings:
        if f.get("code") in facts.mismatch_codes:
            fails.append(Cause(CauseKind.FAIL, f"equipment check: {f.get('message')}"))
        elif f.get("code") == "condition-not-met":
            fails.append(Cause(CauseKind.FAIL, f"condition not met: {f.get('message')}"))
        elif f.get("severity") == "warning" and f.get("code") not in _LISTED_BY_REGISTER:
            res.deviations.append(Deviation(DeviationKind.EQUIPMENT, str(f.get("message")),
                                            reference=str(f.get("component") or "")))  # fmt: skip
    res.deviations += facts.listed
    used = {cid for row in res.steps for cid in row.evidence.get("collection_ids") or []}
    for source, rec in facts.reconciliations:
        used |= {rec.collection_a, rec.collection_b}
        what = f"reconciliation {source} #{rec.collection_a} vs bench #{rec.collection_b}"
        if rec.value_diffs or rec.flag_diffs or rec.missing_in_a:
            fails.append(Cause(CauseKind.FAIL,
                f"{what} disagrees: {rec.value_diffs} values and {rec.flag_diffs} flags differ, "
                f"{rec.missing_in_a} periods missing in the {source} export"))  # fmt: skip
        elif rec.missing_in_b or not rec.compared:
            res.deviations.append(
                Deviation(DeviationKind.RECONCILIATION, f"{what}: the bench read does not cover "
                          f"{rec.missing_in_b} of the export's periods (not compared)",
                          reference=f"collection #{rec.collection_a}")  # fmt: skip
            )
    for coll in facts.incomplete:
        text = f"collection #{coll['id']} ({_label(coll)}) is incomplete: {coll['reason']}"
        if coll["id"] in used:
            incomplete.append(Cause(CauseKind.INCOMPLETE,
                                    f"{text}; a step or the reconciliation used it — read it "
                                    "again"))  # fmt: skip
        else:
            res.deviations.append(Deviation(DeviationKind.INCOMPLETE_COLLECTION,
                                            f"{text} (no step used it)",
                                            reference=f"collection #{coll['id']}"))  # fmt: skip
    if res.rehearsal:
        incomplete.append(Cause(CauseKind.INCOMPLETE, f"{REHEARSAL_TITLE}: every current run is "
                                "the bench collecting from the meter itself; only a witnessed "
                                "run (the HHDC's system observed and judged on its own evidence) "
                                "can give a protocol approval its PASS"))  # fmt: skip
    res.status = Status.FAIL if fails else Status.INCOMPLETE if incomplete else Status.PASS
    res.causes = fails + incomplete
    if res.status == Status.PASS and res.deviations:
        kinds = ", ".join(sorted({str(d.kind) for d in res.deviations}))
        res.causes.append(Cause(CauseKind.NOTE, f"PASS with {len(res.deviations)} deviation(s) "
                                f"listed under Deviations: {kinds}"))  # fmt: skip
    return res


def _judge_step(
    row: StepVerdict,
    fails: list[Cause],
    incomplete: list[Cause],
    deviations: list[Deviation],
    prefix: str = "",
) -> None:
    """One step's contribution: a failure, a step not run, an unjustified n/a, an override
    (``prefix`` names the run when the session has several)."""
    sid = row.step_id
    if row.verdict == Verdict.FAIL:
        fails.append(Cause(CauseKind.FAIL, f"{prefix}{sid} failed: {row.actual}", sid))
    elif row.verdict == Verdict.NOT_RUN:
        incomplete.append(Cause(CauseKind.NOT_RUN, f"{prefix}{sid} not run: {row.reason}", sid))
    elif row.verdict == Verdict.NA and not row.na_justified:
        incomplete.append(Cause(CauseKind.INCOMPLETE, f"{prefix}{sid} n/a without the "
                                f"template's reason: {row.reason}", sid))  # fmt: skip
        deviations.append(Deviation(DeviationKind.NA, f"marked n/a by {row.by}: {row.reason}",
                                    step_id=sid, verdict=Verdict.NA, by=row.by))  # fmt: skip
    if row.proposed and row.proposed != row.verdict and row.attempt:
        deviations.append(
            Deviation(
                DeviationKind.OVERRIDE,
                f"bench proposed {row.proposed.upper()}, recorded {row.verdict.upper()} "
                f"by {row.by or 'unknown'}",
                step_id=sid,
                proposed=row.proposed,
                verdict=row.verdict,
                by=row.by,
                reason=row.actual,
            )
        )


def _confirmations(run: dict) -> list[dict]:
    conf = run.get("confirmations") or []
    return [c for c in conf if isinstance(c, dict)] if isinstance(conf, list) else []


#: Equipment findings :func:`bench_app.equipment.deviations.session_deviations` lists itself.
_LISTED_BY_REGISTER = frozenset({"certificate-wrong-issue", "condition-not-met"})


def _register_deviations(store: Any, session_id: int, findings: list[dict]) -> list[Deviation]:
    """Dispensations, CoP departures and issues, conditions, template overrides; a locked
    session's as recorded when it locked (:mod:`bench_app.equipment.snapshot`)."""
    from bench_app.equipment import snapshot
    from bench_app.equipment.deviations import session_deviations

    frozen = snapshot.stored(store, session_id)
    if frozen is not None:
        return [
            Deviation(DeviationKind(d["kind"]), str(d.get("text", "")),
                      step_id=str(d.get("step_id", "")), reference=str(d.get("reference", "")))
            for d in frozen.get("deviations") or []
        ]  # fmt: skip
    try:
        return session_deviations(store, session_id, findings)
    except BenchError as exc:
        return [Deviation(DeviationKind.ERROR, f"register deviations not listed: {exc}")]


def _import_deviations(store: Any, session_id: int) -> list[Deviation]:
    """Imports stored although their serial/MPAN differs (``--accept-serial``)."""
    out = []
    for coll in store.collections(session_id):
        for text in (coll.get("meta") or {}).get("deviations") or []:
            ref = f"collection #{coll['id']} {coll.get('source_file') or coll['source']}"
            what = "bench read" if coll["source"] == "bench" else f"{coll['source']} import"
            out.append(Deviation(DeviationKind.SERIAL_ACCEPTED, f"{what}: {text}",
                                 reference=ref.strip()))  # fmt: skip
    return out


def _accepted_incomplete(store: Any, session_id: int, run: dict | None) -> list[Deviation]:
    """Confirmations of the current run given with steps not run (``--accept-incomplete``)."""
    if run is None or not hasattr(store, "session_records"):
        return []
    record = store.session_records(session_id).get("accepted_incomplete") or {}
    return [
        Deviation(DeviationKind.INCOMPLETE_RUN,
                  f"run #{e.get('run_id')} confirmed by the {e.get('role')} {e.get('name')} "
                  f"with {len(e.get('steps') or [])} step(s) not run: "
                  f"{', '.join(e.get('steps') or [])}",
                  reference=f"run #{e.get('run_id')}", by=str(e.get("name") or ""))  # fmt: skip
        for e in record.get("entries") or []
        if e.get("run_id") == run.get("id")
    ]


def _incomplete(store: Any, session_id: int) -> list[dict]:
    """The session's collections whose read stopped early, if the store knows."""
    if not hasattr(store, "incomplete_collections"):
        return []
    return list(store.incomplete_collections(session_id))


def _label(coll: dict) -> str:
    meta = coll.get("meta") or {}
    return str(meta.get("label") or meta.get("step") or coll.get("source") or "")
