"""batch.py --shots: many shots in one process, as a pipeline TD (and a hostile one) gives them."""
import hashlib
import json
import os
import re

import numpy as np
import pytest
import bpy

from conftest import face_curves, needs_audio, sub, write_wav
from test_batch import batch

pytestmark = needs_audio


@pytest.fixture(scope="module")
def shots_dir(addon, tmp_path_factory):
    """Two shots (4 s of the demo speech, two faces each); in sc020 the artist keyed a smile on Face.001."""
    import soundfile

    folder = tmp_path_factory.mktemp("shots")
    demo = sub(addon, "blender.demo")
    speech, rate = soundfile.read(demo.DEMO_SPEECH, dtype="float32")
    wav = write_wav(str(folder / "speech.wav"), speech[:4 * rate], rate)
    for name in ("sc010", "sc020"):
        bpy.ops.wm.read_factory_settings(use_empty=True)
        scene = bpy.context.scene
        faces = demo.build_audience(scene, rows=1, per_row=2)
        demo.add_speech(scene, wav)
        if name == "sc020":
            faces.objects["Face.001"].data.shape_keys.key_blocks["mouthSmileLeft"].keyframe_insert("value", frame=7)
        bpy.ops.wm.save_as_mainfile(filepath=str(folder / f"{name}.blend"))
    (folder / "out").mkdir()
    return folder


def _digests(folder):
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in ("sc010.blend", "sc020.blend")}


def _errors(res):
    return [line for line in res.stderr.splitlines() if line.startswith("error:")]


def test_every_shot_is_done_or_says_why_and_nothing_lands_on_an_input(addon, shots_dir):
    (shots_dir / "shots.csv").write_text(
        "name,blend,strip,faces,output,report,seed,blinks\n"
        "first,sc010.blend,Speech,Audience,out/sc010.blend,out/sc010.json,1,\n"
        "artist,sc020.blend,Speech,Audience,out/sc020.blend,,2,no\n"
        "bad seed,sc010.blend,Speech,Audience,out/bad.blend,,-4,\n"
        "no such file,sc030.blend,Speech,Audience,out/sc030.blend,,,\n"
        "twice a,sc010.blend,Speech,Audience,out/same.blend,,,\n"
        "twice b,sc020.blend,Speech,Audience,out/b.blend,out/same.blend,,\n"
        "onto input,sc020.blend,Speech,Audience,sc010.blend,,,\n"
        "no strip,sc010.blend,Talk,Audience,out/talk.blend,,,\n"
        "\n")
    before = _digests(shots_dir)
    res = batch("--shots", str(shots_dir / "shots.csv"), "--summary", str(shots_dir / "out" / "summary.json"),
                "--strength", "1.5")
    assert res.returncode == 1, res.stderr
    assert _errors(res) == [
        "error: shot 3 (bad seed): column seed: Seed must be a whole number from 0 to 2147483647 (got -4)",
        f"error: shot 4 (no such file): .blend file not found: {shots_dir / 'sc030.blend'}",
        f"error: shot 5 (twice a): --output {shots_dir / 'out' / 'same.blend'} is also shot 6 (twice b)'s --report: "
        "give each output its own file",
        f"error: shot 6 (twice b): --report {shots_dir / 'out' / 'same.blend'} is also shot 5 (twice a)'s --output: "
        "give each output its own file",
        f"error: shot 7 (onto input): --output {shots_dir / 'sc010.blend'} is shot 1 (first)'s .blend: an input "
        "is never overwritten; choose another file",
        "error: shot 8 (no strip): no sound strip named 'Talk' in scene 'Scene' (sound strips: Speech)"], res.stderr
    # Progress per shot and per stage, and a summary.
    for line in ("[1/8 first] start:", "[1/8 first]   5% listening to the speech", "[2/8 artist] 100% keying faces: 2 of 2",
                 "summary: 2 of 8 shots done, 6 failed"):
        assert line in res.stdout, line
    # A wrong row is said before the first shot runs (new user: they read it only after shot 1 had run).
    assert res.stdout.index("[3/8 bad seed] will not run: column seed") < res.stdout.index("[1/8 first] start:")
    summary = json.loads((shots_dir / "out" / "summary.json").read_text())
    assert [s["status"] for s in summary["shots"]] == ["done", "done"] + ["failed"] * 6
    assert summary["shots"][0]["faces"] == 2 and summary["shots"][0]["outputs"][0].endswith("sc010.blend")
    # Only the outputs of the shots done, no temporary files, the inputs untouched.
    assert sorted(os.listdir(shots_dir / "out")) == ["sc010.blend", "sc010.json", "sc020.blend", "summary.json"]
    assert _digests(shots_dir) == before
    report = json.loads((shots_dir / "out" / "sc010.json").read_text())
    assert report["settings"]["seed"] == 1 and report["settings"]["strength"] == 1.5  # its row, then the defaults
    # The artist's smile survived and their action stays active; ours went onto the NLA track.
    bpy.ops.wm.open_mainfile(filepath=str(shots_dir / "out" / "sc020.blend"))
    face = bpy.data.objects["Face.001"]
    anim = face.data.shape_keys.animation_data
    assert anim.action is not None and not anim.action.name.startswith("Audience")
    assert face_curves(addon, face) and face_curves(addon, bpy.data.objects["Face.002"])
    assert not any("eyeBlink" in fc.data_path for fc in sub(addon, "blender.compat").existing_fcurves(
        sub(addon, "blender.keys").find_action(face.data.shape_keys)[0]))  # blinks: no


