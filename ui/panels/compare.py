"""Overlay or difference of two collections (bench vs HHDC vs manufacturer) for one settlement day.

Discrepancies come from :mod:`bench_app.reconcile` when it offers a comparison for two collections;
otherwise a period counts as a discrepancy when the values differ by more than
:data:`TOLERANCE_KWH` or the flags differ (presentation only — the report uses the reconciler).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ui.panels.profile_data import LONDON, ProfileSeries

TOLERANCE_KWH = 0.0005


class ComparePlot(QWidget):
    """Two collection selectors, an overlay/difference toggle and the plot."""

    def __init__(self, profile_panel: Any) -> None:
        super().__init__()
        self.panel = profile_panel
        self.a_combo = QComboBox()
        self.b_combo = QComboBox()
        self.diff_check = QCheckBox("Show difference (B − A)")
        for w in (self.a_combo, self.b_combo):
            w.setMinimumWidth(200)
            w.currentIndexChanged.connect(lambda _i: self._reload())
        self.diff_check.toggled.connect(lambda _on: self.panel.redraw())
        bar = QHBoxLayout()
        bar.addWidget(QLabel("A"))
        bar.addWidget(self.a_combo, 1)
        bar.addWidget(QLabel("B"))
        bar.addWidget(self.b_combo, 1)
        bar.addWidget(self.diff_check)
        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(y=True, alpha=0.25)
        self.plot.setLabel("bottom", "Settlement period")
        self.legend = self.plot.addLegend(offset=(-10, 5))
        self.bars_a = pg.BarGraphItem(x=[], height=[], width=0.8, brush="#5b8fd6", name="A")
        self.line_b = pg.PlotDataItem(
            [],
            [],
            pen=pg.mkPen("#e67e22", width=2),
            symbol="o",
            symbolSize=5,
            symbolBrush="#e67e22",
            name="B",
        )
        self.bad = pg.ScatterPlotItem(
            size=14, symbol="x", pen=pg.mkPen("#b02a2a", width=2), brush=None, name="discrepancy"
        )
        for item in (self.bars_a, self.line_b, self.bad):
            self.plot.addItem(item)
        self.summary = QLabel("")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.summary)
        self.series_a = ProfileSeries()
        self.series_b = ProfileSeries()
        self.flags_present = 0
        self.discrepancies: list[int] = []

    def set_collections(self, cols: list[dict]) -> None:
        for i, combo in enumerate((self.a_combo, self.b_combo)):
            combo.blockSignals(True)
            combo.clear()
            for c in cols:
                combo.addItem(f"#{c['id']} {c['source']} ({c.get('rows', 0)})", c["id"])
            combo.setCurrentIndex(min(i, combo.count() - 1))
            combo.blockSignals(False)
        self._reload(redraw=False)

    def set_series(self, a: ProfileSeries, b: ProfileSeries) -> None:
        """Compare two series directly (tests, imports not yet stored)."""
        self.series_a, self.series_b = a, b

    def _reload(self, redraw: bool = True) -> None:
        ctx = self.panel.ctx
        if ctx is None or ctx.store is None:
            return
        ids = (self.a_combo.currentData(), self.b_combo.currentData())
        loaded = [
            ProfileSeries.from_readings(ctx.store.readings(cid))
            if cid is not None
            else ProfileSeries()
            for cid in ids
        ]
        self.series_a, self.series_b = loaded
        if redraw:
            self.panel.redraw()

    def redraw(self, day: date, local: bool, channel: int) -> None:
        periods, va, sa = self.series_a.day(day, channel)
        _p, vb, sb = self.series_b.day(day, channel)
        n = len(periods)
        x = np.arange(1, n + 1)
        differ = np.abs(np.nan_to_num(va) - np.nan_to_num(vb)) > TOLERANCE_KWH
        differ |= np.isnan(va) != np.isnan(vb)
        differ |= sa != sb
        self.discrepancies = [int(i) + 1 for i in np.nonzero(differ)[0]]
        if self.diff_check.isChecked():
            d = np.nan_to_num(vb) - np.nan_to_num(va)
            self.bars_a.setOpts(
                x=x, height=d, width=0.8, brushes=["#b02a2a" if f else "#5b8fd6" for f in differ]
            )
            self.line_b.setData([], [])
            self.bad.setData(x[differ], d[differ])
            self.plot.setLabel("left", "B − A")
        else:
            self.bars_a.setOpts(
                x=x, height=np.nan_to_num(va), width=0.8, brushes=None, brush="#5b8fd6"
            )
            self.line_b.setData(x, vb, connect="finite")
            self.bad.setData(x[differ], np.nan_to_num(np.fmax(va, vb))[differ])
            self.plot.setLabel("left", "Energy per period")
        ticks = []
        for i, p in enumerate(periods):
            if i % 4 == 0 or i == n - 1:
                t = p.astimezone(LONDON) if local else p
                ticks.append((i + 1, f"{i + 1}\n{t:%H:%M}"))
        self.plot.getAxis("bottom").setTicks([ticks, []])
        self.plot.setXRange(0.4, n + 0.6, padding=0)
        self.plot.enableAutoRange(axis="y")
        self.flags_present = int(np.bitwise_or.reduce(sa | sb)) if n else 0
        if self.discrepancies:
            shown = ", ".join(str(i) for i in self.discrepancies[:12])
            more = "…" if len(self.discrepancies) > 12 else ""
            self.summary.setText(
                f"<b style='color:#b02a2a'>{len(self.discrepancies)} discrepant period(s)</b>: "
                f"SP {shown}{more}"
            )
        else:
            self.summary.setText("<b style='color:#1e7b34'>A and B agree on every period.</b>")
