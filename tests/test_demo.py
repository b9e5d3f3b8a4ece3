"""The demo audience's faces: every shape key moves its own feature and nothing else."""
import os
import numpy as np
import pytest
import bpy

from conftest import sub

# Where each shape key may move vertices, on the face's own left (+X; the face looks down -Y): x and z ranges in
# the face's coordinates (the head is about 2 wide and 2.3 tall, its middle at 0). Right keys mirror x.
REGIONS = {
    "brow": ((0.1, 0.62), (0.55, 0.8)),
    "eye": ((0.1, 0.58), (0.0, 0.52)),
    "cheek": ((0.3, 0.75), (-0.3, 0.05)),
    "nose": ((-0.15, 0.15), (-0.2, 0.2)),
    "mouth": ((-0.1, 0.4), (-0.6, -0.35)),
}
BOTH_SIDES = {"browInnerUp": "brow", "jawOpen": "mouth", "jawForward": "mouth", "mouthFunnel": "mouth"}


def _region(name: str):
    """(x range, z range) for a shape key; None for a key of both sides (checked against both halves)."""
    if name in BOTH_SIDES:
        (x0, x1), z = REGIONS[BOTH_SIDES[name]]
        return (-x1, x1), z
    part = next(p for p in ("brow", "eye", "cheek", "nose", "mouth") if name.startswith(p))
    (x0, x1), z = REGIONS[part]
    if name.endswith("Right"):
        x0, x1 = -x1, -x0
    return (x0, x1), z


@pytest.fixture
def face(addon, empty_scene):
    demo = sub(addon, "blender.demo")
    collection = demo.build_audience(empty_scene, rows=1, per_row=1)
    return collection.objects[0], demo


def _coords(block):
    co = np.empty(3 * len(block.data), dtype=np.float64)
    block.data.foreach_get("co", co)
    return co.reshape(-1, 3)


def test_each_shape_key_moves_only_its_own_part(face):
    obj, demo = face
    blocks = obj.data.shape_keys.key_blocks
    assert [b.name for b in blocks[1:]] == list(demo.DEMO_KEYS)
    basis = _coords(blocks["Basis"])
    for block in blocks[1:]:
        moved = np.linalg.norm(_coords(block) - basis, axis=1)
        where = basis[moved > 1e-6]
        assert len(where), f"{block.name} moves nothing"
        assert 0.04 < moved.max() <= 0.3, f"{block.name} moves a vertex by {moved.max():.2f}"
        (x0, x1), (z0, z1) = _region(block.name)
        outside = ((where[:, 0] < x0) | (where[:, 0] > x1) | (where[:, 2] < z0) | (where[:, 2] > z1)
                   | (where[:, 1] > -0.5))
        assert not outside.any(), (f"{block.name} moves {outside.sum()} vertices off its own part, e.g. at "
                                   f"{np.round(where[outside][0], 2)}")
        assert blocks[block.name].value == 0.0


def test_sides_mirror_each_other(face):
    """A left key and its right key move mirror images of the same vertices, by the same amounts."""
    obj, demo = face
    blocks = obj.data.shape_keys.key_blocks
    basis = _coords(blocks["Basis"])
    for name in demo.DEMO_KEYS:
        if not name.endswith("Left"):
            continue
        left = _coords(blocks[name]) - basis
        right = _coords(blocks[name[:-4] + "Right"]) - basis
        moved_left = basis[np.linalg.norm(left, axis=1) > 1e-6]
        moved_right = basis[np.linalg.norm(right, axis=1) > 1e-6]
        assert len(moved_left) == len(moved_right), name
        np.testing.assert_allclose(np.sort(moved_left[:, 0]), np.sort(-moved_right[:, 0]), atol=1e-4)
        np.testing.assert_allclose(np.sort(np.linalg.norm(left, axis=1)), np.sort(np.linalg.norm(right, axis=1)),
                                   atol=1e-4)


def test_the_demo_face_has_every_key_the_arkit_preset_names(face):
    obj, _demo = face
    from crowd.presets import ARKIT, BLINKS

    wanted = {k for row in ARKIT.values() for k in row} | set(BLINKS["ARKIT"])
    assert wanted <= set(obj.data.shape_keys.key_blocks.keys())
    assert "demo_part" not in obj.data.attributes  # the build's own bookkeeping is not left on the mesh
    assert bpy.data.materials  # coloured: skin, eyes, hair, clothes


