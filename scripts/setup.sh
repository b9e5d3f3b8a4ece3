#!/usr/bin/env bash
# Creates .venv-<bpy version> with Blender as a Python module and the add-on's packages (idempotent).
# BPY_VERSION picks Blender: 5.0.1 (default), 4.5.15 or 4.2.23.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="${BPY_VERSION:-5.0.1}"
venv="$root/.venv-$version"
stamp="$venv/.installed"
if [ ! -f "$stamp" ] || [ "$root/requirements.txt" -nt "$stamp" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "bpy==$version" -r "$root/requirements.txt"
  touch "$stamp"
fi
echo "$venv/bin/python"
