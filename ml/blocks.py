"""A speech in emotion blocks: one speaker's clips, grouped by emotion, one block after another.

What the demo plays and what the crowd's fidelity is judged on (bench/fidelity.py): each clip's leading
and trailing silence trimmed to a short pause, so the blocks sound like one person speaking on.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .audio import load
from .model import EMOTIONS

PAUSE_S = 0.3          # silence kept before and after each clip's speech
SILENCE_DB = -35.0     # below the clip's loudest 20 ms by this much counts as silence


@dataclass(frozen=True)
class Block:
    emotion: str
    start_s: float
    end_s: float
    clips: tuple       # paths, in the order played


def trim(y: np.ndarray, rate: int, pause_s: float = PAUSE_S) -> np.ndarray:
    """The clip from `pause_s` before its first loud 20 ms frame to `pause_s` after its last."""
    hop = max(int(0.02 * rate), 1)
    n = len(y) // hop
    if n == 0:
        return y
    level = 10 * np.log10(np.mean(y[:n * hop].reshape(n, hop).astype(np.float64) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(level > level.max() + SILENCE_DB)
    pad = int(pause_s * rate)
    return y[max(loud[0] * hop - pad, 0):min((loud[-1] + 1) * hop + pad, len(y))]


def emotion_blocks(clips, order, rate: int, per_block: int = 0) -> tuple:
    """(mono signal at `rate`, [Block]) of `clips` (ml.datasets.Clip, one speaker) in blocks of the emotions in
    `order`; `per_block` > 0 takes only the first so many clips of each emotion. Emotions without clips are
    left out."""
    pieces, blocks, at = [], [], 0
    for emotion in order:
        mine = sorted((c for c in clips if EMOTIONS[c.label] == emotion), key=lambda c: c.path)
        if per_block:
            mine = mine[:per_block]
        if not mine:
            continue
        start = at
        for clip in mine:
            y = trim(load(clip.path, rate), rate)
            pieces.append(y)
            at += len(y)
        blocks.append(Block(emotion, start / rate, at / rate, tuple(c.path for c in mine)))
    signal = np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, np.float32)
    return signal, blocks
