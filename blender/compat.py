"""Every difference between Blender 4.2, 4.4+ (slotted actions), 5.0 (no Action.fcurves, strips, image/video media
types) and 5.2 (strip frame names) lives here."""
from __future__ import annotations

import ctypes
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple

import numpy as np

import bpy


def sequencer_strips(scene) -> list:
    """All strips of the scene, inside meta strips too ("sequences" before 5.0, "strips" from 5.0)."""
    editor = scene.sequence_editor
    if editor is None:
        return []
    return list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all)


def top_level_strips(scene):
    """The strip collection that new strips are added to."""
    editor = scene.sequence_editor or scene.sequence_editor_create()
    return editor.strips if hasattr(editor, "strips") else editor.sequences


# StringProperty(search=...) crashes Blender 4.2 at exit (seen with the 4.2 bpy module); the panel
# falls back to a search over all strips there.
STRING_SEARCH = bpy.app.version >= (4, 3, 0)


def strips_collection_name(scene) -> str:
    """Name of the scene.sequence_editor collection holding every strip (for prop_search)."""
    editor = scene.sequence_editor
    return "strips_all" if editor is not None and hasattr(editor, "strips_all") else "sequences_all"


# Blender 5.2 renamed the strips' frame properties (the old names are to go in 6.0): 5.2 name -> the name before.
STRIP_FRAMES = {
    "left_handle": "frame_final_start",          # the first frame the strip plays
    "right_handle": "frame_final_end",           # the frame after the last one it plays
    "content_start": "frame_start",              # where its content begins: the sound's 0 s (before any trim)
    "content_duration": "frame_duration",        # the content's length, trims not counted
    "left_handle_offset": "frame_offset_start",  # frames trimmed off the start
    "right_handle_offset": "frame_offset_end",   # frames trimmed off the end
    "content_trim_start": "animation_offset_start",  # content a hard cut (Split > Hard) took off the start
}


def strip_frame(strip, name: str):
    """A strip's frame property by its 5.2 name (a key of STRIP_FRAMES); the old name before 5.2."""
    return getattr(strip, name if hasattr(strip, name) else STRIP_FRAMES[name])


def set_strip_frame(strip, name: str, value) -> None:
    setattr(strip, name if hasattr(strip, name) else STRIP_FRAMES[name], value)


def strip_range(strip) -> tuple:
    """The first frame a strip plays and the frame after its last one."""
    return strip_frame(strip, "left_handle"), strip_frame(strip, "right_handle")


def is_sound_strip(strip) -> bool:
    return strip.type == "SOUND"


def enclosing_metas(strip) -> list:
    """The meta strips a strip is inside, innermost first."""
    metas = []
    meta = strip.parent_meta()
    while meta is not None:
        metas.append(meta)
        meta = meta.parent_meta()
    return metas


def channel_muted(scene, strip) -> bool:
    """The strip's channel (in its meta, or the sequencer) is muted."""
    metas = enclosing_metas(strip)
    owner = metas[0] if metas else scene.sequence_editor
    channels = getattr(owner, "channels", None)
    return bool(channels is not None and 0 <= strip.channel < len(channels) and channels[strip.channel].mute)


def has_slots(action) -> bool:
    """Blender 4.4+ (slotted actions)."""
    return hasattr(action, "slots")


def assign_action(anim_data, action) -> None:
    """Make `action` the active action of `anim_data`. On 4.4+ it keeps or gets a slot the action already has for
    this datablock; a new action gets its slot from new_fcurves."""
    anim_data.action = action
    if has_slots(action) and anim_data.action_slot is None:
        slot = _existing_slot(action, anim_data.id_data)
        if slot is not None:
            anim_data.action_slot = slot


def _id_type(datablock) -> str:
    return datablock.id_type if hasattr(datablock, "id_type") else type(datablock).__name__.upper()


def _existing_slot(action, datablock):
    return next((slot for slot in action.slots if slot.target_id_type == _id_type(datablock)), None)


