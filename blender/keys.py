"""The one module that writes keyframes.

Each face's shape keys (its Key datablock) get the tool's own action, "Audience <face>". It is the
active action when the face had none, so the artist can edit the keys straight away; when the artist
already has an action there, ours goes on an NLA track beneath it and theirs is left alone.

The tool finds its own data by a tag, never by a name an artist could also use:
- its actions carry TAG: {data path: fingerprint of the curve as the tool wrote it}; its NLA strip is
  the one holding a tagged action, whatever the track is called;
- the timeline markers it made are remembered on the scene (MARKERS), by name and frame;
- the emotion empty carries EMOTION_OBJECT_TAG;
- the shape-key values it found before its first keys are remembered on the Key (REST) and put back
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
REST = "audience_rest_values"        # custom property on a face's Key: {shape key: value before Animate}
MARKERS = "audience_markers"         # custom property on a scene: [[name, frame], ...] of the tool's markers
EMOTION_OBJECT_TAG = "audience_emotion"
NLA_TRACK = "Audience Reactions"     # the name of the tracks the tool makes (found by their action, not this)
MARKER_PREFIX = "audience: "


@dataclass
class Written:
    where: str                                 # 'ACTIVE' or 'NLA'
    kept: list = field(default_factory=list)   # channels left alone: edited by hand, or keyed by the artist
    copied: bool = False                       # the action was shared with another datablock: this one got a copy
    hidden: list = field(default_factory=list)  # written on the NLA track, but the artist's active action keys them


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


KIND_ATTRIBUTES = ("interpolation", "handle_left_type", "handle_right_type")


def fingerprint(fcurve, written=None) -> str:
    """What a curve holds: its keys (frame, value, interpolation, handle types), modifiers, mute and lock.

    Moving, adding or deleting a key, or dragging a handle (an automatic handle becomes aligned), changes it.
    `written`: the float32 (frame, value) pairs just written with foreach_set, whose keys all have the first
    key's kinds: then nothing is read back (reading every key costs as much as writing it).
    """
    points = fcurve.keyframe_points
    if written is not None:
        digest, first = hashlib.sha256(written.tobytes()), points[0]
        for attribute in KIND_ATTRIBUTES:
            digest.update(np.int32(_kind_value(attribute, getattr(first, attribute))).tobytes())
    else:
        co = np.empty(2 * len(points), dtype=np.float32)
        points.foreach_get("co", co)
        digest = hashlib.sha256(co.tobytes())
        kinds = np.empty(len(points), dtype=np.int32)
        for attribute in KIND_ATTRIBUTES:
            points.foreach_get(attribute, kinds)
            # Keys all of one kind (as written) count as one value, so a fresh curve needs no read-back.
            digest.update(kinds[:1].tobytes() if len(kinds) and (kinds == kinds[0]).all() else kinds.tobytes())
    digest.update(f"{len(fcurve.modifiers)} {fcurve.mute} {fcurve.lock}".encode())
    return digest.hexdigest()[:20]


@lru_cache(maxsize=None)
def _kind_value(attribute: str, identifier: str) -> int:
    """The number foreach_get gives for a keyframe's enum value."""
    return bpy.types.Keyframe.bl_rna.properties[attribute].enum_items[identifier].value


def _find(datablock) -> tuple:
    """(the tool's action on `datablock` or None, its NLA track, its NLA strip); no strip: the active action."""
    anim = datablock.animation_data
    if anim is None:
        return None, None, None
    if is_ours(anim.action):
        return anim.action, None, None
    for track in anim.nla_tracks:
        for strip in track.strips:
            if is_ours(strip.action):
                return strip.action, track, strip
    return None, None, None


def find_action(key) -> tuple:
    """(our action or None, where: 'ACTIVE' | 'NLA' | None) for a Key datablock (or any animated datablock)."""
    action, _track, strip = _find(key)
    return action, (None if action is None else "NLA" if strip else "ACTIVE")


def _shared(action) -> bool:
    """Another datablock uses it too (a duplicated face that kept the action)."""
    return action.users - int(action.use_fake_user) > 1


