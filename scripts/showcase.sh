#!/usr/bin/env bash
# Remakes every figure and picture of the crowd with whatever model is in models/: the crowd's fidelity on held-out
# RAVDESS actors (docs/fidelity.json, printed) and the showcase (docs/showcase.png, docs/showcase.mp4). Needs
# ../shared/data (RAVDESS and the corpora the model was trained on). The first run trains the held-out models
# (about 10 minutes on 2 cores, cached in ~/.cache/audience_reactions/heldout); the video takes about 30 minutes.
# Arguments go to demo/showcase.py (--no-video, --samples N).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="$(bash "$root/scripts/setup.sh" | tail -n 1)"
cd "$root"
"$python" bench/fidelity.py --json docs/fidelity.json
"$python" demo/showcase.py "$@"
