"""Each audience member reacts with their own delay, intensity and a little jitter: never in lockstep."""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class Temperament:
    delay_s: float      # how long after the speech this member reacts
    intensity: float    # how strongly
    key_gain: tuple     # per shape key, so two members do not pull the same face
    rng_seed: int       # for the jitter


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
    delayed = probs[low] * (1.0 - frac) + probs[high] * frac
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
    return frames, values[index]


def shape_mood(probs: np.ndarray, hop_s: float, contrast: float = 1.0, hold_s: float = 0.0) -> np.ndarray:
    """The crowd's mood from the speaker's probabilities.

    contrast > 1 makes the crowd more decisive (probabilities raised to that power, renormalised),
    < 1 more mixed. hold_s: a new dominant emotion must last this long before the crowd follows
    (causal: the crowd keeps its previous mood meanwhile).
    """
    out = np.asarray(probs, dtype=np.float64)
    if contrast != 1.0:
        out = out ** max(contrast, 1e-3)
        out /= np.maximum(out.sum(axis=1, keepdims=True), 1e-12)
    steps = int(round(hold_s / hop_s)) if hop_s > 0 else 0
    if steps > 0 and len(out):
        held = out.copy()
        mood, pending = int(np.argmax(out[0])), 0
        for i in range(1, len(out)):
            label = int(np.argmax(out[i]))
            if label == mood:
                pending = 0
            else:
                pending += 1
                if pending < steps:
                    held[i] = held[i - 1]
                    continue
                mood, pending = label, 0
        out = held
    return out
