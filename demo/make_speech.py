"""Build the demo's speech from RAVDESS: one actor's clips in clear emotion blocks.

  .venv-5.0.1/bin/python demo/make_speech.py                        # from ../shared/data/ravdess, actor 08
  .venv-5.0.1/bin/python demo/make_speech.py --data DIR --actor 12
  .venv-5.0.1/bin/python demo/make_speech.py --rank      # how each actor's blocks read (the rule that picked 08)

Writes demo/speech.flac (mono FLAC, 16-bit, 22,050 Hz, peak at 0.9: lossless, as a lossy
codec moves the model's answers) and demo/speech.json (the blocks: emotion, start and end in
seconds, the clips played). Each emotion block is three of the actor's strongly acted clips (neutral has only
normal ones), silences trimmed to short pauses (ml.blocks). The clips stay under RAVDESS's licence, CC BY-NC-SA 4.0
(demo/LICENSE-AUDIO.md); the repository ships only these few.

Actor 08 was picked among the 20 because the crowd reads most clearly for them: with the held-out model that never
heard them (ml.heldout, fold 3 of 5) and the default settings, the crowd's leading emotion in the second half of
the happy, angry, sad and surprised blocks is that block's 100 % of the time (`--rank`), the only actor so with
the shipped recipe (with the recipe a step before, 03 was too). Actor 20, the demo before,
read 50 % in happy with this recipe; actor 15, before that, 0 % in surprised; actor 08 was the first demo, and
read 0 % in happy with the recipe then.
Heard from the corpus's files, as this lossless file is.
bench/fidelity.py judges all 20 actors.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

ORDER = ("neutral", "happy", "angry", "sad", "surprised")
PER_BLOCK = 3
RATE = 22050
PEAK = 0.9
SPEECH = os.path.join(ROOT, "demo", "speech.flac")
BLOCKS = os.path.join(ROOT, "demo", "speech.json")


def demo_clips(clips: list, actor: str) -> list:
    """The actor's strongly acted clips (RAVDESS intensity 02), and neutral's (which is only acted normally)."""
    from ml.model import EMOTIONS

    return [c for c in clips if c.speaker == actor
            and (os.path.basename(c.path).split("-")[3] == "02" or EMOTIONS[c.label] == "neutral")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="demo/make_speech.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=os.path.join(os.path.dirname(ROOT), "shared", "data", "ravdess"),
                        help="the RAVDESS folder (Actor_XX/03-01-...)")
    parser.add_argument("--actor", type=int, default=8, help="actor number (default 8)")
    parser.add_argument("--rank", action="store_true", help="print how the crowd reads each actor's blocks instead")
    args = parser.parse_args(argv)
    if args.rank:
        return rank(args.data)

    import soundfile

    from ml.blocks import emotion_blocks
    from ml.datasets import ravdess

    actor = f"ravdess-{args.actor:02d}"
    clips = demo_clips(ravdess(args.data), actor)
    if not clips:
        print(f"error: no clips of actor {args.actor:02d} in {args.data}", file=sys.stderr)
        return 1
    signal, blocks = emotion_blocks(clips, ORDER, RATE, per_block=PER_BLOCK)
    # audible in the video; one gain for the whole file, and the analysis hears the level only relative to its own
    signal = signal * (PEAK / max(float(abs(signal).max()), 1e-9))
    for path, write in ((SPEECH, lambda p: soundfile.write(p, signal, RATE, format="FLAC", subtype="PCM_16")),
                        (BLOCKS, lambda p: _write_json(p, actor, blocks))):
        tmp = path + ".tmp"
        write(tmp)
        os.replace(tmp, path)
    print(f"wrote {SPEECH}: {len(signal) / RATE:.1f} s, actor {args.actor:02d}, "
          + ", ".join(f"{b.emotion} {b.start_s:.1f}-{b.end_s:.1f} s" for b in blocks))
    return 0


def rank(data: str) -> int:
    """For every actor: in the second half of each block of a speech built as the demo's, the share of the time the
    crowd's leading emotion (default settings) is the block's, heard by the held-out model that never heard them."""
    import numpy as np

    from crowd.members import AT_REST, crowd_mood
    from ml.blocks import emotion_blocks
    from ml.datasets import ravdess
    from ml.heldout import fold_models, model_for
    from ml.model import EMOTIONS, EmotionModel
    from ml.settings import DEFAULTS
    from ml.timeline import predict_timeline

    clips = ravdess(data)
    models, loaded, clear = fold_models(os.path.dirname(os.path.abspath(data))), {}, []
    print("actor      " + " ".join(f"{e:>9}" for e in ORDER))
    for actor in sorted({c.speaker for c in clips}):
        path = model_for(actor, models).path
        model = loaded.get(path) or loaded.setdefault(path, EmotionModel.load(path))
        signal, blocks = emotion_blocks(demo_clips(clips, actor), ORDER, model.sample_rate, per_block=PER_BLOCK)
        timeline = predict_timeline(signal, model, DEFAULTS["smoothing"])
        mood = crowd_mood(timeline.probs, model.hop_s, DEFAULTS["contrast"], DEFAULTS["hold"])
        lead = np.where(mood.max(axis=1) > AT_REST, mood.argmax(axis=1), -1)
        share = {}
        for b in blocks:
            second_half = (timeline.times >= (b.start_s + b.end_s) / 2) & (timeline.times < b.end_s)
            share[b.emotion] = float(np.mean(lead[second_half] == EMOTIONS.index(b.emotion)))
        if all(share.get(e) == 1.0 for e in ORDER if e != "neutral"):
            clear.append(actor)
        print(f"{actor} " + " ".join(f"{share.get(e, float('nan')):9.2f}" for e in ORDER))
    print("all of happy, angry, sad and surprised at 1.00: " + (", ".join(clear) or "none"))
    return 0


def _write_json(path: str, actor: str, blocks: list) -> None:
    with open(path, "w") as f:
        json.dump({"source": "RAVDESS (Livingstone & Russo 2018), CC BY-NC-SA 4.0", "speaker": actor,
                   "blocks": [{"emotion": b.emotion, "start_s": round(b.start_s, 3), "end_s": round(b.end_s, 3),
                               "clips": [os.path.basename(c) for c in b.clips]} for b in blocks]}, f, indent=1)
        f.write("\n")


def read_blocks(path: str = BLOCKS) -> dict:
    with open(path) as f:
        return json.load(f)


if __name__ == "__main__":
    sys.exit(main())
