"""Checklist results: runs, step attempts and confirmations (the engine is bench_app.checklist).

Nothing here is updated in place. A run's status is derived: ``superseded`` when a later run names
it in ``supersedes`` or :meth:`ChecklistMixin.supersede_run` recorded a reason for it (an audited
``run_supersessions`` session record), ``confirmed`` once both a tester and a witness confirmed
it (it is then read-only), else ``open``. Each :meth:`ChecklistMixin.record_step` call adds a new
attempt; earlier attempts stay.
"""

from __future__ import annotations

import json

from bench_app.errors import NotFoundError, SessionLockedError, UsageError
from bench_app.outcomes import VERDICTS
from bench_app.store.base import StoreBase, new_uid, now_iso

#: Session record kind holding the runs superseded by :meth:`ChecklistMixin.supersede_run`.
SUPERSESSIONS = "run_supersessions"
CONFIRM_ROLES = ("tester", "witness")


class ChecklistMixin(StoreBase):
    """Checklist run tables."""

    def start_checklist_run(
        self,
        session_id: int,
        template: str,
        template_version: str,
        supersedes: int | None = None,
        reason: str = "",
        frozen: dict | None = None,
    ) -> int:
        """Open a run of a checklist template; ``supersedes`` names an earlier run it replaces.

        :param frozen: the template as run (objective, method, expected, figures per step; see
            :func:`bench_app.checklist.template.freeze`), stored with the run and hashed into the
            audit chain, so the report prints what was run, not the file as it is now.
        """
        if supersedes is not None:
            if self._parent_session("checklist_runs", supersedes) != session_id:
                raise UsageError(f"checklist run {supersedes} belongs to another session")
            if not reason:
                raise UsageError("say why the earlier checklist run is superseded (reason)")
        record = {
            "uid": new_uid(),
            "session_id": session_id,
            "template": template,
            "template_version": template_version,
            "supersedes": supersedes,
            "reason": reason,
            "created_at": now_iso(),
        }
        if frozen is not None:
            record["frozen"] = json.dumps(frozen, sort_keys=True, separators=(",", ":"),
                                          ensure_ascii=False)  # fmt: skip
        return self._insert("checklist_runs", session_id, record)

    def _confirmations(self, run_id: int) -> list[dict]:
        return list(
            self.db.query(
                "SELECT role, name, at FROM checklist_confirmations WHERE run_id = ? ORDER BY id",
                [run_id],
            )
        )

    def _supersessions(self, session_id: int) -> dict[str, dict]:
        """Run uid → {reason, by, at} of the runs superseded by :meth:`supersede_run`."""
        row = self.conn.execute(
            "SELECT data FROM session_records WHERE session_id = ? AND kind = ? "
            "ORDER BY id DESC LIMIT 1",
            (session_id, SUPERSESSIONS),
        ).fetchone()
        runs = json.loads(row[0]).get("runs", []) if row else []
        return {str(r.get("run")): r for r in runs}

    def _run_status(self, run_id: int, confirmations: list[dict]) -> str:
        later = self.conn.execute(
            "SELECT 1 FROM checklist_runs WHERE supersedes = ? LIMIT 1", (run_id,)
        ).fetchone()
        if later:
            return "superseded"
        uid, sid = self.conn.execute(
            "SELECT uid, session_id FROM checklist_runs WHERE id = ?", (run_id,)
        ).fetchone()
        if uid in self._supersessions(sid):
            return "superseded"
        roles = {c["role"] for c in confirmations}
        return "confirmed" if set(CONFIRM_ROLES) <= roles else "open"

    def checklist_runs(self, session_id: int) -> list[dict]:
        """id, uid, template, template_version, status (open|confirmed|superseded), supersedes,
        reason, created_at, confirmations (list of {role, name, at}), frozen (the template as
        run, a dict; None for runs started before templates were frozen)."""
        self._session_row(session_id)
        runs = list(
            self.db.query(
                "SELECT * FROM checklist_runs WHERE session_id = ? ORDER BY id", [session_id]
            )
        )
        recorded = self._supersessions(session_id)
        for run in runs:
            run["frozen"] = json.loads(run["frozen"]) if run.get("frozen") else None
            run["confirmations"] = self._confirmations(run["id"])
            run["status"] = self._run_status(run["id"], run["confirmations"])
            why = recorded.get(run["uid"])
            later = next((r for r in runs if r.get("supersedes") == run["id"]), None)
            if why is not None:
                run["superseded_reason"] = str(why.get("reason", ""))
                run["superseded_by"] = str(why.get("by", ""))
                run["superseded_at"] = str(why.get("at", ""))
            elif later is not None:
                run["superseded_reason"] = str(later.get("reason") or "")
                run["superseded_by"] = f"run #{later['id']}"
                run["superseded_at"] = str(later.get("created_at") or "")
        return runs

    def supersede_run(self, run_id: int, reason: str, by: str) -> None:
        """Mark ``run_id`` superseded, saying why and who decided (an audited session record).

        The run, its results and the reason stay in the session and in the report (run
        history); a failure in it still counts.

        :raises UsageError: no reason or no name, or the run is already superseded.
        :raises SessionLockedError: the session is locked.
        """
        if not reason or not reason.strip():
            raise UsageError("say why the checklist run is superseded (--reason TEXT)")
        if not by or not by.strip():
            raise UsageError("say who supersedes the checklist run (--by NAME)")
        with self.atomic():
            sid = self._parent_session("checklist_runs", run_id)
            self.check_unlocked(sid)
            if self._run_status(run_id, self._confirmations(run_id)) == "superseded":
                raise UsageError(f"checklist run {run_id} is already superseded")
            uid = self.conn.execute(
                "SELECT uid FROM checklist_runs WHERE id = ?", (run_id,)
            ).fetchone()[0]
            runs = list(self._supersessions(sid).values())
            runs.append({"run": uid, "reason": reason.strip(), "by": by.strip(), "at": now_iso()})
            self.set_session_record(sid, SUPERSESSIONS, {"runs": runs})  # type: ignore[attr-defined]

    def checklist_run(self, run_id: int) -> dict:
        """One run as in :meth:`checklist_runs`."""
        sid = self._parent_session("checklist_runs", run_id)
        for run in self.checklist_runs(sid):
            if run["id"] == run_id:
                return run
        raise NotFoundError(f"checklist run {run_id} does not exist in {self.path}")

    def _check_run_open(self, run_id: int) -> int:
        sid = self._parent_session("checklist_runs", run_id)
        self.check_unlocked(sid)
        conf = self._confirmations(run_id)
        status = self._run_status(run_id, conf)
        if status != "open":
            raise SessionLockedError(
                f"checklist run {run_id} is {status}; start a new run that supersedes it"
            )
        return sid

    def record_step(
        self,
        run_id: int,
        step_id: str,
        *,
        actual: str,
        verdict: str,
        evidence: dict | None = None,
        note: str = "",
        by: str = "",
        proposed_verdict: str = "",
    ) -> int:
        """Record one attempt at a step (attempt numbers count from 1 per step); returns row id.

        :param verdict: pass | fail | na | not-run.
        :param evidence: JSON-able references (collection ids, trace id and span, reconcile
            summary…).
        """
        if verdict not in VERDICTS:
            raise UsageError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
        with self.atomic():
            sid = self._check_run_open(run_id)
            attempt = (
                self.conn.execute(
                    "SELECT coalesce(max(attempt), 0) FROM checklist_steps "
                    "WHERE run_id = ? AND step_id = ?",
                    (run_id, step_id),
                ).fetchone()[0]
                + 1
            )
            record = {
                "run_id": run_id,
                "step_id": step_id,
                "attempt": attempt,
                "actual": actual,
                "verdict": verdict,
                "proposed_verdict": proposed_verdict,
                "evidence": json.dumps(
                    evidence or {}, sort_keys=True, separators=(",", ":"), default=str
                ),
                "note": note,
                "by": by,
                "at": now_iso(),
            }
            return self._insert("checklist_steps", sid, record)

    def step_results(self, run_id: int, latest_only: bool = True) -> list[dict]:
        """step_id, attempt, actual, verdict, proposed_verdict, evidence (dict), note, by, at.

        ``latest_only``: only the newest attempt of each step (in order of first attempt).
        """
        self._parent_session("checklist_runs", run_id)
        rows = list(
            self.db.query("SELECT * FROM checklist_steps WHERE run_id = ? ORDER BY id", [run_id])
        )
        for row in rows:
            row["evidence"] = json.loads(row["evidence"] or "{}")
        if not latest_only:
            return rows
        latest: dict[str, dict] = {}
        for row in rows:
            latest[row["step_id"]] = row  # dict keeps first-insertion order of keys
        return list(latest.values())

    def confirm_run(self, run_id: int, role: str, name: str) -> None:
        """Tester or witness confirms the run; after both it is confirmed and read-only."""
        if role not in CONFIRM_ROLES:
            raise UsageError(f"confirmation role must be tester or witness, not {role!r}")
        if not name or not name.strip():
            raise UsageError("a confirmation needs a name")
        with self.atomic():
            sid = self._check_run_open(run_id)
            if any(c["role"] == role for c in self._confirmations(run_id)):
                raise UsageError(f"checklist run {run_id} was already confirmed by its {role}")
            record = {"run_id": run_id, "role": role, "name": name.strip(), "at": now_iso()}
            self._insert("checklist_confirmations", sid, record)