def compat_strip(addon, scene):
    return sub(addon, "blender.compat").sequencer_strips(scene)[0]


def test_demo_blend_plays_in_sync_with_the_sound(addon, empty_scene, tmp_path):
    from conftest import HAS_AUDIO

    if not HAS_AUDIO:
        pytest.skip("this bpy wheel is built without audio (4.2)")
    demo = sub(addon, "blender.demo")
    faces, strip = demo.build_demo_scene(empty_scene, rows=1, per_row=2)
    path = str(tmp_path / "demo.blend")
    bpy.ops.wm.save_as_mainfile(filepath=path)
    moved = tmp_path / "elsewhere" / "deeper"  # a copy in another folder keeps its sound: it is packed
    moved.mkdir(parents=True)
    os.replace(path, moved / "demo.blend")
    bpy.ops.wm.open_mainfile(filepath=str(moved / "demo.blend"))
    scene = bpy.context.scene
    assert compat_strip(addon, scene).sound.packed_file is not None
    assert scene.sync_mode == "AUDIO_SYNC" and scene.use_audio_scrub
    compat = sub(addon, "blender.compat")
    first, after = compat.strip_range(compat.sequencer_strips(scene)[0])
    assert (scene.frame_start, scene.frame_end) == (first, after - 1)  # the speech, to its last frame
    assert "Set" in bpy.data.collections and scene.camera is not None


def test_movie_and_still_outputs_on_this_blender(addon, empty_scene):
    """The showcase's MP4 (H.264 and AAC) and PNG settings, whichever way this Blender names them."""
    compat = sub(addon, "blender.compat")
    compat.use_movie_output(empty_scene)
    ffmpeg = empty_scene.render.ffmpeg
    assert empty_scene.render.image_settings.file_format == "FFMPEG"
    assert (ffmpeg.format, ffmpeg.codec, ffmpeg.audio_codec) == ("MPEG4", "H264", "AAC")
    compat.use_image_output(empty_scene, "PNG")
    assert empty_scene.render.image_settings.file_format == "PNG"


def test_the_demo_face_named_as_faceshift_and_vroid_name_it(addon, empty_scene):
    """`run_demo.py --rigs mixed`: the same face with each rig's names. Each of its keys moves the face as its mix
    of ARKit keys does (so only those keys' parts), and it has every key its preset names, with the blinks."""
    from crowd.presets import BLINKS, PRESETS, detect

    demo = sub(addon, "blender.demo")
    collection = demo.build_audience(empty_scene, rows=1, per_row=3, rigs=demo.RIGS)
    arkit, *others = collection.objects
    blocks = arkit.data.shape_keys.key_blocks
    basis = _coords(blocks["Basis"])
    offsets = {b.name: _coords(b) - basis for b in blocks[1:]}
    assert [detect(o.data.shape_keys.key_blocks.keys()[1:]) for o in collection.objects] == list(demo.RIGS)
    for obj, rig in zip(others, demo.RIGS[1:]):
        keys = obj.data.shape_keys.key_blocks
        np.testing.assert_allclose(_coords(keys["Basis"]), basis, atol=1e-6)
        wanted = {k for row in PRESETS[rig].values() for k in row} | set(BLINKS[rig])
        assert set(keys.keys()[1:]) == wanted, rig
        for block in keys[1:]:
            mix = demo.RIG_KEYS[rig][block.name]
            expected = sum(w * offsets[k] for k, w in mix.items())
            np.testing.assert_allclose(_coords(block) - basis, expected, atol=1e-5, err_msg=block.name)
            assert 0.02 < np.linalg.norm(expected, axis=1).max() <= 0.3, block.name
            assert block.value == 0.0


