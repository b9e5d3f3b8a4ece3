"""Speech features: computed once over the whole signal, then pooled per window.

Frame-level features come from one STFT of the signal; each prediction window only
sums precomputed frames (cumulative sums), so the cost does not grow with overlap.
The features are librosa's (MFCC, YIN pitch, spectral shape), written in NumPy/SciPy so that a click
needs no librosa import nor numba compile; tests/test_ml.py checks them against librosa, and the
voice-quality measures below against synthetic voices.

Everything stops at 8 kHz (the signal is 16 kHz), where phones, 16 kHz files, MP3s and EmoDB stop too.
Beside librosa's features, measures of
vocal effort and voice quality that hold across rooms and languages: spectral tilt (alpha ratio,
Hammarberg index, slope), how periodic the voice is, pitch measured on voiced frames only, and how
much pitch and level shake from one voiced frame to the next (a frame-rate jitter and shimmer), how
clearly the harmonics stand out of the breath (cepstral peak prominence) and how strong the first
harmonic is against the second (H1-H2: a breathy voice against a pressed one).
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import NamedTuple

import numpy as np

# Bumped whenever the numbers a model was trained on would change.
FEATURE_VERSION = 9  # 8: cepstral peak prominence and H1-H2; 9: both independent of the gain and bounded

# 16 kHz: phones, 16 kHz files, MP3s and EmoDB carry nothing above 8 kHz, so whatever lies higher would
# tell the microphone, not the emotion. It is also a third less signal to analyse than 22,050 Hz.
SAMPLE_RATE = 16000
N_FFT = 768
HOP = 384  # 24 ms per frame: a frame is two hops (48 ms)
N_MELS = 64
N_MFCC = 20
# A frame counts as speech when it is above this absolute level (digital silence and 16-bit dither, not the
# quiet consonants of a speech recorded with its peaks at -30 dBFS) and within SPEECH_RANGE_DB of the recording's loud
# sounds: its LOUD_PERCENTILE-th percentile frame among those above the noise floor, not its loudest frame, so a
# door slam, a cough or a glass knocked over does not make the speech around it silence.
SILENCE_DB = -100.0
SPEECH_RANGE_DB = 40.0
LOUD_PERCENTILE = 95
# ...and this far above the recording's noise floor (its quietest frames): on a home recording's hiss, the
# pauses are not speech.
NOISE_MARGIN_DB = 10.0
NOISE_FLOOR_PERCENTILE = 5
# Below this the signal is removed before any analysis: a DC offset or rumble is the microphone, not the voice.
HIGH_PASS_HZ = 50.0
# A speech frame is voiced when YIN's aperiodicity at the chosen period is below this (librosa.pyin's
# voicing agreed best at 0.45 on RAVDESS and EmoDB).
VOICING = 0.45

N_CONTRAST = 6  # octave bands from 200 Hz up to 6.4 kHz, and the band below 200 Hz
_TRACK_NAMES = ["rms_db", "zcr", "centroid", "bandwidth", "rolloff", "flatness",
                *[f"contrast{i}" for i in range(N_CONTRAST)],
                "alpha_ratio", "hammarberg", "slope", "periodicity", "voiced", "onset", "log_f0",
                "jitter", "shimmer", "cpp", "h1h2"]
FRAME_NAMES = (
    [f"mfcc{i}" for i in range(N_MFCC)]
    + [f"dmfcc{i}" for i in range(N_MFCC)]
    + _TRACK_NAMES
    + [f"d{n}" for n in _TRACK_NAMES]  # causal deltas of level, spectral shape and pitch too
)
POOLED_NAMES = [f"{n}_mean" for n in FRAME_NAMES] + [f"{n}_std" for n in FRAME_NAMES] + ["speech_fraction"]
# Pitch, and what is measured at the pitch, is pooled over voiced frames only: elsewhere YIN's period is noise.
VOICED_NAMES = ("log_f0", "dlog_f0", "jitter", "shimmer", "djitter", "dshimmer", "cpp", "dcpp", "h1h2", "dh1h2")


CHUNK_S = 30.0   # at most this much signal is analysed at once: memory stays flat however long the speech
DELTA_WIDTH = 9  # frames in the regression behind each delta (as librosa.feature.delta's default)
# Samples beyond this (80 dB over full scale) are clipped to it: a float file at 1e30 would overflow the
# spectra. Below it the level does not matter (the features are relative to the speaker's own voice).
LIMIT = 1e4


class Frames(NamedTuple):
    feats: np.ndarray    # [n_frames, len(FRAME_NAMES)] float32
    speech: np.ndarray   # [n_frames] bool
    n_samples: int       # samples analysed
    voiced: np.ndarray   # [n_frames] bool: speech frames with a clear pitch
    clipped: int = 0     # samples beyond LIMIT (a broken float file), clipped to it
    not_finite: int = 0  # NaN/inf samples, analysed as silence
    peak: float = 0.0    # the largest finite magnitude before clipping


def frame_features(signal, sr: int = SAMPLE_RATE, threads: int = 2) -> Frames:
    """Frame features of a mono signal: one array, or consecutive pieces of it (a decoder's stream).

    Frame i covers samples [i*HOP, i*HOP + N_FFT). The signal is analysed a piece at a time; the
    frames are the same whatever the pieces, since each frame only needs its own samples. Pieces are
    analysed by `threads` worker threads (NumPy releases the GIL) while this thread reads the next
    piece from the stream, so decoding overlaps the analysis.
    """
    if sr != SAMPLE_RATE:
        raise ValueError(f"expected {SAMPLE_RATE} Hz audio, got {sr} Hz")
    blocks, pending, n_samples = [], deque(), 0
    tail = np.zeros(0, dtype=np.float32)
    odd = {"clipped": 0, "not_finite": 0, "peak": 0.0}
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for piece in _pieces(signal, int(CHUNK_S * sr), odd, sr):
            n_samples += len(piece)
            buf = np.concatenate([tail, piece])
            n = 0 if len(buf) < N_FFT else 1 + (len(buf) - N_FFT) // HOP
            if n:
                pending.append(pool.submit(_local_features, buf[:(n - 1) * HOP + N_FFT], sr))
            tail = buf[n * HOP:]
            while len(pending) > threads:  # a few pieces in flight: memory stays bounded
                blocks.append(pending.popleft().result())
        blocks.extend(f.result() for f in pending)
    if not blocks:  # shorter than one frame: zero-padded to one
        blocks.append(_local_features(np.pad(tail, (0, N_FFT - len(tail))), sr))
    # Columns: mfcc, their deltas, tracks, their deltas; filled in place (an hour is 155,000 frames).
    n, n_tracks = sum(len(b) for b in blocks), len(_TRACK_NAMES)
    feats = np.empty((n, len(FRAME_NAMES)), dtype=np.float32)
    mfcc, dmfcc = feats[:, :N_MFCC], feats[:, N_MFCC:2 * N_MFCC]
    tracks, dtracks = feats[:, 2 * N_MFCC:2 * N_MFCC + n_tracks], feats[:, 2 * N_MFCC + n_tracks:]
    row = 0
    while blocks:
        block = blocks.pop(0)
        mfcc[row:row + len(block)], tracks[row:row + len(block)] = block[:, :N_MFCC], block[:, N_MFCC:]
        row += len(block)
    track = {name: tracks[:, i] for i, name in enumerate(_TRACK_NAMES)}
    rms_db = track["rms_db"]
    # Speech is judged against the recording's loud sounds and against its noise floor, the floor measured where
    # there is any sound at all: a stretch of digital silence (a lead-in, a pause cut clean) is not a quiet room.
    audible = rms_db > SILENCE_DB
    floor = np.percentile(rms_db[audible], NOISE_FLOOR_PERCENTILE) if audible.any() else 0.0
    sound = audible & (rms_db > floor + NOISE_MARGIN_DB)
    loud = np.percentile(rms_db[sound], LOUD_PERCENTILE) if sound.any() else 0.0
    speech = sound & (rms_db > loud - SPEECH_RANGE_DB)
    voiced = speech & (track["periodicity"] > 1.0 - VOICING)
    track["voiced"][:] = voiced
    track["onset"][:] = voiced & ~np.concatenate([[False], voiced[:-1]])  # a voiced stretch begins: a syllable
    # Frame-to-frame change of pitch and level between voiced neighbours (micro-prosody: a shaky, creaky voice).
    pair = voiced & np.concatenate([[False], voiced[:-1]])
    track["jitter"][1:] = np.abs(np.diff(track["log_f0"]))
    track["shimmer"][1:] = np.abs(np.diff(rms_db))
    track["jitter"][~pair] = 0.0
    track["shimmer"][~pair] = 0.0
    _hold_voiced_pitch(track["log_f0"], voiced)
    # Deltas over all frames at once, after the pitch is held through unvoiced frames: they see what the model sees.
    dmfcc[:] = _causal_delta(mfcc)
    dtracks[:] = _causal_delta(tracks)
    return Frames(feats, speech, n_samples, voiced, odd["clipped"], odd["not_finite"], odd["peak"])


def _hold_voiced_pitch(log_f0: np.ndarray, voiced: np.ndarray) -> None:
    """In place: each unvoiced frame keeps the last voiced frame's pitch, so the pitch deltas do not jump.

    Frames before the first voiced one take its pitch: only unvoiced frames, which pitch pooling skips,
    see a later value, and a voiced frame's delta never reaches past itself.
    """
    if not voiced.any():
        log_f0[:] = 0.0
        return
    last = np.where(voiced, np.arange(len(log_f0)), np.argmax(voiced))
    np.maximum.accumulate(last, out=last)
    log_f0[:] = log_f0[last]


def high_pass(sr: int = SAMPLE_RATE):
    """A function that high-passes consecutive pieces of one signal (its state carried from piece to piece)."""
    from scipy.signal import butter, sosfilt, sosfilt_zi

    sos = butter(2, HIGH_PASS_HZ, "highpass", fs=sr, output="sos")
    state = sosfilt_zi(sos) * 0.0

    def apply(piece: np.ndarray) -> np.ndarray:
        nonlocal state
        out, state = sosfilt(sos, piece, zi=state)
        return out.astype(np.float32)

    return apply


def _pieces(signal, most: int, odd: dict, sr: int):
    """Mono float32 pieces of at most `most` samples, non-finite values zeroed, values beyond LIMIT clipped to
    it (`odd` counts both), high-passed."""
    filtered = high_pass(sr)
    for piece in (signal,) if isinstance(signal, np.ndarray) else signal:
        piece = np.asarray(piece)
        if piece.ndim != 1:
            raise ValueError("expected mono audio (one channel)")
        for start in range(0, len(piece), most):
            part = np.asarray(piece[start:start + most], dtype=np.float32)
            finite = np.isfinite(part)
            if not finite.all():
                odd["not_finite"] += int(len(part) - np.count_nonzero(finite))
                part = np.where(finite, part, np.float32(0.0))
            peak = float(np.max(np.abs(part))) if len(part) else 0.0
            odd["peak"] = max(odd["peak"], peak)
            if peak > LIMIT:
                odd["clipped"] += int(np.count_nonzero(np.abs(part) > LIMIT))
                part = np.clip(part, -LIMIT, LIMIT)
            yield filtered(part)


@lru_cache(maxsize=None)
def _constants(sr: int) -> tuple:
    """Hann window, bin frequencies, Slaney mel filterbank and DCT-II matrix (librosa's defaults)."""
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
    freqs = np.fft.rfftfreq(N_FFT, 1 / sr)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2), N_MELS + 2))
    ramps = mel_f[:, None] - freqs[None, :]
    fdiff = np.diff(mel_f)[:, None]
    mel = np.maximum(0, np.minimum(-ramps[:-2] / fdiff[:-1], ramps[2:] / fdiff[1:]))
    mel *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]  # Slaney: equal energy per band
    k, m = np.arange(N_MFCC)[:, None], np.arange(N_MELS)[None, :]
    dct = np.sqrt(2.0 / N_MELS) * np.cos(np.pi * k * (2 * m + 1) / (2 * N_MELS))
    dct[0] /= np.sqrt(2.0)  # orthonormal DCT-II
    return window, freqs, mel.T.astype(np.float32), dct.T.astype(np.float32)


