"""Speech features: computed once over the whole signal, then pooled per window.

Frame-level features come from one STFT of the signal; each prediction window only
sums precomputed frames (cumulative sums), so the cost does not grow with overlap.
"""
from __future__ import annotations

import numpy as np

# Bumped whenever the numbers a model was trained on would change.
FEATURE_VERSION = 2

SAMPLE_RATE = 22050
N_FFT = 1024
HOP = 512  # 23.2 ms per frame at 22,050 Hz
N_MELS = 64
N_MFCC = 20
# A frame counts as speech when it is above this absolute level and within
# SPEECH_RANGE_DB of the loudest frame of the recording.
SILENCE_DB = -50.0
SPEECH_RANGE_DB = 40.0

_TRACK_NAMES = ["rms_db", "zcr", "centroid", "bandwidth", "rolloff", "flatness", *[f"contrast{i}" for i in range(7)],
                "log_f0"]
FRAME_NAMES = (
    [f"mfcc{i}" for i in range(N_MFCC)]
    + [f"dmfcc{i}" for i in range(N_MFCC)]
    + _TRACK_NAMES
    + [f"d{n}" for n in _TRACK_NAMES]  # causal deltas of level, spectral shape and pitch too
)
POOLED_NAMES = [f"{n}_mean" for n in FRAME_NAMES] + [f"{n}_std" for n in FRAME_NAMES] + ["speech_fraction"]


CHUNK_S = 60.0        # audio analysed per piece: memory stays flat however long the speech
CONTEXT_FRAMES = 16   # frames of left context per piece, for the deltas


def frame_features(y: np.ndarray, sr: int = SAMPLE_RATE) -> tuple[np.ndarray, np.ndarray]:
    """Return (features [n_frames, n_feat] float32, speech mask [n_frames] bool).

    Frame i covers samples [i*HOP, i*HOP + N_FFT). Long signals are analysed in pieces of
    CHUNK_S with a little left context; the result is the same frames as in one piece.
    """
    if sr != SAMPLE_RATE:
        raise ValueError(f"expected {SAMPLE_RATE} Hz audio, got {sr} Hz")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError("expected mono audio (one channel)")
    if len(y) < N_FFT:
        y = np.pad(y, (0, N_FFT - len(y)))
    n_total = 1 + (len(y) - N_FFT) // HOP
    chunk = int(CHUNK_S * sr) // HOP * HOP
    pieces = []
    for start in range(0, n_total * HOP, chunk):
        first = max(0, start - CONTEXT_FRAMES * HOP)
        segment = y[first:start + chunk + N_FFT - HOP]
        if not np.all(np.isfinite(segment)):
            segment = np.nan_to_num(segment, nan=0.0, posinf=0.0, neginf=0.0)
        feats = _segment_features(np.ascontiguousarray(segment, dtype=np.float32), sr)
        skip = (start - first) // HOP
        pieces.append(feats[skip:skip + chunk // HOP])
    feats = np.concatenate(pieces)[:n_total]
    rms_db = feats[:, FRAME_NAMES.index("rms_db")]
    # Speech is judged against the loudest frame of the whole recording.
    speech = (rms_db > SILENCE_DB) & (rms_db > rms_db.max() - SPEECH_RANGE_DB)
    feats[~speech, FRAME_NAMES.index("log_f0")] = 0.0
    # Deltas of the non-MFCC tracks over the whole signal at once (14 rows: cheap), after the pitch
    # track is zeroed off speech, so they see exactly the frames the model sees.
    tracks = feats[:, 2 * N_MFCC:]
    feats = np.hstack([feats, _causal_delta(tracks.T).T]).astype(np.float32)
    return feats, speech


def _segment_features(y: np.ndarray, sr: int) -> np.ndarray:
    """Frame features of one piece of signal (log_f0 on every frame)."""
    import librosa  # heavy import, only when audio is analysed

    # center=False keeps frames causal: frame i only sees samples before its end.
    spec = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP, center=False))
    power = spec**2
    n = spec.shape[1]
    mel = librosa.feature.melspectrogram(S=power, sr=sr, n_mels=N_MELS)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel, ref=1.0, top_db=None), n_mfcc=N_MFCC)
    dmfcc = _causal_delta(mfcc)

    frames = np.lib.stride_tricks.sliding_window_view(y, N_FFT)[::HOP][:n]
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    rms_db = 20 * np.log10(rms + 1e-10)
    zcr = np.mean(np.abs(np.diff(np.signbit(frames), axis=1)), axis=1)

    # Spectral shape, straight from the magnitude spectrum (cheaper than librosa's one-by-one calls).
    freqs = np.fft.rfftfreq(N_FFT, 1 / sr)[:, None]
    total = spec.sum(axis=0) + 1e-10
    centroid = (freqs * spec).sum(axis=0) / total
    bandwidth = np.sqrt(((freqs - centroid) ** 2 * spec).sum(axis=0) / total)
    cum = np.cumsum(spec, axis=0)
    rolloff = freqs[np.argmax(cum >= 0.85 * cum[-1], axis=0), 0]
    flatness = np.exp(np.mean(np.log(power + 1e-10), axis=0)) / (np.mean(power, axis=0) + 1e-10)
    contrast = _contrast(spec, freqs[:, 0])

    log_f0 = _log_pitch(y, sr, n)

    feats = np.vstack(
        [
            mfcc,
            dmfcc,
            rms_db[None],
            zcr[None],
            centroid[None] / 1000.0,
            bandwidth[None] / 1000.0,
            rolloff[None] / 1000.0,
            flatness[None],
            contrast,
            log_f0[None],
        ]
    ).T
    return np.ascontiguousarray(feats, dtype=np.float32)


