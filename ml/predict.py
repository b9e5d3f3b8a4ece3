"""python -m ml.predict AUDIO_FILE: print the emotion timeline of a speech recording as JSON, with the file's
overall emotion (its windows' probabilities weighted by speech) as "summary", or only that as one line.

Exit code 0 on success; on any failure 1 and one line `error: ...` on stderr, and no --csv/--plot file.
"""
from __future__ import annotations

import json
import os
import sys

from . import cli, export, settings
from .audio import AudioError, read_ahead, read_pieces
from .model import DEFAULT_MODEL_DIR, EmotionModel, ModelError
from .timeline import predict_timeline


def main(argv=None) -> int:
    return cli.run(_main, sys.argv[1:] if argv is None else argv)


def _main(argv) -> int:
    parser = cli.Parser(prog="python -m ml.predict", description=__doc__.split(":", 1)[1].split("\n\n")[0].strip())
    parser.add_argument("audio", help="speech recording (wav, flac, ogg, mp3, ...)")
    parser.add_argument("--model", default=DEFAULT_MODEL_DIR, help="model folder or its emotion_model.json")
    parser.add_argument("--smoothing", type=settings.parse("smoothing"), default=1.0,
                        help="time constant in seconds (0: none)")
    parser.add_argument("--csv", help="also write the timeline as CSV")
    parser.add_argument("--plot", help="also draw the timeline to this PNG")
    parser.add_argument("--summary", action="store_true",
                        help="print one line (the file's overall emotion and probabilities) instead of the JSON")
    args = parser.parse_args(argv)
    if args.plot and os.path.splitext(args.plot)[1].lower() not in export.PLOT_FORMATS:
        raise cli.Failure(f"--plot {args.plot}: give a file name ending in {', '.join(export.PLOT_FORMATS)}")
    if not os.path.isfile(args.audio):
        raise cli.Failure(f"audio file not found: {args.audio}" if not os.path.exists(args.audio)
                          else f"{args.audio} is not a file")
    try:
        model = EmotionModel.load(args.model)
    except ModelError as e:
        raise cli.Failure(str(e)) from None
    inputs = [("the audio file", args.audio), *(("a model file", p) for p in model.files)]
    with cli.Outputs({"--csv": args.csv, "--plot": args.plot}, inputs) as out:
        try:
            timeline = predict_timeline(read_ahead(read_pieces(args.audio, model.sample_rate)), model, args.smoothing)
        except (AudioError, OSError) as e:
            raise cli.Failure(f"cannot decode {args.audio}: {e}") from None
        summary = timeline.summary()
        result = {"audio": args.audio, "duration_s": round(timeline.duration_s, 3), "window_s": model.window_s,
                  "hop_s": model.hop_s, "notes": timeline.notes, "summary": summary, **timeline.to_dict()}
        text = json.dumps(result, indent=1, allow_nan=False)  # valid JSON or an error, never NaN tokens
        if args.summary:
            p = summary["probabilities"]
            text = (f"{cli.one_line(args.audio)}: {summary['label']} {p[summary['label']]:.2f} "
                    f"({' '.join(f'{c} {v:.2f}' for c, v in p.items())})")
            for note in timeline.notes:  # in the JSON otherwise
                print(cli.one_line(f"note: {note}"), file=sys.stderr)
        if args.csv:
            export.write_csv(timeline, out.path("--csv"))
        if args.plot:
            export.plot(timeline, out.path("--plot"), os.path.basename(args.audio))
        out.commit()
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
