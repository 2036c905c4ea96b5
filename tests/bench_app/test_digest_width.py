"""Row digests are full SHA-256; databases written with 64-bit prefixes migrate and still verify,
with a "legacy 64-bit row digests" warning; a 64-bit record cannot follow a full-width one."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from bench_app.cli import main
from bench_app.store import Store
from bench_app.store.audit import DIGEST_LEN, LEGACY_WARNING
from tests.bench_app.storehelp import legacyize, session_with


def _make(path):
    with Store.open(path) as store:
        sid, _ = session_with(store, "bench")
        store.add_participant(sid, "Ann", "Elexon", "witness")
        run = store.start_checklist_run(sid, "t", "1")
        store.record_step(run, "DR1-1", actual="ok", verdict="pass")
    return sid


def test_new_records_keep_the_whole_sha256_of_every_row(tmp_path):
    db = tmp_path / "a.db"
    _make(db)
    conn = sqlite3.connect(db)
    widths = conn.execute("SELECT DISTINCT length(digests) / n, digest_size FROM audit").fetchall()
    assert widths == [(32, 32)] and DIGEST_LEN == 32
    # the digest of a reading is the full SHA-256 of its canonical content: 256 bits
    (cuid,) = conn.execute("SELECT uid FROM collections").fetchone()
    first = conn.execute(
        "SELECT start, channel, value, unit, status FROM readings ORDER BY id LIMIT 1"
    ).fetchone()
    digests = conn.execute(
        "SELECT digests FROM audit WHERE tbl = 'readings' ORDER BY seq LIMIT 1"
    ).fetchone()[0]
    canon = f'["{cuid}",{first[0]},"{first[1]}",{first[2]!r},"{first[3]}",{first[4]}]'
    assert digests[:32] == hashlib.sha256(canon.encode()).digest()
    assert len(digests[:32]) * 8 == 256
    conn.close()
    with Store.open(db) as store:
        res = store.verify()
    assert res.ok and res.legacy == 0 and res.warning == ""


def test_a_schema_9_database_migrates_and_verifies_with_a_warning(tmp_path, capsys):
    db = tmp_path / "old.db"
    _make(db)
    legacyize(db)
    conn = sqlite3.connect(db)  # back to what an old Witness Bench left: no digest_size column
    conn.execute("ALTER TABLE audit DROP COLUMN digest_size")
    for table in ("collections", "traces", "clock_observations"):  # nor the simulated marks
        conn.execute(f"ALTER TABLE {table} DROP COLUMN simulated")
    conn.execute("PRAGMA user_version = 9")
    conn.commit()
    conn.close()
    assert main(["verify", "--db", str(db)]) == 0  # read-only: migrated in memory
    out = capsys.readouterr().out
    assert "audit chain ok" in out and f"warning: {LEGACY_WARNING} in " in out
    Store.open(db).close()  # a writable open migrates the file
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] >= 10
    assert conn.execute("SELECT DISTINCT digest_size FROM audit").fetchall() == [(8,)]
    conn.close()
    # legacy rows are still checked (their 64-bit prefix): an edit is found
    conn = sqlite3.connect(db)
    conn.execute("UPDATE readings SET value = value + 1 WHERE id = 3")
    conn.commit()
    conn.close()
    with Store.open(db) as store:
        assert "readings id 3: content changed" in store.verify().first_broken


def test_new_evidence_in_a_legacy_session_is_full_width(tmp_path):
    db = tmp_path / "a.db"
    sid = _make(db)
    legacyize(db)
    with Store.open(db) as store:
        store.add_participant(sid, "Bob", "Meter Co", "tester")
        res = store.verify(sid)
    assert res.ok and 0 < res.legacy < res.checked


def test_a_64_bit_record_after_a_full_width_one_is_refused(tmp_path):
    db = tmp_path / "a.db"
    _make(db)
    legacyize(db, from_seq=3)  # seq 1-2 full width, then 64-bit: a downgrade
    with Store.open(db) as store:
        res = store.verify()
    assert not res.ok and "64-bit row digests after full-width ones" in res.first_broken


def test_a_forged_digest_size_is_refused(tmp_path):
    db = tmp_path / "a.db"
    _make(db)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE audit SET digest_size = 8 WHERE seq = 2")
    conn.commit()
    conn.close()
    with Store.open(db) as store:
        assert "row digests do not match" in store.verify().first_broken


@pytest.mark.parametrize("size", [0, 16])
def test_an_odd_digest_size_is_refused(tmp_path, size):
    db = tmp_path / "a.db"
    _make(db)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE audit SET digest_size = ? WHERE seq = 1", (size,))
    conn.commit()
    conn.close()
    with Store.open(db) as store:
        assert not store.verify().ok


def test_a_legacy_session_signed_report_verifies_with_the_warning(tmp_path, capsys):
    from bench_app.signing import new_self_signed
    from bench_app.signing.sign import load_signer
    from bench_app.signing.workflow import write_report

    db = tmp_path / "a.db"
    sid = _make(db)
    legacyize(db)  # recorded by an old Witness Bench, signed after the upgrade
    t = new_self_signed("Alice Tester", "Lab", "tester", tmp_path, passphrase=b"tester-pass-1")
    w = new_self_signed("Bob Witness", "Elexon", "witness", tmp_path, passphrase=b"witness-pass")
    pdf = tmp_path / "r.pdf"
    with Store.open(db) as store:
        write_report(store, sid, pdf, signer=load_signer(t[0], b"tester-pass-1"), role="tester")
        write_report(store, sid, pdf, signer=load_signer(w[0], b"witness-pass"), role="witness",
                     trust=[str(t[1])])  # fmt: skip
    args = ["verify", str(pdf), "--db", str(db), "--trust", str(t[1]), "--trust", str(w[1])]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"session data: warning - {LEGACY_WARNING} in " in out and out.splitlines()[-1] == "OK"
