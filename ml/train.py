"""python -m ml.train DATA_DIR --out models/: train the emotion model, evaluated with speakers held out.

Evaluation: GroupKFold on speaker (no actor in both train and test), reported per 0.5 s window and
per clip (mean of its windows' probabilities). Features are normalised per recording (ml/speaker.py);
held-out speakers are scored as one recording each (as the add-on hears a strip) and clip by clip
(as `ml.predict` hears a short file). With --search the parameters are chosen inside each training
fold; --augment is kept only if it raises held-out UA.
The shipped model is then trained on every speaker.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import zlib

import numpy as np

from . import audio, features
from .audio import AudioError, load
from .datasets import LOADERS, load_corpus
from .model import EMOTIONS, write_model
from .speaker import recording
from .timeline import FULL_SPEECH_FRACTION, prediction_times

# Windows the population's statistics count as in a recording's normalisation (10 s of speech).
PRIOR_WINDOWS = 20
# How a training voice is heard, in clips per recording: all 60 as one (0), about 30 s parts, each clip
# alone. Held-out clip UA, recording / clip alone: all only 0.609 / 0.456; all + alone 0.611 / 0.512;
# all + parts + alone 0.611 / 0.509 and 0.573 on 30 s recordings (0.555 with all only).
RECORDING_PARTS = (0, 8, 1)
# Searched inside the training folds with --search.
GRID = [{"max_depth": d, "colsample_bytree": c} for d in (3, 5) for c in (0.3, 0.6)]

DEFAULT_PARAMS = {
    "n_estimators": 400, "max_depth": 4, "learning_rate": 0.05, "subsample": 0.8,
    "colsample_bytree": 0.5, "min_child_weight": 2, "tree_method": "hist",
}


# Any edit to the decoding or feature code invalidates cached features, not just a version bump.
_code = hashlib.sha1()
for _module in (features, audio):
    with open(_module.__file__, "rb") as _f:
        _code.update(_f.read())
FEATURE_CODE = _code.hexdigest()[:12]


AUGMENTATIONS = ("noise", "pitch")


def clip_windows(path: str, window_s: float, hop_s: float, cache_dir: str | None, augment: str = "") -> np.ndarray:
    """Pooled features of the windows of one clip that hold enough speech (cached as .npy, no pickle).

    augment: "" for the clip as recorded; "noise" adds white noise at 20 dB SNR; "pitch" shifts the voice
    up or down a semitone (chosen per clip, seeded by its name, so runs repeat).
    """
    stat = os.stat(path)
    key = f"{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}|{FEATURE_CODE}|{window_s}|{hop_s}|{augment}"
    cache_file = None
    if cache_dir:
        cache_file = os.path.join(cache_dir, hashlib.sha1(key.encode()).hexdigest() + ".npy")
        if os.path.exists(cache_file):
            return np.load(cache_file, allow_pickle=False)
    y = load(path, features.SAMPLE_RATE)
    if augment:
        rng = np.random.default_rng(zlib.crc32(os.path.basename(path).encode()))
        if augment == "noise":
            power = np.mean(y.astype(np.float64) ** 2)
            y = y + rng.normal(0.0, np.sqrt(power / 100.0), len(y)).astype(np.float32)
        elif augment == "pitch":
            import librosa

            y = librosa.effects.pitch_shift(y, sr=features.SAMPLE_RATE, n_steps=float(rng.choice([-1.0, 1.0])))
    frames = features.frame_features(y, threads=1)  # the clips themselves run in parallel processes
    times = prediction_times(frames.n_samples / features.SAMPLE_RATE, hop_s)[1:]
    x = features.pool_windows(frames.feats, frames.speech, times, window_s)
    keep = x[:, -1] >= FULL_SPEECH_FRACTION
    if len(x) and not keep.any():  # hardly any speech: its most spoken window stands for it
        keep[np.argmax(x[:, -1])] = True
    x = x[keep]  # no rows for a clip shorter than one hop
    if cache_file:
        os.makedirs(cache_dir, exist_ok=True)
        np.save(cache_file, x, allow_pickle=False)
    return x


def _windows_or_why(path, *args):
    try:
        x = clip_windows(path, *args)
    except (AudioError, OSError) as e:
        return None, f"cannot decode ({e})"
    return (x, "") if len(x) else (None, "shorter than one prediction step")


def build_dataset(clips, window_s, hop_s, cache_dir, n_jobs, augment=""):
    """(x, clip_index, clips): the windows of every clip that has any, indexed into the clips kept.

    A clip that cannot be decoded or is too short is left out with a warning, not a stop: corpora ship a
    few broken files."""
    from joblib import Parallel, delayed

    done = Parallel(n_jobs=n_jobs)(delayed(_windows_or_why)(c.path, window_s, hop_s, cache_dir, augment)
                                  for c in clips)
    kept, blocks = [], []
    for clip, (block, why) in zip(clips, done):
        if block is None:
            print(f"warning: left out {clip.path}: {why}", file=sys.stderr)
        else:
            kept.append(clip)
            blocks.append(block)
    if not blocks:
        return np.zeros((0, len(features.POOLED_NAMES)), np.float32), np.zeros(0, int), []
    x = np.vstack(blocks)
    clip_index = np.concatenate([np.full(len(b), i) for i, b in enumerate(blocks)])
    return x, clip_index, kept


def balanced_weights(y: np.ndarray) -> np.ndarray:
    counts = np.bincount(y, minlength=len(EMOTIONS)).astype(float)
    return (len(y) / (len(EMOTIONS) * np.maximum(counts, 1)))[y]


def fit(x, y, params, seed=0):
    import xgboost

    # One thread: on a busy machine XGBoost's OpenMP threads wait on each other (20x slower measured here).
    model = xgboost.XGBClassifier(**params, random_state=seed, n_jobs=1, objective="multi:softprob")
    model.fit(x, y, sample_weight=balanced_weights(y))
    return model


def scores(y_true, y_pred) -> dict:
    """Accuracy, UA and F1 over the classes the clips have (a corpus may lack some), confusion over all 8."""
    import warnings

    from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score

    present = sorted(set(np.asarray(y_true).tolist()))
    with warnings.catch_warnings():  # predictions of a class the corpus lacks are errors, counted as such
        warnings.simplefilter("ignore", UserWarning)
        ua = balanced_accuracy_score(y_true, y_pred)
    f1 = f1_score(y_true, y_pred, labels=present, average=None, zero_division=0)
    return {
        "n": int(len(y_true)),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "unweighted_average_recall": round(float(ua), 4),
        "f1": {EMOTIONS[c]: round(float(f), 4) for c, f in zip(present, f1)},
        "confusion": confusion_matrix(y_true, y_pred, labels=list(range(len(EMOTIONS)))).tolist(),
    }


class Data:
    """Windows of the corpus: features, their clip, and each clip's label and speaker."""

    def __init__(self, x, clip_index, clip_labels, clip_speakers):
        self.x, self.clip_index = x, clip_index
        self.clip_labels, self.clip_speakers = clip_labels, clip_speakers
        self.y = clip_labels[clip_index]
        self.speaker = clip_speakers[clip_index]


