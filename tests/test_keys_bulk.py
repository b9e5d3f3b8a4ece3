"""Keys in bulk (issue 14): the keys' own array read and set as foreach_get/foreach_set would, curves rewritten in
place, whole actions removed at once, and the artist's protection unchanged. Runs on every Blender, 4.2 too."""
import numpy as np
import pytest
import bpy

from conftest import fcurve_data, sub

FRAMES = np.arange(1, 121, 12, dtype=np.float64)


def _faces(addon, scene, count):
    return list(sub(addon, "blender.demo").build_audience(scene, rows=1, per_row=count).objects)


def _curve(addon, obj, shape_key):
    keys, compat = sub(addon, "blender.keys"), sub(addon, "blender.compat")
    action, _where = keys.find_action(obj.data.shape_keys)
    return next(fc for fc in compat.existing_fcurves(action) if fc.data_path == keys.shape_key_path(shape_key))


def test_the_keys_array_reads_and_sets_what_foreach_does(addon, empty_scene):
    compat = sub(addon, "blender.compat")
    assert compat.reads_keys_directly(), \
        "the keys' memory layout did not check out on this Blender: foreach_get/set are used (right, but slower)"
    action = bpy.data.actions.new("probe")
    obj = _faces(addon, empty_scene, 1)[0]
    compat.assign_action(obj.data.shape_keys.animation_data_create(), action)
    curves = compat.new_fcurves(action, obj.data.shape_keys, ['key_blocks["jawOpen"].value',
                                                             'key_blocks["browInnerUp"].value'], "G")
    rng = np.random.default_rng(3)
    for fc, n in zip(curves, (7, 3)):
        fc.keyframe_points.add(n)
        co = np.empty(2 * n, dtype=np.float32)
        co[0::2], co[1::2] = np.arange(n) * 5 + 1, rng.random(n)
        compat.set_keyframe_co(fc, co)
        fc.update()
        np.testing.assert_array_equal(fcurve_data(fc)[1], co[1::2].astype(np.float64))
    first = curves[0].keyframe_points
    assert all(keys.marks == b"" for keys in compat.keyframe_arrays(curves))  # as the tool writes them
    first[2].interpolation, first[4].handle_left_type, first[5].handle_right_type = "LINEAR", "VECTOR", "FREE"
    first[1].type, first[6].easing = "BREAKDOWN", "EASE_IN"
    for fc, keys in zip(curves, compat.keyframe_arrays(curves)):
        co, kinds, marks = compat._foreach_get_arrays(fc.keyframe_points, len(fc.keyframe_points), marks=True)
        np.testing.assert_array_equal(keys.co, co)
        np.testing.assert_array_equal(keys.kinds, kinds[:, :keys.kinds.shape[1]])  # [3, 1] when all alike
        assert list(keys.uniform) == [bool((row == row[0]).all()) for row in kinds]
        assert keys.marks == (marks.tobytes() if marks.any() else b"")
    assert compat.keyframe_arrays(curves)[0].marks != b""
    empty = compat.new_fcurves(action, obj.data.shape_keys, ['key_blocks["eyeWideLeft"].value'], "G")[0]
    for batch in ([curves[1], empty], [empty]):  # a curve without keys beside keys all of one kind, and alone
        got = compat.keyframe_arrays(batch)[-1]
        assert got.co.size == 0 and got.kinds.shape == (3, 0) and got.marks == b""
    with pytest.raises(ValueError, match="3 keys for an F-curve of 7"):
        compat.set_keyframe_co(curves[0], np.zeros(6, dtype=np.float32))
    assert not any(a.name.startswith(".audience probe") for a in bpy.data.actions)  # the layout probe left nothing


