"""bench/fidelity.py's measure and the speech in emotion blocks it is judged on (the bench itself trains models:
it is run by hand, not here)."""
import os
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import DATA, ROOT, needs_data

sys.path.insert(0, os.path.join(ROOT, "bench"))

import fidelity  # noqa: E402
from crowd.presets import EMOTIONS, expression_table  # noqa: E402
from ml.blocks import Block  # noqa: E402

ORDER = ("neutral", "happy", "angry", "sad", "surprised", "fearful", "disgust", "calm")


def _speech(lead: float):
    """A timeline of 8 blocks of 20 s, each block's own emotion at `lead` (the rest shared out)."""
    times = np.arange(0, 160, 0.5)
    probs = np.full((len(times), 8), (1 - lead) / 7)
    blocks = []
    for b, emotion in enumerate(ORDER):
        inside = (times >= 20 * b) & (times < 20 * (b + 1))
        probs[inside, EMOTIONS.index(emotion)] = lead
        blocks.append(Block(emotion, 20.0 * b, 20.0 * (b + 1), ()))
    return SimpleNamespace(times=times, probs=probs, duration_s=160.0), blocks


def test_a_crowd_that_follows_the_speech_scores_high_and_chance_scores_low():
    _names, table = expression_table("ARKIT")
    settings = fidelity.defaults()
    clear = fidelity.judge_actor(*_speech(0.3), table, settings, 0.5, 2.0)
    assert all(w for _a, _b, w in clear["wins"]) and all(clear["strict"])
    assert clear["changes"] <= 2 * len(ORDER) and min(clear["own"].values()) > 0.2
    chance = fidelity.judge_actor(*_speech(1 / 8), table, settings, 0.5, 2.0)
    assert not any(w for _a, _b, w in chance["wins"])  # nothing shows, so no block wins
    # Who is compared with whom: emotions with a visible cue, against clearly different ones only.
    pairs = {(a, b) for a, b, _w in clear["wins"]}
    assert ("happy", "angry") in pairs and ("sad", "neutral") in pairs
    assert ("happy", "calm") not in pairs and ("fearful", "surprised") not in pairs
    assert not any(a in ("neutral", "calm") for a, _b in pairs)
    report = fidelity.summarise({"x": clear})
    assert report["fidelity"] == 1.0 and report["comparisons"] == len(pairs)


@needs_data
def test_emotion_blocks_from_one_actor(tmp_path):
    from ml.blocks import emotion_blocks
    from ml.datasets import ravdess

    clips = [c for c in ravdess(os.path.join(DATA, "Actor_02"))]
    signal, blocks = emotion_blocks(clips, ("angry", "neutral", "surprised"), 16000, per_block=2)
    assert [b.emotion for b in blocks] == ["angry", "neutral", "surprised"]
    assert all(len(b.clips) == 2 and "Actor_02" in b.clips[0] for b in blocks)
    assert blocks[0].start_s == 0 and blocks[-1].end_s == pytest.approx(len(signal) / 16000)
    assert all(a.end_s == b.start_s for a, b in zip(blocks, blocks[1:]))
    # Silences trimmed to short pauses: six clips of about 3.5 s each make far less than 21 s.
    assert 6 < len(signal) / 16000 < 18
    level = 20 * np.log10(np.abs(signal[:1600]).max() + 1e-9)
    assert level < -25  # each clip still begins with a moment of quiet
