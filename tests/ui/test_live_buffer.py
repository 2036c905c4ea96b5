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
