"""The one module that writes keyframes.

Each face's shape keys (its Key datablock) get the tool's own action, "Audience <face>". It is the
active action when the face had none, so the artist can edit the keys straight away; when the artist
already has an action there, ours goes on an NLA track beneath it and theirs is left alone.

The tool finds its own data by a tag, never by a name an artist could also use:
- its actions carry TAG: {data path: fingerprint of the curve as the tool wrote it}; its NLA strip is
  the one holding a tagged action, whatever the track is called; of two tagged strips on one face (the
  artist duplicated the tool's: NLA > Duplicate copies the action, tag and all) the tool's is the one whose
  action is still under the name the tool gave it (NAMED), on the strip and track it named, and the copy
  becomes the artist's (where they cannot be told apart, Remove leaves them all, the artist's);
- the timeline markers it made are remembered on the scene (MARKERS), by name and frame (a marker cannot
  carry a tag): one the artist renamed, moved or bound to a camera is theirs from then on;
- the emotion empty carries EMOTION_OBJECT_TAG, and the scene points to it (EMPTY): a copy of it (Shift+D copies
  the tag) is the artist's; the scene also points to the faces collection whose run it and the markers follow
  (CROWD), so Remove on another crowd leaves them;
- the shape-key values it found before its first keys are remembered on its action (REST) and put back
  when its keys are removed.
A curve whose fingerprint no longer matches was edited by hand: from then on it is the artist's, and
neither a re-run nor Remove touches it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

import bpy

from . import compat

TAG = "audience_reactions"           # custom property on the tool's actions
# Custom property on the tool's actions: the fingerprints' format. 2: they hold a curve's handle smoothing (before,
# curves were written with Blender's default smoothing, so a file of then fingerprints without it).
FORMAT, FINGERPRINT_FORMAT = "audience_reactions_format", 2
CLIP = "audience_reactions_clip"  # custom property on the tool's actions: the Action Clip its NLA strip was given
REST = "audience_rest_values"        # custom property on the tool's action: {shape key: value before Animate}
FROM = "audience_reactions_from"     # custom property on a face's copy of a linked file's tool action: that action
NAMED = "audience_reactions_name"    # custom property on the tool's actions: the name it gave it (a copy has another)
_OWN_PROPERTIES = (TAG, FORMAT, CLIP, REST, FROM, NAMED)
MARKERS = "audience_markers"         # custom property on a scene: [[name, frame], ...] of the tool's markers
EMOTION_OBJECT_TAG = "audience_emotion"
EMOTION_OBJECT_NAME = "Speech Emotion"
PROBABILITY = "Probability that the speaker is"  # the description of the empty's properties the tool made
EMPTY = "audience_emotion_empty"     # custom property on a scene: the tool's emotion empty (an object pointer)
CROWD = "audience_emotion_crowd"     # custom property on a scene: the faces collection its empty and markers follow
STASH = "[Action Stash]"  # the muted tracks Blender's Stash puts actions on ("[Action Stash].001", ...)
NLA_TRACK = "Audience Reactions"     # the name of the tracks the tool makes (found by their action, not this)
MARKER_PREFIX = "audience: "


@dataclass
class Written:
    where: str                                 # 'ACTIVE' or 'NLA'
    kept: list = field(default_factory=list)   # channels left alone: edited by hand, or keyed by the artist
    copied: str = None                         # this one got a copy of the tool's action: "shared" with another
    #                                            datablock, or "linked" from a library file
    hidden: list = field(default_factory=list)  # written on the NLA track, but the artist's active action keys them
    dropped: list = field(default_factory=list)  # the tool's curves of the run before that this run did not write
    notes: list = field(default_factory=list)    # what else the artist should know
    placed: bool = False                         # the artist moved, scaled or repeated the tool's NLA strip: kept
    trimmed: bool = False                        # the artist trimmed the tool's NLA strip's Action Clip: kept
    moved: list = field(default_factory=list)    # the artist's strips the tool's strip would run into: it moved
    copies: list = field(default_factory=list)   # the artist's NLA strips playing a copy of the tool's action: theirs
    over: list = field(default_factory=list)     # written in the active action, over the artist's NLA strips' keys
    action: object = None                        # the tool's action the keys went into
    were_ours: set = field(default_factory=set)  # paths of the tool's unedited curves before this run


def shape_key_path(name: str) -> str:
    return f'key_blocks["{bpy.utils.escape_identifier(name)}"].value'


def is_ours(action) -> bool:
    return action is not None and TAG in action.keys()


def _json(owner, name: str, default):
    try:
        value = json.loads(owner[name])
    except (KeyError, TypeError, ValueError):
        return default
    return value if isinstance(value, type(default)) else default


def written_curves(action) -> dict:
    """{data path: fingerprint} of the curves the tool wrote in `action` (fingerprint None: an older file's)."""
    try:
        value = json.loads(action[TAG])
    except (KeyError, TypeError, ValueError):
        return {}
    if isinstance(value, list):  # files from before fingerprints: paths only
        return dict.fromkeys(p for p in value if isinstance(p, str))
    return value if isinstance(value, dict) else {}


def fingerprint(fcurve) -> str:
    """What a curve holds: its keys (frame, value, interpolation, handle types, key type and easing), how many
    modifiers, mute, lock, extrapolation and handle smoothing.

    Moving, adding or deleting a key, dragging a handle (an automatic handle becomes aligned), marking a key as a
    breakdown or giving it an easing, adding a modifier, muting the curve, extending it (linear extrapolation) or
    choosing its Auto Handle Smoothing changes it. Hiding or selecting it does not: that is how the artist looks
    at it.
    """
    keys = compat.keyframe_arrays([fcurve])[0]
    return _digest(fcurve, keys.co, _kinds_part(keys), keys.marks)


def _digest(fcurve, co: np.ndarray, kinds: bytes, marks: bytes = b"", old_format: bool = False) -> str:
    """The fingerprint of a curve whose keys are `co` (float32 frame, value pairs), `kinds` (_kinds_part) and
    `marks` (compat.Keys.marks); `old_format`: as an action of before FINGERPRINT_FORMAT 2 holds it."""
    flags = f"{len(fcurve.modifiers)} {fcurve.mute} {fcurve.lock}"
    # Each of these only when not as written, so fingerprints from older files still match.
    if fcurve.extrapolation != "CONSTANT":
        flags += f" {fcurve.extrapolation}"
    if fcurve.auto_smoothing != SMOOTHING and not old_format:
        flags += f" smoothing {fcurve.auto_smoothing}"
    flags = flags.encode() + (b" marks " + marks if marks else b"")
    digest = hashlib.sha256(co)  # the same as hashing the three joined, without copying the keys
    digest.update(kinds)
    digest.update(flags)
    return digest.hexdigest()[:20]


def _kinds_part(keys: compat.Keys) -> bytes:
    """The keys' interpolation and handle types as fingerprinted: keys all of one kind (as written) count as one
    value, so a fresh curve needs no read-back."""
    if keys.kinds.shape[1] == 1:  # keys all of one kind as written, or one key: one value each, as below
        return keys.kinds.tobytes()
    return b"".join(row[:1].tobytes() if uniform else row.tobytes() for row, uniform in zip(keys.kinds, keys.uniform))


def _first_key_kinds(fcurve) -> bytes:
    """_kinds_part of a curve whose keys are all of its first key's kinds."""
    first = fcurve.keyframe_points[0]
    return np.array([_kind_value(kind, getattr(first, kind)) for kind in compat.KEY_KINDS], dtype=np.int32).tobytes()


@lru_cache(maxsize=None)
def _kind_value(attribute: str, identifier: str) -> int:
    """The number foreach_get gives for a keyframe's enum value."""
    return bpy.types.Keyframe.bl_rna.properties[attribute].enum_items[identifier].value


def _find(datablock) -> tuple:
    """(the tool's action on `datablock` or None, its NLA track, its NLA strip); no strip: the active action."""
    found, _told = _tagged(datablock)
    return found[0] if found else (None, None, None)


def _tagged(datablock) -> tuple:
    """([(action, track, strip)] of the tool's actions on `datablock`, the tool's own first; whether that one could
    be told from the others). The others are the artist's duplicates of its strip: NLA > Duplicate copies the
    action, tag and all, Linked Duplicate plays the same action. The tool's is the one still under the name the
    tool gave its action, on the strip it named after it; the active action before a strip."""
    anim = datablock.animation_data
    if anim is None:
        return [], True
    found = [(anim.action, None, None)] if is_ours(anim.action) else []
    for track in anim.nla_tracks:
        if _is_stash(track):
            continue  # a take the artist stashed (Action Editor > Stash) stays as it is: the next run makes a new one
        found += [(strip.action, track, strip) for strip in track.strips if is_ours(strip.action)]
    if len(found) < 2:
        return found, True

    def rank(entry):
        action, track, strip = entry
        named = action.get(NAMED)
        return (named != action.name, strip is not None and strip.name != named, strip is not None,
                track is not None and not track.name.startswith(NLA_TRACK))

    ranks = [rank(entry) for entry in found]
    best = min(ranks)
    if ranks.count(best) > 1:
        return found, False
    return [found[ranks.index(best)]] + [e for e, r in zip(found, ranks) if r != best], True


def disown_copies(datablock) -> list:
    """Copies of the tool's action on `datablock` (the artist duplicated its NLA strip) become the artist's: they
    lose the tool's tags, so no run or Remove takes them for the tool's. Returns their strips' names."""
    found, told = _tagged(datablock)
    copies = [(action, strip) for action, _track, strip in found[1:]
              if action != found[0][0] and action.library is None]  # a linked file's action cannot change
    if not copies or not told:  # which is the tool's cannot be told (a file from before NAMED): as before
        return []
    for action, _strip in copies:
        _untag(action)
    return [strip.name if strip is not None else action.name for action, strip in copies]


def _untag(action) -> None:
    """The action is the artist's from now on: no run or Remove takes it for the tool's."""
    for name in _OWN_PROPERTIES:
        action.pop(name, None)


def _is_stash(track) -> bool:
    """As Blender tells a stash (BKE_nla_action_is_stashed): by its name, in English or as "Translate New Data
    Names" gave it in the artist's language."""
    return any(name in track.name for name in {STASH, bpy.app.translations.pgettext_data(STASH)})


def find_action(key) -> tuple:
    """(our action or None, where: 'ACTIVE' | 'NLA' | None) for a Key datablock (or any animated datablock)."""
    action, _track, strip = _find(key)
    return action, (None if action is None else "NLA" if strip else "ACTIVE")


def _shared(action, datablock) -> bool:
    """Another face uses it too (a duplicated face that kept the action). With slots (4.4+), only a user of the
    face's slot: keying the face's object puts the object's keys into this action, in a slot of its own."""
    users = compat.slot_users(action, datablock)
    return users > 1 if users is not None else action.users - int(action.use_fake_user) > 1


def _ensure_action(datablock, name: str, start_frame: int) -> tuple:
    """(the tool's action for `datablock`, its NLA track and strip or None, copied, shift, copies): found by its
    tag, else made. `copied`: "shared" or "linked" when the face got a copy of its own, else None. `shift`: how
    many frames later than its keys the artist put an NLA strip of the tool's (0 for a new one). `copies`: the
    artist's strips playing copies of it, theirs from now on (disown_copies)."""
    copies = disown_copies(datablock)
    action, track, strip = _find(datablock)
    shift = strip.frame_start - strip.action_frame_start if strip is not None else 0.0
    anim = datablock.animation_data or datablock.animation_data_create()
    copied = None
    if action is not None and (action.library is not None or _shared(action, datablock)):
        # Each face its own curves, the artist's curves in it included; a linked action (a crowd asset animated
        # in its own file) is the library's and cannot change: this face gets a local copy.
        copied = "linked" if action.library is not None else "shared"
        copy = action.copy()
        if copied == "linked":
            copy[FROM] = action  # Remove gives it back
        if action.name == name and copied == "shared":  # this face's: the other user keeps it as the copy's name
            spare, copy.name = copy.name, f"{name} (copy)"
            action.name = action[NAMED] = spare
        copy.name = _free_name(name)
        action = copy
        if strip is None:
            compat.assign_action(anim, action)
        else:
            compat.set_strip_action(strip, action, datablock)
            strip.name = action.name  # the tool's strip is named after its action: how it is told from duplicates
    if action is None:
        action = bpy.data.actions.new(_free_name(name))
        action[TAG] = "{}"
        if anim.action is None:
            compat.assign_action(anim, action)
        else:
            track = anim.nla_tracks.new()
            track.name = NLA_TRACK
            strip = compat.new_nla_strip(track, action.name, start_frame, action, datablock)
    action[NAMED] = action.name
    return action, track, strip, copied, shift, copies


def _free_name(name: str) -> str:
    """`name`, or "name (2)", "(3)"... if an action has it (a stashed take): Blender would count on from the face's
    number, and "Audience Face.001"'s second take would be called "Audience Face.007"."""
    n = 1
    while (f"{name} ({n})" if n > 1 else name) in bpy.data.actions:
        n += 1
    return f"{name} ({n})" if n > 1 else name


def _write(datablock, name: str, group: str, curves: dict) -> Written:
    """Write {data path: (frames, values)} into the tool's action for `datablock`."""
    start = min((int(f[0]) for f, _v in curves.values() if len(f)), default=1)
    action, track, strip, copied, shift, copies = _ensure_action(datablock, name, start)
    trimmed = strip is not None and _trimmed(strip, action)
    kept, dropped, were_ours = _replace_curves(action, datablock, group, curves)
    hidden, placed, over, moved = [], False, [], []
    anim = datablock.animation_data
    if strip is not None:
        strip, moved = _fit_nla_strip(datablock, track, strip, action, shift, trimmed)
        placed = abs(shift) > 1e-4 or strip.scale != 1.0 or strip.repeat != 1.0
        theirs = {fc.data_path for fc in compat.existing_fcurves(anim.action)} if anim.action is not None else set()
        hidden = [path for path in curves if path in theirs and path not in kept]
    elif len(anim.nla_tracks):  # the artist's animation pushed down to the NLA: the active action plays over it
        theirs = {fc.data_path for track in anim.nla_tracks if not track.mute for s in track.strips
                  if s.action is not None and not s.mute and not is_ours(s.action)
                  for fc in compat.existing_fcurves(s.action)}
        over = [path for path in curves if path in theirs and path not in kept]
    return Written("NLA" if strip is not None else "ACTIVE", kept, copied, hidden, dropped, placed=placed,
                   over=over, trimmed=trimmed, moved=moved, action=action, were_ours=were_ours, copies=copies)


# The tool's curves are Bezier with auto-clamped handles and no handle smoothing: each key's handles follow its
# neighbours only, so a key the artist drags changes the curve next to it only, and Blender computes them about
# four times faster than with "Continuous Acceleration" (bench/blender_api.py).
SMOOTHING = "NONE"


def _sort_curves(action, datablock=None) -> tuple:
    """({data path: (F-curve, its keys or None)} of the tool's curves nobody edited, [every other F-curve],
    [paths of the tool's curves edited by hand]). Keys are (co, kinds) as read for the fingerprint; None for
    curves of older files, whose paths alone were noted."""
    written = written_curves(action)
    old_format = _old_format(action)
    ours, others, edited = {}, [], []
    fcurves = compat.existing_fcurves(action)
    paths = [fc.data_path for fc in fcurves]
    marked = [fc for fc, path in zip(fcurves, paths) if written.get(path) is not None]
    read = {fc.as_pointer(): keys for fc, keys in zip(marked, compat.keyframe_arrays(marked))} if marked else {}
    renamed = _renamed(fcurves, written, old_format, datablock)
    for fc, path in zip(fcurves, paths):
        if fc.as_pointer() in renamed:
            ours[path] = (fc, renamed[fc.as_pointer()][1])
            continue
        if path in written:
            keys = read.get(fc.as_pointer())
            if keys is None or _digest(fc, keys.co, _kinds_part(keys), keys.marks, old_format) == written[path]:
                ours[path] = (fc, keys)
                continue
            edited.append(path)
        others.append(fc)
    return ours, others, edited


def _renamed(fcurves: list, written: dict, old_format: bool, datablock) -> dict:
    """{F-curve pointer: (the path the tool wrote it at, its keys)} of the tool's unedited curves whose shape key
    the artist renamed (Blender renames the curve's path with it), told by their fingerprint. Only a face's shape
    keys are renamed so, and only a key that is gone: a curve the artist moved onto another key (F-Curve > RNA
    Path) or keys pasted onto their own curve leave the old key there, and are theirs. Only one-to-one: two curves
    alike (the two blinks) and both renamed cannot be told apart, and are left to the artist."""
    if not isinstance(datablock, bpy.types.Key):
        return {}
    present = {fc.data_path for fc in fcurves}
    gone = [(mark, path) for path, mark in written.items() if mark is not None and path not in present]
    if gone:
        keys_now = {shape_key_path(name) for name in datablock.key_blocks.keys()}
        gone = [(mark, path) for mark, path in gone if path not in keys_now]
    marks = [mark for mark, _path in gone]
    missing = {mark: path for mark, path in gone if marks.count(mark) == 1}
    strays = [fc for fc in fcurves if fc.data_path not in written] if missing else []
    found, claims = {}, {}
    for fc, keys in zip(strays, compat.keyframe_arrays(strays) if strays else ()):
        path = missing.get(_digest(fc, keys.co, _kinds_part(keys), keys.marks, old_format))
        if path is not None:
            found[fc.as_pointer()] = (path, keys)
            claims[path] = claims.get(path, 0) + 1
    return {pointer: (path, keys) for pointer, (path, keys) in found.items() if claims[path] == 1}


def _replace_curves(action, datablock, group: str, curves: dict) -> list:
    """Swap the curves this tool wrote before in `action` for `curves` {data path: (frames, values)}.

    Each curve gets all its keys in one go (keyframe_points.add + foreach_set), Bezier with
    auto-clamped handles; curves without keys are not made. A curve of ours that nobody edited is rewritten in
    place: with as many keys again, its keys are moved; with another count, they are made anew in it. Either way
    the curve keeps how the artist looks at it (colour, hidden, selected, its group). A channel that already has a
    curve that is not ours as written (edited by hand, or the artist's own) is left alone. Returns (those paths,
    the paths of the tool's curves removed and not written again, the paths of the tool's unedited curves before).
    """
    ours, others, _edited = _sort_curves(action, datablock)
    taken = {fc.data_path for fc in others}
    kept = [path for path in curves if path in taken]
    marks, rewrite, renew, doomed = {}, [], [], []
    for path, (fc, keys) in ours.items():
        frames = curves.get(path, ((),))[0]
        if not len(frames):
            doomed.append(fc)
        elif keys is not None and len(frames) == len(keys.co) // 2:
            rewrite.append((fc, keys))
        else:
            renew.append(fc)
    compat.remove_fcurves(action, doomed)
    reused = {fc.data_path for fc, _keys in rewrite} | {fc.data_path for fc in renew}
    new = {path: curve for path, curve in curves.items() if path not in taken | reused and len(curve[0])}
    dropped = [path for path in ours if path not in reused and path not in new]
    old_format = _old_format(action)
    for fc, keys in rewrite:  # the keys keep their kinds (and, being unedited, no marks)
        co = _pairs(*curves[fc.data_path])
        if old_format and fc.auto_smoothing != SMOOTHING:  # written with Blender's default smoothing then
            fc.auto_smoothing = SMOOTHING
        elif not old_format and np.array_equal(co, keys.co):  # the same keys again (the run changed other faces
            marks[fc.data_path] = _digest(fc, keys.co, _kinds_part(keys))  # or nothing): left as it holds them
            continue
        marks[fc.data_path] = _digest(fc, _set_keys(fc, co), _kinds_part(keys))
    for fc in renew:
        fc.keyframe_points.clear()
    kinds = None
    for fc in renew + compat.new_fcurves(action, datablock, list(new), group):
        frames, values = curves[fc.data_path]
        fc.auto_smoothing = SMOOTHING  # before the keys: setting it recomputes the handles
        fc.keyframe_points.add(len(frames))
        co = _set_keys(fc, _pairs(frames, values))
        kinds = _first_key_kinds(fc) if kinds is None else kinds  # add() gives every new key the same kinds
        marks[fc.data_path] = _digest(fc, co, kinds)
    action[TAG] = json.dumps(marks)
    action[FORMAT] = FINGERPRINT_FORMAT
    return kept, dropped, set(ours)


def _old_format(action) -> bool:
    value = action.get(FORMAT)  # anything but the whole number the tool writes: an older file's (or edited)
    return not (isinstance(value, int) and not isinstance(value, bool) and value >= FINGERPRINT_FORMAT)


def _pairs(frames, values) -> np.ndarray:
    """Frames and values as the keys hold them: float32 (frame, value) pairs."""
    co = np.empty(2 * len(frames), dtype=np.float32)
    co[0::2], co[1::2] = frames, values
    return co


def _set_keys(fcurve, co: np.ndarray) -> np.ndarray:
    """Give the curve's keys (as many as `co` has pairs) these frames and values; returns `co`."""
    compat.set_keyframe_co(fcurve, co)
    fcurve.keyframe_points.handles_recalc()  # what FCurve.update() does but sorting: the frames are in order
    return co


def remove_written(action, datablock=None) -> set:
    """Remove the curves this tool wrote into `action` (for `datablock`) that nobody edited since; the others become
    the artist's (no longer remembered as ours). Returns the paths removed."""
    ours, _others, _edited = _sort_curves(action, datablock)
    compat.remove_fcurves(action, [fc for fc, _keys in ours.values()])
    action[TAG] = "{}"
    return set(ours)


def _trimmed(strip, action) -> bool:
    """The artist gave the tool's strip another Action Clip (Strip > Action Clip: frames of the action to play)
    than the tool did."""
    try:
        start, end = (float(v) for v in action[CLIP])
    except (KeyError, TypeError, ValueError):  # a file from before the clip was noted: it was the action's range
        if not compat.existing_fcurves(action):
            return False  # an action just made for a new strip
        start, end = action.frame_range
    return abs(strip.action_frame_start - start) > 1e-3 or abs(strip.action_frame_end - end) > 1e-3


# What the artist may have set on the tool's NLA strip, kept when it moves to a track of its own.
STRIP_SETTINGS = ("mute", "use_reverse", "use_sync_length", "blend_type", "influence", "use_auto_blend", "blend_in",
                  "blend_out", "select")


def _fit_nla_strip(datablock, track, strip, action, shift: float, trimmed: bool) -> tuple:
    """Let the strip play all of the action, `shift` frames later than its keys, at the scale and repeat it has:
    where the artist put the tool's strip stays (its blending and influence the tool never touches). A strip whose
    Action Clip the artist trimmed keeps it. Returns (the strip, [the artist's strips it would have run into]).

    Blender pushes the next strips of a track along when one grows, and stops one that moves at its neighbour: when
    the reaction would overlap another strip of its track, the tool's strip moves to a track of its own just above.
    """
    if trimmed:
        start, end = strip.action_frame_start, strip.action_frame_end
    else:
        start, end = action.frame_range
    first = strip.frame_start if trimmed else start + shift
    last = first + (end - start) * strip.scale * strip.repeat
    moved = [s.name for s in track.strips if s != strip and s.frame_start < last and s.frame_end > first]
    if moved:
        strip = _own_track(datablock, track, strip, action, first)
    if not trimmed or moved:
        if start > strip.action_frame_end:  # Blender keeps the action's start before its end: the end moves first
            strip.action_frame_end, strip.action_frame_start = end, start
        else:
            strip.action_frame_start, strip.action_frame_end = start, end  # the strip's length follows
        strip.frame_start_ui = first  # moves the whole strip
    if not trimmed:  # the clip the tool gave; a trim stays the artist's however often the tool runs
        action[CLIP] = [strip.action_frame_start, strip.action_frame_end]
    return strip, moved


def _key_values(fcurve) -> dict:
    """A few keys' every setting as foreach_get reads them (a strip's influence or time: no bulk path needed)."""
    n = len(fcurve.keyframe_points)
    out = {}
    for name, size, kind in (("co", 2, np.float32), ("handle_left", 2, np.float32), ("handle_right", 2, np.float32),
                             *((k, 1, np.int32) for k in compat.KEY_KINDS + compat.KEY_MARKS)):
        out[name] = np.empty(size * n, dtype=kind)
        fcurve.keyframe_points.foreach_get(name, out[name])
    return out


def _own_track(datablock, track, strip, action, first: float):
    """The tool's strip made again on a new track just above `track`, with the artist's settings: the strip's, its
    animated influence and time, the track's mute, lock and solo. It plays only where its keys are (extrapolation
    Nothing): held, on top, it would hide the artist's strips beneath it all along the timeline."""
    anim = datablock.animation_data
    settings = {name: getattr(strip, name) for name in ("name", "scale", "repeat") + STRIP_SETTINGS}
    settings["extrapolation"] = "NOTHING"  # not the Hold Blender gives the first strip of a track
    animated = {name: getattr(strip, name) for name in ("use_animated_influence", "use_animated_time")}
    curves = [(fc.data_path, _key_values(fc)) for fc in strip.fcurves]
    looks = {name: getattr(track, name) for name in ("mute", "lock", "is_solo")}
    track.strips.remove(strip)
    if not len(track.strips) and track.name.startswith(NLA_TRACK):
        anim.nla_tracks.remove(track)
        track = None
    own = anim.nla_tracks.new(prev=track) if track is not None else anim.nla_tracks.new()
    own.name = NLA_TRACK
    strip = compat.new_nla_strip(own, settings["name"], int(first), action, datablock)
    for name, value in settings.items():
        try:
            setattr(strip, name, value)
        except (AttributeError, TypeError, ValueError):  # Blender refuses a few on some strips: they keep its own
            pass
    for name, value in animated.items():
        setattr(strip, name, value)  # makes the strip's F-curve for it, with one key
    for path, values in curves:
        fcurve = strip.fcurves.find(path)
        if fcurve is not None:
            fcurve.keyframe_points.clear()
            fcurve.keyframe_points.add(len(values["co"]) // 2)
            for name, array in values.items():
                fcurve.keyframe_points.foreach_set(name, array)
            fcurve.update()
    for name, value in looks.items():
        if value:
            setattr(own, name, value)
    return strip


def write_face(key, face_name: str, curves: dict) -> Written:
    """Write {shape key name: (frames, values)} on a face; `kept` names the shape keys left alone.

    Replaces only the F-curves this tool wrote before on this face and nobody edited since. A shape key whose
    curve goes (blinks off, a smaller table) gets back the value it had before the tool, as on Remove: else it
    would stay at whatever the curve set last (eyes shut for the whole shot).
    """
    rest = _remembered(key, _find(key)[0])
    now = {name: key.key_blocks[name].value for name, (frames, _v) in curves.items()
           if len(frames) and name in key.key_blocks}
    written = _write(key, f"Audience {face_name}", "Audience Reactions",
                     {shape_key_path(name): curve for name, curve in curves.items()})
    # A value stays remembered while an unedited curve of the tool's animates it; one whose curve went (deleted
    # by the artist, or the action taken off) or was edited is the artist's, and its value now is the one to keep.
    rest = {name: value for name, value in rest.items() if shape_key_path(name) in written.were_ours}
    if written.dropped:
        dropped = set(written.dropped)
        _put_back(key, {name: rest.pop(name) for name in list(rest) if shape_key_path(name) in dropped})
    theirs = set(written.kept)
    for name, value in now.items():
        if name not in rest and shape_key_path(name) not in theirs:
            rest[name] = value
    written.action[REST] = json.dumps(rest)
    key.pop(REST, None)  # where a file of before kept them
    written.kept = _shape_key_names(key, written.kept)
    written.hidden = _shape_key_names(key, written.hidden)
    written.over = _shape_key_names(key, written.over)
    return written


def _shape_key_names(key, paths: list) -> list:
    """The shape keys whose values these paths animate (other paths as they are)."""
    if not paths:
        return []
    names = {shape_key_path(block.name): block.name for block in key.key_blocks}
    return [names.get(path, path) for path in paths]


def _remembered(key, action) -> dict:
    """{shape key: the value it had before the tool keyed it}, as remembered on the tool's action (which a file
    saves even where the face is a library override; a file of before kept them on the Key)."""
    if action is None:
        return {}
    rest = _json(action if REST in action.keys() else key, REST, {})
    blocks = key.key_blocks
    if any(name not in blocks for name in rest):  # a shape key renamed (or deleted) since
        return _following_renames(key, action, rest)
    return rest


def _following_renames(key, action, rest: dict) -> dict:
    """`rest` with the values of shape keys the artist renamed under their new names, for the shape keys a curve
    the tool wrote still animates."""
    written = written_curves(action)
    fcurves = compat.slot_fcurves(action, key)
    paths = [fc.data_path for fc in fcurves if fc.data_path in written]
    renamed = _renamed(fcurves, written, _old_format(action), key)
    by_path = {shape_key_path(name): name for name in rest}
    for fc in fcurves:
        found = renamed.get(fc.as_pointer())
        if found is None:
            continue
        paths.append(fc.data_path)
        if found[0] in by_path:
            rest[_shape_key_names(key, [fc.data_path])[0]] = rest.pop(by_path[found[0]])
    animated = set(_shape_key_names(key, paths))
    return {name: value for name, value in rest.items() if name in animated}


def _put_back(key, values: dict) -> None:
    """Set these shape keys {name: value} (clamped to each slider's range, as .value is)."""
    blocks = key.key_blocks
    index = {name: i for i, name in enumerate(blocks.keys())}
    back = {index[name]: value for name, value in values.items()  # a number, as the tool wrote it (not edited)
            if name in index and isinstance(value, (int, float)) and not isinstance(value, bool)
            and np.isfinite(value)}
    if back:
        # All values in one go: setting block.value one at a time makes Blender look through every object of
        # the file for the users of the shape keys, each time.
        values, low, high = (np.empty(len(blocks), dtype=np.float32) for _ in range(3))
        for name, array in (("value", values), ("slider_min", low), ("slider_max", high)):
            blocks.foreach_get(name, array)
        where = np.fromiter(back, dtype=np.int64, count=len(back))
        values[where] = np.clip(np.fromiter(back.values(), dtype=np.float64, count=len(back)), low[where], high[where])
        blocks.foreach_set("value", values)
        key.update_tag()


def _additions(action) -> list:
    """What the artist added to the tool's action itself (not a curve), which deleting the action would lose."""
    found = []
    if len(action.pose_markers):
        found.append("pose markers")
    if any(name not in _OWN_PROPERTIES for name in action.keys()):
        found.append("custom properties")
    if action.use_frame_range:
        found.append("a manual frame range")
    return found


def _clear(datablock) -> tuple:
    """Take the tool's curves off `datablock`: (None if it had none, else the paths of the curves left in its
    action (edited by hand, or keyed there by the artist); the action, when nothing uses it any more; what the
    artist added to the action itself, for which it stays where it is, emptied of the tool's curves; the paths of
    the tool's curves taken off).

    The caller deletes that action (many at once with bpy.data.batch_remove: deleting IDs one by one walks
    every ID of the file each time). A shared action is only taken off this datablock.
    """
    action, track, strip = _find(datablock)
    if action is None or action.library is not None:  # a linked file's action (of a crowd asset) is the library's
        return None, None, [], set()
    kept, added = [], []
    if action.users == 1:  # only this datablock: an action of nothing but our unedited curves goes whole
        ours, others, _edited = _sort_curves(action, datablock)
        removed = set(ours)
        added = _additions(action)
        if others or added:
            compat.remove_fcurves(action, [fc for fc, _keys in ours.values()])
            action[TAG] = "{}"
            kept = list(dict.fromkeys(fc.data_path for fc in others))
    elif not _shared(action, datablock):  # a fake user, or the face's object keyed in it: the action stays
        removed = remove_written(action, datablock)
        kept = list(dict.fromkeys(fc.data_path for fc in compat.slot_fcurves(action, datablock)))
        if action.users - int(action.use_fake_user) == 1:  # only a fake user besides: the artist keeps it
            added = _additions(action) + ["a fake user"]
        elif not kept:  # the object's keys stay in it: the object's action from now on, not the tool's
            _untag(action)
    else:  # shared: taken off this face only, every curve with it
        removed = set(written_curves(action))
    if kept or added:
        action.pop(REST, None)
        return kept, None, added, removed
    before = action.get(FROM)
    if isinstance(before, bpy.types.Action):  # a copy of a linked file's: that file's plays here again
        if strip is None:
            compat.assign_action(datablock.animation_data, before)
        else:
            compat.set_strip_action(strip, before, datablock)
        return kept, action if action.users == 0 else None, [], removed
    _take_off(datablock, track, strip)
    return kept, action if action.users == 0 else None, [], removed


def _take_off(datablock, track, strip) -> None:
    """Take the tool's action off `datablock`: its NLA strip (and the track, if the tool made it and it is empty
    now), or the active action when there is no strip."""
    if strip is None:
        datablock.animation_data.action = None
        return
    track.strips.remove(strip)
    if not len(track.strips) and track.name.startswith(NLA_TRACK):  # an empty track the tool made
        datablock.animation_data.nla_tracks.remove(track)


def _linked_duplicates(datablock) -> list:
    """Names of the artist's NLA strips on `datablock` that play the tool's action itself (NLA > Linked Duplicate,
    or a strip of the tool's active action)."""
    found, told = _tagged(datablock)
    if not found or not told or found[0][0].library is not None:
        return []
    action, _track, strip = found[0]
    return [s.name for t in datablock.animation_data.nla_tracks for s in t.strips if s.action == action and s != strip]


def clear_faces(keys: list, added: list | None = None, copies: list | None = None) -> list:
    """Undo what the tool did to these faces (their Key datablocks); per face None if it did nothing, else
    the shape keys whose curves stay.

    Curves the artist edited or added stay (and the action with them), and so does an action to which the
    artist added pose markers, custom properties or a frame range (listed in `added`: (face index, what)); the
    values the face had before Animate come back on every shape key whose tool curve goes. The artist's NLA strips
    playing a copy of the tool's action stay and become theirs (listed in `copies`: (face index, strip names)).
    """
    results, unused = [], []
    for i, key in enumerate(keys):
        found, told = _tagged(key)
        if not told and len({action for action, _t, _s in found}) == 1 and found[0][0].library is None:
            # Strips the tool cannot tell apart play its action (a duplicate of its renamed strip): all stay, theirs.
            _untag(found[0][0])
            if copies is not None:
                copies.append((i, [strip.name for _a, _t, strip in found if strip is not None]))
            results.append([])
            continue
        theirs = disown_copies(key)
        linked = _linked_duplicates(key)
        if linked:  # the artist's strips play the tool's very action: it stays with them, theirs; ours goes
            action, track, strip = _find(key)
            _untag(action)
            _take_off(key, track, strip)
            theirs += linked
        if theirs and copies is not None:
            copies.append((i, theirs))
        if linked:
            results.append([])
            continue
        rest = _remembered(key, _find(key)[0])
        kept, action, theirs, removed = _clear(key)
        if theirs and added is not None:
            added.append((i, theirs))
        if action is not None:
            unused.append(action)
        if kept is None:
            results.append(None)
            continue
        _put_back(key, {name: value for name, value in rest.items() if shape_key_path(name) in removed})
        key.pop(REST, None)
        results.append(_shape_key_names(key, kept))
    if unused:
        bpy.data.batch_remove(unused)
    return results


def clear_face(key):
    """clear_faces for one face."""
    return clear_faces([key])[0]


def _local(idblock) -> bool:
    """Data of this file: a linked (or overridden) object and its action belong to the library file."""
    return idblock.library is None and idblock.override_library is None


def emotion_object(scene):
    """The tool's emotion empty in `scene`, or None: the one the scene points to (a file from before the pointer:
    the tagged one, if only one is). Never a linked one: its keys would be the library's, lost on save."""
    if EMPTY in scene.keys():
        obj = scene[EMPTY]
        return obj if (isinstance(obj, bpy.types.Object) and EMOTION_OBJECT_TAG in obj.keys() and _local(obj)
                       and scene in obj.users_scene) else None
    tagged = [o for o in scene.objects if EMOTION_OBJECT_TAG in o.keys() and _local(o)]
    return tagged[0] if len(tagged) == 1 else None  # several: which one is a copy cannot be told; none is taken


def _crowd(scene):
    """The faces collection the scene's emotion empty and markers follow; None: not known (an older file)."""
    crowd = scene.get(CROWD)
    return crowd if isinstance(crowd, bpy.types.Collection) else None


def write_emotion(scene, frames: np.ndarray, probs: np.ndarray, classes, labels, crowd=None) -> Written:
    """The speaker's emotion where an artist can see it: an empty "Speech Emotion" whose custom
    properties (one per emotion) are keyed with the probabilities (Graph Editor), and timeline
    markers where the most likely emotion changes. `crowd`: the faces collection of this run."""
    obj = emotion_object(scene)
    before = _crowd(scene)
    if obj is None:
        obj = bpy.data.objects.new(EMOTION_OBJECT_NAME, None)
        obj[EMOTION_OBJECT_TAG] = 1
        obj.empty_display_type = "SPHERE"
        obj.hide_render = True
        scene.collection.objects.link(obj)
    scene[EMPTY] = obj
    if crowd is not None:
        scene[CROWD] = crowd
    else:
        scene.pop(CROWD, None)
    for name in classes:
        if name not in obj.keys():
            obj[name] = 0.0
            obj.id_properties_ui(name).update(min=0.0, max=1.0,
                                              description=f"{PROBABILITY} {name}")
    written = _write(obj, "Audience Speech Emotion", "Speech Emotion",
                     {f'["{name}"]': (frames, probs[:, c]) for c, name in enumerate(classes)})

    if before is not None and crowd is not None and before != crowd:
        written.notes.append(f"the empty '{obj.name}' and the timeline markers followed the faces of '{before.name}': "
                             "they follow this run now (one per scene)")
    written.notes += _markers_note(remove_markers(scene))
    theirs = {(marker.name, marker.frame) for marker in scene.timeline_markers}
    made, previous = [], None
    for frame, label in zip(frames, labels):
        if label != previous:
            previous = label
            if (MARKER_PREFIX + label, int(frame)) in theirs:  # the artist's marker says it already: not twice
                continue
            marker = scene.timeline_markers.new(MARKER_PREFIX + label, frame=int(frame))
            made.append([marker.name, marker.frame])
    scene[MARKERS] = json.dumps(made)
    return written


def remove_markers(scene) -> int:
    """Remove the markers the tool made that are still as it made them; returns how many it made are not (the
    artist's from then on, left where they are).

    Blender's timeline markers cannot carry a tag (no custom properties), so the scene remembers the name and frame
    of each. A marker the artist renamed or moved is no longer found; one bound to a camera is not the tool's any
    more either (selecting one changes nothing). Of identical markers (the artist's copy of one of ours) only as
    many go as the tool made.
    """
    found = {}
    for marker in scene.timeline_markers:  # the newest last: an artist's marker of the same name and frame was first
        if marker.camera is None:
            found.setdefault((marker.name, marker.frame), []).append(marker)
    left = 0
    for entry in _json(scene, MARKERS, []):
        same = found.get(tuple(entry)) if isinstance(entry, list) and len(entry) == 2 else None
        if same:
            scene.timeline_markers.remove(same.pop())
        else:
            left += 1
    if MARKERS in scene.keys():
        del scene[MARKERS]
    return left


def _markers_note(left: int) -> list:
    if not left:
        return []
    many = left > 1
    return [f"{left} timeline marker{'s' if many else ''} the tool made {'are' if many else 'is'} yours now (bound to "
            f"a camera, renamed, moved or deleted): left as {'they are' if many else 'it is'}"]


def clear_emotion(scene, crowd=None) -> tuple:
    """Remove the tool's markers and emotion empty from `scene`: (the curves that stay (edited by hand), notes).
    With `crowd` (a faces collection), only if they follow that crowd's run (or nobody knows whose they are).

    The empty stays when anything else animates it (an edited curve, the artist's own action or track), and when
    the artist's work uses it (a driver reading it, a constraint or a child): then only the tool's keys go.
    """
    if crowd is not None and _crowd(scene) not in (None, crowd):
        return [], []  # they follow another crowd's speech
    notes = _markers_note(remove_markers(scene))
    kept = []
    empties = [o for o in [emotion_object(scene)] if o is not None]
    scene.pop(CROWD, None)  # the pointer to the empty stays: a copy of it (tagged too) is never taken for it
    users = bpy.data.user_map(subset=empties) if empties else {}
    for obj in empties:
        edited, action, added, _removed = _clear(obj)  # an action with additions is kept: anim.action below
        edited = edited or []
        if added:
            notes.append(f"kept the empty '{obj.name}' and its action, emptied of the tool's keys: you added "
                         f"{', '.join(added)} to it")
        if action is not None:
            bpy.data.actions.remove(action)
        anim = obj.animation_data
        theirs = sorted(f"{user.id_type.lower()} '{user.name}'" for user in users[obj]
                        if not isinstance(user, _LINKS_ONLY) and user != obj)
        if theirs:
            notes.append(f"kept the empty '{obj.name}' (its keys removed): {', '.join(theirs[:5])}"
                         f"{' and more' if len(theirs) > 5 else ''} use{'s' if len(theirs) == 1 else ''} it "
                         f"(a driver, constraint or parent)")
        changed = [] if theirs else _changed_by_artist(obj)
        if changed:
            notes.append(f"kept the empty '{obj.name}' (its keys removed): you changed its {', '.join(changed)}")
            theirs = changed
        if edited or theirs or (anim is not None and (anim.action is not None or len(anim.nla_tracks)
                                                      or len(anim.drivers))):
            kept += edited
            continue
        bpy.data.objects.remove(obj)
    return kept, notes


def _changed_by_artist(obj) -> list:
    """What the artist set on the tool's emotion empty since the tool made it (its name, place, parent, constraints,
    collections, look, instancing, properties of their own): work Remove must not delete with it."""
    base = obj.name[:-4] if obj.name[-4:-3] == "." and obj.name[-3:].isdigit() else obj.name  # Blender's ".001"
    own = {name for name in obj.keys() if name != EMOTION_OBJECT_TAG and not (
        isinstance(obj[name], float) and obj.id_properties_ui(name).as_dict().get("description", "").startswith(
            PROBABILITY))}
    masters = {scene.collection for scene in bpy.data.scenes}

    def off(values, rest) -> bool:
        return any(abs(v - rest) > 1e-6 for v in values)

    checks = (("name", base != EMOTION_OBJECT_NAME), ("parent", obj.parent is not None),
              ("constraints", len(obj.constraints) > 0),
              ("collections", any(c not in masters for c in obj.users_collection)),
              ("place", off((*obj.location, *obj.rotation_euler, *obj.delta_location, *obj.delta_rotation_euler), 0.0)
               or off((*obj.scale, *obj.delta_scale), 1.0) or obj.rotation_mode != "XYZ"),
              ("look", obj.empty_display_type != "SPHERE" or abs(obj.empty_display_size - 1.0) > 1e-6
               or not obj.hide_render or obj.hide_viewport or obj.hide_select or obj.show_name or obj.show_axis
               or obj.show_in_front or off(obj.color, 1.0) or obj.pass_index != 0),
              ("instancing", obj.instance_type != "NONE"),
              (f"properties ({', '.join(sorted(own))})", bool(own)))
    return [what for what, yes in checks if yes]


# What merely holds the empty (the scene's collections it is linked in) or shows it (the editors): no use of the
# artist's.
_LINKS_ONLY = (bpy.types.Scene, bpy.types.Collection, bpy.types.Screen, bpy.types.WorkSpace, bpy.types.WindowManager)
