"""Live, profile, trace and events panels on their main paths."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from drivers.dlms.hdlc import encode_frame
from drivers.model import Channel, ProfileRow, StatusFlag
from drivers.trace import Trace
from tests.ui.fakes import FakeMeter
from ui.panels.events import EventsPanel
from ui.panels.live import LivePanel, obis_key
from ui.panels.profile import ProfilePanel
from ui.panels.profile_data import ProfileSeries, day_periods
from ui.panels.trace import TracePanel, summarise


def _rows(start: datetime, days: int, flag_every: int = 0) -> list[ProfileRow]:
    out = []
    for i in range(days * 48 + 4):
        st = StatusFlag.PHASE_FAILURE if flag_every and i % flag_every == 0 else 0
        out.append(ProfileRow(start + timedelta(minutes=30 * i), [float(i % 48), 1.0], int(st)))
    return out


def test_obis_keys_long_and_short():
    assert obis_key("1.0.32.7.0.255") == (32, 7)
    assert obis_key("32.7.0") == (32, 7)
    assert obis_key("1-0:32.7.0*255") == (32, 7)  # the form Obis and the meters print
    assert obis_key("C.1.0") is None


def test_live_panel_plots_polled_values(qtbot, ctx):
    panel = LivePanel(ctx)
    qtbot.addWidget(panel)
    meter = FakeMeter()
    for i in range(5):
        panel.feed_registers(meter.read_instantaneous(), t=1_700_000_000 + i)
    panel.redraw()
    x, y = panel.curves["V1"].getData()
    assert len(x) == 5 and 230 <= y[0] <= 233
    assert panel.values["P"].text() == "3.400"  # W converted to kW
    assert panel.values["f"].text() == "50.010"
    assert panel.curves["V1"].opts["clipToView"] and panel.curves["V1"].opts["autoDownsample"]


def test_live_polling_through_worker(qtbot, ctx, fake_meter_factory):
    from ui.panels.connection import ConnectionPanel

    conn = ConnectionPanel(ctx)
    qtbot.addWidget(conn)
    live = LivePanel(ctx)
    qtbot.addWidget(live)
    conn.port_combo.setEditText("socket://127.0.0.1:1")
    conn.connect_meter()
    qtbot.waitUntil(lambda: ctx.status["state"] == "connected", timeout=5000)
    live.rate_combo.setCurrentIndex(4)  # 10 Hz
    live.start_btn.setChecked(True)
    qtbot.waitUntil(lambda: live.samples >= 3, timeout=5000)
    live.start_btn.setChecked(False)
    assert not live.poll_timer.isActive()


def test_settlement_days_have_46_48_50_periods():
    assert len(day_periods(date(2026, 3, 29))) == 46
    assert len(day_periods(date(2026, 10, 25))) == 50
    assert len(day_periods(date(2026, 10, 26))) == 48
    assert day_periods(date(2026, 7, 1))[0] == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)


def test_profile_day_view_on_clock_change_day_and_flags(qtbot):
    panel = ProfilePanel()
    qtbot.addWidget(panel)
    chans = [Channel("1.0.1.29.0.255", "kWh"), Channel("1.0.3.29.0.255", "kvarh")]
    start = datetime(2026, 10, 23, 23, 0, tzinfo=UTC)
    panel.set_series(ProfileSeries.from_rows(chans, _rows(start, 4, flag_every=10)))
    panel.day_edit.setDate(date(2026, 10, 25))
    assert panel.periods_shown() == 50
    assert "clock-change day" in panel.day_info.text()
    assert "Phase failure" in panel.legend.text()
    brushes = panel.bars.opts["brushes"]
    assert len({b.color().name() for b in brushes}) == 2  # flagged vs normal
    # UTC toggle changes the tick labels: SP 1 is 00:00 local = 23:00 UTC the day before
    panel.day_edit.setDate(date(2026, 10, 24))
    ticks_local = panel.day_plot.getAxis("bottom")._tickLevels[0][0][1]
    panel.local_check.setChecked(False)
    ticks_utc = panel.day_plot.getAxis("bottom")._tickLevels[0][0][1]
    assert ticks_local.endswith("00:00") and ticks_utc.endswith("23:00")


def test_profile_heat_map_and_range(qtbot):
    panel = ProfilePanel()
    qtbot.addWidget(panel)
    start = datetime(2026, 6, 1, 23, 0, tzinfo=UTC)
    panel.set_series(
        ProfileSeries.from_rows([Channel("a", "kWh"), Channel("b", "kWh")], _rows(start, 95))
    )
    panel.view_combo.setCurrentIndex(2)
    img = panel.heat.image
    assert img.shape == (90, 50)
    assert np.isnan(img[:, 48:]).all() and np.isfinite(img[1:-1, :48]).all()
    panel.view_combo.setCurrentIndex(1)
    assert len(panel.range_curves) == 2


def test_profile_compare_uses_the_reconciliation(qtbot, ctx):
    from bench_app.reconcile import reconcile

    start = datetime(2026, 6, 1, 23, 0, tzinfo=UTC)
    rows = [ProfileRow(r.start, r.values[:1], r.status) for r in _rows(start, 2)]
    a = ctx.store.new_collection(ctx.session_id, "bench", protocol="dlms")
    ctx.store.add_profile_block(a, [Channel("1.0.1.8.0.255", "kWh")], rows)
    # HHDC: 15-minute data named 1.8.0 (rolled up and matched as the reconciliation does),
    # SP 11 off by 0.5 kWh, SP 21 flagged, SP 31 missing
    quarter = []
    for i, r in enumerate(rows):
        if i == 30:  # SP 31 of 2 June (rows start at SP 1)
            continue
        v = r.values[0] + (0.5 if i == 10 else 0.0)
        st = int(StatusFlag.BATTERY) if i == 20 else r.status
        quarter += [
            ProfileRow(r.start, [v / 2], st),
            ProfileRow(r.start + timedelta(minutes=15), [v / 2], st),
        ]
    b = ctx.store.new_collection(ctx.session_id, "hhdc")
    ctx.store.add_profile_block(b, [Channel("1.8.0", "kWh")], quarter)
    panel = ProfilePanel(ctx)
    qtbot.addWidget(panel)
    panel.reload_collections()
    panel.compare.a_combo.setCurrentIndex(panel.compare.a_combo.findData(a))
    panel.compare.b_combo.setCurrentIndex(panel.compare.b_combo.findData(b))
    panel.collection_combo.setCurrentIndex(panel.collection_combo.findData(a))
    panel.day_edit.setDate(date(2026, 6, 2))
    panel.view_combo.setCurrentIndex(3)
    expected = reconcile(ctx.store, a, b)
    assert sorted({d.sp for d in expected.discrepancies}) == [11, 21, 31]
    r = panel.compare.result
    assert panel.compare.discrepancies == [11, 21, 31]
    assert panel.compare.day_kinds == {11: ["value"], 21: ["flag"], 31: ["missing_in_b"]}
    text = panel.compare.summary.text()
    assert "3 discrepant" in text and "missing in B" in text
    assert f"{expected.matched:,} of {expected.compared:,}" in text
    _p, vb, _s = panel.compare.series_b.day(date(2026, 6, 2), 0)
    assert np.isclose(vb[1], rows[1].values[0])  # quarter hours summed to the half hour
    panel.compare.diff_check.setChecked(True)
    assert panel.compare.discrepancies == [11, 21, 31]
    panel.day_edit.setDate(date(2026, 6, 3))  # other day: nothing to flag
    assert panel.compare.discrepancies == []


def test_profile_panel_loads_stored_collection(qtbot, ctx):
    cid = ctx.store.new_collection(ctx.session_id, "bench", protocol="dlms")
    ctx.store.add_profile_block(
        cid,
        [Channel("1.0.1.29.0.255", "kWh")],
        [
            ProfileRow(r.start, r.values[:1], r.status)
            for r in _rows(datetime(2026, 6, 1, 23, tzinfo=UTC), 3)
        ],
    )
    panel = ProfilePanel(ctx)
    qtbot.addWidget(panel)
    panel.reload_collections()
    assert panel.collection_combo.count() == 1
    assert len(panel.series) == 3 * 48 + 4
    assert panel.periods_shown() == 48


def test_trace_panel_decodes_searches_exports(qtbot, tmp_path):
    trace = Trace()
    trace.add("tx", encode_frame(0x03, 0x21, 0x93), baud=9600, line="8N1")
    trace.add("rx", b"\x02F.F(00)\r\n1.8.0(001234.5*kWh)\r\n!\r\n\x03\x11", baud=300, line="7E1")
    info = b"\xe6\xe6\x00\xc0\x01\xc1\x00\x07\x01\x00\x63\x01\x00\xff\x02\x00"
    trace.add("tx", encode_frame(0x03, 0x21, 0x10, info), baud=9600)
    panel = TracePanel()
    qtbot.addWidget(panel)
    panel.set_trace(trace)
    assert panel.model.rowCount() == 3
    assert summarise(trace.records[0].data) == "HDLC SNRM"
    assert panel.model.summary(2) == (
        "GET 1.0.99.1.0.255 load profile · class 7 attribute 2 (buffer)"
    )
    assert "F.F(00)" in panel.model.summary(1)
    panel.search_edit.setText("1.8.0")
    panel.apply_search()
    assert panel.model.rows == [1]
    panel.search_edit.setText("7E A0")
    panel.apply_search()
    assert panel.model.rows == [0, 2]
    panel.table.selectRow(1)
    assert "7E A0" in panel.detail.toPlainText()
    top = panel.tree.topLevelItem(0)
    assert top.text(0).startswith("GET 1.0.99.1.0.255") or top.text(0).startswith("HDLC I")
    out = panel.export(tmp_path / "t.jsonl")
    assert len(Trace.load(out)) == 3
    txt = panel.export(tmp_path / "t.txt").read_text()
    assert "HDLC SNRM" in txt and "GET 1.0.99.1.0.255" in txt


def test_events_panel_shows_flags(qtbot, ctx):
    cid = ctx.store.new_collection(ctx.session_id, "bench")
    ctx.store.add_events(cid, FakeMeter().read_events())
    panel = EventsPanel(ctx)
    qtbot.addWidget(panel)
    panel.reload()
    assert panel.table.rowCount() == 2
    assert panel.table.item(0, 5).text() == "Phase failure"
    # GB local time with its zone, UTC beside it, and the settlement period (20 Oct 2026: BST)
    assert panel.table.item(0, 0).text() == "20 Oct 2026 03:00:00 BST"
    assert panel.table.item(0, 1).text() == "02:00:00"
    assert panel.table.item(0, 2).text() == "SP 7 of Tue 20 Oct 2026"
    panel.filter_edit.setText("clock")
    assert panel.table.rowCount() == 1
    assert "Clock change" in panel.table.item(0, 5).text()


def test_trace_decodes_a_redacted_aarq_but_not_a_corrupt_frame():
    info = b"\xe6\xe6\x00\x60\x0c\xac\x0a\x80\x08SECRET12"  # AARQ: 12 bytes, password 8
    frame = encode_frame(0x03, 0x21, 0x10, info)
    redacted = frame.replace(b"SECRET12", b"********")
    assert summarise(redacted).startswith("AARQ: associate with no authentication")
    corrupt = bytearray(frame)
    corrupt[-3] ^= 1
    assert summarise(bytes(corrupt)).startswith("BAD HDLC frame: FCS wrong — unchecked: AARQ")


def test_profile_day_header_counts_periods_not_ended_yet_apart_from_missing(qtbot, monkeypatch):
    """At 14:00 on the current settlement day, SP 29…48 have not ended: not "missing". Only ended
    periods with no value are missing — the heat map's white/red rule, with the same "now"."""
    from ui.panels.profile_flags import NO_DATA_RGBA, NOT_YET_RGBA

    day = date(2026, 7, 1)  # BST: 14:00 local is 13:00 UTC
    now = datetime(2026, 7, 1, 13, 0, tzinfo=UTC)
    panel = ProfilePanel()
    qtbot.addWidget(panel)
    monkeypatch.setattr(panel, "now", lambda: now, raising=False)
    periods = day_periods(day)
    rows = [ProfileRow(p, [1.0], 0) for i, p in enumerate(periods[:27]) if i != 9]  # no SP 10
    panel.set_series(ProfileSeries.from_rows([Channel("a", "kWh")], rows))
    panel.day_edit.setDate(day)
    text = panel.day_info.text()
    assert "· 2 missing" in text, text  # SP 10 and SP 28 (ended at 14:00, no value)
    assert "· 20 not ended yet" in text, text
    panel.view_combo.setCurrentIndex(2)  # the heat map tells them apart the same way
    back = panel.heat_back.image[panel.heat_days.index(day)]
    assert int(np.all(back == NO_DATA_RGBA, axis=-1).sum()) == 2
    assert int(np.all(back == NOT_YET_RGBA, axis=-1).sum()) == 20