def _slot_for(action, datablock):
    # slots.new names the slot and, doing so, walks through every datablock of the file: 0.5 ms a face with
    # 1,000 faces. new_fcurves lets Blender make the slot with the curves where it can.
    return _existing_slot(action, datablock) or action.slots.new(id_type=_id_type(datablock), name=datablock.name)


def _channelbag(action, datablock, slot=None):
    """The channelbag of `datablock`'s slot (or `slot`), made with its layer and strip if needed (4.4+)."""
    layer = action.layers[0] if len(action.layers) else action.layers.new("Layer")
    strip = layer.strips[0] if len(layer.strips) else layer.strips.new(type="KEYFRAME")
    return strip.channelbag(slot or _slot_for(action, datablock), ensure=True)


# Action.fcurve_ensure_for_datablock (4.4+) takes the channel group from 5.0 on.
_ENSURE_TAKES_GROUP = bpy.app.version >= (5, 0, 0)


def new_fcurves(action, datablock, data_paths: list, group: str) -> list:
    """New F-curves in `action` for `datablock`, in channel group `group`.

    On 4.4+, for the datablock's active action, Blender makes slot, layer and channelbag with the first curve
    (fcurve_ensure_for_datablock: a tenth of the time of making the slot apart, bench/blender_api.py); for an
    action on an NLA strip, the slot is made here and the curves in its channelbag.
    """
    if not has_slots(action):
        return [action.fcurves.new(path, index=0, action_group=group) for path in data_paths]
    anim = datablock.animation_data
    if anim is not None and anim.action == action and hasattr(action, "fcurve_ensure_for_datablock"):
        if _ENSURE_TAKES_GROUP:
            return [action.fcurve_ensure_for_datablock(datablock, path, index=0, group_name=group)
                    for path in data_paths]
        fcurves = [action.fcurve_ensure_for_datablock(datablock, path, index=0) for path in data_paths]
        bag = _channelbag(action, datablock, anim.action_slot) if fcurves else None
    else:
        bag = _channelbag(action, datablock)
        fcurves = [bag.fcurves.new(path, index=0) for path in data_paths]  # 4.5 takes no group here
    if fcurves:
        channel_group = bag.groups.get(group) or bag.groups.new(group)
        for fcurve in fcurves:
            fcurve.group = channel_group
    return fcurves


def existing_fcurves(action):
    """All F-curves of an action, in any slot, without creating anything."""
    if not has_slots(action):
        return list(action.fcurves)
    return [fc for layer in action.layers for strip in layer.strips for bag in strip.channelbags for fc in bag.fcurves]


def slot_users(action, datablock):
    """How many datablocks `action` animates as it animates `datablock` (4.4+: the users of its slot; Blender puts
    an object's own keys into its shape keys' action, in a slot of the object's), or None before slots."""
    if not has_slots(action):
        return None
    slot = _existing_slot(action, datablock)
    return len(slot.users()) if slot is not None and hasattr(slot, "users") else None


def slot_fcurves(action, datablock) -> list:
    """The F-curves `action` holds for `datablock` (4.4+: its slot's only; all of them before slots)."""
    if not has_slots(action):
        return list(action.fcurves)
    slot = _existing_slot(action, datablock)
    if slot is None:
        return []
    bags = [strip.channelbag(slot) for layer in action.layers for strip in layer.strips]
    return [fc for bag in bags if bag is not None for fc in bag.fcurves]


def remove_fcurves(action, fcurves) -> None:
    """Remove these F-curves of `action` (each channelbag walked once, not once per curve)."""
    doomed = {fc.as_pointer() for fc in fcurves}
    if not doomed:
        return
    if not has_slots(action):
        for fc in [fc for fc in action.fcurves if fc.as_pointer() in doomed]:
            action.fcurves.remove(fc)
        return
    for layer in action.layers:
        for strip in layer.strips:
            for bag in strip.channelbags:
                for fc in [fc for fc in bag.fcurves if fc.as_pointer() in doomed]:
                    bag.fcurves.remove(fc)