def test_fingerprints_stay_what_earlier_versions_wrote(addon, empty_scene):
    """A file animated by an earlier version keeps its marks only if the fingerprint of the same curve is the same
    hash: these two were computed by the version before the keys were read as one word a key (stop 26)."""
    keys, compat = sub(addon, "blender.keys"), sub(addon, "blender.compat")
    obj = _faces(addon, empty_scene, 1)[0]
    action = bpy.data.actions.new("pinned")
    compat.assign_action(obj.data.shape_keys.animation_data_create(), action)
    fc = compat.new_fcurves(action, obj.data.shape_keys, ['key_blocks["jawOpen"].value'], "G")[0]
    fc.auto_smoothing = "NONE"
    fc.keyframe_points.add(4)
    fc.keyframe_points.foreach_set("co", np.array([1, 0, 13, 0.25, 25, 0.5, 37, 0.125], dtype=np.float32))
    fc.update()
    assert keys.fingerprint(fc) == "57837bada83b60431908"
    fc.keyframe_points[1].select_control_point = True  # selection sits between the kinds and marks: not an edit
    assert keys.fingerprint(fc) == "57837bada83b60431908"
    fc.keyframe_points[1].interpolation, fc.keyframe_points[2].type, fc.mute = "LINEAR", "BREAKDOWN", True
    assert keys.fingerprint(fc) == "13ded188a3d945f02232"


@pytest.mark.parametrize("edit", ["value", "frame", "interpolation", "handle type", "added key", "deleted key",
                                  "modifier", "muted", "breakdown", "easing", "handle smoothing"])
def test_every_kind_of_edit_changes_the_fingerprint(addon, empty_scene, edit):
    keys = sub(addon, "blender.keys")
    obj = _faces(addon, empty_scene, 1)[0]
    keys.write_face(obj.data.shape_keys, obj.name, {"jawOpen": (FRAMES, np.linspace(0, 1, len(FRAMES)))})
    fc = _curve(addon, obj, "jawOpen")
    mark = keys.written_curves(keys.find_action(obj.data.shape_keys)[0])[fc.data_path]
    assert keys.fingerprint(fc) == mark
    point = fc.keyframe_points[4]
    point.select_control_point = not point.select_control_point  # selecting keys is no edit
    assert keys.fingerprint(fc) == mark
    {"value": lambda: setattr(point.co, "y", 0.123), "frame": lambda: setattr(point.co, "x", point.co.x + 1),
     "interpolation": lambda: setattr(point, "interpolation", "CONSTANT"),
     "handle type": lambda: setattr(point, "handle_right_type", "ALIGNED"),
     "added key": lambda: fc.keyframe_points.insert(200, 0.5),
     "deleted key": lambda: fc.keyframe_points.remove(point),
     "modifier": lambda: fc.modifiers.new("NOISE"), "muted": lambda: setattr(fc, "mute", True),
     "breakdown": lambda: setattr(point, "type", "BREAKDOWN"), "easing": lambda: setattr(point, "easing", "EASE_OUT"),
     "handle smoothing": lambda: setattr(fc, "auto_smoothing", "CONT_ACCEL")}[edit]()
    assert keys.fingerprint(fc) != mark


def test_a_rerun_rewrites_unedited_curves_in_place_and_keeps_edited_ones(addon, empty_scene):
    keys = sub(addon, "blender.keys")
    obj = _faces(addon, empty_scene, 1)[0]
    key = obj.data.shape_keys
    first = {"jawOpen": (FRAMES, np.full(len(FRAMES), 0.2)), "browInnerUp": (FRAMES, np.full(len(FRAMES), 0.3)),
             "eyeWideLeft": (FRAMES, np.full(len(FRAMES), 0.4))}
    keys.write_face(key, obj.name, first)
    jaw, brow = _curve(addon, obj, "jawOpen"), _curve(addon, obj, "browInnerUp")
    jaw_at, brow_at = jaw.as_pointer(), brow.as_pointer()
    brow.keyframe_points[3].interpolation = "CONSTANT"  # the artist's now
    assert jaw.auto_smoothing == keys.SMOOTHING == "NONE"
    again = {"jawOpen": (FRAMES, np.full(len(FRAMES), 0.7)), "browInnerUp": (FRAMES, np.full(len(FRAMES), 0.8)),
             "eyeWideLeft": (FRAMES[:5], np.full(5, 0.9))}  # fewer keys: a new curve
    written = keys.write_face(key, obj.name, again)
    assert written.kept == ["browInnerUp"]
    jaw = _curve(addon, obj, "jawOpen")
    assert jaw.as_pointer() == jaw_at  # the same curve, new values
    np.testing.assert_allclose(fcurve_data(jaw)[1], 0.7, atol=1e-6)
    brow = _curve(addon, obj, "browInnerUp")
    assert brow.as_pointer() == brow_at and np.allclose(fcurve_data(brow)[1], 0.3)
    assert len(_curve(addon, obj, "eyeWideLeft").keyframe_points) == 5
    marks = keys.written_curves(keys.find_action(key)[0])
    assert set(marks) == {keys.shape_key_path("jawOpen"), keys.shape_key_path("eyeWideLeft")}
    assert all(keys.fingerprint(_curve(addon, obj, name)) == marks[keys.shape_key_path(name)]
               for name in ("jawOpen", "eyeWideLeft"))  # the marks noted in place are what Blender holds
    if hasattr(key.animation_data, "action_slot"):  # 4.4+: Blender made the slot with the curves
        assert key.animation_data.action_slot is not None and jaw.group.name == "Audience Reactions"


