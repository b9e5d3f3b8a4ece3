#!/usr/bin/env bash
# Installs what the tests need (once) and runs them with the real bpy. BPY_VERSION=4.5.15 bash scripts/test.sh for 4.5.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="$(bash "$root/scripts/setup.sh" | tail -n 1)"
cd "$root"
echo "== Blender $("$python" -c 'import bpy; print(bpy.app.version_string)' 2>/dev/null | tail -n 1)"
"$python" -m pytest -q -p no:cacheprovider tests "$@"
