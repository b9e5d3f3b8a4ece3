"""Each audience member reacts with their own delay, intensity and a little jitter: never in lockstep."""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .presets import EMOTIONS


@dataclass(frozen=True)
class Temperament:
    delay_s: float      # how long after the speech this member reacts
    intensity: float    # how strongly
    key_gain: tuple     # per shape key, so two members do not pull the same face
    rng_seed: int       # for the jitter
    emotion_gain: tuple = (1.0,) * 8  # per emotion: one member laughs easily, another frowns easily


@lru_cache(maxsize=65536)  # a re-run asks again for every face: the same answer, without a new generator
def temperament(name: str, seed: int, n_keys: int) -> Temperament:
    """Seeded from the member's name and the scene seed, so adding a face does not change the others."""
    member_seed = [seed & 0xFFFFFFFF, zlib.crc32(name.encode("utf-8"))]
    rng = np.random.default_rng(member_seed)
    return Temperament(
        delay_s=float(rng.uniform(0.1, 0.6)),
        intensity=float(rng.uniform(0.6, 1.0)),
        key_gain=tuple(rng.uniform(0.8, 1.2, n_keys)),
        rng_seed=int(rng.integers(0, 2**31)),
        emotion_gain=tuple(rng.uniform(0.6, 1.4, 8)),
    )


def react(times: np.ndarray, probs: np.ndarray, table: np.ndarray, member: Temperament,
          strength: float = 1.0, jitter: float = 0.05, idle: float = 0.0) -> np.ndarray:
    """Shape-key values (n_keys, n_times) for one member at `times`.

    The member at time t shows what the speaker said up to t - delay, never later speech;
    before the speech starts they are at rest. The prediction for time t_k is reached one hop
    later, so the curve between predictions only uses predictions already made.
    """
    heard = times - member.delay_s
    hop = times[1] - times[0] if len(times) > 1 else 1.0
    # One interpolation of the (fractional) prediction index serves every emotion at once.
    pos = np.interp(heard, times + hop, np.arange(len(times), dtype=np.float64))
    low = np.floor(pos).astype(int)
    high = np.minimum(low + 1, len(times) - 1)
    frac = (pos - low)[:, None]
    delayed = (probs[low] * (1.0 - frac) + probs[high] * frac) * np.asarray(member.emotion_gain)[:len(table)]
    values = (delayed @ table).T * (member.intensity * strength) * np.asarray(member.key_gain)[:, None]
    if jitter > 0 and values.size:
        rng = np.random.default_rng(member.rng_seed)
        noise = rng.normal(0.0, jitter, values.shape)
        # Smooth over three keys so the jitter reads as life, not flicker.
        noise = _smooth3(noise)
        values = values * (1.0 + noise)
    if idle > 0 and values.size:
        # Idle life: each key sways slowly (every 3-10 s) by up to `idle`, even when nothing is said.
        rng = np.random.default_rng([member.rng_seed, 11])
        freq = rng.uniform(0.1, 0.33, (len(values), 1))
        phase = rng.uniform(0, 2 * np.pi, (len(values), 1))
        values = values + idle * 0.5 * (1 - np.cos(2 * np.pi * freq * times[None] + phase))
    return np.clip(values, 0.0, 1.0)


def _smooth3(noise: np.ndarray) -> np.ndarray:
    """(noise + its neighbour before + its neighbour after) / 3 along each row, wrapping around: what
    (noise + np.roll(noise, 1, axis=1) + np.roll(noise, -1, axis=1)) / 3 gives, without the rolled copies."""
    out = np.empty_like(noise)
    np.add(noise[:, 1:], noise[:, :-1], out=out[:, 1:])
    np.add(noise[:, :1], noise[:, -1:], out=out[:, :1])
    out[:, :-1] += noise[:, 1:]
    out[:, -1:] += noise[:, :1]
    out /= 3
    return out


