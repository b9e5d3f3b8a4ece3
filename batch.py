"""Animate an audience without a screen: one shot, or a list of shots in one process.

  blender -b scene.blend -P batch.py -- --strip Speech --faces Audience --output out.blend
  python batch.py -- --blend scene.blend --strip Speech --faces Audience     (bpy as a Python module)
  blender -b -P batch.py -- --shots shots.csv [--seed 3 ...]                 (a shot list; options are defaults)

One shot: exit code 0 on success; on any failure 1 with one line `error: ...` on stderr, no output file written
and the input never modified. A shot list: every shot is run (the model is loaded once), each failed shot gets
one `error: shot N ...` line on stderr and the others are still done; a summary closes the run, exit code 1 if
any shot failed. Outputs are written atomically and never onto an input. Progress goes to stdout.
"""
import csv
import importlib
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ml import cli, settings  # noqa: E402  (pure Python: no bpy, no numpy)

# What a shot list may say about a shot: the command line's options without their dashes ("preset_file" for
# --preset-file; "blinks": yes/no). "name" names the shot in progress lines and the summary.
SHOT_FIELDS = ("name", "blend", "strip", "faces", "output", "report", "csv", "scene", "preset", "preset_file",
               "mode", "seed", "strength", "smoothing", "tolerance", "contrast", "hold", "idle", "blinks",
               "speaker", "stagger")
PATH_FIELDS = ("blend", "output", "report", "csv", "preset_file")  # relative to the shot list's folder
PER_SHOT = ("--blend", "--output", "--report", "--csv")           # in a shot list, these go in the list


def parser():
    from crowd.presets import MODES, PRESETS

    number = settings.parse
    p = cli.Parser(prog="batch.py --", description="Animate audience, headless: one shot, or a shot list (--shots).",
                   epilog="Blender: blender -b scene.blend -P batch.py -- OPTIONS; with --shots, the other options "
                          "are the defaults for every shot of the list")
    p.add_argument("--shots", help="a shot list (CSV or JSON: blend, strip, faces, output and settings per shot)")
    p.add_argument("--only", help="with --shots: run only these shots, numbered from 1 as in the list (1-5,8); "
                                  "the others are still checked against them (outputs, inputs)")
    p.add_argument("--summary", help="with --shots: write a JSON summary of the shots run")
    p.add_argument("--strip", help="name of the sound strip with the speech")
    p.add_argument("--faces", help="name of the collection of faces")
    p.add_argument("--preset", default="AUTO", type=str.upper, choices=["AUTO", *PRESETS],
                   help="shape-key naming (default AUTO: found from each face's shape keys)")
    p.add_argument("--preset-file", help="your own emotion -> shape-key table (JSON, saved from the panel)")
    p.add_argument("--mode", default="MIRROR", type=str.upper, choices=list(MODES), help="mirror the speaker or react")
    default = settings.DEFAULTS
    p.add_argument("--seed", type=number("seed"), default=default["seed"], help="variation seed (default %(default)s)")
    p.add_argument("--strength", type=number("strength"), default=default["strength"],
                   help="reaction strength (default %(default)s)")
    p.add_argument("--smoothing", type=number("smoothing"), default=default["smoothing"],
                   help="mood change time in seconds (default %(default)s)")
    p.add_argument("--tolerance", type=number("tolerance"), default=default["tolerance"],
                   help="keep only keys needed to stay within this of the reaction (default %(default)s: every 0.5 s)")
    p.add_argument("--contrast", type=number("contrast"), default=default["contrast"],
                   help="how clearly the crowd shows the leading emotion (default %(default)s)")
    p.add_argument("--hold", type=number("hold"), default=default["hold"],
                   help="seconds of speech the crowd weighs before it changes its mood (default %(default)s)")
    p.add_argument("--idle", type=number("idle"), default=default["idle"],
                   help="idle sway on every key, even in silence (default %(default)s)")
    p.add_argument("--no-blinks", dest="blink", action="store_false", default=True, help="do not key blinks")
    p.add_argument("--blinks", dest="blink", action="store_true", help="key blinks (the default)")
    p.add_argument("--speaker", default="", help="object: members further from it react later")
    p.add_argument("--stagger", type=number("stagger"), default=default["stagger"],
                   help="extra delay per metre from --speaker (default %(default)s s)")
    p.add_argument("--model", default="", help="model folder (default: the shipped model)")
    p.add_argument("--blend", help="open this .blend first (when bpy runs as a Python module)")
    p.add_argument("--scene", help="scene name (default: the active scene)")
    p.add_argument("--output", help="save the animated scene to this .blend (never the input file)")
    p.add_argument("--report", help="write a JSON report (emotion timeline, what was written)")
    p.add_argument("--csv", help="write the emotion timeline as CSV (time, 8 probabilities, speech, label)")
    return p


