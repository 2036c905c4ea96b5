"""Audit chain: edits made with plain sqlite3 (bypassing the Store) are found and named."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from bench_app.cli import main
from bench_app.store import Store
from bench_app.store.audit import GENESIS, canonical
from tests.bench_app.storehelp import session_with


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "a.db"
    with Store.open(path) as store:
        sid, (cid,) = session_with(store, "bench")
        store.add_participant(sid, "Ann", "Elexon", "witness")
        run = store.start_checklist_run(sid, "t", "1")
        store.record_step(run, "DR1-1", actual="ok", verdict="pass")
        assert store.verify().ok
    return path


def edit(path, sql, params=()):
    conn = sqlite3.connect(path)
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def verify(path):
    with Store.open(path) as store:
        return store.verify()


def test_clean_database_verifies(db, capsys):
    assert main(["verify", "--db", str(db)]) == 0
    assert "audit chain ok" in capsys.readouterr().out
    res = verify(db)
    assert res.ok and res.checked > 5 and len(res.head) == 64 and res.head != GENESIS


def test_editing_one_reading_is_named_by_cli(db):
    rid = (
        sqlite3.connect(db)
        .execute("SELECT id FROM readings ORDER BY id LIMIT 1 OFFSET 57")
        .fetchone()[0]
    )
    edit(db, "UPDATE readings SET value = value + 0.001 WHERE id = ?", (rid,))
    proc = subprocess.run(
        [sys.executable, "-m", "bench_app", "verify", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 7
    assert f"readings id {rid}: content changed" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "sql,named",
    [
        ("UPDATE readings SET status = 1 WHERE id = 3", "readings id 3: content changed"),
        ("DELETE FROM readings WHERE id = 5", "readings id 5: row missing"),
        ("UPDATE readings SET collection_id = 2 WHERE id = 4", "readings id 4"),
        ("INSERT INTO readings (collection_id, start, channel, value, unit, status) "
         "VALUES (1, 1, 'x', 1.0, 'kWh', 0)", "not covered by the audit chain"),
        ("UPDATE participants SET name = 'Eve' WHERE id = 1", "participants id 1: content changed"),
        ("UPDATE checklist_steps SET verdict = 'fail' WHERE id = 1",
         "checklist_steps id 1: content changed"),
        ("UPDATE audit SET at = '2020-01-01T00:00:00Z' WHERE seq = 2",
         "seq 2): record hash does not match"),
        ("DELETE FROM audit WHERE seq = 2", "expected seq 2"),
        ("UPDATE sessions SET reference = 'OTHER' WHERE id = 1", "sessions id 1: content changed"),
        ("UPDATE sessions SET status = 'locked', locked_by = 'x' WHERE id = 1",
         "locked without an audit record"),
    ],
)  # fmt: skip
def test_tampering_is_detected(db, sql, named):
    with Store.open(db) as store:  # a second collection, so moving a row is possible
        store.new_collection(1, "hhdc")
    assert verify(db).ok
    edit(db, sql)
    res = verify(db)
    assert not res.ok
    assert named in res.first_broken


def test_unlocking_is_detected(db):
    with Store.open(db) as store:
        store.lock_session(1, "Wendy")
    edit(db, "UPDATE sessions SET status = 'draft', locked_by = NULL, locked_at = NULL")
    assert "sessions id 1" in verify(db).first_broken


def test_rewriting_a_digest_breaks_the_record_hash(db):
    conn = sqlite3.connect(db)
    aid, digests = conn.execute(
        "SELECT id, digests FROM audit WHERE tbl = 'readings' ORDER BY seq LIMIT 1"
    ).fetchone()
    conn.close()
    forged = bytes(8) + digests[8:]
    import hashlib

    edit(
        db,
        "UPDATE audit SET digests = ?, content = ? WHERE id = ?",
        (forged, hashlib.sha256(forged).hexdigest(), aid),
    )
    assert "record hash does not match" in verify(db).first_broken


def test_verify_one_session_and_unknown_session(db, capsys):
    with Store.open(db) as store:
        other = store.create_session("B", "cop-compliance")
    edit(db, "UPDATE readings SET value = 0 WHERE id = 1")
    assert verify(db).ok is False
    with Store.open(db) as store:
        assert store.verify(other).ok
    assert main(["verify", "--db", str(db), "--session", str(other)]) == 0
    assert main(["verify", "--db", str(db), "--session", "99"]) == 6
    assert "session 99" in capsys.readouterr().err


def test_canonical_json_is_compact_sorted_and_refuses_nan():
    assert canonical({"b": 1, "a": [1.5, "é"]}) == '{"a":[1.5,"é"],"b":1}'.encode()
    with pytest.raises(ValueError):
        canonical(float("nan"))
