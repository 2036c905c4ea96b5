"""Live panel: instantaneous V/I/P/PF/f polled at a chosen rate, plotted and shown as numbers.

Polling asks the port worker for ``instantaneous`` (skipped while the worker is busy with another
operation). Samples go into :class:`~ui.panels.live_buffer.SeriesBuffer` (every sample plus a
min/max pyramid); a GUI-thread :class:`QTimer` redraws dirty curves with ``setData`` at most 10
times a second, giving each curve at most :data:`MAX_POINTS` points for the range in view (full
resolution when zoomed in), so the cost of a frame does not grow with the hours of data held.
Zooming or panning re-decimates for the new range on the next tick.

Legends sit in a band above each plot, never over the data. Phase colours follow the GB
harmonised cable colours (BS 7671 since 2004): L1 brown, L2 black, L3 grey; power is green.
Y ranges never shrink below a minimum span per quantity (:data:`MIN_SPAN`), so 0.2 V of noise does
not fill a plot as if it were a fault. The time axis is GB local time, titled with GMT/BST.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from drivers.obis import Obis, ObisError
from ui.context import BenchContext
from ui.errors import InlineMessage
from ui.icons import icon
from ui.panels.live_buffer import MAX_POINTS, SeriesBuffer
from ui.timebase import GBTimeAxis
from ui.widgets import empty_state, gate

#: OBIS (C, D) → (key, plot group, label, unit)
QUANTITIES: dict[tuple[int, int], tuple[str, str, str, str]] = {
    (32, 7): ("V1", "V", "Voltage L1", "V"),
    (52, 7): ("V2", "V", "Voltage L2", "V"),
    (72, 7): ("V3", "V", "Voltage L3", "V"),
    (31, 7): ("I1", "A", "Current L1", "A"),
    (51, 7): ("I2", "A", "Current L2", "A"),
    (71, 7): ("I3", "A", "Current L3", "A"),
    (1, 7): ("P", "kW", "Active power import", "kW"),
    (2, 7): ("Pexp", "kW", "Active power export", "kW"),
    (13, 7): ("PF", "", "Power factor", ""),
    (14, 7): ("f", "", "Frequency", "Hz"),
}
#: GB harmonised phase colours (BS 7671): L1 brown, L2 black, L3 grey; power green, other purple
PHASE_PENS = {"1": "#8b4513", "2": "#000000", "3": "#8c8c8c", "P": "#1e7b34", "x": "#8e44ad"}
#: smallest y span shown per plot group (V, A, kW): noise is not drawn as a full-height swing
MIN_SPAN = {"V": 20.0, "A": 2.0, "kW": 1.0}
RATES_HZ = [0.5, 1.0, 2.0, 5.0, 10.0]
WINDOWS_S = [("Last 5 min", 300), ("Last hour", 3600), ("Last 8 h", 8 * 3600), ("All", 0)]


def obis_key(obis: str) -> tuple[int, int] | None:
    """``(C, D)`` of an OBIS code in any form :class:`drivers.obis.Obis` reads (``1.0.32.7.0.255``,
    ``1-0:32.7.0*255``, ``32.7.0``); None for text that is not one."""
    try:
        code = Obis.parse(obis)
    except ObisError:
        return None
    return code.c, code.d


class LivePanel(QWidget):
    """Three stacked plots (voltage, current, power) with a shared time axis and a numeric panel."""

    def __init__(self, ctx: BenchContext | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.buffers: dict[str, SeriesBuffer] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.dirty: set[str] = set()
        self.group_of: dict[str, str] = {}
        self._zoomed: set[str] = set()
        self._in_redraw = False
        self.values: dict[str, QLabel] = {}
        self.samples = 0
        self._port: Any = None
        self._build()
        self.poll_timer = QTimer(self)
        self.poll_timer.timeout.connect(self.poll)
        self.draw_timer = QTimer(self)
        self.draw_timer.setInterval(100)
        self.draw_timer.timeout.connect(self.redraw)
        self.draw_timer.start()
        if ctx is not None:
            ctx.port_changed.connect(self._on_port)
            ctx.status_changed.connect(lambda _st: self.update_buttons())
        self.update_buttons()

    def _build(self) -> None:
        self.rate_combo = QComboBox()
        for hz in RATES_HZ:
            self.rate_combo.addItem(f"{hz:g} Hz" if hz >= 1 else f"every {1 / hz:g} s", hz)
        self.rate_combo.setCurrentIndex(1)
        self.rate_combo.currentIndexChanged.connect(self._apply_rate)
        self.window_combo = QComboBox()
        for label, secs in WINDOWS_S:
            self.window_combo.addItem(label, secs)
        self.start_btn = QPushButton(icon("run"), "Start polling")
        self.start_btn.setCheckable(True)
        self.start_btn.toggled.connect(self.set_polling)
        self.clear_btn = QPushButton(icon("cancel"), "Clear")
        self.clear_btn.clicked.connect(self.clear)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Poll rate"))
        bar.addWidget(self.rate_combo)
        bar.addWidget(QLabel("Show"))
        bar.addWidget(self.window_combo)
        bar.addWidget(self.start_btn)
        bar.addWidget(self.clear_btn)
        bar.addStretch(1)
        self.message = InlineMessage()

        self.glw = pg.GraphicsLayoutWidget()
        self.glw.setBackground("w")
        self.plots: dict[str, pg.PlotItem] = {}
        self.legends: dict[str, pg.LegendItem] = {}
        groups = [("V", "Voltage (V)"), ("A", "Current (A)"), ("kW", "Active power (kW)")]
        for row, (group, title) in enumerate(groups):
            # the legend has its own band above the plot: it never covers data
            legend = pg.LegendItem(colCount=3, horSpacing=18, verSpacing=-6)
            legend.setMinimumHeight(22)
            self.glw.addItem(legend, row=2 * row, col=0)
            self.legends[group] = legend
            # one time-axis title, under the bottom plot
            axis = GBTimeAxis("Time", titled=row == len(groups) - 1)
            plot = self.glw.addPlot(row=2 * row + 1, col=0, axisItems={"bottom": axis})
            plot.setLabel("left", title)
            # a GridItem, not showGrid(): axis grids made every frame ~15 ms slower (raster paint)
            plot.addItem(pg.GridItem(pen=pg.mkPen("#d5dae1"), textPen=None))
            plot.getAxis("left").setWidth(64)  # same width on all three: time axes line up
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.sigXRangeChanged.connect(lambda _vb, _r, g=group: self._on_zoom(g))
            self.plots[group] = plot

        grid = QGridLayout()
        for i, (_cd, (key, _g, label, unit)) in enumerate(QUANTITIES.items()):
            name = QLabel(label)
            val = QLabel("—")
            val.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            val.setObjectName("liveValue")
            val.setMinimumWidth(90)
            grid.addWidget(name, i, 0)
            grid.addWidget(val, i, 1)
            grid.addWidget(QLabel(unit), i, 2)
            self.values[key] = val
        grid.setRowStretch(len(QUANTITIES), 1)
        numbers = QGroupBox("Now")
        numbers.setLayout(grid)
        numbers.setMinimumWidth(240)

        # no samples yet: a message instead of empty axes
        self.empty = empty_state(
            "No live values yet. Connect on the Connection tab, then press Start polling."
        )
        self.plot_stack = QStackedWidget()
        self.plot_stack.addWidget(self.empty)
        self.plot_stack.addWidget(self.glw)
        body = QHBoxLayout()
        body.addWidget(self.plot_stack, 1)
        body.addWidget(numbers)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.message)
        lay.addLayout(body, 1)

    # -- data ----------------------------------------------------------------------------------
    def _curve(self, key: str, group: str, label: str) -> pg.PlotDataItem:
        curve = self.curves.get(key)
        if curve is None:
            colour = PHASE_PENS.get(key[-1], PHASE_PENS["P"] if group == "kW" else PHASE_PENS["x"])
            # 1 px pens: the raster engine draws them ~2x faster than 1.5 px (frame time)
            curve = self.plots[group].plot(pen=pg.mkPen(colour, width=1))
            self.legends[group].addItem(curve, label)
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            self.curves[key] = curve
            self.group_of[key] = group
        return curve

    def feed(self, t: float, values: dict[str, float]) -> None:
        """Add one sample set at UNIX time ``t`` (s); keys as in :data:`QUANTITIES` (``V1``…)."""
        by_key = {q[0]: q for q in QUANTITIES.values()}
        for key, y in values.items():
            q = by_key.get(key, (key, "kW", key, ""))
            buf = self.buffers.get(key)
            if buf is None:
                buf = self.buffers[key] = SeriesBuffer()
            buf.append(t, float(y))
            if q[1]:
                self._curve(key, q[1], q[2])
                self.dirty.add(key)
            if key in self.values:
                self.values[key].setText(f"{y:,.3f}" if abs(y) < 100 else f"{y:,.1f}")
        self.samples += 1
        self.plot_stack.setCurrentWidget(self.glw)

    def feed_registers(self, registers: list, t: float | None = None) -> None:
        """Add a :meth:`read_instantaneous` result (``RegisterValue`` list)."""
        t = time.time() if t is None else t
        values: dict[str, float] = {}
        for reg in registers:
            cd = obis_key(reg.obis)
            if cd in QUANTITIES and isinstance(reg.value, int | float):
                key, _g, _l, unit = QUANTITIES[cd]
                v = float(reg.value)
                if unit == "kW" and reg.unit == "W":
                    v /= 1000.0
                values[key] = v
        if values:
            self.feed(t, values)

    def redraw(self) -> None:
        """Push dirty buffers to their curves (GUI thread, from the draw timer).

        New data: follow the newest sample over the chosen window and plot ≤ MAX_POINTS per
        curve for it. Zoom/pan only (no new data): re-decimate for the range now in view.
        """
        if not self.dirty and not self._zoomed:
            return
        self._in_redraw = True
        try:
            if self.dirty:
                self._redraw_follow()
            for group in self._zoomed:
                lo, hi = self.plots[group].viewRange()[0]
                margin = (hi - lo) * 0.25  # a little beyond the edges so panning shows data
                for key, g in self.group_of.items():
                    if g == group and key in self.buffers:
                        t, y = self.buffers[key].decimated(lo - margin, hi + margin, MAX_POINTS)
                        self.curves[key].setData(t, y)
            self._zoomed.clear()
        finally:
            self._in_redraw = False

    def _redraw_follow(self) -> None:
        window = int(self.window_combo.currentData() or 0)
        last = max(
            (float(self.buffers[k].t[self.buffers[k].n - 1]) for k in self.dirty), default=0.0
        )
        first = min((float(b.t[0]) for b in self.buffers.values() if b.n), default=last)
        # the chosen window, or less while less data is held (no empty stretch on the left)
        lo = max(first, last - window) if window and last else None
        for key in self.dirty:
            t, y = self.buffers[key].decimated(lo, None, MAX_POINTS)
            self.curves[key].setData(t, y)
        self.dirty.clear()
        for group, plot in self.plots.items():
            # explicit ranges instead of setXLink (linked views hit the PySide6 6.12 refcount
            # bug sooner, see ui/qtfix.py)
            if window and last is not None and lo is not None and last > lo:
                plot.setXRange(lo, last, padding=0.01)
            else:
                plot.enableAutoRange(axis="x")
            self._set_y_range(group, plot)

    def _set_y_range(self, group: str, plot: pg.PlotItem) -> None:
        """Fit the y range to the curves shown, never narrower than ``MIN_SPAN[group]``."""
        lo, hi = np.inf, -np.inf
        for key, g in self.group_of.items():
            y = self.curves[key].yData if g == group else None
            if y is not None and len(y):
                lo, hi = min(lo, float(np.nanmin(y))), max(hi, float(np.nanmax(y)))
        if not np.isfinite(lo) or not np.isfinite(hi):
            plot.enableAutoRange(axis="y")
            return
        span = MIN_SPAN.get(group, 0.0)
        if hi - lo < span:
            mid = (hi + lo) / 2
            lo, hi = mid - span / 2, mid + span / 2
        plot.setYRange(lo, hi, padding=0.05)

    def _on_zoom(self, group: str) -> None:
        """The user zoomed or panned a plot: re-decimate its curves on the next tick."""
        if not self._in_redraw and not self.plots[group].getViewBox().autoRangeEnabled()[0]:
            self._zoomed.add(group)

    def clear(self) -> None:
        for curve in self.curves.values():
            curve.setData([], [])
        self.buffers.clear()
        self.dirty.clear()
        self._zoomed.clear()
        self.samples = 0
        self.plot_stack.setCurrentWidget(self.empty)
        for lab in self.values.values():
            lab.setText("—")

    # -- polling -------------------------------------------------------------------------------
    def _on_port(self, port: Any) -> None:
        self._port = port
        if port is not None:
            port.worker.finished.connect(self._on_finished)
            port.worker.failed.connect(self._on_failed)
        else:
            self.start_btn.setChecked(False)
        self.update_buttons()

    def update_buttons(self) -> None:
        """Polling needs a connection (greyed out with the reason otherwise); while polling,
        Stop stays available."""
        if self.start_btn.isChecked():
            gate([self.start_btn], "")
            return
        why = ""
        if self.ctx is not None and (
            self.ctx.port is None or self.ctx.status.get("state") not in ("connected", "reading")
        ):
            why = self.ctx.why_no_meter()
        gate([self.start_btn], why, "Read the instantaneous values at the chosen rate")

    def _apply_rate(self) -> None:
        self.poll_timer.setInterval(int(1000 / float(self.rate_combo.currentData())))

    def set_polling(self, on: bool) -> None:
        self.update_buttons()
        self.start_btn.setText("Stop polling" if on else "Start polling")
        self.start_btn.setIcon(icon("cancel" if on else "run"))
        if on:
            self.message.clear()
            self._apply_rate()
            self.poll_timer.start()
        else:
            self.poll_timer.stop()

    def poll(self) -> None:
        port = self._port
        if port is None:
            self.message.show_message("Not connected — connect on the Connection tab.", "warning")
            self.start_btn.setChecked(False)
            return
        if not port.busy:
            port.request("instantaneous")

    def _on_finished(self, op: str, result: Any) -> None:
        if op == "instantaneous":
            if not result:
                self.message.show_message(
                    "This meter or protocol reports no instantaneous values.", "info"
                )
                self.start_btn.setChecked(False)
                return
            self.feed_registers(result)

    def _on_failed(self, op: str, exc: BaseException, _ctx: dict) -> None:
        if op == "instantaneous":
            self.start_btn.setChecked(False)
            self.message.show_error(exc)
