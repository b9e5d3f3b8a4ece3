"""Animate audience: the one code path behind the button, scripts and batch mode.

Everything the user could have got wrong is checked before anything in the scene changes,
so a failed run leaves the scene as it was.
"""
from __future__ import annotations

import os
from contextlib import closing
from dataclasses import dataclass, field, replace

import numpy as np

from ..crowd.members import blinks, crowd_mood, react, temperament
from ..crowd.presets import BLINKS, LABELS, detect, expression_table, match, plain
from ..crowd.simplify import keep_indices
from ..ml import settings as ranges
from ..ml.settings import DEFAULTS
from ..ml.audio import AudioError, read_ahead
from ..ml.model import DEFAULT_MODEL_DIR, EmotionModel, ModelError
from ..ml.timeline import Timeline, predict_timeline
from . import audio, keys
from .errors import AudienceError


@dataclass
class Settings:
    strip: str
    faces: str
    preset: str = "AUTO"     # AUTO: each face's naming detected from its shape keys; or ARKIT, VROID, ..., CUSTOM
    mode: str = "MIRROR"
    seed: int = DEFAULTS["seed"]
    strength: float = DEFAULTS["strength"]
    smoothing: float = DEFAULTS["smoothing"]
    tolerance: float = DEFAULTS["tolerance"]  # > 0: drop keys while the curve stays within this of the dense one
    contrast: float = DEFAULTS["contrast"]    # how clearly an emotion that stands out shows (crowd_mood)
    hold: float = DEFAULTS["hold"]            # seconds of speech the crowd weighs before changing its mood
    blink: bool = True       # key blinks on faces with blink shape keys
    idle: float = DEFAULTS["idle"]            # idle sway on every key, even in silence (0 to 0.1 is subtle)
    speaker: str = ""        # object name: members further from it react later
    stagger: float = DEFAULTS["stagger"]      # extra seconds of delay per metre from the speaker
    model: str = ""   # folder or metadata JSON; empty: the shipped model
    custom: dict = None      # preset CUSTOM: {emotion: {shape key: weight}}


@dataclass
class Result:
    faces: list = field(default_factory=list)       # names of the faces animated
    keys_per_face: int = 0    # keys on each curve before simplification (one per 0.5 s)
    keys_written: int = 0     # the reactions' keys (all shape keys but the blinks), after simplification
    blink_keys: int = 0       # the blinks' keys
    curves: int = 0           # F-curves written
    duration_s: float = 0.0
    frames: np.ndarray = None
    timeline: Timeline = None
    notes: list = field(default_factory=list)      # things the user should know (skipped faces, missing keys)

    def summary(self) -> str:
        m, s = divmod(int(round(self.duration_s)), 60)
        text = (f"Animated {_faces(len(self.faces), None)}, {self.keys_per_face} keys a shape key, "
                f"{m}:{s:02d} of speech")
        if self.keys_written < self.keys_per_face * self.curves:
            dense = self.keys_per_face * self.curves
            text += f" (reactions simplified to {self.keys_written} of {dense} keys; blinks apart)"
        return text


_models: dict = {}


def load_model(path: str) -> EmotionModel:
    """Load once per session; reload when the file changes."""
    path = path or DEFAULT_MODEL_DIR
    meta = os.path.join(path, "emotion_model.json") if os.path.isdir(path) else path
    try:
        stamp = os.stat(meta).st_mtime_ns
    except OSError:
        stamp = None
    cached = _models.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        model = EmotionModel.load(path)
    except ModelError as e:
        raise AudienceError(str(e)) from None
    _models[path] = (stamp, model)
    return model


