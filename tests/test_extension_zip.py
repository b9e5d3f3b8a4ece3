"""The extension zip, built with Blender's own builder, installs into a fresh Blender user folder and works."""
import glob
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import HAS_AUDIO, ROOT

INSTALL_AND_RUN = textwrap.dedent("""
    import importlib, os, sys
    import bpy
    zip_path, speech = sys.argv[-2], sys.argv[-1]
    assert bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default",
                                                    enable_on_install=True) == {"FINISHED"}
    name = "bl_ext.user_default.audience_reactions"
    assert hasattr(bpy.types.Scene, "audience"), "not enabled"
    # Use the bundled wheels, not the test environment's copies.
    local = [p for p in sys.path if p.startswith(os.environ["BLENDER_USER_RESOURCES"])]
    for p in local:
        sys.path.remove(p)
        sys.path.insert(0, p)
    demo = importlib.import_module(name + ".blender.demo")
    if {"audio": %(audio)s}["audio"]:
        faces = demo.build_audience(bpy.context.scene, rows=1, per_row=3)
        strip = demo.add_speech(bpy.context.scene, speech)
        assert bpy.ops.audience.animate(strip=strip.name, faces=faces.name) == {"FINISHED"}
        action = faces.objects[0].data.shape_keys.animation_data.action
        assert action.name.startswith("Audience"), action
        import scipy, soundfile, soxr, xgboost
        for module in (scipy, soundfile, soxr, xgboost):
            assert module.__file__.startswith(os.environ["BLENDER_USER_RESOURCES"]), module.__file__
        # The click needs neither librosa nor numba (no compile on first use).
        assert not {"librosa", "numba"} & set(sys.modules), "librosa or numba imported"
    bpy.ops.preferences.addon_disable(module=name)
    assert not hasattr(bpy.types.Scene, "audience"), "still registered after disabling"
    print("EXTENSION OK")
""")


@pytest.fixture(scope="module")
def extension_zip():
    res = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "build_extension.py")], capture_output=True,
                         text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    zips = glob.glob(os.path.join(ROOT, "dist", "audience_reactions-*-linux_x64.zip"))
    assert len(zips) == 1
    return zips[0]


def test_zip_installs_animates_and_disables(extension_zip, tmp_path):
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(tmp_path / "blender_user")}
    script = INSTALL_AND_RUN % {"audio": HAS_AUDIO}
    res = subprocess.run([sys.executable, "-c", script, extension_zip, os.path.join(ROOT, "demo", "speech.ogg")],
                         env=env, capture_output=True, text=True, timeout=600)
    assert "EXTENSION OK" in res.stdout, res.stdout[-3000:] + res.stderr[-3000:]


def test_manifest_is_valid_for_blender():
    import importlib.util

    bpy_dir = os.path.dirname(importlib.util.find_spec("bpy").origin)
    tool = glob.glob(os.path.join(bpy_dir, "*", "scripts", "addons_core", "bl_pkg", "cli", "blender_ext.py"))[0]
    res = subprocess.run([sys.executable, tool, "validate", ROOT], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
