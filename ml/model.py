"""The emotion model: an XGBoost booster in XGBoost's own UBJ format plus a JSON metadata file.

No pickles: a model file is data, never code. The metadata records the SHA-256 of the
booster file, which is checked before the booster is loaded.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field

import numpy as np

from . import features

EMOTIONS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")
METADATA_FORMAT = 1
METADATA_NAME = "emotion_model.json"
DEFAULT_MODEL_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models")


class ModelError(Exception):
    """The model files are missing, damaged or do not fit this version of the code."""


@dataclass
class EmotionModel:
    booster: object
    classes: tuple
    sample_rate: int
    window_s: float
    hop_s: float
    feature_names: list         # the pooled features it reads, by name (a subset of features.POOLED_NAMES)
    metadata: dict = field(default_factory=dict)
    temperature: float = 1.0    # probabilities are softmax(margin / temperature): calibrated in training
    files: tuple = ()   # the metadata and booster files it was read from
    prior: tuple = None  # each class's weight after calibration (a prior shift; see ml.train.CLASS_PRIOR)

    def __post_init__(self):
        self.columns = np.array([features.POOLED_NAMES.index(n) for n in self.feature_names])

    @classmethod
    def load(cls, path: str = DEFAULT_MODEL_DIR) -> "EmotionModel":
        """Load from a folder holding emotion_model.json, or from that JSON file itself."""
        meta_path = os.path.join(path, METADATA_NAME) if os.path.isdir(path) else path
        meta = read_metadata(meta_path)
        model_path = os.path.join(os.path.dirname(meta_path), meta["model_file"])
        blob = _read_file(model_path, "model file", 1 << 30)
        digest = hashlib.sha256(blob).hexdigest()
        if digest != meta["model_sha256"].lower():
            raise ModelError(
                f"model file {os.path.basename(model_path)} does not match its checksum "
                "(truncated, damaged or replaced); reinstall the model")
        import xgboost

        booster = xgboost.Booster()
        try:
            booster.load_model(bytearray(blob))
            shape = booster.num_features(), json.loads(booster.save_config())["learner"]["learner_model_param"]
        except (xgboost.core.XGBoostError, ValueError, KeyError) as e:
            raise ModelError(f"XGBoost cannot read {os.path.basename(model_path)}: {str(e).splitlines()[0]}") from None
        # The metadata says how to feed the booster: it must be the metadata this booster was saved with.
        if booster.attr(FINGERPRINT) != fingerprint(meta) or shape[0] != len(meta["features"]) \
                or int(shape[1].get("num_class", 0)) != len(EMOTIONS):
            raise ModelError(f"{os.path.basename(meta_path)} does not belong to {os.path.basename(model_path)} "
                             "(edited or mixed up); reinstall the model or train it again")
        # One thread: a few hundred rows take ~20 ms, and OpenMP threads that wait on each other next to
        # Blender's own threads can take many times that.
        booster.set_param({"nthread": 1})
        return cls(booster, tuple(meta["classes"]), int(meta["sample_rate"]), float(meta["window_s"]),
                   float(meta["hop_s"]), list(meta["features"]), meta, float(meta.get("temperature", 1.0)),
                   (meta_path, model_path), tuple(meta["class_prior"]) if "class_prior" in meta else None)

    def normalise(self, x: np.ndarray) -> np.ndarray:
        """The model's columns of one recording's pooled windows (one speaker), as it was trained to see them."""
        norm = self.metadata.get("speaker_normalisation")
        values = x[:, self.columns]
        if not norm or len(x) == 0:
            return values
        from .speaker import recording

        counted = x[:, -1] >= norm["min_speech_fraction"]  # speech_fraction is always the last pooled column
        own = np.isin(self.feature_names, norm.get("own_mean", []))  # the level: relative to the recording's own
        return recording(values, counted, np.asarray(norm["mean"]), np.asarray(norm["std"]), norm["prior_windows"],
                         own)

    def margins(self, z: np.ndarray) -> np.ndarray:
        """The booster's raw class scores for normalised windows, shape (n, n_classes)."""
        if len(z) == 0:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        m = self.booster.inplace_predict(np.ascontiguousarray(z, dtype=np.float32), predict_type="margin")
        return np.asarray(m, dtype=np.float32).reshape(len(z), len(self.classes))

    def predict_proba(self, z: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities for normalised windows, shape (n, n_classes)."""
        return calibrated(self.margins(z), self.temperature, self.prior)


def softmax(margins: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    m = np.asarray(margins, dtype=np.float64) / temperature
    e = np.exp(m - m.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def calibrated(margins: np.ndarray, temperature: float = 1.0, prior=None) -> np.ndarray:
    """softmax(margins / temperature) with each class's probability weighed by `prior` and renormalised."""
    p = softmax(margins, temperature)
    if prior is None or len(p) == 0:
        return p
    p = p.astype(np.float64) * np.asarray(prior, dtype=np.float64)
    return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)