def find_faces(collection_name: str) -> tuple:
    """([(face object, Key datablock)], notes) for the faces collection, one entry per Key datablock."""
    import bpy

    if not collection_name:
        raise AudienceError("pick the faces collection (Audience tab > Faces)")
    collection = bpy.data.collections.get(collection_name)
    if collection is None:
        names = sorted(c.name for c in bpy.data.collections)
        known = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "") or "none"
        raise AudienceError(f"no collection named '{collection_name}' (collections: {known})")
    faces, notes, not_mesh, no_keys, linked, linked_data = [], [], [], [], [], []
    seen = {}
    for obj in sorted(collection.all_objects, key=lambda o: o.name):
        if obj.type != "MESH":
            not_mesh.append(obj.name)
            continue
        key = obj.data.shape_keys
        if key is None or len(key.key_blocks) < 2:
            no_keys.append(obj.name)
            continue
        if key.library is not None or (key.override_library is None and obj.data.library is not None):
            (linked_data if obj.override_library is not None else linked).append(obj.name)
            continue
        if key.name in seen:
            notes.append(f"'{obj.name}' shares shape keys with '{seen[key.name]}': they move together")
            continue
        seen[key.name] = obj.name
        faces.append((obj, key))
    if not_mesh:
        notes.append(f"skipped {len(not_mesh)} objects that are not meshes ({_names(not_mesh)})")
    if no_keys:
        notes.append(f"skipped {len(no_keys)} meshes without shape keys ({_names(no_keys)})")
    if linked:
        notes.append(f"skipped {_faces(len(linked), None)} (linked): make a library override first "
                     f"({_names(linked)})")
    if linked_data:
        notes.append(f"skipped {_faces(len(linked_data), None)} whose mesh data is still linked (the objects are "
                     f"overridden): override the mesh data too (Outliner: the mesh > Library Override > Make) "
                     f"({_names(linked_data)})")
    if not faces:
        what = "objects" if len(collection.all_objects) else "nothing"
        raise AudienceError(f"collection '{collection_name}' has no meshes with shape keys "
                            f"({what} in it; " + "; ".join(notes or ["it is empty"]) + ")")
    return faces, notes


def check_not_tweaking(named: list) -> None:
    """Refuse while an NLA strip is being edited (tweak mode): Blender keeps the actions as they are then."""
    tweaking = [name for name, datablock in named
                if datablock is not None and datablock.animation_data and datablock.animation_data.use_tweak_mode]
    if tweaking:
        raise AudienceError(f"{_names(tweaking)} {'is' if len(tweaking) == 1 else 'are'} in NLA tweak mode: leave it "
                            "(Tab in the NLA editor) and try again")


def _faces(n: int, verb: str = "has") -> str:
    """"1 face has", "3 faces have" (or the verb given, e.g. "had"; None: "1 face", "3 faces")."""
    if n != 1 and verb == "has":
        verb = "have"
    return ("1 face" if n == 1 else f"{n} faces") + (f" {verb}" if verb else "")


def _names(names: list, most: int = 3) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def key_frames(times: np.ndarray, first_frame: int, fps: float) -> tuple:
    """Whole scene frames for prediction times, rounded up so a key never comes before what it reacts to."""
    frames = first_frame + np.ceil(times * fps - 1e-6)
    frames, index = np.unique(frames, return_index=True)
    return frames, index


@dataclass
class Job:
    """A checked request: what to decode and which faces get which shape keys (by name, re-found at write time)."""
    settings: Settings
    source: audio.SoundSource
    model: EmotionModel
    rigs: dict                  # {kind (ARKIT, VROID, CUSTOM, ...): (its shape-key names, table emotions x names)}
    faces: list                 # [Plan]
    notes: list
    scene: str                  # scene name, for the emotion markers


@dataclass
class Plan:
    """What one face gets: its kind of rig, the columns of that kind's table it has (and its own name for each:
    'mouthSmile.L' for mouthSmileLeft) and its blink shape keys."""
    face: str
    kind: str
    columns: list   # indices into rigs[kind]'s names
    keys: list      # the face's shape-key name for each column
    blinks: list


