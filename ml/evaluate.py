"""python -m ml.evaluate DATA_DIR: judge a trained model on the labelled clips of a corpus folder.

Every clip is scored as the add-on or `ml.predict` would hear it, two ways: each speaker's clips as
one recording (a strip of their speech; the model normalises features by the recording's own
statistics) and each clip alone (a short file: mostly the training population's statistics).
Meant for voices the model was never trained on; speakers it was trained on are named in a warning.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from .datasets import LOADERS, load_corpus
from .model import DEFAULT_MODEL_DIR, EMOTIONS, EmotionModel, ModelError
from .train import Data, build_dataset, clip_probabilities, recordings, scores

WAYS = {"recording": 0, "clip_alone": 1}  # clips per recording


def evaluate(model: EmotionModel, data: Data) -> dict:
    """Clip-level scores of `model` on every clip of `data`, for each way of hearing them."""
    rows = np.arange(len(data.x))
    report = {}
    for way, clips_per_recording in WAYS.items():
        probs = np.zeros((len(data.x), len(EMOTIONS)))
        for r in recordings(data, rows, clips_per_recording, np.random.default_rng(0)):
            probs[r] = model.predict_proba(model.normalise(data.x[r]))
        clip_prob = clip_probabilities(data, rows, probs)
        report[way] = scores(data.clip_labels, clip_prob.argmax(1))
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.evaluate", description=__doc__.split(":", 1)[1].strip())
    parser.add_argument("data_dir", help="folder of RAVDESS (Actor_XX/03-01-EE-...), CREMA-D or TESS clips")
    parser.add_argument("--model", default=DEFAULT_MODEL_DIR, help="model folder or its emotion_model.json")
    parser.add_argument("--corpus", default="auto", choices=["auto", *LOADERS],
                        help="which file names to read (auto: every corpus found)")
    parser.add_argument("--cache", default=os.path.join(os.path.expanduser("~"), ".cache", "audience_reactions"),
                        help="feature cache folder ('' to disable)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", help="also write the report as JSON")
    args = parser.parse_args(argv)
    try:
        model = EmotionModel.load(args.model)
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    clips = load_corpus(args.data_dir, args.corpus)
    if not clips:
        print(f"error: no labelled clips found in {args.data_dir}", file=sys.stderr)
        return 2
    x, clip_index, clips = build_dataset(clips, model.window_s, model.hop_s, args.cache or None, args.jobs)
    if not clips:
        print(f"error: none of the clips in {args.data_dir} could be read", file=sys.stderr)
        return 2
    speakers = sorted({c.speaker for c in clips})
    known = sorted(set(speakers) & set(model.metadata.get("trained_on", {}).get("speaker_ids", [])))
    if known:
        print(f"warning: the model was trained on {', '.join(known)}: their scores are not unseen voices",
              file=sys.stderr)
    data = Data(x, clip_index, np.array([c.label for c in clips]), np.array([c.speaker for c in clips]))
    report = {"data_dir": os.path.abspath(args.data_dir), "model": os.path.abspath(args.model),
              "clips": len(clips), "speakers": speakers, "trained_on_these": known, **evaluate(model, data)}
    for way, label in (("recording", "each speaker as one recording"), ("clip_alone", "each clip alone")):
        s = report[way]
        print(f"{label}: accuracy {s['accuracy']:.3f}, UA {s['unweighted_average_recall']:.3f} "
              f"({s['n']} clips, {len(speakers)} speakers)", file=sys.stderr)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)
            f.write("\n")
    json.dump({way: {k: report[way][k] for k in ("accuracy", "unweighted_average_recall", "f1")} for way in WAYS},
              sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
