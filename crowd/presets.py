"""Emotion -> shape-key weights. A face uses the keys it has; missing names are reported, not fatal."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

EMOTIONS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")


def _both(name: str, weight: float, left: str = "Left", right: str = "Right") -> dict:
    return {name + left: weight, name + right: weight}


# ARKit-52 blendshape names (Apple ARFaceAnchor), as exported by most face rigs and generators.
ARKIT = {
    "neutral": {},
    "calm": {**_both("mouthSmile", 0.15), **_both("eyeSquint", 0.1)},
    "happy": {**_both("mouthSmile", 0.8), **_both("cheekSquint", 0.5), **_both("eyeSquint", 0.3), "jawOpen": 0.15},
    "sad": {"browInnerUp": 0.7, **_both("mouthFrown", 0.6), **_both("mouthPress", 0.2), **_both("eyeLookDown", 0.25)},
    "angry": {**_both("browDown", 0.8), **_both("noseSneer", 0.4), **_both("mouthPress", 0.4), **_both("eyeSquint", 0.3),
              "jawForward": 0.2},
    "fearful": {"browInnerUp": 0.8, **_both("browOuterUp", 0.5), **_both("eyeWide", 0.7), **_both("mouthStretch", 0.4),
                "jawOpen": 0.2},
    "disgust": {**_both("noseSneer", 0.7), **_both("mouthUpperUp", 0.5), **_both("browDown", 0.3),
                **_both("mouthFrown", 0.3)},
    "surprised": {"browInnerUp": 0.7, **_both("browOuterUp", 0.8), **_both("eyeWide", 0.8), "jawOpen": 0.5,
                  "mouthFunnel": 0.2},
}

# Faceshift-style names (smile, frown, Sneer, Puff, BrowsU_C, ...), as on many older and game rigs.
FACESHIFT = {
    "neutral": {},
    "calm": {"smile": 0.15, **_both("MouthSmile", 0.15, "_L", "_R")},
    "happy": {"smile": 0.8, **_both("MouthSmile", 0.8, "_L", "_R"), **_both("CheekSquint", 0.5, "_L", "_R"),
              **_both("EyeSquint", 0.3, "_L", "_R")},
    "sad": {"frown": 0.6, **_both("MouthFrown", 0.6, "_L", "_R"), "BrowsU_C": 0.7, "LipsTogether": 0.2},
    "angry": {**_both("BrowsD", 0.8, "_L", "_R"), "Sneer": 0.4, **_both("Sneer", 0.4, "_L", "_R"), "frown": 0.3,
              **_both("EyeSquint", 0.3, "_L", "_R"), "Puff": 0.2},
    "fearful": {"BrowsU_C": 0.8, **_both("BrowsU", 0.5, "_L", "_R"), **_both("EyeOpen", 0.7, "_L", "_R"),
                **_both("LipsStretch", 0.4, "_L", "_R"), "CH": 0.2},
    "disgust": {"Sneer": 0.7, **_both("Sneer", 0.7, "_L", "_R"), **_both("LipsUpperUp", 0.5, "_L", "_R"),
                **_both("BrowsD", 0.3, "_L", "_R"), "frown": 0.3},
    "surprised": {"BrowsU_C": 0.7, **_both("BrowsU", 0.8, "_L", "_R"), **_both("EyeOpen", 0.8, "_L", "_R"),
                  "JawOpen": 0.5, "AA": 0.5},
}

# VRoid Studio / VRM models: the brows', eyes' and mouth's own expressions (Fcl_BRW_*, Fcl_EYE_*, Fcl_MTH_*), so
# an emotion can borrow another's eyes (fear: sorrowful brows, surprised eyes). Fcl_ALL_* would repeat them.
VROID = {
    "neutral": {},
    "calm": {"Fcl_MTH_Fun": 0.25, "Fcl_EYE_Fun": 0.15, "Fcl_BRW_Fun": 0.15},
    "happy": {"Fcl_MTH_Joy": 0.8, "Fcl_EYE_Joy": 0.4, "Fcl_BRW_Joy": 0.6},
    "sad": {"Fcl_BRW_Sorrow": 0.8, "Fcl_EYE_Sorrow": 0.6, "Fcl_MTH_Sorrow": 0.7},
    "angry": {"Fcl_BRW_Angry": 0.9, "Fcl_EYE_Angry": 0.6, "Fcl_MTH_Angry": 0.6},
    "fearful": {"Fcl_BRW_Sorrow": 0.6, "Fcl_EYE_Surprised": 0.6, "Fcl_EYE_Spread": 0.3, "Fcl_MTH_Surprised": 0.3},
    "disgust": {"Fcl_BRW_Angry": 0.4, "Fcl_EYE_Angry": 0.3, "Fcl_MTH_Angry": 0.5, "Fcl_MTH_Sorrow": 0.3},
    "surprised": {"Fcl_BRW_Surprised": 0.9, "Fcl_EYE_Surprised": 0.8, "Fcl_MTH_Surprised": 0.7},
}

PRESETS = {"ARKIT": ARKIT, "FACESHIFT": FACESHIFT, "VROID": VROID}
LABELS = {"ARKIT": "ARKit 52", "FACESHIFT": "Faceshift", "VROID": "VRoid", "CUSTOM": "Custom Table"}
# Blinks are keyed on their own, on faces that have these shape keys.
BLINKS = {"ARKIT": ("eyeBlinkLeft", "eyeBlinkRight"), "FACESHIFT": ("EyeBlink_L", "EyeBlink_R"),
          "VROID": ("Fcl_EYE_Close_L", "Fcl_EYE_Close_R")}

# The names each kind of rig has, to tell them apart: Apple's 52 ARKit blendshapes (Ready Player Me, Character
# Creator's ARKit profile, iPhone captures), Faceshift's 51 and the seed project's, VRoid's prefix.
ARKIT_52 = tuple(f"{part}{side}" for part in ("eyeBlink", "eyeLookDown", "eyeLookIn", "eyeLookOut", "eyeLookUp",
                                              "eyeSquint", "eyeWide", "mouthSmile", "mouthFrown", "mouthDimple",
                                              "mouthStretch", "mouthPress", "mouthLowerDown", "mouthUpperUp",
                                              "browDown", "browOuterUp", "cheekSquint", "noseSneer")
                 for side in ("Left", "Right")) + (
    "jawForward", "jawLeft", "jawRight", "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft",
    "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "browInnerUp",
    "cheekPuff", "tongueOut")
FACESHIFT_NAMES = tuple(f"{part}_{side}" for part in ("EyeBlink", "EyeSquint", "EyeDown", "EyeIn", "EyeOpen",
                                                      "EyeOut", "EyeUp", "BrowsD", "BrowsU", "LipsUpperUp",
                                                      "LipsLowerDown", "MouthSmile", "MouthDimple", "LipsStretch",
                                                      "MouthFrown", "MouthPress", "CheekSquint", "Sneer")
                        for side in "LR") + (
    "BrowsU_C", "JawOpen", "LipsTogether", "JawLeft", "JawRight", "JawFwd", "LipsUpperClose", "LipsLowerClose",
    "LipsPucker", "LipsFunnel", "MouthLeft", "MouthRight", "ChinLowerRaise", "ChinUpperRaise", "Sneer", "Puff",
    "smile", "frown", "AA", "CH")
VROID_PREFIX = "Fcl_"
# A face is of a kind when it has two of its names as spelled, or three spelled loosely: a face with only a few keys
# still counts, a viseme rig's lone "CH" does not.


def vroid_part(name: str) -> str | None:
    """The VRoid name in a shape key's name ("Fcl_ALL_Joy", also after a VRM 0.x export's mesh prefix as in
    "Face.M_F00_000_00_Fcl_ALL_Joy"), or None."""
    low, prefix = name.lower(), VROID_PREFIX.lower()
    if low.startswith(prefix):
        return name
    at = max(low.rfind("_" + prefix), low.rfind("." + prefix))
    return name[at + 1:] if at >= 0 else None


@lru_cache(maxsize=4096)  # a crowd's faces share their names: a stadium asks for the same few thousand times
def plain(name: str) -> str:
    """A shape-key name as spelled loosely: case and separators ignored, a side suffix (_L, .R, ...) spelled out.
    "mouthSmile.L", "Mouth_Smile_L" and "mouthSmileLeft" are the same name. A VRM 0.x export's mesh prefix is
    dropped: "Face.M_F00_000_00_Fcl_ALL_Joy" is VRoid's "Fcl_ALL_Joy"."""
    text = name.strip()
    text = vroid_part(text) or text
    for sep in ("_", ".", " ", "-"):
        for side, word in (("L", "Left"), ("R", "Right")):
            if text.endswith(sep + side) or text.endswith(sep + side.lower()):
                text = text[:-2] + word
    return "".join(ch for ch in text if ch.isalnum()).lower()


