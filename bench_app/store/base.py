"""Connection, transactions and audit appends shared by every part of :class:`Store`.

One SQLite file opened in WAL mode with foreign keys on and a busy timeout. Every write runs inside
:meth:`StoreBase.atomic` (``BEGIN IMMEDIATE`` … ``COMMIT``; nested calls join the outer transaction
through a savepoint), and appends its audit record in the same transaction, so evidence and its
audit record are committed together or not at all.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

import sqlite_utils

from bench_app.errors import NotFoundError, SessionLockedError, StoreError, os_hint
from bench_app.paths import default_db_path
from bench_app.settlement import parse_utc
from bench_app.store import audit, opening
from bench_app.store.migrations import SCHEMA_VERSION, migrate


def now_iso() -> str:
    """Current UTC time as ISO 8601 with microseconds and a ``Z`` suffix."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def to_iso(dt: datetime) -> str:
    """An aware (or naive = UTC) datetime as ISO 8601 UTC text with a ``Z`` suffix."""
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return dt.isoformat().replace("+00:00", "Z")


def from_iso(text: str | None) -> datetime | None:
    """Parse what :func:`to_iso` wrote (aware UTC), None stays None."""
    return parse_utc(text) if text else None


def new_uid() -> str:
    return str(uuid.uuid4())


