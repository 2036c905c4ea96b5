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
