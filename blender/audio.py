"""Decode a sound strip as Blender plays it: Blender's own decoder (aud), only the part the strip plays."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import numpy as np

import bpy

from . import compat
from .errors import AudienceError


@dataclass
class StripAudio:
    samples: np.ndarray   # mono float32 at `rate`
    rate: int
    first_frame: int      # scene frame where the played sound starts
    last_frame: int       # scene frame where it ends (exclusive, as frame_final_end)
    fps: float


def find_sound_strip(scene, name: str):
    strips = [s for s in compat.sequencer_strips(scene) if compat.is_sound_strip(s)]
    if not name:
        raise AudienceError("pick a sound strip (Audience tab > Speech)")
    for s in strips:
        if s.name == name:
            return s
    other = next((s for s in compat.sequencer_strips(scene) if s.name == name), None)
    if other is not None:
        raise AudienceError(f"strip '{name}' is a {other.type.lower()} strip, not a sound strip")
    known = ", ".join(sorted(s.name for s in strips)) or "none"
    raise AudienceError(f"no sound strip named '{name}' in scene '{scene.name}' (sound strips: {known})")


def _sound_file(sound) -> tuple:
    """(path to decode, temporary file to delete or None)."""
    if sound.packed_file is not None:
        ext = os.path.splitext(sound.filepath)[1] or ".snd"
        fd, tmp = tempfile.mkstemp(suffix=ext, prefix="audience_")
        with os.fdopen(fd, "wb") as f:
            f.write(sound.packed_file.data)
        return tmp, tmp
    path = bpy.path.abspath(sound.filepath, library=sound.library)
    path = os.path.normpath(path)
    if not os.path.isfile(path):
        raise AudienceError(f"sound file not found: {path} (sound '{sound.name}')")
    if os.path.getsize(path) == 0:
        raise AudienceError(f"sound file is empty: {path}")
    return path, None


@dataclass
class SoundSource:
    """Everything needed to decode what a strip plays, read on the main thread; decoding needs no bpy."""
    path: str
    label: str            # file name, for messages
    start_s: float        # sound time at the first played frame (negative: the strip starts before the sound)
    end_s: float
    first_frame: int
    last_frame: int
    fps: float
    volume: float
    temporary: bool = False   # a packed sound written to a temp file; removed after decoding


def sound_source(scene, strip) -> SoundSource:
    if strip.sound is None:
        raise AudienceError(f"strip '{strip.name}' has no sound")
    fps = compat.frames_per_second(scene)
    first, last = strip.frame_final_start, strip.frame_final_end
    if last <= first:
        raise AudienceError(f"strip '{strip.name}' is trimmed to nothing")
    # Sound time at a scene frame f is (f - frame_start) / fps + sound_offset.
    start_s = (first - strip.frame_start) / fps + getattr(strip, "sound_offset", 0.0)
    path, tmp = _sound_file(strip.sound)
    return SoundSource(path, os.path.basename(strip.sound.filepath) or strip.sound.name, start_s,
                       start_s + (last - first) / fps, int(first), int(last), fps, float(strip.volume), tmp is not None)


def decode(source: SoundSource, rate: int) -> StripAudio:
    """The samples the strip plays, mono at `rate`. Safe to run off the main thread."""
    import aud

    try:
        try:
            sound = aud.Sound(source.path)
            specs = sound.specs
            # Decode from the file's start and cut here: seeking compressed files (ogg) lands samples off.
            samples = sound.limit(0.0, source.end_s).rechannel(1).resample(rate, True).data()
        except Exception as e:  # aud raises its own error type for files it cannot read
            raise AudienceError(f"cannot decode '{source.label}' as audio ({e})") from None
    finally:
        if source.temporary:
            os.unlink(source.path)
    skip = max(int(round(source.start_s * rate)), 0)
    if specs[0] <= 0 or samples.size <= skip:
        raise AudienceError(f"'{source.label}' holds no audio in the strip's range")
    y = np.ascontiguousarray(samples[skip:, 0], dtype=np.float32)
    if source.start_s < 0:  # the strip starts before the sound: silence first
        y = np.concatenate([np.zeros(int(round(-source.start_s * rate)), dtype=np.float32), y])
    return StripAudio(y * source.volume, rate, source.first_frame, source.last_frame, source.fps)


def strip_audio(scene, strip, rate: int) -> StripAudio:
    """Read and decode in one go (main thread)."""
    return decode(sound_source(scene, strip), rate)