def test_the_mixed_demo_crowd_animates_in_one_click_without_warnings(addon, empty_scene):
    from conftest import HAS_AUDIO, face_curves

    if not HAS_AUDIO:
        pytest.skip("this bpy wheel is built without audio (4.2)")
    demo, job = sub(addon, "blender.demo"), sub(addon, "blender.job")
    faces, strip = demo.build_demo_scene(empty_scene, rows=1, per_row=3, rigs=demo.RIGS)
    assert job.rig_kinds(faces) == {"ARKIT": 1, "FACESHIFT": 1, "VROID": 1}
    result = job.animate(empty_scene, job.Settings(strip=strip.name, faces=faces.name))
    assert sorted(result.faces) == sorted(o.name for o in faces.objects)
    assert not [n for n in result.notes if "lack" in n or "no naming" in n], result.notes
    for obj in faces.objects:
        curves = face_curves(addon, obj)
        assert len(curves) >= 10 and max(v.max() for _f, v in curves.values()) > 0.2, obj.name


def test_raised_brows_stay_under_the_fringe(face):
    """New user 22: in the README's still the top row's raised brows were drawn on the hair (the camera sees them
    from below). Raised all the way, a brow stays well under the lowest hair in front of the face."""
    obj, demo = face
    _mesh, parts = demo.face_mesh("probe")  # the same geometry, vertex for vertex
    blocks = obj.data.shape_keys.key_blocks
    hair = _coords(blocks["Basis"])[parts["hair"][0]]
    for side in ("Left", "Right"):
        brow = parts[f"brow{side}"][0]
        basis = _coords(blocks["Basis"])[brow]
        over = (hair[:, 1] < -0.3) & (hair[:, 0] >= basis[:, 0].min()) & (hair[:, 0] <= basis[:, 0].max())
        fringe = hair[over][:, 2].min()  # the lowest hair in front, above the brow
        # Surprise raises the inner and outer brow at once: both moves added, as Blender mixes them.
        top = (_coords(blocks["browInnerUp"])[brow] + _coords(blocks[f"browOuterUp{side}"])[brow] - basis)[:, 2].max()
        assert top < fringe - 0.05, f"the {side.lower()} brow rises to {top:.2f}, the fringe starts at {fringe:.2f}"


def test_the_demo_still_is_a_clear_expression_not_many_faint_keys(addon, empty_scene):
    """out/demo.png's frame: a smile at 0.7 on every face reads in a still; eight keys at 0.3 (brows, eyes and jaw a
    little open: more in total) read as faces paying attention, and closed eyes are no expression at all."""
    demo, keys = sub(addon, "blender.demo"), sub(addon, "blender.keys")
    faces = demo.build_audience(empty_scene, rows=1, per_row=2)
    frames = np.array([1.0, 20.0, 40.0, 60.0, 80.0])
    faint = ("browInnerUp", "browOuterUpLeft", "browOuterUpRight", "eyeWideLeft", "eyeWideRight", "jawOpen",
             "mouthFunnel", "cheekSquintLeft")
    for i, obj in enumerate(faces.objects):
        at = frames + i  # each member at its own delay
        curves = {"mouthSmileLeft": (at, np.array([0, 0.7, 0, 0, 0])),
                  "eyeBlinkLeft": (at, np.array([0, 0, 0, 1.0, 0])), "eyeBlinkRight": (at, np.array([0, 0, 0, 1.0, 0]))}
        curves.update({name: (at, np.array([0, 0, 0.3, 0, 0])) for name in faint})
        keys.write_face(obj.data.shape_keys, obj.name, curves)
    assert demo.most_expressive_frame(faces) in (20, 21)
    assert demo.most_expressive_frame(faces, [(35, 90)]) in (40, 41)  # within the spans asked for
    assert 45 <= demo.most_expressive_frame(faces, [(45, 55)]) <= 55  # no key inside: read between the keys

    # The artist's own curves on the same action are not expressions; two keys snapped onto one frame keep the ramp.
    first = faces.objects[0]
    action = keys.find_action(first.data.shape_keys)[0]
    fc = [c for c in sub(addon, "blender.compat").slot_fcurves(action, first.data.shape_keys)
          if c.data_path == keys.shape_key_path("mouthSmileLeft")][0]
    fc.keyframe_points.insert(21, 0.0)  # frame 20's smile now drops to 0 on frame 21
    first.data.shape_keys.eval_time = 0.0
    first.data.shape_keys.keyframe_insert("eval_time", frame=1)
    first.data.shape_keys.eval_time = 100.0
    first.data.shape_keys.keyframe_insert("eval_time", frame=90)
    assert demo.most_expressive_frame(faces) in (20, 21)
