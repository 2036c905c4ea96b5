"""The checklist engine: walks a session through a template, step by step, recording every attempt.

>>> engine = ChecklistEngine(store, session_id, find_template("bscp601-protocol-cop1-2-3-5-10"),
...                          meter_factory, control=sim.control, protocol="dlms", password="…")
>>> engine.run_all()                 # automatic + stimulus steps run; manual ones prompt or wait
>>> engine.record("CC-06", actual="four levels seen in M-Cubed", verdict="pass", by="A. Tester")
>>> engine.confirm("tester", "A. Tester"); engine.confirm("witness", "B. Witness")

A run belongs to (session, template, template version). The engine reuses the session's open run of
the template, starting one when there is none; re-running a step appends an attempt (earlier
attempts are kept by the store). A confirmed run refuses every edit; :meth:`supersede` starts a new
run that replaces it, with a reason.

Verdicts: ``pass``, ``fail``, ``na`` (the protocol cannot do the step — the reason is the actual
result) and ``not-run`` (nobody/no meter to do it yet, or the step could not be completed).
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench_app.checklist.context import ActionContext, MeterFactory, Prompt, StepAborted
from bench_app.checklist.registry import load_actions
from bench_app.checklist.running import step_running
from bench_app.checklist.simtime import BenchTime, Progress
from bench_app.checklist.template import Step, Template, freeze
from bench_app.equipment.approvals import check_template_serves
from bench_app.errors import SessionLockedError, UsageError
from bench_app.outcomes import VERDICTS
from drivers.errors import DriverError

PROTOCOLS = ("dlms", "iec21")
#: What each protocol's driver can do (``requires`` entries other than protocol names).
DEFAULT_CAPABILITIES: dict[str, set[str]] = {
    "dlms": {"profile", "events", "set_clock", "password", "registers", "identity"},
    "iec21": {"profile", "events", "set_clock", "password", "registers", "identity"},
}


@dataclass
class StepOutcome:
    """What one attempt recorded."""

    step_id: str
    kind: str
    actual: str
    verdict: str
    evidence: dict = field(default_factory=dict)
    result_id: int | None = None


class ChecklistEngine:
    """Run a template's steps for one session and record the results in the store.

    :param meter_factory: ``factory(**ConnectOptions overrides) -> MeterDriver`` (not connected);
        None when no meter is attached (automatic steps are then ``not-run``).
    :param control: bench control of a simulator (duck-typed ``drivers.sim.control.BenchControl``);
        None on a real meter (stimulus steps then prompt the tester).
    :param prompt: ``prompt(message) -> answer``; None when nobody is at the bench (``--auto``).
    :param protocol: ``"dlms"`` or ``"iec21"``; steps whose ``requires`` it cannot meet are ``na``.
    :param password: the Level 2 password in use (redacted from stored traces).
    :param by: who runs the bench (recorded with every result).
    :param capabilities: overrides :data:`DEFAULT_CAPABILITIES` for the protocol.
    :param progress: ``progress(remaining_s, message)`` while a step waits for a settlement
        period to close on a real meter (on a simulator, time is advanced instead).
    :param simulated: the meter is a simulated outstation; default: True with bench control,
        else not known. Stored with every collection, trace and clock observation of a step.
    :param time_source: :class:`bench_app.timesource.TimeSource` measured with every clock
        reading (the PC's offset is stored with it and corrects the reference); None: the PC.
    :param hhdc: the HHDC's system under test when the bench drives it (a simulated HHDC,
        :class:`bench_app.checklist.hhdc_evidence.HhdcAgent`); witnessed steps otherwise ask the
        tester or judge the HHDC evidence already stored for the step.
    """

    def __init__(
        self,
        store: Any,
        session_id: int,
        template: Template,
        meter_factory: MeterFactory | None = None,
        control: Any | None = None,
        prompt: Prompt | None = None,
        *,
        protocol: str = "",
        password: str | None = None,
        by: str = "bench",
        capabilities: set[str] | None = None,
        now: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] | None = None,
        progress: Progress | None = None,
        meter: str = "",
        simulated: bool | None = None,
        time_source: Any = None,
        hhdc: Any = None,
    ) -> None:
        self.store = store
        self.simulated = simulated if simulated is not None else (True if control else None)
        #: meter description named for the run (levels and SAPs; "" = the session's)
        self.meter = meter
        #: the HHDC's system when the bench drives it (a simulated HHDC); None otherwise
        self.hhdc = hhdc
        self.session_id = session_id
        store.get_session(session_id)  # NotFoundError early
        from bench_app.limits import session_limits

        #: the template with the session's figures from the limits table (CoP issues)
        self.template = template.resolved(session_limits(store, session_id))
        self.meter_factory = meter_factory
        self.control = control
        self.prompt = prompt
        self.protocol = protocol
        self.password = password
        self.by = by
        self.capabilities = (
            set(capabilities)
            if capabilities is not None
            else set(DEFAULT_CAPABILITIES.get(protocol, set()))
        )
        self.sleep = sleep or time.sleep
        #: reference time; simulated (bench control ``advance``) on a simulator
        self.bench_time = BenchTime(now, control, self.sleep, progress, time_source)
        self.now = self.bench_time.now
        self._run_id: int | None = None

    # -- runs ------------------------------------------------------------------------------------
    def current_run(self) -> dict | None:
        """The latest run of this template in the session that is not superseded, or None."""
        runs = [
            r
            for r in self.store.checklist_runs(self.session_id)
            if r["template"] == self.template.name and r["status"] != "superseded"
        ]
        return runs[-1] if runs else None

    @property
    def run_id(self) -> int:
        """The open run's id (a new run is started, recording the template version, if none)."""
        if self._run_id is None:
            run = self.current_run()
            if run is None:
                check_template_serves(self.store, self.session_id, self.template)
                self._run_id = self.store.start_checklist_run(
                    self.session_id, self.template.name, self.template.version,
                    frozen=freeze(self.template),
                )
            else:
                self._run_id = run["id"]
        return self._run_id

    def _check_open(self) -> int:
        run_id = self.run_id
        run = next(r for r in self.store.checklist_runs(self.session_id) if r["id"] == run_id)
        if run["status"] == "confirmed":
            who = ", ".join(
                f"{c.get('role')} {c.get('name')}" for c in run.get("confirmations") or []
            )
            raise SessionLockedError(
                f"checklist run {run_id} ({self.template.name}) was confirmed ({who}); it cannot "
                "be edited — supersede it with a reason"
            )
        if run["template_version"] != self.template.version:
            raise UsageError(
                f"checklist run {run_id} used {self.template.name} version "
                f"{run['template_version']}, the template is now {self.template.version}; "
                "supersede the run with a reason to use the new version"
            )
        return run_id

    def supersede(self, reason: str) -> int:
        """Start a new run replacing the current one (confirmed or not); returns its id."""
        if not reason.strip():
            raise UsageError("superseding a checklist run needs a reason")
        old = self.current_run()
        self._run_id = self.store.start_checklist_run(
            self.session_id,
            self.template.name,
            self.template.version,
            supersedes=old["id"] if old else None,
            reason=reason,
            frozen=freeze(self.template),
        )
        return self._run_id

    def steps_not_run(self) -> list[str]:
        """Steps of the template whose latest attempt in the open run is not-run (or none)."""
        latest = {r["step_id"]: r for r in self.store.step_results(self.run_id, latest_only=True)}
        return [
            s.id
            for s in self.template.steps
            if (latest.get(s.id) or {}).get("verdict", "not-run") == "not-run"
        ]

    def confirm(self, role: str, name: str, *, accept_incomplete: bool = False) -> None:
        """Sign off the run as ``tester`` or ``witness``; after both it is read-only.

        :param accept_incomplete: confirm although steps were not run; recorded (session record
            ``accepted_incomplete``) and listed as a deviation. Without it such a run is refused.
        :raises UsageError: unknown role, no name, the same person in both roles, or steps not
            run without ``accept_incomplete``.
        """
        if role not in ("tester", "witness"):
            raise UsageError(f"role must be tester or witness, not {role!r}")
        if not name.strip():
            raise UsageError("a confirmation needs the person's name")
        run = self.current_run()
        for c in (run or {}).get("confirmations") or []:
            if c.get("role") != role and str(c.get("name", "")).strip().casefold() == (
                name.strip().casefold()
            ):
                raise UsageError(
                    f"{name.strip()} already confirmed run {self.run_id} as the {c.get('role')}; "
                    f"the {role} must be another person"
                )
        missing = self.steps_not_run()
        if missing and not accept_incomplete:
            raise UsageError(
                f"run {self.run_id} has {len(missing)} step(s) not run ({', '.join(missing)}); "
                "run them, or confirm with --accept-incomplete (recorded as a deviation)"
            )
        if missing:
            old = self.store.session_records(self.session_id).get("accepted_incomplete") or {}
            entries = list(old.get("entries") or [])
            entries.append({"run_id": self.run_id, "role": role, "name": name.strip(),
                            "steps": missing})  # fmt: skip
            self.store.set_session_record(
                self.session_id, "accepted_incomplete", {"entries": entries}
            )
        self.store.confirm_run(self.run_id, role, name)

    # -- steps -----------------------------------------------------------------------------------
    def unmet(self, step: Step) -> list[str]:
        """Requirements of ``step`` the attached protocol cannot meet."""
        out = []
        for req in step.requires:
            if req in PROTOCOLS:
                if req != self.protocol:
                    out.append(req)
            elif req not in self.capabilities:
                out.append(req)
        return out

    def run_all(self, kinds: tuple[str, ...] | None = None) -> list[StepOutcome]:
        """Run every step (or those of ``kinds``) in template order."""
        return [
            self.run_step(step.id)
            for step in self.template.steps
            if kinds is None or step.kind in kinds
        ]

    def run_step(self, step_id: str) -> StepOutcome:
        """Run one step and record a new attempt (signing is refused meanwhile)."""
        with step_running(self.store, self.session_id, step_id):
            return self._run_step(step_id)

    def _run_step(self, step_id: str) -> StepOutcome:
        run_id = self._check_open()
        step = self.template.step(step_id)
        if self.protocol and self.protocol not in self.template.applies_to:
            return self._record(
                step, f"template does not apply to protocol {self.protocol}", "na", proposed="na"
            )
        missing = self.unmet(step)
        if missing and self.protocol:
            reason = step.na_reason or (
                f"protocol {self.protocol} cannot do this step (needs {', '.join(missing)})"
            )
            return self._record(step, reason, "na", proposed="na")
        decl = self.declaration(step)
        if decl is not None and not decl.fitted:  # "(where fitted)" and declared not fitted
            return self._record(step, f"not applicable: not fitted — {decl.quote()}", "na",
                                {"declaration": decl.to_json()}, proposed="na")  # fmt: skip
        if step.kind in ("automatic", "stimulus"):
            return self._run_action(run_id, step)
        try:
            if step.kind == "manual":
                return self._ask_manual(step)
            return self._ask_attachment(step)
        except StepAborted as exc:  # end of input at a prompt: not done, never pass or fail
            return self._record(step, f"not run: {exc}", "not-run")

    def declaration(self, step: Step):
        """The session's declaration of the capability a "(where fitted)" step needs (None when
        the step needs none or nothing is declared)."""
        if not step.fitted:
            return None
        from bench_app.capabilities import declared

        return declared(self.store, self.session_id, self.meter).get(step.fitted)

    def _run_action(self, run_id: int, step: Step) -> StepOutcome:
        ctx = ActionContext(
            store=self.store,
            session_id=self.session_id,
            run_id=run_id,
            step=step,
            meter_factory=self.meter_factory,
            control=self.control,
            prompt=self.prompt,
            protocol=self.protocol,
            password=self.password,
            now=self.now,
            sleep=self.sleep,
            bench_time=self.bench_time,
            meter_description=self.meter,
            simulated=self.simulated,
            by=self.by,
            hhdc=self.hhdc,
        )
        try:
            if self.meter_factory is None:
                raise StepAborted("no meter connected to the bench")
            if step.action is None:
                raise StepAborted(f"step {step.id} names no action")
            actual, verdict, evidence = load_actions()[step.action](ctx)
        except StepAborted as exc:
            actual, verdict, evidence = f"not run: {exc}", "not-run", ctx.evidence
        except (DriverError, ValueError, OSError) as exc:
            actual, verdict, evidence = f"could not complete: {exc}", "not-run", ctx.evidence
        if ctx.evidence_simulated() is not None:  # what the outstation said: later steps follow
            self.simulated = bool(ctx.simulated)
        decl = self.declaration(step)
        if decl is not None:  # declared fitted: the step runs and says so
            evidence = {**evidence, "declaration": decl.to_json()}
            actual = f"{actual} [{decl.quote()}]"
        return self._record(step, actual, verdict, evidence, proposed=verdict)

    def _ask_manual(self, step: Step) -> StepOutcome:
        if self.prompt is None:
            return self._record(step, "manual step: awaiting the tester", "not-run")
        actual = (
            self.prompt(
                f"{step.id} {step.title}\n  {step.method}\n  expected: "
                f"{step.expected}\n  actual result: "
            )
            or ""
        ).strip()
        verdict = self._ask_verdict(step)
        if not actual or verdict is None:
            return self._record(step, "manual step: skipped by the tester", "not-run")
        return self._record(step, actual, verdict, by=self.by)

    def _ask_verdict(self, step: Step) -> str | None:
        if self.prompt is None:
            return None
        for _ in range(3):
            answer = (self.prompt(f"{step.id} verdict (pass/fail/na): ") or "").strip().lower()
            if answer in ("pass", "fail", "na"):
                return answer
            if not answer:
                return None
        return None

    def _ask_attachment(self, step: Step) -> StepOutcome:
        if self.prompt is None:
            return self._record(step, "attachment step: awaiting a file", "not-run")
        answer = (
            self.prompt(f"{step.id} {step.title}: path of the file to attach: ") or ""
        ).strip()
        if not answer:
            return self._record(step, "attachment step: skipped by the tester", "not-run")
        attached = self.attach(step.id, answer)
        judged = (self.prompt(f"{step.id}: what does {Path(answer).name} show? (expected: "
                              f"{step.expected}) ") or "").strip()  # fmt: skip
        verdict = self._ask_verdict(step) if judged else None
        if verdict is None:
            return attached
        return self.record(step.id, f"{attached.actual.split(';')[0]}: {judged}", verdict,
                           evidence=attached.evidence, by=self.by)  # fmt: skip

    # -- results from people ---------------------------------------------------------------------
    def record(
        self,
        step_id: str,
        actual: str,
        verdict: str,
        note: str = "",
        by: str = "",
        evidence: dict | None = None,
    ) -> StepOutcome:
        """Record a tester's actual result and verdict (any kind of step; a new attempt)."""
        run_id = self._check_open()
        if verdict not in VERDICTS:
            raise UsageError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
        if not actual.strip():
            raise UsageError(f"step {step_id}: the actual result is empty")
        step = self.template.step(step_id)
        if not by.strip():
            proposed = [r.get("proposed_verdict") for r in
                        self.store.step_results(run_id, latest_only=False)
                        if r["step_id"] == step_id and r.get("proposed_verdict")]  # fmt: skip
            if proposed and proposed[-1] != verdict:
                raise UsageError(
                    f"step {step_id}: the bench proposed {str(proposed[-1]).upper()}; recording "
                    f"{verdict.upper()} instead needs the name of the person who decides (--by)"
                )
        decl = self.declaration(step)
        if verdict == "na" and decl is not None and decl.fitted:
            raise UsageError(f"step {step_id} cannot be n/a: {decl.quote()}")
        evidence = dict(evidence or {})
        if step.kind == "attachment":  # the judgement keeps the attachment it judged
            ids = evidence.get("attachment_ids") or self._attachments_of(step.id)
            if verdict == "pass" and not ids:
                raise UsageError(f"step {step_id}: attach the file before judging it a pass")
            if ids:
                evidence["attachment_ids"] = ids
        return self._record(step, actual, verdict, evidence, note=note, by=by or self.by)

    def _attachments_of(self, step_id: str) -> list[int]:
        """Attachment ids of the step's attempts in the open run (newest attempt first)."""
        run = self.current_run()
        if run is None:
            return []
        for a in reversed(self.store.step_results(run["id"], latest_only=False)):
            ids = (a.get("evidence") or {}).get("attachment_ids")
            if a["step_id"] == step_id and ids:
                return list(ids)
        return []

    def attach(self, step_id: str, path: str | Path, note: str = "", by: str = "") -> StepOutcome:
        """Attach a file (hashed by the store) to a step and record it as the step's evidence."""
        self._check_open()
        step = self.template.step(step_id)
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read attachment {path}: {exc.strerror or exc}") from None
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        accept = step.params.get("accept")
        if accept and mime not in accept:
            raise UsageError(
                f"step {step_id}: {path.name} is {mime}; accepted: {', '.join(accept)}"
            )
        aid = self.store.add_attachment(self.session_id, path.name, data, mime=mime)
        # never an automatic pass: the witness judges what the file shows (record the verdict)
        return self._record(
            step,
            f"attached {path.name} ({len(data)} bytes, {mime}); awaiting the judgement of what "
            "it shows (record the verdict)",
            "not-run",
            {"attachment_ids": [aid]},
            note=note,
            by=by or self.by,
        )

    def _record(
        self,
        step: Step,
        actual: str,
        verdict: str,
        evidence: dict | None = None,
        *,
        proposed: str = "",
        note: str = "",
        by: str = "",
    ) -> StepOutcome:
        if step.limits:  # the figures the step was judged by, with their sources
            evidence = {**(evidence or {}), "limits": step.limits}
        rid = self.store.record_step(
            self.run_id,
            step.id,
            actual=actual,
            verdict=verdict,
            evidence=evidence or {},
            note=note,
            by=by or self.by,
            proposed_verdict=proposed,
        )
        return StepOutcome(step.id, step.kind, actual, verdict, evidence or {}, rid)

    # -- reading back ----------------------------------------------------------------------------
    def results(self) -> list[dict]:
        """One row per template step: objective, method, expected, actual, verdict, evidence, by,
        at, attempt (``not-run`` with an empty actual for steps never attempted) and ``earlier``:
        the step's earlier attempts in this run (kept, oldest first)."""
        latest: dict[str, dict] = {}
        earlier: dict[str, list[dict]] = {}
        run = self.current_run()
        if run is not None:
            for r in self.store.step_results(run["id"], latest_only=False):
                if r["step_id"] in latest:
                    earlier.setdefault(r["step_id"], []).append(latest[r["step_id"]])
                latest[r["step_id"]] = r
        rows = []
        for step in self.template.steps:
            r = latest.get(step.id, {})
            rows.append(
                {
                    "step": step.id,
                    "title": step.title,
                    "kind": step.kind,
                    "objective": step.objective,
                    "method": step.method,
                    "expected": step.expected,
                    "actual": r.get("actual", ""),
                    "verdict": r.get("verdict", "not-run"),
                    "evidence": r.get("evidence") or {},
                    "note": r.get("note", ""),
                    "by": r.get("by", ""),
                    "at": r.get("at"),
                    "attempt": r.get("attempt", 0),
                    "earlier": earlier.get(step.id, []),
                }
            )
        return rows