# Keyframes in bulk. Every Keyframe property has its own getter and setter, so foreach_get/foreach_set handle
# one key at a time (~90 ns a key for "co", several times that once Blender 5.0's heap is busy: it allocates per
# key), as much as everything else Animate does. The keys of an F-curve are one array of BezTriple structs
# (DNA_curve_types.h, 72 bytes, the same in 4.2 to 5.2): reading and setting frame and value there costs a few
# ns a key. The layout is checked against foreach_get/foreach_set once per session on a probe curve of unlike
# keys; where it differs, foreach_get/foreach_set are used. Only the frame and value of keys that exist are ever
# set this way (what foreach_set("co") sets), and FCurve.update() follows, as after foreach_set.
KEY_KINDS = ("interpolation", "handle_left_type", "handle_right_type")
# What the artist marks on a key without moving it: its type (Breakdown, Extreme...) and easing. The tool writes
# Keyframe and Automatic easing (0 and 0); anything else is told apart from that alone.
KEY_MARKS = ("type", "easing")
_BEZTRIPLE = np.dtype({"names": ["co", *KEY_KINDS, *KEY_MARKS],
                       "formats": [(np.float32, (2,)), np.uint8, np.uint8, np.uint8, np.uint8, np.uint8],
                       "offsets": [12, 48, 49, 50, 54, 55], "itemsize": 72})  # vec[1][0:2], ipo, h1, h2, hide, easing
_direct = None  # None: not probed yet; then True (the keys' array) or False (foreach_get/foreach_set)


def _key_rows(points, n: int) -> np.ndarray:
    """The n keys of an F-curve as a structured array over Blender's own memory (valid until the curve changes)."""
    return np.frombuffer(_bytes_type(n * _BEZTRIPLE.itemsize).from_address(points[0].as_pointer()),
                         dtype=_BEZTRIPLE, count=n)


@lru_cache(maxsize=64)
def _bytes_type(size: int):
    return ctypes.c_char * size  # making a ctypes type costs more than reading 600 keys: once per size


class Keys(NamedTuple):
    co: np.ndarray       # float32 [frame, value, frame, value, ...]
    kinds: np.ndarray    # int32 [3, keys], or [3, 1] when uniform: interpolation, left and right handle type
    uniform: np.ndarray  # bool [3]: every key of the curve has the first key's kind
    marks: bytes = b""   # the keys' type and easing ([2, keys] int32 bytes), empty when all are as the tool writes


# The 8 bytes from a key's interpolation to its easing as one little-endian word: kinds in its low bytes, marks in
# its high ones, the selection flags between them masked out (selecting a key is not an edit).
_WORD_AT = _BEZTRIPLE.fields[KEY_KINDS[0]][1]
_KIND_BYTES = [_BEZTRIPLE.fields[k][1] - _WORD_AT for k in KEY_KINDS]  # where each sits in the word
_MARK_BYTES = [_BEZTRIPLE.fields[k][1] - _WORD_AT for k in KEY_MARKS]
_KINDS_MASK = sum(0xFF << 8 * at for at in _KIND_BYTES)
_MARKS_MASK = sum(0xFF << 8 * at for at in _MARK_BYTES)
_copy = np.empty(0, dtype=np.uint8)  # where a face's keys are copied to, kept between calls (fresh pages cost)
_COPY_KEPT = 8 << 20  # bytes: one bigger (made for a face of 100k keys) is made anew for the next, smaller face


