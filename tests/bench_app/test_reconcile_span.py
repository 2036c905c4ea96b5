"""reconcile --session: over the export's own span, exact decimals, AGREE/DIFFER/CANNOT COMPARE."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from bench_app import settlement
from bench_app.cli import main
from bench_app.compare_basis import to_decimal
from bench_app.demo import write_interval_export
from bench_app.reconcile import reconcile
from bench_app.store import Store
from tests.bench_app.storehelp import CHANNELS, day_rows

FIRST = date(2026, 8, 1)
DAYS = [FIRST + timedelta(days=i) for i in range(90)]  # 90-day bench read, Wh values


@pytest.fixture
def bench_db(tmp_path):
    db = tmp_path / "span.db"
    with Store.open(db) as store:
        sid = store.create_session("APP-SPAN", "protocol-approval")
        store.set_equipment(sid, serials=["PRO00001"])
        cid = store.new_collection(sid, "bench", "dlms", meta={"identity": {"serial": "PRO00001"}})
        for day in DAYS:
            store.add_profile_block(cid, CHANNELS, day_rows(day, seed=day.toordinal()))
        last3 = [
            r for r in store.readings(cid) if settlement.settlement_day(r.start) in DAYS[-4:-1]
        ]
    export = write_interval_export(last3, "PRO00001", tmp_path / "hhdc-3-days.csv")
    return db, sid, export


def run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_three_day_export_of_a_90_day_read_agrees_over_its_span(bench_db, capsys):
    db, sid, export = bench_db
    code, _ = run(
        capsys, "import", "--session", str(sid), "--source", "hhdc", str(export), "--db", str(db)
    )
    assert code == 0
    code, out = run(capsys, "reconcile", "--session", str(sid), "--db", str(db))
    assert code == 0, out
    # A is the export, B the bench read covering it: the comparison the report makes
    assert "hhdc (collection 2) vs bench (collection 1): AGREE" in out
    assert (
        "over 2026-10-26T00:00Z → 2026-10-29T00:00Z (settlement days 2026-10-26 … 2026-10-28): "
        "the report's comparison" in out
    )
    assert "compared 288 " in out  # 3 days × 48 × 2 channels, not 90 days' worth
    assert "0000000" not in out and "9999999" not in out  # no float noise anywhere


def test_whole_collections_differ_and_the_exit_code_says_so(bench_db, capsys):
    db, sid, export = bench_db
    run(capsys, "import", "--session", str(sid), "--source", "hhdc", str(export), "--db", str(db))
    code, out = run(capsys, "reconcile", "--session", str(sid), "--db", str(db), "--all-periods")
    assert code == 1 and "DIFFER" in out and "all periods of both collections" in out
    code, out = run(
        capsys,
        "reconcile",
        "--session",
        str(sid),
        "--db",
        str(db),
        "--json",
        "--from",
        "2026-09-01T00:00Z",
        "--to",
        "2026-09-02T00:00Z",
    )
    got = json.loads(out)
    assert code == 12 and got["verdict"] == "CANNOT COMPARE"  # the export holds none of it


def test_cannot_compare_with_one_source(bench_db, capsys):
    db, sid, _export = bench_db
    assert main(["reconcile", "--session", str(sid), "--db", str(db)]) == 12
    assert "nothing the report compares" in capsys.readouterr().err


def test_values_are_exact_decimals(tmp_path):
    assert str(to_decimal(3131 * 0.001)) == "3.131"  # 3.1310000000000002 as a float
    assert str(to_decimal(0.1 + 0.2)) == "0.3"
    with Store.open(tmp_path / "d.db") as store:
        sid = store.create_session("APP-D", "protocol-approval")
        a = store.new_collection(sid, "bench")
        b = store.new_collection(sid, "hhdc")
        start = settlement.day_start(date(2026, 5, 1))
        from bench_app.store import Reading

        # 0.1 + 0.2 in two 15-minute halves vs 0.3 in one half hour: equal with zero tolerance
        store.add_readings(
            a, [Reading(start, "1.8.0", 0.1), Reading(start + timedelta(minutes=15), "1.8.0", 0.2)]
        )
        store.add_readings(b, [Reading(start, "1.8.0", 0.3)])
        res = reconcile(store, a, b, tolerance=0.0)
        assert res.verdict == "AGREE"
        assert str(res.channels["1.8.0"].sum_a) == "0.3"
