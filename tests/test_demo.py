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
