"""Reconciliation per settlement period: planted discrepancies, clock changes, register check."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from bench_app.cli import main
from bench_app.reconcile import (
    canonical_channel,
    check_advance,
    reconcile,
    reconcile_many,
    register_check,
)
from bench_app.store import Reading, Store
from drivers.model import Channel
from tests.bench_app.storehelp import CHANNELS, day_rows, session_with, utc

DAYS = (date(2026, 3, 29), date(2026, 10, 25))


def test_identical_data_has_no_discrepancy(store):
    _sid, (a, b) = session_with(store, "bench", "hhdc", days=DAYS)
    res = reconcile(store, a, b)
    assert res.ok and res.discrepancies == []
    assert res.compared == res.matched == (46 + 50) * 2
    assert res.days == 2 and res.clock_change_days == ["2026-03-29", "2026-10-25"]


def test_planted_missing_value_and_flag_are_found(store):
    sid, (a,) = session_with(store, "bench", days=DAYS)
    b = store.new_collection(sid, "hhdc", "csv")
    rows = [r for d in DAYS for r in day_rows(d)]
    missing = rows[10]  # 2026-03-29 SP11
    changed = rows[46 + 2]  # 2026-10-25 SP3 (00:00Z, first 01:00 BST)
    flagged = rows[46 + 4]  # 2026-10-25 SP5 (01:00Z, second 01:00, now GMT)
    kept = []
    for r in rows:
        if r is missing:
            continue
        if r is changed:
            r = type(r)(r.start, [r.values[0] + 5.0, r.values[1]], r.status)  # +5 Wh
        if r is flagged:
            r = type(r)(r.start, list(r.values), r.status | 0x0010)
        kept.append(r)
    store.add_profile_block(b, CHANNELS, kept)
    res = reconcile(store, a, b)
    assert (res.missing_in_a, res.missing_in_b, res.value_diffs, res.flag_diffs) == (0, 2, 1, 2)
    assert res.matched == res.compared - 5
    got = {(d.kind, d.settlement_day.isoformat(), d.sp, d.channel) for d in res.discrepancies}
    assert ("missing_in_b", "2026-03-29", 11, "1.0.1.8.0.255") in got
    assert ("missing_in_b", "2026-03-29", 11, "1.0.3.8.0.255") in got
    assert ("value", "2026-10-25", 3, "1.0.1.8.0.255") in got
    assert ("flag", "2026-10-25", 5, "1.0.1.8.0.255") in got
    value = next(d for d in res.discrepancies if d.kind == "value")
    assert value.b - value.a == pytest.approx(0.005) and value.start == utc(2026, 10, 25, 0)
    # the other direction names the same period as missing in A
    back = reconcile(store, b, a)
    assert back.missing_in_a == 2 and back.missing_in_b == 0


def test_tolerance(store):
    sid, (a,) = session_with(store, "bench", days=DAYS[:1])
    b = store.new_collection(sid, "hhdc")
    rows = [type(r)(r.start, [r.values[0] + 0.4, r.values[1]], r.status) for r in day_rows(DAYS[0])]
    store.add_profile_block(b, CHANNELS, rows)  # +0.4 Wh = 0.0004 kWh
    assert reconcile(store, a, b).ok
    assert reconcile(store, a, b, tolerance=0.0001).value_diffs == 46


def test_fifteen_minute_bench_read_against_half_hourly_hhdc(store):
    sid = store.create_session("APP", "protocol-approval")
    bench = store.new_collection(sid, "bench")
    hhdc = store.new_collection(sid, "hhdc")
    t0 = utc(2026, 10, 24, 23)  # SP1 of the autumn clock-change day
    readings_15, readings_30 = [], []
    for i in range(100):
        start = t0 + timedelta(minutes=15 * i)
        readings_15.append(Reading(start, "1-0:1.8.0*255", 0.25 + i, "kWh", 1 if i == 7 else 0))
    for k in range(50):
        v = readings_15[2 * k].value + readings_15[2 * k + 1].value
        readings_30.append(
            Reading(t0 + timedelta(minutes=30 * k), "AI-mapped", v, "kWh", 1 if k == 3 else 0)
        )
    store.add_readings(bench, readings_15)
    store.add_readings(hhdc, readings_30)
    res = reconcile(store, bench, hhdc, channel_map={"AI-mapped": "1.0.1.8.0.255"})
    assert res.ok and res.compared == 50
    assert res.clock_change_days == ["2026-10-25"]


def test_three_way(store):
    _sid, ids = session_with(store, "bench", "hhdc", "manufacturer", days=DAYS[:1])
    many = reconcile_many(store, ids)
    assert many.ok and len(many.results) == 3
    assert [(r.source_a, r.source_b) for r in many.results] == [
        ("bench", "hhdc"),
        ("bench", "manufacturer"),
        ("hhdc", "manufacturer"),
    ]


def test_canonical_channel():
    assert canonical_channel("1.0.1.8.0.255") == "1.8.0"
    assert canonical_channel("1-0:1.8.0*255") == "1.8.0"
    assert canonical_channel("1.8.0") == "1.8.0"
    assert canonical_channel("AI") == "AI"


def test_register_check(store):
    sid = store.create_session("APP", "cop-compliance")
    cid = store.new_collection(sid, "bench")
    t0 = utc(2026, 5, 1)
    store.add_profile_block(
        cid,
        [Channel("1.0.1.8.0.255", "kWh")],
        [type(r)(r.start, [2.0], 0) for r in day_rows(date(2026, 5, 1))],
    )
    day_end = t0 + timedelta(days=1)
    ok = register_check(store, cid, "1.8.0", utc(2026, 4, 30, 23), day_end, 1000.0, 1096.05)
    assert ok.periods == 48 and ok.hh_sum == pytest.approx(96.0) and ok.ok
    bad = register_check(store, cid, "1.8.0", utc(2026, 4, 30, 23), day_end, 1000.0, 1096.2)
    assert not bad.ok and bad.diff_pct == pytest.approx(-0.2077, abs=1e-3)
    assert check_advance(0.0, 0.0).ok and not check_advance(1.0, 0.0).ok


def test_cli_reconcile_json(tmp_path, capsys):
    db = tmp_path / "c.db"
    with Store.open(db) as store:
        sid, _ = session_with(store, "bench", "hhdc", days=DAYS[:1])
    assert main(["reconcile", "--session", str(sid), "--db", str(db), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["compared"] == 92 and out["discrepancies"] == []
    assert (
        main(
            [
                "reconcile",
                "--session",
                str(sid),
                "--db",
                str(db),
                "--a",
                "bench",
                "--b",
                "manufacturer",
            ]
        )
        == 6
    )
