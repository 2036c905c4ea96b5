"""Schema of the DCC regime and assessed equivalence (a numbered migration of
:mod:`bench_app.store.migrations`).

* ``eq_types.regime`` (``bsc`` | ``smets``) keeps the two regimes apart, and
  ``eq_types.major_pattern`` declares how a manufacturer's firmware versions name their *major
  iteration* (the DCC counts only major iterations).
* ``eq_combinations.fuel`` (dual / electricity / gas) and, per device, the device manufacturer,
  whether its firmware can be upgraded (a consumer display that can is a PPMID), and the
  communications hub's SMSO and WAN provider.
* ``eq_equivalences`` is rebuilt with the DCC's order — assurance → assessed → proposed →
  eligible — and the kind of evidence the assessment rests on. Rows written before: a
  ``proposed`` claim (nobody assessed it) becomes an ``assurance``; an ``assessed`` one stays
  assessed with evidence kind ``unstated`` (the report says so).
* ``eq_dcc_entries``: a combination's place on the PPCL/EPCL with its status and stage
  (SIT/DMCT); ``eq_dcc_list_rows``: the rows of each published list version.
* ``eq_tirs`` / ``eq_tir_links``: Testing Issue Resolution records and the combinations they
  affect.
* ``eq_applications.decision``: an application (an amendment among them) is pending, granted
  or refused; a hardware variant is covered through a *granted* amendment.
* ``eq_dispensations`` gain the BSCP32 grant's reach: a Metering System (MSID), a site, or
  generic for an outstation type and CoP.
"""

from __future__ import annotations

import sqlite_utils


def m_dcc_regime(db: sqlite_utils.Database) -> None:
    """Regimes, DCC lists, TIRs, assessed equivalence, application decisions, BSCP32 reach."""
    stamps = "created_at TEXT NOT NULL, updated_at TEXT NOT NULL"
    for sql in (
        "ALTER TABLE eq_types ADD COLUMN regime TEXT NOT NULL DEFAULT 'bsc'",
        "ALTER TABLE eq_types ADD COLUMN major_pattern TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE eq_combinations ADD COLUMN fuel TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE eq_devices ADD COLUMN manufacturer TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE eq_devices ADD COLUMN upgradable INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE eq_devices ADD COLUMN smso TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE eq_devices ADD COLUMN wan_provider TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE eq_applications ADD COLUMN decision TEXT NOT NULL DEFAULT 'pending'",
        "ALTER TABLE eq_applications ADD COLUMN decision_date TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE eq_dispensations ADD COLUMN msid TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE eq_dispensations ADD COLUMN site TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE eq_dispensations ADD COLUMN outstation_type TEXT NOT NULL DEFAULT ''",
        f"""CREATE TABLE eq_equivalences_new (
            id INTEGER PRIMARY KEY,
            combination_id INTEGER NOT NULL REFERENCES eq_combinations(id),
            tested_id INTEGER NOT NULL REFERENCES eq_combinations(id),
            status TEXT NOT NULL DEFAULT 'assurance' CHECK (status IN
                ('assurance', 'assessed', 'proposed', 'eligible', 'removed')),
            assurance TEXT NOT NULL DEFAULT '',
            assessed_by TEXT NOT NULL DEFAULT '',
            assessed_date TEXT NOT NULL DEFAULT '',
            evidence TEXT NOT NULL DEFAULT '',
            evidence_kind TEXT NOT NULL DEFAULT '',
            proposed_date TEXT NOT NULL DEFAULT '',
            eligible_date TEXT NOT NULL DEFAULT '',
            {stamps},
            UNIQUE (combination_id, tested_id))""",
        "INSERT INTO eq_equivalences_new (id, combination_id, tested_id, status, assessed_by, "
        "assessed_date, evidence, evidence_kind, created_at, updated_at) "
        "SELECT id, combination_id, tested_id, "
        "CASE status WHEN 'proposed' THEN 'assurance' ELSE status END, assessed_by, "
        "assessed_date, evidence, CASE status WHEN 'assessed' THEN 'unstated' ELSE '' END, "
        "created_at, updated_at FROM eq_equivalences",
        "DROP TABLE eq_equivalences",
        "ALTER TABLE eq_equivalences_new RENAME TO eq_equivalences",
        f"""CREATE TABLE eq_dcc_entries (
            id INTEGER PRIMARY KEY,
            combination_id INTEGER NOT NULL REFERENCES eq_combinations(id),
            list TEXT NOT NULL CHECK (list IN ('ppcl', 'epcl')),
            stage TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            since TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '',
            {stamps},
            UNIQUE (combination_id, list))""",
        """CREATE TABLE eq_dcc_list_rows (
            id INTEGER PRIMARY KEY,
            publication_id INTEGER NOT NULL REFERENCES eq_publications(id),
            combination TEXT NOT NULL,
            status TEXT NOT NULL,
            stage TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL DEFAULT '{}')""",
        f"""CREATE TABLE eq_tirs (
            id INTEGER PRIMARY KEY,
            reference TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL DEFAULT '',
            outcome TEXT NOT NULL DEFAULT 'open',
            detail TEXT NOT NULL DEFAULT '',
            fixed_firmware TEXT NOT NULL DEFAULT '',
            raised_date TEXT NOT NULL DEFAULT '',
            {stamps})""",
        """CREATE TABLE eq_tir_links (
            tir_id INTEGER NOT NULL REFERENCES eq_tirs(id),
            combination_id INTEGER NOT NULL REFERENCES eq_combinations(id),
            PRIMARY KEY (tir_id, combination_id))""",
        "DROP INDEX eq_dispensations_natural",
        "CREATE UNIQUE INDEX eq_dispensations_natural ON eq_dispensations "
        "(reference, ifnull(session_id, 0), step_id, cop, msid, site, outstation_type)",
    ):
        db.execute(sql)
