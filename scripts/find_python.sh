#!/usr/bin/env bash
# Prints the path of a Python X.Y that can make venvs, or says on stderr what to install and exits 1.
#   bash scripts/find_python.sh 3.13
# Looks at $PYTHON (only there when it is set), then pythonX.Y and python3 on PATH, pyenv's versions, uv's Pythons.
set -euo pipefail
want="$1"

version_of() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }
has_venv() { "$1" -c 'import ensurepip, venv' >/dev/null 2>&1; }

without_venv=""
try() {
  local python="$1"
  [ -n "$python" ] && [ "$(version_of "$python")" = "$want" ] || return 1
  if ! has_venv "$python"; then
    without_venv="$python"
    return 1
  fi
  command -v "$python"
}

if [ -n "${PYTHON:-}" ]; then
  try "$PYTHON" && exit 0
  if [ -n "$without_venv" ]; then
    echo "error: PYTHON=$PYTHON cannot make venvs (Debian/Ubuntu: apt-get install python$want-venv)" >&2
  elif found="$(version_of "$PYTHON")"; then
    echo "error: PYTHON=$PYTHON is Python $found, Python $want is needed" >&2
  else
    echo "error: PYTHON=$PYTHON does not run, Python $want is needed" >&2
  fi
  exit 1
fi

candidates=("python$want" python3)
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
if command -v pyenv >/dev/null 2>&1; then
  pyenv_root="$(pyenv root)"
fi
# pyenv's shims refuse a version that is not selected, so use its interpreters directly (the newest first).
if [ -d "$pyenv_root/versions" ]; then
  while IFS= read -r python; do
    candidates+=("$python")
  done < <(ls -d "$pyenv_root"/versions/"$want".*/bin/python"$want" 2>/dev/null | sort -rV)
fi
if command -v uv >/dev/null 2>&1; then
  candidates+=("$(uv python find "$want" 2>/dev/null || true)")
fi
for python in "${candidates[@]}"; do
  try "$python" && exit 0
done

if [ -n "$without_venv" ]; then
  echo "error: $without_venv is Python $want but cannot make venvs: apt-get install python$want-venv" >&2
  exit 1
fi
{
  echo "error: Python $want was not found (looked at python$want, python3, pyenv in $pyenv_root, uv). Install it:"
  case "$want" in
    3.11) echo "         Debian 12 / Ubuntu 22.04:  apt-get install python3.11 python3.11-venv" ;;
    3.13) echo "         Debian 13 / Ubuntu 25.04:  apt-get install python3.13 python3.13-venv" ;;
  esac
  echo "         any Linux or macOS:  pyenv install $want   or   pip install uv && uv python install $want"
  echo "       (pyenv's and uv's Pythons are found by themselves), or point at one you have:"
  echo "         PYTHON=/path/to/python$want bash scripts/..."
} >&2
exit 1

