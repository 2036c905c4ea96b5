"""Store: sessions, evidence tables, locking, idempotent profile blocks (real SQLite files)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from bench_app.errors import NotFoundError, SessionLockedError, UsageError
from bench_app.store import Reading, Store
from drivers.model import ClockReading, MeterEvent, RegisterValue
from drivers.trace import Trace
from tests.bench_app.storehelp import CHANNELS, profile_rows, utc


def test_open_sets_wal_and_foreign_keys(store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute(
            "INSERT INTO collections (uid, session_id, source, started_at) "
            "VALUES ('x', 999, 'bench', 'now')"
        )


def test_default_path_comes_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("WITNESS_BENCH_DB", str(tmp_path / "env.db"))
    with Store.open() as s:
        assert s.path == tmp_path / "env.db"
    assert (tmp_path / "env.db").exists()


def test_session_roundtrip_and_validation(store):
    sid = store.create_session(
        "APP-7",
        "cop-compliance",
        cops=["CoP5", "CoP3"],
        location="Lab 2",
        date="2026-11-24",
        title="t",
    )
    s = store.get_session(sid)
    assert (s["reference"], s["kind"], s["cops"], s["status"]) == (
        "APP-7",
        "cop-compliance",
        ["CoP5", "CoP3"],
        "draft",
    )
    assert [x["id"] for x in store.list_sessions()] == [sid]
    with pytest.raises(UsageError, match="kind"):
        store.create_session("X", "bogus")
    with pytest.raises(NotFoundError, match="session 42"):
        store.get_session(42)
    with pytest.raises(UsageError, match="role"):
        store.add_participant(sid, "Bob", role="boss")


def test_people_equipment_software_supersede(store):
    sid = store.create_session("APP-1", "protocol-approval")
    store.add_participant(sid, "Ann", "Elexon", "witness")
    store.add_participant(sid, "UKDC Ltd", "UKDC", "hhdc", mpid="UKDC")
    assert [(p["name"], p["role"], p["mpid"]) for p in store.participants(sid)] == [
        ("Ann", "witness", None),
        ("UKDC Ltd", "hhdc", "UKDC"),
    ]
    assert store.equipment(sid) is None
    store.set_equipment(sid, model="P3E", serials=["A1"], firmware={"metrology": "1"})
    store.set_equipment(
        sid,
        model="R3E",
        serials=["A1", "A2"],
        firmware={"metrology": "1", "application": "2", "communications": "3"},
        channels=4,
    )
    eq = store.equipment(sid)
    assert (
        eq["model"] == "R3E"
        and eq["serials"] == ["A1", "A2"]
        and eq["firmware"]["application"] == "2"
    )
    assert store.conn.execute("SELECT count(*) FROM equipment").fetchone()[0] == 2  # kept
    store.set_software(sid, hhdc_name="UKDC", hhdc_version="9.1")
    assert store.software(sid)["hhdc_version"] == "9.1"
    assert store.verify(sid).ok


def test_profile_block_normalises_and_ignores_duplicates(store):
    sid = store.create_session("APP-1", "protocol-approval")
    cid = store.new_collection(sid, "bench", "iec21")
    rows = profile_rows(utc(2026, 3, 1), 10)
    assert store.add_profile_block(cid, CHANNELS, rows) == 20
    assert (
        store.add_profile_block(cid, CHANNELS, rows[5:] + profile_rows(utc(2026, 3, 1, 5), 3)) == 6
    )
    got = store.readings(cid)
    assert len(got) == 26
    first = got[0]
    assert isinstance(first, Reading) and first.start == utc(2026, 3, 1)
    assert first.unit == "kWh" and first.value == pytest.approx(rows[0].values[0] / 1000)
    assert {r.unit for r in got} == {"kWh", "kvarh"}
    assert store.last_interval(cid) == utc(2026, 3, 1, 6)
    part = store.readings(cid, utc(2026, 3, 1, 1), utc(2026, 3, 1, 2))
    assert [r.start for r in part][::2] == [utc(2026, 3, 1, 1), utc(2026, 3, 1, 1, 30)]
    assert store.collections(sid)[0]["rows"] == 26
    assert store.verify(sid).ok


def test_last_interval_empty_and_unknown(store):
    sid = store.create_session("APP-1", "protocol-approval")
    cid = store.new_collection(sid, "bench")
    assert store.last_interval(cid) is None
    with pytest.raises(NotFoundError, match="collection 99"):
        store.last_interval(99)
    with pytest.raises(UsageError, match="source"):
        store.new_collection(sid, "meter")


def test_registers_events_clock_traces_attachments(store):
    sid = store.create_session("APP-1", "protocol-approval")
    cid = store.new_collection(sid, "bench", "dlms", meta={"period_min": 30})
    assert (
        store.add_registers(
            cid,
            [RegisterValue("1.0.1.8.0.255", 123456, "Wh"), RegisterValue("0.0.96.1.0.255", "SER1")],
        )
        == 2
    )
    regs = store.registers(cid)
    assert regs[0]["value"] == pytest.approx(123.456) and regs[0]["unit"] == "kWh"
    assert regs[1]["value"] == "SER1"
    store.add_events(
        cid,
        [
            MeterEvent(utc(2026, 3, 1, 2), 10, "Supply failure"),
            MeterEvent(utc(2026, 3, 1, 1), 1, "Phase failure L1"),
        ],
    )
    ev = store.events(sid)
    assert [e["code"] for e in ev] == [1, 10] and ev[0]["time"] == utc(2026, 3, 1, 1)
    t0 = utc(2026, 3, 1, 12)
    store.add_clock_observation(
        sid, ClockReading.of(t0 - timedelta(seconds=600), t0), "DR3-2 before"
    )
    obs = store.clock_observations(sid)[0]
    assert obs["deviation_s"] == -600 and obs["reference_time"] == t0
    trace = Trace()
    trace.add("tx", b"/?!\r\n", baud=300, line="7E1")
    trace.add("rx", b"/ABC5\r\n", baud=300, line="7E1")
    tid = store.add_trace(sid, trace, "sign-on", collection_id=cid)
    info = store.traces(sid)[0]
    assert (info["records"], info["bytes_tx"], info["bytes_rx"]) == (2, 5, 7)
    assert [r.data for r in store.load_trace(tid)] == [b"/?!\r\n", b"/ABC5\r\n"]
    aid = store.add_attachment(sid, "photo.jpg", b"\xff\xd8data", "image/jpeg")
    assert store.attachments(sid)[0]["size"] == 6 and store.attachment_data(aid) == b"\xff\xd8data"
    assert store.verify(sid).ok


def test_checklist_runs_attempts_confirm_supersede(store):
    sid = store.create_session("APP-1", "protocol-approval")
    run = store.start_checklist_run(sid, "bscp601-protocol", "1.0")
    store.record_step(run, "DR1-1", actual="no diffs", verdict="fail", evidence={"c": [1, 2]})
    store.record_step(run, "DR1-1", actual="no diffs", verdict="pass", by="Ann")
    store.record_step(run, "DR2-1", actual="refused", verdict="pass")
    latest = store.step_results(run)
    assert [(r["step_id"], r["attempt"], r["verdict"]) for r in latest] == [
        ("DR1-1", 2, "pass"),
        ("DR2-1", 1, "pass"),
    ]
    assert len(store.step_results(run, latest_only=False)) == 3
    assert store.step_results(run, latest_only=False)[0]["evidence"] == {"c": [1, 2]}
    store.confirm_run(run, "tester", "Tom")
    assert store.checklist_runs(sid)[0]["status"] == "open"
    store.confirm_run(run, "witness", "Wendy")
    assert store.checklist_runs(sid)[0]["status"] == "confirmed"
    with pytest.raises(SessionLockedError, match="confirmed"):
        store.record_step(run, "DR2-2", actual="x", verdict="pass")
    run2 = store.start_checklist_run(sid, "bscp601-protocol", "1.0", supersedes=run, reason="redo")
    runs = store.checklist_runs(sid)
    assert [r["status"] for r in runs] == ["superseded", "open"] and runs[1]["supersedes"] == run
    with pytest.raises(UsageError, match="verdict"):
        store.record_step(run2, "DR1-1", actual="", verdict="maybe")
    assert store.verify(sid).ok


def test_locked_session_refuses_every_write(store):
    sid = store.create_session("APP-1", "protocol-approval")
    cid = store.new_collection(sid, "bench")
    run = store.start_checklist_run(sid, "t", "1")
    store.lock_session(sid, "Wendy", "report signed")
    s = store.get_session(sid)
    assert s["status"] == "locked" and s["locked_by"] == "Wendy"
    writes = [
        lambda: store.add_profile_block(cid, CHANNELS, profile_rows(utc(2026, 1, 1), 2)),
        lambda: store.new_collection(sid, "hhdc"),
        lambda: store.add_participant(sid, "X"),
        lambda: store.set_equipment(sid, model="m"),
        lambda: store.add_attachment(sid, "a", b"x"),
        lambda: store.record_step(run, "DR1-1", actual="", verdict="pass"),
        lambda: store.add_events(cid, [MeterEvent(utc(2026, 1, 1), 1, "x")]),
        lambda: store.lock_session(sid, "again"),
    ]
    for write in writes:
        with pytest.raises(SessionLockedError, match="Wendy"):
            write()
    assert store.readings(cid) == []
    assert store.verify(sid).ok


def test_failed_transaction_leaves_nothing(store):
    sid = store.create_session("APP-1", "protocol-approval")
    head = store.audit_head(sid)
    with pytest.raises(RuntimeError), store.atomic():
        cid = store.new_collection(sid, "hhdc")
        store.add_profile_block(cid, CHANNELS, profile_rows(utc(2026, 1, 1), 4))
        raise RuntimeError("boom")
    assert store.collections(sid) == [] and store.audit_head(sid) == head
    cid = store.new_collection(sid, "hhdc")  # reuses the rolled-back id safely
    store.add_profile_block(cid, CHANNELS, profile_rows(utc(2026, 1, 1), 4))
    assert store.verify(sid).ok
