import os

import bpy

from conftest import sub


def test_register_unregister_repeatable(addon):
    for _ in range(2):
        addon.unregister()
        assert not hasattr(bpy.types.Scene, "audience")
        assert not hasattr(bpy.types, "AUDIENCE_PT_view3d")
        addon.register()
        assert hasattr(bpy.types.Scene, "audience")
        assert bpy.ops.audience.animate.poll() in (True, False)
    assert bpy.types.AUDIENCE_PT_view3d.bl_category == "Audience"
    assert bpy.types.AUDIENCE_PT_sequencer.bl_space_type == "SEQUENCE_EDITOR"


def test_sound_strip_search_lists_only_sound_strips(addon, empty_scene):
    props = sub(addon, "properties")
    assert props._sound_strip_names(None, bpy.context, "") == []


def test_keys_module_writes_and_clears_without_audio(addon, empty_scene):
    """Key writing on every Blender version, 4.2 included (its wheel has no audio)."""
    import numpy as np

    demo, keys = sub(addon, "blender.demo"), sub(addon, "blender.keys")
    faces = demo.build_audience(empty_scene, rows=1, per_row=2)
    obj = faces.objects[0]
    frames = np.arange(1, 101, 12, dtype=np.float64)
    values = np.linspace(0, 1, len(frames))
    assert keys.write_face(obj.data.shape_keys, obj.name, {"jawOpen": (frames, values)}).where == "ACTIVE"
    # The fingerprint noted while writing is the one read back from Blender: an untouched curve is the tool's.
    action = obj.data.shape_keys.animation_data.action
    fcurve = sub(addon, "blender.compat").existing_fcurves(action)[0]
    assert keys.written_curves(action) == {fcurve.data_path: keys.fingerprint(fcurve)}
    fcurve.keyframe_points[2].handle_left_type = "ALIGNED"  # a handle dragged
    assert keys.written_curves(action) != {fcurve.data_path: keys.fingerprint(fcurve)}
    fcurve.keyframe_points[2].handle_left_type = "AUTO_CLAMPED"
    fcurve.lock = True  # locked by the artist: theirs
    assert keys.written_curves(action) != {fcurve.data_path: keys.fingerprint(fcurve)}
    fcurve.lock = False
    empty_scene.frame_set(int(frames[-1]))
    assert abs(obj.data.shape_keys.key_blocks["jawOpen"].value - 1.0) < 1e-5
    assert keys.clear_face(obj.data.shape_keys) == []
    assert obj.data.shape_keys.animation_data.action is None


def test_keys_module_keeps_the_artists_work_without_audio(addon, empty_scene):
    """The tags, fingerprints, remembered values and markers on every Blender version, 4.2 included."""
    import numpy as np

    demo, keys, compat = sub(addon, "blender.demo"), sub(addon, "blender.keys"), sub(addon, "blender.compat")
    faces = demo.build_audience(empty_scene, rows=1, per_row=2)
    one, two = faces.objects
    frames = np.arange(1, 101, 12, dtype=np.float64)
    curves = {"jawOpen": (frames, np.linspace(0, 1, len(frames))), "browInnerUp": (frames, np.full(len(frames), 0.5))}
    assert all(block.value == 0.0 for block in one.data.shape_keys.key_blocks[1:])  # the demo's faces rest
    one.data.shape_keys.key_blocks["browInnerUp"].value = 0.25
    # The artist's own action and a track of theirs called like ours: ours goes on a track of its own.
    block = two.data.shape_keys.key_blocks["mouthSmileLeft"]
    block.keyframe_insert("value", frame=1)
    artist_track = two.data.shape_keys.animation_data.nla_tracks.new()
    artist_track.name = keys.NLA_TRACK
    for _ in range(2):
        assert keys.write_face(one.data.shape_keys, one.name, curves).where == "ACTIVE"
        assert keys.write_face(two.data.shape_keys, two.name, curves).where == "NLA"
    assert len(two.data.shape_keys.animation_data.nla_tracks) == 2
    # The artist adds a key to the tool's jawOpen curve: a re-run keeps it.
    action = one.data.shape_keys.animation_data.action
    jaw = next(fc for fc in compat.existing_fcurves(action) if "jawOpen" in fc.data_path)
    jaw.keyframe_points.insert(50, 0.9)
    assert keys.write_face(one.data.shape_keys, one.name, curves).kept == ["jawOpen"]
    assert 50 in [p.co.x for p in jaw.keyframe_points]
    # A duplicate keeps the tool's action: the next write gives each its own.
    twin = one.copy()
    twin.data = one.data.copy()
    faces.objects.link(twin)
    assert twin.data.shape_keys.animation_data.action == action
    assert keys.write_face(twin.data.shape_keys, "Twin", curves).copied
    assert twin.data.shape_keys.animation_data.action != action
    # Markers: the artist's stay.
    empty_scene.timeline_markers.new(keys.MARKER_PREFIX + "mine", frame=3)
    probs = np.tile(np.eye(8)[[0, 2, 2, 4, 4, 4, 0, 0, 1]], 1)
    keys.write_emotion(empty_scene, frames, probs, ("neutral", "calm", "happy", "sad", "angry", "fearful",
                                                    "disgust", "surprised"), ["neutral", "happy", "happy", "angry",
                                                                              "angry", "angry", "neutral", "neutral",
                                                                              "calm"])
    assert len(empty_scene.timeline_markers) == 1 + 5
    assert keys.clear_emotion(empty_scene) == ([], [])
    assert [m.name for m in empty_scene.timeline_markers] == [keys.MARKER_PREFIX + "mine"]
    # Remove: the edited curve stays, the value from before comes back on the others.
    assert keys.clear_face(one.data.shape_keys) == ["jawOpen"]
    assert keys.clear_face(two.data.shape_keys) == []
    assert [t.name for t in two.data.shape_keys.animation_data.nla_tracks] == [keys.NLA_TRACK]
    assert two.data.shape_keys.animation_data.nla_tracks[0] == artist_track
    assert one.data.shape_keys.key_blocks["browInnerUp"].value == 0.25
    assert [fc.data_path for fc in compat.existing_fcurves(action)] == [keys.shape_key_path("jawOpen")]


def test_the_tests_run_from_a_checkout_whose_folder_is_not_a_python_name(tmp_path):
    """`git clone ... audience-reactions`: pytest imports the add-on's __init__.py alone there; it must not fail."""
    import shutil
    import subprocess
    import sys

    from conftest import ROOT

    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        import pytest

        pytest.skip("not a git checkout")
    copy = tmp_path / "audience-reactions"
    for name in listed.stdout.splitlines():
        if name.startswith(("tests/", "blender/", "operators/", "panels/", "crowd/", "ml/")) or "/" not in name:
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(os.path.join(ROOT, name), copy / name)
    shutil.copytree(os.path.join(ROOT, "models"), copy / "models", dirs_exist_ok=True)
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/test_register.py::test_register_unregister_repeatable"],
                         cwd=copy, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-2000:]