def _hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), f * 3 / 200)


def _mel_to_hz(m):
    return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), m * 200 / 3)


def _local_features(y: np.ndarray, sr: int) -> np.ndarray:
    """[mfcc, tracks] of every whole frame of y: values that depend on the frame's own samples only."""
    from scipy import fft

    window, freqs, mel_basis, dct = _constants(sr)
    frames = np.lib.stride_tricks.sliding_window_view(y, N_FFT)[::HOP]
    spec = np.abs(fft.rfft(frames * window, axis=1))
    power = spec**2
    mfcc = (10.0 * np.log10(np.maximum(power @ mel_basis, 1e-10))) @ dct

    # Level and zero crossings from each hop's sums (a frame is two hops): no copy of the overlapping frames.
    starts = np.arange(len(frames)) * HOP
    hops = y[:(len(frames) + 1) * HOP].reshape(-1, HOP)
    energy = np.einsum("ij,ij->i", hops, hops, dtype=np.float64)
    rms_db = 10 * np.log10((energy[:-1] + energy[1:]) / N_FFT + 1e-20)
    signs = np.signbit(hops).ravel()
    flips = np.zeros(len(signs), dtype=bool)  # flips[i]: the sign changes from sample i to i + 1
    np.not_equal(signs[1:], signs[:-1], out=flips[:-1])
    per_hop = flips.reshape(-1, HOP).sum(axis=1)
    # A frame's N_FFT samples have N_FFT - 1 neighbours: its two hops' flips but the one out of its last sample.
    zcr = (per_hop[:-1] + per_hop[1:] - flips[starts + N_FFT - 1]) / (N_FFT - 1)

    total = spec.sum(axis=1) + 1e-10
    centroid = spec @ freqs / total
    bandwidth = np.sqrt(np.einsum("nf,nf->n", (freqs[None, :] - centroid[:, None]) ** 2, spec) / total)
    cum = np.cumsum(np.ascontiguousarray(spec.T), axis=0)  # along bins, all frames at once
    rolloff = freqs[np.argmax(cum >= 0.85 * cum[-1:], axis=0)]
    flatness = np.exp(np.mean(np.log(power + 1e-10), axis=1)) / (np.mean(power, axis=1) + 1e-10)
    log_f0, periodicity = _pitch(y, sr, len(frames))
    zeros = np.zeros(len(frames))  # voiced, onset, jitter, shimmer: filled once the recording's speech is known
    tracks = [rms_db, zcr, centroid / 1000.0, bandwidth / 1000.0, rolloff / 1000.0, flatness,
              *_contrast(spec, freqs), *_tilt(power, freqs), periodicity, zeros, zeros, log_f0, zeros, zeros,
              _cepstral_peak(power, sr), _h1_h2(spec, freqs, log_f0)]
    return np.column_stack([mfcc, *tracks]).astype(np.float32)