def typed(name: str) -> str:
    """A shape-key name without what a typo changes most (case, spaces around it): two table rows alike this way
    are one key to the faces. Looser spellings (mouthSmile_L, mouthSmile.L) may be two keys of one rig."""
    return name.strip().casefold()


def detect(names) -> str | None:
    """The kind of rig ("ARKIT", "FACESHIFT", "VROID") whose names a face's shape keys follow; None if none.

    Exact names first (Faceshift's EyeBlink_L and ARKit's eyeBlinkLeft are loosely the same), then loosely."""
    names = list(names)
    for same, least in ((lambda n: n, 2), (plain, 3)):
        have = {same(n) for n in names}
        scores = {"ARKIT": len(have & {same(n) for n in ARKIT_52}),
                  "FACESHIFT": len(have & {same(n) for n in FACESHIFT_NAMES}),
                  "VROID": sum(vroid_part(n) is not None for n in names)}
        if scores["ARKIT"] >= len(ARKIT_52) // 2:
            return "ARKIT"  # VRoid models made for "Perfect Sync" carry the 52 ARKit keys too: the finer ones
        kind = max(scores, key=scores.get)
        if scores[kind] >= least:
            return kind
    return None


def match(wanted, names) -> dict:
    """{wanted name: the face's own name for it}: the same name, else the one spelled loosely the same (when only
    one is); names the face lacks are left out."""
    names = list(names)
    exact = set(names)
    loose = {}
    for n in names:
        loose.setdefault(plain(n), []).append(n)
    out = {w: w for w in wanted if w in exact}
    for w in wanted:
        if w not in out and len(loose.get(plain(w), ())) == 1 and loose[plain(w)][0] not in out.values():
            out[w] = loose[plain(w)][0]
    return out


