"""Numbered schema migrations tracked with ``PRAGMA user_version``.

Migration *n* moves a database from version ``n - 1`` to ``n``. :func:`migrate` applies the
missing ones in order, each in its own transaction together with the ``user_version`` bump, so a
crash mid-upgrade leaves the database at the last complete version. A database whose
``user_version`` is newer than :data:`SCHEMA_VERSION` is refused (an older Witness Bench must not
write into a newer schema), and a non-empty SQLite file that is not a Witness Bench database
(wrong ``application_id``) is refused too.

Evidence tables are append-only by convention: rows are inserted, never updated; corrections are
new rows (a later equipment record, a new checklist attempt, a superseding run).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import sqlite_utils

from bench_app.errors import StoreError
from bench_app.store.migrations_dcc import m_dcc_regime

#: ``PRAGMA application_id`` of a Witness Bench database ("WBNC").
APPLICATION_ID = 0x57424E43


def _m1_core(db: sqlite_utils.Database) -> None:
    """Sessions, people, equipment, collections, readings, registers, events, clock, audit."""
    db["sessions"].create(
        {
            "id": int,
            "uid": str,
            "reference": str,
            "kind": str,
            "cops": str,  # JSON list
            "location": str,
            "date": str,
            "title": str,
            "status": str,
            "locked_by": str,
            "locked_at": str,
            "lock_reason": str,
            "created_at": str,
        },
        pk="id",
        not_null=["uid", "reference", "kind", "status", "created_at"],
    )
    db["sessions"].create_index(["uid"], unique=True)
    db["participants"].create(
        {
            "id": int,
            "session_id": int,
            "name": str,
            "organisation": str,
            "role": str,
            "mpid": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null=["session_id", "name", "role"],
    )
    db["equipment"].create(
        {
            "id": int,
            "session_id": int,
            "outstation_type": str,
            "model": str,
            "serials": str,  # JSON list
            "firmware": str,  # JSON object
            "hardware_version": str,
            "channels": int,
            "channel_types": str,
            "comms_method": str,
            "variants_covered": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null=["session_id"],
    )
    db["software"].create(
        {
            "id": int,
            "session_id": int,
            "hhdc_name": str,
            "hhdc_mpid": str,
            "hhdc_software": str,
            "hhdc_version": str,
            "hhdc_date": str,
            "hhdc_host": str,
            "hhdc_modules": str,
            "manufacturer_software": str,
            "manufacturer_version": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null=["session_id"],
    )
    db["collections"].create(
        {
            "id": int,
            "uid": str,
            "session_id": int,
            "source": str,
            "protocol": str,
            "started_at": str,
            "meta": str,  # JSON object
            "source_file": str,
            "source_hash": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null=["uid", "session_id", "source", "started_at"],
    )
    db["collections"].create_index(["uid"], unique=True)
    # The long narrow evidence table. start: UTC epoch seconds of the interval start.
    db.execute(
        """CREATE TABLE readings (
            id INTEGER PRIMARY KEY,
            collection_id INTEGER NOT NULL REFERENCES collections(id),
            start INTEGER NOT NULL,
            channel TEXT NOT NULL,
            value REAL NOT NULL,
            unit TEXT,
            status INTEGER NOT NULL DEFAULT 0,
            UNIQUE (collection_id, start, channel)
        )"""
    )
    # value has no declared type: numbers stay numbers, text stays text.
    db.execute(
        """CREATE TABLE registers (
            id INTEGER PRIMARY KEY,
            collection_id INTEGER NOT NULL REFERENCES collections(id),
            obis TEXT NOT NULL,
            value,
            unit TEXT
        )"""
    )
    db["events"].create(
        {"id": int, "collection_id": int, "time": str, "code": int, "text": str},
        pk="id",
        foreign_keys=[("collection_id", "collections", "id")],
        not_null=["collection_id", "time", "code"],
    )
    db["clock_observations"].create(
        {
            "id": int,
            "session_id": int,
            "meter_time": str,
            "reference_time": str,
            "deviation_s": float,
            "note": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null=["session_id", "meter_time", "reference_time"],
    )
    db["traces"].create(
        {
            "id": int,
            "session_id": int,
            "collection_id": int,
            "label": str,
            "sha256": str,  # of the uncompressed JSON Lines
            "records": int,
            "bytes_tx": int,
            "bytes_rx": int,
            "created_at": str,
            "data": bytes,  # zlib-compressed JSON Lines
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id"), ("collection_id", "collections", "id")],
        not_null=["session_id", "sha256", "data"],
    )
    db["attachments"].create(
        {
            "id": int,
            "session_id": int,
            "name": str,
            "mime": str,
            "size": int,
            "sha256": str,
            "created_at": str,
            "data": bytes,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null=["session_id", "name", "sha256", "data"],
    )
    db["audit"].create(
        {
            "id": int,
            "session_id": int,
            "seq": int,
            "at": str,
            "action": str,  # insert | lock
            "tbl": str,
            "lo": int,  # first row id covered
            "hi": int,  # last row id covered
            "n": int,  # number of rows covered
            "digests": bytes,  # per row in id order: 8-byte SHA-256 prefix (full 32 from m10)
            "content": str,  # sha256 hex of digests
            "prev": str,
            "hash": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null=["session_id", "seq", "action", "tbl", "n", "content", "prev", "hash"],
    )
    db["audit"].create_index(["session_id", "seq"], unique=True)


def _m2_checklists(db: sqlite_utils.Database) -> None:
    """Checklist runs, step attempts and confirmations (all append-only)."""
    db["checklist_runs"].create(
        {
            "id": int,
            "uid": str,
            "session_id": int,
            "template": str,
            "template_version": str,
            "supersedes": int,
            "reason": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id"), ("supersedes", "checklist_runs", "id")],
        not_null=["uid", "session_id", "template"],
    )
    db["checklist_runs"].create_index(["uid"], unique=True)
    db["checklist_steps"].create(
        {
            "id": int,
            "run_id": int,
            "step_id": str,
            "attempt": int,
            "actual": str,
            "verdict": str,
            "proposed_verdict": str,
            "evidence": str,  # JSON object
            "note": str,
            "by": str,
            "at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "checklist_runs", "id")],
        not_null=["run_id", "step_id", "attempt", "verdict"],
    )
    db["checklist_confirmations"].create(
        {"id": int, "run_id": int, "role": str, "name": str, "at": str},
        pk="id",
        foreign_keys=[("run_id", "checklist_runs", "id")],
        not_null=["run_id", "role", "name"],
    )


def _m3_indexes(db: sqlite_utils.Database) -> None:
    """Indexes for the per-session and per-collection look-ups the app does all the time."""
    for table, cols in [
        ("participants", ["session_id"]),
        ("equipment", ["session_id"]),
        ("software", ["session_id"]),
        ("collections", ["session_id"]),
        ("registers", ["collection_id"]),
        ("events", ["collection_id"]),
        ("clock_observations", ["session_id"]),
        ("traces", ["session_id"]),
        ("attachments", ["session_id"]),
        ("checklist_runs", ["session_id"]),
        ("checklist_steps", ["run_id", "step_id"]),
        ("checklist_confirmations", ["run_id"]),
    ]:
        db[table].create_index(cols, if_not_exists=True)


def _m4_equipment_register(db: sqlite_utils.Database) -> None:
    """Equipment register: outstation types, device model combinations, compliance
    certificates, protocol approvals, BSCP601 applications and their links to sessions.

    Register rows are reference data, not session evidence: they are updated in place (a
    certificate is *removed* with a date and reason) and are not covered by the audit chain.
    """
    stamps = "created_at TEXT NOT NULL, updated_at TEXT NOT NULL"
    removal = "removed_date TEXT, removed_reason TEXT"
    for sql in (
        f"""CREATE TABLE eq_types (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE CHECK (length(code) = 3),
            manufacturer TEXT NOT NULL DEFAULT '',
            models TEXT NOT NULL DEFAULT '[]',
            cops TEXT NOT NULL DEFAULT '[]',
            notes TEXT NOT NULL DEFAULT '',
            {stamps})""",
        f"""CREATE TABLE eq_combinations (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            type_id INTEGER NOT NULL REFERENCES eq_types(id),
            model TEXT NOT NULL,
            metrology_fw TEXT NOT NULL DEFAULT '',
            application_fw TEXT NOT NULL DEFAULT '',
            communications_fw TEXT NOT NULL DEFAULT '',
            hardware_version TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '',
            {stamps},
            UNIQUE (type_id, model, metrology_fw, application_fw, communications_fw,
                    hardware_version))""",
        f"""CREATE TABLE eq_certificates (
            id INTEGER PRIMARY KEY,
            type_id INTEGER NOT NULL REFERENCES eq_types(id),
            combination_id INTEGER REFERENCES eq_combinations(id),
            cop TEXT NOT NULL,
            cop_issue TEXT NOT NULL DEFAULT '',
            testing_agent TEXT NOT NULL DEFAULT '',
            issued_date TEXT NOT NULL DEFAULT '',
            reference TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'removed')),
            {removal},
            {stamps})""",
        "CREATE UNIQUE INDEX eq_certificates_natural ON eq_certificates "
        "(type_id, ifnull(combination_id, 0), cop, cop_issue)",
        f"""CREATE TABLE eq_approvals (
            id INTEGER PRIMARY KEY,
            combination_id INTEGER NOT NULL REFERENCES eq_combinations(id),
            hhdc_name TEXT NOT NULL DEFAULT '',
            hhdc_mpid TEXT NOT NULL DEFAULT '',
            hhdc_software TEXT NOT NULL DEFAULT '',
            hhdc_version TEXT NOT NULL DEFAULT '',
            year INTEGER,
            status TEXT NOT NULL DEFAULT 'approved' CHECK (status IN ('approved', 'removed')),
            {removal},
            {stamps},
            UNIQUE (combination_id, hhdc_mpid, hhdc_software, hhdc_version))""",
        f"""CREATE TABLE eq_applications (
            id INTEGER PRIMARY KEY,
            reference TEXT NOT NULL UNIQUE,
            applicant TEXT NOT NULL DEFAULT '',
            asks TEXT NOT NULL CHECK (asks IN ('compliance', 'protocol-approval', 'both')),
            type_id INTEGER REFERENCES eq_types(id),
            combination_id INTEGER REFERENCES eq_combinations(id),
            cops TEXT NOT NULL DEFAULT '[]',
            notes TEXT NOT NULL DEFAULT '',
            {stamps})""",
        """CREATE TABLE eq_application_sessions (
            application_id INTEGER NOT NULL REFERENCES eq_applications(id),
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            created_at TEXT NOT NULL,
            PRIMARY KEY (application_id, session_id))""",
        """CREATE TABLE eq_session_variants (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            tested_id INTEGER NOT NULL REFERENCES eq_combinations(id),
            covered_id INTEGER NOT NULL REFERENCES eq_combinations(id),
            reason TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (session_id, tested_id, covered_id))""",
        "CREATE INDEX eq_combinations_type ON eq_combinations (type_id)",
        "CREATE INDEX eq_certificates_type ON eq_certificates (type_id)",
        "CREATE INDEX eq_approvals_combination ON eq_approvals (combination_id)",
        "CREATE INDEX eq_application_sessions_session ON eq_application_sessions (session_id)",
        "CREATE INDEX eq_session_variants_session ON eq_session_variants (session_id)",
    ):
        db.execute(sql)


def _m7_approval_records(db: sqlite_utils.Database) -> None:
    """Approval records: scopes and conditions on certificates and approvals,
    metering dispensations (BSCP32), amendments, devices of a combination, equivalence
    assessments, dated installed-base snapshots, upgrade plans, template-scope overrides and
    the published lists' versions. Reference data like migration 4 (updated in place)."""
    stamps = "created_at TEXT NOT NULL, updated_at TEXT NOT NULL"
    for sql in (
        "ALTER TABLE eq_certificates ADD COLUMN scope TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE eq_approvals ADD COLUMN scope TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE eq_combinations ADD COLUMN solution_release TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE eq_applications ADD COLUMN amends_approval_id INTEGER "
        "REFERENCES eq_approvals(id)",
        "ALTER TABLE eq_applications ADD COLUMN amendment TEXT NOT NULL DEFAULT ''",
        f"""CREATE TABLE eq_conditions (
            id INTEGER PRIMARY KEY,
            target TEXT NOT NULL CHECK (target IN ('certificate', 'approval')),
            target_id INTEGER NOT NULL,
            text TEXT NOT NULL,
            {stamps},
            UNIQUE (target, target_id, text))""",
        f"""CREATE TABLE eq_dispensations (
            id INTEGER PRIMARY KEY,
            reference TEXT NOT NULL,
            session_id INTEGER REFERENCES sessions(id),
            step_id TEXT NOT NULL DEFAULT '',
            cop TEXT NOT NULL DEFAULT '',
            scope TEXT NOT NULL DEFAULT '',
            expiry TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'granted' CHECK (status IN ('granted', 'removed')),
            removed_date TEXT, removed_reason TEXT,
            {stamps})""",
        "CREATE UNIQUE INDEX eq_dispensations_natural ON eq_dispensations "
        "(reference, ifnull(session_id, 0), step_id, cop)",
        f"""CREATE TABLE eq_devices (
            id INTEGER PRIMARY KEY,
            combination_id INTEGER NOT NULL REFERENCES eq_combinations(id),
            role TEXT NOT NULL,
            model TEXT NOT NULL,
            hardware_version TEXT NOT NULL DEFAULT '',
            hardware_revision TEXT NOT NULL DEFAULT '',
            firmware TEXT NOT NULL DEFAULT '',
            factory_config TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '',
            {stamps},
            UNIQUE (combination_id, role, model))""",
        f"""CREATE TABLE eq_equivalences (
            id INTEGER PRIMARY KEY,
            combination_id INTEGER NOT NULL REFERENCES eq_combinations(id),
            tested_id INTEGER NOT NULL REFERENCES eq_combinations(id),
            status TEXT NOT NULL DEFAULT 'proposed'
                CHECK (status IN ('proposed', 'assessed', 'removed')),
            assessed_by TEXT NOT NULL DEFAULT '',
            assessed_date TEXT NOT NULL DEFAULT '',
            evidence TEXT NOT NULL DEFAULT '',
            {stamps},
            UNIQUE (combination_id, tested_id))""",
        f"""CREATE TABLE eq_base_counts (
            id INTEGER PRIMARY KEY,
            snapshot TEXT NOT NULL,
            snapshot_date TEXT NOT NULL,
            combination_id INTEGER NOT NULL REFERENCES eq_combinations(id),
            active INTEGER NOT NULL DEFAULT 0 CHECK (active >= 0),
            dormant INTEGER NOT NULL DEFAULT 0 CHECK (dormant >= 0),
            {stamps},
            UNIQUE (snapshot, combination_id))""",
        f"""CREATE TABLE eq_upgrade_moves (
            id INTEGER PRIMARY KEY,
            plan TEXT NOT NULL,
            planned_date TEXT NOT NULL DEFAULT '',
            from_id INTEGER NOT NULL REFERENCES eq_combinations(id),
            to_id INTEGER NOT NULL REFERENCES eq_combinations(id),
            count INTEGER NOT NULL CHECK (count >= 0),
            {stamps},
            UNIQUE (plan, from_id, to_id))""",
        """CREATE TABLE eq_template_overrides (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            template TEXT NOT NULL,
            reason TEXT NOT NULL,
            by TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (session_id, template))""",
        """CREATE TABLE eq_publications (
            id INTEGER PRIMARY KEY,
            list TEXT NOT NULL,
            version TEXT NOT NULL,
            list_date TEXT NOT NULL,
            rows INTEGER NOT NULL,
            created_at TEXT NOT NULL)""",
        "CREATE INDEX eq_devices_combination ON eq_devices (combination_id)",
        "CREATE INDEX eq_dispensations_session ON eq_dispensations (session_id)",
    ):
        db.execute(sql)