def keyframe_arrays(fcurves) -> list:
    """[Keys] of every key of each F-curve.

    With the keys' array: the curves' keys are copied into one buffer and taken apart there, a handful of
    operations for a face's curves rather than a handful per curve.
    """
    global _copy
    counts = [len(fc.keyframe_points) for fc in fcurves]
    if not reads_keys_directly():
        return [_keys(*_foreach_get_arrays(fc.keyframe_points, n, marks=True)) for fc, n in zip(fcurves, counts)]
    size, total = _BEZTRIPLE.itemsize, sum(counts)
    need = max(total, 1) * size
    if _copy.size < need or _copy.size > max(2 * need, _COPY_KEPT):
        _copy = np.empty(2 * need, dtype=np.uint8)
    at = _copy.__array_interface__["data"][0]  # (.ctypes.data costs as much as copying a curve)
    for fc, n in zip(fcurves, counts):
        if n:
            ctypes.memmove(at, fc.keyframe_points[0].as_pointer(), n * size)
            at += n * size
    # (frame, value) pairs as one 8-byte item each: numpy copies those fast, and pairs of floats slowly
    co = np.ndarray((total,), np.complex64, _copy, _BEZTRIPLE.fields["co"][1], (size,)).copy().view(np.float32)
    words = np.ndarray((total,), "<u8", _copy, _WORD_AT, (size,)) & np.uint64(_KINDS_MASK | _MARKS_MASK)
    ends = list(accumulate(counts))
    if total and not int(words[0]) & _MARKS_MASK and (words == words[0]).all():  # as written: alike, unmarked
        first = np.array([[int(words[0]) >> 8 * at & 0xFF] for at in _KIND_BYTES], dtype=np.int32)
        same = np.ones(len(KEY_KINDS), dtype=bool)
        none = np.empty((len(KEY_KINDS), 0), dtype=np.int32)  # a curve without keys: as foreach_get reads it
        return [Keys(co[2 * (b - n):2 * b], first, same) if n else Keys(co[:0], none, ~same)
                for n, b in zip(counts, ends)]
    rows = np.ndarray((total, 8), np.uint8, _copy, _WORD_AT, (size, 1))
    kinds, marks = (rows[:, at].T.astype(np.int32) for at in (_KIND_BYTES, _MARK_BYTES))
    return [_keys(co[2 * (b - n):2 * b], kinds[:, b - n:b], marks[:, b - n:b]) for n, b in zip(counts, ends)]


def _keys(co: np.ndarray, kinds: np.ndarray, marks: np.ndarray | None = None) -> Keys:
    uniform = (kinds == kinds[:, :1]).all(axis=1) if kinds.shape[1] else np.zeros(len(kinds), bool)
    return Keys(co, kinds, uniform, marks.tobytes() if marks is not None and marks.any() else b"")


def set_keyframe_co(fcurve, co: np.ndarray) -> None:
    """Set frame and value of every key of the curve (float32 pairs, as many as it has keys), as
    keyframe_points.foreach_set("co", co) does; call fcurve.update() after."""
    points = fcurve.keyframe_points
    n = len(points)
    if 2 * n != len(co):
        raise ValueError(f"{len(co) // 2} keys for an F-curve of {n}")
    if n and reads_keys_directly():
        _set_co(points, n, co)
    else:
        points.foreach_set("co", co)


def _set_co(points, n: int, co: np.ndarray) -> None:
    """The keys' (frame, value) pairs set in their array, each pair as one 8-byte item (numpy sets those fast)."""
    at = points[0].as_pointer()
    pairs = np.ndarray((n,), np.complex64, _bytes_type(n * _BEZTRIPLE.itemsize).from_address(at),
                       _BEZTRIPLE.fields["co"][1], (_BEZTRIPLE.itemsize,))
    pairs[:] = np.ascontiguousarray(co, dtype=np.float32).view(np.complex64)


def _foreach_get_arrays(points, n: int, marks: bool = False) -> tuple:
    co = np.empty(2 * n, dtype=np.float32)
    points.foreach_get("co", co)
    names = KEY_KINDS + KEY_MARKS if marks else KEY_KINDS
    values = np.empty((len(names), n), dtype=np.int32)
    for i, name in enumerate(names):
        points.foreach_get(name, values[i])
    kinds = values[:len(KEY_KINDS)]
    return (co, kinds, values[len(KEY_KINDS):]) if marks else (co, kinds)


def reads_keys_directly() -> bool:
    """Whether keyframe_arrays and set_keyframe_co use the keys' array (its layout checked once per session)."""
    global _direct
    if _direct is None:
        try:
            _direct = _probe_layout()
        except Exception:  # no data to probe with here (a restricted context): foreach_get this time, probe later
            return False
    return _direct


