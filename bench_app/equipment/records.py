"""Compliance certificates, protocol approvals and BSCP601 applications of the register.

* A **certificate** is for an outstation type's CoP at an issue/version, from a testing agent on a
  date; optionally limited to one combination (and its equivalents). Status ``issued`` or
  ``removed`` (with date and reason).
* A **protocol approval** is for a firmware combination read by one HHDC (name, MPID) with its
  software and version, in a year. Status ``approved`` or ``removed``.
* An **application** has a BSCP601 reference, an applicant, what it asks for (``compliance``,
  ``protocol-approval`` or ``both``), the declared outstation type / combination and CoPs, and
  linked sessions: those linked explicitly plus sessions whose reference equals the application's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from bench_app.equipment import fields as F
from bench_app.equipment.approvals import ApprovalRecordsMixin
from bench_app.equipment.dcc import DccMixin
from bench_app.equipment.devices import DevicesMixin
from bench_app.equipment.register import Combination, TypesMixin, _json, checked
from bench_app.errors import NotFoundError, UsageError
from bench_app.store.base import now_iso


def _scoped(row: dict) -> dict:
    row["scope"] = json.loads(row.get("scope") or "[]")
    return row


class Register(DccMixin, ApprovalRecordsMixin, DevicesMixin, TypesMixin):
    """The equipment register over an open :class:`~bench_app.store.Store`."""

    # -- shared -------------------------------------------------------------------------------
    def _remove(self, table: str, row_id: int, removed_date: str, reason: str, what: str) -> None:
        removed_date = checked(F.iso_date, removed_date, required=True, what=f"{what} removal")
        if not (reason or "").strip():
            raise UsageError(f"say why {what} {row_id} is removed (reason)")
        with self.store.atomic():
            cur = self.conn.execute(
                f"UPDATE {table} SET status = 'removed', removed_date = ?, removed_reason = ?, "
                "updated_at = ? WHERE id = ?",
                (removed_date, reason.strip(), now_iso(), row_id),
            )
            if not cur.rowcount:
                raise NotFoundError(f"{what} {row_id} is not in the equipment register")

    def _removal(self, status: str, removed_date: str, reason: str, what: str) -> dict:
        if status == "removed":
            removed_date = checked(F.iso_date, removed_date, required=True, what=f"{what} removal")
            if not (reason or "").strip():
                raise UsageError(f"{what}: a removed entry needs a removal reason")
            return {"status": status, "removed_date": removed_date, "removed_reason": reason}
        return {"status": status, "removed_date": None, "removed_reason": None}

    def _bsc_only(self, code: str, what: str) -> None:
        """Refuse a BSCP601 record (certificate, approval, application) for a SMETS model."""
        if self.get_type(code).get("regime") == "smets":
            raise UsageError(
                f"{what}: {code} is a SMETS device model under the DCC regime — SMETS meters are "
                "exempt from BSCP601 protocol approval and CoP 10 compliance testing, so it "
                "takes no BSCP601 certificate, approval or application (use the DCC's lists: "
                "bench-app equipment dcc)"
            )

    # -- certificates -------------------------------------------------------------------------
    def add_certificate(
        self,
        outstation_type: str,
        cop: str,
        cop_issue: str = "",
        testing_agent: str = "",
        issued_date: str = "",
        reference: str = "",
        combination: str | None = None,
        *,
        status: str = "issued",
        removed_date: str = "",
        removed_reason: str = "",
        scope: Iterable[str] | str = (),
        replace: bool = False,
    ) -> int:
        """Add a compliance certificate; the same (type, combination, CoP, issue) is one entry.

        :param combination: key of the combination it is limited to (None: the whole type).
        :param scope: names from :data:`~bench_app.equipment.fields.SCOPES`.
        """
        code = checked(F.type_code, outstation_type, what="outstation type")
        cop, issue = checked(F.cop_ref, cop, what="certificate")  # "CoP 5 Issue 6" allowed
        if issue and (cop_issue or "").strip() not in ("", issue):
            raise UsageError(f"certificate: CoP {cop} issue {issue} contradicts issue {cop_issue}")
        cop_issue = (cop_issue or "").strip() or issue
        status = checked(F.status, status, F.CERT_STATUSES, what="certificate")
        record = {
            "cop": cop,
            "cop_issue": (cop_issue or "").strip(),
            "testing_agent": (testing_agent or "").strip(),
            "issued_date": checked(F.iso_date, issued_date, what="certificate date"),
            "reference": (reference or "").strip(),
            "scope": _json(checked(F.scopes, scope, what="certificate")),
            **self._removal(status, removed_date, removed_reason, "certificate"),
        }
        with self.store.atomic():
            self._bsc_only(code, f"certificate CoP {cop}")
            record["type_id"] = self._type_id(code)
            record["combination_id"] = None
            if combination:
                combo = self.combination(combination)
                if combo.outstation_type != code:
                    raise UsageError(
                        f"combination {combo.key!r} is of type {combo.outstation_type}, not {code}"
                    )
                record["combination_id"] = combo.id
            match = (
                "type_id = ? AND ifnull(combination_id, 0) = ? AND cop = ? AND cop_issue = ?",
                (record["type_id"], record["combination_id"] or 0, cop, record["cop_issue"]),
            )
            what = f"certificate {code} CoP {cop} issue {record['cop_issue'] or '—'}"
            return self._upsert("eq_certificates", match, record, replace, what)

    def remove_certificate(self, certificate_id: int, removed_date: str, reason: str) -> None:
        """Mark a certificate removed on ``removed_date`` (YYYY-MM-DD) for ``reason``."""
        self._remove("eq_certificates", certificate_id, removed_date, reason, "certificate")

    def certificates(self, outstation_type: str | None = None) -> list[dict]:
        """id, outstation_type, combination (key or None), cop, cop_issue, testing_agent,
        issued_date, reference, status, removed_date, removed_reason."""
        sql = (
            "SELECT x.id, t.code, c.key, x.cop, x.cop_issue, x.testing_agent, x.issued_date, "
            "x.reference, x.status, x.removed_date, x.removed_reason, x.scope "
            "FROM eq_certificates x "
            "JOIN eq_types t ON t.id = x.type_id "
            "LEFT JOIN eq_combinations c ON c.id = x.combination_id"
        )
        args: list = []
        if outstation_type:
            sql += " WHERE t.code = ?"
            args.append(checked(F.type_code, outstation_type, what="outstation type"))
        sql += " ORDER BY t.code, CAST(x.cop AS INTEGER), x.cop_issue, x.id"
        keys = (
            "id", "outstation_type", "combination", "cop", "cop_issue", "testing_agent",
            "issued_date", "reference", "status", "removed_date", "removed_reason", "scope",
        )  # fmt: skip
        out = [_scoped(dict(zip(keys, r))) for r in self.conn.execute(sql, args)]
        for c in out:  # where equipment compliant with this CoP can be registered
            c["registrable"] = F.registrability(c["cop"])
        return out

    # -- protocol approvals -------------------------------------------------------------------
    def add_approval(
        self,
        combination: str,
        hhdc_name: str,
        hhdc_mpid: str,
        hhdc_software: str = "",
        hhdc_version: str = "",
        year: int | str | None = None,
        *,
        status: str = "approved",
        removed_date: str = "",
        removed_reason: str = "",
        scope: Iterable[str] | str = (),
        replace: bool = False,
    ) -> int:
        """Add a protocol approval of ``combination`` (key) for an HHDC's software version.

        :param scope: the role approved: ``sva-hhdc``, ``cva-cdca`` and/or ``asset-hhdc``.
        """
        status = checked(F.status, status, F.APPROVAL_STATUSES, what="approval")
        record = {
            "hhdc_name": checked(F.required, hhdc_name, "HHDC name", what="approval"),
            "hhdc_mpid": checked(F.mpid, hhdc_mpid, required=True, what="approval"),
            "hhdc_software": (hhdc_software or "").strip(),
            "hhdc_version": (hhdc_version or "").strip(),
            "year": checked(F.year, year, what="approval"),
            "scope": _json(checked(F.scopes, scope, what="approval")),
            **self._removal(status, removed_date, removed_reason, "approval"),
        }
        with self.store.atomic():
            combo = self.combination(combination)
            self._bsc_only(combo.outstation_type, f"protocol approval of {combo.key}")
            record["combination_id"] = combo.id
            match = (
                "combination_id = ? AND hhdc_mpid = ? AND hhdc_software = ? AND hhdc_version = ?",
                (combo.id, record["hhdc_mpid"], record["hhdc_software"], record["hhdc_version"]),
            )
            what = (
                f"approval of {combo.key} for {record['hhdc_mpid']} "
                f"{record['hhdc_software']} {record['hhdc_version']}".strip()
            )
            return self._upsert("eq_approvals", match, record, replace, what)

    def remove_approval(self, approval_id: int, removed_date: str, reason: str) -> None:
        """Mark a protocol approval removed on ``removed_date`` for ``reason``."""
        self._remove("eq_approvals", approval_id, removed_date, reason, "approval")

    def approvals(self) -> list[dict]:
        """id, outstation_type, combination (key), hhdc_name, hhdc_mpid, hhdc_software,
        hhdc_version, year, status, removed_date, removed_reason."""
        sql = (
            "SELECT a.id, t.code, c.key, a.hhdc_name, a.hhdc_mpid, a.hhdc_software, "
            "a.hhdc_version, a.year, a.status, a.removed_date, a.removed_reason, a.scope "
            "FROM eq_approvals a JOIN eq_combinations c ON c.id = a.combination_id "
            "JOIN eq_types t ON t.id = c.type_id ORDER BY t.code, c.key, a.year, a.id"
        )
        keys = (
            "id", "outstation_type", "combination", "hhdc_name", "hhdc_mpid", "hhdc_software",
            "hhdc_version", "year", "status", "removed_date", "removed_reason", "scope",
        )  # fmt: skip
        return [_scoped(dict(zip(keys, r))) for r in self.conn.execute(sql)]

    # -- applications -------------------------------------------------------------------------
    def add_application(
        self,
        reference: str,
        applicant: str = "",
        asks: str = "both",
        outstation_type: str | None = None,
        combination: str | None = None,
        cops: Iterable[str] | str = (),
        notes: str = "",
        sessions: Iterable[int] = (),
        *,
        amends: int | str | None = None,
        amendment: str = "",
        replace: bool = False,
    ) -> int:
        """Add a BSCP601 application with its declared type/combination and linked sessions.

        :param amends: id of the protocol approval this application amends, as a number or as
            text (a CSV cell: not a number raises ValueError); None or '': a new one.
        :param amendment: what the amendment changes: ``firmware``, ``hhdc-software`` or
            ``variant`` (required with ``amends``).
        """
        reference = checked(F.required, reference, "application reference", what="application")
        record = {
            "applicant": (applicant or "").strip(),
            "asks": checked(F.asks, asks, what="application"),
            "cops": _json(checked(F.cops, cops, what="application CoPs")),
            "notes": (notes or "").strip(),
            "amends_approval_id": int(amends) if amends not in (None, "") else None,
            "amendment": (amendment or "").strip().lower(),
        }
        if (record["amends_approval_id"] is None) != (not record["amendment"]):
            raise UsageError(f"application {reference}: an amendment names both the approval it "
                             "amends and what it changes (firmware, hhdc-software, variant)")
        if record["amendment"] and record["amendment"] not in F.AMENDMENTS:
            raise UsageError(f"application {reference}: amendment {amendment!r} must be one of "
                             + ", ".join(F.AMENDMENTS))  # fmt: skip
        code = (
            checked(F.type_code, outstation_type, what="outstation type")
            if (outstation_type or "").strip()
            else ""
        )
        with self.store.atomic():
            combo = self.combination(combination) if combination and combination.strip() else None
            if combo is not None and code and combo.outstation_type != code:
                raise UsageError(
                    f"combination {combo.key!r} is of type {combo.outstation_type}, not {code}"
                )
            if record["amends_approval_id"] is not None and not self.conn.execute(
                "SELECT 1 FROM eq_approvals WHERE id = ?", (record["amends_approval_id"],)
            ).fetchone():
                raise NotFoundError(
                    f"approval {record['amends_approval_id']} (amended by {reference}) is not "
                    "in the equipment register"
                )
            code = code or (combo.outstation_type if combo else "")
            if code:
                self._bsc_only(code, f"application {reference}")
            record["type_id"] = self._type_id(code) if code else None
            record["combination_id"] = combo.id if combo else None
            app_id = self._upsert(
                "eq_applications",
                ("reference = ?", (reference,)),
                {"reference": reference, **record},
                replace,
                f"application {reference}",
            )
            for sid in sessions:
                self.link_session(reference, int(sid))
        return app_id

    def decide_application(self, reference: str, decision: str, on: str) -> None:
        """Record the outcome of an application: ``granted`` or ``refused`` on a date. A
        hardware variant is covered through a *granted* variant amendment."""
        decision = checked(F.choice, decision, F.APPLICATION_DECISIONS, "decision",
                           what=f"application {reference}")  # fmt: skip
        on = checked(F.iso_date, on, required=decision != "pending", what="decision date")
        with self.store.atomic():
            app = self.application(reference)
            self.conn.execute("UPDATE eq_applications SET decision = ?, decision_date = ?, "
                              "updated_at = ? WHERE id = ?",
                              (decision, on, now_iso(), app["id"]))  # fmt: skip

    def granted_variant(self, combination: str) -> dict | None:
        """A granted variant amendment whose declared combination is ``combination``."""
        for app in self.applications():
            if app["combination"] == combination and app["amendment"] == "variant" and \
                    app["decision"] == "granted":
                return app
        return None

    def link_session(self, reference: str, session_id: int) -> None:
        """Link a session to the application ``reference`` (idempotent)."""
        with self.store.atomic():
            app = self.application(reference)
            self.store.get_session(session_id)  # NotFoundError naming the session
            self.conn.execute(
                "INSERT OR IGNORE INTO eq_application_sessions (application_id, session_id, "
                "created_at) VALUES (?,?,?)",
                (app["id"], session_id, now_iso()),
            )

    def _app_dict(self, row) -> dict:
        app_id, ref, applicant, asks, code, key, cops, notes, amends, amendment, dec, on = row
        linked = {
            r[0]
            for r in self.conn.execute(
                "SELECT session_id FROM eq_application_sessions WHERE application_id = ? "
                "UNION SELECT id FROM sessions WHERE reference = ?",
                (app_id, ref),
            )
        }
        explicit = [
            r[0]
            for r in self.conn.execute(
                "SELECT session_id FROM eq_application_sessions WHERE application_id = ? "
                "ORDER BY session_id",
                (app_id,),
            )
        ]
        return {
            "id": app_id,
            "reference": ref,
            "applicant": applicant,
            "asks": asks,
            "outstation_type": code,
            "combination": key,
            "cops": json.loads(cops or "[]"),
            "notes": notes,
            "sessions": sorted(linked),
            "linked_sessions": explicit,
            "amends": amends,
            "amendment": amendment,
            "decision": dec,
            "decision_date": on,
        }

    _APP_SQL = (
        "SELECT a.id, a.reference, a.applicant, a.asks, t.code, c.key, a.cops, a.notes, "
        "a.amends_approval_id, a.amendment, a.decision, a.decision_date "
        "FROM eq_applications a LEFT JOIN eq_types t ON t.id = a.type_id "
        "LEFT JOIN eq_combinations c ON c.id = a.combination_id"
    )

    def applications(self) -> list[dict]:
        """id, reference, applicant, asks, outstation_type, combination (key), cops, notes,
        sessions (ids: explicit links plus sessions with the same reference), linked_sessions
        (the explicit links only)."""
        rows = self.conn.execute(self._APP_SQL + " ORDER BY a.reference").fetchall()
        return [self._app_dict(r) for r in rows]

    def application(self, reference: str) -> dict:
        row = self.conn.execute(
            self._APP_SQL + " WHERE a.reference = ?", ((reference or "").strip(),)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"application {reference!r} is not in the equipment register")
        return self._app_dict(row)

    def application_for_session(self, session_id: int) -> dict | None:
        """The application a session belongs to (explicit link first, then by reference)."""
        row = self.conn.execute(
            self._APP_SQL + " JOIN eq_application_sessions s ON s.application_id = a.id "
            "WHERE s.session_id = ? ORDER BY a.id DESC LIMIT 1",
            (session_id,),
        ).fetchone()
        if row is None:
            row = self.conn.execute(
                self._APP_SQL
                + " WHERE a.reference = (SELECT reference FROM sessions WHERE id = ?)",
                (session_id,),
            ).fetchone()
        return self._app_dict(row) if row else None

    def declared_combination(self, session_id: int) -> Combination | None:
        """The combination the session's application declares, or None."""
        app = self.application_for_session(session_id)
        if app and app["combination"]:
            return self.combination(app["combination"])
        return None