def _cepstral_peak(power: np.ndarray, sr: int, fmin: float = 60.0, fmax: float = 500.0) -> np.ndarray:
    """Cepstral peak prominence (dB): how far the cepstrum's peak among the pitch periods stands above the
    cepstrum's trend line. Harmonics that stand clear of the breath and noise between them give a high peak; a
    breathy, whispered or strained voice a low one. It needs no pitch track and holds across languages.

    The periods searched reach a little below YIN's 70 Hz, so a deep voice's peak is found rather than missed. The
    spectrum's floor is 100 dB under the frame's strongest bin, not an absolute level, so the gain hardly moves it."""
    from scipy import fft

    half = N_FFT // 2
    floor = 1e-10 * power.max(axis=1, keepdims=True) + 1e-30
    # The real cepstrum of the spectrum in dB: the inverse FFT of a real, even spectrum is its DCT-I (half the cost).
    cepstrum = np.abs(fft.dct(10 * np.log10(power + floor), type=1, axis=1)[:, :half]) / N_FFT
    db = 20 * np.log10(cepstrum + 1e-10)
    lo, hi = int(sr / fmax), int(np.ceil(sr / fmin)) + 1
    # The trend: a straight line over the quefrencies from the highest pitch's period up.
    q = np.arange(lo, half, dtype=np.float64)
    centred = q - q.mean()
    slope = db[:, lo:] @ centred / (centred @ centred)
    intercept = db[:, lo:].mean(axis=1) - slope * q.mean()
    peak = lo + np.argmax(db[:, lo:hi], axis=1)
    return db[np.arange(len(db)), peak] - (intercept + slope * peak)