# "React" mode: how a listener feels about what the speaker feels (rows: speaker, columns: audience).
REACTIONS = {
    "neutral": {"neutral": 1.0},
    "calm": {"calm": 1.0},
    "happy": {"happy": 1.0},
    "sad": {"sad": 0.7, "calm": 0.3},               # sympathy
    "angry": {"fearful": 0.6, "surprised": 0.4},    # shocked, a little afraid
    "fearful": {"fearful": 0.5, "sad": 0.5},         # concern
    "disgust": {"disgust": 0.6, "surprised": 0.4},
    "surprised": {"surprised": 0.7, "happy": 0.3},
}
MODES = ("MIRROR", "REACT")


def expression_table(preset: str, mode: str = "MIRROR", custom: dict = None) -> tuple:
    """(shape-key names, matrix [8 emotions x n keys]) for a preset (or CUSTOM with `custom`) and a mode."""
    if preset == "CUSTOM":
        table = check_table(custom or {})
    elif preset in PRESETS:
        table = PRESETS[preset]
    else:
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)} or CUSTOM")
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    names = sorted({k for row in table.values() for k in row})
    mirror = np.array([[table[e].get(k, 0.0) for k in names] for e in EMOTIONS], dtype=np.float64).reshape(
        len(EMOTIONS), len(names))
    if mode == "REACT":
        mirror = np.array([[REACTIONS[s].get(a, 0.0) for a in EMOTIONS] for s in EMOTIONS]) @ mirror
    base = np.array([table.get(BASE, {}).get(k, 0.0) for k in names])
    return names, np.clip(mirror + base, 0.0, 1.0)


