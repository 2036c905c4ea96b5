"""Min/max pyramid of the live series buffer: bounded points, exact extremes, full res zoomed in."""

from __future__ import annotations

import numpy as np
import pytest

from ui.panels.live_buffer import LEVELS, SeriesBuffer


def _filled(n: int, seed: int = 3) -> tuple[SeriesBuffer, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = 1_700_000_000 + np.arange(n) / 10
    y = 230 + rng.normal(size=n)
    y[rng.integers(0, n, 5)] += rng.choice([-40, 40], 5)  # a few spikes that must survive
    buf = SeriesBuffer(capacity=8)
    for a, b in zip(t, y):
        buf.append(a, b)
    return buf, t, y


def test_small_series_is_returned_whole():
    buf, t, y = _filled(500)
    dt, dy = buf.decimated()
    assert np.array_equal(dt, t) and np.array_equal(dy, y)
    assert len(buf) == 500 and buf.levels[0].buckets == 500 // LEVELS[0]


@pytest.mark.parametrize("n", [4001, 50_000, 288_000 // 4])
def test_wide_view_is_bounded_and_keeps_extremes(n):
    buf, t, y = _filled(n)
    dt, dy = buf.decimated(max_points=4000)
    assert len(dt) <= 4000 + 64
    assert dy.max() == y.max() and dy.min() == y.min()
    assert np.all(np.diff(dt) >= 0)  # time order kept
    assert dt[0] == t[0] and dt[-1] == t[-1]  # runs to both ends
    assert np.isin(dt, t).all()  # every point is a real sample (no invented values)


def test_any_range_keeps_its_extremes_and_zoom_is_full_resolution():
    buf, t, y = _filled(60_000, seed=9)
    rng = np.random.default_rng(1)
    for _ in range(50):
        i0, i1 = sorted(rng.integers(0, len(t), 2))
        if i1 - i0 < 2:
            continue
        dt, dy = buf.decimated(t[i0], t[i1 - 1], max_points=1000)
        seg = y[i0:i1]
        assert seg.max() in dy and seg.min() in dy
        assert len(dt) <= 1000 + 64
        if i1 - i0 + 2 <= 1000:  # zoomed in: every sample, plus one either side
            lo, hi = max(0, i0 - 1), min(len(t), i1 + 1)
            assert np.array_equal(dt, t[lo:hi])


def test_live_panel_plots_bounded_points_and_full_resolution_when_zoomed(qtbot):
    from ui.panels.live import LivePanel

    panel = LivePanel()
    qtbot.addWidget(panel)
    panel.window_combo.setCurrentIndex(panel.window_combo.findData(0))  # "All"
    t0 = 1_700_000_000.0
    for k in range(20_000):
        panel.feed(t0 + k / 10, {"V1": 230.0 + (k % 50) / 10})
    panel.redraw()
    x, _y = panel.curves["V1"].getData()
    assert len(x) <= 4100 and x[0] == t0 and x[-1] == t0 + 1999.9
    plot = panel.plots["V"]
    plot.setXRange(t0 + 100, t0 + 110, padding=0)  # the user zooms to 10 s (100 samples)
    panel.redraw()
    x, _y = panel.curves["V1"].getData()
    inside = x[(x >= t0 + 100) & (x <= t0 + 110)]
    assert len(inside) == 101  # every sample in view