def driven_shape_keys(key) -> set:
    """Shape keys a (working) driver sets: keys on them could never show."""
    drivers = key.animation_data.drivers if key.animation_data else []
    paths = {fc.data_path for fc in drivers if not fc.mute}
    return {block.name for block in key.key_blocks if keys.shape_key_path(block.name) in paths}


def prepare(scene, settings: Settings) -> Job:
    """Check everything the user could have got wrong; nothing in the scene changes. Main thread."""
    import bpy

    try:
        ranges.check_all(vars(settings))
    except ranges.SettingError as e:
        raise AudienceError(str(e)) from None
    strip = audio.find_sound_strip(scene, settings.strip)
    faces, notes = find_faces(settings.faces)
    check_not_tweaking([(o.name, k) for o, k in faces] + [("Speech Emotion", keys.emotion_object(scene))])
    rigs, plans, plan_notes = plan_faces(faces, settings)
    notes += plan_notes
    if settings.speaker and settings.speaker not in bpy.data.objects:
        raise AudienceError(f"no object named '{settings.speaker}' to stagger the reactions from")
    model = load_model(settings.model)
    source = audio.sound_source(scene, strip)
    audio.probe(source)  # "cannot decode" before any length: a text file makes a one-frame strip
    played = source.end_s - source.start_s
    if played < model.hop_s:
        audio.discard(source)
        raise AudienceError(f"strip '{strip.name}' plays only {played:.2f} s of sound; Animate Audience needs at "
                            f"least {model.hop_s:g} s (one prediction step)")
    return Job(settings, source, model, rigs, plans, notes + source.notes, scene.name)