def _probe_layout() -> bool:
    """A curve of three unlike keys, read and set both ways; the probe action is removed again."""
    action = bpy.data.actions.new(".audience probe")
    try:
        if has_slots(action):
            slot = action.slots.new(id_type="OBJECT", name="probe")
            fcurve = action.layers.new("probe").strips.new(type="KEYFRAME").channelbag(slot, ensure=True).fcurves.new(
                "location", index=0)
        else:
            fcurve = action.fcurves.new("location", index=0)
        points = fcurve.keyframe_points
        points.add(3)
        points.foreach_set("co", np.array([1.0, 0.25, 7.5, -3.0, 12.0, 9.5], dtype=np.float32))
        for point, ipo, left, right, kind, easing in zip(
                points, ("CONSTANT", "LINEAR", "BEZIER"), ("FREE", "VECTOR", "ALIGNED"), ("AUTO", "ALIGNED", "VECTOR"),
                ("KEYFRAME", "BREAKDOWN", "EXTREME"), ("EASE_IN", "AUTO", "EASE_IN_OUT")):
            point.interpolation, point.handle_left_type, point.handle_right_type = ipo, left, right
            point.type, point.easing = kind, easing
        if points[1].as_pointer() - points[0].as_pointer() != _BEZTRIPLE.itemsize:
            return False
        rows = _key_rows(points, 3)
        co, kinds, marks = _foreach_get_arrays(points, 3, marks=True)
        if not (len(set(kinds[0].tolist())) == 3 and np.array_equal(rows["co"].ravel(), co)
                and all(np.array_equal(rows[kind], kinds[i]) for i, kind in enumerate(KEY_KINDS))
                and marks[0, 0] == 0 and marks[1, 1] == 0  # what the tool writes reads as 0
                and all(np.array_equal(rows[mark], marks[i]) for i, mark in enumerate(KEY_MARKS))):
            return False
        _set_co(points, 3, np.array([2.0, -0.5, 4.0, 0.75, 5.5, 3.0], dtype=np.float32))
        points.foreach_get("co", co)
        return bool(np.array_equal(co, [2.0, -0.5, 4.0, 0.75, 5.5, 3.0]) and points[1].handle_left_type == "VECTOR")
    finally:
        bpy.data.actions.remove(action)


def new_nla_strip(track, name: str, start: int, action, datablock):
    strip = track.strips.new(name, int(start), action)
    set_strip_action(strip, action, datablock)
    return strip


def set_strip_action(strip, action, datablock) -> None:
    """Let an NLA strip play `action` (with `datablock`'s slot on 4.4+)."""
    if strip.action != action:
        strip.action = action
    if has_slots(action):
        strip.action_slot = _slot_for(action, datablock)


def shader_nodes(material):
    """The material's shader node tree: 5.0 gives every material one (use_nodes is deprecated there); 4.x makes it
    when use_nodes is switched on."""
    if material.node_tree is None:
        material.use_nodes = True
    return material.node_tree


def play_in_sync_with_sound(scene) -> None:
    """Playback keeps to the sound (dropping frames if it must) and scrubbing the timeline plays it."""
    scene.sync_mode = "AUDIO_SYNC"
    scene.use_audio_scrub = True


def use_image_output(scene, file_format: str = "PNG") -> None:
    """Still images out; 5.0 has a media type (image or video) to pick first."""
    settings = scene.render.image_settings
    if hasattr(settings, "media_type"):
        settings.media_type = "IMAGE"
    settings.file_format = file_format


def use_movie_output(scene) -> None:
    """An MP4: H.264 video and AAC sound (5.0 lists FFmpeg only once the media type is video)."""
    settings = scene.render.image_settings
    if hasattr(settings, "media_type"):
        settings.media_type = "VIDEO"
    settings.file_format = "FFMPEG"
    ffmpeg = scene.render.ffmpeg
    ffmpeg.format, ffmpeg.codec, ffmpeg.constant_rate_factor = "MPEG4", "H264", "MEDIUM"
    ffmpeg.audio_codec, ffmpeg.audio_bitrate, ffmpeg.audio_channels = "AAC", 128, "MONO"


def frames_per_second(scene) -> float:
    return scene.render.fps / scene.render.fps_base


def is_background() -> bool:
    return bpy.app.background