def _ensure_action(datablock, name: str, start_frame: int) -> tuple:
    """(the tool's action for `datablock`, its NLA strip or None, copied): found by its tag, else made."""
    action, _track, strip = _find(datablock)
    anim = datablock.animation_data or datablock.animation_data_create()
    copied = False
    if action is not None and _shared(action):
        copy, copied = action.copy(), True  # each face its own curves, the artist's curves in it included
        if action.name == name:  # it is this face's: the other user keeps the original under the copy's name
            spare, copy.name = copy.name, f"{name} (copy)"
            action.name = spare
        copy.name = name
        action = copy
        if strip is None:
            compat.assign_action(anim, action)
        else:
            compat.set_strip_action(strip, action, datablock)
    if action is None:
        action = bpy.data.actions.new(name)
        action[TAG] = "{}"
        if anim.action is None:
            compat.assign_action(anim, action)
        else:
            track = anim.nla_tracks.new()
            track.name = NLA_TRACK
            strip = compat.new_nla_strip(track, action.name, start_frame, action, datablock)
    return action, strip, copied


def _write(datablock, name: str, group: str, curves: dict) -> Written:
    """Write {data path: (frames, values)} into the tool's action for `datablock`."""
    start = min((int(f[0]) for f, _v in curves.values() if len(f)), default=1)
    action, strip, copied = _ensure_action(datablock, name, start)
    kept = _replace_curves(action, datablock, group, curves)
    hidden = []
    if strip is not None:
        _fit_nla_strip(strip, action)
        active = datablock.animation_data.action
        theirs = {fc.data_path for fc in compat.existing_fcurves(active)} if active is not None else set()
        hidden = [path for path in curves if path in theirs and path not in kept]
    return Written("NLA" if strip is not None else "ACTIVE", kept, copied, hidden)


def _replace_curves(action, datablock, group: str, curves: dict) -> list:
    """Swap the curves this tool wrote before in `action` for `curves` {data path: (frames, values)}.

    Each curve gets all its keys in one go (keyframe_points.add + foreach_set), Bezier with
    auto-clamped handles; curves without keys are not made. A channel that already has a curve that is
    not ours as written (edited by hand, or the artist's own) is left alone: returns those paths.
    """
    remove_written(action)
    taken = {fc.data_path for fc in compat.existing_fcurves(action)}
    kept = [path for path in curves if path in taken]
    new = {path: curve for path, curve in curves.items() if path not in taken and len(curve[0])}
    fcurves = compat.new_fcurves(action, datablock, list(new), group)
    marks = {}
    for fc, (frames, values) in zip(fcurves, new.values()):
        fc.keyframe_points.add(len(frames))
        co = np.empty(2 * len(frames), dtype=np.float32)
        co[0::2], co[1::2] = frames, values
        fc.keyframe_points.foreach_set("co", co)
        fc.update()
        marks[fc.data_path] = fingerprint(fc, co)
    action[TAG] = json.dumps(marks)
    return kept


def remove_written(action) -> list:
    """Remove the curves this tool wrote into `action` that nobody edited since; the others become the
    artist's (no longer remembered as ours). Returns the paths of those edited."""
    written = written_curves(action)
    edited = []
    for fc in compat.existing_fcurves(action):
        if fc.data_path not in written:
            continue
        mark = written[fc.data_path]
        if mark is None or fingerprint(fc) == mark:
            compat.remove_fcurve(action, fc)
        else:
            edited.append(fc.data_path)
    action[TAG] = "{}"
    return edited


def _fit_nla_strip(strip, action):
    start, end = action.frame_range
    strip.action_frame_start, strip.action_frame_end = start, end
    strip.frame_start, strip.frame_end = start, end


def write_face(key, face_name: str, curves: dict) -> Written:
    """Write {shape key name: (frames, values)} on a face; `kept` names the shape keys left alone.

    Replaces only the F-curves this tool wrote before on this face and nobody edited since.
    """
    _remember_rest(key, [name for name, (frames, _v) in curves.items() if len(frames)])
    written = _write(key, f"Audience {face_name}", "Audience Reactions",
                     {shape_key_path(name): curve for name, curve in curves.items()})
    written.kept = _shape_key_names(key, written.kept)
    written.hidden = _shape_key_names(key, written.hidden)
    return written


def _shape_key_names(key, paths: list) -> list:
    """The shape keys whose values these paths animate (other paths as they are)."""
    if not paths:
        return []
    names = {shape_key_path(block.name): block.name for block in key.key_blocks}
    return [names.get(path, path) for path in paths]


def _remember_rest(key, names: list) -> None:
    """The values the face had before the tool keyed these shape keys (kept from the first run on)."""
    rest = _json(key, REST, {})
    for name in names:
        if name not in rest and name in key.key_blocks:
            rest[name] = key.key_blocks[name].value
    key[REST] = json.dumps(rest)