def rig_kinds(collection) -> dict:
    """{kind or None: faces}: what Auto-detect makes of each face of a collection (the Audience tab shows it)."""
    counts = {}
    for obj in collection.all_objects if collection else ():
        key = obj.data.shape_keys if obj.type == "MESH" else None
        if key is not None and len(key.key_blocks) > 1:
            kind = detect(key.key_blocks.keys())
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def plan_faces(faces: list, settings: Settings) -> tuple:
    """(rigs, [Plan], notes): each face's kind of rig (detected from its own shape keys with preset AUTO, else the
    preset), the shape keys it gets and what the user should know, said once per kind of rig."""
    kinds = {o.name: detect(k.key_blocks.keys()) if settings.preset == "AUTO" else settings.preset for o, k in faces}
    rigs = {}
    for kind in sorted({k for k in kinds.values() if k}):
        try:
            rigs[kind] = expression_table(kind, settings.mode, settings.custom)
        except ValueError as e:
            raise AudienceError(str(e)) from None
    plans, driven, notes, lacking, without, muted, absolute, twins = [], [], [], {}, [], [], [], {}
    for obj, key in faces:
        kind = kinds[obj.name]
        if kind is None:
            continue
        if not key.use_relative:  # absolute shape keys follow Evaluation Time: their values do nothing
            absolute.append(obj.name)
            continue
        names = rigs[kind][0]
        set_by_driver = driven_shape_keys(key)
        free = [n for n in key.key_blocks.keys()[1:] if n not in set_by_driver]
        found = match(names, key.key_blocks.keys()[1:])
        driven += [f"{obj.name}: {found[n]}" for n in names if n in found and found[n] in set_by_driver]
        # A driven key is not swapped for a look-alike of the artist's (mouthSmile_L for a driven mouthSmileLeft).
        usable = {n: k for n, k in found.items() if k not in set_by_driver}
        blink_keys = match(BLINKS.get(kind, ()), key.key_blocks.keys()[1:]).values() if settings.blink else ()
        blinks = [k for k in blink_keys if k not in set_by_driver]
        # Two of the table's names one face key answers to (mouthSmile.L and mouthSmileLeft): one is keyed, the
        # other is not missing from the face, it is the same key.
        keyed = {plain(m): m for m in found}
        alike = {n: keyed[plain(n)] for n in names if n not in found and plain(n) in keyed}
        for pair in alike.items():
            twins.setdefault(pair, []).append(obj.name)
        lacking.setdefault(kind, []).append({n for n in names if n not in found and n not in alike})
        muted += [f"{obj.name}: {usable[n]}" for n in names if n in usable and key.key_blocks[usable[n]].mute]
        columns = [i for i, n in enumerate(names) if n in usable]
        if columns:
            plans.append(Plan(obj.name, kind, columns, [usable[names[i]] for i in columns], blinks))
        else:
            without.append(obj.name)
    unknown = [o.name for o, _k in faces if kinds[o.name] is None]
    if driven:
        notes.append(f"{len(driven)} shape keys are set by drivers, so keys on them could never show: "
                     f"not keyed ({_names(driven)})")
    if absolute:
        verb = "uses" if len(absolute) == 1 else "use"
        notes.append(f"{_faces(len(absolute), verb)} absolute shape keys (Relative off in the Shape Keys panel), "
                     f"whose values do nothing: not keyed, keys of an earlier run left as they are "
                     f"({_names(absolute)})")
    for (name, other), on in sorted(twins.items()):
        notes.append(f"the table's '{name}' and '{other}' are one shape key on {_faces(len(on), None)} "
                     f"({_names(on)}): it follows '{other}' only")
    if muted:
        notes.append(f"{len(muted)} shape key{'s are' if len(muted) > 1 else ' is'} muted: keyed, but "
                     f"{'they show' if len(muted) > 1 else 'it shows'} only once unmuted ({_names(muted)})")
    if not plans:
        if absolute and len(absolute) == sum(1 for o, _k in faces if kinds[o.name]):
            raise AudienceError(f"the faces use absolute shape keys (Relative is off in their Shape Keys panel), "
                                f"whose values do nothing: turn Relative on to animate them ({_names(absolute)})")
        example = _names([kb.name for kb in faces[0][1].key_blocks[1:]])
        known = sorted({k for k in kinds.values() if k})
        if driven and known:
            raise AudienceError(f"every shape key the tool would key on these faces is set by a driver "
                                f"({_names(driven)}), so keys on them could never show")
        if known and settings.preset == "AUTO":
            kind = known[0]
            raise AudienceError(f"the faces look like {LABELS[kind]} faces but have none of the shape keys that "
                                f"preset keys (e.g. {_names(rigs[kind][0])}; faces have e.g. {example}): "
                                "map them in a Custom Table (Shape Keys > Custom Table)")
        if settings.preset == "AUTO":
            raise AudienceError("the faces' shape keys follow no naming the tool knows (ARKit 52, Faceshift, "
                                f"VRoid): faces have e.g. {example}; map them in a Custom Table (Shape Keys > Custom Table)")
        wanted = _names(rigs[settings.preset][0], 6) if settings.preset in rigs else ""
        raise AudienceError(f"preset {settings.preset} names no shape key the faces have (it names {wanted}; "
                            f"faces have e.g. {example})")
    for kind, missing in sorted(lacking.items()):
        many = sum(1 for p in plans if p.kind == kind)
        if not many or not any(missing):
            continue
        everywhere = set.intersection(*missing)
        somewhere = set.union(*missing) - everywhere
        said = [f"not on any: {_names(sorted(everywhere), 6)}" if everywhere else "",
                f"not on some: {_names(sorted(somewhere), 6)}" if somewhere else ""]
        notes.append(f"{LABELS[kind]} faces ({many}) lack shape keys of that naming, not keyed there; "
                     + "; ".join(t for t in said if t))
    if unknown:
        notes.append(f"{_faces(len(unknown))} shape keys of no naming the tool knows (ARKit 52, Faceshift, "
                     f"VRoid): not animated ({_names(unknown)}); pick Shape Keys or a Custom Table for them")
    if without:
        notes.append(f"{_faces(len(without))} none of the preset's shape keys ({_names(without)})")
    return rigs, plans, notes


class Cancelled(Exception):
    """The user pressed Esc: nothing was written."""


