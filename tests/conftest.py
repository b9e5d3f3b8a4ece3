"""Tests run with the real Blender Python module (bpy wheel), never mocks."""
import importlib
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
DATA = os.path.join(os.path.dirname(ROOT), "shared", "data", "ravdess")

import bpy  # noqa: E402

from checkout import load_addon  # noqa: E402

HAS_AUDIO = bpy.app.build_options.audaspace if hasattr(bpy.app.build_options, "audaspace") else True
needs_audio = pytest.mark.skipif(not HAS_AUDIO, reason="this bpy wheel is built without audio (4.2)")
needs_data = pytest.mark.skipif(not os.path.isdir(DATA), reason="../shared/data/ravdess is not here")


@pytest.fixture(scope="session")
def addon():
    return load_addon()


def sub(addon, name):
    return importlib.import_module(f"{addon.__name__}.{name}")


@pytest.fixture
def empty_scene(addon):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return bpy.context.scene


@pytest.fixture(scope="session")
def demo_audience_file(addon, tmp_path_factory):
    """A .blend holding the demo scene's 2 x 3 audience, built once: building six heads takes 2 s, appending them
    a few ms, and most tests need a fresh crowd. test_demo.py checks what build_audience makes."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    faces = sub(addon, "blender.demo").build_audience(bpy.context.scene, rows=2, per_row=3)
    path = str(tmp_path_factory.mktemp("demo") / "audience.blend")
    bpy.data.libraries.write(path, {faces}, path_remap="ABSOLUTE")
    return path, [o.name for o in faces.objects]


@pytest.fixture
def demo_scene(addon, empty_scene, demo_audience_file):
    """A 2 x 3 audience and the demo speech in a new, unsaved file; returns (scene, faces collection, strip)."""
    if not HAS_AUDIO:
        pytest.skip("this bpy wheel is built without audio (4.2)")
    path, names = demo_audience_file
    with bpy.data.libraries.load(path, link=False) as (_src, dst):
        dst.collections = ["Audience"]
    faces = dst.collections[0]
    for library in [lib for lib in bpy.data.libraries if bpy.path.abspath(lib.filepath) == path]:
        bpy.data.libraries.remove(library)  # appended data is local: the file it came from is not kept
    empty_scene.collection.children.link(faces)
    assert [o.name for o in faces.objects] == names and faces.library is None
    strip = sub(addon, "blender.demo").add_speech(empty_scene)
    return empty_scene, faces, strip


def fcurve_data(fcurve):
    co = np.empty(2 * len(fcurve.keyframe_points), dtype=np.float64)
    fcurve.keyframe_points.foreach_get("co", co)
    return co[0::2], co[1::2]


BLINK_KEYS = ("eyeBlinkLeft", "eyeBlinkRight")


def face_curves(addon, obj, with_blinks=False):
    """{shape key name: (frames, values)} the tool wrote on a face (the reactions; blinks on request)."""
    keys, compat = sub(addon, "blender.keys"), sub(addon, "blender.compat")
    action, _where = keys.find_action(obj.data.shape_keys)
    if action is None:
        return {}
    curves = {fc.data_path.split('"')[1]: fcurve_data(fc) for fc in compat.existing_fcurves(action)}
    return {k: v for k, v in curves.items() if with_blinks or k not in BLINK_KEYS}


def write_wav(path, y, sr=22050, channels=1):
    import soundfile

    soundfile.write(path, np.repeat(y[:, None], channels, axis=1) if channels > 1 else y, sr, subtype="PCM_16")
    return path
