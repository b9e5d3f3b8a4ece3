"""Speaker normalisation: each feature measured against the speaker's own voice.

A voice's level, pitch and timbre say more about who is speaking than about how they feel, and a
speaker the model never heard is exactly the case that matters. So every pooled feature (all but
the speech fraction) is z-scored with the same speaker's statistics:

- in training, over all of that speaker's windows (`by_speaker`);
- in the add-on, over the windows heard so far (`running`): causal, starting from the training
  population's statistics and moving to the speaker's own as the speech goes on. One sound strip
  is one speaker.
"""
from __future__ import annotations

import numpy as np


def by_speaker(x: np.ndarray, speakers: np.ndarray) -> np.ndarray:
    """z-score the feature columns of each speaker's rows with that speaker's mean and spread."""
    out = np.array(x, dtype=np.float32)
    for who in np.unique(speakers):
        rows = speakers == who
        part = x[rows, :-1].astype(np.float64)
        out[rows, :-1] = (part - part.mean(axis=0)) / _spread(part.var(axis=0))
    return out


def running(x: np.ndarray, counted: np.ndarray, prior_mean: np.ndarray, prior_std: np.ndarray,
            prior_windows: float) -> np.ndarray:
    """z-score row i with the statistics of the `counted` rows up to and including i (causal).

    The training population's mean and standard deviation count as `prior_windows` rows, so the
    first seconds are judged against voices in general and later ones against this voice.
    """
    x = np.asarray(x)
    values = x[:, :-1].astype(np.float64)
    w = np.asarray(counted, dtype=np.float64)[:, None]
    mean0, var0 = np.asarray(prior_mean, np.float64), np.asarray(prior_std, np.float64) ** 2
    n = prior_windows + np.cumsum(w, axis=0)
    mean = (prior_windows * mean0 + np.cumsum(values * w, axis=0)) / n
    second = (prior_windows * (var0 + mean0**2) + np.cumsum(values**2 * w, axis=0)) / n
    out = np.array(x, dtype=np.float32)
    out[:, :-1] = (values - mean) / _spread(second - mean**2)
    return out


def _spread(var: np.ndarray) -> np.ndarray:
    """Standard deviation, 1 where a feature does not vary (it then only loses its offset)."""
    var = np.maximum(var, 0.0)
    return np.where(var > 1e-12, np.sqrt(var), 1.0)