def recordings(data: Data, rows, clips_per_recording: int, rng) -> list:
    """Row indices of each speaker's clips grouped into recordings of that many clips (0: all of them)."""
    out = []
    for who in np.unique(data.speaker[rows]):
        mine = rows[data.speaker[rows] == who]
        clips = rng.permutation(np.unique(data.clip_index[mine]))
        step = clips_per_recording or len(clips)
        out.extend(mine[np.isin(data.clip_index[mine], clips[i:i + step])] for i in range(0, len(clips), step))
    return out


def normalised(x: np.ndarray, prior: tuple) -> np.ndarray:
    """One recording's windows as the add-on normalises them."""
    return recording(x, x[:, -1] >= FULL_SPEECH_FRACTION, *prior, PRIOR_WINDOWS)


def training_matrix(data: Data, rows, normalise: bool, extra: list = (), prior: tuple = None, seed: int = 0):
    """(x, y) to fit on: the rows, plus augmented copies of the same clips. Normalised, each training
    voice (and each augmented version of it) is heard as recordings of every length in RECORDING_PARTS."""
    sets = [data] + [aug for _name, aug in extra]
    clips = np.unique(data.clip_index[rows])
    if not normalise:
        keep = [np.isin(d.clip_index, clips) for d in sets]
        return np.vstack([d.x[k] for d, k in zip(sets, keep)]), np.concatenate([d.y[k] for d, k in zip(sets, keep)])
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for d in sets:
        mine = np.where(np.isin(d.clip_index, clips))[0]
        for part in RECORDING_PARTS:
            for r in recordings(d, mine, part, rng):
                xs.append(normalised(d.x[r], prior))
                ys.append(d.y[r])
    return np.vstack(xs), np.concatenate(ys)