def _m5_acquisition(db: sqlite_utils.Database) -> None:
    """Acquisition blocks and collection states.

    ``acq_blocks``: one row per stored block of a bench read (identity/clock, profile block,
    event log, registers) naming the SHA-256 of the trace segment stored with it in the same
    transaction (``traces.sha256``), so every stored reading is covered by its bytes.
    ``acq_status``: append-only states of a collection (started, resumed, complete,
    incomplete + reason); the newest row is the collection's state.
    """
    for sql in (
        """CREATE TABLE acq_blocks (
            id INTEGER PRIMARY KEY,
            collection_id INTEGER NOT NULL REFERENCES collections(id),
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            first_start INTEGER,
            last_start INTEGER,
            items INTEGER NOT NULL DEFAULT 0,
            added INTEGER NOT NULL DEFAULT 0,
            trace_sha256 TEXT,
            at TEXT NOT NULL,
            UNIQUE (collection_id, seq))""",
        """CREATE TABLE acq_status (
            id INTEGER PRIMARY KEY,
            collection_id INTEGER NOT NULL REFERENCES collections(id),
            state TEXT NOT NULL
                CHECK (state IN ('started', 'resumed', 'complete', 'incomplete')),
            reason TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL)""",
        "CREATE INDEX acq_status_collection ON acq_status (collection_id)",
        "CREATE INDEX traces_collection ON traces (collection_id)",
    ):
        db.execute(sql)


