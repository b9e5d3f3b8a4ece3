"""Speed benchmark: the seed project's way against ours, on the same work, in one run.

  .venv-5.0.1/bin/python bench/speed.py               # 3 min of speech, 100 faces x 7 shape keys: seed vs ours
  .venv-5.0.1/bin/python bench/speed.py --hour        # 1 h of speech through ours' decode+features+prediction: peak RSS
  .venv-5.0.1/bin/python bench/speed.py --first-use   # first use in a fresh process: the seed's librosa vs ours' click

The speech is demo/speech.flac tiled to the wanted length (written to a temporary folder). Both ways run after a
warm-up (librosa/numba compile, model load); ours is the median of --repeats runs of blender.job.animate, split into
stages by timing the functions it calls. Only ratios and times are printed: nothing is asserted.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack, contextmanager

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
SPEECH = os.path.join(ROOT, "demo", "speech.flac")
# Seven ARKit names from the ARKIT preset: what each benchmark face has.
FACE_KEYS = ("browInnerUp", "browDownLeft", "browDownRight", "jawOpen", "mouthSmileLeft", "mouthSmileRight",
             "eyeWideLeft")
SR = 22050
# The seed's features: MFCC of a 2.5 s window every 0.5 s, 40 x 108 frames flattened to 4,320 values.
SEED_WINDOW_S, SEED_HOP_S, SEED_MFCC = 2.5, 0.5, 40


# ---------------------------------------------------------------- helpers

def write_speech(path: str, seconds: float, fmt: str) -> str:
    """demo/speech.flac repeated to `seconds`, written in chunks (never the whole signal in memory)."""
    import soundfile

    y, sr = soundfile.read(SPEECH, dtype="float32")
    subtype = {"OGG": "VORBIS", "FLAC": "PCM_16", "WAV": "PCM_16"}[fmt]
    n, done = int(seconds * sr), 0
    with soundfile.SoundFile(path, "w", sr, 1, format=fmt, subtype=subtype) as f:
        while done < n:
            chunk = y[: n - done]
            f.write(chunk)
            done += len(chunk)
    return path


def light_faces(scene, name: str, count: int, shape_keys=FACE_KEYS):
    """A collection of `count` one-quad meshes, each with Basis + these shape keys (the 7 FACE_KEYS)."""
    import bpy

    collection = bpy.data.collections.new(name)
    scene.collection.children.link(collection)
    quad = [(-0.5, 0, -0.5), (0.5, 0, -0.5), (0.5, 0, 0.5), (-0.5, 0, 0.5)]
    for i in range(count):
        mesh = bpy.data.meshes.new(f"{name}.{i:03d}")
        mesh.from_pydata(quad, [], [(0, 1, 2, 3)])
        obj = bpy.data.objects.new(f"{name}.{i:03d}", mesh)
        obj.location = (i % 10 * 1.2, 0, i // 10 * 1.2)
        collection.objects.link(obj)
        obj.shape_key_add(name="Basis", from_mix=False)
        for k, key in enumerate(shape_keys):
            kb = obj.shape_key_add(name=key, from_mix=False)
            kb.data[k % 4].co.y -= 0.1
    return collection


def speech_scene(path: str, faces: int = 0):
    """An empty scene with the speech as sound strip 'Speech' and, if asked, 'Audience' and 'Seed' faces."""
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    from checkout import load_addon

    compat = importlib.import_module(load_addon().__name__ + ".blender.compat")
    strip = compat.top_level_strips(scene).new_sound("Speech", path, 1, 1)
    scene.frame_start, scene.frame_end = compat.strip_range(strip)
    if faces:
        light_faces(scene, "Audience", faces)
        light_faces(scene, "Seed", faces)
    return scene, strip


class Stages:
    """Time the functions a run calls by wrapping them for the duration of the run (nothing changes on disk)."""

    def __init__(self):
        self.total = defaultdict(float)   # stage -> seconds
        self.last_end = {}                # stage -> perf_counter() when its last call returned

    @contextmanager
    def wrap(self, owner, attr: str, stage: str):
        original = getattr(owner, attr)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.last_end[stage] = time.perf_counter()
                self.total[stage] += self.last_end[stage] - start

        setattr(owner, attr, timed)
        try:
            yield
        finally:
            setattr(owner, attr, original)

    @contextmanager
    def wrap_stream(self, owner, attr: str, stage: str):
        """Time a generator function by the time spent inside its next() calls (decoding is a stream)."""
        original = getattr(owner, attr)

        def timed(*args, **kwargs):
            stream = original(*args, **kwargs)
            while True:
                start = time.perf_counter()
                try:
                    piece = next(stream)
                except StopIteration:
                    return
                finally:
                    self.total[stage] += time.perf_counter() - start
                yield piece

        setattr(owner, attr, timed)
        try:
            yield
        finally:
            setattr(owner, attr, original)


def addon_modules():
    from checkout import load_addon

    addon = load_addon()
    import bpy

    mods = {name: importlib.import_module(f"{addon.__name__}.{name}")
            for name in ("blender.job", "blender.audio", "blender.keys", "blender.demo", "blender.compat",
                         "ml.audio", "ml.features", "ml.model", "ml.timeline", "crowd.presets")}
    mods["bpy"] = bpy
    return mods


def timed_animate(mods, run) -> dict:
    """Call run() (which animates) with ours' stages timed; return {stage: seconds}."""
    job, audio, features = mods["blender.job"], mods["blender.audio"], mods["ml.features"]
    st = Stages()
    with ExitStack() as stack:
        stack.enter_context(st.wrap_stream(audio, "pieces", "decode"))
        for owner, attr, stage in ((job, "load_model", "model load"),
                                   (features, "frame_features", "decode+features"),
                                   (features, "pool_windows", "features"),
                                   (mods["ml.model"].EmotionModel, "predict_proba", "predict_proba"),
                                   (job, "predict_timeline", "timeline"),
                                   (job, "temperament", "crowd values"),
                                   (job, "react", "crowd values"),
                                   (mods["blender.keys"], "write_face", "write_face")):
            stack.enter_context(st.wrap(owner, attr, stage))
        start, cpu = time.perf_counter(), time.process_time()
        run()
        end = time.perf_counter()
    t = dict(st.total)
    t["cpu"] = time.process_time() - cpu                 # all threads of this process
    t["end to end"] = end - start
    # The decoder is a stream the features pull from, read ahead in a thread of its own: decode+features is the
    # time inside frame_features (pooling included), decode the decoder thread's time, beside the features.
    t["decode+features"] += t.pop("features", 0.0)
    t["prediction"] = t["timeline"] - t["decode+features"]  # predict_proba + fade to neutral + smoothing
    t["key writing"] = end - st.last_end["timeline"]     # key frames, crowd values, write_face
    t["checks"] = t["end to end"] - t["decode+features"] - t["prediction"] - t["key writing"]
    return t


