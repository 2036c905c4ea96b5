"""Tamper-evident audit chain: canonical JSON → SHA-256, one chain per session.

Every write of evidence (one record, or a batch such as one profile block) appends one row to the
``audit`` table. The row covers a contiguous range of row ids ``lo..hi`` in one table and stores the
full 32-byte SHA-256 (*digest*) of the canonical content of each row, in id order. Its hash is

    sha256(canonical([session_uid, seq, at, action, table, n, sha256(digests), prev_hash]))

so changing, deleting or inserting a covered row changes a digest, and changing an audit row
breaks the link to the next one. Canonical content of a row is compact JSON with sorted keys of its
columns *without* the integer row id; foreign keys to sessions, collections and checklist runs are
replaced by those records' ``uid`` (a UUID), so a session moved to another database (a bundle)
keeps exactly the same hashes. BLOB columns are represented by their SHA-256 hex.

Readings, the bulk of the data, use a fast path that yields exactly
``canonical([collection_uid, start, channel, value, unit, status])``.

Records written before full-width digests keep their 8-byte prefixes (``digest_size`` 8): they
still verify, and :class:`VerifyResult` counts them so verification warns of "legacy 64-bit row
digests" (a 64-bit prefix can be collided on a laptop). The width is bound by the record hash
(``n`` and the SHA-256 of the digests are hashed), and a legacy record after a full-width one in
the same chain is refused (no downgrade).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: ``prev`` of the first record of every session chain.
GENESIS = "0" * 64
#: Bytes of each row's SHA-256 kept by new audit records (the full digest).
DIGEST_LEN = 32
#: Bytes kept by records written before full-width digests (64-bit prefixes).
LEGACY_DIGEST_LEN = 8
#: Digest widths a record may carry.
DIGEST_SIZES = (LEGACY_DIGEST_LEN, DIGEST_LEN)
#: The warning verification gives for a chain with legacy records.
LEGACY_WARNING = "legacy 64-bit row digests"

#: Column that references a parent record → the parent table (its ``uid`` is hashed).
FK_TABLES = {
    "session_id": "sessions",
    "collection_id": "collections",
    "run_id": "checklist_runs",
    "supersedes": "checklist_runs",
}

#: (action, table) → hashed columns, in a fixed order.
HASHED_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {
    ("insert", "sessions"): (
        "uid", "reference", "kind", "cops", "location", "date", "title", "created_at",
    ),
    ("lock", "sessions"): ("status", "locked_by", "locked_at", "lock_reason"),
    ("insert", "participants"): (
        "session_id", "name", "organisation", "role", "mpid", "created_at",
    ),
    ("insert", "equipment"): (
        "session_id", "outstation_type", "model", "serials", "firmware", "hardware_version",
        "channels", "channel_types", "comms_method", "variants_covered", "created_at",
    ),
    ("insert", "software"): (
        "session_id", "hhdc_name", "hhdc_mpid", "hhdc_software", "hhdc_version", "hhdc_date",
        "hhdc_host", "hhdc_modules", "manufacturer_software", "manufacturer_version", "created_at",
    ),
    ("insert", "collections"): (
        "uid", "session_id", "source", "protocol", "started_at", "meta", "source_file",
        "source_hash",
    ),
    ("insert", "readings"): ("collection_id", "start", "channel", "value", "unit", "status"),
    ("insert", "registers"): ("collection_id", "obis", "value", "unit"),
    ("insert", "events"): ("collection_id", "time", "code", "text"),
    ("insert", "clock_observations"): (
        "session_id", "meter_time", "reference_time", "deviation_s", "note",
    ),
    ("insert", "traces"): (
        "session_id", "collection_id", "label", "sha256", "records", "bytes_tx", "bytes_rx",
        "created_at", "data",
    ),
    ("insert", "attachments"): (
        "session_id", "name", "mime", "size", "sha256", "created_at", "data",
    ),
    ("insert", "checklist_runs"): (
        "uid", "session_id", "template", "template_version", "supersedes", "reason", "created_at",
    ),
    ("insert", "checklist_steps"): (
        "run_id", "step_id", "attempt", "actual", "verdict", "proposed_verdict", "evidence", "note",
        "by", "at",
    ),
    ("insert", "checklist_confirmations"): ("run_id", "role", "name", "at"),
    ("insert", "acq_blocks"): (
        "collection_id", "seq", "kind", "first_start", "last_start", "items", "added",
        "trace_sha256", "at",
    ),
    ("insert", "acq_status"): ("collection_id", "state", "reason", "at"),
    ("insert", "session_records"): ("session_id", "kind", "data", "created_at"),
}  # fmt: skip

#: Columns added later, hashed only when not NULL (older rows keep their digests). ``simulated``
#: (1 a simulated outstation, 0 a real meter) is evidence: changing it breaks the chain.
OPTIONAL_HASHED: dict[tuple[str, str], tuple[str, ...]] = {
    ("insert", "collections"): ("simulated",),
    ("insert", "clock_observations"): (
        "reference_offset_s", "reference_uncertainty_s", "reference_source", "simulated",
    ),
    ("insert", "traces"): ("simulated",),
    ("insert", "checklist_runs"): ("frozen",),
}  # fmt: skip

#: Every optional column name (a bundle written before a column existed may lack it).
OPTIONAL_COLUMNS = frozenset(c for cols in OPTIONAL_HASHED.values() for c in cols)

#: Evidence table → SQL selecting the ids of its rows that belong to session ``?``.
SESSION_ROWS = {
    "sessions": "SELECT id FROM sessions WHERE id = ?",
    "participants": "SELECT id FROM participants WHERE session_id = ?",
    "equipment": "SELECT id FROM equipment WHERE session_id = ?",
    "software": "SELECT id FROM software WHERE session_id = ?",
    "collections": "SELECT id FROM collections WHERE session_id = ?",
    "readings": "SELECT id FROM readings WHERE collection_id IN "
    "(SELECT id FROM collections WHERE session_id = ?)",
    "registers": "SELECT id FROM registers WHERE collection_id IN "
    "(SELECT id FROM collections WHERE session_id = ?)",
    "events": "SELECT id FROM events WHERE collection_id IN "
    "(SELECT id FROM collections WHERE session_id = ?)",
    "clock_observations": "SELECT id FROM clock_observations WHERE session_id = ?",
    "traces": "SELECT id FROM traces WHERE session_id = ?",
    "attachments": "SELECT id FROM attachments WHERE session_id = ?",
    "checklist_runs": "SELECT id FROM checklist_runs WHERE session_id = ?",
    "checklist_steps": "SELECT id FROM checklist_steps WHERE run_id IN "
    "(SELECT id FROM checklist_runs WHERE session_id = ?)",
    "checklist_confirmations": "SELECT id FROM checklist_confirmations WHERE run_id IN "
    "(SELECT id FROM checklist_runs WHERE session_id = ?)",
    "acq_blocks": "SELECT id FROM acq_blocks WHERE collection_id IN "
    "(SELECT id FROM collections WHERE session_id = ?)",
    "acq_status": "SELECT id FROM acq_status WHERE collection_id IN "
    "(SELECT id FROM collections WHERE session_id = ?)",
    "session_records": "SELECT id FROM session_records WHERE session_id = ?",
}


def canonical(obj: object) -> bytes:
    """Compact, key-sorted, UTF-8 JSON; NaN/Infinity are refused (ValueError)."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_hash(
    session_uid: str, seq: int, at: str, action: str, table: str, n: int, content: str, prev: str
) -> str:
    """Hash of one audit record (hex)."""
    return sha256_hex(canonical([session_uid, seq, at, action, table, n, content, prev]))