# Progress: the analysis reports 0-80 %, the keys 80-100 %.
ANALYSED = 0.8


# The last few analyses, by what they heard: a re-run (another seed, strength, mode, ...) of the same strip does
# not decode and analyse its speech again. Keyed by the file (path, size, time it was changed), the part of it the
# strip plays, the model and the smoothing; a packed sound (a new temporary file each time) is analysed each time.
_analyses: dict = {}
ANALYSES_KEPT = 4


def _analysis_key(job: Job):
    source = job.source
    if source.temporary:
        return None
    try:
        stat = os.stat(source.path)
    except OSError:
        return None
    # The change time too: a file replaced in place keeps its size and may be given its old modification time
    # (cp -p, a share with 2 s resolution), but never its change time.
    return (os.path.realpath(source.path), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns,
            round(source.start_s, 9),
            round(source.end_s, 9), job.model.metadata.get("model_sha256"), id(job.model), job.settings.smoothing)


def analyse(job: Job, progress=None, cancelled=lambda: False) -> Timeline:
    """Decode and predict, a piece of audio at a time. Touches no bpy data, so it may run in a thread."""
    progress = progress or (lambda fraction, message: None)
    key = _analysis_key(job)
    if key in _analyses:
        if cancelled():
            raise Cancelled()
        _analyses[key] = _analyses.pop(key)  # the most recent last
        progress(ANALYSED, "heard this speech before: its emotion is known")
        return _analyses[key]
    timeline = _analyse(job, progress, cancelled)
    if key is not None:
        _analyses[key] = timeline
        while len(_analyses) > ANALYSES_KEPT:
            del _analyses[next(iter(_analyses))]
    return timeline


def _analyse(job: Job, progress, cancelled) -> Timeline:
    rate = job.model.sample_rate
    expected = max(job.source.end_s - job.source.start_s, 1e-6)

    def heard():
        done = 0
        with closing(read_ahead(audio.pieces(job.source, rate))) as stream:  # progress and Esc stay on this thread
            for piece in stream:
                if cancelled():
                    raise Cancelled()  # (leaving the with stops the decoder and closes the file first)
                yield piece
                done += len(piece)
                m, s = divmod(int(done / rate), 60)
                progress(0.05 + (ANALYSED - 0.1) * min(done / rate / expected, 1.0),
                         f"listening to the speech: {m}:{s:02d} of {total}")

    m, s = divmod(int(round(expected)), 60)
    total = f"{m}:{s:02d}"
    progress(0.05, f"listening to the speech: 0:00 of {total}")
    try:
        timeline = predict_timeline(heard(), job.model, job.settings.smoothing)
    except AudioError as e:
        raise AudienceError(f"cannot analyse '{job.source.label}': {e}") from None
    if cancelled():
        raise Cancelled()
    progress(ANALYSED, f"predicted the emotion every {job.model.hop_s:g} s")
    return timeline


def write(job: Job, timeline: Timeline, progress=None) -> Result:
    """Key every face. Main thread."""
    progress = progress or (lambda fraction, message: None)
    steps = write_steps(job, timeline)
    while True:
        try:
            progress(*next(steps))
        except StopIteration as done:
            return done.value