def test_a_json_list_with_defaults_and_only_some_shots(addon, shots_dir):
    (shots_dir / "list.json").write_text(json.dumps({
        "defaults": {"strip": "Speech", "faces": "Audience", "mode": "REACT"},
        "shots": [{"blend": "sc010.blend", "output": "out/j1.blend"},
                  {"blend": "sc020.blend", "report": "out/j2.json", "seed": 4, "blinks": False},
                  {"blend": "sc010.blend", "output": "out/j1.blend"}]}))  # shot 3 clashes with shot 1: not run here
    res = batch("--shots", str(shots_dir / "list.json"), "--only", "2", "--idle", "0.05")
    assert res.returncode == 0, res.stderr
    assert "1 of the 3 shots" in res.stdout and "[2/3 sc020]" in res.stdout and "[1/3" not in res.stdout
    report = json.loads((shots_dir / "out" / "j2.json").read_text())
    assert (report["settings"]["seed"], report["settings"]["mode"], report["settings"]["blink"],
            report["settings"]["idle"]) == (4, "REACT", False, 0.05)
    assert not (shots_dir / "out" / "j1.blend").exists()
    res = batch("--shots", str(shots_dir / "list.json"), "--only", "1")
    assert res.returncode == 1 and _errors(res) == [
        f"error: shot 1 (sc010): --output {shots_dir / 'out' / 'j1.blend'} is also shot 3 (sc010)'s --output: give "
        "each output its own file"]


@pytest.mark.parametrize("content, message", [
    ("blend,strip,faces,speed\nsc010.blend,Speech,Audience,2\n", "unknown column(s) speed"),
    ("blend;strip;faces\nsc010.blend;Speech;Audience\n", "separated by semicolons, not commas"),
    ("blend\tstrip\tfaces\nsc010.blend\tSpeech\tAudience\n", "separated by tabs, not commas"),
    ("blend,strip,faces\n", "holds no shots"),
    ("blend,strip,faces,seed,seed\nsc010.blend,Speech,Audience,1,2\n", "column(s) seed given twice"),
    ('{"shots": {"blend": "sc010.blend"}}', "expected a list of shots"),
    ("[{\"blend\": \"sc010.blend\", \"seed\": [1, 2]", "is not valid JSON"),
])
def test_a_shot_list_that_cannot_be_read_runs_nothing(addon, shots_dir, content, message):
    path = shots_dir / ("bad.json" if content.startswith(("[", "{")) else "bad.csv")
    path.write_text(content)
    res = batch("--shots", str(path))
    assert res.returncode == 1 and len(_errors(res)) == 1 and message in _errors(res)[0], res.stderr
    assert "start:" not in res.stdout


def test_the_summary_is_never_written_onto_the_list_or_a_shots_output(addon, shots_dir):
    (shots_dir / "one.csv").write_text("blend,strip,faces,output\nsc010.blend,Speech,Audience,out/one.blend\n")
    for summary, message in ((shots_dir / "one.csv", "is the shot list: an input is never overwritten"),
                             (shots_dir / "out" / "one.blend", "is also shot 1 (sc010)'s --output")):
        res = batch("--shots", str(shots_dir / "one.csv"), "--summary", str(summary))
        assert res.returncode == 1 and len(_errors(res)) == 1 and message in _errors(res)[0], res.stderr
    assert not (shots_dir / "out" / "one.blend").exists()
    assert (shots_dir / "one.csv").read_text().startswith("blend,strip")