def floor_run(mods, path: str, faces: list) -> dict:
    """The least any way of doing this job must do, timed: decode the file to the model's rate, one STFT pass over
    it (the spectrum every feature starts from), and write the keys (`faces`: [(Key, {path: (frames, values)})])
    into new curves with the add-on's own key writing, none of the checks, fingerprints or crowd."""
    from scipy import fft

    audio, features, compat = mods["ml.audio"], mods["ml.features"], mods["blender.compat"]
    rate = features.SAMPLE_RATE
    t = {}
    start = time.perf_counter()
    signal = np.concatenate(list(audio.read_pieces(path, rate)))
    t["decode"] = time.perf_counter() - start
    start = time.perf_counter()
    window = np.hanning(features.N_FFT + 1)[:-1].astype(np.float32)
    for at in range(0, len(signal), rate * 30):  # 30 s at a time, as the add-on analyses
        piece = signal[at:at + rate * 30 + features.N_FFT]
        if len(piece) >= features.N_FFT:
            frames = np.lib.stride_tricks.sliding_window_view(piece, features.N_FFT)[::features.HOP]
            np.abs(fft.rfft(frames * window, axis=1))
    t["one STFT pass"] = time.perf_counter() - start
    start = time.perf_counter()
    for key, curves in faces:
        action = mods["bpy"].data.actions.new("floor")
        compat.assign_action(key.animation_data_create(), action)
        for fc, (frames, values) in zip(compat.new_fcurves(action, key, list(curves), "floor"), curves.values()):
            fc.auto_smoothing = "NONE"
            fc.keyframe_points.add(len(frames))
            co = np.empty(2 * len(frames), dtype=np.float32)
            co[0::2], co[1::2] = frames, values
            compat.set_keyframe_co(fc, co)
            fc.keyframe_points.handles_recalc()
    t["write the keys"] = time.perf_counter() - start
    t["floor"] = sum(t.values())
    actions = [key.animation_data.action for key, _curves in faces]
    for key, _curves in faces:
        key.animation_data_clear()
    mods["bpy"].data.batch_remove(actions)
    return t


