"""python -m ml.train DATA_DIR --out models/: train the emotion model, evaluated with speakers held out.

Evaluation: GroupKFold on speaker (no actor in both train and test), reported per 0.5 s window and
per clip (mean of its windows' probabilities). The shipped model is then trained on every speaker.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np

from . import features
from .audio import read_pieces
from .datasets import load_corpus
from .model import EMOTIONS, write_model
from .timeline import FULL_SPEECH_FRACTION, prediction_times

DEFAULT_PARAMS = {
    "n_estimators": 400, "max_depth": 4, "learning_rate": 0.05, "subsample": 0.8,
    "colsample_bytree": 0.5, "min_child_weight": 2, "tree_method": "hist",
}


# Any edit to the feature code invalidates cached features, not just a version bump.
with open(features.__file__, "rb") as _f:
    FEATURE_CODE = hashlib.sha1(_f.read()).hexdigest()[:12]


def clip_windows(path: str, window_s: float, hop_s: float, cache_dir: str | None) -> np.ndarray:
    """Pooled features of the windows of one clip that hold enough speech (cached as .npy, no pickle)."""
    stat = os.stat(path)
    key = f"{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}|{FEATURE_CODE}|{window_s}|{hop_s}"
    cache_file = None
    if cache_dir:
        cache_file = os.path.join(cache_dir, hashlib.sha1(key.encode()).hexdigest() + ".npy")
        if os.path.exists(cache_file):
            return np.load(cache_file, allow_pickle=False)
    frames = features.frame_features(read_pieces(path, features.SAMPLE_RATE))
    times = prediction_times(frames.n_samples / features.SAMPLE_RATE, hop_s)[1:]
    x = features.pool_windows(frames.feats, frames.speech, times, window_s)
    keep = x[:, -1] >= FULL_SPEECH_FRACTION
    x = x[keep] if keep.any() else x[np.argmax(x[:, -1])][None]
    if cache_file:
        os.makedirs(cache_dir, exist_ok=True)
        np.save(cache_file, x, allow_pickle=False)
    return x


def build_dataset(clips, window_s, hop_s, cache_dir, n_jobs):
    from joblib import Parallel, delayed

    blocks = Parallel(n_jobs=n_jobs)(delayed(clip_windows)(c.path, window_s, hop_s, cache_dir) for c in clips)
    x = np.vstack(blocks)
    clip_index = np.concatenate([np.full(len(b), i) for i, b in enumerate(blocks)])
    return x, clip_index


def balanced_weights(y: np.ndarray) -> np.ndarray:
    counts = np.bincount(y, minlength=len(EMOTIONS)).astype(float)
    return (len(y) / (len(EMOTIONS) * np.maximum(counts, 1)))[y]


def fit(x, y, params, seed=0, n_jobs=2):
    import xgboost

    model = xgboost.XGBClassifier(**params, random_state=seed, n_jobs=n_jobs, objective="multi:softprob")
    model.fit(x, y, sample_weight=balanced_weights(y))
    return model


def scores(y_true, y_pred) -> dict:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score

    labels = list(range(len(EMOTIONS)))
    return {
        "n": int(len(y_true)),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "unweighted_average_recall": round(float(balanced_accuracy_score(y_true, y_pred)), 4),
        "f1": {e: round(float(f), 4) for e, f in zip(EMOTIONS, f1_score(y_true, y_pred, labels=labels, average=None,
                                                                        zero_division=0))},
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def evaluate(x, clip_index, clip_labels, groups, params, folds, n_jobs):
    """GroupKFold on speaker: windows and clips of held-out speakers only."""
    from sklearn.model_selection import GroupKFold

    y_win = clip_labels[clip_index]
    g_win = groups[clip_index]
    win_pred = np.zeros((len(x), len(EMOTIONS)))
    for k, (tr, te) in enumerate(GroupKFold(n_splits=folds).split(x, y_win, g_win)):
        model = fit(x[tr], y_win[tr], params, seed=k, n_jobs=n_jobs)
        win_pred[te] = model.predict_proba(x[te])
        held = sorted(set(g_win[te]))
        print(f"fold {k + 1}/{folds}: held out {', '.join(held)}", file=sys.stderr)
    clip_prob = np.zeros((len(clip_labels), len(EMOTIONS)))
    np.add.at(clip_prob, clip_index, win_pred)
    return {
        "split": f"GroupKFold({folds}) on speaker: no speaker in both train and test",
        "clip": scores(clip_labels, clip_prob.argmax(1)),
        "window": scores(y_win, win_pred.argmax(1)),
    }


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
    parser.add_argument("data_dir", help="folder in the RAVDESS layout (Actor_XX/03-01-EE-...)")
    parser.add_argument("--out", default="models", help="folder for the model, its metadata and report")
    parser.add_argument("--corpus", default="auto", choices=["auto", "ravdess"])
    parser.add_argument("--window", type=float, default=2.0, help="window length in seconds")
    parser.add_argument("--hop", type=float, default=0.5, help="time between predictions in seconds")
    parser.add_argument("--folds", type=int, default=5, help="GroupKFold folds over speakers (0: no evaluation)")
    parser.add_argument("--speakers", type=int, default=0, help="use only the first N speakers (quick runs)")
    parser.add_argument("--trees", type=int, default=DEFAULT_PARAMS["n_estimators"])
    parser.add_argument("--cache", default=os.path.join(os.path.expanduser("~"), ".cache", "audience_reactions"),
                        help="feature cache folder ('' to disable)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    clips = load_corpus(args.data_dir, args.corpus)
    if args.speakers:
        keep = sorted({c.speaker for c in clips})[: args.speakers]
        clips = [c for c in clips if c.speaker in keep]
    if not clips:
        print(f"error: no labelled clips found in {args.data_dir}", file=sys.stderr)
        return 2
    speakers = sorted({c.speaker for c in clips})
    print(f"{len(clips)} clips from {len(speakers)} speakers", file=sys.stderr)
    start = time.time()
    x, clip_index = build_dataset(clips, args.window, args.hop, args.cache or None, args.jobs)
    print(f"features: {x.shape[0]} windows x {x.shape[1]} in {time.time() - start:.1f} s", file=sys.stderr)
    clip_labels = np.array([c.label for c in clips])
    groups = np.array([c.speaker for c in clips])
    params = {**DEFAULT_PARAMS, "n_estimators": args.trees}

    report = {"corpus": sorted({c.corpus for c in clips}), "clips": len(clips), "speakers": speakers,
              "windows": int(x.shape[0]), "window_s": args.window, "hop_s": args.hop, "params": params}
    os.makedirs(args.out, exist_ok=True)
    if args.folds and len(speakers) >= args.folds:
        report["held_out"] = evaluate(x, clip_index, clip_labels, groups, params, args.folds, args.jobs)
        clip_ua = report["held_out"]["clip"]["unweighted_average_recall"]
        plot_confusion(report["held_out"]["clip"]["confusion"],
                       f"held-out speakers, clip level (UA {clip_ua:.2f})", os.path.join(args.out, "confusion.png"))
        for level in ("clip", "window"):
            s = report["held_out"][level]
            print(f"held-out {level}: accuracy {s['accuracy']:.3f}, UA {s['unweighted_average_recall']:.3f}",
                  file=sys.stderr)

    final = fit(x, clip_labels[clip_index], params, n_jobs=args.jobs)
    meta_path = write_model(final.get_booster(), args.out, args.window, args.hop, {
        "trained_on": {"corpus": report["corpus"], "speakers": len(speakers), "clips": len(clips)},
        "evaluation": {k: {kk: v[kk] for kk in ("accuracy", "unweighted_average_recall")}
                       for k, v in report.get("held_out", {}).items() if isinstance(v, dict)},
        "created": time.strftime("%Y-%m-%d"),
    })
    with open(os.path.join(args.out, "training_report.json"), "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    print(f"wrote {meta_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
