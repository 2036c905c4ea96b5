"""Opening the session database: checked before written, owner-only, read-only when asked.

- A new database file and the folder made for it are created readable by the owner only (0600 /
  0700 where the OS has such modes).
- An existing file is first looked at through a read-only connection: a foreign SQLite file, or
  one written by a newer Witness Bench, is refused before anything — not even the switch to WAL —
  is written. A file whose pages are damaged is refused with "database damaged at …".
- :func:`connect_readonly` never writes: no migration, no journal-mode change. It opens the file
  with ``mode=ro``; when even that needs a write (a WAL file on a read-only medium), it reads a
  private copy. An older schema is migrated in a copy held in memory, never in the file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import sqlite_utils

from bench_app.errors import DamagedDatabaseError, StoreError, os_hint
from bench_app.paths import private_dir
from bench_app.store.migrations import SCHEMA_VERSION, migrate

_CORRUPT_WORDS = ("malformed", "corrupt", "disk image")


def is_damage(exc: BaseException) -> bool:
    """True for SQLite errors that mean damaged pages (not locks or missing files)."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and any(w in text for w in _CORRUPT_WORDS)


def damaged(path: Path, exc: BaseException | None = None) -> DamagedDatabaseError:
    """A :class:`DamagedDatabaseError` naming ``path`` and, when SQLite can say, the page."""
    where = ""
    with contextlib.suppress(sqlite3.Error, OSError):
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = conn.execute("PRAGMA quick_check(3)").fetchall()
            where = "; ".join(str(r[0]) for r in rows if r[0] != "ok")
        finally:
            conn.close()
    detail = where or (str(exc) if exc else "integrity check failed")
    return DamagedDatabaseError(
        f"database damaged at {path}: {detail}; nothing was written - restore it from a backup"
    )


def _uri(path: Path) -> str:
    return f"{path.resolve().as_uri()}?mode=ro"


def _check_header(conn: sqlite3.Connection, path: Path) -> int:
    """Schema version of ``conn``'s file; refuses foreign, newer and damaged files."""
    where = f"session database {path}"
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return migrate(sqlite_utils.Database(conn), target=0, where=where)
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc).lower():
            raise StoreError(
                f"{where} is not a Witness Bench session database (nothing was changed)"
            ) from exc
        if is_damage(exc):
            raise damaged(path, exc) from exc
        raise StoreError(f"cannot read {where}: {exc}", hint=os_hint(exc)) from exc


def prepare_writable(path: Path) -> None:
    """Before a writable open: create an owner-only folder and file, or probe the existing file
    read-only and refuse it (foreign, newer, damaged) before anything is written."""
    try:
        if not path.parent.exists():
            private_dir(path.parent)
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
            return
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(
            f"cannot create session database {path}: {exc}", hint=os_hint(exc)
        ) from exc
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        raise StoreError(
            f"session database {path} (or its folder) is read-only; verify, session list/show "
            "and unsigned reports can read it, nothing can be written (nothing was changed)"
        )
    if path.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(_uri(path), uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open session database {path}: {exc}", hint=os_hint(exc)) from exc
    try:
        _check_header(conn, path)
        rows = conn.execute("PRAGMA quick_check(3)").fetchall()
        if [r[0] for r in rows] != ["ok"]:
            raise damaged(path)
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            raise damaged(path, exc) from exc
        raise StoreError(f"cannot read session database {path}: {exc}", hint=os_hint(exc)) from exc
    finally:
        conn.close()


def _private_copy(path: Path) -> sqlite3.Connection:
    """The database (with its WAL) read through a temporary copy, returned as an in-memory db."""
    with tempfile.TemporaryDirectory(prefix="wb-ro-") as tmp:
        copy = Path(tmp) / "copy.db"
        shutil.copyfile(path, copy)
        for suffix in ("-wal",):
            side = path.with_name(path.name + suffix)
            if side.is_file():
                shutil.copyfile(side, copy.with_name(copy.name + suffix))
        src = sqlite3.connect(str(copy))
        mem = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        try:
            src.backup(mem)
        finally:
            src.close()
    return mem


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A connection that cannot change ``path`` (see the module docstring).

    :raises StoreError: no such file, foreign or newer file.
    :raises DamagedDatabaseError: damaged pages.
    """
    if not path.is_file():
        raise StoreError(f"no session database at {path}")
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(_uri(path), uri=True, isolation_level=None, check_same_thread=False)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        if conn is not None:
            conn.close()
        try:
            conn = _private_copy(path)
        except (OSError, sqlite3.Error) as exc:
            if is_damage(exc):
                raise damaged(path, exc) from exc
            raise StoreError(
                f"cannot read session database {path}: {exc}", hint=os_hint(exc)
            ) from exc
    except sqlite3.DatabaseError as exc:
        if conn is None:  # connect() itself failed: there is no connection to check
            raise StoreError(
                f"cannot read session database {path}: {exc}", hint=os_hint(exc)
            ) from exc
        # "not a database" and damage are named by the header check below
    try:
        found = _check_header(conn, path)
        if found < SCHEMA_VERSION:
            mem = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            conn.backup(mem)
            conn.close()
            conn = mem
            migrate(sqlite_utils.Database(conn), where=f"in-memory copy of {path}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA query_only = ON")
    except BaseException:
        conn.close()
        raise
    return conn
