"""The register facts a session used, frozen into its audit chain when it locks.

The equipment register (types, certificates, conditions, dispensations, template overrides,
variants, application links) is reference data updated in place and outside the audit chain. A
signed report must not change when the register does, so :func:`lock_session` (the way signing
and ``bench-app session lock`` lock a session) records, as an audited ``register_snapshot``
session record written in the same transaction just before the lock:

* ``findings`` — :func:`bench_app.equipment.checks.check_session` as the session saw it;
* ``deviations`` — :func:`bench_app.equipment.deviations.session_deviations` (dispensations,
  CoP departures and issues, conditions, template overrides);
* ``rows`` — the session's own register rows (:data:`SCOPED`), to tell later SQL edits.

Once a session is locked, the overall result and the report read these instead of the live
register (:func:`findings`, :func:`deviations`), and ``bench-app verify`` compares the live
session rows with ``rows`` (:func:`scoped_changes`).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from bench_app.errors import BenchError

KIND = "register_snapshot"
#: Register tables with rows that belong to one session, and the column naming it.
SCOPED = {
    "eq_dispensations": "session_id",
    "eq_template_overrides": "session_id",
    "eq_session_variants": "session_id",
    "eq_application_sessions": "session_id",
}
#: Columns that change without changing a fact (bookkeeping stamps).
_IGNORED = frozenset({"updated_at"})


def lock_session(store: Any, session_id: int, by: str, reason: str = "") -> None:
    """Record the register snapshot of ``session_id`` and lock it, in one transaction (nothing
    is written when the lock is refused).

    :raises UsageError: no name. :raises SessionLockedError: already locked.
    """
    from bench_app.errors import UsageError

    if not by or not by.strip():
        raise UsageError("say who locks the session (--by NAME)")
    with store.atomic():
        store.check_unlocked(session_id)
        store.set_session_record(session_id, KIND, take(store, session_id))
        store.lock_session(session_id, by=by, reason=reason)


def scoped_rows(conn: sqlite3.Connection, session_id: int) -> dict[str, list[dict]]:
    """The session's rows of every :data:`SCOPED` table (tables missing in an old database are
    left out), each row a dict of its columns, in a stable order."""
    out: dict[str, list[dict]] = {}
    for table, col in SCOPED.items():
        try:
            cur = conn.execute(f"SELECT * FROM {table} WHERE {col} = ?", (session_id,))
        except sqlite3.OperationalError:
            continue
        names = [d[0] for d in cur.description]
        rows = [{k: v for k, v in zip(names, r) if k not in _IGNORED} for r in cur.fetchall()]
        out[table] = sorted(rows, key=lambda r: repr(sorted(r.items())))
    return out


def take(store: Any, session_id: int) -> dict:
    """The snapshot of ``session_id`` now (see the module docstring)."""
    from bench_app.equipment.checks import check_session
    from bench_app.equipment.deviations import session_deviations

    try:
        found = [f.to_json() for f in check_session(store, session_id)]
        devs = [d.to_json() for d in session_deviations(store, session_id, found)]
    except BenchError as exc:
        found = [{"code": "check-failed", "severity": "info", "source": "register",
                  "message": f"equipment checks not run: {exc}"}]  # fmt: skip
        devs = [{"kind": "error", "reference": "", "text": f"deviations not listed: {exc}"}]
    return {"findings": found, "deviations": devs, "rows": scoped_rows(store.conn, session_id)}


def stored(store: Any, session_id: int) -> dict | None:
    """The snapshot recorded when the session locked; None for a draft session (or one locked
    before snapshots were recorded)."""
    if not hasattr(store, "session_records"):
        return None
    session = store.get_session(session_id)
    if session.get("status") == "draft":
        return None
    return store.session_records(session_id).get(KIND)


def scoped_changes(store: Any, session_id: int) -> list[str]:
    """Differences between the session's live register rows and its snapshot, one sentence
    each (empty when they agree, when the session has no snapshot, or when this database holds
    none of the session's register rows, as after a bundle import)."""
    snap = stored(store, session_id)
    if snap is None:
        return []
    live = scoped_rows(store.conn, session_id)
    if not any(live.values()):
        return []
    frozen = snap.get("rows") or {}
    out = []
    for table in SCOPED:
        was, now = frozen.get(table) or [], live.get(table) or []
        if was != now:
            added = [r for r in now if r not in was]
            gone = [r for r in was if r not in now]
            out.append(
                f"{table}: {len(added)} row(s) added or changed and {len(gone)} removed after "
                f"the session locked (first: {(added or gone)[0]})"
            )
    return out