def _m6_session_records(db: sqlite_utils.Database) -> None:
    """Session records set from the CLI: bench connection (simulator or port, baud,
    framing, probe), test equipment, reference time source, CoP issues. ``kind`` names the record,
    ``data`` is a JSON object; the newest record of a kind supersedes older ones (append-only)."""
    db["session_records"].create(
        {"id": int, "session_id": int, "kind": str, "data": str, "created_at": str},
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null=["session_id", "kind", "data"],
    )
    db.execute("CREATE INDEX session_records_session ON session_records (session_id, kind)")


def _m9_reference_and_frozen(db: sqlite_utils.Database) -> None:
    """The reference clock with every clock observation (the PC's offset from the time source,
    its uncertainty and the source) and the frozen template of each checklist run (objective,
    method, expected and the figures, as run). NULL in rows written before: hashed only when set
    (:data:`bench_app.store.audit.OPTIONAL_HASHED`), so older chains still verify."""
    for sql in (
        "ALTER TABLE clock_observations ADD COLUMN reference_offset_s REAL",
        "ALTER TABLE clock_observations ADD COLUMN reference_uncertainty_s REAL",
        "ALTER TABLE clock_observations ADD COLUMN reference_source TEXT",
        "ALTER TABLE checklist_runs ADD COLUMN frozen TEXT",
    ):
        db.execute(sql)


