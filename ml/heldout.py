"""Models that never heard a given voice: the shipped model's recipe (its corpora and speakers, parameters,
window and temperature) trained once per speaker fold, as ml.train's held-out evaluation folds them, and
cached. The crowd's fidelity (bench/fidelity.py) and the showcase (demo/showcase.py) judge a voice only
with the fold model that left that voice out, so the pictures and figures are of voices the model never
heard. They follow whatever model is in models/: a new model there means new fold models.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass

import numpy as np

from . import train
from .datasets import load_corpus
from .model import DEFAULT_MODEL_DIR, METADATA_NAME, ModelError, read_metadata, write_model

FEATURE_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "audience_reactions")  # ml.train's
CACHE = os.path.join(FEATURE_CACHE, "heldout")
FOLDS = 5
HELD_OUT_NAME = "held_out.json"


@dataclass(frozen=True)
class FoldModel:
    path: str          # a model folder (EmotionModel.load reads it)
    held_out: tuple    # the speakers it was not trained on, e.g. ("emodb-03", "ravdess-01", ...)


def _recipe(model_dir: str) -> dict:
    """The shipped model's metadata, checked to be what ml.train's code trains."""
    meta = read_metadata(os.path.join(model_dir, METADATA_NAME))
    if meta["features"] != train.MODEL_FEATURES:
        raise ModelError(f"the model in {model_dir} reads other features than ml.train trains: retrain it with "
                         "`python -m ml.train` before judging held-out voices")
    prior = meta.get("speaker_normalisation", {}).get("prior_windows")
    if prior != train.PRIOR_WINDOWS:
        raise ModelError(f"the model in {model_dir} normalises with {prior} windows of prior, ml.train with "
                         f"{train.PRIOR_WINDOWS}: retrain it")
    return meta


def _clips(data_dir: str, meta: dict) -> list:
    clips = load_corpus(data_dir)
    wanted = set(meta.get("trained_on", {}).get("speaker_ids") or {c.speaker for c in clips})
    clips = [c for c in clips if c.speaker in wanted]
    missing = sorted(wanted - {c.speaker for c in clips})
    if missing:
        raise ModelError(f"{data_dir} lacks speakers the model was trained on ({', '.join(missing[:5])}"
                         f"{' ...' if len(missing) > 5 else ''}): its recipe cannot be repeated")
    return clips


def _key(meta: dict, clips: list, folds: int, data_dir: str) -> str:
    """What the fold models depend on: the training code, the model's recipe and the clips (by their place in
    the data folder, so a copy of the data elsewhere finds the same models)."""
    digest = hashlib.sha256()
    with open(train.__file__, "rb") as f:
        digest.update(f.read())
    digest.update(json.dumps([meta["model_sha256"], train.FEATURE_CODE, folds]).encode())
    for clip in clips:
        where = os.path.relpath(clip.path, data_dir)
        digest.update(f"{where}|{os.path.getsize(clip.path)}|{clip.label}|{clip.speaker}\n".encode())
    return digest.hexdigest()[:16]


def _train_fold(data: train.Data, rows: np.ndarray, meta: dict, seed: int, out_dir: str, held: list) -> None:
    booster, (mean, std) = train.train_model(data, rows, meta["params"], seed)
    extra = {"speaker_normalisation": train.normalisation_metadata(mean, std), "params": meta["params"],
             "recipe_of": meta["model_sha256"], "held_out": held,
             "trained_on": {"speaker_ids": sorted(set(data.speaker[rows]))}}
    if "class_prior" in meta:  # the shipped model's recipe, prior shift included
        extra["class_prior"] = meta["class_prior"]
    os.makedirs(out_dir, exist_ok=True)
    write_model(booster, os.path.join(out_dir, train.MODEL_FILE), os.path.join(out_dir, METADATA_NAME),
                meta["window_s"], meta["hop_s"], train.MODEL_FEATURES, meta["temperature"], extra)
    with open(os.path.join(out_dir, HELD_OUT_NAME), "w") as f:
        json.dump(held, f)


def fold_models(data_dir: str, model_dir: str = DEFAULT_MODEL_DIR, folds: int = FOLDS, cache: str = CACHE,
                jobs: int = 0) -> list:
    """[FoldModel] for the model in `model_dir`: made the first time (minutes), then read from `cache`.

    Fold k holds out the speakers ml.train.speaker_folds deals to it (every corpus's speakers dealt round the
    folds: RAVDESS actors 01, 06, 11, 16 in fold 1 of 5, ...). The temperature is the shipped model's, so the
    fold models are as sure of themselves as the add-on is."""
    meta = _recipe(model_dir)
    clips = _clips(data_dir, meta)
    home = os.path.join(cache, _key(meta, clips, folds, data_dir))
    paths = [os.path.join(home, f"fold-{k + 1}") for k in range(folds)]
    if not all(os.path.isfile(os.path.join(p, HELD_OUT_NAME)) for p in paths):
        from joblib import Parallel, delayed

        jobs = jobs or os.cpu_count() or 1
        print(f"training {folds} held-out models with the recipe of {model_dir} (once; cached in {home})",
              file=sys.stderr)
        x, x_noisy, clip_index, kept = train.build_dataset(clips, meta["window_s"], meta["hop_s"],
                                                           FEATURE_CACHE, jobs)
        data = train.Data(x, x_noisy, clip_index, kept)
        os.makedirs(home, exist_ok=True)
        work = tempfile.mkdtemp(dir=home)
        try:
            splits = train.speaker_folds(data, folds)
            Parallel(n_jobs=jobs)(
                delayed(_train_fold)(data, tr, meta, k, os.path.join(work, f"fold-{k + 1}"),
                                     sorted(set(data.speaker[te])))
                for k, (tr, te) in enumerate(splits))
            for k, path in enumerate(paths):
                if os.path.isdir(path):
                    shutil.rmtree(path)
                os.replace(os.path.join(work, f"fold-{k + 1}"), path)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    out = []
    for path in paths:
        with open(os.path.join(path, HELD_OUT_NAME)) as f:
            out.append(FoldModel(path, tuple(json.load(f))))
    return out


def model_for(speaker: str, models: list) -> FoldModel:
    """The fold model that never heard `speaker` (e.g. "ravdess-12")."""
    for model in models:
        if speaker in model.held_out:
            return model
    raise ModelError(f"no held-out model left out {speaker}")
