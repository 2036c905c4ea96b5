"""Numbered migrations: from empty, from each earlier version, newer and foreign files refused."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from bench_app.errors import StoreError
from bench_app.store import Store
from bench_app.store.migrations import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, migrate
from tests.bench_app.storehelp import CHANNELS, old_store, profile_rows, utc


def _version(path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def _tables(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_versions_are_numbered_from_one_without_gaps():
    assert [m[0] for m in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))
    assert SCHEMA_VERSION >= 3


def test_migrates_an_empty_file(tmp_path):
    path = tmp_path / "new.db"
    with Store.open(path) as store:
        assert store.verify().ok
    assert _version(path) == SCHEMA_VERSION
    assert {"sessions", "readings", "audit", "checklist_runs", "checklist_steps"} <= _tables(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


@pytest.mark.parametrize("start", [m[0] for m in MIGRATIONS[:-1]])
def test_upgrades_in_place_from_each_earlier_version(tmp_path, start):
    path = tmp_path / f"v{start}.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(sqlite_utils.Database(conn), target=start)
    conn.close()
    assert _version(path) == start
    # Write evidence with the store while the file is at the old version (version-1 tables only).
    with old_store(path) as store:
        sid = store.create_session("OLD-1", "protocol-approval")
        cid = store.new_collection(sid, "bench", "iec21")
        store.add_profile_block(cid, CHANNELS, profile_rows(utc(2026, 3, 28), 48))
    with sqlite3.connect(path) as conn:
        head = conn.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()[0]
    conn.close()

    with Store.open(path) as store:
        assert _version(path) == SCHEMA_VERSION
        assert store.audit_head(sid) == head
        assert len(store.readings(cid)) == 96
        assert store.verify().ok
        run = store.start_checklist_run(sid, "t", "1")  # version-2 table works after upgrade
        store.record_step(run, "DR1-1", actual="ok", verdict="pass")
        assert store.verify().ok


def test_newer_database_is_refused_untouched(tmp_path):
    path = tmp_path / "future.db"
    Store.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    with pytest.raises(StoreError, match=rf"schema version {SCHEMA_VERSION + 1}.*newer"):
        Store.open(path)
    assert _version(path) == SCHEMA_VERSION + 1
    assert path.read_bytes() == before


def test_foreign_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (x)")
    with pytest.raises(StoreError, match="not a Witness Bench"):
        Store.open(path)
    assert _tables(path) == {"notes"}


def test_garbage_file_is_a_store_error(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="junk.db"):
        Store.open(path)