# A re-run asks again for every face: the same, read-only. 1,024 members of an hour's speech hold 60 MB.
@lru_cache(maxsize=1024)
def blinks(duration_s: float, member: Temperament, fps: float) -> tuple:
    """(frames from the start, values) of this member's blinks: closed for about 0.1 s every 2-6 s."""
    rng = np.random.default_rng([member.rng_seed, 7])
    first = rng.uniform(0.3, 3.0)
    # Blinks start at first, then every 2-6 s: drawn at once (the same numbers as one draw per blink), enough for
    # the longest run of 2 s gaps, and summed in order.
    gaps = rng.uniform(2.0, 6.0, int(max(duration_s, 0.0) // 2.0) + 2)
    t = np.cumsum(np.concatenate([[first], gaps]))
    starts = t[:np.argmin(t + 0.3 < duration_s)]  # up to the first that does not fit (t only grows)
    shape_t = np.array([0.0, 0.08, 0.2, 0.3])  # open, closed, half open, open
    shape_v = np.array([0.0, 1.0, 0.3, 0.0])
    frames = np.ceil((starts[:, None] + shape_t) * fps - 1e-6).ravel()
    values = np.tile(shape_v, len(starts))
    frames, index = np.unique(frames, return_index=True)  # at low frame rates two points may share a frame
    values = values[index]
    frames.flags.writeable = values.flags.writeable = False
    return frames, values


# How the crowd's mood is read from the speaker's probabilities (measured by bench/fidelity.py on held-out voices).
FULL_AT = 2.0   # an emotion shows fully once it is this many times as likely as chance (after the contrast)
MARGIN = 0.15   # another emotion leads only once its evidence is this much ahead (README: What the crowd shows)
RUNNER_UP = 0.3  # emotions that do not lead still show, this much of their evidence
AT_REST = 0.05  # a mood weaker than this shows no emotion: the crowd at its rest face (pictures, measures)


def crowd_mood(probs: np.ndarray, hop_s: float, contrast: float = 4.0, hold_s: float = 2.0) -> np.ndarray:
    """The crowd's mood (n, 8): how much of each emotion's expression the crowd shows, 0 to 1.

    The model's probabilities are calibrated, so they are honest and flat: the likeliest emotion often has only
    0.2-0.35 of 1. What a crowd can show is how far each emotion stands out from chance:
    - neutral is the rest face: 1 - p(neutral), against chance, says how much the crowd shows at all, and the
      other seven, renormalised, say what;
    - an emotion shows in proportion to how far it lies above chance among those seven, fully at FULL_AT times
      chance, after `contrast` sharpens them (raised to that power and renormalised): 1 shows the model's own
      small leads as small, higher shows them clearly, and emotions at or below chance never show;
    - `hold_s`: that evidence is averaged over about this many seconds (causal), and the crowd's leading emotion
      changes only when another's evidence is ahead by MARGIN, so the crowd is calm between changes; the
      others show RUNNER_UP of theirs.
    The speaker's emotion at time t only ever moves the crowd at t or later.
    """
    p = np.asarray(probs, dtype=np.float64)
    n, k = p.shape
    out = np.zeros((n, k))
    if n == 0:
        return out
    neutral = EMOTIONS.index("neutral")
    others = [i for i in range(k) if i != neutral]
    activity = np.clip((1.0 - p[:, neutral]) / (1.0 - 1.0 / k), 0.0, 1.0)
    q = p[:, others] / np.maximum(p[:, others].sum(axis=1, keepdims=True), 1e-12)
    q = np.maximum(q, 1e-12) ** max(contrast, 1e-3)
    q /= q.sum(axis=1, keepdims=True)
    chance = 1.0 / len(others)
    evidence = np.clip((q - chance) / ((FULL_AT - 1.0) * chance), 0.0, 1.0) * activity[:, None]
    evidence[evidence < 1e-9] = 0.0  # chance itself, give or take rounding, shows nothing
    if hold_s > 0 and hop_s > 0:
        alpha = 1.0 - np.exp(-hop_s / hold_s)
        for i in range(1, n):
            evidence[i] = evidence[i - 1] + alpha * (evidence[i] - evidence[i - 1])
    lead = int(np.argmax(evidence[0]))
    for i in range(n):
        best = int(np.argmax(evidence[i]))
        if evidence[i, best] > evidence[i, lead] + MARGIN:
            lead = best
        row = evidence[i] * RUNNER_UP
        row[lead] = evidence[i, lead]
        out[i, others] = row
    return out