def _m10_full_digests(db: sqlite_utils.Database) -> None:
    """Full-width row digests: new audit records keep each row's whole SHA-256 (32 bytes); a
    64-bit prefix can be collided on a laptop. ``digest_size`` says how many bytes per row a record
    keeps; records already written are legacy (8) and still verify, with a warning."""
    db.execute("ALTER TABLE audit ADD COLUMN digest_size INTEGER NOT NULL DEFAULT 8")


def _m11_simulated_sources(db: sqlite_utils.Database) -> None:
    """Whether each piece of bench evidence came from a simulated outstation: ``simulated`` on
    collections, traces and clock observations (1 simulated, 0 a real meter, NULL not recorded —
    rows written before this migration; hashed only when set, see
    :data:`bench_app.store.audit.OPTIONAL_HASHED`). A session with any simulated evidence is
    marked as a simulator session whatever its bench record says later."""
    for table in ("collections", "traces", "clock_observations"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN simulated INTEGER")


#: (version, description, function); version n upgrades n-1 → n.
MIGRATIONS: list[tuple[int, str, Callable[[sqlite_utils.Database], None]]] = [
    (1, "core evidence tables and audit chain", _m1_core),
    (2, "checklist runs, steps and confirmations", _m2_checklists),
    (3, "look-up indexes", _m3_indexes),
    (4, "equipment register", _m4_equipment_register),
    (5, "acquisition blocks and collection states", _m5_acquisition),
    (6, "session records: bench connection, test equipment, time source, CoP issues",
     _m6_session_records),
    (7, "approval records: conditions, dispensations, devices, snapshots", _m7_approval_records),
    (8, "DCC regime: PPCL/EPCL, TIRs, assessed equivalence, BSCP32 reach", m_dcc_regime),
    (9, "reference clock offsets with clock observations; frozen run templates",
     _m9_reference_and_frozen),
    (10, "full-width (SHA-256) row digests in the audit chain", _m10_full_digests),
    (11, "simulated marks on collections, traces and clock observations", _m11_simulated_sources),
]  # fmt: skip

#: The schema version this code writes.
SCHEMA_VERSION = MIGRATIONS[-1][0]


def schema_version(conn: sqlite3.Connection) -> int:
    """``PRAGMA user_version`` of an open database (0 for a new file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(
    db: sqlite_utils.Database, *, target: int = SCHEMA_VERSION, where: str = "database"
) -> int:
    """Bring ``db`` to schema version ``target``; returns the version found before migrating.

    A file written while the approval records were numbered 9 (see :data:`_RENUMBERED_VERSION`)
    counts as the last version it holds without a gap and gets the migrations it lacks.

    :raises StoreError: the database is newer than this code, or is not a Witness Bench file.
    """
    conn = db.conn
    found = schema_version(conn)
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    start = found
    renumbered = _renumbered_versions(conn, found) if app_id == APPLICATION_ID else None
    if renumbered is not None:
        found = max(v for v in range(1, _RENUMBERED_AS + 1) if set(range(1, v + 1)) <= renumbered)
        if target < _RENUMBERED_AS:  # a header check: the file stays as it is
            return found
        _fill_renumbered(db, renumbered)
        start = _RENUMBERED_AS
    elif found > SCHEMA_VERSION:
        raise StoreError(
            f"{where} has schema version {found}, but this Witness Bench only knows versions up to "
            f"{SCHEMA_VERSION}; open it with a newer Witness Bench (nothing was changed)"
        )
    if app_id not in (0, APPLICATION_ID) or (found == 0 and _has_user_tables(conn)):
        raise StoreError(f"{where} is not a Witness Bench session database (nothing was changed)")
    for version, _description, func in MIGRATIONS:
        if version <= start or version > target:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            func(db)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return found


#: ``user_version`` that main wrote from 2026-11-29 09:31 to 10:16 UTC, when the approval records
#: (today's migration 7) were numbered 9 and migrations 6 (and, until 09:36, 5) did not exist yet.
_RENUMBERED_VERSION = 9
#: Today's number of that migration, and a table it creates.
_RENUMBERED_AS, _RENUMBERED_TABLE = 7, "eq_conditions"
#: A table each migration that such a file may lack creates (today's numbering).
_MARKER_TABLES = {5: "acq_blocks", 6: "session_records"}


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return bool(row[0])


def _renumbered_versions(conn: sqlite3.Connection, found: int) -> set[int] | None:
    """The migrations (today's numbers) a file written under the old numbering holds, else None.

    Such a file says ``user_version`` 9 but holds migrations 1-4, perhaps 5, and the approval
    records; a file at today's version 9 or later always holds migration 6 (``session_records``).
    """
    if found != _RENUMBERED_VERSION or _has_table(conn, _MARKER_TABLES[6]):
        return None
    if not _has_table(conn, _RENUMBERED_TABLE):
        return None
    present = {1, 2, 3, 4, _RENUMBERED_AS}
    present |= {v for v, table in _MARKER_TABLES.items() if _has_table(conn, table)}
    return present


def _fill_renumbered(db: sqlite_utils.Database, present: set[int]) -> None:
    """Apply the migrations up to today's 7 that a renumbered file lacks, in one transaction
    with ``user_version`` 7, so a crash leaves the file as it was."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        for version, _description, func in MIGRATIONS:
            if version <= _RENUMBERED_AS and version not in present:
                func(db)
        conn.execute(f"PRAGMA user_version = {_RENUMBERED_AS}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _has_user_tables(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
    ).fetchone()
    return bool(row[0])
