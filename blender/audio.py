"""Decode the part of its sound a strip plays, as a stream of pieces."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

import bpy

from ..ml.audio import PIECE_S, AudioError, downmix, read_pieces
from . import compat
from .errors import AudienceError


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
    temporary: bool = False   # a packed sound written to a temp file; removed after decoding
    notes: list = field(default_factory=list)   # what the strip does to the sound that the analysis ignores
    sound: tuple = ()     # the sound datablock's name and file, to tell it was replaced meanwhile


def sound_source(scene, strip) -> SoundSource:
    """What to decode for the frames the strip plays, inside the meta strips it is in."""
    if strip.sound is None:
        raise AudienceError(f"strip '{strip.name}' has no sound")
    start_s, end_s, first, last, fps, notes = timing(scene, strip)
    path, tmp = _sound_file(strip.sound)
    return SoundSource(path, os.path.basename(strip.sound.filepath) or strip.sound.name, start_s, end_s,
                       int(first), int(last), fps, tmp is not None, notes, sound_of(strip))


def sound_of(strip) -> tuple:
    return (strip.sound.name, strip.sound.filepath) if strip.sound is not None else ()


def timing(scene, strip) -> tuple:
    """(sound time at the first played frame, at the last, first frame, frame after the last, fps, notes): where
    Blender plays the strip's sound; AudienceError where the faces could not follow it."""
    if len(getattr(strip, "retiming_keys", ())):  # sound retiming (4.2's sound strips have none); Python sees no speed
        raise AudienceError(f"strip '{strip.name}' is retimed (it has retiming keys): Blender does not tell add-ons "
                            "the speed they set, so the analysis would hear the sound at its own speed and the faces "
                            "could drift from it; use Strip > Retiming > Reset Retiming, or a sound file made at the "
                            "speed it should play")
    remap = scene.render.frame_map_old, scene.render.frame_map_new
    if remap[0] != remap[1]:  # Blender shows a key at frame f at f * new / old, but plays the sound unmapped
        raise AudienceError(f"Time Stretching maps frames {remap[0]} to {remap[1]} (Output Properties > Frame Range): "
                            "the faces would drift from the speech, which Blender plays unstretched; set Old and New "
                            "to the same value to animate the audience")
    fps = compat.frames_per_second(scene)
    first, last = compat.strip_range(strip)
    notes, metas = [], compat.enclosing_metas(strip)
    for meta in metas:
        meta_first, meta_last = compat.strip_range(meta)
        inside = max(first, meta_first), min(last, meta_last)
        if inside != (first, last):
            notes.append(f"strip '{strip.name}' is inside meta strip '{meta.name}', which plays it from frame "
                         f"{inside[0]} to {inside[1]}: keyed there only")
            first, last = inside
        if meta.mute or compat.channel_muted(scene, meta):
            notes.append(f"meta strip '{meta.name}' is muted: the faces are animated from its sound anyway")
    if last <= first:
        raise AudienceError(f"strip '{strip.name}' is trimmed to nothing"
                            + (" by the meta strips it is in" if metas else ""))
    if strip.mute or compat.channel_muted(scene, strip):
        notes.append(f"strip '{strip.name}' is muted: the faces are animated from its sound anyway")
    notes += _volume_notes(scene, strip)
    # Sound time at a scene frame f, as Blender plays it (checked against its mixdown): what a hard cut took off
    # the content's start counts as sound skipped, and a positive Sound Offset delays the sound.
    start_s = ((first - compat.strip_frame(strip, "content_start") + compat.strip_frame(strip, "content_trim_start"))
               / fps - getattr(strip, "sound_offset", 0.0))
    return start_s, start_s + (last - first) / fps, first, last, fps, notes