def parse_args(argv):
    args = parser().parse_args(argv)
    if args.shots:
        given = [option for option in PER_SHOT if getattr(args, option[2:])]
        if given:
            raise cli.Failure(f"{', '.join(given)} go{'es' if len(given) == 1 else ''} in the shot list, one per "
                              "shot (columns blend, output, report, csv)")
    else:
        missing = [option for option in ("--strip", "--faces") if not getattr(args, option[2:])]
        if missing:
            raise cli.Failure(f"the following arguments are required: {', '.join(missing)} (see batch.py -- --help)")
        for option in ("--summary", "--only"):
            if getattr(args, option[2:]):
                raise cli.Failure(f"{option} goes with --shots")
    return args


def _blender_message(error: RuntimeError) -> str:
    """Blender's operator errors read 'Error: what went wrong\\n'."""
    text = str(error).strip().splitlines()[-1] if str(error).strip() else "unknown error"
    return text.split("Error: ", 1)[-1]


def say(line: str, file=None) -> None:
    """Print one line (stdout, or file): a shot's name or a file name may hold a newline, a script reads lines."""
    file = file or sys.stdout
    try:
        print(cli.one_line(line), file=file, flush=True)
    except BrokenPipeError:  # the reader went away (`batch.py ... | head`): the work goes on, unheard
        os.dup2(os.open(os.devnull, os.O_WRONLY), file.fileno())


class Printer:
    """Progress lines a person can follow: each stage when it starts, then at most one line a second."""

    def __init__(self, prefix: str = ""):
        self.prefix, self.stage, self.last = prefix, None, 0.0

    def __call__(self, fraction: float, message: str) -> None:
        stage = message.split(":")[0]
        now = time.perf_counter()
        if stage != self.stage or now - self.last >= 1.0 or fraction >= 1.0:
            say(f"audience: {self.prefix}{int(100 * fraction):3d}% {message}")
            self.stage, self.last = stage, now


def open_blend(path: str, show=None) -> None:
    """Open a .blend as the current file; Failure saying why it cannot be."""
    import bpy

    if not os.path.isfile(path):
        raise cli.Failure(f".blend file not found: {path}")
    if show:
        show(f"opening {path}")
    try:
        bpy.ops.wm.open_mainfile(filepath=os.path.abspath(path))
    except RuntimeError as e:
        raise cli.Failure(f"cannot open {path} as a .blend file: {_blender_message(e)}") from None


def files_used(blend: str) -> list:
    """Every file this .blend uses (sounds, images, libraries...), as the single-shot check sees them."""
    import bpy

    open_blend(blend)
    return bpy.utils.blend_paths(absolute=True)