def _h1_h2(spec: np.ndarray, freqs: np.ndarray, log_f0: np.ndarray) -> np.ndarray:
    """The first harmonic's level against the second's (dB), each the strongest bin within one bin of where YIN's
    pitch puts it: high in a breathy voice, low in a pressed one (a bin is 21 Hz, so rough for low voices). A
    harmonic more than 60 dB under the frame's strongest bin counts as 60 dB under: a voice's first two harmonics
    are never further apart, a pure tone's (a censor's bleep) would read 160 dB."""
    rows, step = np.arange(len(spec)), freqs[1]
    floor = 1e-3 * spec.max(axis=1) + 1e-20

    def harmonic(n):
        at = np.clip(np.rint(n * 2.0**log_f0 / step).astype(int), 1, spec.shape[1] - 2)
        return np.maximum(np.maximum(spec[rows, at - 1], spec[rows, at]), np.maximum(spec[rows, at + 1], floor))

    return 20 * np.log10(harmonic(1)) - 20 * np.log10(harmonic(2))


def _tilt(power: np.ndarray, freqs: np.ndarray) -> list:
    """Vocal effort as the spectrum's tilt (eGeMAPS' measures), all below 5 kHz, in dB.

    alpha ratio: energy 1-5 kHz against 50 Hz-1 kHz; Hammarberg index: strongest bin below 2 kHz against
    the strongest in 2-5 kHz; slope: regression of the log spectrum over 0-5 kHz (dB per kHz).
    """
    db = lambda v: 10 * np.log10(v + 1e-10)
    low, mid = (freqs >= 50) & (freqs < 1000), (freqs >= 1000) & (freqs < 5000)
    alpha = db(power[:, mid].sum(axis=1)) - db(power[:, low].sum(axis=1))
    hammarberg = db(power[:, freqs < 2000].max(axis=1)) - db(power[:, mid & (freqs >= 2000)].max(axis=1))
    under = freqs < 5000
    khz = freqs[under] / 1000.0 - (freqs[under] / 1000.0).mean()
    slope = db(power[:, under]) @ khz / (khz @ khz)  # centred frequencies: the level drops out
    return [alpha, hammarberg, slope]