def test_options_that_belong_to_a_shot(addon, shots_dir):
    res = batch("--shots", str(shots_dir / "shots.csv"), "--output", "x.blend")
    assert _errors(res) == ["error: --output goes in the shot list, one per shot (columns blend, output, report, "
                            "csv)"]
    res = batch("--strip", "S", "--faces", "F", "--only", "1")
    assert _errors(res) == ["error: --only goes with --shots"]


def test_a_shot_list_row_cannot_smuggle_options(addon, shots_dir):
    """A value starting with dashes stays a value: '--output=...' in the strip column is the strip's name."""
    (shots_dir / "smuggle.csv").write_text("blend,strip,faces\nsc010.blend,--output=../x.blend,Audience\n")
    res = batch("--shots", str(shots_dir / "smuggle.csv"))
    assert res.returncode == 1 and "no sound strip named '--output=../x.blend'" in _errors(res)[0]
    assert not (shots_dir.parent / "x.blend").exists()


def test_progress_comes_a_face_at_a_time(addon, demo_scene):
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    prepared = job.prepare(scene, job.Settings(strip=strip.name, faces=faces.name))
    job._analyses.clear()  # heard before, it would not be analysed again
    seen = []
    timeline = job.analyse(prepared, lambda f, m: seen.append((f, m)))
    steps = job.write_steps(prepared, timeline)
    for n in range(len(faces.objects)):
        fraction, message = next(steps)
        assert message == f"keying faces: {n + 1} of {len(faces.objects)}"
    with pytest.raises(StopIteration) as done:
        next(steps)
    assert len(done.value.value.faces) == len(faces.objects) and fraction == 1.0
    m, s = divmod(round(prepared.source.end_s - prepared.source.start_s), 60)
    assert seen[0] == (0.05, f"listening to the speech: 0:00 of {m}:{s:02d}") and seen[-1][1].startswith("predicted")
    assert np.all(np.diff([f for f, _m in seen]) >= 0)


def _blend_with_its_own_sound(addon, folder, name, per_row):
    """folder/name.blend: `per_row` faces and a sound of its own (folder/name.wav, a copy of the shots' speech)."""
    import shutil

    shutil.copy(folder / "speech.wav", folder / f"{name}.wav")
    demo = sub(addon, "blender.demo")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    demo.build_audience(scene, rows=1, per_row=per_row)
    demo.add_speech(scene, str(folder / f"{name}.wav"))
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / f"{name}.blend"))
    return folder / f"{name}.blend"


@pytest.fixture(scope="module")
def solo_blend(addon, shots_dir):
    """solo.blend: one face, and its own sound."""
    return _blend_with_its_own_sound(addon, shots_dir, "solo", 1)


def test_no_shot_writes_onto_a_file_another_shots_blend_uses(addon, shots_dir, solo_blend):
    """Shot 2's --csv names shot 1's sound: shot 2 fails before anything runs, shot 1 is still done."""
    _blend_with_its_own_sound(addon, shots_dir, "victim", 2)
    sound = shots_dir / "victim.wav"
    before = hashlib.sha256(sound.read_bytes()).hexdigest()
    (shots_dir / "uses.csv").write_text("blend,strip,faces,output,csv\n"
                                        "victim.blend,Speech,Audience,out/uses1.blend,\n"
                                        "solo.blend,Speech,Audience,out/uses2.blend,victim.wav\n")
    refused = (f"error: shot 2 (solo): --csv {sound} is a file shot 1 (victim)'s .blend uses: an input is never "
               "overwritten; choose another file")
    res = batch("--shots", str(shots_dir / "uses.csv"))
    assert res.returncode == 1 and _errors(res) == [refused], res.stderr
    assert "summary: 1 of 2 shots done, 1 failed" in res.stdout
    assert (shots_dir / "out" / "uses1.blend").exists() and not (shots_dir / "out" / "uses2.blend").exists()
    res = batch("--shots", str(shots_dir / "uses.csv"), "--only", "2")  # shot 1 does not run; its files count
    assert res.returncode == 1 and _errors(res) == [refused], res.stderr
    assert hashlib.sha256(sound.read_bytes()).hexdigest() == before


def test_one_face_is_one_face(addon, shots_dir, solo_blend):
    (shots_dir / "solo.csv").write_text("blend,strip,faces,report\nsolo.blend,Speech,Audience,out/solo.json\n")
    res = batch("--shots", str(shots_dir / "solo.csv"))
    assert res.returncode == 0, res.stderr
    assert "audience: [1/1 solo] Animated 1 face, " in res.stdout
    assert re.search(r"audience: +1 solo +done +[0-9.]+ s  1 face, [0-9,]+ keys", res.stdout), res.stdout


