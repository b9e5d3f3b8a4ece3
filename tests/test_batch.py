"""batch.py as a pipeline TD runs it: a separate process, exit codes, one clear stderr line."""
import json
import os
import subprocess
import sys

import bpy
import pytest

from conftest import ROOT, face_curves, needs_audio, sub


def batch(*args, cwd=ROOT):
    return subprocess.run([sys.executable, os.path.join(ROOT, "batch.py"), "--", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def demo_blend(addon, demo_scene, tmp_path):
    path = str(tmp_path / "shot.blend")
    bpy.ops.wm.save_as_mainfile(filepath=path)
    return path


def test_help_lists_the_options():
    res = batch("--help")
    assert res.returncode == 0
    for option in ("--strip", "--faces", "--preset", "--seed", "--output", "--report"):
        assert option in res.stdout


def test_options_before_the_double_dash_are_said_to_go_after_it(tmp_path):
    """Blender keeps what comes before "--" for itself: a TD who leaves it out is told, not that --strip is missing."""
    res = subprocess.run([sys.executable, os.path.join(ROOT, "batch.py"), "--strip", "Speech", "--faces", "Audience"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 1 and res.stderr.strip().splitlines()[-1].startswith('error: batch.py\'s options go after "--"')


@needs_audio
def test_a_run_that_saves_nothing_says_so(addon, demo_blend):
    res = batch("--blend", demo_blend, "--strip", "Speech", "--faces", "Audience")
    assert res.returncode == 0, res.stderr
    assert "warning: no --output, --report or --csv: the animation is not saved anywhere" in res.stderr


@needs_audio
def test_batch_animates_saves_and_reports(addon, demo_blend, tmp_path):
    out, report, csv_path = tmp_path / "out.blend", tmp_path / "report.json", tmp_path / "timeline.csv"
    res = batch("--blend", demo_blend, "--strip", "Speech", "--faces", "Audience", "--seed", "2",
                "--output", str(out), "--report", str(report), "--csv", str(csv_path))
    assert res.returncode == 0, res.stderr
    assert "Animated 6 faces" in res.stdout and "%" in res.stdout  # progress lines
    data = json.loads(report.read_text())
    assert len(data["faces"]) == 6 and data["settings"]["seed"] == 2
    assert len(data["timeline"]) == data["keys_per_face"]
    assert data["timeline"][1]["time"] == 0.5
    assert len(csv_path.read_text().splitlines()) == 1 + data["keys_per_face"]
    bpy.ops.wm.open_mainfile(filepath=str(out))
    faces = bpy.data.collections["Audience"]
    for obj in faces.objects:
        curves = face_curves(addon, obj)
        assert curves and all(len(f) == data["keys_per_face"] for f, _v in curves.values())
    # New user: the summary's keys left the blinks out. Every key in the file is in the report.
    in_file = sum(len(f) for obj in faces.objects for f, _v in face_curves(addon, obj, with_blinks=True).values())
    assert data["blink_keys"] > 0 and data["keys_written"] + data["blink_keys"] == in_file


@pytest.mark.parametrize("args, message", [
    (["--strip", "Nope", "--faces", "Audience"], "no sound strip named 'Nope'"),
    (["--strip", "Speech", "--faces", "Audience", "--output", "/nonexistent/dir/out.blend"],
     "folder does not exist"),
    (["--strip", "Speech", "--faces", "Audience", "--model", "/nonexistent"], "cannot read model metadata"),
    (["--strip", "Speech", "--faces", "Audience", "--output", "/tmp"], "is a folder"),
    (["--strip", "Speech", "--faces", "Nobody"], "no collection named 'Nobody'"),
])
@needs_audio
def test_batch_failures_exit_non_zero_with_one_line(addon, demo_blend, args, message):
    res = batch("--blend", demo_blend, *args)
    assert message in _error_line(res), res.stderr


def test_missing_blend_file():
    res = batch("--blend", "/nonexistent.blend", "--strip", "S", "--faces", "F")
    assert res.returncode == 1 and "not found" in res.stderr


@needs_audio
def test_batch_with_a_preset_file(addon, demo_blend, tmp_path):
    from crowd.presets import save_preset

    preset = str(tmp_path / "jaw.json")
    save_preset(preset, {"angry": {"jawOpen": 1.0}, "happy": {"jawOpen": 0.5}})
    report = tmp_path / "r.json"
    res = batch("--blend", demo_blend, "--strip", "Speech", "--faces", "Audience", "--preset-file", preset,
                "--report", str(report))
    assert res.returncode == 0, res.stderr
    assert json.loads(report.read_text())["settings"]["preset"] == "CUSTOM"
    (tmp_path / "bad.json").write_text("{}")
    res = batch("--blend", demo_blend, "--strip", "Speech", "--faces", "Audience", "--preset-file",
                str(tmp_path / "bad.json"))
    assert res.returncode == 1 and "not an Audience Reactions expression preset" in res.stderr


def _error_line(res):
    """The one `error:` line of a failed run (Blender's own leak report lines aside)."""
    lines = [line for line in res.stderr.splitlines()
             if line.strip() and not line.startswith(("Freeing", "Error: Not freed"))]
    assert res.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: "), (res.returncode, res.stderr)
    return lines[0]


def _digest(path):
    import hashlib

    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@needs_audio
def test_outputs_never_land_on_the_input_or_on_each_other(addon, demo_blend, tmp_path):
    """F1: --report/--csv/--output naming the input .blend (or each other) is refused; the .blend is untouched."""
    before = _digest(demo_blend)
    same_file = os.path.join(os.path.dirname(demo_blend), ".", os.path.basename(demo_blend))  # another spelling
    link = str(tmp_path / "link.blend")
    os.symlink(demo_blend, link)
    shot = ("--blend", demo_blend, "--strip", "Speech", "--faces", "Audience")
    for args, message in ((("--report", demo_blend), "is the input .blend"),
                          (("--csv", same_file), "is the input .blend"),
                          (("--output", link), "is the input .blend"),
                          (("--report", str(tmp_path / "a.txt"), "--csv", str(tmp_path / "a.txt")), "the same file")):
        res = batch(*shot, *args)
        assert message in _error_line(res), res.stderr
        assert _digest(demo_blend) == before
    assert sorted(os.listdir(tmp_path)) == ["link.blend", "shot.blend"]


@needs_audio
def test_a_failed_run_leaves_no_output(addon, demo_blend, tmp_path):
    """F2: the report cannot be written (its name is too long): no .blend left behind either, one error line."""
    out = tmp_path / "out.blend"
    res = batch("--blend", demo_blend, "--strip", "Speech", "--faces", "Audience", "--output", str(out),
                "--report", str(tmp_path / ("r" * 300 + ".json")))
    assert "too long" in _error_line(res)
    assert sorted(os.listdir(tmp_path)) == ["shot.blend"]


def test_outputs_are_renamed_into_place_only_on_success(tmp_path):
    """F2: the mechanism itself: temporary files beside the outputs, gone again when the run fails."""
    from ml import cli

    (tmp_path / "old.csv").write_text("the previous run's\n")
    with pytest.raises(RuntimeError):
        with cli.Outputs({"--csv": str(tmp_path / "old.csv"), "--report": str(tmp_path / "r.json")}) as out:
            for option in ("--csv", "--report"):
                with open(out.path(option), "w") as f:
                    f.write("half")
                assert os.path.dirname(out.path(option)) == str(tmp_path)
            raise RuntimeError("the run failed after writing")
    assert sorted(os.listdir(tmp_path)) == ["old.csv"] and (tmp_path / "old.csv").read_text() == "the previous run's\n"
    with cli.Outputs({"--csv": str(tmp_path / "old.csv")}) as out:
        with open(out.path("--csv"), "w") as f:
            f.write("new")
        out.commit()
    assert sorted(os.listdir(tmp_path)) == ["old.csv"] and (tmp_path / "old.csv").read_text() == "new"


@pytest.mark.parametrize("option, value, message", [
    ("--strength", "nan", "Strength must be a number from 0 to 5"),
    ("--strength", "-1", "Strength must be a number from 0 to 5"),
    ("--strength", "-inf", "Strength must be a number from 0 to 5"),  # argparse took it for an option
    ("--smoothing", "-1e3", "Smoothing must be"),
    ("--smoothing", "inf", "Smoothing must be"),
    ("--hold", "nan", "Minimum Hold must be"),
    ("--hold", "1e300", "Minimum Hold must be"),
    ("--stagger", "inf", "Stagger must be"),
    ("--contrast", "0", "Contrast must be a number from 0.1"),
    ("--tolerance", "-0.5", "Key Tolerance must be"),
    ("--idle", "nan", "Idle Motion must be"),
    ("--seed", "-3", "Seed must be a whole number"),
    ("--seed", "99999999999999999999", "Seed must be a whole number"),
])
@needs_audio
def test_bad_numbers_are_refused(addon, demo_blend, tmp_path, option, value, message):
    """F3/F4/F5: NaN, inf, negative and huge settings are refused with the panel's ranges, nothing written."""
    out = tmp_path / "out.blend"
    res = batch("--blend", demo_blend, "--strip", "Speech", "--faces", "Audience", option, value, "--output", str(out))
    line = _error_line(res)
    assert option in line and message in line, line
    assert not out.exists()


def test_mode_and_preset_are_read_in_any_case():
    """The panel shows "React" and "ARKit 52"; a TD who types `--mode react --preset arkit` means the same."""
    sys.path.insert(0, ROOT)
    import batch as batch_script

    args = batch_script.parse_args(["--strip", "Speech", "--faces", "Audience", "--mode", "react", "--preset", "arkit"])
    assert (args.mode, args.preset) == ("REACT", "ARKIT")


@pytest.mark.parametrize("args, message", [
    (["--strip", "Speech"], "the following arguments are required: --faces"),
    (["--strip", "Speech", "--faces", "Audience", "--seed", "abc"], "argument --seed"),
    (["--strip", "Speech", "--faces", "Audience", "--loud"], "unrecognized arguments: --loud"),
    (["--strip", "Speech", "--faces", "Audience", "--preset", "VRM"], "argument --preset: invalid choice"),
])
def test_bad_options_exit_1_with_one_error_line(args, message):
    """F6: argparse's mistakes follow the same contract: exit 1 and one `error:` line, no usage text."""
    res = batch(*args)
    assert message in _error_line(res)


def test_a_blend_that_is_not_a_blend_file(tmp_path):
    """F7: --blend pointing at another kind of file: one clear line, no traceback."""
    notes = tmp_path / "notes.blend"
    notes.write_text("not a blend file\n" * 20)
    res = batch("--blend", str(notes), "--strip", "S", "--faces", "F")
    assert "cannot open" in _error_line(res) and "notes.blend" in res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert notes.read_text() == "not a blend file\n" * 20


def test_a_reader_that_stops_early_does_not_stop_the_run(addon, demo_blend, tmp_path):
    """Hostile F9: `batch.py ... | head -1` ended in a BrokenPipeError traceback. The run goes on, unheard."""
    out = tmp_path / "piped.blend"
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "batch.py"), "--", "--blend", demo_blend, "--strip",
                             "Speech", "--faces", "Audience", "--output", str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = next((line for line in proc.stdout if line.startswith("audience: ")), "")  # Blender may log first
    proc.stdout.close()  # as `head` does once it has its lines
    err = proc.stderr.read()
    assert proc.wait(timeout=300) == 0, err
    assert first and "Traceback" not in err and "BrokenPipe" not in err
    assert out.exists()
