"""The crowd's fidelity (bench/fidelity.py) over a grid of Smoothing, Contrast and Minimum Hold: how much the
defaults matter. Each actor's speech is heard once per smoothing by the fold model that never heard them.

  .venv-5.0.1/bin/python bench/fidelity_sweep.py [--data ../shared/data]
"""
import argparse
import itertools
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

import fidelity  # noqa: E402
from crowd.presets import expression_table  # noqa: E402
from ml.datasets import ravdess  # noqa: E402
from ml.heldout import fold_models, model_for  # noqa: E402
from ml.model import DEFAULT_MODEL_DIR  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/fidelity_sweep.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    args = parser.parse_args(argv)
    models = fold_models(args.data, DEFAULT_MODEL_DIR)
    clips = ravdess(os.path.join(args.data, "ravdess"))
    actors = sorted({c.speaker for c in clips})
    base = fidelity.defaults()
    loaded = {}
    _names, table = expression_table("ARKIT", base["mode"])
    print("smoothing contrast hold  fidelity  whole  changes/min  peak")
    for smoothing in (1.0, 0.5):
        heard = {actor: fidelity.hear_actor(actor, clips, model_for(actor, models), smoothing, loaded)
                 for actor in actors}
        for contrast, hold in itertools.product((3.0, 4.0, 5.0, 6.0), (1.5, 2.0, 2.5, 3.0)):
            settings = dict(base, smoothing=smoothing, contrast=contrast, hold=hold)
            r = fidelity.summarise({a: fidelity.judge_actor(t, b, table, settings, m.hop_s, m.window_s)
                                    for a, (t, b, m) in heard.items()})
            mark = " (default)" if (smoothing, contrast, hold) == (base["smoothing"], base["contrast"], base["hold"]) \
                else ""
            print(f"{smoothing:9.1f} {contrast:8.1f} {hold:4.1f}  {r['fidelity']:8.3f}  {r['whole_rows']:5.3f}  "
                  f"{r['mood_changes_per_minute']:11.1f}  {r['member_peak']:4.2f}{mark}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
