"""Sessions, participants, equipment under test and software under test."""

from __future__ import annotations

import json
from collections.abc import Iterable

from bench_app.errors import NotFoundError, SessionLockedError, UsageError
from bench_app.store.base import StoreBase, new_uid, now_iso

KINDS = ("protocol-approval", "cop-compliance")
ROLES = ("tester", "witness", "hhdc", "amhhdc", "manufacturer")


def _json(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class SessionMixin(StoreBase):
    """Session records and the people and things under test."""

    def create_session(
        self,
        reference: str,
        kind: str,
        cops: Iterable[str] = (),
        location: str = "",
        date: str | None = None,
        title: str = "",
    ) -> int:
        """New draft session; returns its id.

        :param reference: BSCP601 application reference (non-empty).
        :param kind: ``"protocol-approval"`` or ``"cop-compliance"``.
        :param cops: Codes of Practice, e.g. ``["CoP5"]``.
        :param date: test date ``YYYY-MM-DD`` (default: today, UTC).
        """
        if not reference or not reference.strip():
            raise UsageError("a session needs an application reference")
        if kind not in KINDS:
            raise UsageError(f"session kind must be one of {', '.join(KINDS)}, not {kind!r}")
        created = now_iso()
        record = {
            "uid": new_uid(),
            "reference": reference.strip(),
            "kind": kind,
            "cops": _json([str(c) for c in cops]),
            "location": location,
            "date": date or created[:10],
            "title": title,
            "status": "draft",
            "locked_by": None,
            "locked_at": None,
            "lock_reason": None,
            "created_at": created,
        }
        with self.atomic():
            sid = int(self.db.table("sessions").insert(record).last_pk or 0)
            self._append_audit(sid, "insert", "sessions", sid, sid)
        return sid

    @staticmethod
    def _session_dict(row: dict) -> dict:
        out = dict(row)
        out["cops"] = json.loads(out["cops"] or "[]")
        return out

    def get_session(self, session_id: int) -> dict:
        """Keys: id, uid, reference, kind, cops (list), location, date, title, status
        (``draft``/``locked``), locked_by, locked_at, lock_reason, created_at."""
        rows = list(self.db.query("SELECT * FROM sessions WHERE id = ?", [session_id]))
        if not rows:
            raise NotFoundError(f"session {session_id} does not exist in {self.path}")
        return self._session_dict(rows[0])

    def list_sessions(self) -> list[dict]:
        """All sessions, newest first."""
        return [
            self._session_dict(r) for r in self.db.query("SELECT * FROM sessions ORDER BY id DESC")
        ]

    def lock_session(self, session_id: int, by: str, reason: str = "") -> None:
        """Lock the session (after signing): from now on every write is refused.

        The lock is itself an audit record; it cannot be undone. Lock through
        :func:`bench_app.equipment.snapshot.lock_session`, which first records the register facts
        the session used in its chain.
        """
        if not by or not by.strip():
            raise UsageError("say who locks the session (--by NAME)")
        with self.atomic():
            _id, status, locked_by, locked_at = self._session_row(session_id)
            if status != "draft":
                raise SessionLockedError(
                    f"session {session_id} is already locked by {locked_by} at {locked_at}"
                )
            self.conn.execute(
                "UPDATE sessions SET status = 'locked', locked_by = ?, locked_at = ?, "
                "lock_reason = ? WHERE id = ?",
                (by.strip(), now_iso(), reason, session_id),
            )
            self._append_audit(session_id, "lock", "sessions", session_id, session_id)

    # -- participants ---------------------------------------------------------------------------

    def add_participant(
        self,
        session_id: int,
        name: str,
        organisation: str = "",
        role: str = "tester",
        mpid: str | None = None,
    ) -> int:
        """Add a person or organisation; role is one of tester, witness, hhdc, manufacturer.

        :param mpid: 4-letter Market Participant ID (HHDCs).
        """
        if role not in ROLES:
            raise UsageError(f"participant role must be one of {', '.join(ROLES)}, not {role!r}")
        if not name or not name.strip():
            raise UsageError("a participant needs a name")
        record = {
            "session_id": session_id,
            "name": name.strip(),
            "organisation": organisation,
            "role": role,
            "mpid": mpid,
            "created_at": now_iso(),
        }
        return self._insert("participants", session_id, record)

    def participants(self, session_id: int) -> list[dict]:
        """id, session_id, name, organisation, role, mpid, created_at (in order added)."""
        self._session_row(session_id)
        return list(
            self.db.query(
                "SELECT * FROM participants WHERE session_id = ? ORDER BY id", [session_id]
            )
        )

    # -- equipment and software (superseded by newer records, never updated) --------------------

    def set_equipment(
        self,
        session_id: int,
        *,
        outstation_type: str = "",
        model: str = "",
        serials: Iterable[str] = (),
        firmware: dict[str, str] | None = None,
        hardware_version: str = "",
        channels: int = 0,
        channel_types: str = "",
        comms_method: str = "",
        variants_covered: str = "",
    ) -> int:
        """Record the equipment under test; a later call supersedes earlier records.

        :param firmware: e.g. ``{"metrology": "1.2", "application": "3.4", "communications": "5"}``.
        """
        record = {
            "session_id": session_id,
            "outstation_type": outstation_type,
            "model": model,
            "serials": _json([str(s) for s in serials]),
            "firmware": _json(dict(firmware or {})),
            "hardware_version": hardware_version,
            "channels": int(channels),
            "channel_types": channel_types,
            "comms_method": comms_method,
            "variants_covered": variants_covered,
            "created_at": now_iso(),
        }
        return self._insert("equipment", session_id, record)

    def equipment(self, session_id: int) -> dict | None:
        """The latest equipment record (serials as list, firmware as dict) or None."""
        self._session_row(session_id)
        rows = list(
            self.db.query(
                "SELECT * FROM equipment WHERE session_id = ? ORDER BY id DESC LIMIT 1",
                [session_id],
            )
        )
        if not rows:
            return None
        row = rows[0]
        row["serials"] = json.loads(row["serials"] or "[]")
        row["firmware"] = json.loads(row["firmware"] or "{}")
        return row

    def set_software(
        self,
        session_id: int,
        *,
        hhdc_name: str = "",
        hhdc_mpid: str = "",
        hhdc_software: str = "",
        hhdc_version: str = "",
        hhdc_date: str = "",
        hhdc_host: str = "",
        hhdc_modules: str = "",
        manufacturer_software: str = "",
        manufacturer_version: str = "",
    ) -> int:
        """Record the software under test; a later call supersedes earlier records."""
        record = {
            "session_id": session_id,
            "hhdc_name": hhdc_name,
            "hhdc_mpid": hhdc_mpid,
            "hhdc_software": hhdc_software,
            "hhdc_version": hhdc_version,
            "hhdc_date": hhdc_date,
            "hhdc_host": hhdc_host,
            "hhdc_modules": hhdc_modules,
            "manufacturer_software": manufacturer_software,
            "manufacturer_version": manufacturer_version,
            "created_at": now_iso(),
        }
        return self._insert("software", session_id, record)

    def software(self, session_id: int) -> dict | None:
        """The latest software record or None."""
        self._session_row(session_id)
        rows = list(
            self.db.query(
                "SELECT * FROM software WHERE session_id = ? ORDER BY id DESC LIMIT 1", [session_id]
            )
        )
        return rows[0] if rows else None
