"""Session records (migration 6): what the CLI and the bench add to a session's formal record.

Kinds (:data:`RECORD_KINDS`), each a JSON object; the newest record of a kind supersedes older
ones, which stay in the audit chain:

* ``bench`` — how the meter was reached: ``simulator`` (bool), ``meter`` (description name),
  ``port``, ``protocol``, ``baud``, ``framing``, ``probe``.
* ``test_equipment`` — ``items``: list of texts (probe, cables, power source with serials and
  calibration dates).
* ``time_source`` — ``source``: the reference time source (e.g. "GPS-disciplined NTP server X").
* ``cop_issues`` — ``issues``: CoP number → issue, e.g. ``{"1": "2", "5": "6"}``.
* ``test_record`` — the Elexon test record's fields the other records do not hold
  (:data:`bench_app.test_record.FIELDS`: application reference, applicant, PTA testers,
  protocols, approval roles, agreed script reference and version, departures).
* ``capabilities`` — ``declared``: capability → yes/no or a count, ``by``: who declared it
  (:mod:`bench_app.capabilities`).
* ``accepted_incomplete`` — ``entries``: each ``{run_id, role, name, steps}`` of a checklist run
  confirmed with steps not run (``checklist confirm --accept-incomplete``; a deviation).
* ``meter_write`` — one write to the meter outside a checklist step (:mod:`bench_app.meter_writes`):
  what, before, after, what it leaves in the meter, by, reason, at. Every record counts (none
  supersedes another): :meth:`SessionRecordsMixin.session_record_list` lists them; they are not
  in :meth:`~SessionRecordsMixin.session_records`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bench_app.errors import UsageError
from bench_app.store.base import now_iso

if TYPE_CHECKING:
    from bench_app.store.reader import SessionReader

RECORD_KINDS = (
    "bench", "test_equipment", "time_source", "cop_issues", "capabilities",
    "accepted_incomplete", "test_record",
    # written by the store itself: runs superseded with a reason, and the register facts
    # (certificates, conditions, dispensations…) a session used, snapshotted when it locks
    "run_supersessions", "register_snapshot",
    # one record per write to the meter outside a step (a list: none supersedes another)
    "meter_write",
)  # fmt: skip
#: Kinds where every record counts (listed by ``session_record_list``, not in ``session_records``).
LISTED_KINDS = frozenset({"meter_write"})


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
        """Kind → the newest record's data (kinds never set are absent; :data:`LISTED_KINDS`
        are not here: see :meth:`session_record_list`)."""
        self._session_row(session_id)  # type: ignore[attr-defined]
        out: dict[str, dict] = {}
        for row in self.db.query(  # type: ignore[attr-defined]
            "SELECT kind, data FROM session_records WHERE session_id = ? ORDER BY id",
            [session_id],
        ):
            if row["kind"] not in LISTED_KINDS:
                out[row["kind"]] = json.loads(row["data"])
        return out

    def session_record_list(self, session_id: int, kind: str) -> list[dict]:
        """Every record of ``kind``, oldest first, each its data plus ``id`` (local row id)."""
        self._session_row(session_id)  # type: ignore[attr-defined]
        return [
            {**json.loads(row["data"]), "id": row["id"]}
            for row in self.db.query(  # type: ignore[attr-defined]
                "SELECT id, data FROM session_records WHERE session_id = ? AND kind = ? "
                "ORDER BY id",
                [session_id, kind],
            )
        ]


#: the ``bench`` record's fields, in the order the report lists them
BENCH_FIELDS = ("simulator", "meter", "port", "protocol", "baud", "framing", "probe")


def framing_text(protocol: str, *, mode_e: bool = False, framing: str = "") -> str:
    """How the bytes were framed, as the ``bench`` record states it: ``IEC 62056-21 mode C``,
    ``DLMS mode E`` or ``DLMS <framing>`` (e.g. ``DLMS HDLC``)."""
    if protocol == "iec21":
        return "IEC 62056-21 mode C"
    return f"DLMS {'mode E' if mode_e else framing}".strip()


def record_bench(
    store: SessionRecordsMixin,
    session_id: int,
    *,
    simulator: bool,
    meter: str = "",
    port: str = "",
    protocol: str = "",
    baud: int | None = None,
    framing: str = "",
    probe: str = "",
) -> bool:
    """Record how the meter of ``session_id`` was reached — the built-in simulator or a port —
    as its ``bench`` record; a new record only when something changed (the CLI's checklist run
    and the GUI's connections and checklist runs all call this). Returns True when recorded."""
    data = {
        "simulator": bool(simulator),
        "meter": meter,
        "port": port,
        "protocol": protocol,
        "baud": baud,
        "framing": framing,
        "probe": probe,
    }
    old = store.session_records(session_id).get("bench") or {}
    if {k: old.get(k) for k in data} == data:
        return False
    store.set_session_record(session_id, "bench", data)
    return True


def is_simulator_session(store: SessionReader, session_id: int) -> bool:
    """True when any of the session's evidence came from a simulated outstation: a collection,
    trace or clock observation marked simulated (or a collection whose identity announces a
    simulator), or any ``bench`` record — not only the newest — naming the simulator. A later
    ``session set bench --port …`` never clears it (the report, the CLI and the GUI mark such
    sessions)."""
    for (data,) in store.conn.execute(
        "SELECT data FROM session_records WHERE session_id = ? AND kind = 'bench'", [session_id]
    ):
        if json.loads(data).get("simulator"):
            return True
    counter = getattr(store, "simulated_evidence", None)
    return bool(counter(session_id)) if counter is not None else False