def _restore_rest(key, keep: set) -> None:
    """Put back the values remembered for every shape key the tool no longer animates."""
    rest = _json(key, REST, {})
    for name in [n for n in rest if n not in keep]:
        block = key.key_blocks.get(name)
        if block is not None and isinstance(rest[name], (int, float)):
            block.value = rest[name]
        del rest[name]
    if rest:
        key[REST] = json.dumps(rest)
    elif REST in key.keys():
        del key[REST]


def _clear(datablock):
    """Remove the tool's curves from `datablock`; None if it had none, else the paths of the curves left in
    its action (edited by hand, or keyed there by the artist).

    The action goes when nothing is left in it; a shared action is only taken off this datablock.
    """
    action, track, strip = _find(datablock)
    if action is None:
        return None
    shared = _shared(action)
    if not shared:
        remove_written(action)
    kept = [] if shared else list(dict.fromkeys(fc.data_path for fc in compat.existing_fcurves(action)))
    if not kept:
        if strip is None:
            datablock.animation_data.action = None
        else:
            track.strips.remove(strip)
            if not len(track.strips) and track.name.startswith(NLA_TRACK):  # an empty track the tool made
                datablock.animation_data.nla_tracks.remove(track)
        if action.users == 0:
            bpy.data.actions.remove(action)
    return kept


def clear_face(key):
    """Undo what the tool did to one face: None if it did nothing, else the shape keys whose curves stay.

    Curves the artist edited or added stay (and the action with them); the values the face had before
    Animate come back on every shape key the tool no longer animates.
    """
    kept = _clear(key)
    if kept is None:
        return None
    names = _shape_key_names(key, kept)
    _restore_rest(key, set(names))
    return names


def emotion_object(scene):
    return next((o for o in scene.objects if EMOTION_OBJECT_TAG in o.keys()), None)


def write_emotion(scene, frames: np.ndarray, probs: np.ndarray, classes, labels) -> Written:
    """The speaker's emotion where an artist can see it: an empty "Speech Emotion" whose custom
    properties (one per emotion) are keyed with the probabilities (Graph Editor), and timeline
    markers where the most likely emotion changes."""
    obj = emotion_object(scene)
    if obj is None:
        obj = bpy.data.objects.new("Speech Emotion", None)
        obj[EMOTION_OBJECT_TAG] = 1
        obj.empty_display_type = "SPHERE"
        obj.hide_render = True
        scene.collection.objects.link(obj)
    for name in classes:
        if name not in obj.keys():
            obj[name] = 0.0
            obj.id_properties_ui(name).update(min=0.0, max=1.0,
                                              description=f"Probability that the speaker is {name}")
    written = _write(obj, "Audience Speech Emotion", "Speech Emotion",
                     {f'["{name}"]': (frames, probs[:, c]) for c, name in enumerate(classes)})

    remove_markers(scene)
    made, previous = [], None
    for frame, label in zip(frames, labels):
        if label != previous:
            marker = scene.timeline_markers.new(MARKER_PREFIX + label, frame=int(frame))
            made.append([marker.name, marker.frame])
            previous = label
    scene[MARKERS] = json.dumps(made)
    return written


def remove_markers(scene) -> None:
    """Remove the markers the tool made (those still with the name and frame it gave them)."""
    found = {}
    for marker in scene.timeline_markers:  # the newest last: an artist's marker of the same name and frame was first
        found.setdefault((marker.name, marker.frame), []).append(marker)
    for name, frame in _json(scene, MARKERS, []):
        same = found.get((name, frame))
        if same:
            scene.timeline_markers.remove(same.pop())
    if MARKERS in scene.keys():
        del scene[MARKERS]


def clear_emotion(scene) -> list:
    """Remove the tool's markers and emotion empty from `scene`; returns the curves that stay (edited by hand).

    The empty stays when anything else animates it (an edited curve, the artist's own action or track).
    """
    remove_markers(scene)
    kept = []
    for obj in [o for o in scene.objects if EMOTION_OBJECT_TAG in o.keys()]:
        edited = _clear(obj) or []
        anim = obj.animation_data
        if edited or (anim is not None and (anim.action is not None or len(anim.nla_tracks) or len(anim.drivers))):
            kept += edited
            continue
        bpy.data.objects.remove(obj)
    return kept
