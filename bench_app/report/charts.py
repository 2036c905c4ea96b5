"""Half-hourly profile charts drawn with ``reportlab.graphics`` (no display needed).

A chart is an area + line of the interval values over time with flagged periods (status ≠ 0)
shaded red. Long series (90 days = 4320 half-hours) are reduced to a min/max envelope per
horizontal bucket (~0.5 pt), which looks identical on paper and keeps the PDF small and fast.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from reportlab.graphics.shapes import Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors

from bench_app.report.data import ChannelSeries

LINE = colors.HexColor("#1f4e79")
AREA = colors.HexColor("#c9dcef")
FLAG = colors.Color(0.85, 0.1, 0.1, alpha=0.35)
FLAG_MARK = colors.HexColor("#c00000")
GRID = colors.HexColor("#d0d0d0")

_TICK_STEPS = (
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86400,
    2 * 86400,
    7 * 86400,
    14 * 86400,
    30 * 86400,
)


def _nice_step(span: float, ticks: int = 5) -> float:
    """A 1/2/5 × 10^n step giving about ``ticks`` intervals over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _period(times: list[float]) -> float:
    """Typical interval length in seconds (median of the first differences; 1800 if unknown)."""
    diffs = sorted(b - a for a, b in zip(times, times[1:]) if b > a)
    return diffs[len(diffs) // 2] if diffs else 1800.0


def flagged_spans(
    times: list[float], status: list[int], period: float
) -> list[tuple[float, float]]:
    """Merge consecutive flagged intervals into ``(start, end)`` spans, POSIX seconds."""
    spans: list[tuple[float, float]] = []
    for t, st in zip(times, status):
        if not st:
            continue
        if spans and t <= spans[-1][1] + period * 0.01:
            spans[-1] = (spans[-1][0], t + period)
        else:
            spans.append((t, t + period))
    return spans


def _envelope(times: list[float], values: list[float], x_of, buckets: int) -> list[list[float]]:
    """Polyline segments (flat x,y lists in data units mapped by ``x_of``) with gaps split."""
    if not times:
        return []
    period = _period(times)
    segments: list[list[tuple[float, float]]] = [[]]
    prev_t = None
    for t, v in zip(times, values):
        if prev_t is not None and t - prev_t > 1.5 * period:
            segments.append([])
        segments[-1].append((t, v))
        prev_t = t
    out = []
    for seg in segments:
        if len(seg) <= 2 * buckets:
            out.append([c for t, v in seg for c in (x_of(t), v)])
            continue
        pts: list[float] = []
        cur_bucket, lo, hi, lo_t, hi_t = None, 0.0, 0.0, 0.0, 0.0
        for t, v in seg:
            b = int(x_of(t) * 2)
            if b != cur_bucket:
                if cur_bucket is not None:
                    first, second = (
                        ((lo_t, lo), (hi_t, hi)) if lo_t <= hi_t else ((hi_t, hi), (lo_t, lo))
                    )
                    pts += [x_of(first[0]), first[1], x_of(second[0]), second[1]]
                cur_bucket, lo, hi, lo_t, hi_t = b, v, v, t, t
            else:
                if v < lo:
                    lo, lo_t = v, t
                if v > hi:
                    hi, hi_t = v, t
        first, second = ((lo_t, lo), (hi_t, hi)) if lo_t <= hi_t else ((hi_t, hi), (lo_t, lo))
        pts += [x_of(first[0]), first[1], x_of(second[0]), second[1]]
        out.append(pts)
    return out


def _time_ticks(t0: float, t1: float, max_ticks: int = 8) -> tuple[list[float], str]:
    span = max(t1 - t0, 1.0)
    step = next((s for s in _TICK_STEPS if span / s <= max_ticks), _TICK_STEPS[-1])
    first = math.ceil(t0 / step) * step
    ticks: list[float] = []
    t: float = first
    while t <= t1:
        ticks.append(t)
        t += step
    fmt = "%d %b" if step >= 86400 else "%d %b %H:%M"
    return ticks, fmt


def profile_chart(series: ChannelSeries, width: float, height: float, fonts) -> Drawing:
    """A chart of one channel, ``width`` × ``height`` points, titled with OBIS code and unit."""
    d = Drawing(width, height)
    left, right, bottom, top = 48.0, 8.0, 26.0, 20.0
    pw, ph = width - left - right, height - bottom - top
    title = f"{series.obis}  ({series.unit or 'no unit'}, {series.source}"
    title += f" collection #{series.collection_id})" if series.collection_id else ")"
    d.add(String(left, height - 11, title, fontName=fonts.bold, fontSize=8))
    d.add(Rect(left, bottom, pw, ph, strokeColor=colors.grey, fillColor=None, strokeWidth=0.5))
    if not series.times:
        d.add(
            String(
                left + pw / 2,
                bottom + ph / 2,
                "no interval data",
                fontName=fonts.regular,
                fontSize=8,
                textAnchor="middle",
            )
        )
        return d
    period = _period(series.times)
    t0, t1 = series.times[0], series.times[-1] + period
    vmin, vmax = min(0.0, min(series.values)), max(0.0, max(series.values))
    if vmax - vmin < 1e-12:
        vmax = vmin + 1.0
    step = _nice_step(vmax - vmin)
    vmin, vmax = math.floor(vmin / step) * step, math.ceil(vmax / step) * step

    def x_of(t: float) -> float:
        return left + (t - t0) / (t1 - t0) * pw

    def y_of(v: float) -> float:
        return bottom + (v - vmin) / (vmax - vmin) * ph

    # grid and y labels
    v = vmin
    while v <= vmax + step * 1e-6:
        y = y_of(v)
        d.add(Line(left, y, left + pw, y, strokeColor=GRID, strokeWidth=0.3))
        d.add(
            String(
                left - 3, y - 2.5, f"{v:g}", fontName=fonts.regular, fontSize=6, textAnchor="end"
            )
        )
        v += step
    ticks, fmt = _time_ticks(t0, t1)
    for t in ticks:
        x = x_of(t)
        d.add(Line(x, bottom, x, bottom - 3, strokeColor=colors.grey, strokeWidth=0.5))
        label = datetime.fromtimestamp(t, UTC).strftime(fmt)
        d.add(
            String(x, bottom - 10, label, fontName=fonts.regular, fontSize=6, textAnchor="middle")
        )
    # flagged periods under the line
    spans = flagged_spans(series.times, series.status, period)
    for s0, s1 in spans:
        x0, x1 = x_of(s0), x_of(s1)
        d.add(Rect(x0, bottom, max(x1 - x0, 1.0), ph, fillColor=FLAG, strokeColor=None))
        xm = (x0 + x1) / 2  # a marker above the plot so one flagged half-hour is still visible
        d.add(
            Polygon(
                [xm - 2.5, bottom + ph + 4, xm + 2.5, bottom + ph + 4, xm, bottom + ph],
                fillColor=FLAG_MARK,
                strokeColor=None,
            )
        )
    # area + line
    base = y_of(max(vmin, 0.0))
    for seg in _envelope(series.times, series.values, x_of, int(pw)):
        pts = [c if i % 2 == 0 else y_of(c) for i, c in enumerate(seg)]
        if len(pts) >= 4:
            d.add(Polygon([pts[0], base] + pts + [pts[-2], base], fillColor=AREA, strokeColor=None))
            d.add(PolyLine(pts, strokeColor=LINE, strokeWidth=0.5))
        else:
            d.add(Line(pts[0] - 0.5, pts[1], pts[0] + 0.5, pts[1], strokeColor=LINE))
    # legend
    lx = left + pw - 150
    d.add(Rect(lx, height - 12, 8, 6, fillColor=AREA, strokeColor=LINE, strokeWidth=0.5))
    d.add(
        String(
            lx + 11,
            height - 11,
            f"{series.unit or 'value'} per period",
            fontName=fonts.regular,
            fontSize=6,
        )
    )
    d.add(Rect(lx + 75, height - 12, 8, 6, fillColor=FLAG, strokeColor=None))
    d.add(
        String(
            lx + 86,
            height - 11,
            f"flagged ({len(spans)} spans)",
            fontName=fonts.regular,
            fontSize=6,
        )
    )
    return d