def write_steps(job: Job, timeline: Timeline, recheck: bool = False):
    """write(), a face at a time: yields (fraction done, what it is doing) after each face, returns the Result.

    The button runs it in short turns between redraws (the progress bar moves, Blender stays drawn); nothing else
    may change the scene between two turns. `recheck`: the artist could work while the speech was analysed (the
    button), so the faces' shape keys are checked again before the first key.
    """
    import bpy

    sound = job.source
    frames, index = key_frames(timeline.times, sound.first_frame, sound.fps)
    times = timeline.times[index]
    mood = crowd_mood(timeline.probs[index], job.model.hop_s, job.settings.contrast, job.settings.hold)
    result = Result(frames=frames, timeline=timeline, notes=list(job.notes) + [
        f"'{sound.label}': {note}" for note in timeline.notes], keys_per_face=len(frames),
                    duration_s=timeline.duration_s)
    nla, yours, copied, linked, hidden, placed, over, trimmed, moved, duplicates, clipped = ([] for _ in range(11))
    speaker = bpy.data.objects.get(job.settings.speaker) if job.settings.speaker else None
    objects = _objects_by_name()
    # Blender stays usable while the speech is analysed: a strip may have gone into tweak mode since prepare().
    shape_keys = {plan.face: objects[plan.face].data.shape_keys for plan in job.faces
                  if plan.face in objects and objects[plan.face].type == "MESH"}
    scene = bpy.data.scenes.get(job.scene)
    check_not_tweaking(list(shape_keys.items())
                       + [("Speech Emotion", keys.emotion_object(scene) if scene is not None else None)])
    if recheck:
        _check_timing(job, scene)
        _check_unchanged(job, shape_keys)
    for n, plan in enumerate(job.faces):
        name = plan.face
        obj = objects.get(name)
        if obj is None or obj.type != "MESH" or obj.data.shape_keys is None:
            result.notes.append(f"'{name}' was removed or renamed (or lost its shape keys) while the speech was "
                                "analysed: skipped")
            continue
        member = temperament(name, job.settings.seed, len(plan.columns))
        if speaker is not None:
            distance = (obj.matrix_world.translation - speaker.matrix_world.translation).length
            member = replace(member, delay_s=member.delay_s + job.settings.stagger * distance)
        table = job.rigs[plan.kind][1][:, plan.columns]
        values = react(times, mood, table, member, job.settings.strength, idle=job.settings.idle)
        blocks = obj.data.shape_keys.key_blocks
        top, bottom = (values.max(axis=1), values.min(axis=1)) if values.shape[1] else ((), ())
        cut = {k: f"{name}: {k} ({blocks[k].slider_min:g} to {blocks[k].slider_max:g})"
               for k, high, low in zip(plan.keys, top, bottom) if k in blocks and (
                   high > blocks[k].slider_max + 1e-4 or low < blocks[k].slider_min - 1e-4)}
        curves = {}
        for j, shape_key in enumerate(plan.keys):
            if job.settings.tolerance > 0:
                kept = keep_indices(frames, values[j], job.settings.tolerance)
                curves[shape_key] = (frames[kept], values[j][kept])
            else:
                curves[shape_key] = (frames, values[j])
        if plan.blinks:
            blink_frames, blink_values = blinks(result.duration_s, member, sound.fps)
            inside = sound.first_frame + blink_frames <= sound.last_frame
            for blink_name in plan.blinks:
                curves[blink_name] = (sound.first_frame + blink_frames[inside], blink_values[inside])
        written = keys.write_face(obj.data.shape_keys, name, curves)
        reactions = [k for k in plan.keys if k not in written.kept]
        result.curves += len(reactions)
        result.keys_written += sum(len(curves[n][0]) for n in reactions)
        result.blink_keys += sum(len(curves[n][0]) for n in plan.blinks if n not in written.kept)
        if written.where == "NLA":
            nla.append(name)
        yours += [f"{name}: {shape_key}" for shape_key in written.kept]
        hidden += [f"{name}: {shape_key}" for shape_key in written.hidden]
        over += [f"{name}: {shape_key}" for shape_key in written.over]
        if written.copied:
            (linked if written.copied == "linked" else copied).append(name)
        if written.placed:
            placed.append(name)
        if written.trimmed:
            trimmed.append(name)
        moved += [f"{name}: '{strip}'" for strip in written.moved]
        clipped += [text for k, text in cut.items() if k not in written.kept]  # a curve of the artist's: theirs
        duplicates += [f"{name}: '{strip}'" for strip in written.copies]
        result.faces.append(name)
        yield ANALYSED + (1 - ANALYSED) * (n + 1) / len(job.faces), f"keying faces: {n + 1} of {len(job.faces)}"
    if scene is not None:
        labels = timeline.labels  # a property that argmaxes every row: read once, not once per key
        emotion = keys.write_emotion(scene, frames, timeline.probs[index], timeline.classes,
                                     [labels[i] for i in index], bpy.data.collections.get(job.settings.faces))
        yours += [f"Speech Emotion: {path}" for path in emotion.kept]
        result.notes += emotion.notes
    if nla:
        result.notes.append(f"{_faces(len(nla), 'had')} an action already: keys went onto the NLA track "
                            f"'{keys.NLA_TRACK}' ({_names(nla)})")
    if hidden:
        many = len(hidden) > 1
        result.notes.append(f"{len(hidden)} shape key{'s are' if many else ' is'} keyed in your own action too, which "
                            f"plays over that track: {'their' if many else 'its'} reaction will not show there "
                            f"({_names(hidden)})")
    if over:
        many = len(over) > 1
        result.notes.append(f"{len(over)} shape key{'s are' if many else ' is'} keyed in your NLA strips too: the "
                            f"reaction plays over {'them' if many else 'it'} (Remove Audience Keys gives yours back) "
                            f"({_names(over)})")
    if yours:
        result.notes.append(f"kept {len(yours)} curve{'s' if len(yours) > 1 else ''} you edited or keyed yourself, "
                            "not re-animated "
                            f"({_names(yours)}); delete a curve to let Animate write it again")
    if placed:
        result.notes.append(f"kept where you put the tool's NLA strip (moved, scaled or repeated) on {len(placed)} "
                            f"face{'s' if len(placed) > 1 else ''} ({_names(placed)})")
    if trimmed:
        result.notes.append(f"kept your Action Clip trim of the tool's NLA strip on {_faces(len(trimmed), None)}: "
                            f"it plays that part of the new reaction ({_names(trimmed)})")
    if moved:
        result.notes.append(f"the tool's NLA strip would have run into your strip{'s' if len(moved) > 1 else ''} on "
                            f"its track: it moved to a track '{keys.NLA_TRACK}' of its own just above, where it "
                            f"plays only over the reaction's frames ({_names(moved)})")
    if copied:
        result.notes.append(f"{_faces(len(copied), 'shared')} the tool's action with another face: each now has its "
                            f"own ({_names(copied)})")
    result.notes += _duplicates_note(duplicates)
    if clipped:
        many = len(clipped) > 1
        whose = "shape keys' slider ranges cut" if many else "shape key's slider range cuts"
        result.notes.append(f"{len(clipped)} {whose} the reaction short: Blender shows no value beyond Range Min/Max "
                            f"({_names(clipped)})")
    if linked:
        result.notes.append(f"{_faces(len(linked), 'had')} the tool's action of a linked file (a crowd asset animated "
                            f"there): each now has a copy of its own, the library's is left as it is "
                            f"({_names(linked)})")
    return result


