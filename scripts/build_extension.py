"""Build the installable extension zip, with its Python wheels bundled, using Blender's own builder.

  .venv-5.0.1/bin/python scripts/build_extension.py                      # dist/audience_reactions-<version>-linux_x64.zip
  .venv-5.0.1/bin/python scripts/build_extension.py --platform windows-x64
  .venv-5.0.1/bin/python scripts/build_extension.py --platform macos-arm64

Wheels for any platform download fine from Linux (pip download --platform); numpy is never bundled (Blender's own).
One zip per platform serves every supported Blender: it holds the wheels for Python 3.11 (Blender 4.2 to 5.0) and
for Python 3.13 (5.1, 5.2), and Blender's installer (4.2 to 5.2, measured) installs only those for its own Python.
The zip is validated with blender_ext.py, and checked to hold every wheel the manifest lists.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# What the add-on imports at run time (numpy comes with Blender). librosa, scikit-learn and joblib are
# for training and tests only: the features are computed with NumPy/SciPy (ml/features.py).
PACKAGES = ["scipy==1.17.1", "soundfile==0.14.0", "soxr==1.1.0"]
# The Pythons of the supported Blenders: 3.11 in 4.2 LTS to 5.0, 3.13 in 5.1 and 5.2 LTS.
PYTHONS = ("3.11", "3.13")
PLATFORMS = {
    # Blender platform: (pip --platform tags, xgboost package: the small CPU-only wheel exists for Linux/Windows only)
    "linux-x64": (["manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64"], "xgboost-cpu==3.2.0"),
    "windows-x64": (["win_amd64"], "xgboost-cpu==3.2.0"),
    "macos-arm64": ([f"macosx_{v}_0_arm64" for v in (11, 12, 13, 14)], "xgboost==3.2.0"),
    "macos-x64": ([f"macosx_10_{v}_x86_64" for v in (9, 13, 15)] + ["macosx_11_0_x86_64"], "xgboost==3.2.0"),
}
# Left out of the zip: development files (the manifest's own [build] excludes apply too).
NOT_SHIPPED = ("tests", "bench", "docs", "dist", "scripts", "demo", "out", ".ci", "requirements.txt", "pytest.ini")


def blender_ext() -> str:
    import importlib.util

    spec = importlib.util.find_spec("bpy")
    if spec is None:
        sys.exit("error: bpy is not installed in this Python (run scripts/setup.sh first)")
    found = glob.glob(os.path.join(os.path.dirname(spec.origin), "*", "scripts", "addons_core", "bl_pkg", "cli",
                                   "blender_ext.py"))
    if not found:
        sys.exit("error: blender_ext.py not found inside the bpy wheel")
    return found[0]


def download_wheels(platform: str, python: str, folder: str) -> list:
    """The wheels for one platform and one Python, numpy left out (it is downloaded only to resolve the others)."""
    tags, xgboost = PLATFORMS[platform]
    shutil.rmtree(folder, ignore_errors=True)  # no wheel of an older build left behind (pip's cache keeps them)
    os.makedirs(folder)
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--only-binary=:all:",
           "--python-version", python, "--implementation", "cp", "-d", folder]
    for tag in tags:
        cmd += ["--platform", tag]
    subprocess.run(cmd + PACKAGES, check=True)
    # XGBoost without its dependencies: they are numpy and scipy, and for the full `xgboost` NVIDIA's NCCL, which
    # pip would ask for on macOS too (it reads the "Linux only" marker against this machine, not the target).
    subprocess.run(cmd + ["--no-deps", xgboost], check=True)
    wheels = sorted(glob.glob(os.path.join(folder, "*.whl")))
    return [w for w in wheels if not os.path.basename(w).startswith("numpy-")]


def stage(platform: str, wheels: list, stage_dir: str) -> str:
    shutil.rmtree(stage_dir, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", ".*", "*.zip", "*.blend1", *NOT_SHIPPED)
    shutil.copytree(ROOT, stage_dir, ignore=ignore)
    os.makedirs(os.path.join(stage_dir, "wheels"))
    for w in wheels:
        shutil.copy(w, os.path.join(stage_dir, "wheels"))
    manifest = os.path.join(stage_dir, "blender_manifest.toml")
    with open(manifest) as f:
        text = f.read()
    listed = ",\n".join(f'  "./wheels/{os.path.basename(w)}"' for w in wheels)
    extra = f'platforms = ["{platform}"]\nwheels = [\n{listed},\n]\n'
    # Top-level keys must come before the first [table].
    text = re.sub(r"^\[permissions\]", extra + "\n[permissions]", text, count=1, flags=re.M)
    with open(manifest, "w") as f:
        f.write(text)
    return stage_dir


def version() -> str:
    with open(os.path.join(ROOT, "blender_manifest.toml")) as f:
        return re.search(r'^version = "([^"]+)"', f.read(), re.M).group(1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", default="linux-x64", choices=sorted(PLATFORMS))
    parser.add_argument("--out", default=os.path.join(ROOT, "dist"))
    args = parser.parse_args(argv)
    tool = blender_ext()
    tags = os.path.join(os.path.dirname(tool), "..", "..", "..", "modules", "_bpy_internal", "extensions", "tags.py")
    # Wheels both Pythons share (pure Python ones) are bundled once.
    wheels = {}
    for python in PYTHONS:
        for w in download_wheels(args.platform, python, os.path.join(args.out, f"wheels-{args.platform}-py{python}")):
            wheels.setdefault(os.path.basename(w), w)
    wheels = sorted(wheels.values(), key=os.path.basename)
    staged = stage(args.platform, wheels, os.path.join(args.out, "stage", "audience_reactions"))
    zip_path = os.path.join(args.out, f"audience_reactions-{version()}-{args.platform.replace('-', '_')}.zip")
    if os.path.exists(zip_path):
        os.remove(zip_path)
    valid_tags = ["--valid-tags", tags] if os.path.exists(tags) else []
    subprocess.run([sys.executable, tool, "build", "--source-dir", staged, "--output-filepath", zip_path,
                    *valid_tags], check=True)
    subprocess.run([sys.executable, tool, "validate", zip_path, *valid_tags], check=True)
    with zipfile.ZipFile(zip_path) as z:
        names = set(z.namelist())
    missing = [w for w in wheels if f"wheels/{os.path.basename(w)}" not in names]
    if missing or "blender_manifest.toml" not in names or "models/emotion_model.ubj" not in names:
        sys.exit(f"error: the zip lacks {missing or 'the manifest or the model'}")
    size = os.path.getsize(zip_path) / 1e6
    print(f"built {zip_path} ({size:.0f} MB, {len(wheels)} wheels)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
