"""A stadium: 1,000 faces x 12 shape keys x 5 minutes of speech through the real operators, and the memory it takes.

  .venv-5.0.1/bin/python bench/stadium.py                        # 1,000 faces, 5 min of speech, 3 rounds
  .venv-5.0.1/bin/python bench/stadium.py --faces 500 --minutes 10

Each round: Animate Audience on faces without animation (first run), Animate again (re-run: every curve is
checked against its fingerprint and rewritten), Remove Audience Keys. The faces are light (one quad each, Basis
and the demo's 12 ARKit shape keys) so that what is measured is the tool and Blender's animation data, not the
meshes. A warm-up on 10 faces first (imports, model, the first decode), so the rounds measure the work.

Memory, measured first: peak RSS (ru_maxrss) when blender.job animates the stadium as batch.py does, split into
what was there before (Blender, the add-on, XGBoost and the model, the scene), Blender's own keyframes (keys
written x sizeof(BezTriple)) and ours (the rest: the analysis, the crowd values, the curves' other data); then
what the button's undo step adds (Blender keeps a copy of what an undoable operator changed). Times are wall clock
with CPU time beside; nothing is asserted.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)

import speed  # noqa: E402  (the speech file, the light faces, the add-on's modules)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(run) -> tuple:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    speed.as_shipped()
    import bpy

    tmp = tempfile.mkdtemp(prefix="audience_stadium_")
    try:
        path = speed.write_speech(os.path.join(tmp, "speech.ogg"), args.minutes * 60, "OGG")
        scene, strip = speed.speech_scene(path)
        mods = speed.addon_modules()
        demo, compat = mods["blender.demo"], mods["blender.compat"]
        warm = demo.add_speech(scene, speed.write_speech(os.path.join(tmp, "warm.ogg"), 10, "OGG"), name="Warm-up",
                               frame=1)
        speed.light_faces(scene, "Warm-up", 10, demo.DEMO_KEYS)
        speed.light_faces(scene, "Audience", args.faces, demo.DEMO_KEYS)
        animate = lambda faces: bpy.ops.audience.animate(strip=strip.name, faces=faces)  # noqa: E731
        clear = lambda faces: bpy.ops.audience.clear(faces=faces)  # noqa: E731
        bpy.ops.audience.animate(strip=warm.name, faces="Warm-up")
        clear("Warm-up")
        print(f"{args.faces} faces x {len(demo.DEMO_KEYS)} shape keys, {args.minutes:g} min of speech "
              f"(demo/speech.ogg tiled, Ogg Vorbis); Blender {bpy.app.version_string}, {os.cpu_count()} CPUs; "
              f"load average {os.getloadavg()[0]:.1f} at the start")

        # Memory first, on a process that has not animated the stadium yet: what batch.py runs (blender.job, no
        # undo step), then the button's way (the operator: Blender also keeps the result as an undo step).
        job = mods["blender.job"]
        before = rss_mb()
        job.animate(scene, job.Settings(strip=strip.name, faces="Audience"))
        batch_peak = peak_mb()
        keys_written = sum(len(fc.keyframe_points) for o in bpy.data.collections["Audience"].objects
                           for fc in compat.existing_fcurves(o.data.shape_keys.animation_data.action))
        animate("Audience")
        button_peak = peak_mb()
        clear("Audience")

        def again():  # a re-run of a speech not heard before: the analysis is part of it
            job._analyses.clear()
            return animate("Audience")

        runs = {"first run": [], "re-run": [], "re-run, new speech": [], "Remove": []}
        for round_ in range(args.rounds):
            job._analyses.clear()
            for step, run in (("first run", lambda: animate("Audience")), ("re-run", lambda: animate("Audience")),
                              ("re-run, new speech", again), ("Remove", lambda: clear("Audience"))):
                wall, cpu, _ = timed(run)
                runs[step].append((wall, cpu))
            print(f"round {round_ + 1}: " + ", ".join(f"{step} {r[-1][0]:.2f} s (CPU {r[-1][1]:.2f})"
                                                      for step, r in runs.items())
                  + f"; load {os.getloadavg()[0]:.1f}")
        print(f"\nthrough the operators, median of {args.rounds} rounds (wall clock; CPU time of all threads):")
        goals = {"first run": 3.0, "re-run": 2.0, "re-run, new speech": 2.0, "Remove": 0.5}
        for step, r in runs.items():
            wall, cpu = statistics.median(w for w, _c in r), statistics.median(c for _w, c in r)
            print(f"  {step:<19}{wall:7.2f} s  (CPU {cpu:.2f} s)   goal {goals[step]:g} s: "
                  f"{'met' if wall <= goals[step] else 'not met'}")
        print("  (re-run: the same speech, its analysis remembered, as when the artist changes a setting and clicks "
              "again; re-run, new speech: analysed again)")
        key_size = compat._BEZTRIPLE.itemsize
        blender_keys = keys_written * key_size / 2**20
        print(f"\nmemory, peak RSS: {batch_peak:.0f} MB as batch.py animates (goal 1,024 MB: "
              f"{'met' if batch_peak <= 1024 else 'not met'}), {button_peak:.0f} MB with the button's undo step")
        print(f"  before the first run (Blender, the add-on, XGBoost and the model, the scene): {before:.0f} MB")
        print(f"  Blender's keyframes: {keys_written:,} keys x {key_size} bytes = {blender_keys:.0f} MB")
        print(f"  ours and Blender's other data for the curves (the rest): {batch_peak - before - blender_keys:.0f} MB")
        print(f"  Blender's undo step after the button (a copy of what changed): {button_peak - batch_peak:.0f} MB")
        print(f"load average now {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