def written_curves(mods, collection: str) -> list:
    """[(Key, {data path: (frames, values)})] of what ours wrote on the faces of a collection."""
    import bpy

    compat, keys = mods["blender.compat"], mods["blender.keys"]
    out = []
    for obj in sorted(bpy.data.collections[collection].objects, key=lambda o: o.name):
        key = obj.data.shape_keys
        curves = {}
        for fc in compat.existing_fcurves(keys.find_action(key)[0]):
            co = np.empty(2 * len(fc.keyframe_points), dtype=np.float32)
            fc.keyframe_points.foreach_get("co", co)
            curves[fc.data_path] = (co[0::2].copy(), co[1::2].copy())
        out.append((key, curves))
    return out


def clear_faces(job, scene, collection: str) -> None:
    """Take ours' keys off again."""
    job.clear(scene, collection)


def median_stages(runs: list) -> dict:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def load_note() -> str:
    """The machine's load: other processes on a shared 2-core machine move the absolute figures."""
    return "load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# ---------------------------------------------------------------- the seed's way

def seed_throwaway_model():
    """A tiny XGBClassifier on random data of the seed's width, only so there is something to call predict on."""
    from xgboost import XGBClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, SEED_MFCC * 108)).astype(np.float32)
    clf = XGBClassifier(n_estimators=20, max_depth=3, max_bin=16, n_jobs=os.cpu_count())
    clf.fit(x, np.arange(80) % 8)
    return clf


def seed_features(path: str) -> tuple:
    """librosa.load, then MFCC per 2.5 s window every 0.5 s, standardised per window, flattened."""
    import librosa

    start = time.perf_counter()
    y, sr = librosa.load(path, sr=SR)
    decoded = time.perf_counter()
    width = int(SEED_WINDOW_S * sr)
    times = np.arange(int(len(y) / sr / SEED_HOP_S) + 1) * SEED_HOP_S
    rows = []
    for t in times:
        window = y[int(t * sr): int(t * sr) + width]
        window = np.pad(window, (0, width - len(window)))
        mfcc = librosa.feature.mfcc(y=window, sr=sr, n_mfcc=SEED_MFCC)
        mfcc = (mfcc - mfcc.mean()) / (mfcc.std() + 1e-8)
        rows.append(mfcc.ravel())
    return times, rows, decoded - start, time.perf_counter() - decoded


def seed_predict(clf, rows: list) -> np.ndarray:
    """One predict call per window, as one-hot rows."""
    onehot = np.eye(8, dtype=np.float32)
    return np.stack([onehot[int(clf.predict(row[None, :])[0])] for row in rows])


def seed_write_keys(scene, objects: list, frames: np.ndarray, values: np.ndarray) -> None:
    """For every time step and every face: select it, make it active, set and keyframe_insert each shape key."""
    view_layer = scene.view_layers[0]
    for step, frame in enumerate(frames):
        for obj in objects:
            view_layer.objects.active = obj
            obj.select_set(True)
            key_blocks = obj.data.shape_keys.key_blocks
            for j, name in enumerate(FACE_KEYS):
                key_blocks[name].value = float(values[step, j])
                key_blocks[name].keyframe_insert("value", frame=float(frame))


# ---------------------------------------------------------------- modes