# A row "base" in a custom table is held under every emotion (a slight smile, a frown, ...).
BASE = "base"
# A preset file: {"format": PRESET_FORMAT, "version": 1, "expressions": {emotion: {shape key: weight}}}
PRESET_FORMAT = "audience-reactions-expressions"


def check_table(expressions) -> dict:
    """A user's emotion -> {shape key: weight} table, checked; raises ValueError saying what is wrong."""
    if not isinstance(expressions, dict):
        raise ValueError("expressions must map emotions to {shape key: weight}")
    unknown = sorted(set(expressions) - set(EMOTIONS) - {BASE})
    if unknown:
        raise ValueError(f"unknown emotion(s) {', '.join(map(str, unknown))}; use {', '.join(EMOTIONS)} or {BASE}")
    table = {e: {} for e in EMOTIONS}
    if BASE in expressions:
        table[BASE] = {}
    spelled = {}  # the name as a typo would change it -> the table's spelling: two would land on one shape key
    for emotion, row in expressions.items():
        if not isinstance(row, dict):
            raise ValueError(f"'{emotion}' must map shape-key names to weights")
        for key, weight in row.items():
            if not isinstance(key, str) or not any(ch.isprintable() and not ch.isspace() for ch in key):
                raise ValueError(f"'{emotion}': a shape key's name must be text, not blank ({key!r})")
            if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not 0.0 <= weight <= 1.0:
                raise ValueError(f"'{emotion}': weight of {key!r} must be a number from 0 to 1")
            first = spelled.setdefault(typed(key), key)
            if first != key:
                raise ValueError(f"'{first}' and '{key}' differ only in case or spaces, and a face's names are "
                                 "matched without them: spell them the same")
            table[emotion][key] = float(weight)
    if not any(table.values()):
        raise ValueError("the table names no shape key")
    return table


def save_preset(path: str, expressions: dict) -> None:
    """Checked first, then written beside the file and renamed over it: a table that cannot be saved, or a full
    disk, leaves the preset that was there."""
    import json
    import os
    import tempfile

    text = json.dumps({"format": PRESET_FORMAT, "version": 1, "expressions": check_table(expressions)}, indent=1)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".audience-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load_preset(path: str) -> dict:
    import json

    def unique(pairs):  # json keeps the last of a name given twice: the row or weight before it would be lost
        seen = {}
        for name, value in pairs:
            if name in seen:
                raise ValueError(f"preset {path}: {json.dumps(name)} is given twice in one place: keep one")
            seen[name] = value
        return seen

    try:
        with open(path, "rb") as f:
            text = f.read((1 << 20) + 1)
        if len(text) > 1 << 20:  # a table of every emotion of a 52-key rig takes a few kB
            raise ValueError(f"preset {path} is larger than 1 MB: not an expression preset")
        data = json.loads(text.decode("utf-8"), object_pairs_hook=unique)
    except OSError as e:
        raise ValueError(f"cannot read preset {path}: {e.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"preset {path} is not a JSON file") from None
    except RecursionError:  # "[[[[...": nested deeper than Python's parser goes
        raise ValueError(f"preset {path} is nested too deeply to be an expression preset") from None
    if not isinstance(data, dict) or data.get("format") != PRESET_FORMAT or data.get("version") != 1:
        raise ValueError(f"{path} is not an Audience Reactions expression preset (version 1)")
    return check_table(data.get("expressions"))
