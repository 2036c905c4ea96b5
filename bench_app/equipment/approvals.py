"""Approval records of the register: conditions, metering dispensations and
template-scope overrides.

* A **condition** belongs to a certificate or a protocol approval and is a short text the session
  check evaluates (:mod:`bench_app.equipment.conditions`), e.g. ``manufacturer software >= 8.1.2``
  or ``types P3E R3E``.
* A **dispensation** is a Metering Dispensation under BSCP32: its ``reference``, a ``scope``
  text, an ``expiry`` date (YYYY-MM-DD, empty = none) and what it covers — a failed step
  (``session`` + ``step_id``) and/or a CoP departure (``cop``). It is shown as a *deviation* in
  the report; it never changes a verdict.
* A **template override** records that a checklist template was run on a session it does not
  serve, with the reason (also a deviation).
"""

from __future__ import annotations

from bench_app.equipment import fields as F
from bench_app.equipment.register import RegisterBase, checked
from bench_app.errors import NotFoundError, UsageError
from bench_app.store.base import now_iso

TARGETS = {"certificate": "eq_certificates", "approval": "eq_approvals"}
DISPENSATION_STATUSES = ("granted", "removed")


class ApprovalRecordsMixin(RegisterBase):
    """Conditions, dispensations and overrides (mixed into :class:`Register`)."""

    # -- conditions ---------------------------------------------------------------------------
    def add_condition(self, target: str, target_id: int, text: str) -> int:
        """Attach condition ``text`` to a certificate or approval (idempotent); returns its id.

        :raises UsageError: unknown target kind, empty or unreadable condition text.
        :raises NotFoundError: no such certificate/approval.
        """
        from bench_app.equipment.conditions import parse_condition

        if target not in TARGETS:
            raise UsageError(f"a condition belongs to one of {', '.join(TARGETS)}, not {target!r}")
        text = " ".join((text or "").split())
        checked(parse_condition, text, what="condition")
        with self.store.atomic():
            row = self.conn.execute(
                f"SELECT id FROM {TARGETS[target]} WHERE id = ?", (int(target_id),)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"{target} {target_id} is not in the equipment register")
            now = now_iso()
            self.conn.execute(
                "INSERT OR IGNORE INTO eq_conditions (target, target_id, text, created_at, "
                "updated_at) VALUES (?,?,?,?,?)",
                (target, int(target_id), text, now, now),
            )
            return int(
                self.conn.execute(
                    "SELECT id FROM eq_conditions WHERE target = ? AND target_id = ? AND text = ?",
                    (target, int(target_id), text),
                ).fetchone()[0]
            )

    def remove_condition(self, condition_id: int) -> None:
        """Delete a condition (conditions are part of the record they belong to)."""
        with self.store.atomic():
            cur = self.conn.execute("DELETE FROM eq_conditions WHERE id = ?", (condition_id,))
            if not cur.rowcount:
                raise NotFoundError(f"condition {condition_id} is not in the equipment register")

    def conditions(self, target: str | None = None, target_id: int | None = None) -> list[dict]:
        """id, target, target_id, text — of one record or all."""
        sql, args = "SELECT id, target, target_id, text FROM eq_conditions", []
        if target is not None:
            sql += " WHERE target = ? AND target_id = ?"
            args = [target, int(target_id or 0)]
        rows = self.conn.execute(sql + " ORDER BY target, target_id, id", args)
        return [dict(zip(("id", "target", "target_id", "text"), r)) for r in rows]

    # -- dispensations ------------------------------------------------------------------------
    def add_dispensation(
        self,
        reference: str,
        *,
        session_id: int | None = None,
        step_id: str = "",
        cop: str = "",
        scope: str = "",
        expiry: str = "",
        text: str = "",
        msid: str = "",
        site: str = "",
        outstation_type: str = "",
        replace: bool = False,
    ) -> int:
        """Record a BSCP32 metering dispensation covering a session's failed step and/or a CoP
        departure. It is evidence of a deviation, never of a pass.

        BSCP32 grants a dispensation for one Metering System (``msid``, the 13-digit MSID), for
        a ``site``, or generically for an equipment type (``outstation_type``) and CoP; a grant
        for a session's step is the bench's own record of which grant covers that step.
        """
        reference = checked(F.required, reference, "dispensation reference (BSCP32)",
                            what="dispensation")  # fmt: skip
        step_id = (step_id or "").strip()
        cop_no = checked(F.cop, cop, what="dispensation") if (cop or "").strip() else ""
        if not step_id and not cop_no:
            raise UsageError(f"dispensation {reference}: say what it covers (a step or a CoP)")
        if step_id and session_id is None:
            raise UsageError(f"dispensation {reference}: a step needs the session it belongs to")
        msid = (msid or "").strip()
        if msid and not (msid.isdigit() and len(msid) == 13):
            raise UsageError(f"dispensation {reference}: MSID {msid!r} must be the 13-digit "
                             "Metering System Identifier")  # fmt: skip
        code = checked(F.type_code, outstation_type, what=f"dispensation {reference}") \
            if (outstation_type or "").strip() else ""
        if code and not cop_no:
            raise UsageError(f"dispensation {reference}: a generic grant for type {code} names "
                             "the CoP it departs from")  # fmt: skip
        record = {
            "reference": reference,
            "session_id": int(session_id) if session_id is not None else None,
            "step_id": step_id,
            "cop": cop_no,
            "scope": (scope or "").strip(),
            "expiry": checked(F.iso_date, expiry, what="dispensation expiry"),
            "text": (text or "").strip(),
            "msid": msid,
            "site": (site or "").strip(),
            "outstation_type": code,
        }
        with self.store.atomic():
            if session_id is not None:
                self.store.check_unlocked(int(session_id))  # names the session / who locked it
            match = (
                "reference = ? AND ifnull(session_id, 0) = ? AND step_id = ? AND cop = ? AND "
                "msid = ? AND site = ? AND outstation_type = ?",
                (reference, record["session_id"] or 0, step_id, cop_no, msid, record["site"],
                 code),
            )  # fmt: skip
            return self._upsert("eq_dispensations", match, record, replace,
                                f"dispensation {reference}")  # fmt: skip

    def remove_dispensation(self, dispensation_id: int, removed_date: str, reason: str) -> None:
        """Mark a dispensation withdrawn on ``removed_date`` for ``reason`` (refused when it
        belongs to a locked session)."""
        row = self.conn.execute(
            "SELECT session_id FROM eq_dispensations WHERE id = ?", (dispensation_id,)
        ).fetchone()
        if row is not None and row[0] is not None:
            self.store.check_unlocked(int(row[0]))
        self._remove("eq_dispensations", dispensation_id, removed_date, reason, "dispensation")

    def dispensations(self, session_id: int | None = None) -> list[dict]:
        """id, reference, session_id, step_id, cop, scope, expiry, text, status, removed_date,
        removed_reason, created_at. With ``session_id``: that session's plus the session-less
        ones. A session's own dispensation can only be added while the session is not locked."""
        keys = ("id", "reference", "session_id", "step_id", "cop", "scope", "expiry", "text",
                "status", "removed_date", "removed_reason", "created_at", "msid", "site",
                "outstation_type")  # fmt: skip
        sql = f"SELECT {', '.join(keys)} FROM eq_dispensations"
        args: list = []
        if session_id is not None:
            sql += " WHERE session_id IS NULL OR session_id = ?"
            args.append(int(session_id))
        rows = self.conn.execute(sql + " ORDER BY reference, id", args)
        return [dict(zip(keys, r)) for r in rows]

    def grant_reach(self, d: dict) -> str:
        """Whom a dispensation was granted for, in words."""
        if d.get("session_id"):
            return f"this session's step {d['step_id']}" if d.get("step_id") else "this session"
        if d.get("msid"):
            return f"Metering System {d['msid']}"
        if d.get("site"):
            return f"site {d['site']}"
        if d.get("outstation_type"):
            return f"generic for type {d['outstation_type']} and CoP {d['cop']}"
        return f"CoP {d['cop']} (reach not recorded)"

    # -- removal of types, combinations and applications -------------------------------------
    def _refuse_if_used(self, what: str, uses: list[tuple[str, str, tuple]]) -> None:
        found = [f"{n} {label}" for label, sql, args in uses
                 if (n := self.conn.execute(sql, args).fetchone()[0])]  # fmt: skip
        if found:
            raise UsageError(f"{what} is still used by {', '.join(found)}; remove those first")

    def remove_type(self, code: str) -> None:
        """Delete an outstation type that nothing refers to."""
        with self.store.atomic():
            tid = self._type_id(code)
            self._refuse_if_used(f"outstation type {code.upper()}", [
                (label, f"SELECT count(*) FROM {table} WHERE type_id = ?", (tid,))
                for label, table in (("combination(s)", "eq_combinations"),
                                     ("certificate(s)", "eq_certificates"),
                                     ("application(s)", "eq_applications"))
            ])  # fmt: skip
            self.conn.execute("DELETE FROM eq_types WHERE id = ?", (tid,))

    def remove_combination(self, key: str) -> None:
        """Delete a combination (with its devices) that no record refers to."""
        with self.store.atomic():
            cid = self.combination(key).id
            one = "SELECT count(*) FROM {} WHERE {} = ?"
            self._refuse_if_used(f"combination {key!r}", [
                (label, one.format(t, c), (cid,)) for label, t, c in (
                    ("certificate(s)", "eq_certificates", "combination_id"),
                    ("approval(s)", "eq_approvals", "combination_id"),
                    ("application(s)", "eq_applications", "combination_id"),
                    ("equivalence(s)", "eq_equivalences", "combination_id"),
                    ("equivalence(s) as tested", "eq_equivalences", "tested_id"),
                    ("snapshot row(s)", "eq_base_counts", "combination_id"),
                    ("upgrade(s) from it", "eq_upgrade_moves", "from_id"),
                    ("upgrade(s) to it", "eq_upgrade_moves", "to_id"),
                    ("session variant claim(s)", "eq_session_variants", "tested_id"),
                    ("session variant claim(s) as covered", "eq_session_variants", "covered_id"),
                )
            ])  # fmt: skip
            self.conn.execute("DELETE FROM eq_devices WHERE combination_id = ?", (cid,))
            self.conn.execute("DELETE FROM eq_combinations WHERE id = ?", (cid,))

    def remove_application(self, reference: str) -> None:
        """Delete an application and its session links (the sessions keep their evidence)."""
        with self.store.atomic():
            app = self.application(reference)
            self.conn.execute(
                "DELETE FROM eq_application_sessions WHERE application_id = ?", (app["id"],)
            )
            self.conn.execute("DELETE FROM eq_applications WHERE id = ?", (app["id"],))

    # -- template-scope overrides -------------------------------------------------------------
    def record_template_override(
        self, session_id: int, template: str, reason: str, by: str = ""
    ) -> int:
        """Allow ``template`` to run on ``session_id`` although it does not serve the session;
        the reason is reported as a deviation."""
        if not (reason or "").strip():
            raise UsageError("say why the template is run on a session it does not serve")
        with self.store.atomic():
            self.store.check_unlocked(session_id)
            self.conn.execute(
                "INSERT OR REPLACE INTO eq_template_overrides (session_id, template, reason, by, "
                "created_at) VALUES (?,?,?,?,?)",
                (session_id, template.strip(), reason.strip(), (by or "").strip(), now_iso()),
            )
            return int(
                self.conn.execute(
                    "SELECT id FROM eq_template_overrides WHERE session_id = ? AND template = ?",
                    (session_id, template.strip()),
                ).fetchone()[0]
            )

    def template_overrides(self, session_id: int) -> list[dict]:
        """id, template, reason, by, created_at of a session's overrides."""
        return template_overrides(self.conn, session_id)


