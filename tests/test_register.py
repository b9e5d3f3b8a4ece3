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