class StoreBase:
    """Open database plus the transaction and audit machinery."""

    #: ``synchronous`` pragma: FULL survives power loss (a dying laptop) at one fsync per commit.
    SYNCHRONOUS = "FULL"

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()
        self._uids = audit.UidResolver(conn)
        self._session_of: dict[tuple[str, int], int] = {}
        #: True when opened with ``readonly=True``: every write is refused.
        self.readonly = False

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        synchronous: str | None = None,
        readonly: bool = False,
    ) -> Self:
        """Open (creating and migrating as needed) the session database at ``path``.

        :param path: SQLite file; None → :func:`bench_app.paths.default_db_path`.
        :param synchronous: ``"FULL"`` (default, durable) or ``"NORMAL"`` (faster bulk loads;
            still consistent after a crash, may lose the last commits on power loss).
        :param readonly: never write to the file (no migration, no WAL switch); works on a
            read-only file or medium; every write is refused (:mod:`bench_app.store.opening`).
        :raises StoreError: the file cannot be opened, is newer than this code, or is not ours.
        :raises DamagedDatabaseError: SQLite pages of the file are damaged.
        """
        path = Path(path) if path is not None else default_db_path()
        if readonly:
            store = cls(path, opening.connect_readonly(path))
            store.readonly = True
            return store
        opening.prepare_writable(path)
        try:
            conn = sqlite3.connect(
                str(path), isolation_level=None, check_same_thread=False, timeout=10.0
            )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"cannot open session database {path}: {exc}", hint=os_hint(exc)
            ) from exc
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"cannot switch {path} to WAL mode (got {mode})")
            conn.execute(f"PRAGMA synchronous = {synchronous or cls.SYNCHRONOUS}")
            conn.execute("PRAGMA cache_size = -32768")  # 32 MiB of pages: big sessions stay hot
            conn.execute("PRAGMA temp_store = MEMORY")
            migrate(sqlite_utils.Database(conn), where=f"session database {path}")
        except sqlite3.DatabaseError as exc:
            conn.close()
            if opening.is_damage(exc):
                raise opening.damaged(path, exc) from exc
            raise StoreError(
                f"cannot open session database {path}: {exc}", hint=os_hint(exc)
            ) from exc
        except BaseException:
            conn.close()
            raise
        return cls(path, conn)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return SCHEMA_VERSION

    # -- transactions ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """One transaction (``BEGIN IMMEDIATE``); nested uses join it through a savepoint."""
        with self._lock:
            if self.conn.in_transaction:
                name = f"sp_{uuid.uuid4().hex}"
                self.conn.execute(f"SAVEPOINT {name}")
                try:
                    yield
                except BaseException:
                    if self.conn.in_transaction:
                        self.conn.execute(f"ROLLBACK TO {name}")
                        self.conn.execute(f"RELEASE {name}")
                    self._forget_caches()
                    raise
                else:
                    self.conn.execute(f"RELEASE {name}")
                return
            if self.readonly:
                raise StoreError(
                    f"session database {self.path} is open read-only; nothing was written"
                )
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreError(
                    f"session database {self.path} is busy: {exc}", hint=os_hint(exc)
                ) from exc
            try:
                yield
            except BaseException as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                self._forget_caches()
                if opening.is_damage(exc):
                    raise opening.damaged(self.path, exc) from exc
                raise
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                self._forget_caches()
                raise StoreError(f"cannot commit to {self.path}: {exc}", hint=os_hint(exc)) from exc

    def _forget_caches(self) -> None:
        """Ids may be reused after a rollback, so cached uids and parents are dropped."""
        self._uids.cache.clear()
        self._session_of.clear()

    # -- sessions and locking -------------------------------------------------------------------

    def _session_row(self, session_id: int) -> sqlite3.Row | tuple:
        row = self.conn.execute(
            "SELECT id, status, locked_by, locked_at FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"session {session_id} does not exist in {self.path}")
        return row

    def check_unlocked(self, session_id: int) -> None:
        """Raise :class:`SessionLockedError` (naming who and when) if the session is locked."""
        _id, status, by, at = self._session_row(session_id)
        if status != "draft":
            raise SessionLockedError(
                f"session {session_id} was locked by {by or 'unknown'} at {at or 'unknown time'}; "
                "it can be read and exported but not changed"
            )

    def _parent_session(self, table: str, row_id: int) -> int:
        """Session of a collection or checklist run (cached; parents never move)."""
        key = (table, row_id)
        if key not in self._session_of:
            row = self.conn.execute(
                f"SELECT session_id FROM {table} WHERE id = ?", (row_id,)
            ).fetchone()
            if row is None:
                what = {"collections": "collection", "checklist_runs": "checklist run"}[table]
                raise NotFoundError(f"{what} {row_id} does not exist in {self.path}")
            self._session_of[key] = row[0]
        return self._session_of[key]

    # -- audit ----------------------------------------------------------------------------------

    def _append_audit(
        self, session_id: int, action: str, table: str, lo: int, hi: int, rows=None
    ) -> str | None:
        """Append the audit record covering rows ``lo..hi`` of ``table`` (inside a transaction).

        ``rows``: for readings only, the ``(collection_id, start, channel, value, unit, status)``
        tuples just inserted as ids ``lo..hi`` (saves reading them back).
        Returns the new head hash, or None when the range is empty.
        """
        if hi < lo:
            return None
        if rows is not None and table == "readings":
            digests = audit.reading_digests(((0, *r) for r in rows), self._uids)
        else:
            _ids, digests = audit.row_digests(self.conn, action, table, lo, hi, self._uids)
        blob = b"".join(digests)
        n = len(digests)
        if n != hi - lo + 1:
            raise StoreError(f"{table} rows {lo}..{hi} are not contiguous; audit refused")
        last = self.conn.execute(
            "SELECT seq, hash FROM audit WHERE session_id = ? ORDER BY seq DESC LIMIT 1",
            (session_id,),
        ).fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, audit.GENESIS)
        session_uid = self._uids("sessions", session_id)
        if session_uid is None:
            raise StoreError(f"session {session_id} has no uid; audit refused")
        at = now_iso()
        content = audit.sha256_hex(blob)
        digest = audit.record_hash(session_uid, seq, at, action, table, n, content, prev)
        self.conn.execute(
            "INSERT INTO audit (session_id, seq, at, action, tbl, lo, hi, n, digests, content, "
            "prev, hash, digest_size) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                session_id,
                seq,
                at,
                action,
                table,
                lo,
                hi,
                n,
                blob,
                content,
                prev,
                digest,
                audit.DIGEST_LEN,
            ),
        )
        return digest

    def _insert(self, table: str, session_id: int, record: dict) -> int:
        """Insert one evidence row and its audit record in one transaction; returns its id."""
        with self.atomic():
            self.check_unlocked(session_id)
            row_id = int(self.db.table(table).insert(record).last_pk or 0)
            self._append_audit(session_id, "insert", table, row_id, row_id)
        return row_id

    def _max_id(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0])

    def audit_head(self, session_id: int) -> str:
        """Hex SHA-256 of the newest audit record of the session (the chain head)."""
        self._session_row(session_id)
        row = self.conn.execute(
            "SELECT hash FROM audit WHERE session_id = ? ORDER BY seq DESC LIMIT 1", (session_id,)
        ).fetchone()
        return row[0] if row else audit.GENESIS

    def verify(self, session_id: int | None = None) -> audit.VerifyResult:
        """Re-hash the audit chain(s) and every covered row; report the first broken link.

        With ``session_id`` only that session is checked, else every session plus rows that
        belong to no session.
        """
        uids = audit.UidResolver(self.conn)
        if session_id is not None:
            return audit.verify_session(self.conn, session_id, uids)
        total, head, legacy = 0, "", 0
        ids = [r[0] for r in self.conn.execute("SELECT id FROM sessions ORDER BY id")]
        for sid in ids:
            res = audit.verify_session(self.conn, sid, uids)
            total += res.checked
            legacy += res.legacy
            if not res.ok:
                return audit.VerifyResult(False, total, res.first_broken, res.head)
            head = res.head
        orphan = audit.orphan_rows(self.conn)
        if orphan:
            return audit.VerifyResult(False, total, orphan, head)
        stray = self.conn.execute(
            "SELECT id, session_id FROM audit WHERE session_id NOT IN (SELECT id FROM sessions) "
            "LIMIT 1"
        ).fetchone()
        if stray:
            return audit.VerifyResult(
                False, total, f"audit id {stray[0]}: session {stray[1]} is missing", head
            )
        return audit.VerifyResult(True, total, None, head, legacy)

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check`` result (``"ok"`` when the file is sound)."""
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])
