"""Fewer keys for the same motion: keep only the keys needed to stay within a tolerance of the dense curve."""
from __future__ import annotations

import numpy as np


def keep_indices(x: np.ndarray, y: np.ndarray, tolerance: float) -> np.ndarray:
    """Indices of the points to keep (first and last always) so that straight lines between kept
    points stay within `tolerance` of every dropped value (Ramer-Douglas-Peucker, vertical distance)."""
    n = len(x)
    if tolerance <= 0 or n <= 2:
        return np.arange(n)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        xs, ys = x[a + 1:b], y[a + 1:b]
        line = y[a] + (y[b] - y[a]) * (xs - x[a]) / (x[b] - x[a])
        err = np.abs(ys - line)
        worst = int(np.argmax(err))
        if err[worst] > tolerance:
            m = a + 1 + worst
            keep[m] = True
            stack += [(a, m), (m, b)]
    return np.flatnonzero(keep)