def held_out_matrix(data: Data, rows, way: str, prior: tuple) -> np.ndarray:
    """Features of held-out rows as a user's recording would give them.

    way "recording": each held-out speaker's clips as one recording (a strip of their speech);
    "clip_alone": each clip alone (a short file); "none": raw."""
    rows = np.asarray(rows)
    if way == "none":
        return data.x[rows]
    out = np.empty_like(data.x)
    for r in recordings(data, rows, 0 if way == "recording" else 1, np.random.default_rng(0)):
        out[r] = normalised(data.x[r], prior)
    return out[rows]


def population(x: np.ndarray) -> tuple:
    """Mean and spread of each feature over many voices: the prior of every recording's normalisation."""
    return x[:, :-1].mean(axis=0), np.maximum(x[:, :-1].std(axis=0), 1e-6)


def clip_probabilities(data: Data, rows, win_prob) -> np.ndarray:
    """Per clip, the summed probabilities of its windows among `rows` (the argmax of the mean)."""
    prob = np.zeros((len(data.clip_labels), len(EMOTIONS)))
    np.add.at(prob, data.clip_index[rows], win_prob)
    return prob


def clip_ua(data: Data, rows, win_prob) -> float:
    from sklearn.metrics import balanced_accuracy_score

    prob = clip_probabilities(data, rows, win_prob)
    held = np.unique(data.clip_index[rows])
    return float(balanced_accuracy_score(data.clip_labels[held], prob[held].argmax(1)))


def _inner_ua(data: Data, rows, params, normalise: bool, extra, folds: int) -> float:
    from sklearn.model_selection import GroupKFold

    uas = []
    for k, (tr, te) in enumerate(GroupKFold(n_splits=folds).split(rows, groups=data.speaker[rows])):
        prior = population(data.x[rows[tr]])
        x, y = training_matrix(data, rows[tr], normalise, extra, prior, k)
        model = fit(x, y, params, seed=k)
        xt = held_out_matrix(data, rows[te], "recording" if normalise else "none", prior)
        uas.append(clip_ua(data, rows[te], model.predict_proba(xt)))
    return float(np.mean(uas))


def search(data: Data, rows, grid: list, normalise: bool, extra, n_jobs: int = 1, folds: int = 3) -> tuple:
    """Pick parameters by clip-level UA over GroupKFold on the speakers of `rows` only (nested search)."""
    from joblib import Parallel, delayed

    rows = np.asarray(rows)
    folds = min(folds, len(np.unique(data.speaker[rows])))
    if folds < 2:
        return grid[0], []
    scores = Parallel(n_jobs=n_jobs)(delayed(_inner_ua)(data, rows, p, normalise, extra, folds) for p in grid)
    return grid[int(np.argmax(scores))], scores


def _outer_fold(data: Data, k: int, tr, te, params, normalise: bool, grid, extra, ways) -> tuple:
    chosen = None
    if grid:
        params, inner = search(data, tr, grid, normalise, extra)
        chosen = {"fold": k + 1, "params": params, "inner_clip_ua": [round(v, 4) for v in inner]}
    prior = population(data.x[tr])
    x, y = training_matrix(data, tr, normalise, extra, prior, k)
    model = fit(x, y, params, seed=k)
    preds = {way: model.predict_proba(held_out_matrix(data, te, way, prior)) for way in ways}
    return preds, chosen