class UidResolver:
    """Maps (table, id) → uid for the parent tables, with a cache."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.cache: dict[tuple[str, int], str | None] = {}

    def __call__(self, table: str, row_id: int | None) -> str | None:
        if row_id is None:
            return None
        key = (table, row_id)
        if key not in self.cache:
            row = self.conn.execute(f"SELECT uid FROM {table} WHERE id = ?", (row_id,)).fetchone()
            # A dangling reference hashes differently from any real uid.
            self.cache[key] = row[0] if row else f"missing:{table}:{row_id}"
        return self.cache[key]


def row_digests(
    conn: sqlite3.Connection, action: str, table: str, lo: int, hi: int, uids: UidResolver
) -> tuple[list[int], list[bytes]]:
    """Ids and digests of the rows ``lo..hi`` of ``table`` as the record ``action`` covers them."""
    cols = HASHED_COLUMNS[(action, table)]
    optional = OPTIONAL_HASHED.get((action, table), ())
    if optional:  # a file written at an older version (not migrated yet) may lack some
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        optional = tuple(c for c in optional if c in have)
    cols = (*cols, *optional)
    sql = f"SELECT id, {', '.join(cols)} FROM {table} WHERE id BETWEEN ? AND ? ORDER BY id"
    rows = conn.execute(sql, (lo, hi)).fetchall()
    if table == "readings":
        return [r[0] for r in rows], reading_digests(rows, uids)
    ids, out = [], []
    for row in rows:
        ids.append(row[0])
        obj = {}
        for col, val in zip(cols, row[1:]):
            if col in optional and val is None:
                continue  # a column added later, not set for this row
            if col in FK_TABLES:
                val = uids(FK_TABLES[col], val)
            elif isinstance(val, bytes):
                val = {"sha256": sha256_hex(val)}
            obj[col] = val
        out.append(hashlib.sha256(canonical(obj)).digest())
    return ids, out


def reading_digests(rows: Iterable[Sequence], uids: UidResolver) -> list[bytes]:
    """Digests of ``(id, collection_id, start, channel, value, unit, status)`` tuples.

    Byte-identical to ``canonical([collection_uid, start, channel, value, unit, status])``.
    """
    dumps = json.dumps
    prefixes: dict[int, str] = {}
    middles: dict[tuple[str, str | None], tuple[str, str]] = {}
    sha = hashlib.sha256
    out: list[bytes] = []
    append = out.append
    for _id, cid, start, channel, value, unit, status in rows:
        pre = prefixes.get(cid)
        if pre is None:
            pre = prefixes[cid] = "[" + dumps(uids("collections", cid), ensure_ascii=False) + ","
        mid = middles.get((channel, unit))
        if mid is None:
            mid = middles[(channel, unit)] = (
                "," + dumps(channel, ensure_ascii=False) + ",",
                "," + dumps(unit, ensure_ascii=False) + ",",
            )
        append(sha(f"{pre}{start}{mid[0]}{value!r}{mid[1]}{status}]".encode()).digest())
    return out


@dataclass
class VerifyResult:
    """Outcome of :meth:`Store.verify`.

    :param ok: every audit record and every covered row verified, and no row is uncovered.
    :param checked: audit records checked.
    :param first_broken: None, or text naming the table and row id (and the audit record).
    :param head: hex hash of the chain head (of the session when one was given, else of the
        last session checked); empty when there is no record.
    :param legacy: records checked that carry legacy 64-bit row digests.
    """

    ok: bool
    checked: int
    first_broken: str | None = None
    head: str = ""
    legacy: int = 0

    @property
    def warning(self) -> str:
        """``""``, or the legacy-digest warning with its count."""
        if not self.legacy:
            return ""
        return f"{LEGACY_WARNING} in {self.legacy} of {self.checked} audit records"

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_broken": self.first_broken,
            "head": self.head,
            "legacy_records": self.legacy,
            "warning": self.warning,
        }


def verify_session(conn: sqlite3.Connection, session_id: int, uids: UidResolver) -> VerifyResult:
    """Check the chain of one session and every row it covers; stops at the first problem."""
    srow = conn.execute(
        "SELECT uid, status, locked_by FROM sessions WHERE id = ?", (session_id,)
    ).fetchone()
    if srow is None:
        return VerifyResult(False, 0, f"sessions id {session_id}: no such session")
    session_uid, status, locked_by = srow
    records = conn.execute(
        "SELECT id, seq, at, action, tbl, lo, hi, n, digests, content, prev, hash, digest_size "
        "FROM audit WHERE session_id = ? ORDER BY seq",
        (session_id,),
    ).fetchall()
    prev, checked, legacy = GENESIS, 0, 0
    covered: dict[str, list[tuple[int, int]]] = {}
    locked = False
    for aid, seq, at, action, tbl, lo, hi, n, digests, content, prev_s, hsh, size in records:
        where = f"audit id {aid} (session {session_id}, seq {seq})"
        if seq != checked + 1:
            return VerifyResult(False, checked, f"{where}: expected seq {checked + 1}", prev)
        if prev_s != prev:
            return VerifyResult(False, checked, f"{where}: link to previous record broken", prev)
        if (action, tbl) not in HASHED_COLUMNS:
            return VerifyResult(False, checked, f"{where}: unknown action {action} on {tbl}", prev)
        digests = digests or b""
        if record_hash(session_uid, seq, at, action, tbl, n, content, prev_s) != hsh:
            return VerifyResult(False, checked, f"{where}: record hash does not match", prev)
        if sha256_hex(digests) != content or size not in DIGEST_SIZES or len(digests) != n * size:
            return VerifyResult(False, checked, f"{where}: row digests do not match", prev)
        if size == LEGACY_DIGEST_LEN:
            if checked > legacy:  # a full-width record came before: no downgrade
                return VerifyResult(
                    False, checked, f"{where}: 64-bit row digests after full-width ones", prev
                )
            legacy += 1
        if lo is None or hi is None or hi - lo + 1 != n:
            return VerifyResult(False, checked, f"{where}: covered row range changed", prev)
        ids, got = row_digests(conn, action, tbl, lo, hi, uids)
        by_id = dict(zip(ids, got))
        for i in range(n):
            rid = lo + i
            have = by_id.get(rid)
            if have is None:
                return VerifyResult(False, checked, f"{tbl} id {rid}: row missing ({where})", prev)
            if have[:size] != digests[i * size : (i + 1) * size]:
                return VerifyResult(
                    False, checked, f"{tbl} id {rid}: content changed ({where})", prev
                )
        if action == "lock":
            locked = True
        else:
            covered.setdefault(tbl, []).append((lo, hi))
        prev = hsh
        checked += 1
    done = VerifyResult(True, checked, None, prev, legacy)
    if (status != "draft" or locked_by) and not locked:
        return VerifyResult(
            False, checked, f"sessions id {session_id}: locked without an audit record", prev
        )
    if locked and status != "locked":
        return VerifyResult(False, checked, f"sessions id {session_id}: lock was removed", prev)
    for tbl, sql in SESSION_ROWS.items():
        ranges = sorted(covered.get(tbl, []))
        bad = _first_uncovered(conn, sql, session_id, ranges)
        if bad is not None:
            return VerifyResult(
                False, checked, f"{tbl} id {bad}: not covered by the audit chain", prev
            )
    return done


def _first_uncovered(
    conn: sqlite3.Connection, sql: str, session_id: int, ranges: list[tuple[int, int]]
) -> int | None:
    """First row id of a session's table not inside any covered ``(lo, hi)`` range."""
    expected = sum(hi - lo + 1 for lo, hi in ranges)
    count = conn.execute(f"SELECT count(*) FROM ({sql})", (session_id,)).fetchone()[0]
    if count == expected:
        return None
    k = 0
    for (row_id,) in conn.execute(sql + " ORDER BY id", (session_id,)):
        while k < len(ranges) and ranges[k][1] < row_id:
            k += 1
        if k >= len(ranges) or row_id < ranges[k][0]:
            return row_id
    return None


def orphan_rows(conn: sqlite3.Connection) -> str | None:
    """A row of an evidence table that belongs to no session (checked by a whole-DB verify)."""
    checks = {
        "readings": "SELECT id FROM readings WHERE collection_id NOT IN "
        "(SELECT id FROM collections)",
        "registers": "SELECT id FROM registers WHERE collection_id NOT IN "
        "(SELECT id FROM collections)",
        "events": "SELECT id FROM events WHERE collection_id NOT IN (SELECT id FROM collections)",
        "collections": "SELECT id FROM collections WHERE session_id NOT IN "
        "(SELECT id FROM sessions)",
        "checklist_steps": "SELECT id FROM checklist_steps WHERE run_id NOT IN "
        "(SELECT id FROM checklist_runs)",
        "acq_blocks": "SELECT id FROM acq_blocks WHERE collection_id NOT IN "
        "(SELECT id FROM collections)",
        "acq_status": "SELECT id FROM acq_status WHERE collection_id NOT IN "
        "(SELECT id FROM collections)",
    }
    for tbl, sql in checks.items():
        row = conn.execute(sql + " LIMIT 1").fetchone()
        if row:
            return f"{tbl} id {row[0]}: belongs to no session"
    return None
