#!/usr/bin/env bash
# Installs what the tests need (once) and runs them with the real bpy: BPY_VERSION=4.5.15 bash scripts/test.sh for 4.5
# (scripts/setup.sh says which Blender and Python it picks). Arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="$(bash "$root/scripts/setup.sh" | tail -n 1)"
cd "$root"
blender="$("$python" -c 'import sys, bpy; print(bpy.app.version_string, "with Python", sys.version.split()[0])')"
echo "== Blender $(echo "$blender" | tail -n 1)"
"$python" -m pytest -q -rs -p no:cacheprovider "$@"