def evaluate(data: Data, params, folds, n_jobs, normalise: bool, grid=None, extra=()):
    """GroupKFold on speaker: windows and clips of held-out speakers only; parameters (if searched) chosen
    inside each training fold. Folds run in parallel, one XGBoost thread each."""
    from joblib import Parallel, delayed
    from sklearn.model_selection import GroupKFold

    ways = ["recording", "clip_alone"] if normalise else ["none"]
    splits = list(GroupKFold(n_splits=folds).split(data.x, data.y, data.speaker))
    for k, (_tr, te) in enumerate(splits):
        print(f"fold {k + 1}/{folds}: held out {', '.join(sorted(set(data.speaker[te])))}", file=sys.stderr)
    done = Parallel(n_jobs=n_jobs)(delayed(_outer_fold)(data, k, tr, te, params, normalise, grid, extra, ways)
                                   for k, (tr, te) in enumerate(splits))
    win_pred = {w: np.zeros((len(data.x), len(EMOTIONS))) for w in ways}
    for (_tr, te), (preds, _chosen) in zip(splits, done):
        for way in ways:
            win_pred[way][te] = preds[way]
    chosen = [c for _p, c in done if c]
    split = f"GroupKFold({folds}) on speaker: no speaker in both train and test"
    report = {"split": split}
    for way in ways:
        clip_prob = clip_probabilities(data, slice(None), win_pred[way])
        report[way] = {"clip": scores(data.clip_labels, clip_prob.argmax(1)),
                       "window": scores(data.y, win_pred[way].argmax(1))}
    # The headline is what the add-on does with a strip: one speaker's speech as one recording.
    report.update(report[ways[0]])
    report["normalisation"] = {
        "recording": "each held-out speaker's clips as one recording, normalised with its statistics and "
                     f"the training population's as {PRIOR_WINDOWS} windows of prior: what the add-on does",
        "clip_alone": "each held-out clip alone (about 3.5 s), normalised the same way: mostly the prior",
        "none": "raw features"}
    if chosen:
        report["search"] = {"grid": grid, "inner": "GroupKFold(3) on the training fold's speakers, clip UA",
                            "chosen": chosen}
    return report


def _summary(held) -> dict:
    """The held-out figures the metadata carries."""
    if not held:
        return {}
    keep = ("accuracy", "unweighted_average_recall")
    out = {level: {k: held[level][k] for k in keep} for level in ("clip", "window")}
    if "clip_alone" in held:
        out["clip_alone"] = {k: held["clip_alone"]["clip"][k] for k in keep}
    return out


