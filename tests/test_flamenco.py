"""The Flamenco job type (flamenco/audience_reactions.js): compiled as Flamenco Manager would (node), and one of
its tasks run as a worker would, with the bpy module in place of the Blender executable."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT, needs_audio
from test_batch import batch
from test_shot_list import shots_dir  # noqa: F401  (the fixture)

NODE = shutil.which("node") or shutil.which("nodejs")
needs_node = pytest.mark.skipif(NODE is None, reason="node (Node.js) is not installed: `apt-get install nodejs`")
JOB_TYPE = os.path.join(ROOT, "flamenco", "audience_reactions.js")


def compile_job(**settings):
    out = subprocess.run([NODE, os.path.join(ROOT, "tests", "flamenco_compile.js"), JOB_TYPE, json.dumps(settings)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@needs_node
def test_a_task_per_chunk_of_shots():
    job = compile_job(shot_list="/farm/sq010/shots.csv", shots="1-5, 9, 3", shots_per_task=2,
                      batch_script="/farm/audience/batch.py", model="/farm/model", summary_dir="/farm/sq010/log",
                      options="--seed 3  --strength 1.2")
    keys = [s["key"] for s in job["job_type"]["settings"]]
    assert keys[:4] == ["shot_list", "shots", "shots_per_task", "batch_script"]
    assert [t["name"] for t in job["tasks"]] == ["shots 1-2", "shots 3-4", "shots 5,9"]
    command = job["tasks"][2]["commands"][0]
    assert job["tasks"][2]["type"] == "blender" and command["name"] == "blender-render"
    assert command["parameters"]["exe"] == "{blender}" and command["parameters"]["blendfile"] == ""
    assert command["parameters"]["args"] == [
        "--python", "/farm/audience/batch.py", "--", "--shots", "/farm/sq010/shots.csv", "--only", "5,9",
        "--model", "/farm/model", "--summary", "/farm/sq010/log/summary-5_9.json", "--seed", "3", "--strength", "1.2"]


@needs_node
@pytest.mark.parametrize("settings, message", [
    ({"shots": "1-x"}, "expected shot numbers"),
    ({"shots": "0-3"}, "numbered from 1"),
    ({"shots": "4-2"}, "numbered from 1"),
    ({"shots": "1", "options": "--speaker 'Lead singer'"}, "no quotes here"),
    ({"shots": "1", "options": "--output /tmp/x.blend"}, "--output is set by the job or the shot list"),
])
def test_mistakes_are_refused_when_the_job_is_submitted(settings, message):
    job = compile_job(shot_list="/s.csv", batch_script="/b.py", **settings)
    assert message in job.get("error", ""), job


@needs_node
@needs_audio
def test_a_task_runs_its_shots_as_a_worker_would(addon, shots_dir, tmp_path):  # noqa: F811
    (shots_dir / "farm.csv").write_text("blend,strip,faces,output\nsc010.blend,Speech,Audience,out/f1.blend\n"
                                        "sc020.blend,Speech,Audience,out/f2.blend\nsc010.blend,Nope,Audience,\n")
    job = compile_job(shot_list=str(shots_dir / "farm.csv"), shots="1-3", shots_per_task=2,
                      batch_script=os.path.join(ROOT, "batch.py"), summary_dir=str(tmp_path), options="--seed 7")
    # A worker runs `blender -b -y --python batch.py -- ...`; the bpy module runs batch.py with the same arguments.
    runs = []
    for task in job["tasks"]:
        args = task["commands"][0]["parameters"]["args"]
        assert args[:2] == ["--python", os.path.join(ROOT, "batch.py")]
        runs.append(batch(*args[args.index("--") + 1:]))
    assert [r.returncode for r in runs] == [0, 1]  # the second task's shot fails: Flamenco sees a failed task
    assert (shots_dir / "out" / "f1.blend").exists() and (shots_dir / "out" / "f2.blend").exists()
    assert "error: shot 3 (sc010): no sound strip named 'Nope'" in runs[1].stderr
    summaries = sorted(os.listdir(tmp_path))
    assert summaries == ["summary-1-2.json", "summary-3.json"]
    assert [s["status"] for s in json.loads((tmp_path / "summary-1-2.json").read_text())["shots"]] == ["done", "done"]
