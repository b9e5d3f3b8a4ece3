"""The crowd's fidelity: does the audience show the emotion the speaker acts, where a viewer can see it?

  .venv-5.0.1/bin/python bench/fidelity.py                 # all 20 RAVDESS actors of ../shared/data
  .venv-5.0.1/bin/python bench/fidelity.py --json out/fidelity.json

For each RAVDESS actor: a speech of all their clips in emotion blocks (ml.blocks: every emotion's clips one
after another, silences trimmed to short pauses, the emotions in an order seeded by the actor), heard by the
held-out model that never heard that actor (ml.heldout: the recipe of the model in models/ trained on five speaker
folds, once, and cached), and turned into shape-key values as Animate Audience does at its default settings
(MIRROR, the ARKit preset, the 12 demo faces' names, seed 0). Each block is judged from one model window after
its start (before that the window still hears the block before), by the crowd's mean of every shape key.

An emotion with a visible expression (happy, sad, angry, fearful, disgust, surprised; not neutral, the rest face,
nor calm, a faint smile) is compared with every clearly different emotion (preset rows less alike than
COSINE_DIFFERENT: happy with angry, sad with fearful, but not fearful with surprised). The cue is what sets its
face apart from the other's: its preset row's keys, each weighted by how much more it uses it (sad against fearful:
the frown and the look down, not the inner brow both raise). A comparison is won when the cue is stronger in the
emotion's own block than in the other's. The fidelity is the share of comparisons won; the figure with each
emotion's whole row as the cue (shared keys too) is printed beside it. So are how strongly the crowd shows each
emotion in its own block, how much members differ and how often the crowd's leading emotion changes.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from crowd.members import AT_REST, crowd_mood, react, temperament  # noqa: E402
from crowd.presets import EMOTIONS, expression_table  # noqa: E402

DATA = os.path.join(os.path.dirname(ROOT), "shared", "data")
COSINE_DIFFERENT = 0.5
VISIBLE = 0.5   # an emotion has a cue of its own when its row holds a key at least this strong
FACES = [f"Face.{i:03d}" for i in range(1, 13)]  # the demo audience's names: the same temperaments


def defaults() -> dict:
    """Animate Audience's default settings (ml.settings.DEFAULTS), mirroring the speaker."""
    from ml.settings import DEFAULTS

    return {**DEFAULTS, "mode": "MIRROR"}


def different(table: np.ndarray) -> np.ndarray:
    """(8, 8) bool: emotion rows of the table clearly different (an all-zero row, neutral, differs from all)."""
    norm = np.linalg.norm(table, axis=1)
    cos = (table @ table.T) / np.maximum(np.outer(norm, norm), 1e-12)
    out = cos < COSINE_DIFFERENT
    np.fill_diagonal(out, False)
    return out


def mood_changes(mood: np.ndarray) -> int:
    """How often the crowd's leading emotion changes (moments at rest not counted)."""
    shown = mood.argmax(axis=1)[mood.max(axis=1) > AT_REST]
    return int(np.count_nonzero(np.diff(shown)))


def judge_actor(timeline, blocks, table: np.ndarray, settings: dict, hop_s: float, settle_s: float) -> dict:
    """Comparisons of each cue's block means for one recording; blocks are judged from `settle_s` after their
    start (before that, the model's window still hears the block before)."""
    times = timeline.times
    mood = crowd_mood(timeline.probs, hop_s, settings["contrast"], settings["hold"])
    values = np.stack([react(times, mood, table, temperament(name, settings["seed"], table.shape[1]),
                             settings["strength"], idle=settings["idle"]) for name in FACES])
    crowd = values.mean(axis=0)  # (keys, times)
    inside = {b.emotion: (times >= b.start_s + settle_s) & (times < b.end_s) for b in blocks}
    keys = {e: crowd[:, sel].mean(axis=1) for e, sel in inside.items()}  # each block's mean of every key
    diff = different(table)
    wins, strict, own = [], [], {}
    for a in inside:
        row = table[EMOTIONS.index(a)]
        if row.max() < VISIBLE:
            continue  # neutral is the rest face, calm a faint smile: no cue a viewer could read
        own[a] = float(row @ keys[a] / row.sum())
        for b in inside:
            if diff[EMOTIONS.index(a), EMOTIONS.index(b)]:
                cue = np.maximum(row - table[EMOTIONS.index(b)], 0.0)  # what sets a's face apart from b's
                wins.append((a, b, bool(cue @ keys[a] > cue @ keys[b])))
                strict.append(bool(row @ keys[a] > row @ keys[b]))
    moving = crowd > 0.05
    spread = float(np.mean(np.abs(values - crowd)[:, moving]) / np.mean(crowd[moving])) if moving.any() else 0.0
    return {"wins": wins, "strict": strict, "own": own,
            "peak": float(np.percentile(values.max(axis=1), 90)), "spread": spread,
            "changes": mood_changes(mood), "minutes": float(timeline.duration_s / 60)}


