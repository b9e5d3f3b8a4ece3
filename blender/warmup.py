"""Make the first click fast: the heavy imports (XGBoost, SciPy's FFT) and the model load happen in a
background thread when Blender starts, not when the user first presses Animate Audience.

The features need no compiling (NumPy/SciPy, no numba), so there is no cache to keep warm.
"""
import threading

import bpy


def _warm():
    import numpy as np

    from ..ml import features
    from . import job

    try:
        features.frame_features(np.zeros(features.SAMPLE_RATE, dtype=np.float32))
        job.load_model("")  # imports XGBoost (~2 s) and checks the shipped model once
    except Exception as e:  # a warm-up must never break Blender; the real run reports errors
        print(f"Audience Reactions: warm-up skipped ({type(e).__name__}: {e})")


def start() -> None:
    """Warm up in a daemon thread; batch runs (background mode) pay the imports on first use instead."""
    if not bpy.app.background:
        threading.Thread(target=_warm, name="audience-warmup", daemon=True).start()
