"""Animate an audience without a screen.

  blender -b scene.blend -P batch.py -- --strip Speech --faces Audience --output out.blend
  python batch.py -- --blend scene.blend --strip Speech --faces Audience     (bpy as a Python module)

Exit code 0 on success; 1 with one line on stderr on any failure. Progress goes to stdout.
"""
import argparse
import importlib
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv):
    from crowd.presets import MODES, PRESETS

    parser = argparse.ArgumentParser(prog="batch.py", description="Animate audience, headless.",
                                     epilog="Blender: blender -b scene.blend -P batch.py -- OPTIONS")
    parser.add_argument("--strip", required=True, help="name of the sound strip with the speech")
    parser.add_argument("--faces", required=True, help="name of the collection of faces")
    parser.add_argument("--preset", default="ARKIT", choices=list(PRESETS), help="shape-key naming (default ARKIT)")
    parser.add_argument("--preset-file", help="your own emotion -> shape-key table (JSON, saved from the panel)")
    parser.add_argument("--mode", default="MIRROR", choices=list(MODES), help="mirror the speaker or react")
    parser.add_argument("--seed", type=int, default=0, help="variation seed (default 0)")
    parser.add_argument("--strength", type=float, default=1.0, help="reaction strength (default 1.0)")
    parser.add_argument("--smoothing", type=float, default=1.0, help="mood change time in seconds (default 1.0)")
    parser.add_argument("--tolerance", type=float, default=0.0,
                        help="keep only keys needed to stay within this of the reaction (default 0: every 0.5 s)")
    parser.add_argument("--contrast", type=float, default=1.0, help="> 1 decisive, < 1 mixed (default 1)")
    parser.add_argument("--hold", type=float, default=0.0, help="seconds a new emotion must last (default 0)")
    parser.add_argument("--idle", type=float, default=0.0, help="idle sway on every key, even in silence (default 0)")
    parser.add_argument("--no-blinks", dest="blink", action="store_false", help="do not key blinks")
    parser.add_argument("--speaker", default="", help="object: members further from it react later")
    parser.add_argument("--stagger", type=float, default=0.05, help="extra delay per metre from --speaker (0.05 s)")
    parser.add_argument("--model", default="", help="model folder (default: the shipped model)")
    parser.add_argument("--blend", help="open this .blend first (when bpy runs as a Python module)")
    parser.add_argument("--scene", help="scene name (default: the active scene)")
    parser.add_argument("--output", help="save the animated scene to this .blend")
    parser.add_argument("--report", help="write a JSON report (emotion timeline, what was written)")
    parser.add_argument("--csv", help="write the emotion timeline as CSV (time, 8 probabilities, label)")
    return parser.parse_args(argv)


def _check_writable(path, what):
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise SystemExit(f"error: {what} {path} is a folder; give a file name")
    if not os.path.isdir(folder):
        raise SystemExit(f"error: {what} folder does not exist: {folder}")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise SystemExit(f"error: cannot write {what} {path}: permission denied")


def run(args) -> int:
    import bpy

    from checkout import load_addon

    if args.blend:
        if not os.path.isfile(args.blend):
            raise SystemExit(f"error: .blend file not found: {args.blend}")
        bpy.ops.wm.open_mainfile(filepath=os.path.abspath(args.blend))
    addon = load_addon()
    job = importlib.import_module(addon.__name__ + ".blender.job")
    errors = importlib.import_module(addon.__name__ + ".blender.errors")
    for path, what in ((args.output, "output"), (args.report, "report"), (args.csv, "CSV")):
        if path:
            _check_writable(path, what)
    scene = bpy.data.scenes.get(args.scene) if args.scene else bpy.context.scene
    if scene is None:
        raise SystemExit(f"error: no scene named '{args.scene}'")
    custom = None
    if args.preset_file:
        from crowd.presets import load_preset

        try:
            custom = load_preset(args.preset_file)
        except ValueError as e:
            raise SystemExit(f"error: {e}") from None
    settings = job.Settings(strip=args.strip, faces=args.faces, preset="CUSTOM" if custom else args.preset,
                            mode=args.mode, seed=args.seed, strength=args.strength, contrast=args.contrast,
                            hold=args.hold, idle=args.idle, smoothing=args.smoothing, tolerance=args.tolerance,
                            blink=args.blink, speaker=args.speaker, stagger=args.stagger, model=args.model,
                            custom=custom)

    def progress(fraction, message):
        print(f"audience: {int(100 * fraction):3d}% {message}", flush=True)

    try:
        result = job.animate(scene, settings, progress)
    except errors.AudienceError as e:
        raise SystemExit(f"error: {e}") from None
    for note in result.notes:
        print(f"audience: note: {note}")
    print(f"audience: {result.summary()}", flush=True)
    if args.output:
        try:
            bpy.ops.wm.save_as_mainfile(filepath=os.path.abspath(args.output), copy=True)
        except RuntimeError as e:
            raise SystemExit(f"error: cannot save {args.output}: {str(e).strip().splitlines()[-1]}") from None
        print(f"audience: saved {args.output}")
    if args.report:
        report = {"settings": vars(settings), "scene": scene.name, "faces": result.faces,
                  "keys_per_face": result.keys_per_face, "keys_written": result.keys_written, "duration_s": round(result.duration_s, 3),
                  "first_frame": int(result.frames[0]), "last_frame": int(result.frames[-1]),
                  "notes": result.notes, **result.timeline.to_dict()}
        with open(args.report, "w") as f:
            json.dump(report, f, indent=1)
        print(f"audience: wrote {args.report}")
    if args.csv:
        from ml.export import write_csv

        write_csv(result.timeline, args.csv)
        print(f"audience: wrote {args.csv}")
    return 0


def main() -> int:
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    try:
        return run(parse_args(argv))
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
            return 1
        return e.code or 0
    except Exception as e:  # anything unforeseen still gets one clear line and a failing exit code
        traceback.print_exc(file=sys.stdout)
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    code = main()
    if code:
        sys.stderr.flush()
        os._exit(code)  # Blender would exit 0 after a Python error otherwise
    sys.exit(0)