def _duplicates_note(strips: list) -> list:
    if not strips:
        return []
    many = len(strips) > 1
    return [f"{len(strips)} NLA strip{'s' if many else ''} of yours play{'' if many else 's'} a copy of the tool's "
            f"keys (a duplicate of its strip): {'they are' if many else 'it is'} yours now, left as "
            f"{'they are' if many else 'it is'} ({_names(strips)})"]


def _objects_by_name() -> dict:
    """{name: object}, local objects before linked ones of the same name (as bpy.data.objects.get finds them),
    made once: get() looks through every object, once per face."""
    import bpy

    found = {}
    for obj in bpy.data.objects:
        if obj.name not in found or found[obj.name].library is not None and obj.library is None:
            found[obj.name] = obj
    return found


def _check_timing(job: Job, scene) -> None:
    """Refuse when the strip now plays its sound elsewhere than when it was analysed (moved, trimmed, a Sound
    Offset, the frame rate, Time Stretching), or another sound: the keys would follow the sound as it was."""
    if scene is None:
        return  # the scene went meanwhile: the faces are keyed, the emotion markers skipped, as before
    strip, then = audio.find_sound_strip(scene, job.settings.strip), job.source
    now = audio.timing(scene, strip)
    if audio.sound_of(strip) != then.sound or not np.allclose(
            now[:5], (then.start_s, then.end_s, then.first_frame, then.last_frame, then.fps), rtol=0, atol=1e-6):
        raise AudienceError(f"strip '{job.settings.strip}' was moved, trimmed, retimed or given another sound while "
                            "the speech was analysed: nothing was written; click Animate Audience again")


