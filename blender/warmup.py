"""Make the first click fast: a writable numba cache, and librosa compiled in the background at startup.

librosa's numba functions compile on first use (12-30 s) and cache next to their code, which is
read-only in many Blender installs, so every session would pay that again.
"""
import os
import threading

import bpy


def cache_folder(package: str) -> str:
    try:
        folder = bpy.utils.extension_path_user(package, path="numba_cache", create=True)
    except (ValueError, AttributeError):  # loaded from a checkout, not as an extension
        folder = os.path.join(os.path.expanduser("~"), ".cache", "audience_reactions", "numba")
        os.makedirs(folder, exist_ok=True)
    return folder


def configure(package: str) -> None:
    """Point numba at a writable cache; only works before numba is imported, so call it at register."""
    if "NUMBA_CACHE_DIR" not in os.environ:
        try:
            os.environ["NUMBA_CACHE_DIR"] = cache_folder(package)
        except OSError:
            pass  # no writable home: numba compiles in memory, slower but correct


def _compile():
    import numpy as np

    from ..ml import features
    from . import job

    try:
        y = np.random.default_rng(0).standard_normal(features.SAMPLE_RATE).astype(np.float32) * 0.1
        features.frame_features(y)
        job.load_model("")  # imports XGBoost (~2 s) and checks the shipped model once
    except Exception as e:  # a warm-up must never break Blender; the real run reports errors
        print(f"Audience Reactions: warm-up skipped ({type(e).__name__}: {e})")


def start() -> None:
    """Compile in a daemon thread; batch runs (background mode) compile on their first use instead."""
    if not bpy.app.background:
        threading.Thread(target=_compile, name="audience-warmup", daemon=True).start()
