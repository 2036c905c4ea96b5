"""Opening session databases that are read-only, foreign, newer or damaged — real SQLite files.

Read-only cases run the real ``bench-app`` in a subprocess; as root (which ignores file modes) it
runs under ``setpriv`` without the capabilities that override file modes, so the file and folder
modes are really enforced.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from bench_app.cli import main
from bench_app.errors import DamagedDatabaseError, StoreError
from bench_app.store import Store
from bench_app.store.migrations import SCHEMA_VERSION, migrate
from tests.bench_app.report.report_fixtures import fill_session

ROOT = Path(__file__).resolve().parents[2]
POSIX = os.name == "posix"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def filled(tmp_path):
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        sid = fill_session(store, days=1, channels=1)
    return db, sid


@pytest.mark.skipif(not POSIX, reason="POSIX file modes")
def test_new_database_and_folder_are_owner_only(tmp_path):
    db = tmp_path / "new-folder" / "s.db"
    Store.open(db).close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700


def test_foreign_sqlite_file_is_refused_untouched(tmp_path):
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE customers (name TEXT)")
    conn.commit()
    conn.close()
    before = _digest(db)
    with pytest.raises(StoreError, match="not a Witness Bench session database"):
        Store.open(db)
    assert _digest(db) == before  # still in rollback-journal mode: header bytes 18/19 are 1
    assert db.read_bytes()[18:20] == b"\x01\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_text_file_is_refused_untouched(tmp_path):
    db = tmp_path / "notes.db"
    db.write_text("not sqlite at all " * 100)
    with pytest.raises(StoreError, match="not a Witness Bench session database"):
        Store.open(db)
    assert db.read_text().startswith("not sqlite")


def test_newer_database_is_refused_before_anything_is_written(filled):
    db, _ = filled
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    before = _digest(db)
    for readonly in (False, True):
        with pytest.raises(StoreError, match="newer Witness Bench"):
            Store.open(db, readonly=readonly)
    assert _digest(db) == before
    assert db.read_bytes()[18:20] == b"\x01\x01"  # not switched to WAL


def test_readonly_open_writes_nothing_and_refuses_writes(filled):
    db, sid = filled
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    before = _digest(db)
    with Store.open(db, readonly=True) as store:
        assert store.get_session(sid)["reference"] == "BSCP601-TEST-0001"
        assert store.verify(sid).ok
        with pytest.raises(StoreError, match="read-only"):
            store.add_participant(sid, "Mallory")
    assert _digest(db) == before
    assert db.read_bytes()[18:20] == b"\x01\x01"
    assert sorted(p.name for p in db.parent.iterdir()) == ["s.db"]


def test_readonly_open_of_an_older_schema_migrates_only_a_copy(tmp_path):
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    migrate(sqlite_utils.Database(conn), target=1)
    conn.close()
    with Store.open(db, readonly=True) as store:
        assert store.list_sessions() == []
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


_NO_OVERRIDE = "-dac_override,-dac_read_search,-fowner"


def _run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """``python -m bench_app ARGS``; as root, without the capabilities that bypass file modes."""
    prefix: list[str] = []
    if POSIX and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file modes would not be enforced")
        prefix = [setpriv, f"--bounding-set={_NO_OVERRIDE}", f"--inh-caps={_NO_OVERRIDE}"]
    env = dict(os.environ, PYTHONPATH=str(ROOT), HOME=str(cwd), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [*prefix, sys.executable, "-m", "bench_app", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


@pytest.mark.skipif(not POSIX, reason="POSIX file modes")
def test_verify_list_show_on_a_readonly_file_in_a_readonly_folder(filled, tmp_path):
    src, sid = filled
    folder = tmp_path / "medium"
    folder.mkdir()
    db = folder / "s.db"
    db.write_bytes(src.read_bytes())  # a WAL database without its -shm: as on a CD
    os.chmod(db, 0o444)
    os.chmod(folder, 0o555)
    try:
        before = _digest(db)
        probe = _run_cli(["--version"], tmp_path)
        assert probe.returncode == 0, probe.stderr
        done = _run_cli(["verify", "--db", str(db)], tmp_path)
        assert done.returncode == 0, done.stderr
        assert "audit chain ok" in done.stdout
        done = _run_cli(["session", "list", "--db", str(db)], tmp_path)
        assert done.returncode == 0 and "BSCP601-TEST-0001" in done.stdout, done.stderr
        done = _run_cli(["session", "show", str(sid), "--db", str(db)], tmp_path)
        assert done.returncode == 0, done.stderr
        pdf = tmp_path / "draft.pdf"
        done = _run_cli(["report", "--session", str(sid), "--out", str(pdf), "--db", str(db)],
                        tmp_path)  # fmt: skip
        assert done.returncode == 0 and pdf.stat().st_size > 1000, done.stderr
        new = ["session", "new", "--reference", "X", "--kind", "protocol-approval"]
        done = _run_cli([*new, "--db", str(db)], tmp_path)
        assert done.returncode == 6 and "is read-only" in done.stderr, done.stderr
        assert _digest(db) == before
        assert sorted(p.name for p in folder.iterdir()) == ["s.db"]
    finally:
        os.chmod(folder, 0o755)


def _damage(db: Path, table: str = "readings") -> None:
    """Overwrite the root page of ``table`` with garbage (a damaged sector)."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = DELETE")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    conn.close()
    with db.open("r+b") as fh:
        fh.seek((root[0] - 1) * page_size)
        fh.write(b"\x0d\xff" * (page_size // 2))


def test_damaged_database_is_named_and_writes_refused(filled, capsys):
    db, sid = filled
    _damage(db)
    before = _digest(db)
    with pytest.raises(DamagedDatabaseError, match=f"database damaged at {db}"):
        Store.open(db)
    assert main(["verify", "--db", str(db)]) == 7
    err = capsys.readouterr().err
    assert f"database damaged at {db}" in err and "Traceback" not in err
    out = db.parent / "r.pdf"
    assert main(["report", "--session", str(sid), "--db", str(db), "--out", str(out)]) == 7
    assert "database damaged at" in capsys.readouterr().err
    assert not out.exists()
    assert _digest(db) == before


@pytest.mark.skipif(not POSIX, reason="POSIX file modes")
def test_default_data_folder_and_database_are_owner_only(tmp_path, monkeypatch):
    home = tmp_path / "home" / "WitnessBench"
    monkeypatch.setenv("WITNESS_BENCH_HOME", str(home))
    monkeypatch.delenv("WITNESS_BENCH_DB", raising=False)
    assert main(["session", "new", "--reference", "R", "--kind", "protocol-approval"]) == 0
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "sessions.db").stat().st_mode) == 0o600
