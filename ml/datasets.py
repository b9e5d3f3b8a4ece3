"""Corpus loaders: each turns a folder into labelled clips on the 8 RAVDESS classes, by file name."""
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


def _files(data_dir: str):
    """(folder, file name) of every file below data_dir, following links (actor folders may be links) but
    entering each real folder once, so a link loop or a linked backup copy is not read again."""
    seen = set()
    for root, dirs, files in os.walk(data_dir, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs.sort()
        for name in sorted(files):
            yield root, name


def _distinct(clips: list) -> list:
    """One clip per recording: a take found twice (a .wav beside its .flac) is read once."""
    first = {}
    for clip in sorted(clips, key=lambda c: c.path):
        first.setdefault((clip.corpus, os.path.splitext(os.path.basename(clip.path))[0].lower()), clip)
    return sorted(first.values(), key=lambda c: c.path)


def ravdess(data_dir: str) -> list:
    """Speech clips (modality 03 audio-only or 01 full AV audio track, channel 01 speech) of a RAVDESS folder."""
    clips = []
    for root, name in _files(data_dir):
        m = _RAVDESS.match(name)
        if not m or m.group(1) == "02" or m.group(2) != "01":  # 02: video only, no sound
            continue
        emotion = int(m.group(3))
        if 1 <= emotion <= len(EMOTIONS):
            clips.append(Clip(os.path.join(root, name), emotion - 1, f"ravdess-{m.group(7)}", "ravdess"))
    return _distinct(clips)


def _by_name(data_dir: str, corpus: str, pattern: re.Pattern, labels: dict) -> list:
    """Clips whose file name matches `pattern` (groups: speaker, emotion code); codes not in `labels` are skipped."""
    clips = []
    for root, name in _files(data_dir):
        m = pattern.match(name)
        if m and m.group(2).lower() in labels:
            label = EMOTIONS.index(labels[m.group(2).lower()])
            clips.append(Clip(os.path.join(root, name), label, f"{corpus}-{m.group(1).upper()}", corpus))
    return _distinct(clips)


# CREMA-D: ActorID_Sentence_Emotion_Level, e.g. 1001_DFA_ANG_XX.wav (91 actors; no calm, no surprise; one
# file in older copies has the level as "X").
_CREMA_D = re.compile(r"^(\d{4})_[A-Z]{3}_([A-Z]{3})_[A-Z]+\.(wav|flac|ogg|mp3)$", re.IGNORECASE)
_CREMA_D_LABELS = {"neu": "neutral", "hap": "happy", "sad": "sad", "ang": "angry", "fea": "fearful", "dis": "disgust"}
# TESS: Speaker_word_emotion, e.g. OAF_back_angry.wav (2 actresses; "ps" is pleasant surprise).
_TESS = re.compile(r"^([OY]AF)_[^_]+_([a-z]+)\.(wav|flac|ogg|mp3)$", re.IGNORECASE)
_TESS_LABELS = {"neutral": "neutral", "happy": "happy", "sad": "sad", "angry": "angry", "fear": "fearful",
                "disgust": "disgust", "ps": "surprised"}


# EmoDB (Berlin): SpeakerTextEmotionVersion, e.g. 03a01Wa.wav (10 German actors). Boredom (L) has no class
# among the 8 and is left out.
_EMODB = re.compile(r"^(\d\d)[ab]\d\d([WLEAFTN])[a-z]\.(?i:wav|flac|ogg|mp3)$")
_EMODB_LABELS = {"w": "angry", "f": "happy", "t": "sad", "a": "fearful", "e": "disgust", "n": "neutral"}


def crema_d(data_dir: str) -> list:
    return _by_name(data_dir, "crema-d", _CREMA_D, _CREMA_D_LABELS)


def tess(data_dir: str) -> list:
    return _by_name(data_dir, "tess", _TESS, _TESS_LABELS)


def emodb(data_dir: str) -> list:
    return _by_name(data_dir, "emodb", _EMODB, _EMODB_LABELS)


LOADERS = {"ravdess": ravdess, "emodb": emodb, "crema-d": crema_d, "tess": tess}


def load_corpus(data_dir: str, corpus: str = "auto") -> list:
    """Labelled clips of one corpus, or with "auto" of every corpus whose files are found (speakers stay apart:
    each is named with its corpus)."""
    if corpus != "auto":
        return LOADERS[corpus](data_dir)
    return [clip for loader in LOADERS.values() for clip in loader(data_dir)]