def hear_actor(actor: str, clips: list, fold, smoothing: float, loaded: dict) -> tuple:
    """(timeline, blocks, model): the actor's clips as a speech in emotion blocks (in an order seeded by the actor),
    heard by their fold model (`loaded` keeps the models read so far)."""
    from ml.blocks import emotion_blocks
    from ml.model import EmotionModel
    from ml.timeline import predict_timeline

    model = loaded.get(fold.path) or loaded.setdefault(fold.path, EmotionModel.load(fold.path))
    order = list(np.random.default_rng(int(actor.split("-")[1])).permutation(EMOTIONS))
    signal, blocks = emotion_blocks([c for c in clips if c.speaker == actor], order, model.sample_rate)
    return predict_timeline(signal, model, smoothing), blocks, model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/fidelity.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=DATA, help="folder holding ravdess/ (and the corpora models/ was "
                                                     "trained on)")
    parser.add_argument("--model", default=os.path.join(ROOT, "models"), help="the model whose recipe is judged")
    parser.add_argument("--actors", default="", help="comma-separated actor numbers (default: all)")
    parser.add_argument("--json", help="also write the figures as JSON")
    args = parser.parse_args(argv)

    from ml.datasets import ravdess
    from ml.heldout import fold_models, model_for
    from ml.model import ModelError

    start = time.time()
    settings = defaults()
    names, table = expression_table("ARKIT", settings["mode"])
    try:
        models = fold_models(args.data, args.model)
    except ModelError as e:
        print(f"error: {e} (--data names the folder of the corpora)", file=sys.stderr)
        return 1
    clips = ravdess(os.path.join(args.data, "ravdess"))
    actors = sorted({c.speaker for c in clips})
    if args.actors:
        wanted = {f"ravdess-{int(a):02d}" for a in args.actors.split(",")}
        actors = [a for a in actors if a in wanted]
    if not actors:
        print(f"error: no RAVDESS actors in {os.path.join(args.data, 'ravdess')}", file=sys.stderr)
        return 1
    results, loaded = {}, {}
    for actor in actors:
        fold = model_for(actor, models)
        timeline, blocks, model = hear_actor(actor, clips, fold, settings["smoothing"], loaded)
        results[actor] = judge_actor(timeline, blocks, table, settings, model.hop_s, model.window_s)
        results[actor]["fold"] = os.path.basename(fold.path)
        won = [w for _a, _b, w in results[actor]["wins"]]
        print(f"{actor} ({results[actor]['fold']}): {np.mean(won):.3f} of {len(won)} comparisons, "
              f"{results[actor]['changes'] / results[actor]['minutes']:.1f} mood changes a minute", file=sys.stderr)
    report = summarise(results)
    report["settings"] = {k: settings[k] for k in ("mode", "strength", "smoothing", "contrast", "hold", "seed")}
    report["seconds"] = round(time.time() - start, 1)
    print_report(report)
    from ml.model import METADATA_NAME, read_metadata

    report["model"] = {"recipe_of": read_metadata(os.path.join(args.model, METADATA_NAME))["model_sha256"],
                       "folds": {os.path.basename(m.path): [a for a in m.held_out if a in actors] for m in models}}
    if args.json:
        from ml.cli import Outputs

        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with Outputs({"--json": args.json}) as out:  # the project's atomic write
            with open(out.path("--json"), "w") as f:
                json.dump(report, f, indent=1)
            out.commit()
    return 0


def summarise(results: dict) -> dict:
    wins = [(a, b, w) for r in results.values() for a, b, w in r["wins"]]
    pairs = {}
    for a, b, w in wins:
        pairs.setdefault(f"{a} > {b}", []).append(w)
    own = {}
    for r in results.values():
        for e, v in r["own"].items():
            own.setdefault(e, []).append(v)
    return {"fidelity": round(float(np.mean([w for _a, _b, w in wins])), 4), "comparisons": len(wins),
            "whole_rows": round(float(np.mean([w for r in results.values() for w in r["strict"]])), 4),
            "actors": {a: round(float(np.mean([w for *_x, w in r["wins"]])), 3) for a, r in results.items()},
            "pairs": {p: round(float(np.mean(v)), 3) for p, v in sorted(pairs.items())},
            "cue_in_own_block": {e: round(float(np.mean(v)), 3) for e, v in own.items()},
            "member_spread": round(float(np.mean([r["spread"] for r in results.values()])), 3),
            "member_peak": round(float(np.mean([r["peak"] for r in results.values()])), 3),
            "mood_changes_per_minute": round(float(np.sum([r["changes"] for r in results.values()]) /
                                                   np.sum([r["minutes"] for r in results.values()])), 2)}


def print_report(report: dict) -> None:
    print(f"fidelity {report['fidelity']:.3f} ({report['comparisons']} comparisons of a cue in its own emotion's "
          f"block against a clearly different emotion's block; {len(report['actors'])} held-out actors)")
    print(f"(comparing each emotion's whole expression, shared keys too: {report['whole_rows']:.3f})")
    worst = sorted(report["pairs"].items(), key=lambda kv: kv[1])[:6]
    print("weakest pairs: " + ", ".join(f"{p} {v:.2f}" for p, v in worst))
    print("cue in its own block (crowd mean): " + ", ".join(f"{e} {v:.2f}" for e, v in
                                                            report["cue_in_own_block"].items()))
    print(f"a member's strongest shape keys reach {report['member_peak']:.2f} (90th percentile); members differ "
          f"from the crowd's mean by {100 * report['member_spread']:.0f} % on average; "
          f"the crowd's mood changes {report['mood_changes_per_minute']:.1f} times a minute")


if __name__ == "__main__":
    sys.exit(main())