def compare(args) -> None:
    import bpy

    tmp = tempfile.mkdtemp(prefix="audience_bench_")
    try:
        path = write_speech(os.path.join(tmp, "speech_180s.ogg"), args.seconds, "OGG")
        scene, strip = speech_scene(path, args.faces)
        mods = addon_modules()
        job, presets = mods["blender.job"], mods["crowd.presets"]
        settings = job.Settings(strip=strip.name, faces="Audience")
        print(f"work: {args.seconds:.0f} s of speech (demo/speech.flac tiled, written as Ogg Vorbis), {args.faces} "
              f"faces x {len(FACE_KEYS)} shape keys; {os.cpu_count()} CPUs; Blender {bpy.app.version_string}")
        print(load_note())

        clf = seed_throwaway_model()
        # Warm-up: librosa import + numba compile (or cache load), XGBoost, model load, aud, first keys.
        start = time.perf_counter()
        seed_predict(clf, seed_features(path)[1][:3])
        job.animate(scene, settings)
        written = written_curves(mods, "Audience")  # the floor writes the same keys again, on the Seed faces
        floor_faces = [(obj.data.shape_keys, curves) for obj, (_key, curves) in
                       zip(sorted(bpy.data.collections["Seed"].objects, key=lambda o: o.name), written)]
        clear_faces(job, scene, "Audience")
        keys_total = sum(len(f) for _key, curves in written for f, _v in curves.values())
        floor_run(mods, path, floor_faces)
        print(f"warm-up done ({time.perf_counter() - start:.1f} s: librosa/numba compile or cache load, XGBoost, "
              f"model load, one full run of ours); the figures below are warm\n")

        # Ours: the real job.animate, faces cleared between runs so each run writes new actions; the floor
        # in turns with it.
        ours_runs, floor_runs = [], []
        for _ in range(args.repeats):
            job._analyses.clear()  # the speech analysed each time, as the seed's is (a re-run would remember it)
            ours_runs.append(timed_animate(mods, lambda: job.animate(scene, settings)))
            clear_faces(job, scene, "Audience")
            floor_runs.append(floor_run(mods, path, floor_faces))
        ours = median_stages(ours_runs)
        floor = median_stages(floor_runs)

        # Seed: decode+features and prediction repeated, key writing once (on a subset if asked, then scaled).
        seed_runs = []
        for _ in range(args.repeats):
            times, rows, t_decode, t_feat = seed_features(path)
            start = time.perf_counter()
            onehot = seed_predict(clf, rows)
            seed_runs.append({"decode": t_decode, "features": t_feat, "prediction": time.perf_counter() - start})
        seed = median_stages(seed_runs)
        seed["decode+features"] = seed["decode"] + seed["features"]
        names, table = presets.expression_table("ARKIT", "MIRROR")
        values = onehot @ table[:, [names.index(k) for k in FACE_KEYS]]
        first = mods["blender.compat"].strip_range(strip)[0]
        frames = first + np.round(times * scene.render.fps / scene.render.fps_base)
        seed_objects = sorted(bpy.data.collections["Seed"].objects, key=lambda o: o.name)[: args.seed_faces]
        start = time.perf_counter()
        seed_write_keys(scene, seed_objects, frames, values)
        measured = time.perf_counter() - start
        seed["key writing"] = measured * args.faces / len(seed_objects)
        seed["end to end"] = seed["decode+features"] + seed["prediction"] + seed["key writing"]

        seed_keys = len(seed_objects) * len(FACE_KEYS) * len(frames)
        print(f"ours: median of {args.repeats} runs of blender.job.animate ({keys_total:,} keys a run); "
              f"seed: median of {args.repeats} for decode+features and prediction, key writing once")
        if len(seed_objects) < args.faces:
            print(f"seed key writing measured on {len(seed_objects)} of {args.faces} faces ({seed_keys:,} "
                  f"keyframe_insert calls, {measured:.1f} s) and scaled x{args.faces / len(seed_objects):g}")
        else:
            print(f"seed key writing: {seed_keys:,} keyframe_insert calls, {len(frames) * len(seed_objects):,} "
                  f"select + activate")
        print("seed end to end = the sum of its stages\n")
        print(f"{'stage':<18}{'seed s':>10}{'ours s':>10}{'seed/ours':>12}")
        for stage in ("decode+features", "prediction", "key writing", "end to end"):
            print(f"{stage:<18}{seed[stage]:>10.3f}{ours[stage]:>10.3f}{seed[stage] / ours[stage]:>11.1f}x")
        print(f"\nseed detail: decode {seed['decode']:.3f} s, MFCC per window {seed['features']:.3f} s "
              f"({len(rows)} windows), {len(rows)} predict calls {seed['prediction']:.3f} s")
        print(f"ours detail: decode {ours['decode']:.3f} (its own thread, beside the features), predict_proba "
              f"{ours['predict_proba']:.3f}, fade+smooth {ours['prediction'] - ours['predict_proba']:.3f}, "
              f"crowd values {ours['crowd values']:.3f}, write_face {ours['write_face']:.3f}, rest of writing "
              f"{ours['key writing'] - ours['crowd values'] - ours['write_face']:.3f}, "
              f"checks+model lookup {ours['checks']:.3f} s")
        each = ", ".join(f"{r['end to end']:.3f}" for r in ours_runs)
        ratio = seed["end to end"] / ours["end to end"]
        print(f"ours end to end warm: {ours['end to end']:.3f} s (runs: {each}); CPU time {ours['cpu']:.3f} s "
              f"(less sensitive to other processes than wall time)")
        print(f"seed / ours: {ratio:.1f}x (goal 30x: {'met' if ratio >= 30 else 'not met'})")
        print(f"\nthe floor, in turns with ours (median of {args.repeats}): decode {floor['decode']:.3f} s + one STFT "
              f"pass {floor['one STFT pass']:.3f} s + writing the same {keys_total:,} keys into new curves "
              f"{floor['write the keys']:.3f} s = {floor['floor']:.3f} s; ours takes {ours['end to end']:.3f} s, "
              f"{ours['end to end'] / floor['floor']:.1f}x the floor")
        print(load_note())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def as_shipped() -> None:
    """Import what the extension zip ships, not the dev environment: scikit-learn is for training only, and
    XGBoost imports it whenever it is installed (~70 MB and ~1.6 s that an extension user never pays)."""
    sys.modules["sklearn"] = None


