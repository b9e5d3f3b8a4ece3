"""Animate an audience without a screen.

  blender -b scene.blend -P batch.py -- --strip Speech --faces Audience --output out.blend
  python batch.py -- --blend scene.blend --strip Speech --faces Audience     (bpy as a Python module)

Exit code 0 on success; on any failure 1 with one line `error: ...` on stderr, no output file written and
the input never modified. Progress goes to stdout.
"""
import importlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ml import cli, settings  # noqa: E402  (pure Python: no bpy, no numpy)


def parse_args(argv):
    from crowd.presets import MODES, PRESETS

    number = settings.parse
    parser = cli.Parser(prog="batch.py", description="Animate audience, headless.",
                        epilog="Blender: blender -b scene.blend -P batch.py -- OPTIONS")
    parser.add_argument("--strip", required=True, help="name of the sound strip with the speech")
    parser.add_argument("--faces", required=True, help="name of the collection of faces")
    parser.add_argument("--preset", default="AUTO", choices=["AUTO", *PRESETS],
                        help="shape-key naming (default AUTO: found from each face's shape keys)")
    parser.add_argument("--preset-file", help="your own emotion -> shape-key table (JSON, saved from the panel)")
    parser.add_argument("--mode", default="MIRROR", choices=list(MODES), help="mirror the speaker or react")
    default = settings.DEFAULTS
    parser.add_argument("--seed", type=number("seed"), default=default["seed"],
                        help="variation seed (default %(default)s)")
    parser.add_argument("--strength", type=number("strength"), default=default["strength"],
                        help="reaction strength (default %(default)s)")
    parser.add_argument("--smoothing", type=number("smoothing"), default=default["smoothing"],
                        help="mood change time in seconds (default %(default)s)")
    parser.add_argument("--tolerance", type=number("tolerance"), default=default["tolerance"],
                        help="keep only keys needed to stay within this of the reaction (default %(default)s: "
                             "every 0.5 s)")
    parser.add_argument("--contrast", type=number("contrast"), default=default["contrast"],
                        help="how clearly the crowd shows the leading emotion (default %(default)s)")
    parser.add_argument("--hold", type=number("hold"), default=default["hold"],
                        help="seconds a new emotion must lead before the crowd follows (default %(default)s)")
    parser.add_argument("--idle", type=number("idle"), default=default["idle"],
                        help="idle sway on every key, even in silence (default %(default)s)")
    parser.add_argument("--no-blinks", dest="blink", action="store_false", help="do not key blinks")
    parser.add_argument("--speaker", default="", help="object: members further from it react later")
    parser.add_argument("--stagger", type=number("stagger"), default=default["stagger"],
                        help="extra delay per metre from --speaker (default %(default)s s)")
    parser.add_argument("--model", default="", help="model folder (default: the shipped model)")
    parser.add_argument("--blend", help="open this .blend first (when bpy runs as a Python module)")
    parser.add_argument("--scene", help="scene name (default: the active scene)")
    parser.add_argument("--output", help="save the animated scene to this .blend (never the input file)")
    parser.add_argument("--report", help="write a JSON report (emotion timeline, what was written)")
    parser.add_argument("--csv", help="write the emotion timeline as CSV (time, 8 probabilities, label)")
    return parser.parse_args(argv)


def _blender_message(error: RuntimeError) -> str:
    """Blender's operator errors read 'Error: what went wrong\\n'."""
    text = str(error).strip().splitlines()[-1] if str(error).strip() else "unknown error"
    return text.split("Error: ", 1)[-1]


def run(argv) -> int:
    args = parse_args(argv)
    import bpy

    from checkout import load_addon

    if args.blend:
        if not os.path.isfile(args.blend):
            raise cli.Failure(f".blend file not found: {args.blend}")
        try:
            bpy.ops.wm.open_mainfile(filepath=os.path.abspath(args.blend))
        except RuntimeError as e:
            raise cli.Failure(f"cannot open {args.blend} as a .blend file: {_blender_message(e)}") from None
    addon = load_addon()
    job = importlib.import_module(addon.__name__ + ".blender.job")
    errors = importlib.import_module(addon.__name__ + ".blender.errors")
    scene = bpy.data.scenes.get(args.scene) if args.scene else bpy.context.scene
    if scene is None:
        raise cli.Failure(f"no scene named '{args.scene}'")
    custom = None
    if args.preset_file:
        from crowd.presets import load_preset

        try:
            custom = load_preset(args.preset_file)
        except ValueError as e:
            raise cli.Failure(str(e)) from None
    options = job.Settings(strip=args.strip, faces=args.faces, preset="CUSTOM" if custom else args.preset,
                           mode=args.mode, seed=args.seed, strength=args.strength, contrast=args.contrast,
                           hold=args.hold, idle=args.idle, smoothing=args.smoothing, tolerance=args.tolerance,
                           blink=args.blink, speaker=args.speaker, stagger=args.stagger, model=args.model,
                           custom=custom)
    try:
        model = job.load_model(args.model)
    except errors.AudienceError as e:
        raise cli.Failure(str(e)) from None
    inputs = [("the input .blend", bpy.data.filepath), ("the preset file", args.preset_file),
              *(("a model file", path) for path in model.files),
              *(("a file the .blend uses", path) for path in bpy.utils.blend_paths(absolute=True))]

    def progress(fraction, message):
        print(f"audience: {int(100 * fraction):3d}% {message}", flush=True)

    with cli.Outputs({"--output": args.output, "--report": args.report, "--csv": args.csv}, inputs) as out:
        try:
            result = job.animate(scene, options, progress)
        except errors.AudienceError as e:
            raise cli.Failure(str(e)) from None
        for note in result.notes:
            print(f"audience: note: {note}")
        print(f"audience: {result.summary()}", flush=True)
        if args.output:
            try:
                bpy.ops.wm.save_as_mainfile(filepath=out.path("--output"), copy=True)
            except RuntimeError as e:
                raise cli.Failure(f"cannot save {args.output}: {_blender_message(e)}") from None
        if args.report:
            report = {"settings": vars(options), "scene": scene.name, "faces": result.faces,
                      "keys_per_face": result.keys_per_face, "keys_written": result.keys_written,
                      "duration_s": round(result.duration_s, 3), "first_frame": int(result.frames[0]),
                      "last_frame": int(result.frames[-1]), "notes": result.notes, **result.timeline.to_dict()}
            with open(out.path("--report"), "w") as f:
                json.dump(report, f, indent=1, allow_nan=False)
        if args.csv:
            from ml.export import write_csv

            write_csv(result.timeline, out.path("--csv"))
        out.commit()
    for path in (args.output, args.report, args.csv):
        if path:
            print(f"audience: wrote {path}")
    return 0


def main() -> int:
    return cli.run(run, sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else [])


if __name__ == "__main__":
    code = main()
    if code:
        sys.stderr.flush()
        os._exit(code)  # Blender would exit 0 after a Python error otherwise
    sys.exit(0)
