"""The extension zip, built with Blender's own builder, installs into a fresh Blender user folder and works."""
import glob
import os
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request

import pytest

from conftest import HAS_AUDIO, ROOT

INSTALL_AND_RUN = textwrap.dedent("""
    import importlib, os, sys, sysconfig, warnings
    import bpy
    zip_path, speech = sys.argv[-2], sys.argv[-1]
    user = os.environ["BLENDER_USER_RESOURCES"]
    seen = []  # every warning, to check that none is a deprecation from our code
    warnings.simplefilter("always")
    warnings.showwarning = lambda message, category, filename, lineno, *_: seen.append((category, filename, message))
    assert bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default",
                                                    enable_on_install=True) == {"FINISHED"}
    name = "bl_ext.user_default.audience_reactions"
    assert hasattr(bpy.types.Scene, "audience"), "not enabled"
    # The zip holds wheels for Python 3.11 and 3.13: only this Python's are installed.
    ext_suffix = sysconfig.get_config_var("EXT_SUFFIX")
    modules = [f for _, _, files in os.walk(user) for f in files if ".cpython-" in f and f.endswith(".so")]
    assert modules and all(f.endswith(ext_suffix) for f in modules), [f for f in modules if not f.endswith(ext_suffix)]
    # Use the bundled wheels, not the test environment's copies.
    local = [p for p in sys.path if p.startswith(user)]
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
    ours = [f"{f}: {m}" for c, f, m in seen if issubclass(c, DeprecationWarning) and "audience_reactions" in f]
    assert not ours, ours
    print("EXTENSION OK")
""")


def package_index_unreachable():
    """Why the wheels cannot be downloaded (offline), or None: the package index answers."""
    url = os.environ.get("PIP_INDEX_URL") or subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", "global.index-url"], capture_output=True, text=True
    ).stdout.strip() or "https://pypi.org/simple"
    try:
        urllib.request.urlopen(url.rstrip("/") + "/scipy/", timeout=20).close()
    except urllib.error.HTTPError:
        return None  # it answers; the build will say what is wrong
    except OSError as e:
        return f"{url} does not answer ({e}); building the zip downloads its wheels"
    return None


@pytest.fixture(scope="module")
def extension_zip():
    offline = package_index_unreachable()
    if offline:
        pytest.skip(offline)
    res = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "build_extension.py")], capture_output=True,
                         text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    zips = glob.glob(os.path.join(ROOT, "dist", "audience_reactions-*-linux_x64.zip"))
    assert len(zips) == 1
    return zips[0]


def test_zip_installs_animates_and_disables(extension_zip, tmp_path):
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(tmp_path / "blender_user")}
    script = INSTALL_AND_RUN % {"audio": HAS_AUDIO}
    res = subprocess.run([sys.executable, "-c", script, extension_zip, os.path.join(ROOT, "demo", "speech.flac")],
                         env=env, capture_output=True, text=True, timeout=600)
    assert "EXTENSION OK" in res.stdout, res.stdout[-3000:] + res.stderr[-3000:]


def test_manifest_is_valid_for_blender():
    import importlib.util

    bpy_dir = os.path.dirname(importlib.util.find_spec("bpy").origin)
    tool = glob.glob(os.path.join(bpy_dir, "*", "scripts", "addons_core", "bl_pkg", "cli", "blender_ext.py"))[0]
    res = subprocess.run([sys.executable, tool, "validate", ROOT], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
