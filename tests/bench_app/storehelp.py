"""Helpers shared by the store tests (imported as a plain module from tests/bench_app)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench_app import settlement
from bench_app.store import Store
from bench_app.store.audit import record_hash, sha256_hex
from drivers.model import Channel, ProfileRow

CHANNELS = [Channel("1.0.1.8.0.255", "Wh"), Channel("1.0.3.8.0.255", "varh")]


def profile_rows(start: datetime, count: int, period_min: int = 30, seed: int = 1):
    """Deterministic, non-uniform profile rows (values in Wh / varh)."""
    rows = []
    for i in range(count):
        t = start + timedelta(minutes=period_min * i)
        a = float((i * 37 + seed * 11) % 500 + 100)
        r = float((i * 13 + seed * 7) % 90)
        rows.append(ProfileRow(t, [a, r], 0x0001 if i % 97 == 5 else 0))
    return rows


def day_rows(day: date, seed: int = 1):
    """Half-hourly rows covering settlement day ``day`` (46/48/50 of them)."""
    return profile_rows(settlement.day_start(day), settlement.periods_in_day(day), 30, seed)


def session_with(store: Store, *sources: str, days=(date(2026, 10, 24), date(2026, 10, 25))):
    """A session with one identical collection per source; returns (session id, ids)."""
    sid = store.create_session("APP-TEST", "protocol-approval", cops=["CoP5"])
    ids = []
    for source in sources:
        cid = store.new_collection(sid, source, "test")
        for day in days:
            store.add_profile_block(cid, CHANNELS, day_rows(day))
        ids.append(cid)
    return sid, ids


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def legacyize(path, from_seq: int = 1) -> None:
    """Rewrite audit records ``seq >= from_seq`` as an old Witness Bench wrote them: 8 bytes per
    row, content and record hashes recomputed along the chain."""
    conn = sqlite3.connect(path)
    with conn:
        for sid, uid in conn.execute("SELECT id, uid FROM sessions").fetchall():
            prev = None
            rows = conn.execute(
                "SELECT id, seq, at, action, tbl, n, digests, content, prev, hash FROM audit "
                "WHERE session_id = ? ORDER BY seq", (sid,)
            ).fetchall()  # fmt: skip
            for aid, seq, at, action, tbl, n, digests, content, old_prev, hsh in rows:
                prev = old_prev if prev is None else prev
                if seq >= from_seq:
                    digests = b"".join(digests[i * 32 : i * 32 + 8] for i in range(n))
                    content = sha256_hex(digests)
                    hsh = record_hash(uid, seq, at, action, tbl, n, content, prev)
                    conn.execute(
                        "UPDATE audit SET digests = ?, content = ?, prev = ?, hash = ?, "
                        "digest_size = 8 WHERE id = ?", (digests, content, prev, hsh, aid)
                    )  # fmt: skip
                prev = hsh
    conn.close()


@contextlib.contextmanager
def old_store(path: Path) -> Iterator[Store]:
    """A Store writing into a file left at an old schema version (``migrate(target=…)``), whose
    audit records end up as that version wrote them: 64-bit row digests, no ``digest_size``."""
    conn = sqlite3.connect(path, isolation_level=None)
    cols = {r[1] for r in conn.execute("PRAGMA table_info(audit)")}
    old = "digest_size" not in cols  # before full-width digests
    if old:
        conn.execute("ALTER TABLE audit ADD COLUMN digest_size INTEGER NOT NULL DEFAULT 8")
    store = Store.__new__(Store)
    Store.__init__(store, path, conn)
    try:
        yield store
    finally:
        conn.close()
    if old:
        legacyize(path)
        conn = sqlite3.connect(path)
        conn.execute("ALTER TABLE audit DROP COLUMN digest_size")
        conn.commit()
        conn.close()
