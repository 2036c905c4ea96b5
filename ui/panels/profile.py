"""Profile panel: half-hourly data as a settlement day, a time range, a 90-day heat map, or a
comparison of two collections.

Data comes from the store (``store.readings``) or, during a read, from the worker's ``block``
signal (blocks are stored before they are emitted). Redraws are throttled by a timer so a long
read never floods the event loop.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QDate, QPointF, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from bench_app.channel_names import channel_name
from bench_app.settlement import periods_in_day
from drivers.model import Channel, ProfileRow
from ui.context import BenchContext
from ui.errors import InlineMessage
from ui.panels.compare import ComparePlot
from ui.panels.profile_data import (
    LONDON,
    ProfileSeries,
    day_gaps,
    flag_colour,
    settlement_day,
)
from ui.panels.profile_flags import (
    HEAT_EXTRA,
    EventIndex,
    clock_change_days,
    heat_background,
    legend_html,
    period_tooltip,
)
from ui.timebase import GBTimeAxis, zone_name
from ui.widgets import add_collection, date_edit, empty_state

VIEWS = ["Settlement day", "Time range", "90-day heat map", "Compare collections"]


class ProfilePanel(QWidget):
    """Controls on top (collection, channel, day, UTC/local, view), plots below, flag legend."""

    def __init__(self, ctx: BenchContext | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.series = ProfileSeries()
        self._live_rows: dict[float, ProfileRow] = {}
        self._live_channels: list[Channel] | list[str] = []
        self._dirty = False
        self.event_index = EventIndex()
        self.heat_days: list[date] = []
        self.heat_status = np.zeros((0, 50), dtype=np.int64)
        self._build()
        self.timer = QTimer(self)
        self.timer.setInterval(250)
        self.timer.timeout.connect(self._flush)
        self.timer.start()
        if ctx is not None:
            ctx.session_changed.connect(lambda _s: self.reload_collections())
            ctx.data_changed.connect(self._on_data_changed)

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.collection_combo = QComboBox()
        self.collection_combo.setMinimumWidth(220)
        self.collection_combo.currentIndexChanged.connect(self._load_selected)
        self.channel_combo = QComboBox()
        self.channel_combo.setMinimumWidth(150)
        for combo, chars in ((self.collection_combo, 18), (self.channel_combo, 34)):
            # long names never widen the window past a laptop screen (the list shows them whole)
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(chars)
        self.channel_combo.currentIndexChanged.connect(lambda _i: self.redraw())
        self.view_combo = QComboBox()
        self.view_combo.addItems(VIEWS)
        self.view_combo.currentIndexChanged.connect(self._set_view)
        self.day_edit = date_edit(QDate.currentDate())
        self.day_edit.dateChanged.connect(lambda _d: self.redraw())
        self.prev_btn = QPushButton("◀")
        self.next_btn = QPushButton("▶")
        for b, step in ((self.prev_btn, -1), (self.next_btn, 1)):
            b.setFixedWidth(32)
            b.clicked.connect(
                lambda _c=False, s=step: self.day_edit.setDate(self.day_edit.date().addDays(s))
            )
        self.local_check = QCheckBox("GB local time (untick: UTC)")
        self.local_check.setChecked(True)
        self.local_check.toggled.connect(lambda _on: self.redraw())

        bar1 = QHBoxLayout()
        bar1.addWidget(QLabel("Collection"))
        bar1.addWidget(self.collection_combo, 1)
        bar1.addWidget(QLabel("Channel"))
        bar1.addWidget(self.channel_combo)
        bar1.addWidget(QLabel("View"))
        bar1.addWidget(self.view_combo)
        bar2 = QHBoxLayout()
        bar2.addWidget(QLabel("Settlement day"))
        bar2.addWidget(self.prev_btn)
        bar2.addWidget(self.day_edit)
        bar2.addWidget(self.next_btn)
        bar2.addWidget(self.local_check)
        self.day_info = QLabel("")
        # the day's figures take the room there is (whole in the tooltip), never more
        self.day_info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.day_info.setWordWrap(True)
        bar2.addWidget(self.day_info, 1)

        self.stack = QStackedWidget()
        # settlement day: bars per SP
        self.day_plot = pg.PlotWidget(background="w")
        self.day_plot.showGrid(y=True, alpha=0.25)
        self.day_plot.setLabel("bottom", "Settlement period")
        self.day_plot.setMouseEnabled(x=False, y=False)
        self.day_plot.scene().sigMouseMoved.connect(self._hover_day)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        self.day_plot.addItem(self.bars)
        self.stack.addWidget(self.day_plot)
        # range: lines over time
        self.range_plot = pg.PlotWidget(
            background="w", axisItems={"bottom": GBTimeAxis("Period start")}
        )
        self.range_plot.showGrid(x=True, y=True, alpha=0.25)
        self.range_plot.setClipToView(True)
        self.range_plot.setDownsampling(auto=True, mode="peak")
        self.range_names: list[tuple[str, str]] = []  # (colour, channel) for the legend line
        self.range_curves: list[pg.PlotDataItem] = []
        self.flag_scatter = pg.ScatterPlotItem(size=7, pen=None)
        self.range_plot.addItem(self.flag_scatter)
        self.stack.addWidget(self.range_plot)
        # heat map: day × SP
        self.heat_plot = pg.PlotWidget(background="w")
        self.heat_plot.setLabel("bottom", "Settlement period")
        self.heat_plot.setLabel("left", "Settlement day")
        self.heat_plot.invertY(True)
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.heat.setColorMap(pg.colormap.get("viridis"))
        self.heat_plot.addItem(self.heat)
        self.heat_bar = pg.ColorBarItem(
            colorMap=pg.colormap.get("viridis"), interactive=False, width=12
        )
        self.heat_bar.setImageItem(self.heat, insert_in=self.heat_plot.getPlotItem())
        self.heat_back = pg.ImageItem(axisOrder="row-major")  # no data / no such SP, below
        self.heat_back.setZValue(-1)
        self.heat_plot.addItem(self.heat_back)
        self.heat_flags = pg.ScatterPlotItem(  # outlines sized in cells: they never spill over
            symbol="s", size=0.84, brush=None, pxMode=False
        )
        self.heat_plot.addItem(self.heat_flags)
        self.heat_plot.scene().sigMouseMoved.connect(self._hover_heat)
        self.stack.addWidget(self.heat_plot)
        # comparison
        self.compare = ComparePlot(self)
        self.stack.addWidget(self.compare)

        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.message = InlineMessage()
        lay = QVBoxLayout(self)
        lay.addLayout(bar1)
        lay.addLayout(bar2)
        lay.addWidget(self.message)
        # the plots take what the bars and legends leave (never less than a readable 220 px):
        # their preferred size must not push the flag legend below a 720 px screen
        self.stack.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.stack.setMinimumHeight(220)
        self.empty = empty_state()  # instead of empty axes: what is missing, what to do
        self.empty.hide()
        lay.addWidget(self.stack, 1)
        lay.addWidget(self.empty, 1)
        lay.addWidget(self.legend)

    # -- data ----------------------------------------------------------------------------------
    def reload_collections(self) -> None:
        """Fill the collection selector from the store (newest first) and load the first."""
        self.collection_combo.blockSignals(True)
        self.collection_combo.clear()
        cols: list[dict] = []
        events: list[dict] = []
        if self.ctx is not None and self.ctx.store is not None and self.ctx.session_id is not None:
            cols = list(reversed(self.ctx.store.collections(self.ctx.session_id)))
            events = list(self.ctx.store.events(self.ctx.session_id))
        self.event_index = EventIndex(events)
        for c in cols:
            add_collection(self.collection_combo, c)
        self.compare.set_collections(cols)
        self.collection_combo.blockSignals(False)
        if cols:
            self._load_selected()
        else:
            self.series = ProfileSeries()
            self.redraw()

    def _load_selected(self) -> None:
        cid = self.collection_combo.currentData()
        if cid is None or self.ctx is None or self.ctx.store is None:
            return
        self.set_series(ProfileSeries.from_store(self.ctx.store, cid))

    def _on_data_changed(self, kind: str) -> None:
        if kind == "profile":
            # the read ended: the stored collection replaces the live blocks, and a pending
            # redraw of those blocks must not paint over it a moment later
            self._dirty = False
            self._live_rows.clear()
            self.reload_collections()
        elif kind == "events" and self.ctx is not None and self.ctx.session_id is not None:
            self.event_index = EventIndex(list(self.ctx.store.events(self.ctx.session_id)))
            self.redraw()

    def set_series(self, series: ProfileSeries, *, go_to_latest: bool = True) -> None:
        """Show ``series`` (replacing what is shown)."""
        self.series = series
        current = self.channel_combo.currentIndex()
        self.channel_combo.blockSignals(True)
        self.channel_combo.clear()
        for name, unit in zip(series.channels, series.units):
            self.channel_combo.addItem(channel_name(name, unit), name)
        self.channel_combo.setCurrentIndex(max(0, min(current, len(series.channels) - 1)))
        self.channel_combo.blockSignals(False)
        if go_to_latest and len(series):
            last = settlement_day(datetime.fromtimestamp(float(series.starts[-1]), UTC))
            self.day_edit.blockSignals(True)
            self.day_edit.setDate(QDate(last.year, last.month, last.day))
            self.day_edit.blockSignals(False)
        self.redraw()

    def add_rows(self, rows: list[ProfileRow], channels: list[Channel] | None = None) -> None:
        """Append live blocks (already stored); the redraw happens on the next timer tick."""
        if channels:
            self._live_channels = channels
        for r in rows:
            self._live_rows[r.start.timestamp()] = r
        self._dirty = True

    def _flush(self) -> None:
        if self._dirty:
            self._dirty = False
            self.set_series(
                ProfileSeries.from_rows(self._live_channels, list(self._live_rows.values()))
            )

    def reset_live(self, channels: list[Channel] | list[str] | None = None) -> None:
        self._live_rows.clear()
        self._live_channels = channels or []

    # -- drawing -------------------------------------------------------------------------------
    def _set_view(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self.redraw()

    def day(self) -> date:
        day = self.day_edit.date().toPython()
        assert isinstance(day, date)
        return day

    def empty_text(self) -> str:
        """Why there is nothing to plot (``""`` when there is): no session, no collection, or a
        collection without profile periods. The comparison explains its own state."""
        if self.stack.currentIndex() == 3:
            return ""
        if self.ctx is not None and self.ctx.session_id is None:
            return "No session open. Open or create one in the sidebar."
        if self.collection_combo.count() == 0 and not len(self.series):
            return (
                "No profile read in this session yet. Connect on the Connection tab and press "
                "Read profile, or run the checklist: every read is stored and shown here."
            )
        if not len(self.series):
            return "This collection holds no profile periods (its read stopped before any block)."
        return ""

    def redraw(self) -> None:
        why = self.empty_text()
        self.empty.setText(why)
        self.empty.setVisible(bool(why))
        self.stack.setVisible(not why)
        self.legend.setVisible(not why)
        if why:
            self.day_info.setText("")
            return
        view = self.stack.currentIndex()
        ch = max(0, self.channel_combo.currentIndex())
        present = 0
        if view == 0:
            present = self._draw_day(ch)
        elif view == 1:
            present = self._draw_range()
        elif view == 2:
            present = self._draw_heat(ch)
        else:
            self.compare.redraw(self.day(), self.local_check.isChecked(), ch)
            present = self.compare.flags_present
            self.day_info.setText(f"{self.compare.periods} periods · times in {self.zone_text()}")
        self._draw_legend(present, view)
        self.day_info.setToolTip(self.day_info.text())

    def zone_text(self) -> str:
        """``"GB local (BST)"`` for the day shown (``"GB local, BST then GMT"`` on a clock-change
        day), or ``"UTC"``."""
        if not self.local_check.isChecked():
            return "UTC"
        d = self.day()
        first, last = (
            zone_name(datetime(d.year, d.month, d.day, hh, tzinfo=UTC)) for hh in (0, 23)
        )
        return f"GB local ({first})" if first == last else f"GB local, {first} then {last}"

    def _tick_label(self, start: datetime) -> str:
        t = start.astimezone(LONDON) if self.local_check.isChecked() else start
        return t.strftime("%H:%M")

    def _draw_day(self, ch: int) -> int:
        periods, vals, status = self.series.day(self.day(), ch)
        n = len(periods)
        x = np.arange(1, n + 1)
        heights = np.nan_to_num(vals, nan=0.0)
        brushes = [pg.mkBrush(flag_colour(int(s))) for s in status]
        self.bars.setOpts(x=x, height=heights, width=0.8, brushes=brushes, pen=None)
        step = 4 if n <= 48 else 5
        ticks = [
            (i + 1, f"{i + 1}\n{self._tick_label(p)}")
            for i, p in enumerate(periods)
            if i % step == 0 or i == n - 1
        ]
        self.day_plot.getAxis("bottom").setTicks([ticks, []])
        self.day_plot.setLabel("bottom", f"Settlement period and start time ({self.zone_text()})")
        self.day_plot.setXRange(-0.2, n + 1.2, padding=0)  # room for the SP 1 / last labels
        self._day_data = (periods, vals, status)
        unit = self.series.units[ch] if ch < len(self.series.units) else ""
        self.day_plot.setLabel("left", f"Energy per period ({unit})" if unit else "Value")
        finite = vals[np.isfinite(vals)]
        self.day_plot.setYRange(
            0, float(finite.max()) * 1.1 if finite.size and finite.max() > 0 else 1
        )
        missing, not_yet = day_gaps(periods, vals, self.now())
        note = " — clock-change day" if n != 48 else ""
        total = float(np.nansum(vals)) if finite.size else 0.0
        flagged = int(np.count_nonzero(status))
        self.day_info.setText(
            f"{n} periods{note} · times in {self.zone_text()} · total {total:,.3f} {unit}"
            + (f" · {flagged} flagged" if flagged else "")
            + (f" · {missing} missing" if missing else "")
            + (f" · {not_yet} not ended yet" if not_yet else "")
        )
        return int(np.bitwise_or.reduce(status)) if n else 0

    def now(self) -> datetime:
        """The instant that tells ended periods from those not ended yet, for the day header and
        the heat map alike: this PC's clock (UTC). Periods a meter on simulated time has already
        closed hold values, so they are never counted as missing either way."""
        return datetime.now(UTC)

    def _draw_range(self) -> int:
        s = self.series
        for c in self.range_curves:
            self.range_plot.removeItem(c)
        self.range_curves.clear()
        self.range_names = []
        colours = ["#2b78c5", "#c0392b", "#1e7b34", "#8e44ad", "#e67e22", "#2c3e50"]
        for i, name in enumerate(s.channels):
            colour = colours[i % len(colours)]
            curve = self.range_plot.plot(s.starts, s.values[:, i], pen=pg.mkPen(colour, width=1.2))
            self.range_names.append((colour, f"— {name}"))
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            self.range_curves.append(curve)
        flagged = np.nonzero(s.status)[0] if len(s) else np.empty(0, dtype=int)
        ch = max(0, self.channel_combo.currentIndex())
        if flagged.size and s.values.shape[1] > ch:
            self.flag_scatter.setData(
                x=s.starts[flagged],
                y=np.nan_to_num(s.values[flagged, ch]),
                brush=[pg.mkBrush(flag_colour(int(v))) for v in s.status[flagged]],
            )
        else:
            self.flag_scatter.setData([], [])
        self.range_plot.setLabel("left", "Energy per period")
        self.day_info.setText(f"{len(s)} periods over {len(s.days())} settlement days")
        return int(np.bitwise_or.reduce(s.status)) if len(s) else 0

    def _draw_heat(self, ch: int) -> int:
        days, mat = self.series.heatmap(ch)
        self.heat_days = days
        if not days:
            self.heat.clear()
            self.heat_back.clear()
            self.heat_flags.setData([], [])
            self.heat_plot.setTitle("Heat map: no data")
            self.day_info.setText("no data")
            return 0
        self.heat.setImage(mat, autoLevels=False)  # NaN cells are transparent
        self.heat_back.setImage(heat_background(days, mat, self.now()), autoLevels=False)
        unit = self.series.units[ch] if ch < len(self.series.units) else ""
        self.heat_bar.axis.setLabel(f"per period ({unit})" if unit else "value")
        finite = mat[np.isfinite(mat)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        self.heat_bar.setLevels((lo, hi if hi > lo else lo + 1))
        for item in (self.heat, self.heat_back):
            item.setRect(0.5, -0.5, 50, len(days))
        self.heat_status = np.zeros((len(days), 50), dtype=np.int64)
        for i, d in enumerate(days):
            _p, _v, st = self.series.day(d, ch)
            self.heat_status[i, : len(st)] = st
        rows, cols = np.nonzero(self.heat_status)
        self.heat_flags.setData(
            x=cols + 1.0,
            y=rows.astype(float),
            pen=[pg.mkPen(flag_colour(int(v)), width=2.5) for v in self.heat_status[rows, cols]],
            brush=None,
        )
        changes = clock_change_days(days)
        step = max(1, len(days) // 12)
        ticks = [
            (i, d.strftime("%d %b") + (f" ◆{periods_in_day(d)}" if i in changes else ""))
            for i, d in enumerate(days)
            if i % step == 0 or i in changes
        ]
        self.heat_plot.getAxis("left").setTicks([ticks, []])
        self.heat_plot.getAxis("bottom").setTicks(
            [[(i, str(i)) for i in (1, 10, 20, 30, 40, 46, 48, 50)], []]
        )
        self.heat_plot.setRange(xRange=(0.5, 50.5), yRange=(-0.5, len(days) - 0.5), padding=0)
        span = f"{days[0]:%d %b %Y} – {days[-1]:%d %b %Y}"
        marks = (
            f" · ◆ {len(changes)} clock-change day{'s' if len(changes) != 1 else ''} (46/50 SPs)"
            if changes
            else ""
        )
        self.heat_plot.setTitle(f"{len(days)} settlement days, {span}{marks}", size="10pt")
        self.day_info.setText(
            f"{len(days)} days × settlement periods · {len(rows)} flagged periods"
        )
        return int(np.bitwise_or.reduce(self.heat_status, axis=None))

    def _draw_legend(self, present: int, view: int = 0) -> None:
        extra: list[tuple[str, str]] = []
        if view == 1:
            extra = self.range_names
        elif view == 2:
            extra = HEAT_EXTRA
        # the difference view colours by discrepancy (its own key above the plot), not by flag
        self.legend.setHidden(view == 3 and self.compare.diff_check.isChecked())
        self.legend.setText(legend_html(present, extra=extra, normal=view != 2))

    # -- tooltips ------------------------------------------------------------------------------
    def day_tooltip(self, index: int) -> str:
        """Tooltip of bar ``index`` (0-based) of the settlement day shown."""
        periods, vals, status = getattr(self, "_day_data", ([], [], []))
        if not 0 <= index < len(periods):
            return ""
        ch = max(0, self.channel_combo.currentIndex())
        unit = self.series.units[ch] if ch < len(self.series.units) else ""
        return period_tooltip(
            periods[index], index + 1, float(vals[index]), unit, int(status[index]),
            self.event_index,
        )  # fmt: skip

    def heat_tooltip(self, row: int, sp: int) -> str:
        """Tooltip of heat-map cell (day ``row``, settlement period ``sp``)."""
        if not 0 <= row < len(self.heat_days) or not 1 <= sp <= 50:
            return ""
        d = self.heat_days[row]
        ch = max(0, self.channel_combo.currentIndex())
        periods, vals, status = self.series.day(d, ch)
        if sp > len(periods):
            return f"<b>{d:%a %d %b %Y}</b> has {len(periods)} settlement periods: no SP {sp}"
        unit = self.series.units[ch] if ch < len(self.series.units) else ""
        return period_tooltip(
            periods[sp - 1], sp, float(vals[sp - 1]), unit, int(status[sp - 1]), self.event_index
        )

    def _hover_day(self, pos: QPointF) -> None:
        p = self.day_plot.getPlotItem().vb.mapSceneToView(pos)
        self.day_plot.setToolTip(self.day_tooltip(int(round(p.x())) - 1))

    def _hover_heat(self, pos: QPointF) -> None:
        p = self.heat_plot.getPlotItem().vb.mapSceneToView(pos)
        self.heat_plot.setToolTip(self.heat_tooltip(int(round(p.y())), int(round(p.x()))))

    def periods_shown(self) -> int:
        """Number of periods on the current day view (46, 48 or 50)."""
        return len(self.bars.opts.get("x", []))
