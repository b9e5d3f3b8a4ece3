"""python -m ml.predict AUDIO_FILE: print the emotion timeline of a speech recording as JSON, with the file's
overall emotion (its windows' probabilities weighted by speech) as "summary", or only that as one line."""
from __future__ import annotations

import argparse
import json
import os
import sys

from . import export
from .audio import AudioError, read_pieces
from .model import DEFAULT_MODEL_DIR, EmotionModel, ModelError
from .timeline import predict_timeline


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.predict", description=__doc__.split(":", 1)[1].strip())
    parser.add_argument("audio", help="speech recording (wav, flac, ogg, mp3, ...)")
    parser.add_argument("--model", default=DEFAULT_MODEL_DIR, help="model folder or its emotion_model.json")
    parser.add_argument("--smoothing", type=float, default=1.0, help="time constant in seconds (0: none)")
    parser.add_argument("--csv", help="also write the timeline as CSV")
    parser.add_argument("--plot", help="also draw the timeline to this PNG")
    parser.add_argument("--summary", action="store_true",
                        help="print one line (the file's overall emotion and probabilities) instead of the JSON")
    args = parser.parse_args(argv)
    try:
        model = EmotionModel.load(args.model)
        timeline = predict_timeline(read_pieces(args.audio, model.sample_rate), model, args.smoothing)
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (AudioError, OSError) as e:
        print(f"error: cannot decode {args.audio}: {e}", file=sys.stderr)
        return 2
    summary = timeline.summary()
    out = {"audio": args.audio, "duration_s": round(timeline.duration_s, 3),
           "window_s": model.window_s, "hop_s": model.hop_s, "summary": summary, **timeline.to_dict()}
    if args.csv:
        export.write_csv(timeline, args.csv)
    if args.plot:
        export.plot(timeline, args.plot, os.path.basename(args.audio))
    if args.summary:
        p = summary["probabilities"]
        print(f"{args.audio}: {summary['label']} {p[summary['label']]:.2f} "
              f"({' '.join(f'{c} {v:.2f}' for c, v in p.items())})")
    else:
        json.dump(out, sys.stdout, indent=1)
        sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