def run_shot(args, show=say, progress=None) -> dict:
    """Animate one shot as `args` says; raises cli.Failure with what went wrong. Returns what was done."""
    import bpy

    from checkout import load_addon

    if args.blend:
        open_blend(args.blend, show)
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
    progress = progress or Printer()
    started = time.perf_counter()
    with cli.Outputs({"--output": args.output, "--report": args.report, "--csv": args.csv}, inputs) as out:
        try:
            result = job.animate(scene, options, progress)
        except errors.AudienceError as e:
            raise cli.Failure(str(e)) from None
        for note in result.notes:
            show(f"note: {note}")
        show(result.summary())
        if args.output:
            show(f"saving {args.output}")
            try:
                bpy.ops.wm.save_as_mainfile(filepath=out.path("--output"), copy=True)
            except RuntimeError as e:
                raise cli.Failure(f"cannot save {args.output}: {_blender_message(e)}") from None
        if args.report:
            report = {"settings": vars(options), "scene": scene.name, "faces": result.faces,
                      "keys_per_face": result.keys_per_face, "keys_written": result.keys_written,
                      "blink_keys": result.blink_keys,
                      "duration_s": round(result.duration_s, 3), "first_frame": int(result.frames[0]),
                      "last_frame": int(result.frames[-1]), "notes": result.notes, **result.timeline.to_dict()}
            with open(out.path("--report"), "w") as f:
                json.dump(report, f, indent=1, allow_nan=False)
        if args.csv:
            from ml.export import write_csv

            write_csv(result.timeline, out.path("--csv"))
        out.commit()
    written = [path for path in (args.output, args.report, args.csv) if path]
    for path in written:
        show(f"wrote {path}")
    if not written:  # said at the end, so a failed run still says only its error
        say("warning: no --output, --report or --csv: the animation is not saved anywhere", file=sys.stderr)
    return {"faces": len(result.faces), "keys": result.keys_written + result.blink_keys,
            "seconds": time.perf_counter() - started,
            "outputs": written, "notes": len(result.notes)}


# ---------------------------------------------------------------- shot lists

