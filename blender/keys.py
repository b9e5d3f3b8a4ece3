"""The one module that writes keyframes.

Each face's shape keys (its Key datablock) get the tool's own action, "Audience <face>".
It is the active action when the face had none, so the artist can edit the keys straight
away; when the artist already has an action there, ours goes on an NLA track beneath it and
theirs is left alone. The action remembers which F-curves the tool wrote: re-running
replaces only those, and clearing removes only those.
"""
from __future__ import annotations

import json

import numpy as np

import bpy

from . import compat

TAG = "audience_reactions"          # custom property on the tool's actions: JSON list of written paths
NLA_TRACK = "Audience Reactions"


def shape_key_path(name: str) -> str:
    return f'key_blocks["{bpy.utils.escape_identifier(name)}"].value'


def is_ours(action) -> bool:
    return action is not None and TAG in action.keys()


def written_paths(action) -> list:
    try:
        return list(json.loads(action[TAG]))
    except (KeyError, TypeError, ValueError):
        return []


def find_action(key) -> tuple:
    """(our action or None, where: 'ACTIVE' | 'NLA' | None) for a Key datablock."""
    anim = key.animation_data
    if anim is None:
        return None, None
    if is_ours(anim.action):
        return anim.action, "ACTIVE"
    track = anim.nla_tracks.get(NLA_TRACK)
    if track:
        for strip in track.strips:
            if is_ours(strip.action):
                return strip.action, "NLA"
    return None, None


def _ensure_action(key, face_name: str, start_frame: int):
    action, where = find_action(key)
    anim = key.animation_data or key.animation_data_create()
    if action is None:
        action = bpy.data.actions.new(f"Audience {face_name}")
        action[TAG] = "[]"
    if where is None:
        if anim.action is None:
            compat.assign_action(anim, action)
            where = "ACTIVE"
        else:
            track = anim.nla_tracks.new()
            track.name = NLA_TRACK
            compat.new_nla_strip(track, action.name, start_frame, action, key)
            where = "NLA"
    return action, where


def _replace_curves(action, datablock, group: str, curves: dict) -> None:
    """Swap the curves this tool wrote before in `action` for `curves` {data path: (frames, values)}.

    Each curve gets all its keys in one go (keyframe_points.add + foreach_set), Bezier with
    auto-clamped handles; the action remembers the paths so the next run or Remove finds them.
    """
    remove_written(action)
    for fc, (frames, values) in zip(compat.new_fcurves(action, datablock, list(curves), group), curves.values()):
        fc.keyframe_points.add(len(frames))
        co = np.empty(2 * len(frames), dtype=np.float32)
        co[0::2], co[1::2] = frames, values
        fc.keyframe_points.foreach_set("co", co)
        fc.update()
    action[TAG] = json.dumps(list(curves))


def write_face(key, face_name: str, curves: dict) -> str:
    """Write {shape key name: (frames, values)}; return where it went ('ACTIVE' or 'NLA').

    Replaces only the F-curves this tool wrote before on this face.
    """
    start = min((int(f[0]) for f, _v in curves.values() if len(f)), default=1)
    action, where = _ensure_action(key, face_name, start)
    _replace_curves(action, key, "Audience Reactions",
                    {shape_key_path(name): curve for name, curve in curves.items()})
    if where == "NLA":
        _fit_nla_strip(key, action)
    return where


def _fit_nla_strip(key, action):
    track = key.animation_data.nla_tracks.get(NLA_TRACK)
    for strip in track.strips:
        if strip.action == action:
            start, end = action.frame_range
            strip.action_frame_start, strip.action_frame_end = start, end
            strip.frame_start, strip.frame_end = start, end


def remove_written(action) -> int:
    """Remove the F-curves this tool wrote into `action`; the artist's own curves stay."""
    paths = set(written_paths(action))
    removed = 0
    for fc in compat.existing_fcurves(action):
        if fc.data_path in paths:
            compat.remove_fcurve(action, fc)
            removed += 1
    action[TAG] = "[]"
    return removed


def clear_face(key) -> bool:
    """Undo what the tool did to one face; keep any curve the artist added to our action."""
    action, where = find_action(key)
    if action is None:
        return False
    remove_written(action)
    if compat.existing_fcurves(action):
        return True  # the artist keyed something in it: keep the action with their curves
    anim = key.animation_data
    if where == "ACTIVE":
        anim.action = None
    else:
        anim.nla_tracks.remove(anim.nla_tracks[NLA_TRACK])
    bpy.data.actions.remove(action)
    return True


EMOTION_OBJECT_TAG = "audience_emotion"
MARKER_PREFIX = "audience: "


def write_emotion(scene, frames: np.ndarray, probs: np.ndarray, classes, labels) -> object:
    """The speaker's emotion where an artist can see it: an empty "Speech Emotion" whose custom
    properties (one per emotion) are keyed with the probabilities (Graph Editor), and timeline
    markers where the most likely emotion changes."""
    obj = next((o for o in scene.objects if EMOTION_OBJECT_TAG in o.keys()), None)
    if obj is None:
        obj = bpy.data.objects.new("Speech Emotion", None)
        obj[EMOTION_OBJECT_TAG] = 1
        obj.empty_display_type = "SPHERE"
        obj.hide_render = True
        scene.collection.objects.link(obj)
    for name in classes:
        obj[name] = 0.0
        obj.id_properties_ui(name).update(min=0.0, max=1.0, description=f"Probability that the speaker is {name}")
    action = obj.animation_data.action if obj.animation_data else None
    if action is None:
        action = bpy.data.actions.new("Audience Speech Emotion")
        action[TAG] = "[]"
        compat.assign_action(obj.animation_data_create(), action)
    _replace_curves(action, obj, "Speech Emotion",
                    {f'["{name}"]': (frames, probs[:, c]) for c, name in enumerate(classes)})

    remove_markers(scene)
    previous = None
    for frame, label in zip(frames, labels):
        if label != previous:
            scene.timeline_markers.new(MARKER_PREFIX + label, frame=int(frame))
            previous = label
    return obj


def remove_markers(scene) -> None:
    for marker in [m for m in scene.timeline_markers if m.name.startswith(MARKER_PREFIX)]:
        scene.timeline_markers.remove(marker)


def clear_emotion(scene) -> None:
    remove_markers(scene)
    for obj in [o for o in scene.objects if EMOTION_OBJECT_TAG in o.keys()]:
        action = obj.animation_data.action if obj.animation_data else None
        bpy.data.objects.remove(obj)
        if action is not None and is_ours(action) and action.users == 0:
            bpy.data.actions.remove(action)