def template_overrides(conn, session_id: int) -> list[dict]:
    """id, template, reason, by, created_at of a session's template-scope overrides."""
    rows = conn.execute(
        "SELECT id, template, reason, by, created_at FROM eq_template_overrides "
        "WHERE session_id = ? ORDER BY id",
        (session_id,),
    )
    return [dict(zip(("id", "template", "reason", "by", "created_at"), r)) for r in rows]


def _regime_mismatch(store, session_id: int) -> list[str]:
    """Every checklist template is of the BSC regime (BSCP601, CoP compliance): a session whose
    outstation type (its equipment record's, else its application's) is a SMETS device model
    cites the other regime's records."""
    codes = [str((store.equipment(session_id) or {}).get("outstation_type") or "").upper()]
    codes += [r[0] for r in store.conn.execute(
        "SELECT t.code FROM eq_applications a JOIN eq_types t ON t.id = a.type_id "
        "WHERE a.reference = (SELECT reference FROM sessions WHERE id = ?) OR a.id IN "
        "(SELECT application_id FROM eq_application_sessions WHERE session_id = ?)",
        (session_id, session_id))]  # fmt: skip
    code = next((c for c in codes if c), "")
    row = store.conn.execute("SELECT regime FROM eq_types WHERE code = ?", (code,)).fetchone()
    if row and row[0] == "smets":
        return [f"outstation type {code} is a SMETS device model under the DCC regime, exempt "
                "from BSCP601 protocol approval and CoP 10 compliance testing"]
    return []


def check_template_serves(store, session_id: int, template) -> None:
    """Refuse a template that does not serve the session, unless an override is recorded.

    :raises UsageError: naming the template, the session and each mismatch, and how to override.
    """
    records = store.session_records(session_id) if hasattr(store, "session_records") else {}
    why = (template.mismatches(store.get_session(session_id), records)
           + _regime_mismatch(store, session_id))  # fmt: skip
    if not why:
        return
    if any(o["template"] == template.name for o in template_overrides(store.conn, session_id)):
        return
    raise UsageError(
        f"template {template.name} does not serve session {session_id}: {'; '.join(why)}. "
        f"Run a template that serves it, or record an override with a reason (reported as a "
        f"deviation): bench-app equipment override --session {session_id} "
        f"--template {template.name} --reason TEXT"
    )