def _causal_delta(x: np.ndarray) -> np.ndarray:
    """Delta (9-frame regression) of each row, shifted 4 frames so frame i only uses frames up to i."""
    import librosa

    n = x.shape[1]
    if n < 9:
        return np.zeros_like(x)
    d = librosa.feature.delta(x, width=9, mode="nearest")
    # delta looks 4 frames ahead: shift it so frame i only uses frames up to i (causal).
    return np.concatenate([np.repeat(d[:, :1], 4, axis=1), d[:, :-4]], axis=1)[:, :n]


def _contrast(spec: np.ndarray, freqs: np.ndarray, n_bands: int = 6, fmin: float = 200.0,
              quantile: float = 0.02) -> np.ndarray:
    """Spectral contrast (peak minus valley in dB) per octave band, frame by frame.

    Like librosa's, but without its top_db clamp, which ties every frame to the loudest frame
    of the whole signal (so the future would change the past).
    """
    edges = [0.0] + [fmin * 2**k for k in range(n_bands)] + [freqs[-1] + 1]
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        band = spec[(freqs >= lo) & (freqs < hi)]
        k = max(1, int(round(quantile * len(band))))
        # Only the k smallest and k largest bins matter: partition instead of a full sort.
        valley = np.partition(band, k - 1, axis=0)[:k].mean(axis=0)
        peak = np.partition(band, len(band) - k, axis=0)[-k:].mean(axis=0)
        out.append(10 * np.log10(np.maximum(peak, 1e-10)) - 10 * np.log10(np.maximum(valley, 1e-10)))
    return np.array(out)


def _log_pitch(y: np.ndarray, sr: int, n_frames: int) -> np.ndarray:
    """log2 of f0 per frame (YIN on a half-rate signal: same frames, half the cost)."""
    import librosa

    half = y[::2]
    if len(half) < N_FFT // 2:
        return np.zeros(n_frames)
    f0 = librosa.yin(half, fmin=70, fmax=500, sr=sr // 2, frame_length=N_FFT // 2, hop_length=HOP // 2, center=False)
    f0 = np.pad(f0[:n_frames], (0, max(0, n_frames - len(f0))), mode="edge")
    return np.log2(f0)


def pool_windows(feats: np.ndarray, speech: np.ndarray, ends: np.ndarray, window_s: float,
                 sr: int = SAMPLE_RATE) -> np.ndarray:
    """Pool frame features over windows that end at `ends` (seconds) and last `window_s`.

    Mean and standard deviation over the speech frames in each window, plus the fraction
    of frames that are speech. Windows only use frames that end at or before their end
    time (causal). A window with no speech gets zeros and speech_fraction 0.
    """
    n, d = feats.shape
    w = speech.astype(np.float64)[:, None]
    x = feats.astype(np.float64)
    zero = np.zeros((1, d))
    cs_w = np.concatenate([[0.0], np.cumsum(w[:, 0])])
    cs_x = np.concatenate([zero, np.cumsum(x * w, axis=0)])
    cs_x2 = np.concatenate([zero, np.cumsum(x * x * w, axis=0)])
    cs_all = np.arange(n + 1, dtype=np.float64)

    # Frame i covers samples [i*HOP, i*HOP + N_FFT): a window (t - window_s, t] holds the frames
    # that start at or after t - window_s and end at or before t.
    ends = np.asarray(ends, dtype=np.float64)
    hi = np.clip(np.floor((ends * sr - N_FFT) / HOP + 1e-9).astype(int) + 1, 0, n)
    lo = np.clip(np.ceil((ends - window_s) * sr / HOP - 1e-9).astype(int), 0, n)
    lo = np.minimum(lo, hi)
    count = cs_w[hi] - cs_w[lo]
    safe = np.maximum(count, 1.0)[:, None]
    mean = (cs_x[hi] - cs_x[lo]) / safe
    var = np.maximum((cs_x2[hi] - cs_x2[lo]) / safe - mean**2, 0.0)
    frames_in = np.maximum(cs_all[hi] - cs_all[lo], 1.0)
    fraction = count / frames_in
    has = (count > 0)[:, None]
    out = np.hstack([np.where(has, mean, 0.0), np.where(has, np.sqrt(var), 0.0), fraction[:, None]])
    return out.astype(np.float32)