@pytest.mark.parametrize("content, message", [
    ('{"default": {"seed": -4}, "shots": [{"blend": "sc010.blend", "strip": "Speech", "faces": "Audience"}]}',
     "unknown key(s) default at the top; it may hold shots, defaults"),
    ("blend,strip,faces,seed, seed\nsc010.blend,Speech,Audience,1,2\n", "column(s) seed given twice"),
    ("blend,strip,faces,\nsc010.blend,Speech,Audience,\n",
     "an empty column name (column 4): name it, or remove the extra comma in the header"),
    ('[{"blend": "sc010.blend", "strip": "Speech", "faces": "Audience", "seed": -4, "seed": 7}]',
     'key "seed" given twice in one object'),
    ('{"defaults": {"seed": 1}, "shots": [{"blend": "sc010.blend", "seed": 3, "seed ": 4}]}',
     'key "seed" given twice in one object'),
])
def test_a_setting_is_never_dropped_silently(addon, shots_dir, content, message):
    path = shots_dir / ("dropped.json" if content.startswith(("[", "{")) else "dropped.csv")
    path.write_text(content)
    res = batch("--shots", str(path))
    assert res.returncode == 1 and _errors(res) == [f"error: shot list {path}: {message}"], res.stderr
    assert "start:" not in res.stdout


@pytest.mark.parametrize("only, message", [
    ("2-1", "2-1 is reversed: write 1-2"),
    ("1-", "1- is an open range: give both ends, like 1-2"),
    ("1-3", "the shot list has shots 1 to 2"),
])
def test_only_says_what_is_wrong_with_its_numbers(addon, shots_dir, only, message):
    (shots_dir / "two.csv").write_text("blend,strip,faces\nsc010.blend,Speech,Audience\nsc020.blend,Speech,Audience\n")
    res = batch("--shots", str(shots_dir / "two.csv"), "--only", only)
    assert res.returncode == 1 and _errors(res) == [f"error: --only {only}: {message}"], res.stderr
    assert "start:" not in res.stdout


def test_error_and_progress_lines_stay_one_line(addon, shots_dir):
    """A newline in a shot's name or file name is shown as \\n: a script reads one line per message."""
    (shots_dir / "newline.json").write_text(json.dumps(
        [{"name": "a\nb", "blend": "no\nsuch.blend", "strip": "Speech", "faces": "Audience"}]))
    res = batch("--shots", str(shots_dir / "newline.json"))
    missing = f"{shots_dir}/no\\nsuch.blend"
    assert res.returncode == 1 and _errors(res) == [f"error: shot 1 (a\\nb): .blend file not found: {missing}"]
    assert f"audience: [1/1 a\\nb] FAILED: .blend file not found: {missing}" in res.stdout.splitlines()
    assert not [line for line in (res.stdout + res.stderr).splitlines() if line.startswith(("b)", "b]", "such"))]


def test_the_help_says_what_hold_does():
    res = batch("--help")
    assert "--hold HOLD seconds of speech the crowd weighs before it changes its mood (default 2" in \
        " ".join(res.stdout.split())


def test_a_bad_cell_is_named_by_its_column(addon, shots_dir):
    """New user and hostile (stop 21): a row's bad cells were told as command-line options ("argument --seed ...
    (see batch.py -- --help)") or without their column; a spreadsheet user looks for the column."""
    shots = [{"blend": "sc010.blend", "strip": "Speech", "faces": "Audience", "seed": "many"},
             {"blend": "sc010.blend", "strip": "Speech", "faces": "Audience", "blinks": "maybe"},
             {"blend": "sc010.blend", "strip": "Speech", "faces": "Audience", "mode": ["REACT"]},
             {"blend": "sc010.blend", "faces": "Audience"}]
    (shots_dir / "cells.json").write_text(json.dumps(shots))
    res = batch("--shots", str(shots_dir / "cells.json"))
    assert res.returncode == 1
    errors = _errors(res)
    assert errors[0].startswith("error: shot 1 (sc010): column seed: ") and "--help" not in errors[0], errors
    assert errors[1:] == ["error: shot 2 (sc010): column blinks: yes or no, not 'maybe'",
                          'error: shot 3 (sc010): column mode: a single value, not ["REACT"]',
                          "error: shot 4 (sc010): no strip given (column strip)"], errors
