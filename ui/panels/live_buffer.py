"""Append-only time series with a min/max pyramid, so a frame never plots more than ~4000 points.

:class:`SeriesBuffer` keeps every sample (UNIX seconds, value) in growing numpy arrays and, as
samples arrive, a summary per level: for each complete bucket of 16, 128, 1024 and 8192 samples
the minimum and the maximum, in time order (two points per bucket). :meth:`SeriesBuffer.decimated`
returns the samples in a time range at full resolution when they fit the point budget, otherwise
the finest level that fits, with the partial buckets at both ends filled from finer levels — so
peaks are never lost and the cost of a frame does not grow with hours of data.

Memory: 16 bytes per sample (+ ≤ 2× while the arrays double), plus 2/16 + 2/128 + … ≈ 14 %.
"""

from __future__ import annotations

import numpy as np

LEVELS = (16, 128, 1024, 8192)  #: bucket sizes (samples); each a multiple of the one before
MAX_POINTS = 4000  #: default point budget of one curve in one frame


class _Level:
    """Min/max of complete buckets of ``size`` samples: 2 points per bucket, in time order."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.t = np.empty(256)
        self.y = np.empty(256)
        self.buckets = 0

    def add(self, t: np.ndarray, y: np.ndarray, start: int) -> None:
        """Summarise samples ``start … start + size`` of ``t``/``y`` as one bucket."""
        seg = y[start : start + self.size]
        i, j = int(np.argmin(seg)), int(np.argmax(seg))
        if i > j:
            i, j = j, i
        k = 2 * self.buckets
        if k + 2 > len(self.t):
            self.t = np.resize(self.t, 2 * len(self.t))
            self.y = np.resize(self.y, 2 * len(self.y))
        self.t[k], self.y[k] = t[start + i], seg[i]
        self.t[k + 1], self.y[k + 1] = t[start + j], seg[j]
        self.buckets += 1

    def points(self, b0: int, b1: int) -> tuple[np.ndarray, np.ndarray]:
        return self.t[2 * b0 : 2 * b1], self.y[2 * b0 : 2 * b1]


class SeriesBuffer:
    """Append-only ``(t, y)`` samples (t non-decreasing) with amortised O(1) growth.

    ``view()`` gives every sample; ``decimated(lo, hi)`` what to plot for a time range.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.t = np.empty(capacity)
        self.y = np.empty(capacity)
        self.n = 0
        self.levels = [_Level(s) for s in LEVELS]

    def __len__(self) -> int:
        return self.n

    def append(self, t: float, y: float) -> None:
        if self.n == len(self.t):
            self.t = np.resize(self.t, 2 * self.n)
            self.y = np.resize(self.y, 2 * self.n)
        self.t[self.n] = t
        self.y[self.n] = y
        self.n += 1
        for level in self.levels:  # sizes nest: not a multiple of 16 → not of 128 either
            if self.n % level.size:
                break
            level.add(self.t, self.y, self.n - level.size)

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        """Every sample (live slices of the buffers)."""
        return self.t[: self.n], self.y[: self.n]

    def decimated(
        self, lo: float | None = None, hi: float | None = None, max_points: int = MAX_POINTS
    ) -> tuple[np.ndarray, np.ndarray]:
        """Points to plot for times ``lo … hi`` (None: the whole series).

        Full resolution when the range holds ≤ ``max_points`` samples; otherwise the min and max
        of each bucket of the finest level that fits. One sample either side of the range is
        included so the line runs to the edges.
        """
        n = self.n
        t = self.t[:n]
        i0 = 0 if lo is None else max(0, int(np.searchsorted(t, lo, "left")) - 1)
        i1 = n if hi is None else min(n, int(np.searchsorted(t, hi, "right")) + 1)
        count = i1 - i0
        if count <= max_points:
            return self.t[i0:i1], self.y[i0:i1]
        k = next(
            (k for k, lv in enumerate(self.levels) if 2 * count / lv.size <= max_points),
            len(self.levels) - 1,
        )
        ends = (
            (self.t[i0 : i0 + 1], self.y[i0 : i0 + 1]),
            (self.t[i1 - 1 : i1], self.y[i1 - 1 : i1]),
        )
        parts = [ends[0], *self._piece(i0 + 1, i1 - 1, k), ends[1]]  # exact first/last sample
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _piece(self, i0: int, i1: int, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Samples ``i0 … i1`` from level ``k``; partial buckets at the ends from finer levels."""
        if i1 <= i0:
            return []
        if k < 0:
            return [(self.t[i0:i1], self.y[i0:i1])]
        lv = self.levels[k]
        b0 = -(-i0 // lv.size)
        b1 = min(i1 // lv.size, lv.buckets)
        if b1 <= b0:
            return self._piece(i0, i1, k - 1)
        return [
            *self._piece(i0, b0 * lv.size, k - 1),
            lv.points(b0, b1),
            *self._piece(b1 * lv.size, i1, k - 1),
        ]
