#!/usr/bin/env bash
# Creates .venv-<bpy version> with Blender as a Python module and the add-on's packages (idempotent); prints its python.
# BPY_VERSION picks Blender: 5.2.3, 5.0.1, 4.5.15 or 4.2.23. bpy 5.1 and newer need Python 3.13, older ones 3.11
# (scripts/find_python.sh finds it; PYTHON=/path/to/python3.X names it). Without BPY_VERSION: 5.2.3 (the current
# LTS) when a Python 3.13 is found, else 5.0.1 with Python 3.11.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

python_for() {  # the Python X.Y that bpy $1 needs
  case "$1" in
    4.*|5.0.*) echo 3.11 ;;
    *) echo 3.13 ;;
  esac
}

if [ -n "${BPY_VERSION:-}" ]; then
  version="$BPY_VERSION"
elif bash "$root/scripts/find_python.sh" 3.13 >/dev/null 2>&1; then
  version=5.2.3
else
  version=5.0.1
fi
want="$(python_for "$version")"
if ! python="$(bash "$root/scripts/find_python.sh" "$want")"; then
  echo "error: bpy $version needs Python $want (see above)." >&2
  [ -n "${BPY_VERSION:-}" ] || echo "       Or use another Blender: BPY_VERSION=5.0.1 (Python 3.11), 5.2.3 (Python 3.13)." >&2
  exit 1
fi

venv="$root/.venv-$version"
stamp="$venv/.installed"
# A venv made by another Python (or a broken one) cannot be repaired by installing into it: start again.
if [ -d "$venv" ] && [ "$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" != "$want" ]; then
  echo "note: $venv was not made by Python $want: making it again with $python" >&2
  rm -rf "$venv"
fi
if [ ! -f "$stamp" ] || [ "$root/requirements.txt" -nt "$stamp" ]; then
  echo "== installing bpy $version and the add-on's packages into $venv (Python $want: $python)" >&2
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "bpy==$version" -r "$root/requirements.txt" >&2
  touch "$stamp"
fi
echo "$venv/bin/python"
