"""Live and profile plots: legends beside the data (never over it), sensible y spans, GB phase
colours, titled GB-local time axes with one tick format."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.ui.fakes import FakeMeter
from ui.panels.live import MIN_SPAN, PHASE_PENS, LivePanel
from ui.timebase import GBTimeAxis


def _shown_live(qtbot, ctx):
    panel = LivePanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(1100, 650)
    panel.show()
    qtbot.waitExposed(panel)
    meter = FakeMeter()
    t0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC).timestamp()
    for i in range(60):
        panel.feed_registers(meter.read_instantaneous(), t=t0 + i)
    panel.redraw()
    qtbot.wait(50)
    return panel


def test_live_legends_do_not_overlap_the_plotted_data(qtbot, ctx):
    panel = _shown_live(qtbot, ctx)
    for group, plot in panel.plots.items():
        legend = panel.legends[group]
        assert legend.items, f"{group}: legend is empty"
        data_box = plot.getViewBox().sceneBoundingRect()
        legend_box = legend.sceneBoundingRect()
        assert legend_box.height() > 0 and data_box.height() > 0
        assert not legend_box.intersects(data_box), (group, legend_box, data_box)
        # nor does the legend of the plot below reach into this plot's data
        for other in panel.legends.values():
            assert not other.sceneBoundingRect().intersects(data_box)


def test_live_y_range_has_a_minimum_span_and_gb_phase_colours(qtbot, ctx):
    panel = _shown_live(qtbot, ctx)
    lo, hi = panel.plots["A"].viewRange()[1]
    assert hi - lo >= MIN_SPAN["A"]  # one flat 5.1 A current: not a full-height swing
    lo, hi = panel.plots["V"].viewRange()[1]
    assert hi - lo >= MIN_SPAN["V"] and lo < 229.5 and hi > 233
    assert panel.curves["V1"].opts["pen"].color().name() == PHASE_PENS["1"] == "#8b4513"
    assert panel.curves["V2"].opts["pen"].color().name() == "#000000"
    assert panel.curves["V3"].opts["pen"].color().name() == "#8c8c8c"
    # one time-axis title, under the bottom plot, naming the GB zone of the data (BST in July)
    axes = [p.getAxis("bottom") for p in panel.plots.values()]
    assert [a.label.isVisible() for a in axes] == [False, False, True]
    assert axes[-1].labelText == "Time (GB local, BST)"


def test_time_axes_are_titled_gb_local_with_one_format(qapp):
    from PySide6.QtGui import QFont, QFontMetrics

    axis = GBTimeAxis("Time")
    axis.fontMetrics = QFontMetrics(QFont())  # set by pyqtgraph when the axis is first drawn
    summer = datetime(2026, 7, 1, 11, 0, tzinfo=UTC).timestamp()
    winter = datetime(2026, 12, 1, 11, 0, tzinfo=UTC).timestamp()
    assert axis.tickStrings([summer], 1, 3600) == ["12:00"]  # BST
    assert "BST" in axis.labelText
    assert axis.tickStrings([winter], 1, 3600) == ["11:00"]  # GMT
    assert "GMT" in axis.labelText
    levels = axis.tickValues(summer, summer + 6 * 3600, 800)
    assert len(levels) == 1  # one tick level: never two formats on one axis


def _flagged_store_series(ctx):
    """A bench collection over the autumn clock change with a phase failure logged in one SP and
    a hole of missing periods; returns (collection id, flagged period start)."""
    from datetime import timedelta

    from drivers.model import Channel, EventCode, MeterEvent, ProfileRow, StatusFlag

    start = datetime(2026, 10, 23, 23, 0, tzinfo=UTC)  # SP 1 of Sat 24 Oct (BST)
    flagged = datetime(2026, 10, 24, 9, 0, tzinfo=UTC)  # SP 21 of 24 Oct
    rows = []
    for i in range(3 * 48 + 2):
        t = start + timedelta(minutes=30 * i)
        if (
            datetime(2026, 10, 25, 12, 0, tzinfo=UTC)
            <= t
            < datetime(2026, 10, 25, 14, 0, tzinfo=UTC)
        ):
            continue  # four periods not read: "no data"
        status = int(StatusFlag.PHASE_FAILURE) if t == flagged else 0
        rows.append(ProfileRow(t, [1.0 + (i % 48) / 10], status))
    cid = ctx.store.new_collection(ctx.session_id, "bench", protocol="dlms")
    ctx.store.add_profile_block(cid, [Channel("1.0.1.29.0.255", "kWh")], rows)
    ctx.store.add_events(
        cid,
        [
            MeterEvent(
                flagged + timedelta(minutes=12), EventCode.PHASE_FAILURE_L2, "Phase failure L2"
            )
        ],
    )
    return cid, flagged


def test_flags_are_visible_with_legend_and_a_tooltip_naming_flag_and_cause(qtbot, ctx):
    from ui.panels.profile import ProfilePanel
    from ui.panels.profile_data import flag_colour

    cid, flagged = _flagged_store_series(ctx)
    panel = ProfilePanel(ctx)
    qtbot.addWidget(panel)
    panel.reload_collections()
    panel.day_edit.setDate(datetime(2026, 10, 24).date())
    assert "Phase failure" in panel.legend.text() and "Battery" not in panel.legend.text()
    colours = [b.color().name() for b in panel.bars.opts["brushes"]]
    assert colours[20] == flag_colour(_phase()) and len(set(colours)) == 2
    tip = panel.day_tooltip(20)
    assert "SP 21" in tip and "<b>Phase failure</b>" in tip and "Phase failure L2" in tip
    assert "BST" in tip and "UTC" in tip
    assert "no flag" in panel.day_tooltip(0)
    # heat map: the title counts the days and marks the 50-period day; holes are "no data",
    # the SPs a 48-period day does not have are "no such SP"
    panel.view_combo.setCurrentIndex(2)
    title = panel.heat_plot.getPlotItem().titleLabel.text
    assert "3 settlement days" in title and "clock-change" in title
    assert "no data" in panel.legend.text() and "no such SP" in panel.legend.text()
    row = panel.heat_days.index(datetime(2026, 10, 24).date())
    assert panel.heat_status[row, 20]  # the flagged cell is marked
    assert "Phase failure" in panel.heat_tooltip(row, 21)
    assert "no SP 49" in panel.heat_tooltip(row, 49)
    back = panel.heat_back.image
    from ui.panels.profile_flags import NO_DATA_RGBA, NO_SUCH_SP_RGBA

    sunday = panel.heat_days.index(datetime(2026, 10, 25).date())  # 50 SPs, 4 missing
    assert tuple(back[row, 49]) == NO_SUCH_SP_RGBA
    assert tuple(back[sunday, 49]) != NO_SUCH_SP_RGBA  # SP 50 exists on the autumn day
    missing = [sp for sp in range(50) if tuple(back[sunday, sp]) == NO_DATA_RGBA]
    assert len(missing) == 4
    # compare view: A's flagged bar is in the flag's colour too, the legend is outside the plot
    panel.compare.set_collections([{"id": cid, "source": "bench"}] * 2)
    panel.view_combo.setCurrentIndex(3)
    brushes = [b.color().name() for b in panel.compare.bars_a.opts["brushes"]]
    assert brushes[20] == flag_colour(_phase())
    assert "Phase failure" in panel.compare.tooltip(20)
    assert "A:" in panel.compare.key.text()


def _phase() -> int:
    from drivers.model import StatusFlag

    return int(StatusFlag.PHASE_FAILURE)


def test_live_blocks_show_in_the_stored_kilo_units():
    """A read in progress (meter's Wh) and the stored collection (kWh) show the same numbers."""
    from datetime import UTC, datetime

    from drivers.model import Channel, ProfileRow
    from ui.panels.profile_data import ProfileSeries

    s = ProfileSeries.from_rows(
        [Channel("1.0.1.8.0.255", "Wh"), Channel("1.0.32.7.0.255", "V")],
        [ProfileRow(datetime(2026, 11, 2, tzinfo=UTC), [12345.0, 230.0])],
    )
    assert s.units == ["kWh", "V"]
    assert s.values[0, 0] == 12.345 and s.values[0, 1] == 230.0
