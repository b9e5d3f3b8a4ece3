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
    assert res.returncode == 1
    lines = [line for line in res.stderr.splitlines() if line.strip() and not line.startswith(("Freeing", "Error: Not freed"))]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], res.stderr


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
