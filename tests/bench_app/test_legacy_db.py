"""Frozen history: session databases written by earlier Witness Bench code open with today's.

``tests/bench_app/legacy_db/`` holds one database per schema version ``main`` ever wrote, each made
by the code of the commit that wrote it (``generate.py`` there; ``manifest.json`` says which commit
and what it held). Each is upgraded in place to today's schema — whatever migrations exist now —
and must keep every row, its audit chain and the head its signed report names; the report that
old code signed must still verify against the upgraded file.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from cryptography import x509

from bench_app.checklist.verdict import overall_result
from bench_app.cli import main
from bench_app.errors import StoreError
from bench_app.store import Store, migrations
from bench_app.store.migrations import MIGRATIONS, SCHEMA_VERSION
from bench_app.store.opening import connect_readonly

LEGACY = Path(__file__).parent / "legacy_db"
MANIFEST: dict[str, dict] = json.loads((LEGACY / "manifest.json").read_text())


def _copy(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(LEGACY / name, dest)
    return dest


def _user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def test_every_frozen_build_is_in_the_manifest_and_on_disk():
    on_disk = {p.name for p in LEGACY.iterdir() if (p / "demo.db").is_file()}
    assert on_disk == set(MANIFEST)
    versions = {entry["user_version"] for entry in MANIFEST.values()}
    # every version main's code wrote: 3 (first landing), 4, 9 (the renumbered approval records)
    # and 7; 1, 2, 5 and 6 were never the newest version of any commit on main
    assert {3, 4, 7, 9} <= versions
    for name, entry in MANIFEST.items():
        assert _user_version(LEGACY / name / "demo.db") == entry["user_version"], name


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_upgrades_to_todays_schema_keeping_rows_and_chain(name, tmp_path):
    entry = MANIFEST[name]
    db = _copy(name, tmp_path) / "demo.db"
    with Store.open(db) as store:
        assert _user_version(db) == SCHEMA_VERSION == MIGRATIONS[-1][0]
        for table, count in entry["rows"].items():
            assert store.conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == count
        for sid, head in entry["audit_heads"].items():
            assert store.audit_head(int(sid)) == head
        result = store.verify()
        assert result.ok, result
        tables = {
            r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        for must in ("acq_blocks", "session_records", "eq_conditions", "checklist_runs"):
            assert must in tables
        # today's verdict rules read the old session's checklist run and evidence
        result = overall_result(store, 1)
        assert result.run_id is not None and len(result.steps) >= 13
        assert store.get_session(1)["reference"] == "BSCP601-DEMO-0001"
    with Store.open(db) as store:  # a second open finds nothing left to do
        assert store.verify().ok
    assert _user_version(db) == SCHEMA_VERSION


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_read_only_open_migrates_a_copy_and_leaves_the_file(name, tmp_path):
    db = _copy(name, tmp_path) / "demo.db"
    before = db.read_bytes()
    conn = connect_readonly(db)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"session_records", "acq_blocks", "eq_conditions"} <= tables
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()
    assert db.read_bytes() == before


def _certificates_valid(pem: Path) -> bool:
    now = dt.datetime.now(dt.UTC)
    certs = x509.load_pem_x509_certificates(pem.read_bytes())
    return all(c.not_valid_before_utc <= now <= c.not_valid_after_utc for c in certs)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_the_old_signed_report_against_the_upgraded_file(name, tmp_path, capsys):
    """Today's verify re-checks the old report's session link against the upgraded file and gives
    the answer recorded at generation. Signing code before 2026-11-29 could rewrite the document
    information in the countersignature's revision (when the two signatures fell in different
    seconds); today's strict policy names that change, so some genuine old reports FAIL — the
    test keeps that answer visible instead of hiding the file."""
    folder = _copy(name, tmp_path)
    trust = folder / "trust.pem"
    if not _certificates_valid(trust):
        pytest.skip(f"{name}: the demo certificates have expired; rebuild with generate.py")
    db = folder / "demo.db"
    with Store.open(db):
        pass  # upgraded by a writable open first, as a user's file would be
    code = main(["verify", str(folder / "witness-report.pdf"), "--trust", str(trust),
                 "--db", str(db)])  # fmt: skip
    out = capsys.readouterr().out
    head = MANIFEST[name]["audit_heads"]["1"]
    assert f"signed head {head[:16]}... matches" in out
    expected = MANIFEST[name]["verify_today"]
    lines = out.splitlines()
    problems = [ln[len("problem: ") :] for ln in lines if ln.startswith("problem: ")]
    warnings = [ln for ln in lines if ": warning - " in ln]
    assert (code, problems, warnings) == (
        expected["exit"], expected["problems"], expected["warnings"]), out  # fmt: skip
    assert lines[-1] == expected["result"] == _RESULTS[code]


#: verify's exit code → its last line
_RESULTS = {0: "OK", 11: "FAILED", 15: "UNTRUSTED", 17: "PAGES NOT RE-DRAWN"}


@pytest.mark.parametrize("name", sorted(n for n, e in MANIFEST.items() if e["user_version"] >= 10))
def test_statement_era_reports_are_never_failed_by_a_newer_build(name):
    """A report signed by a build that embedded statements is a genuine report: a later build
    says OK (it draws the same pages) or that its pages were drawn by an older layout, never
    FAILED (which a witness reads as tampering)."""
    expected = MANIFEST[name]["verify_today"]
    assert expected["problems"] == [], expected
    assert expected["exit"] in (0, 17), expected
    if expected["exit"] == 17:
        assert any("pages were not re-drawn" in w for w in expected["warnings"])


def test_a_version_9_file_with_session_records_is_not_taken_for_a_renumbered_one(tmp_path):
    """Only a file stamped 9 that lacks migration 6's table is a renumbered one; a file written at
    a real version 9 is newer than this code (while it knows less) or upgraded as usual."""
    path = tmp_path / "real9.db"
    if SCHEMA_VERSION < 9:
        Store.open(path).close()
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA user_version = 9")
        conn.commit()
        conn.close()
        with pytest.raises(StoreError, match="schema version 9"):
            Store.open(path)
        assert _user_version(path) == 9
        return
    conn = sqlite3.connect(path, isolation_level=None)
    migrations.migrate(sqlite_utils.Database(conn), target=9)
    conn.close()
    assert _user_version(path) == 9
    with Store.open(path) as store:
        assert store.verify().ok
    assert _user_version(path) == SCHEMA_VERSION


def test_a_failed_renumbered_upgrade_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    db = _copy("v9-renumbered-no-acquisition", tmp_path) / "demo.db"

    def broken(_db):
        raise RuntimeError("power lost")

    patched = [(v, d, broken if v == 6 else f) for v, d, f in migrations.MIGRATIONS]
    monkeypatch.setattr(migrations, "MIGRATIONS", patched)
    with pytest.raises(RuntimeError, match="power lost"):
        Store.open(db)
    assert _user_version(db) == 9
    conn = sqlite3.connect(db)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    assert "acq_blocks" not in tables and "session_records" not in tables
    monkeypatch.undo()
    with Store.open(db) as store:  # and the next open upgrades it
        assert store.verify().ok
    assert _user_version(db) == SCHEMA_VERSION
