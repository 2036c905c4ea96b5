"""Re-check of a signed report's session against the session database (``verify --db``).

The session id, reference and audit head come from the report's first signed revision
(:func:`bench_app.signing.verify.report_info`). The database is opened read-only; the session's
whole audit chain and every row it covers are re-hashed, the signed head must be a record of that
chain, and no record may follow it (a locked session takes no more evidence). Any failure —
including a missing database or session — is a FAILED line saying why.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench_app.errors import BenchError, NotFoundError


def _fail(text: str) -> tuple[bool, list[str]]:
    return False, [f"session data: FAILED - {text}"]


def check_session_data(
    signed: dict[str, str], db_path: str | Path | None
) -> tuple[bool, list[str]]:
    """``(ok, lines)``: the re-check of the signed session in ``db_path`` (default database when
    None). The last line of a failure names the reason."""
    head, sid, ref = (
        signed.get("audit_head", ""),
        signed.get("session_id", ""),
        signed.get("reference", ""),
    )
    if not head or not sid.isdigit():
        return _fail("the signed report names no session and audit head")
    from bench_app.paths import default_db_path
    from bench_app.store import Store

    db = Path(db_path) if db_path else default_db_path()
    if not db.is_file():
        return _fail(f"no database at {db} (give --db DB, or --no-db to check signatures only)")
    try:
        with Store.open(db, readonly=True) as store:
            return _check(store, db, int(sid), ref, head)
    except BenchError as exc:
        return _fail(str(exc))
    except sqlite3.DatabaseError as exc:
        return _fail(f"database damaged at {db}: {exc}")


def _check(store, db: Path, sid: int, ref: str, head: str) -> tuple[bool, list[str]]:
    try:
        session = store.get_session(sid)
    except NotFoundError:
        other = store.conn.execute("SELECT id FROM sessions WHERE reference = ?", (ref,)).fetchone()
        hint = f" (reference {ref!r} is session {other[0]} there)" if other else ""
        return _fail(f"session {sid} is not in {db}{hint}")
    if ref and session.get("reference") != ref:
        return _fail(
            f"session {sid} in {db} is {session.get('reference')!r}, not the signed {ref!r}"
        )
    result = store.verify(sid)
    if not result.ok:
        return _fail(f"session {sid} in {db} does not verify: {result.first_broken}")
    conn = store.conn
    row = conn.execute(
        "SELECT seq FROM audit WHERE session_id = ? AND hash = ?", (sid, head)
    ).fetchone()
    if row is None:
        return _fail(
            f"the signed audit head {head[:16]}... is not in session {sid}'s chain in {db} "
            f"(its head is {result.head[:16]}...): the chain was rewritten"
        )
    later = conn.execute(
        "SELECT count(*), min(seq) FROM audit WHERE session_id = ? AND seq > ?", (sid, row[0])
    ).fetchone()
    if later[0]:
        first = conn.execute(
            "SELECT action, tbl, lo, at FROM audit WHERE session_id = ? AND seq = ?",
            (sid, later[1]),
        ).fetchone()
        return _fail(
            f"{later[0]} audit record(s) were added to session {sid} after signing "
            f"(first: {first[0]} {first[1]} id {first[2]} at {first[3]})"
        )
    return True, [
        f"session data: session {sid} {ref!r} in {db}: {result.checked} audit records and "
        f"every row they cover re-verified; signed head {head[:16]}... matches"
    ]
