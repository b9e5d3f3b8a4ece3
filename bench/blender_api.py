"""Where key writing spends its time in Blender's API, and the alternatives, side by side in one process.

  .venv-5.0.1/bin/python bench/blender_api.py                  # 1,000 faces x 12 curves x 601 keys (5 min)
  .venv-4.2.23/bin/python bench/blender_api.py --faces 250     # any Blender: BPY_VERSION=... scripts/setup.sh

Each step of what Animate and Remove do to Blender's data is timed for every way of doing it, in turns (one round
runs every alternative once; the figure is the median of --repeats rounds), on light faces (one triangle, 12
shape keys) so that only the animation data counts. Printed: CPU time per key, per curve or per face, and the
ratio to the way the add-on takes (marked *). Nothing is asserted.
"""
from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from collections import defaultdict

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import bpy  # noqa: E402

from checkout import load_addon  # noqa: E402

compat = importlib.import_module(load_addon().__name__ + ".blender.compat")
SLOTTED = hasattr(bpy.types, "ActionSlot")


def build_faces(count: int, n_keys: int) -> list:
    """`count` one-triangle meshes with Basis + n_keys shape keys; returns their Key datablocks."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    keys = []
    for i in range(count):
        mesh = bpy.data.meshes.new(f"Face.{i:04d}")
        mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 0, 1)], [], [(0, 1, 2)])
        obj = bpy.data.objects.new(mesh.name, mesh)
        scene.collection.objects.link(obj)
        obj.shape_key_add(name="Basis")
        for k in range(n_keys):
            obj.shape_key_add(name=f"key{k}")
        keys.append(mesh.shape_keys)
    return keys


def reset(keys) -> None:
    for key in keys:
        key.animation_data_clear()
    bpy.data.batch_remove(list(bpy.data.actions))


# ---------------------------------------------------------------- an action, its slot and the curves, per face

def paths(n_keys):
    return [f'key_blocks["key{k}"].value' for k in range(n_keys)]


def slot_then_curves(key, i, n_keys):
    """slots.new, then the channelbag once and fcurves.new per curve (the add-on before)."""
    action = bpy.data.actions.new(f"Audience {i}")
    anim = key.animation_data_create()
    anim.action = action
    if not SLOTTED:
        return [action.fcurves.new(path, index=0, action_group="Audience Reactions") for path in paths(n_keys)]
    anim.action_slot = action.slots.new(id_type="KEY", name=key.name)
    bag = action.layers.new("Layer").strips.new(type="KEYFRAME").channelbag(anim.action_slot, ensure=True)
    group = bag.groups.new("Audience Reactions")
    curves = [bag.fcurves.new(path, index=0) for path in paths(n_keys)]
    for fc in curves:
        fc.group = group
    return curves


def compat_curves(key, i, n_keys):
    """compat.new_fcurves: fcurve_ensure_for_datablock on 4.4+, Blender making the slot with the first curve."""
    action = bpy.data.actions.new(f"Audience {i}")
    compat.assign_action(key.animation_data_create(), action)
    return compat.new_fcurves(action, key, paths(n_keys), "Audience Reactions")


# ---------------------------------------------------------------- keys

def keys_rna(smoothing, recalc="update"):
    def write(fc, co):
        fc.auto_smoothing = smoothing
        fc.keyframe_points.add(len(co) // 2)
        fc.keyframe_points.foreach_set("co", co)
        fc.update() if recalc == "update" else fc.keyframe_points.handles_recalc()
    return write


def keys_direct(recalc):
    def write(fc, co):
        fc.auto_smoothing = "NONE"
        fc.keyframe_points.add(len(co) // 2)
        compat.set_keyframe_co(fc, co)
        fc.update() if recalc == "update" else fc.keyframe_points.handles_recalc()
    return write


def rewrite_rna(fc, co):
    fc.keyframe_points.foreach_set("co", co)
    fc.update()


def rewrite_direct(fc, co):
    compat.set_keyframe_co(fc, co)
    fc.keyframe_points.handles_recalc()


def rest_one_by_one(key, values):
    for block, value in zip(key.key_blocks, values):
        block.value = value


def rest_foreach_set(key, values):
    key.key_blocks.foreach_set("value", values)
    key.update_tag()


def read_rna(fcurves):
    return [compat._foreach_get_arrays(fc.keyframe_points, len(fc.keyframe_points)) for fc in fcurves]


def read_direct(fcurves):
    return compat.keyframe_arrays(fcurves)


# ---------------------------------------------------------------- the run

def timed(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=1000)
    parser.add_argument("--curves", type=int, default=12, help="shape keys keyed per face (default 12)")
    parser.add_argument("--keys", type=int, default=601, help="keys per curve (default 601: 5 min every 0.5 s)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n, c, m = args.faces, args.curves, args.keys
    keys = build_faces(n, c)
    rng = np.random.default_rng(0)
    co = np.empty(2 * m, dtype=np.float32)
    co[0::2] = 1 + 12 * np.arange(m)
    co[1::2] = rng.random(m)
    co_f64 = co.astype(np.float64)
    direct = compat.reads_keys_directly()
    print(f"Blender {bpy.app.version_string} ({'slotted actions' if SLOTTED else 'Action.fcurves'}), {n} faces x "
          f"{c} curves x {m} keys = {n * c * m:,} keys; CPU time, median of {args.repeats} rounds; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    if not direct:
        print("the keys' array layout did not check out on this Blender: 'direct' rows fall back to foreach_get/set")
    results = defaultdict(list)   # (step, alternative) -> [seconds]
    units = {}                    # step -> (divisor, unit)

    def make_curves(how=compat_curves):
        return [fc for i, key in enumerate(keys) for fc in how(key, i, c)]

    for _round in range(args.repeats):
        # 1. An action, its slot and the curves, per face.
        step = f"action, slot and {c} F-curves per face"
        units[step] = (n, "µs a face")
        for name, how in (("slots.new, channelbag, fcurves.new" if SLOTTED else "Action.fcurves.new", slot_then_curves),
                          ("fcurve_ensure_for_datablock*" if SLOTTED else "compat.new_fcurves (the same)*",
                           compat_curves)):
            reset(keys)
            results[(step, name)].append(timed(lambda: make_curves(how)))
        # 2. Keys on new curves.
        step = "keys on new curves"
        units[step] = (n * c * m, "ns a key")
        for name, how, buffer in (("add, foreach_set f64, update, smoothing none", keys_rna("NONE"), co_f64),
                                  ("add, foreach_set f32, update, smoothing cont. accel.", keys_rna("CONT_ACCEL"), co),
                                  ("add, foreach_set f32, update, smoothing none", keys_rna("NONE"), co),
                                  ("add, direct write, update, smoothing none", keys_direct("update"), co),
                                  ("add, direct write, handles_recalc, smoothing none*", keys_direct("recalc"), co)):
            reset(keys)
            curves = make_curves()
            results[(step, name)].append(timed(lambda: [how(fc, buffer) for fc in curves]))
        # 3. A re-run: the same curves get new values.
        step = "re-run: keys rewritten"
        units[step] = (n * c * m, "ns a key")
        for name, how in (("foreach_set f32, update", rewrite_rna), ("direct write, handles_recalc*", rewrite_direct)):
            results[(step, name)].append(timed(lambda: [how(fc, co) for fc in curves]))
        # 4. Reading the keys back for the fingerprints (re-run and Remove).
        step = "read keys for fingerprints"
        units[step] = (n * c * m, "ns a key")
        for name, how in (("foreach_get co + 3 kinds", read_rna), ("direct read, a face at a time*", read_direct)):
            results[(step, name)].append(timed(lambda: [how(curves[i:i + c]) for i in range(0, len(curves), c)]))
        # 5. Putting back the values the shape keys had (Remove).
        step = f"{c} shape-key values put back per face"
        units[step] = (n, "µs a face")
        rest = np.zeros(c + 1, dtype=np.float32)
        for name, how in (("block.value = ... one at a time", rest_one_by_one),
                          ("key_blocks.foreach_set + update_tag*", rest_foreach_set)):
            results[(step, name)].append(timed(lambda: [how(key, rest) for key in keys]))
        # 6. Removing the actions (Remove Audience Keys).
        step = "remove the actions"
        units[step] = (n, "µs a face")
        for name in ("bpy.data.actions.remove one by one", "bpy.data.batch_remove*"):
            reset(keys)
            make_curves()
            actions = [key.animation_data.action for key in keys]
            for key in keys:
                key.animation_data.action = None
            if name.startswith("bpy.data.batch_remove"):
                results[(step, name)].append(timed(lambda: bpy.data.batch_remove(actions)))
            else:
                results[(step, name)].append(timed(lambda: [bpy.data.actions.remove(a) for a in actions]))

    steps = list(dict.fromkeys(step for step, _name in results))
    for step in steps:
        divisor, unit = units[step]
        rows = {name: statistics.median(times) for (s, name), times in results.items() if s == step}
        chosen = next((t for name, t in rows.items() if name.endswith("*")), None)
        print(f"\n{step} ({unit}{'' if step == 'action (+ slot) per face' else ''})")
        for name, t in rows.items():
            ratio = f"{t / chosen:6.2f}x the chosen" if chosen else ""
            print(f"  {name:<56}{t / divisor * (1e6 if 'µs' in unit else 1e9):10.2f}  {ratio}")
    print(f"\n* the way the add-on takes; load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
