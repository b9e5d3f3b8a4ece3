#!/usr/bin/env bash
# Regenerates demo/speech.ogg, the demo's speech, with espeak-ng and sox (Debian: apt-get install espeak-ng sox).
# A synthetic voice carries little real emotion; the prosody (speed, pitch, loudness) changes per part so the
# timeline has something to follow. The .ogg is committed so the demo needs neither tool.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
say() { # name speed pitch amplitude text
  espeak-ng -v en-us -s "$2" -p "$3" -a "$4" -w "$tmp/$1.wav" "$5"
  sox "$tmp/$1.wav" -r 22050 -c 1 "$tmp/$1.r.wav" pad 0 0.6
}
say 1 140 40 100 "Good evening, everyone. Thank you for coming tonight. Let me tell you a short story."
say 2 200 85 180 "And then, guess what? We won! We actually won the whole thing! Isn't that wonderful?"
say 3 110 20 60 "But last winter, our old friend passed away. We miss him every single day."
say 4 190 30 200 "And I am furious about what happened next! It is unacceptable! Absolutely unacceptable!"
say 5 170 95 160 "Wait. What is that? Oh no. Did you hear that noise?"
say 6 150 45 110 "Anyway. Thank you all, and good night."
sox "$tmp"/[1-6].r.wav -C 4 speech.ogg
soxi speech.ogg
