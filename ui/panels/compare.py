"""Overlay or difference of two collections (bench vs HHDC vs manufacturer) for one settlement day.

Discrepancies come from :func:`bench_app.reconcile.reconcile` — the same comparison, tolerance
(:data:`bench_app.reconcile.DEFAULT_TOLERANCE`), 30-minute roll-up, canonical channel matching
and settlement-period numbering (:mod:`bench_app.settlement`) that the report uses — so the GUI
and the report never disagree. Like ``bench-app reconcile``, it compares over the span
:func:`bench_app.compare_basis.default_span` chooses (bench vs an export: the export's own
settlement periods, not the bench's 90 days) and says which, as GB settlement days and SP
numbers; "All periods" compares everything (``--all-periods``). The reconciliation runs once per
pair of collections; moving between days only filters its result and says whether the day shown
is in the compared span. Values are plotted rolled up to settlement periods too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from bench_app.compare_basis import default_span, show
from bench_app.reconcile import DEFAULT_TOLERANCE, ReconcileResult, canonical_channel, reconcile
from bench_app.settlement import SP, day_start
from ui.panels.profile_data import LONDON, NORMAL_COLOUR, ProfileSeries, flag_colour
from ui.panels.profile_flags import period_tooltip
from ui.timebase import sp_text
from ui.widgets import add_collection

ALL_PERIODS = "all periods of both collections"

KIND_TEXT = {
    "value": "value differs",
    "flag": "flags differ",
    "missing_in_a": "missing in A",
    "missing_in_b": "missing in B",
}


class ComparePlot(QWidget):
    """Two collection selectors, an overlay/difference toggle, the plot and the reconciliation."""

    def __init__(self, profile_panel: Any) -> None:
        super().__init__()
        self.panel = profile_panel
        self.a_combo = QComboBox()
        self.b_combo = QComboBox()
        self.diff_check = QCheckBox("Show difference (B − A)")
        self.all_check = QCheckBox("All periods")
        self.all_check.setToolTip(
            "Compare every period of both collections, not only the export's own span "
            "(bench-app reconcile --all-periods)"
        )
        self.all_check.toggled.connect(lambda _on: self._reload())
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
        bar.addWidget(self.all_check)
        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(y=True, alpha=0.25)
        self.plot.setLabel("bottom", "Settlement period")
        self.plot.getAxis("left").enableAutoSIPrefix(False)  # kWh as kWh, never "(x0.001)"
        self.plot.scene().sigMouseMoved.connect(self._hover)
        self.key = QLabel("")  # the legend, in its own line above the plot: never over the data
        self.key.setWordWrap(True)
        self.bars_a = pg.BarGraphItem(x=[], height=[], width=0.8, brush=NORMAL_COLOUR, name="A")
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
        self.summary.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.key)
        # the plot takes what the bars, key and summary leave: its preferred height must not
        # push the summary and the profile's flag legend below a 720 px screen
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.plot.setMinimumHeight(160)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.summary)
        self.series_a = ProfileSeries()
        self.series_b = ProfileSeries()
        self.result: ReconcileResult | None = None
        self.span: tuple[datetime, datetime] | None = None  #: compared [start, end), None = all
        self.day_shown: date | None = None
        self.flags_present = 0
        self.discrepancies: list[int] = []
        self.day_kinds: dict[int, list[str]] = {}
        self.periods = 0
        self._stale = False
        self._day: tuple = ([], np.empty(0), np.empty(0), np.empty(0), np.empty(0), "")

    def set_collections(self, cols: list[dict]) -> None:
        for i, combo in enumerate((self.a_combo, self.b_combo)):
            combo.blockSignals(True)
            combo.clear()
            for c in cols:
                add_collection(combo, c)
            combo.setCurrentIndex(min(i, combo.count() - 1))
            combo.blockSignals(False)
        self._stale = True  # loaded and reconciled when the Compare view is next drawn

    def _reload(self, redraw: bool = True) -> None:
        """Load both collections and reconcile them (bench_app.reconcile) once per selection."""
        ctx = self.panel.ctx
        self._stale = False
        if ctx is None or ctx.store is None:
            return
        ids = (self.a_combo.currentData(), self.b_combo.currentData())
        self.series_a, self.series_b = (
            ProfileSeries.from_store(ctx.store, cid).half_hourly()
            if cid is not None
            else ProfileSeries()
            for cid in ids
        )
        self.result, self.span = None, None
        if None not in ids and ids[0] != ids[1]:
            try:
                # the span bench-app reconcile compares by default (the export's own periods)
                span, text = (
                    (None, ALL_PERIODS)
                    if self.all_check.isChecked()
                    else default_span(ctx.store, ids[0], ids[1])
                )
                lo, hi = span if span else (None, None)
                result = reconcile(ctx.store, ids[0], ids[1], DEFAULT_TOLERANCE, start=lo, end=hi)
                result.span_text = text
                self.result, self.span = result, span
            except Exception as exc:  # noqa: BLE001 - shown inline, the plot still works
                self.panel.message.show_error(exc)
        if redraw:
            self.panel.redraw()

    def _name_legend(self) -> None:
        """Legend line naming the collections ("A: #1 bench"), the flag colouring and the
        discrepancy marker."""
        a = self.a_combo.currentText().split(" (")[0] or "—"
        b = self.b_combo.currentText().split(" (")[0] or "—"
        if self.diff_check.isChecked():
            self.key.setText(
                f"<span style='color:{NORMAL_COLOUR}'>■</span> B − A ({a} vs {b}), "
                "<span style='color:#b02a2a'>■ ✕</span> discrepancy"
            )
            return
        self.key.setText(
            f"<span style='color:{NORMAL_COLOUR}'>■</span> A: {a} (bars; flagged periods in the "
            f"flag's colour) &nbsp; <span style='color:#e67e22'>●—</span> B: {b} "
            "(points; flagged in the flag's colour) &nbsp; "
            "<b style='color:#b02a2a'>✕</b> discrepancy"
        )

    def _day_discrepancies(self, day: date, channel: str) -> dict[int, list[str]]:
        """``{SP: [kinds]}`` of the reconciliation on ``day`` for ``channel`` (canonical match)."""
        out: dict[int, list[str]] = {}
        if self.result is None:
            return out
        want = canonical_channel(channel)
        for d in self.result.discrepancies:
            if d.settlement_day == day and canonical_channel(d.channel) == want:
                out.setdefault(d.sp, []).append(d.kind)
        return out

    def redraw(self, day: date, local: bool, channel: int) -> None:
        if self._stale:
            self._reload(redraw=False)
        a, b = self.series_a, self.series_b
        name = a.channels[channel] if channel < len(a.channels) else ""
        periods, va, sa = a.day(day, channel)
        jb = b.channel_index(name) if name else None
        _p, vb, sb = b.day(day, jb) if jb is not None else (periods, np.full(len(va), np.nan), sa)
        n = self.periods = len(periods)
        unit = a.units[channel] if channel < len(a.units) else ""
        x = np.arange(1, n + 1)
        self._name_legend()
        self.day_shown = day
        self.day_kinds = self._day_discrepancies(day, name)
        self.discrepancies = sorted(self.day_kinds)
        differ = np.zeros(n, dtype=bool)
        for sp in self.discrepancies:
            if 1 <= sp <= n:
                differ[sp - 1] = True
        if self.diff_check.isChecked():
            d = np.nan_to_num(vb) - np.nan_to_num(va)
            self.bars_a.setOpts(
                x=x, height=d, width=0.8, brushes=["#b02a2a" if f else "#5b8fd6" for f in differ]
            )
            self.line_b.setData([], [])
            self.bad.setData(x[differ], d[differ])
            self.plot.setLabel("left", f"B − A ({unit})" if unit else "B − A")
        else:
            self.bars_a.setOpts(
                x=x,
                height=np.nan_to_num(va),
                width=0.8,
                brushes=[pg.mkBrush(flag_colour(int(v))) for v in sa],
            )
            if np.isfinite(vb).any():
                self.line_b.setData(
                    x,
                    vb,
                    connect="finite",
                    symbolBrush=[pg.mkBrush(flag_colour(int(v)) if v else "#e67e22") for v in sb],
                )
            else:  # B has nothing on this day (e.g. outside the export's span)
                self.line_b.setData([], [])
            self.bad.setData(x[differ], np.nan_to_num(np.fmax(va, vb))[differ])
            self.plot.setLabel("left", f"Energy per period ({unit})" if unit else "Value")
        ticks = []
        for i, p in enumerate(periods):
            if i % 4 == 0 or i == n - 1:
                t = p.astimezone(LONDON) if local else p
                ticks.append((i + 1, f"{i + 1}\n{t:%H:%M}"))
        zone = t.tzname() if local and periods else "UTC"
        self.plot.setLabel("bottom", f"Settlement period and start time ({zone})")
        self.plot.getAxis("bottom").setTicks([ticks, []])
        self.plot.setXRange(-0.2, n + 1.2, padding=0)  # room for the SP 1 / last labels
        self.plot.enableAutoRange(axis="y")
        self.flags_present = int(np.bitwise_or.reduce(sa | sb)) if n else 0
        self._day = (periods, va, vb, sa, sb, unit)
        self.summary.setText(self._summary_text())
        self.summary.setToolTip(f"Compared: {self.result.span_text}" if self.result else "")

    def tooltip(self, index: int) -> str:
        """Tooltip of settlement period ``index`` (0-based): A and B, their flags and causes."""
        periods, va, vb, sa, sb, unit = self._day
        if not 0 <= index < len(periods):
            return ""
        ev = self.panel.event_index
        a = period_tooltip(periods[index], index + 1, float(va[index]), unit, int(sa[index]), ev)
        b = period_tooltip(periods[index], index + 1, float(vb[index]), unit, int(sb[index]), ev)
        kinds = self.day_kinds.get(index + 1, [])
        diff = f"<br><b style='color:#b02a2a'>✕ {', '.join(kinds)}</b>" if kinds else ""
        return f"<b>A</b> {a}<br><b>B</b> {b.split('<br>', 1)[1]}{diff}"

    def _hover(self, pos: Any) -> None:
        p = self.plot.getPlotItem().vb.mapSceneToView(pos)
        self.plot.setToolTip(self.tooltip(int(round(p.x())) - 1))

    def span_description(self) -> str:
        """Which periods the reconciliation compares, in GB settlement days and SP numbers:
        ``SP 1 of Mon 26 Oct 2026 → SP 48 of Wed 28 Oct 2026``."""
        r = self.result
        if r is None:
            return ""
        if self.span is None:
            return "every period of both collections"
        lo, hi = self.span
        return f"{sp_text(lo)} → {sp_text(hi - SP)}"  # the raw span (UTC) is the tooltip

    def _day_in_span(self) -> tuple[int, int] | None:
        """``(first SP, last SP)`` of the day shown that lie in the compared span; None when
        none do. The whole day when everything is compared."""
        day = self.day_shown
        n = self.periods
        if day is None or n == 0:
            return None
        if self.span is None:
            return 1, n
        lo, hi = self.span
        start = day_start(day)
        inside = [i + 1 for i in range(n) if lo <= start + i * SP < hi]
        return (inside[0], inside[-1]) if inside else None

    def _summary_text(self) -> str:
        r = self.result
        if r is None:
            return "<i>Choose two different collections (A and B) to reconcile them.</i>"
        verdict = r.verdict
        colour = {"AGREE": "#1e7b34", "DIFFER": "#b02a2a"}.get(verdict, "#8a6d00")
        counts = (
            f"{r.matched:,} of {r.compared:,} period × channel values agree "
            f"(tolerance {show(r.tolerance)}) · {r.value_diffs} value, {r.flag_diffs} flag, "
            f"{r.missing_in_a} missing in A, {r.missing_in_b} missing in B"
        )
        if verdict == "CANNOT COMPARE":
            empty = " and ".join(
                side for side, n in (("A", r.periods_a), ("B", r.periods_b)) if n == 0
            )
            counts = f"{empty} holds no period in this span"
        whole = (
            f"<b style='color:{colour}'>{verdict}</b> over {self.span_description()}<br>{counts}"
        )
        inside = self._day_in_span()
        if inside is None:
            return (
                "<b style='color:#555'>This day is outside the compared span: nothing on it "
                f"was compared.</b><br>{whole}"
            )
        part = "" if inside == (1, self.periods) else f" (SP {inside[0]}–{inside[1]})"
        if not self.discrepancies:
            if verdict == "CANNOT COMPARE":
                return whole
            return (
                f"<b style='color:#1e7b34'>A and B agree on every compared period of this "
                f"day{part}.</b><br>{whole}"
            )
        shown = ", ".join(
            f"{sp} ({'/'.join(KIND_TEXT.get(k, k) for k in self.day_kinds[sp])})"
            for sp in self.discrepancies[:8]
        )
        more = "…" if len(self.discrepancies) > 8 else ""
        return (
            f"<b style='color:#b02a2a'>{len(self.discrepancies)} discrepant period(s) this day"
            f"{part}</b>: SP {shown}{more}<br>{whole}"
        )