def hour(args) -> None:
    as_shipped()
    tmp = tempfile.mkdtemp(prefix="audience_bench_")
    try:
        # FLAC: writing an hour of Ogg Vorbis takes ~40 s here, FLAC a few.
        path = write_speech(os.path.join(tmp, "speech_1h.flac"), 3600, "FLAC")
        mods = addon_modules()
        job, audio, timeline = mods["blender.job"], mods["blender.audio"], mods["ml.timeline"]
        model = job.load_model("")
        # Warm-up on the demo speech, so the hour run measures the work itself.
        scene, strip = speech_scene(SPEECH)
        timeline.predict_timeline(audio.pieces(audio.sound_source(scene, strip), model.sample_rate), model)
        base = peak_rss_mb()
        scene, strip = speech_scene(path)
        st = Stages()
        with ExitStack() as stack:
            stack.enter_context(st.wrap_stream(audio, "pieces", "decode"))
            stack.enter_context(st.wrap(mods["ml.features"], "frame_features", "decode+features"))
            stack.enter_context(st.wrap(mods["ml.features"], "pool_windows", "pooling"))
            stack.enter_context(st.wrap(mods["ml.model"].EmotionModel, "predict_proba", "prediction"))
            start = time.perf_counter()
            source = audio.sound_source(scene, strip)
            result = timeline.predict_timeline(audio.pieces(source, model.sample_rate), model)
            end = time.perf_counter()
        peak = peak_rss_mb()
        signal_mb = result.duration_s * model.sample_rate * 4 / 2**20
        print("1 h of speech (demo/speech.flac tiled, FLAC), ours: the strip's audio streamed into predict_timeline, "
              "warm")
        print(f"decode {st.total['decode']:.2f} s, features {st.total['decode+features'] - st.total['decode']:.2f} s, "
              f"pooling {st.total['pooling']:.2f} s, prediction {st.total['prediction']:.2f} s, total "
              f"{end - start:.2f} s, {len(result.times)} predictions")
        print(f"peak RSS (ru_maxrss): {peak:.0f} MB in all; {base:.0f} MB before the hour (bpy, the add-on, "
              f"SciPy, XGBoost without scikit-learn as in the extension, the model, warm-up done). Holding the whole mono float32 signal "
              f"would take {signal_mb:.0f} MB on its own.")
        print(f"goal < 500 MB: {'met' if peak < 500 else 'not met'}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def first_use_child(way: str) -> None:
    """In a fresh process, print JSON timings of a first click: ours (the add-on) or the seed's librosa MFCC."""
    t = {}
    start = time.perf_counter()
    import bpy

    t["import bpy"] = time.perf_counter() - start
    if way == "seed":
        # The seed's first use: import librosa, then MFCC (numba compiles into an empty cache).
        start = time.perf_counter()
        import librosa

        t["import librosa"] = time.perf_counter() - start
        y, _ = librosa.load(SPEECH, sr=SR)
        start = time.perf_counter()
        librosa.feature.mfcc(y=y[: int(SEED_WINDOW_S * SR)], sr=SR, n_mfcc=SEED_MFCC)
        t["first MFCC"] = time.perf_counter() - start
        start = time.perf_counter()
        import xgboost  # noqa: F401

        t["import XGBoost"] = time.perf_counter() - start
        t["first use"] = t["import librosa"] + t["first MFCC"] + t["import XGBoost"]
        print(json.dumps(t))
        return
    as_shipped()
    start = time.perf_counter()
    mods = addon_modules()
    t["load add-on"] = time.perf_counter() - start
    demo = mods["blender.demo"]
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    faces = demo.build_audience(scene, rows=3, per_row=4)
    strip = demo.add_speech(scene)
    click = lambda: bpy.ops.audience.animate(strip=strip.name, faces=faces.name)  # noqa: E731
    first = timed_animate(mods, click)
    t["first: model load"] = first["model load"]
    t["first: decode+features"] = first["decode+features"]
    t["first: prediction"] = first["prediction"]
    t["first use"] = t["first animate"] = first["end to end"]
    t["second animate"] = timed_animate(mods, click)["end to end"]
    t["librosa imported"] = float("librosa" in sys.modules)
    print(json.dumps(t))


def first_use(args) -> None:
    """Fresh processes, side by side: the seed's first MFCC (empty numba cache) and ours' first click."""
    cache = tempfile.mkdtemp(prefix="audience_numba_")
    try:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        results = {}
        for way in ("seed", "ours"):
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--first-use-child", way], env=env,
                                 capture_output=True, text=True)
            if out.returncode:
                raise SystemExit(f"the {way} process failed:\n{out.stderr}")
            results[way] = json.loads(out.stdout.strip().splitlines()[-1])
        import soundfile

        print(f"first use in a fresh process (import bpy excluded), {soundfile.info(SPEECH).duration:.0f} s of demo "
              "speech")
        print("seed: import librosa, first MFCC of a 2.5 s window (numba compiles into an empty cache), import "
              "XGBoost")
        print("ours: bpy.ops.audience.animate on 12 demo faces, the first click of the session (no warm-up thread:"
              " the bpy module runs in background mode)\n")
        for way, t in results.items():
            print(f"{way}: " + ", ".join(f"{k} {v:.2f} s" for k, v in t.items() if k not in ("librosa imported",)))
        print(f"\nfirst use: seed {results['seed']['first use']:.2f} s, ours {results['ours']['first use']:.2f} s, "
              f"seed/ours {results['seed']['first use'] / results['ours']['first use']:.1f}x; "
              f"ours imported librosa: {'yes' if results['ours']['librosa imported'] else 'no'}")
        print(load_note())
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hour", action="store_true", help="1 h of speech through ours: time and peak RSS")
    parser.add_argument("--first-use", action="store_true", help="first use in a fresh process: seed vs ours")
    parser.add_argument("--seconds", type=float, default=180.0, help="speech length (default 180)")
    parser.add_argument("--faces", type=int, default=100, help="faces (default 100)")
    parser.add_argument("--repeats", type=int, default=5, help="runs for the medians (default 5)")
    parser.add_argument("--seed-faces", type=int, default=100,
                        help="faces the seed's slow key writing runs on, scaled to --faces (default 100)")
    parser.add_argument("--first-use-child", choices=("seed", "ours"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_use_child:
        first_use_child(args.first_use_child)
    elif args.hour:
        hour(args)
    elif args.first_use:
        first_use(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