# The metadata fields that say how to feed the booster; their hash is stored inside the booster file.
FINGERPRINT = "audience_metadata_sha256"
_FED_BY = ("feature_version", "classes", "sample_rate", "window_s", "hop_s", "features", "temperature",
           "speaker_normalisation", "class_prior")
_NEWER = ("class_prior",)  # fed by only when present: models saved before it still match their fingerprint


def fingerprint(meta: dict) -> str:
    fields = {key: meta.get(key) for key in _FED_BY if key in meta or key not in _NEWER}
    try:
        text = json.dumps(fields, sort_keys=True, allow_nan=False)
    except ValueError:  # NaN or infinity somewhere in them: no model writes that
        raise ModelError("model metadata holds NaN or infinity: edited or damaged; reinstall the model") from None
    return hashlib.sha256(text.encode()).hexdigest()


def _read_file(path: str, what: str, most: int) -> bytes:
    """The bytes of a regular file of at most `most` bytes (not a pipe, which would hang); ModelError otherwise."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ModelError(f"{what} {path} is not a regular file")
        with open(path, "rb") as f:
            raw = f.read(most + 1)
    except OSError as e:
        raise ModelError(f"cannot read {what} {path}: {e.strerror}") from None
    if len(raw) > most:
        raise ModelError(f"{what} {path} is larger than {most >> 20} MiB: not a model of this tool")
    return raw


def read_metadata(meta_path: str) -> dict:
    """Read and check the metadata JSON; raise ModelError saying what is wrong."""
    raw = _read_file(meta_path, "model metadata", 16 << 20)
    try:
        meta = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelError(f"model metadata {os.path.basename(meta_path)} is not valid JSON ({e})") from None
    except RecursionError:
        raise ModelError(f"model metadata {os.path.basename(meta_path)} is nested too deeply to be a model's") from None
    if not isinstance(meta, dict):
        raise ModelError("model metadata must be a JSON object")
    version = meta.get("format_version")
    if version != METADATA_FORMAT:
        raise ModelError(f"model metadata format {version!r} is not supported (this version reads {METADATA_FORMAT})")
    if not isinstance(meta.get("feature_version"), int) or isinstance(meta.get("feature_version"), bool):
        raise ModelError(f"model metadata's feature_version must be a whole number (got "
                         f"{json.dumps(meta.get('feature_version'))[:40]}): the file was edited or is not a model's")
    if meta.get("feature_version") != features.FEATURE_VERSION:
        newer = meta["feature_version"] > features.FEATURE_VERSION
        raise ModelError(
            f"model was trained on feature set {meta.get('feature_version')!r}, this version computes "
            f"{features.FEATURE_VERSION}; " + ("it was made by a newer Audience Reactions: update the add-on"
                                              if newer else "retrain it with `python -m ml.train`, or use the "
                                              "shipped model (an empty Model field; no --model)"))
    number = lambda v, lo, hi: isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi  # noqa
    checks = {
        "model_file": (lambda v: isinstance(v, str) and v and os.path.basename(v) == v, "a file name beside it"),
        "model_sha256": (lambda v: isinstance(v, str) and len(v) == 64, "a SHA-256 in hex"),
        "classes": (lambda v: isinstance(v, list) and list(v) == list(EMOTIONS), f"{list(EMOTIONS)}"),
        "sample_rate": (lambda v: v == features.SAMPLE_RATE, f"{features.SAMPLE_RATE}"),
        "window_s": (lambda v: number(v, 0.1, 30), "seconds from 0.1 to 30"),
        "hop_s": (lambda v: number(v, 0.05, min(10, meta.get("window_s") or 10)), "seconds from 0.05 to the window"),
        "features": (lambda v: (isinstance(v, list) and v and all(isinstance(n, str) for n in v)
                                and len(set(v)) == len(v) and all(n in features.POOLED_NAMES[:-1] for n in v)),
                     "distinct names of features.POOLED_NAMES"),
        "temperature": (lambda v: number(v, 0.05, 100), "a number from 0.05 to 100"),
    }
    for key, (ok, expected) in checks.items():
        if key not in meta:
            raise ModelError(f"model metadata lacks '{key}'")
        if not ok(meta[key]):
            shown = json.dumps(meta[key])
            raise ModelError(f"model metadata has an unusable '{key}': {shown[:80]}{'…' if len(shown) > 80 else ''} "
                             f"(expected {expected})")
    prior = meta.get("class_prior", [1.0] * len(EMOTIONS))
    if not (isinstance(prior, list) and len(prior) == len(EMOTIONS) and all(number(v, 1e-3, 1e3) for v in prior)):
        shown = json.dumps(prior)[:80]
        raise ModelError(f"model metadata has an unusable 'class_prior': {shown} (expected {len(EMOTIONS)} weights "
                         "from 0.001 to 1000, one per class)")
    norm = meta.get("speaker_normalisation")
    if norm is not None and not _usable_normalisation(norm, len(meta["features"])):
        raise ModelError("model metadata has an unusable 'speaker_normalisation'")
    own = norm.get("own_mean", []) if isinstance(norm, dict) else []
    if not (isinstance(own, list) and all(isinstance(v, str) and v in meta["features"] for v in own)):
        raise ModelError(f"model metadata has an unusable 'speaker_normalisation' 'own_mean': {json.dumps(own)[:80]} "
                         "(expected a list of the features the model reads)")
    return meta


def _usable_normalisation(norm, n: int) -> bool:
    """Population statistics for each of the model's n features, finite, spreads positive."""
    if norm is None:
        return True
    if not isinstance(norm, dict):
        return False
    try:
        mean, std = np.asarray(norm["mean"], dtype=float), np.asarray(norm["std"], dtype=float)
        return (mean.shape == std.shape == (n,) and np.all(np.isfinite(mean)) and np.all(np.isfinite(std))
                and np.all(std > 0) and 0 < float(norm["prior_windows"]) <= 1e6
                and 0 <= float(norm["min_speech_fraction"]) <= 1)
    except (KeyError, TypeError, ValueError):
        return False


def write_model(booster, model_path: str, meta_path: str, window_s: float, hop_s: float, feature_names: list,
                temperature: float, extra: dict, model_file: str = "emotion_model.ubj") -> None:
    """Save a booster (at model_path, to be named model_file beside the metadata) and its metadata (meta_path),
    each bound to the other: the metadata holds the booster file's SHA-256, the booster the metadata's fingerprint."""
    meta = {
        "format_version": METADATA_FORMAT,
        "feature_version": features.FEATURE_VERSION,
        "model_file": model_file,
        "classes": list(EMOTIONS),
        "sample_rate": features.SAMPLE_RATE,
        "window_s": window_s,
        "hop_s": hop_s,
        "features": list(feature_names),
        "temperature": round(float(temperature), 4),
        **extra,
    }
    booster.set_attr(**{FINGERPRINT: fingerprint(meta)})
    booster.save_model(model_path)
    with open(model_path, "rb") as f:
        meta["model_sha256"] = hashlib.sha256(f.read()).hexdigest()
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=1, allow_nan=False)
        f.write("\n")
