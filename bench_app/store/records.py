"""Session records (migration 6): what the CLI and the bench add to a session's formal record.

Kinds (:data:`RECORD_KINDS`), each a JSON object; the newest record of a kind supersedes older
ones, which stay in the audit chain:

* ``bench`` — how the meter was reached: ``simulator`` (bool), ``meter`` (description name),
  ``port``, ``protocol``, ``baud``, ``framing``, ``probe``.
* ``test_equipment`` — ``items``: list of texts (probe, cables, power source with serials and
  calibration dates).
* ``time_source`` — ``source``: the reference time source (e.g. "GPS-disciplined NTP server X").
* ``cop_issues`` — ``issues``: CoP number → issue, e.g. ``{"1": "2", "5": "6"}``.
"""

from __future__ import annotations

import json

from bench_app.errors import UsageError
from bench_app.store.base import now_iso

RECORD_KINDS = ("bench", "test_equipment", "time_source", "cop_issues")


class SessionRecordsMixin:
    """Store methods for :data:`RECORD_KINDS` records (mixed into the Store)."""

    def set_session_record(self, session_id: int, kind: str, data: dict) -> int:
        """Record ``data`` as the session's ``kind`` record (supersedes older ones); returns id."""
        if kind not in RECORD_KINDS:
            raise UsageError(f"session record kind must be one of {', '.join(RECORD_KINDS)}")
        if not isinstance(data, dict):
            raise UsageError(f"session record {kind} must be an object, not {type(data).__name__}")
        record = {
            "session_id": session_id,
            "kind": kind,
            "data": json.dumps(data, sort_keys=True, separators=(",", ":")),
            "created_at": now_iso(),
        }
        return self._insert("session_records", session_id, record)  # type: ignore[attr-defined]

    def session_records(self, session_id: int) -> dict[str, dict]:
        """Kind → the newest record's data (kinds never set are absent)."""
        self._session_row(session_id)  # type: ignore[attr-defined]
        out: dict[str, dict] = {}
        for row in self.db.query(  # type: ignore[attr-defined]
            "SELECT kind, data FROM session_records WHERE session_id = ? ORDER BY id",
            [session_id],
        ):
            out[row["kind"]] = json.loads(row["data"])
        return out
