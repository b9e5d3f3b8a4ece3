#!/usr/bin/env bash
# Fresh machine to animated demo: installs, builds the demo audience, animates it, saves out/demo.blend + out/demo.png.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="$(bash "$root/scripts/setup.sh" | tail -n 1)"
cd "$root"
"$python" demo/run_demo.py "$@"