def read_shot_list(path: str) -> list:
    """[{field: text}] of a CSV (a header row naming SHOT_FIELDS) or JSON (a list of objects, or {"shots": [...],
    "defaults": {...}}) shot list; relative paths are made relative to the list's folder. Failure for the list."""
    most = 16 << 20
    try:
        with open(path, "rb") as f:
            text = f.read(most + 1).decode("utf-8-sig")
        if len(text) > most:
            raise cli.Failure(f"shot list {path} is larger than {most >> 20} MB: split it")
    except OSError as e:
        raise cli.Failure(f"cannot read shot list {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise cli.Failure(f"shot list {path} is not UTF-8 text") from None
    if path.lower().endswith(".json") or text.lstrip().startswith(("[", "{")):
        def unique(pairs):  # json keeps the last of a key given twice: one of the two settings would be lost
            obj = {}
            for key, value in pairs:
                if key.strip() in obj:
                    raise cli.Failure(f"shot list {path}: key {json.dumps(key.strip())} given twice in one object")
                obj[key.strip()] = value
            return obj

        try:
            data = json.loads(text, object_pairs_hook=unique)
        except (json.JSONDecodeError, RecursionError) as e:
            raise cli.Failure(f"shot list {path} is not valid JSON ({e})") from None
        defaults = {}
        if isinstance(data, dict):
            unknown = sorted(set(data) - {"shots", "defaults"})
            if unknown:  # "default": settings nobody would check
                raise cli.Failure(f"shot list {path}: unknown key(s) {', '.join(unknown)} at the top; it may hold "
                                  "shots, defaults")
            defaults, data = data.get("defaults", {}), data.get("shots")
        if not isinstance(data, list) or not isinstance(defaults, dict) or \
                not all(isinstance(row, dict) for row in data):
            raise cli.Failure(f"shot list {path}: expected a list of shots (objects), or {{\"shots\": [...]}}")
        rows = [{**defaults, **row} for row in data]
    else:
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames:
            raise cli.Failure(f"shot list {path} is empty")
        reader.fieldnames = names = [name.strip() for name in reader.fieldnames]  # " seed" is seed
        # A spreadsheet's CSV in many locales (semicolons), or a TSV: one column named "blend;strip;faces".
        found = next((word for sep, word in ((";", "semicolons"), ("\t", "tabs")) if len(names) == 1
                      and sep in names[0]), None)
        if found:
            raise cli.Failure(f"shot list {path}: its columns are separated by {found}, not commas: save it as "
                              "comma-separated values (or as JSON)")
        empty = [str(i + 1) for i, name in enumerate(names) if not name]
        if empty:
            raise cli.Failure(f"shot list {path}: an empty column name (column{'s' if len(empty) > 1 else ''} "
                              f"{', '.join(empty)}): name it, or remove the extra comma in the header")
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise cli.Failure(f"shot list {path}: column(s) {', '.join(twice)} given twice")
        rows = [row for row in reader if any((value or "").strip() for value in row.values())]
        if any(None in row for row in rows):
            line = next(i for i, row in enumerate(rows) if None in row) + 2
            raise cli.Failure(f"shot list {path}: a row has more cells than the header has columns (about line "
                              f"{line})")
    unknown = sorted({str(k).strip() for row in rows for k in row} - set(SHOT_FIELDS))
    if unknown:
        raise cli.Failure(f"shot list {path}: unknown column(s) {', '.join(unknown)}; a shot may say "
                          f"{', '.join(SHOT_FIELDS)} (the model is one for the whole run: --model)")
    if not rows:
        raise cli.Failure(f"shot list {path} holds no shots")
    folder = os.path.dirname(os.path.abspath(path))
    shots = []
    for row in rows:
        shot = {}
        for key, value in row.items():
            key = key.strip()
            if value is None:  # a short CSV row, or null in JSON: the default
                continue
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    continue
            if key in PATH_FIELDS and isinstance(value, str):
                value = os.path.join(folder, os.path.expanduser(value))
            shot[key] = value
        shots.append(shot)
    return shots


def shot_argv(shot: dict) -> list:
    """The command-line options that say what a shot list's row says (checked by the same parser)."""
    argv = []
    for key, value in shot.items():
        if key == "name":
            continue
        if key == "blinks":
            truth = str(value).strip().lower()
            if truth not in ("true", "false", "yes", "no", "1", "0", "on", "off"):
                raise cli.Failure(f"column blinks: yes or no, not {value!r}")
            argv.append("--blinks" if truth in ("true", "yes", "1", "on") else "--no-blinks")
            continue
        if isinstance(value, (dict, list)):
            raise cli.Failure(f"column {key}: a single value, not {json.dumps(value)}")
        # --option=value: a value may start with "-"
        argv.append(f"--{key.replace('_', '-')}={value if isinstance(value, str) else json.dumps(value)}")
    return argv


class Shot:
    def __init__(self, number: int, fields: dict):
        self.number, self.fields = number, fields
        self.name = str(fields.get("name") or os.path.splitext(os.path.basename(str(fields.get("blend", ""))))[0]
                        or f"shot {number}")
        self.args = self.error = self.done = None
        self.seconds = 0.0

    @property
    def label(self) -> str:
        return f"shot {self.number} ({self.name})"


def _in_columns(message: str, prog: str) -> str:
    """argparse's words for a shot's row, in the list's: "argument --seed: invalid int value: 'x' (see batch.py --
    --help)" is "column seed: invalid int value: 'x'" (the command line's defaults were checked before)."""
    message = message.replace(f" (see {prog} --help)", "")
    return re.sub(r"argument --([\w-]+)(/--[\w-]+)?", lambda m: f"column {m.group(1).replace('-', '_')}", message)


def plan_shots(shots: list, defaults: list, inputs: list, uses=files_used) -> list:
    """Each shot's options (defaults, then its row), checked before anything runs; a shot whose row is wrong, or
    whose output is another shot's output or any shot's input (its .blend, every file that .blend uses, its preset
    file, or one of `inputs`), gets its error and will not run. Returns ([(what, path)] of every input, the same of
    every output), for the summary's own check. uses(blend) -> [path]: the files a .blend uses."""
    options = parser()
    for shot in shots:
        try:
            shot.args = options.parse_args(defaults + shot_argv(shot.fields))
            missing = [f for f in ("blend", "strip", "faces") if not getattr(shot.args, f)]
            if missing:
                raise cli.Failure(f"no {', '.join(missing)} given (column{'s' if len(missing) > 1 else ''} "
                                  f"{', '.join(missing)})")
        except cli.Failure as e:
            shot.error = _in_columns(str(e), options.prog)
    inputs, used, seen = list(inputs), {}, set()  # used: .blend -> the files it uses (each .blend opened once)
    for shot in shots:
        blend, preset_file = (_given(shot, field) for field in ("blend", "preset_file"))
        inputs += [(f"{shot.label}'s .blend", blend), (f"{shot.label}'s preset file", preset_file)]
        if not blend:
            continue
        real = os.path.realpath(blend)
        if real not in used:
            try:
                used[real] = uses(blend)
            except cli.Failure as e:  # this shot cannot run; the others are still checked
                used[real] = e
        if isinstance(used[real], cli.Failure):
            shot.error = shot.error or str(used[real])
            continue
        for path in used[real]:
            if os.path.realpath(path) not in seen:  # named once, by the first shot using it
                seen.add(os.path.realpath(path))
                inputs.append((f"a file {shot.label}'s .blend uses", path))
    claimed = {}  # output path -> the shots writing it
    for shot in shots:
        if shot.error is None:
            for option in ("--output", "--report", "--csv"):
                path = getattr(shot.args, option[2:])
                if path:
                    claimed.setdefault(os.path.realpath(path), []).append((shot, option))
    for path, writers in claimed.items():
        if len(writers) > 1:
            for shot, option in writers:
                others = ", ".join(f"{s.label}'s {o}" for s, o in writers if (s, o) != (shot, option))
                shot.error = shot.error or f"{option} {path} is also {others}: give each output its own file"
    for shot in shots:
        if shot.error is None:
            outputs = {option: getattr(shot.args, option[2:]) for option in ("--output", "--report", "--csv")}
            try:
                cli.check_outputs(outputs, inputs)
            except cli.Failure as e:
                shot.error = str(e)
    return inputs, [(f"{writers[0][0].label}'s {writers[0][1]}", path) for path, writers in claimed.items()]


def _given(shot, field: str):
    """A shot's path option (blend, preset_file), also for a shot whose row is wrong: its files are still inputs."""
    value = getattr(shot.args, field) if shot.args is not None else shot.fields.get(field)
    return value if isinstance(value, str) and value else None


def run_shot_list(args, argv: list) -> int:
    from checkout import load_addon

    shots = [Shot(i + 1, fields) for i, fields in enumerate(read_shot_list(args.shots))]
    chosen = shot_numbers(args.only, len(shots)) if args.only else set(range(1, len(shots) + 1))
    addon = load_addon()
    job = importlib.import_module(addon.__name__ + ".blender.job")
    errors = importlib.import_module(addon.__name__ + ".blender.errors")
    try:
        model = job.load_model(args.model)  # once: every shot uses it
    except errors.AudienceError as e:
        raise cli.Failure(str(e)) from None
    inputs, outputs = plan_shots(shots, _without(argv, ("--shots", "--summary", "--only")),
                                 [("the shot list", args.shots), *(("a model file", path) for path in model.files)])
    for what, path in outputs:
        if args.summary and os.path.realpath(args.summary) == path:
            raise cli.Failure(f"--summary {args.summary} is also {what}: give each output its own file")
    with cli.Outputs({"--summary": args.summary}, inputs) as out:
        started = time.perf_counter()
        listed, shots = len(shots), [shot for shot in shots if shot.number in chosen]
        say(f"audience: {len(shots)} of the {listed} shots in {args.shots}"
            f"{f' ({args.only})' if args.only else ''}; model {os.path.dirname(model.files[0])}")
        for shot in shots:  # said now, not after the shots before them have run
            if shot.error is not None:
                say(f"audience: [{shot.number}/{listed} {shot.name}] will not run: {shot.error}")
        for shot in shots:
            head = f"[{shot.number}/{listed} {shot.name}] "
            if shot.error is None:
                say(f"audience: {head}start: {shot.args.blend}")
                begun = time.perf_counter()
                try:
                    shot.done = run_shot(shot.args, lambda line: say(f"audience: {head}{line}"),
                                         Printer(head))
                except cli.Failure as e:
                    shot.error = str(e)
                except Exception as e:  # a bug: its traceback for the report, the other shots still run
                    import traceback

                    traceback.print_exc(file=sys.stdout)
                    shot.error = f"{type(e).__name__}: {e}"
                shot.seconds = time.perf_counter() - begun
            if shot.error is not None:
                say(f"audience: {head}FAILED: {shot.error}")
                say(f"error: {shot.label}: {shot.error}", file=sys.stderr)
        failed = [shot for shot in shots if shot.error is not None]
        say("")
        say(f"audience: summary: {len(shots) - len(failed)} of {len(shots)} shots done"
            f"{f', {len(failed)} failed' if failed else ''} in {time.perf_counter() - started:.1f} s")
        for shot in shots:
            if shot.done:
                what = f"done   {shot.seconds:6.1f} s  {job._faces(shot.done['faces'], None)}, " \
                       f"{shot.done['keys']:,} keys" + \
                       (f" -> {', '.join(shot.done['outputs'])}" if shot.done["outputs"] else "")
            else:
                what = f"FAILED {shot.seconds:6.1f} s  {shot.error}"
            say(f"audience:   {shot.number:>3} {cli.one_line(shot.name):<20} {what}")
        sys.stdout.flush()
        if args.summary:
            with open(out.path("--summary"), "w") as f:
                json.dump({"shot_list": os.path.abspath(args.shots), "done": len(shots) - len(failed),
                           "failed": len(failed), "shots": [_summary(shot) for shot in shots]}, f, indent=1)
            out.commit()
            say(f"audience: wrote {args.summary}")
    return 1 if failed else 0


def shot_numbers(text: str, count: int) -> set:
    """{1, 2, 3, 5} for "1-3,5": shots of a list of `count`, numbered from 1."""
    numbers = set()
    for part in text.replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        if not (first.isdecimal() and (last.isdecimal() or not dash)):
            if dash and (first + last).isdecimal():  # "1-" or "-3"
                raise cli.Failure(f"--only {text}: {part} is an open range: give both ends, like 1-{count}")
            raise cli.Failure(f"--only {text}: expected shot numbers like 1-5,8")
        low, high = int(first), int(last or first)
        if low > high:
            raise cli.Failure(f"--only {text}: {part} is reversed: write {high}-{low}")
        if not 1 <= low <= high <= count:
            raise cli.Failure(f"--only {text}: the shot list has shots 1 to {count}")
        numbers.update(range(low, high + 1))
    return numbers


def _summary(shot) -> dict:
    entry = {"shot": shot.number, "name": shot.name, "blend": shot.args.blend if shot.args else shot.fields.get("blend"),
             "status": "done" if shot.done else "failed", "seconds": round(shot.seconds, 2)}
    if shot.done:
        entry.update(faces=shot.done["faces"], keys=shot.done["keys"], outputs=shot.done["outputs"])
    else:
        entry["error"] = shot.error
    return entry


def _without(argv: list, options: tuple) -> list:
    """argv without these options and their values."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in options:
            skip = "=" not in arg
            continue
        out.append(arg)
    return out


def run(argv) -> int:
    args = parse_args(argv)
    if args.shots:
        return run_shot_list(args, argv)
    run_shot(args, lambda line: say(f"audience: {line}"))
    return 0


def main() -> int:
    ours = {option for action in parser()._actions for option in action.option_strings if option != "--help"}
    if "--" not in sys.argv and any(a.split("=")[0] in ours for a in sys.argv):
        # Blender reads every option before "--" as its own: ours would never arrive
        print("error: batch.py's options go after \"--\": blender -b scene.blend -P batch.py -- --strip ... "
              "(see batch.py -- --help)", file=sys.stderr)
        return 1
    return cli.run(run, sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else [])


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    if code:
        sys.stderr.flush()
        os._exit(code)  # Blender would exit 0 after a Python error otherwise
    sys.exit(0)
