"""The per-period plausibility bound of an import comes from the session's meter description
(``max_kwh_per_period``), still overridable by ``--max-kwh-per-period``."""

from __future__ import annotations

import pytest

from bench_app import meters
from bench_app.cli import main

CSV = """MPAN,Serial,Date,SP,Channel,Value,Unit,Flag
1200023456789,PRO-SIM-000123,2026-06-10,1,AI,0.470,kWh,0
1200023456789,PRO-SIM-000123,2026-06-10,2,AI,3000,kWh,0
"""


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "hhdc.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def _import(store, sid, path, *extra):
    return main(["import", "--session", str(sid), "--source", "hhdc", "--db", str(store.path),
                 *extra, str(path)])  # fmt: skip


def test_every_simulated_description_names_its_bound():
    for name in ("prometer100", "northgate-nx7", "iec-generic"):
        assert meters.load(name).max_kwh_per_period, name
    assert meters.load("dlms-generic").max_kwh_per_period is None  # knows no rating


def test_the_meters_rating_refuses_an_impossible_period(store, export, capsys):
    sid = store.create_session("BSCP601-L", "protocol-approval")
    store.set_equipment(sid, outstation_type="PRO", serials=["PRO-SIM-000123"])
    assert _import(store, sid, export) != 0
    err = capsys.readouterr().err
    assert "hhdc.csv:3" in err and "more than 2286 kWh" in err
    assert store.collections(sid) == []
    assert _import(store, sid, export, "--max-kwh-per-period", "5000") == 0  # the override
    out = capsys.readouterr().out
    assert "bounded by 5000 per period (--max-kwh-per-period)" in out
    (coll,) = store.collections(sid)
    assert coll["meta"]["max_kwh_per_period_source"] == "--max-kwh-per-period"


def test_the_bench_records_description_wins_and_no_meter_keeps_the_default(store, export):
    sid = store.create_session("BSCP601-L", "protocol-approval")
    store.set_session_record(sid, "bench", {"simulator": True, "meter": "northgate-nx7"})
    assert _import(store, sid, export) != 0  # 3000 > 332.5
    other = store.create_session("BSCP601-M", "protocol-approval")
    assert _import(store, other, export) == 0
    (coll,) = store.collections(other)
    assert coll["meta"]["max_kwh_per_period_source"].startswith("default")
