#!/usr/bin/env bash
# Creates .venv-<bpy version> with Blender as a Python module and the add-on's packages (idempotent); prints its python.
# BPY_VERSION picks Blender: 5.0.1 (the default), 5.2.3, 5.1.2, 4.5.15 or 4.2.23. bpy 5.1 and newer need Python 3.13, older
# ones 3.11: scripts/find_python.sh finds it, PYTHON=/path/to/python3.X names it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

python_for() {  # the Python X.Y that bpy $1 needs
  case "$1" in
    4.*|5.0.*) echo 3.11 ;;
    *) echo 3.13 ;;
  esac
}

version="${BPY_VERSION:-5.0.1}"
want="$(python_for "$version")"
if ! python="$(bash "$root/scripts/find_python.sh" "$want" 2>&1)"; then
  echo "error: bpy $version needs Python $want. ${python#error: }" >&2
  # The other Python may be here: say which Blender it can test.
  case "$want" in 3.11) other=3.13 other_bpy=5.2.3 ;; *) other=3.11 other_bpy=5.0.1 ;; esac
  if [ -z "${PYTHON:-}" ] && bash "$root/scripts/find_python.sh" "$other" >/dev/null 2>&1; then
    echo "       Python $other is here: BPY_VERSION=$other_bpy bash scripts/... uses Blender $other_bpy with it" >&2
  fi
  exit 1
fi

venv="$root/.venv-$version"
stamp="$venv/.installed"
# A venv made by another Python (or a broken one) cannot be repaired by installing into it: start again.
made_by="$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"
if [ -d "$venv" ] && [ "$made_by" != "$want" ]; then
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
