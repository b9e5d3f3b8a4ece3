"""python -m ml.evaluate DATA_DIR: judge a trained model on the labelled clips of a corpus folder.

Every clip is scored as the add-on or `ml.predict` would hear it (EmoDB's level too, which training treats as
unknown: its clips were peak-normalised one by one): each speaker's clips as one recording
(a strip of their speech), each clip alone (a short file) and each speaker's clips of one emotion as one
recording (a speech in one mood). Scores are per corpus, over the classes the corpus has; the expected
calibration error says how far the model's confidence is from how often it is right.
Meant for voices the model was never trained on: speakers it was trained on are named in a warning and
scored apart (trained_on_these_scores), never pooled with the unseen ones.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np

from . import cli
from .datasets import LOADERS, load_corpus
from .model import DEFAULT_MODEL_DIR, EMOTIONS, EmotionModel, ModelError
from .train import HOW, WAYS, Data, build_dataset, clip_probabilities, expected_calibration_error, recordings, scores


def evaluate(model: EmotionModel, data: Data, rows=None) -> dict:
    """Per corpus: clip-level scores for each way of hearing, and the calibration of the windows' probabilities
    (each speaker as one recording), over `rows` (all windows by default)."""
    rows = np.arange(len(data.x)) if rows is None else np.asarray(rows)
    probs = {}
    for way, how in zip(WAYS, HOW):
        heard = data.x_noisy if way == "noisy" else data.x
        p = np.zeros((len(data.x), len(EMOTIONS)))  # rows outside `rows` stay 0 and are never read
        for r in recordings(data, rows, how, np.random.default_rng(0)):
            p[r] = model.predict_proba(model.normalise(heard[r]))
        probs[way] = p
    report = {}
    for corpus in np.unique(data.corpus[rows]):
        mine = rows[data.corpus[rows] == corpus]
        held = np.unique(data.clip_index[mine])
        classes = data.classes(corpus)
        report[corpus] = {way: scores(data.clip_labels[held], clip_probabilities(data, mine, p[mine])[held].argmax(1),
                                      classes) for way, p in probs.items()}
        report[corpus]["ece"] = round(expected_calibration_error(probs["recording"][mine], data.y[mine]), 4)
    return report


def main(argv=None) -> int:
    return cli.run(_main, sys.argv[1:] if argv is None else argv)


def _main(argv) -> int:
    parser = cli.Parser(prog="python -m ml.evaluate", description=__doc__.split(":", 1)[1].split("\n\n")[0].strip())
    parser.add_argument("data_dir", help="folder of RAVDESS, EmoDB, CREMA-D or TESS clips (named as in the corpus)")
    parser.add_argument("--model", default=DEFAULT_MODEL_DIR, help="model folder or its emotion_model.json")
    parser.add_argument("--corpus", default="auto", choices=["auto", *LOADERS],
                        help="which file names to read (auto: every corpus found)")
    parser.add_argument("--cache", default=os.path.join(os.path.expanduser("~"), ".cache", "audience_reactions"),
                        help="feature cache folder ('' to disable)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", help="also write the report as JSON")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.data_dir):
        raise cli.Failure(f"{args.data_dir} is not a folder" if os.path.exists(args.data_dir)
                          else f"data folder not found: {args.data_dir}")
    if not 1 <= args.jobs <= 256:
        raise cli.Failure(f"--jobs must be from 1 to 256, not {args.jobs}")
    try:
        model = EmotionModel.load(args.model)
    except ModelError as e:
        raise cli.Failure(str(e)) from None
    clips = load_corpus(args.data_dir, args.corpus)
    if not clips:
        raise cli.Failure(f"no labelled clips found in {args.data_dir}")
    inputs = [("a model file", p) for p in model.files] + [("a clip it judges", c.path) for c in clips]
    cli.check_outputs({"--out": args.out}, inputs)  # before the work, not after it
    x, x_noisy, clip_index, clips = build_dataset(clips, model.window_s, model.hop_s, args.cache or None, args.jobs)
    if not clips:
        raise cli.Failure(f"none of the clips in {args.data_dir} could be read")
    data = Data(x, x_noisy, clip_index, clips, level_unknown=())  # EmoDB's level too, as the add-on hears it
    speakers = sorted(set(data.clip_speakers))
    known = sorted(set(speakers) & set(model.metadata.get("trained_on", {}).get("speaker_ids", [])))
    # Voices the model learned flatter it: they are judged apart, never pooled with the unseen ones.
    heard = np.isin(data.speaker, known)
    unseen = np.flatnonzero(~heard)
    if known:
        print(cli.one_line(f"warning: the model was trained on {', '.join(known)}: ")
              + ("judged apart (trained_on_these_scores), not in the scores of unseen voices" if len(unseen)
                 else "every speaker here was heard in training, so these scores are not of unseen voices"),
              file=sys.stderr)
    judged = evaluate(model, data, unseen if len(unseen) else None)
    report = {"data_dir": os.path.abspath(args.data_dir), "model": os.path.abspath(args.model),
              "clips": len(clips), "speakers": speakers, "trained_on_these": known,
              "unseen_speakers": sorted(set(data.speaker[unseen])), "corpora": judged}
    if known and len(unseen):
        report["trained_on_these_scores"] = evaluate(model, data, np.flatnonzero(heard))
    for corpus, r in judged.items():
        ways = ", ".join(f"{w} {r[w]['unweighted_average_recall']:.3f}" for w in WAYS)
        print(f"{corpus} ({r['recording']['n']} clips): clip UA {ways}; ECE {r['ece']:.3f}", file=sys.stderr)
    with cli.Outputs({"--out": args.out}, inputs) as out:
        if args.out:
            with open(out.path("--out"), "w") as f:
                json.dump(report, f, indent=1, allow_nan=False)
                f.write("\n")
        out.commit()
    json.dump({corpus: {w: {k: r[w][k] for k in ("accuracy", "unweighted_average_recall", "recall")} for w in WAYS}
               for corpus, r in judged.items()}, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