def _volume_notes(scene, strip) -> list:
    """The analysis hears the sound itself: a strip's volume (keyed or not) changes what plays, not the faces."""
    path = strip.path_from_id("volume")
    anim = scene.animation_data
    curves = list(anim.drivers) if anim else []
    for action in ([anim.action] + [s.action for t in anim.nla_tracks for s in t.strips]) if anim else []:
        curves += compat.existing_fcurves(action) if action is not None else []
    if any(fc.data_path == path for fc in curves):
        return [f"strip '{strip.name}' has animated volume: the faces react to the sound at full level "
                "throughout (the volume changes only what plays)"]
    if abs(strip.volume - 1.0) > 1e-6:
        return [f"strip '{strip.name}' plays at volume {strip.volume:g}: the faces react to the sound at full "
                "level (the volume changes only what plays)"]
    return []


def probe(source: SoundSource) -> None:
    """Check that the file decodes (its header, read by libsndfile or else Blender's decoder); AudienceError if not."""
    try:
        next(read_pieces(source.path, 8000, 0.0, 0.0), None)
        return
    except AudioError as e:
        first = e
    import aud

    try:
        if aud.Sound(source.path).specs[0] > 0:
            return
    except Exception:  # aud raises its own error type for files it cannot read
        pass
    discard(source)
    raise AudienceError(f"cannot decode '{source.label}' as audio ({first})")


def pieces(source: SoundSource, rate: int) -> Iterator[np.ndarray]:
    """What the strip plays, mono float32 at `rate`, piece by piece so memory stays flat. No bpy: any thread.

    libsndfile reads wav/flac/ogg/mp3 and more as a stream; anything else (AAC, video files) goes
    through Blender's own decoder (aud) in one piece.
    """
    stream = iter(())
    try:
        if source.start_s < 0:  # the strip starts before the sound: silence first
            yield np.zeros(int(round(-source.start_s * rate)), dtype=np.float32)
        stream = read_pieces(source.path, rate, max(source.start_s, 0.0), source.end_s)
        try:
            first = next(stream, None)
        except AudioError:
            stream, first = iter(()), _decode_with_aud(source, rate)
        if first is None or not len(first):
            raise AudienceError(f"'{source.label}' holds no audio in the strip's range (check its trims and its "
                                "Sound Offset)")
        yield first
        try:
            yield from stream
        except AudioError as e:
            raise AudienceError(f"cannot decode '{source.label}' as audio ({e})") from None
    finally:
        if hasattr(stream, "close"):
            stream.close()  # the file is closed before a temporary copy of it is removed
        discard(source)


def discard(source: SoundSource) -> None:
    """Remove a packed sound's temporary copy (after decoding, or when it will not be decoded)."""
    if source.temporary:
        try:
            os.unlink(source.path)
        except OSError:
            pass


def _decode_with_aud(source: SoundSource, rate: int) -> np.ndarray:
    import aud

    try:
        sound = aud.Sound(source.path)
        if sound.specs[0] <= 0:  # reading the specs first: aud raises here, not in data() (which aborts)
            return np.zeros(0, dtype=np.float32)
        # More than two channels become aud's stereo (a mono copy of each would be large); the pair is then mixed
        # as the file reader mixes one, so a channel in opposite phase does not cancel the speech.
        channels = min(int(sound.specs[1]), 2)
        # Decode from the file's start and cut here: seeking compressed files lands samples off.
        samples = sound.limit(0.0, source.end_s).rechannel(channels).resample(rate, True).data()
    except Exception as e:  # aud raises its own error type for files it cannot read
        raise AudienceError(f"cannot decode '{source.label}' as audio ({e})") from None
    block = int(PIECE_S * rate)  # pieces from the file's start, as read_pieces reads them
    mono = np.concatenate([downmix(samples[i:i + block], rate) for i in range(0, len(samples), block)] or [[]])
    return np.ascontiguousarray(mono[max(int(round(source.start_s * rate)), 0):], dtype=np.float32)


def strip_audio(scene, strip, rate: int) -> np.ndarray:
    """All the samples a strip plays, in one array (main thread; for short strips and checks)."""
    parts = list(pieces(sound_source(scene, strip), rate))
    return np.concatenate(parts)