def _causal_delta(x: np.ndarray) -> np.ndarray:
    """Slope of a 9-frame regression per column, over frames i-8..i, so frame i never sees the future.

    librosa.feature.delta's formula, shifted back by half its width; frames before the first repeat it.
    """
    half = DELTA_WIDTH // 2
    padded = np.concatenate([np.repeat(x[:1], 2 * half, axis=0), x])
    n = len(x)
    out = np.zeros(x.shape, dtype=np.float32)
    for k in range(1, half + 1):
        out += k * (padded[half + k:half + k + n] - padded[half - k:half - k + n])
    return out / (2 * sum(k * k for k in range(1, half + 1)))


def _contrast(spec: np.ndarray, freqs: np.ndarray, n_bands: int = N_CONTRAST - 1, fmin: float = 200.0,
              quantile: float = 0.02) -> list:
    """Spectral contrast (peak minus valley in dB) per octave band, frame by frame.

    Like librosa's, but without its top_db clamp, which ties every frame to the loudest frame
    of the whole signal (so the future would change the past), and without the band above 6.4 kHz,
    which mostly tells how the sound was recorded.
    """
    edges = [0.0] + [fmin * 2**k for k in range(n_bands + 1)]
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        band = spec[:, (freqs >= lo) & (freqs < hi)]
        width = band.shape[1]
        k = max(1, int(round(quantile * width)))
        if k == 1:
            valley, peak = band.min(axis=1), band.max(axis=1)
        else:  # only the k smallest and k largest bins matter: one partition, not a sort
            parted = np.partition(band, [k - 1, width - k], axis=1)
            valley, peak = parted[:, :k].mean(axis=1), parted[:, -k:].mean(axis=1)
        out.append(10 * np.log10(np.maximum(peak, 1e-10)) - 10 * np.log10(np.maximum(valley, 1e-10)))
    return out