def plot_confusion(confusion, title, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(confusion, dtype=float)
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(EMOTIONS)), EMOTIONS, rotation=45, ha="right")
    ax.set_yticks(range(len(EMOTIONS)), EMOTIONS)
    for i in range(len(EMOTIONS)):
        for j in range(len(EMOTIONS)):
            ax.text(j, i, int(cm[i, j]), ha="center", va="center", color="white" if norm[i, j] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.train", description=__doc__.split(":", 1)[1].strip())
    parser.add_argument("data_dir", help="folder of RAVDESS (Actor_XX/03-01-EE-...), CREMA-D or TESS clips")
    parser.add_argument("--out", default="models", help="folder for the model, its metadata and report")
    parser.add_argument("--corpus", default="auto", choices=["auto", *LOADERS],
                        help="which file names to read (auto: every corpus found)")
    parser.add_argument("--window", type=float, default=2.0, help="window length in seconds")
    parser.add_argument("--hop", type=float, default=0.5, help="time between predictions in seconds")
    parser.add_argument("--folds", type=int, default=5, help="GroupKFold folds over speakers (0: no evaluation)")
    parser.add_argument("--speakers", type=int, default=0, help="use only the first N speakers (quick runs)")
    parser.add_argument("--trees", type=int, default=DEFAULT_PARAMS["n_estimators"])
    parser.add_argument("--cache", default=os.path.join(os.path.expanduser("~"), ".cache", "audience_reactions"),
                        help="feature cache folder ('' to disable)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--normalise", default="speaker", choices=["speaker", "none"],
                        help="speaker: features relative to the speaker's own voice (default); none: raw")
    parser.add_argument("--search", action="store_true",
                        help="choose depth and column sampling inside each training fold (nested; slower)")
    parser.add_argument("--augment", default="", help="comma list of noise,pitch: measured against no "
                        "augmentation on the same folds, and used for the model only if clip UA rises")
    args = parser.parse_args(argv)
    augments = [a for a in args.augment.split(",") if a]
    unknown = sorted(set(augments) - set(AUGMENTATIONS))
    if unknown:
        parser.error(f"unknown augmentation {', '.join(unknown)} (choose from {', '.join(AUGMENTATIONS)})")

    clips = load_corpus(args.data_dir, args.corpus)
    if args.speakers:
        keep = sorted({c.speaker for c in clips})[: args.speakers]
        clips = [c for c in clips if c.speaker in keep]
    if not clips:
        print(f"error: no labelled clips found in {args.data_dir}", file=sys.stderr)
        return 2
    start = time.time()
    x, clip_index, clips = build_dataset(clips, args.window, args.hop, args.cache or None, args.jobs)
    missing = sorted(set(EMOTIONS) - {EMOTIONS[c.label] for c in clips}, key=EMOTIONS.index)
    if missing:
        print(f"error: the model needs clips of all 8 emotions; {args.data_dir} has none of {', '.join(missing)} "
              "that can be read (CREMA-D and TESS lack some: train them together with RAVDESS, or judge a model "
              "on them with ml.evaluate)", file=sys.stderr)
        return 2
    speakers = sorted({c.speaker for c in clips})
    print(f"{len(clips)} clips from {len(speakers)} speakers", file=sys.stderr)
    clip_labels = np.array([c.label for c in clips])
    clip_speakers = np.array([c.speaker for c in clips])
    data = Data(x, clip_index, clip_labels, clip_speakers)

    def augmented_data(name):
        xa, index, same = build_dataset(clips, args.window, args.hop, args.cache or None, args.jobs, name)
        position = {c.path: i for i, c in enumerate(clips)}
        return Data(xa, np.array([position[same[i].path] for i in index], dtype=int), clip_labels, clip_speakers)

    extra = [(a, augmented_data(a)) for a in augments]
    print(f"features: {data.x.shape[0]} windows x {data.x.shape[1]} (+{len(extra)} augmented copies) in "
          f"{time.time() - start:.1f} s", file=sys.stderr)
    params = {**DEFAULT_PARAMS, "n_estimators": args.trees}
    grid = [{**params, **g} for g in GRID] if args.search else None
    normalise = args.normalise == "speaker"

    report = {"corpus": sorted({c.corpus for c in clips}), "clips": len(clips), "speakers": speakers,
              "windows": int(data.x.shape[0]), "window_s": args.window, "hop_s": args.hop, "params": params,
              "speaker_normalisation": normalise}
    os.makedirs(args.out, exist_ok=True)
    if args.folds and len(speakers) >= args.folds:
        if extra:  # judged with the default parameters on the same folds, before any search
            without = evaluate(data, params, args.folds, args.jobs, normalise)
            augmented = evaluate(data, params, args.folds, args.jobs, normalise, None, extra)
            ua = [r["clip"]["unweighted_average_recall"] for r in (without, augmented)]
            report["augmentation"] = {"tried": augments, "params": params, "clip_ua_without": ua[0],
                                      "clip_ua_with": ua[1], "kept": bool(ua[1] > ua[0])}
            print(f"augmentation {'+'.join(augments)}: clip UA {ua[0]:.3f} -> {ua[1]:.3f}: "
                  f"{'kept' if ua[1] > ua[0] else 'not kept'}", file=sys.stderr)
            if ua[1] <= ua[0]:
                extra = []
        held = evaluate(data, params, args.folds, args.jobs, normalise, grid, extra)
        report["held_out"] = held
        clip_ua = held["clip"]["unweighted_average_recall"]
        plot_confusion(held["clip"]["confusion"], f"held-out speakers, clip level (UA {clip_ua:.2f})",
                       os.path.join(args.out, "confusion.png"))
        for level in ("clip", "window"):
            s = held[level]
            print(f"held-out {level}: accuracy {s['accuracy']:.3f}, UA {s['unweighted_average_recall']:.3f}",
                  file=sys.stderr)
        if normalise:
            s = held["clip_alone"]["clip"]
            print(f"held-out clip, each clip alone: accuracy {s['accuracy']:.3f}, "
                  f"UA {s['unweighted_average_recall']:.3f}", file=sys.stderr)

    if grid:  # the shipped model's parameters: the same search over all speakers
        params, inner = search(data, np.arange(len(data.x)), grid, normalise, extra, args.jobs)
        report["params"] = params
        report["search_all_speakers"] = [round(v, 4) for v in inner]
    prior = population(data.x)
    x, y = training_matrix(data, np.arange(len(data.x)), normalise, extra, prior)
    final = fit(x, y, params)
    extra_meta = {
        "trained_on": {"corpus": report["corpus"], "speakers": len(speakers), "speaker_ids": speakers,
                       "clips": len(clips),
                       "augmented": [name for name, _ in extra]},
        "evaluation": _summary(report.get("held_out")),
        "created": time.strftime("%Y-%m-%d"),
        "params": params,
    }
    if normalise:
        mean, std = prior
        extra_meta["speaker_normalisation"] = {
            "prior_windows": PRIOR_WINDOWS, "min_speech_fraction": FULL_SPEECH_FRACTION,
            "mean": [round(float(v), 6) for v in mean], "std": [round(float(v), 6) for v in std]}
    meta_path = write_model(final.get_booster(), args.out, args.window, args.hop, extra_meta)
    with open(os.path.join(args.out, "training_report.json"), "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    print(f"wrote {meta_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
