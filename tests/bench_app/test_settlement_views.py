"""One answer everywhere: the reconciliation, the GUI's Compare tab, the report's heat map and its
daily table give the same per-SP values for every allowed integration period, also on 46- and
50-period days (they all roll up with :func:`bench_app.settlement.half_hours`)."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench_app import settlement
from bench_app.presentation import day_text
from bench_app.reconcile import _periods, reconcile
from bench_app.report.data import _series
from bench_app.report.fonts import register_fonts
from bench_app.report.profile import _day_rows, daily_totals
from bench_app.report.styles import Styles, _plain
from bench_app.store import Reading, Store
from drivers.model import Channel, ProfileRow
from ui.panels.profile_data import ProfileSeries

CH = Channel("1.0.1.29.0.255", "kWh")
DAYS = (date(2026, 3, 29), date(2026, 10, 25), date(2026, 6, 1))  # 46, 50, 48 periods


def _collection(store: Store, sid: int, day: date, period_min: int, values: list[int]) -> int:
    """One day of ``period_min`` intervals; value i is ``values[i % len] / 1000`` kWh."""
    start = settlement.day_start(day)
    count = settlement.periods_in_day(day) * 30 // period_min
    rows = [ProfileRow(start + timedelta(minutes=period_min * i),
                       [values[i % len(values)] / 1000], 0x04 if i == 3 else 0)
            for i in range(count)]  # fmt: skip
    cid = store.new_collection(sid, "bench", "test")
    store.add_profile_block(cid, [CH], rows)
    return cid


def _views(store: Store, cid: int, day: date) -> dict[str, list[float]]:
    """Per-SP values of ``day`` as each view computes them (SP 1…n)."""
    n = settlement.periods_in_day(day)
    first = int(settlement.day_start(day).timestamp())
    cells, _names = _periods(store, cid, None)
    recon = [float(cells[(first + i * 1800, "1.29.0")][0]) for i in range(n)]
    _p, compare, _s = ProfileSeries.from_store(store, cid).half_hourly().day(day, 0)
    (series,) = _series(store, store.collection(cid))
    grid = _day_rows(series)[day]
    table = daily_totals(series, Styles(register_fonts()))
    cells = [[c if isinstance(c, str) else _plain(c) for c in row] for row in table._cellvalues]
    total = next(float(row[2]) for row in cells[1:] if row[0] == day_text(day, weekday=False))
    return {
        "reconcile": recon,
        "compare": [float(v) for v in compare],
        "heat map": [float(grid[sp][0]) for sp in range(1, n + 1)],
        "daily table": [total],
    }


def _same(views: dict[str, list[float]]) -> None:
    ref = views["reconcile"]
    for name in ("compare", "heat map"):
        assert np.allclose(views[name], ref, atol=1e-9), name
    assert views["daily table"][0] == pytest.approx(round(sum(ref), 3), abs=1e-9)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    day=st.sampled_from(DAYS),
    period=st.sampled_from(settlement.INTEGRATION_PERIODS),
    values=st.lists(st.integers(0, 5000), min_size=1, max_size=7),
)
def test_every_view_gives_the_same_per_sp_values(day, period, values):
    with tempfile.TemporaryDirectory() as tmp:
        with Store.open(Path(tmp) / "t.db") as store:
            sid = store.create_session("VIEWS", "protocol-approval", cops=["CoP5"])
            views = _views(store, _collection(store, sid, day, period, values), day)
    assert len(views["reconcile"]) == settlement.periods_in_day(day)
    _same(views)


def test_twenty_minute_profile_is_one_and_a_half_per_sp_everywhere(store, session_id):
    """1 kWh per 20-minute interval is 1.5 kWh in every settlement period, in every view, and
    reconciles with an HHDC export that says 1.5 per period."""
    day = date(2026, 6, 1)
    cid = _collection(store, session_id, day, 20, [1000])
    views = _views(store, cid, day)
    assert views["reconcile"] == [1.5] * 48
    _same(views)
    hhdc = store.new_collection(session_id, "hhdc", "csv")
    store.add_readings(hhdc, [Reading(p, "1.0.1.29.0.255", 1.5, "kWh", 0x04 if i == 2 else 0)
                              for i, p in enumerate(settlement.day_periods(day))])  # fmt: skip
    res = reconcile(store, hhdc, cid)
    assert res.verdict == "AGREE", [d.to_json() for d in res.discrepancies[:3]]
