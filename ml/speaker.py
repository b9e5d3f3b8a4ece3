"""Speaker normalisation: each feature measured against the speaker's own voice.

A voice's level, pitch and timbre say more about who is speaking than about how they feel, and a
speaker the model never heard is exactly the case that matters. So every pooled feature is z-scored
with the statistics of the whole recording it comes from: one sound strip is one speaker, and the
add-on has the whole strip before it writes a key. The training population's statistics count as
some windows of prior, so a short recording leans on voices in general, a long one is judged against
itself, and a long speech in one mood still keeps part of its distance from voices in general.
Training sees the same thing: each training voice as one long recording, in parts, clip by clip and
one emotion at a time.

The level is the exception: the same voice is louder or quieter as the microphone and the gain were set, so
its mean is always the recording's own and only how the voice rises and falls within it counts (`own_mean`).
"""
from __future__ import annotations

import numpy as np


def recording(values: np.ndarray, counted: np.ndarray, prior_mean: np.ndarray, prior_std: np.ndarray,
              prior_windows: float, own_mean=None) -> np.ndarray:
    """z-score the feature columns of one recording's windows with the statistics of its `counted` rows.

    The population's mean and standard deviation count as `prior_windows` rows. Columns in `own_mean` (a bool
    mask) are centred on the recording's own mean alone; the prior only steadies their spread.
    """
    values = np.asarray(values, dtype=np.float64)
    w = np.asarray(counted, dtype=np.float64)
    mean0, var0 = np.asarray(prior_mean, np.float64), np.asarray(prior_std, np.float64) ** 2
    n = prior_windows + w.sum()
    mean = (prior_windows * mean0 + w @ values) / n
    second = (prior_windows * (var0 + mean0**2) + w @ values**2) / n
    var = second - mean**2
    if own_mean is not None and np.any(own_mean) and w.sum() > 0:
        own = np.flatnonzero(own_mean)
        mean[own] = w @ values[:, own] / w.sum()
        var[own] = (prior_windows * var0[own] + w @ (values[:, own] - mean[own]) ** 2) / n
    return ((values - mean) / _spread(var)).astype(np.float32)


def _spread(var: np.ndarray) -> np.ndarray:
    """Standard deviation, 1 where a feature does not vary (it then only loses its offset)."""
    var = np.maximum(var, 0.0)
    return np.where(var > 1e-12, np.sqrt(var), 1.0)
