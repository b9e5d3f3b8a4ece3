"""Corpus loaders: each turns a folder into labelled clips on the 8 RAVDESS classes."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from .model import EMOTIONS


@dataclass(frozen=True)
class Clip:
    path: str
    label: int      # index into EMOTIONS
    speaker: str    # actors are held out by this
    corpus: str


# modality-channel-emotion-intensity-statement-repetition-actor, e.g. 03-01-05-02-01-01-12.flac
_RAVDESS = re.compile(r"^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)\.(wav|flac|ogg|mp3)$", re.IGNORECASE)


def ravdess(data_dir: str) -> list:
    """Speech clips (modality 03 audio-only or 01 full AV audio track, channel 01 speech) of a RAVDESS folder."""
    clips = []
    for root, _dirs, files in os.walk(data_dir):
        for name in sorted(files):
            m = _RAVDESS.match(name)
            if not m or m.group(2) != "01":
                continue
            emotion = int(m.group(3))
            if 1 <= emotion <= len(EMOTIONS):
                clips.append(Clip(os.path.join(root, name), emotion - 1, f"ravdess-{m.group(7)}", "ravdess"))
    return sorted(clips, key=lambda c: c.path)


LOADERS = {"ravdess": ravdess}


def load_corpus(data_dir: str, corpus: str = "auto") -> list:
    if corpus != "auto":
        return LOADERS[corpus](data_dir)
    for loader in LOADERS.values():
        clips = loader(data_dir)
        if clips:
            return clips
    return []
