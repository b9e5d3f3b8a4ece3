"""Emotion -> shape-key weights. A face uses the keys it has; missing names are reported, not fatal."""
from __future__ import annotations

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

PRESETS = {"ARKIT": ARKIT, "FACESHIFT": FACESHIFT}
# Blinks are keyed on their own, on faces that have these shape keys.
BLINKS = {"ARKIT": ("eyeBlinkLeft", "eyeBlinkRight"), "FACESHIFT": ("EyeBlink_L", "EyeBlink_R")}

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
    for emotion, row in expressions.items():
        if not isinstance(row, dict):
            raise ValueError(f"'{emotion}' must map shape-key names to weights")
        for key, weight in row.items():
            if not isinstance(key, str) or not key or not isinstance(weight, (int, float)) or isinstance(weight, bool) \
                    or not 0.0 <= weight <= 1.0:
                raise ValueError(f"'{emotion}': weight of {key!r} must be a number from 0 to 1")
            table[emotion][key] = float(weight)
    if not any(table.values()):
        raise ValueError("the table names no shape key")
    return table


def save_preset(path: str, expressions: dict) -> None:
    import json

    with open(path, "w") as f:
        json.dump({"format": PRESET_FORMAT, "version": 1, "expressions": check_table(expressions)}, f, indent=1)
        f.write("\n")


def load_preset(path: str) -> dict:
    import json

    try:
        with open(path, "rb") as f:
            data = json.loads(f.read(1 << 20).decode("utf-8"))
    except OSError as e:
        raise ValueError(f"cannot read preset {path}: {e.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"preset {path} is not a JSON file") from None
    except RecursionError:  # "[[[[...": nested deeper than Python's parser goes
        raise ValueError(f"preset {path} is nested too deeply to be an expression preset") from None
    if not isinstance(data, dict) or data.get("format") != PRESET_FORMAT or data.get("version") != 1:
        raise ValueError(f"{path} is not an Audience Reactions expression preset (version 1)")
    return check_table(data.get("expressions"))