def _check_unchanged(job: Job, shape_keys: dict) -> None:
    """Refuse when a shape key the tool planned to key is gone (renamed, removed), now set by a driver, or its face's
    keys made absolute: the keys would go onto names the face no longer has, or where they cannot show. Anything
    else the artist did meanwhile (a driver taken off, a key added) only waits for the next run.
    `shape_keys`: {face name: its Key now, or None}."""
    changed = []
    for plan in job.faces:
        key = shape_keys.get(plan.face)
        if key is None:
            continue  # a face removed meanwhile is skipped with a note, as before
        planned = set(plan.keys + plan.blinks)
        if not key.use_relative or not planned <= set(key.key_blocks.keys()) or driven_shape_keys(key) & planned:
            changed.append(plan.face)
    if changed:
        raise AudienceError(f"shape keys of {_names(changed)} that the tool keys were renamed, removed, given a "
                            "driver or made absolute while the speech was analysed: nothing was written; click "
                            "Animate Audience again")


def animate(scene, settings: Settings, progress=None) -> Result:
    """Check, decode, predict, write keys, in one go. Raises AudienceError (scene untouched) on anything the user can fix."""
    job = prepare(scene, settings)
    return write(job, analyse(job, progress), progress)


def clear(scene, collection_name: str) -> tuple:
    """Remove what the tool wrote on the faces of a collection, and its markers and emotion empty in every
    scene that shows these faces; keep what the artist edited. Returns (faces cleared, notes)."""
    import bpy

    faces, _notes = find_faces(collection_name)
    scenes = {scene.name: scene}
    shown = {obj.as_pointer() for obj, _key in faces}  # one pass per scene (Object.users_scene is one per face)
    scenes.update((s.name, s) for s in bpy.data.scenes if any(o.as_pointer() in shown for o in s.objects))
    check_not_tweaking([(o.name, k) for o, k in faces] + [("Speech Emotion", keys.emotion_object(s))
                                                          for s in scenes.values()])
    kept, cleared, notes, added, copies = [], 0, [], [], []
    linked = [obj.name for obj, key in faces if getattr(keys.find_action(key)[0], "library", None) is not None]
    if linked:
        verb = "plays" if len(linked) == 1 else "play"
        notes.append(f"{_faces(len(linked), verb)} the tool's keys of a linked file, which belong to that file: "
                     f"left as they are ({_names(linked)})")
    for (obj, _key), names in zip(faces, keys.clear_faces([key for _obj, key in faces], added, copies)):
        if names is not None:
            cleared += 1
            kept += [f"{obj.name}: {name}" for name in names]
    if added:
        what = sorted({thing for _i, things in added for thing in things})
        notes.append(f"kept the tool's action on {_names([faces[i][0].name for i, _t in added])}, emptied of its "
                     f"keys: you added {', '.join(what)} to it")
    notes += _duplicates_note([f"{faces[i][0].name}: '{strip}'" for i, strips in copies for strip in strips])
    for each in scenes.values():
        edited, said = keys.clear_emotion(each, bpy.data.collections.get(collection_name))
        kept += [f"Speech Emotion: {path}" for path in edited]
        notes += said
    if kept:
        notes.insert(0, f"kept {len(kept)} curve{'s' if len(kept) > 1 else ''} you edited or keyed yourself "
                        f"({_names(kept)})")
    return cleared, notes
