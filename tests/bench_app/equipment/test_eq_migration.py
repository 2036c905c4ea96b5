"""Migration 4 (equipment register): created on a new file, added to a version-3 file without
touching its evidence, and refused by constraints where the register relies on them."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from bench_app.store import Store
from bench_app.store.migrations import MIGRATIONS, SCHEMA_VERSION, migrate
from tests.bench_app.storehelp import old_store

TABLES = {
    "eq_types", "eq_combinations", "eq_certificates", "eq_approvals", "eq_applications",
    "eq_application_sessions", "eq_session_variants",
}  # fmt: skip


def _tables(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_register_migration_is_numbered_after_the_evidence_ones():
    versions = {v: d for v, d, _ in MIGRATIONS}
    assert versions[4] == "equipment register" and SCHEMA_VERSION >= 4


def test_version_3_file_gains_the_register_and_keeps_its_evidence(tmp_path):
    path = tmp_path / "v3.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(sqlite_utils.Database(conn), target=3)
    conn.close()
    assert not TABLES & _tables(path)
    with old_store(path) as store:
        sid = store.create_session("OLD-3", "protocol-approval", cops=["CoP5"])
        store.set_equipment(sid, outstation_type="PRO", firmware={"metrology": "1"})
    with sqlite3.connect(path) as conn:
        head = conn.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()[0]
    conn.close()
    with Store.open(path) as store:
        assert _tables(path) >= TABLES
        assert store.audit_head(sid) == head and store.verify().ok
        from bench_app.equipment import Register

        reg = Register(store)
        reg.add_type("PRO")
        reg.add_application("OLD-3", asks="both", outstation_type="PRO")
        assert reg.application_for_session(sid)["outstation_type"] == "PRO"
        assert store.verify().ok  # register rows are not session evidence


def test_constraints_back_the_api(tmp_path):
    with Store.open(tmp_path / "c.db") as store:
        store.conn.execute(
            "INSERT INTO eq_types (code, created_at, updated_at) VALUES ('PRO', 'x', 'x')"
        )
        with pytest.raises(sqlite3.IntegrityError):
            store.conn.execute(
                "INSERT INTO eq_types (code, created_at, updated_at) VALUES ('PROM', 'x', 'x')"
            )
        with pytest.raises(sqlite3.IntegrityError):
            store.conn.execute(
                "INSERT INTO eq_combinations (key, type_id, model, created_at, updated_at) "
                "VALUES ('k', 99, 'm', 'x', 'x')"
            )
        with pytest.raises(sqlite3.IntegrityError):
            store.conn.execute(
                "INSERT INTO eq_certificates (type_id, cop, status, created_at, updated_at) "
                "VALUES (1, '5', 'lost', 'x', 'x')"
            )


def test_migration_9_keeps_a_version_4_register_and_adds_the_approval_records(tmp_path):
    path = tmp_path / "v4.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(sqlite_utils.Database(conn), target=4)
    now = "2026-01-01T00:00:00Z"
    conn.execute("INSERT INTO eq_types (code, created_at, updated_at) VALUES ('PRO', ?, ?)",
                 (now, now))  # fmt: skip
    conn.execute(
        "INSERT INTO eq_certificates (type_id, cop, cop_issue, created_at, updated_at) "
        "VALUES (1, '5', '6', ?, ?)",
        (now, now),
    )
    conn.close()
    with Store.open(path) as store:
        assert _tables(path) >= {"eq_conditions", "eq_dispensations", "eq_devices",
                                 "eq_equivalences", "eq_base_counts", "eq_upgrade_moves",
                                 "eq_template_overrides", "eq_publications"}  # fmt: skip
        from bench_app.equipment import Register

        (cert,) = Register(store).certificates()
        assert (cert["cop"], cert["cop_issue"], cert["scope"]) == ("5", "6", [])
        store.conn.execute(
            "INSERT INTO eq_combinations (key, type_id, model, created_at, updated_at) "
            "VALUES ('K', 1, 'M', 'x', 'x')"
        )
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):  # counts are never negative
            store.conn.execute(
                "INSERT INTO eq_base_counts (snapshot, snapshot_date, combination_id, active, "
                "created_at, updated_at) VALUES ('s', '2026-01-01', 1, -1, 'x', 'x')"
            )
