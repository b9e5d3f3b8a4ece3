"""From a mono signal to an emotion timeline: one prediction every hop, windows that end at that time."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import features
from .audio import AudioError
from .model import EMOTIONS, EmotionModel

# Below this fraction of speech frames in a window, the prediction fades toward neutral:
# during pauses and silence the audience relaxes instead of guessing.
FULL_SPEECH_FRACTION = 0.3
# Below a third of that in every window, nothing was said: the crowd stays (nearly) at rest.
NO_SPEECH_FRACTION = FULL_SPEECH_FRACTION / 3


@dataclass
class Timeline:
    times: np.ndarray    # seconds from the start of the audio, one per prediction
    probs: np.ndarray    # (n, 8) smoothed class probabilities, rows sum to 1
    speech: np.ndarray   # (n,) fraction of the window that is speech
    duration_s: float = 0.0  # length of the audio analysed
    classes: tuple = EMOTIONS
    heard: np.ndarray = None  # (n,) how much of each window lies in the audio (0-1): the first ones are short
    raw: np.ndarray = None    # (n, 8) the model's calibrated probabilities, before fading and smoothing
    notes: list = field(default_factory=list)  # what the user should know about the audio (clipped, NaN samples)

    @property
    def labels(self) -> list:
        return [self.classes[i] for i in np.argmax(self.probs, axis=1)]

    def overall(self) -> np.ndarray:
        """The whole recording's probabilities: the windows' own, weighted by their speech and by how much of
        each window lies in the audio (uniform when nothing is spoken)."""
        w = self.speech * self.heard
        if len(w) == 0 or w.sum() <= 0:
            return np.full(len(self.classes), 1.0 / len(self.classes), dtype=np.float32)
        return (w @ self.raw / w.sum()).astype(np.float32)

    def summary(self) -> dict:
        """The overall emotion. With no speech heard (no window NO_SPEECH_FRACTION speech), what the crowd shows on
        average (its rest face, neutral), not a guess from a few frames of noise or a click."""
        quiet = len(self.speech) == 0 or self.speech.max() < NO_SPEECH_FRACTION
        p = self.probs.mean(axis=0) if quiet and len(self.probs) else self.overall()
        return {"label": self.classes[int(np.argmax(p))],
                "probabilities": {c: round(float(v), 4) for c, v in zip(self.classes, p)}}

    def to_dict(self) -> dict:
        return {
            "classes": list(self.classes),
            "timeline": [
                {"time": round(float(t), 3),
                 "probabilities": {c: round(float(p), 4) for c, p in zip(self.classes, row)},
                 "speech": round(float(s), 3),
                 "label": label}
                for t, row, s, label in zip(self.times, self.probs, self.speech, self.labels)
            ],
        }


def prediction_times(duration_s: float, hop_s: float) -> np.ndarray:
    """0, hop, 2*hop, ... up to the end of the audio (t=0: nothing heard yet)."""
    return np.arange(int(np.floor(duration_s / hop_s + 1e-9)) + 1) * hop_s


def smooth(probs: np.ndarray, hop_s: float, time_constant_s: float) -> np.ndarray:
    """Causal exponential smoothing: each value depends only on the past."""
    if time_constant_s <= 0 or len(probs) == 0:
        return probs
    alpha = 1.0 - np.exp(-hop_s / time_constant_s)
    out = np.empty_like(probs)
    acc = probs[0]
    for i, row in enumerate(probs):
        acc = acc + alpha * (row - acc)
        out[i] = acc
    return out


def predict_timeline(signal, model: EmotionModel, smoothing_s: float = 1.0) -> Timeline:
    """Predict the speaker's emotion every model.hop_s seconds.

    `signal`: mono audio at model.sample_rate, one array or an iterable of consecutive pieces (a stream).
    """
    frames = features.frame_features(signal, model.sample_rate)
    duration = frames.n_samples / model.sample_rate
    times = prediction_times(duration, model.hop_s)
    x = features.pool(frames, times, model.window_s, model.sample_rate)
    probs = raw = model.predict_proba(model.normalise(x))
    fraction = x[:, -1]
    neutral = np.zeros(len(model.classes), dtype=np.float32)
    neutral[model.classes.index("neutral")] = 1.0
    weight = np.clip(fraction / FULL_SPEECH_FRACTION, 0.0, 1.0)[:, None]
    probs = weight * probs + (1.0 - weight) * neutral
    probs = smooth(probs, model.hop_s, smoothing_s)
    probs = probs / probs.sum(axis=1, keepdims=True)
    if not np.all(np.isfinite(probs)):  # never hand on garbage as a result
        raise AudioError("its analysis gave no usable numbers")
    heard = np.clip(times / model.window_s, 0.0, 1.0)
    return Timeline(times, probs.astype(np.float32), fraction, duration, model.classes, heard, raw, _notes(frames, fraction))


def _notes(frames: features.Frames, fraction: np.ndarray) -> list:
    notes = []
    if not np.any(fraction >= NO_SPEECH_FRACTION):
        notes.append("no speech heard (silence, noise or too short): the crowd stays at rest or nearly")
    elif not np.any(fraction >= FULL_SPEECH_FRACTION):
        notes.append(f"little speech heard (under {FULL_SPEECH_FRACTION:.0%} of every window): what the crowd "
                     "shows rests on a few words at a time")
    if frames.not_finite:
        # Counted after resampling, which spreads one bad sample over a filter's length: say how long it is.
        ms = 1000.0 * frames.not_finite / features.SAMPLE_RATE
        notes.append(f"the audio holds samples that are not numbers (NaN/inf): {ms:.0f} ms of it analysed as "
                     "silence")
    if frames.clipped:
        notes.append(f"the audio goes far beyond full scale (peak {frames.peak:.3g}): {frames.clipped} samples "
                     f"clipped at ±{features.LIMIT:g} for the analysis, which may be off there")
    return notes