def test_a_rerun_of_the_same_keys_leaves_the_curve_and_its_mark_and_still_sees_edits(addon, empty_scene):
    keys = sub(addon, "blender.keys")
    obj = _faces(addon, empty_scene, 1)[0]
    key = obj.data.shape_keys
    same = {"jawOpen": (FRAMES, np.linspace(0, 1, len(FRAMES))), "browInnerUp": (FRAMES, np.full(len(FRAMES), 0.3))}
    keys.write_face(key, obj.name, same)
    marks = keys.written_curves(keys.find_action(key)[0])
    written = keys.write_face(key, obj.name, {**same, "browInnerUp": (FRAMES, np.full(len(FRAMES), 0.6))})
    assert written.kept == []
    again = keys.written_curves(keys.find_action(key)[0])
    jaw_path, brow_path = keys.shape_key_path("jawOpen"), keys.shape_key_path("browInnerUp")
    assert again[jaw_path] == marks[jaw_path] and again[brow_path] != marks[brow_path]
    jaw = _curve(addon, obj, "jawOpen")
    np.testing.assert_allclose(fcurve_data(jaw)[1], np.linspace(0, 1, len(FRAMES)), atol=1e-6)
    np.testing.assert_allclose(fcurve_data(_curve(addon, obj, "browInnerUp"))[1], 0.6, atol=1e-6)
    assert keys.fingerprint(jaw) == again[jaw_path]
    signed = np.linspace(0, 1, len(FRAMES))
    signed[0] = -0.0  # equal to the 0.0 the curve holds, not the same bytes: the mark is of what the curve holds
    keys.write_face(key, obj.name, {**same, "jawOpen": (FRAMES, signed)})
    assert keys.fingerprint(jaw) == keys.written_curves(keys.find_action(key)[0])[jaw_path]
    jaw.keyframe_points[2].co.y = 0.9  # the artist's now: the same keys once more must not take it back
    assert keys.write_face(key, obj.name, same).kept == ["jawOpen"]
    assert abs(_curve(addon, obj, "jawOpen").keyframe_points[2].co.y - 0.9) < 1e-6


def test_remove_takes_whole_actions_at_once_and_leaves_the_artists(addon, empty_scene):
    keys = sub(addon, "blender.keys")
    faces = _faces(addon, empty_scene, 4)
    blocks = faces[0].data.shape_keys.key_blocks
    blocks["jawOpen"].slider_max = 0.5
    blocks["jawOpen"].value, blocks["browInnerUp"].value = 0.45, 0.25
    for obj in faces:
        keys.write_face(obj.data.shape_keys, obj.name, {"jawOpen": (FRAMES, np.linspace(0, 1, len(FRAMES))),
                                                        "browInnerUp": (FRAMES, np.full(len(FRAMES), 0.6))})
    edited = _curve(addon, faces[1], "jawOpen")
    edited.keyframe_points[2].co.y = 0.9
    ours = [keys.find_action(o.data.shape_keys)[0].name for o in faces]
    blocks["jawOpen"].slider_max = 0.4  # the artist narrows the slider after Animate: the value fits in it
    empty_scene.frame_set(40)
    kept = keys.clear_faces([o.data.shape_keys for o in faces])
    assert kept == [[], ["jawOpen"], [], []]
    assert sorted(a.name for a in bpy.data.actions) == [ours[1]]
    assert [fc.data_path for fc in sub(addon, "blender.compat").existing_fcurves(bpy.data.actions[ours[1]])] == \
        [keys.shape_key_path("jawOpen")]
    assert blocks["jawOpen"].value == pytest.approx(0.4) and blocks["browInnerUp"].value == pytest.approx(0.25)
    assert keys.REST not in faces[0].data.shape_keys.keys()