def _pitch(y: np.ndarray, sr: int, n_frames: int, fmin: float = 70.0, fmax: float = 500.0,
           threshold: float = 0.1) -> tuple:
    """(log2 of f0, periodicity) per frame: YIN (as librosa.yin) on a half-rate signal, same frames, half
    the cost. Periodicity is 1 minus YIN's aperiodicity at the chosen period (1: a pure tone)."""
    from scipy import fft

    # Half rate by averaging pairs of samples: a gentle low-pass, so little of the top octave folds down.
    m = len(y) // 2
    half, rate, length = 0.5 * (y[0:2 * m:2] + y[1:2 * m:2]), sr / 2, N_FFT // 2
    if len(half) < length:
        return np.zeros(n_frames), np.zeros(n_frames)
    frames = np.lib.stride_tricks.sliding_window_view(half, length)[::HOP // 2][:n_frames]
    lo, hi = int(np.floor(rate / fmax)), min(int(np.ceil(rate / fmin)), length - 1)
    # Difference function from the autocorrelation: d(k) = 2 (r(0) - r(k)) - sum of the first k squares.
    size = fft.next_fast_len(length + hi, real=True)  # long enough that no lag up to hi wraps around
    spectrum = fft.rfft(frames, n=size, axis=1)
    acf = fft.irfft(spectrum.real**2 + spectrum.imag**2, n=size, axis=1)[:, :hi + 1]
    energy = np.cumsum(frames[:, :hi] ** 2, axis=1)
    energy[:, 0] = 0.0  # as librosa, which overwrites this term before using it
    diff = 2 * (acf[:, :1] - acf[:, 1:]) - energy
    # Cumulative mean normalised difference over the periods fmax..fmin.
    mean = np.cumsum(diff, axis=1) / np.arange(1, hi + 1)
    cmnd = diff[:, lo - 1:] / (mean[:, lo - 1:hi] + np.finfo(np.float32).tiny)
    # The first trough under the threshold, else the global minimum.
    prev = np.concatenate([cmnd[:, :1], cmnd[:, :-1]], axis=1)
    after = np.concatenate([cmnd[:, 1:], cmnd[:, -1:]], axis=1)
    trough = (cmnd < prev) & (cmnd <= after)
    trough[:, 0] = cmnd[:, 0] < cmnd[:, 1]
    below = trough & (cmnd < threshold)
    period = np.where(below.any(axis=1), np.argmax(below, axis=1), np.argmin(cmnd, axis=1))
    # Parabolic refinement around the chosen period (none at the ends, or when it would move over a bin).
    rows, p = np.arange(len(cmnd)), np.clip(period, 1, cmnd.shape[1] - 2)
    a = cmnd[rows, p + 1] + cmnd[rows, p - 1] - 2 * cmnd[rows, p]
    b = (cmnd[rows, p + 1] - cmnd[rows, p - 1]) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(np.abs(b) >= np.abs(a), 0.0, -b / a)
    shift[(period == 0) | (period == cmnd.shape[1] - 1)] = 0.0
    f0 = rate / (lo + period + shift)
    periodicity = 1.0 - np.clip(cmnd[rows, period], 0.0, 1.0)
    pad = (0, max(0, n_frames - len(f0)))
    return np.log2(np.pad(f0, pad, mode="edge")), np.pad(periodicity, pad, mode="edge")


def pool(frames: Frames, ends: np.ndarray, window_s: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """POOLED_NAMES per window: everything over the speech frames, pitch over the voiced ones."""
    out = pool_windows(frames.feats, frames.speech, ends, window_s, sr)
    cols = [FRAME_NAMES.index(n) for n in VOICED_NAMES]
    voiced = pool_windows(frames.feats[:, cols], frames.voiced, ends, window_s, sr)
    d, k = len(FRAME_NAMES), len(cols)
    out[:, cols], out[:, [d + c for c in cols]] = voiced[:, :k], voiced[:, k:2 * k]
    return out


def pool_windows(feats: np.ndarray, speech: np.ndarray, ends: np.ndarray, window_s: float,
                 sr: int = SAMPLE_RATE) -> np.ndarray:
    """Pool frame features over windows that end at `ends` (seconds) and last `window_s`.

    Mean and standard deviation over the speech frames in each window, plus the fraction
    of frames that are speech. Windows only use frames that end at or before their end
    time (causal). A window with no speech gets zeros and speech_fraction 0.
    """
    n, d = feats.shape
    # Frame i covers samples [i*HOP, i*HOP + N_FFT): a window (t - window_s, t] holds the frames
    # that start at or after t - window_s and end at or before t.
    ends = np.asarray(ends, dtype=np.float64)
    hi = np.clip(np.floor((ends * sr - N_FFT) / HOP + 1e-9).astype(int) + 1, 0, n)
    lo = np.minimum(np.clip(np.ceil((ends - window_s) * sr / HOP - 1e-9).astype(int), 0, n), hi)
    out = np.zeros((len(ends), 2 * d + 1), dtype=np.float32)
    # Running sums over a block of windows at a time: float64 copies of an hour's frames would not be small.
    for s in range(0, len(ends), 256):
        a, b = lo[s:s + 256], hi[s:s + 256]
        if not len(a):
            break
        first, last = a.min(), b.max()
        w = speech[first:last].astype(np.float64)[:, None]
        x = feats[first:last].astype(np.float64) * w
        zero = np.zeros((1, d))
        cs_w = np.concatenate([[0.0], np.cumsum(w[:, 0])])
        cs_x = np.concatenate([zero, np.cumsum(x, axis=0)])
        x *= feats[first:last]
        cs_x2 = np.concatenate([zero, np.cumsum(x, axis=0)])
        a, b = a - first, b - first
        count = cs_w[b] - cs_w[a]
        safe = np.maximum(count, 1.0)[:, None]
        mean = (cs_x[b] - cs_x[a]) / safe
        var = np.maximum((cs_x2[b] - cs_x2[a]) / safe - mean**2, 0.0)
        has = (count > 0)[:, None]
        block = out[s:s + len(a)]
        block[:, :d] = np.where(has, mean, 0.0)
        block[:, d:2 * d] = np.where(has, np.sqrt(var), 0.0)
        block[:, -1] = count / np.maximum(b - a, 1)
    return out
