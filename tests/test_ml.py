"""ml/ on generated and real audio: no bpy here."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import DATA, ROOT, needs_data, write_wav
from ml import features, speaker
from ml.datasets import load_corpus
from ml.model import EMOTIONS, EmotionModel, ModelError
from ml.timeline import predict_timeline

SR = features.SAMPLE_RATE


@pytest.fixture(scope="module")
def model():
    return EmotionModel.load()


def tone(seconds, f0=180.0, amp=0.3):
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * f0 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def test_windows_are_causal():
    """Changing the audio after t never changes the window that ends at t."""
    rng = np.random.default_rng(0)
    y = tone(6.0) + 0.01 * rng.standard_normal(6 * SR).astype(np.float32)
    z = y.copy()
    z[3 * SR:] = rng.standard_normal(3 * SR).astype(np.float32)  # different future
    ends = np.arange(0, 6.01, 0.5)
    a = features.pool_windows(*features.frame_features(y)[:2], ends, 2.0)
    b = features.pool_windows(*features.frame_features(z)[:2], ends, 2.0)
    past = ends <= 3.0
    # The speech/silence threshold is relative to the loudest frame, so compare the speech frames' stats.
    np.testing.assert_allclose(a[past][:, :-1], b[past][:, :-1], rtol=1e-4, atol=1e-4)
    assert not np.allclose(a[~past], b[~past])


def speech_sample(seconds=12.0):
    from ml.audio import load

    return load(os.path.join(ROOT, "demo", "speech.ogg"), SR)[: int(seconds * SR)]


def test_features_are_librosas():
    """The NumPy features equal librosa's own functions on real speech (librosa is the reference)."""
    import librosa

    y = speech_sample()
    frames = features.frame_features(y)
    names = features.FRAME_NAMES
    col = lambda name: frames.feats[:, names.index(name)]
    spec = np.abs(librosa.stft(y, n_fft=features.N_FFT, hop_length=features.HOP, center=False))
    mel = librosa.feature.melspectrogram(S=spec**2, sr=SR, n_mels=features.N_MELS)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel, ref=1.0, top_db=None), n_mfcc=features.N_MFCC)
    assert len(frames.feats) == spec.shape[1]
    np.testing.assert_allclose(frames.feats[:, :features.N_MFCC], mfcc.T, atol=0.02 * np.abs(mfcc).max())
    rms = librosa.feature.rms(y=y, frame_length=features.N_FFT, hop_length=features.HOP, center=False)[0]
    np.testing.assert_allclose(col("rms_db"), 20 * np.log10(rms + 1e-10), atol=1e-3)
    centroid = librosa.feature.spectral_centroid(S=spec, sr=SR)[0]
    np.testing.assert_allclose(col("centroid") * 1000, centroid, rtol=1e-3)
    # YIN on the half-rate signal, on speech frames (off speech the pitch is set to 0).
    f0 = librosa.yin(y[::2], fmin=70, fmax=500, sr=SR // 2, frame_length=features.N_FFT // 2,
                     hop_length=features.HOP // 2, center=False)
    on = frames.speech[:len(f0)]
    assert on.mean() > 0.5
    np.testing.assert_allclose(col("log_f0")[:len(f0)][on], np.log2(f0[on]), atol=1e-3)
    # Deltas: librosa's 9-frame regression, moved back 4 frames so frame i only uses frames up to i.
    delta = librosa.feature.delta(mfcc, width=9, mode="nearest")
    np.testing.assert_allclose(col("dmfcc3")[8:], delta[3, 4:-4], atol=1e-3 * np.abs(delta[3]).max())


def test_streamed_pieces_give_the_same_frames():
    """However a decoder cuts the stream, the features are the same as from one array."""
    y = speech_sample(8.0)
    whole = features.frame_features(y)
    cuts = [0, 1000, 1001, 30000, 30517, 100000, len(y)]
    streamed = features.frame_features(y[a:b] for a, b in zip(cuts[:-1], cuts[1:]))
    assert streamed.n_samples == whole.n_samples == len(y)
    np.testing.assert_allclose(streamed.feats, whole.feats, rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(streamed.speech, whole.speech)


def test_speaker_normalisation_cancels_the_recording_level():
    """Same voice recorded 6 dB quieter or louder: raw features move a lot, normalised ones hardly at all."""
    y = speech_sample(10.0)
    ends = np.arange(2.0, 10.01, 0.5)
    every = np.ones(len(ends), bool)
    plain = (np.zeros(len(features.POOLED_NAMES) - 1), np.ones(len(features.POOLED_NAMES) - 1))
    pooled = {g: features.pool_windows(*features.frame_features(g * y)[:2], ends, 2.0) for g in (0.5, 1.0, 2.0)}
    for g in (0.5, 2.0):
        assert np.abs(pooled[g] - pooled[1.0]).max() > 5  # raw: level (dB) and the first MFCC shift
        moved = np.abs(speaker.recording(pooled[g], every, *plain, 0)
                       - speaker.recording(pooled[1.0], every, *plain, 0))
        # Not exactly 0: the spectra's small floors (1e-10) are not scaled by the gain.
        assert np.median(moved) < 0.01 and moved.max() < 0.3, g


def test_recording_normalisation_leans_on_the_prior_until_the_voice_is_heard():
    rng = np.random.default_rng(3)
    x = np.hstack([rng.normal(5.0, 2.0, (2000, 4)), np.ones((2000, 1))])
    prior = (np.zeros(4), np.ones(4))
    counted = np.ones(2000, bool)
    long = speaker.recording(x, counted, *prior, prior_windows=20)
    # A long recording is judged against itself: about zero mean and unit spread.
    assert np.abs(long[:, :4].mean(axis=0)).max() < 0.05 and np.abs(long[:, :4].std(axis=0) - 1).max() < 0.05
    # A short one (4 windows against 20 of prior) mostly against the population: its offset of 5 stays.
    short = speaker.recording(x[:4], counted[:4], *prior, prior_windows=20)
    assert short[:, :4].mean() > 1.0
    # Order does not matter, and windows that are not counted (pauses) do not move the statistics.
    order = rng.permutation(2000)
    np.testing.assert_allclose(speaker.recording(x[order], counted, *prior, 20), long[order], rtol=1e-6)
    pauses = np.vstack([x, np.hstack([np.full((500, 4), -90.0), np.zeros((500, 1))])])
    with_pauses = speaker.recording(pauses, np.r_[counted, np.zeros(500, bool)], *prior, 20)
    np.testing.assert_allclose(with_pauses[:2000], long, rtol=1e-6)
    np.testing.assert_array_equal(long[:, -1], x[:, -1])  # speech fraction untouched


def test_pooling_matches_direct_statistics():
    feats = np.random.default_rng(1).standard_normal((400, 3)).astype(np.float32)
    speech = np.ones(400, dtype=bool)
    speech[::3] = False
    t = 5.0
    out = features.pool_windows(feats, speech, np.array([t]), 2.0)[0]
    hi = int(np.floor((t * SR - features.N_FFT) / features.HOP)) + 1
    lo = int(np.ceil((t - 2.0) * SR / features.HOP))
    sel = feats[lo:hi][speech[lo:hi]]
    np.testing.assert_allclose(out[:3], sel.mean(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out[3:6], sel.std(0), rtol=1e-3, atol=1e-4)
    assert out[-1] == pytest.approx(speech[lo:hi].mean())


def test_timeline_every_half_second(model):
    y = tone(7.3)
    tl = predict_timeline(y, model)
    np.testing.assert_allclose(np.diff(tl.times), model.hop_s)
    assert tl.times[0] == 0 and tl.times[-1] <= 7.3 and len(tl.times) == 15
    assert tl.probs.shape == (15, 8)
    np.testing.assert_allclose(tl.probs.sum(1), 1.0, atol=1e-5)
    assert tl.labels[0] == "neutral"  # nothing heard yet


@pytest.mark.parametrize("y", [np.zeros(10 * SR, np.float32), np.full(3 * SR, 1e-6, np.float32),
                               np.zeros(int(0.3 * SR), np.float32)], ids=["silence", "hum", "short"])
def test_silence_is_a_neutral_crowd(model, y):
    tl = predict_timeline(y, model)
    assert np.isfinite(tl.probs).all()
    assert set(tl.labels) == {"neutral"}


@needs_data
def test_real_speech_gives_sane_probabilities(model):
    import librosa

    path = os.path.join(DATA, "Actor_01", "03-01-05-02-01-01-01.flac")
    y, _ = librosa.load(path, sr=SR)
    tl = predict_timeline(y, model, smoothing_s=0)
    assert tl.speech.max() > 0.5
    spoken = tl.probs[tl.speech > 0.3]
    assert len(spoken) >= 2 and (spoken.max(1) < 0.999).any(), "probabilities, not one-hot"
    np.testing.assert_allclose(tl.probs.sum(1), 1.0, atol=1e-5)


def test_predict_cli_prints_the_timeline(tmp_path):
    wav = write_wav(str(tmp_path / "a.wav"), tone(3.2))
    out = subprocess.run([sys.executable, "-m", "ml.predict", wav], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    data = json.loads(out.stdout)
    assert [r["time"] for r in data["timeline"]] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    row = data["timeline"][3]
    assert set(row["probabilities"]) == set(EMOTIONS) and row["label"] in EMOTIONS
    assert abs(sum(row["probabilities"].values()) - 1) < 1e-3


def test_predict_cli_exports_csv_and_plot(tmp_path):
    wav = write_wav(str(tmp_path / "a.wav"), tone(2.2))
    csv_path, png = tmp_path / "t.csv", tmp_path / "t.png"
    subprocess.run([sys.executable, "-m", "ml.predict", wav, "--csv", str(csv_path), "--plot", str(png)], cwd=ROOT,
                   capture_output=True, check=True)
    rows = csv_path.read_text().splitlines()
    assert rows[0].split(",") == ["time", *EMOTIONS, "speech", "label"] and len(rows) == 1 + 5
    assert png.read_bytes()[:4] == b"\x89PNG"
    svg = tmp_path / "t.svg"  # the format follows the name, as matplotlib's own
    subprocess.run([sys.executable, "-m", "ml.predict", wav, "--plot", str(svg)], cwd=ROOT, capture_output=True,
                   check=True)
    assert b"<svg" in svg.read_bytes()[:400]


def test_predict_cli_says_what_is_wrong(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio")
    out = subprocess.run([sys.executable, "-m", "ml.predict", str(bad)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 1 and "cannot decode" in out.stderr and "notes.wav" in out.stderr


def test_damaged_audio_past_its_header_says_so(tmp_path):
    """A file that opens but breaks while decoding: the same clear error, not a library traceback."""
    good = tmp_path / "speech.flac"
    import soundfile

    soundfile.write(good, speech_sample(4.0), 22050)
    data = good.read_bytes()
    bad = tmp_path / "damaged.flac"
    bad.write_bytes(data[:len(data) // 2])
    out = subprocess.run([sys.executable, "-m", "ml.predict", str(bad)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 1 and "cannot decode" in out.stderr and "damaged.flac" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_ml_never_imports_bpy():
    code = "import sys, ml.predict, ml.train, ml.timeline, crowd.members, crowd.presets; " \
           "sys.exit('bpy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


@pytest.fixture
def model_copy(tmp_path):
    for name in ("emotion_model.json", "emotion_model.ubj"):
        shutil.copy(os.path.join(ROOT, "models", name), tmp_path / name)
    return tmp_path


def test_tampered_model_is_refused(model_copy):
    blob = bytearray((model_copy / "emotion_model.ubj").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (model_copy / "emotion_model.ubj").write_bytes(bytes(blob))
    with pytest.raises(ModelError, match="checksum"):
        EmotionModel.load(str(model_copy))


def test_truncated_model_is_refused(model_copy):
    path = model_copy / "emotion_model.ubj"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ModelError, match="checksum"):
        EmotionModel.load(str(model_copy))


@pytest.mark.parametrize("change, message", [
    ({"format_version": 99}, "format 99 is not supported"),
    ({"feature_version": 0}, "retrain"),
    ({"classes": ["a", "b"]}, "'classes'"),
    ({"model_file": "../../etc/passwd"}, "'model_file'"),
    ({"speaker_normalisation": {"prior_windows": 20, "min_speech_fraction": 0.3, "mean": [0.0], "std": [1.0]}},
     "'speaker_normalisation'"),
])
def test_incompatible_metadata_is_refused(model_copy, change, message):
    path = model_copy / "emotion_model.json"
    meta = json.loads(path.read_text())
    meta.update(change)
    path.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=message):
        EmotionModel.load(str(model_copy))


def test_metadata_that_is_not_json(model_copy):
    (model_copy / "emotion_model.json").write_bytes(b"\x80\x00garbage")
    with pytest.raises(ModelError, match="not valid JSON"):
        EmotionModel.load(str(model_copy))


@needs_data
def test_train_cli_on_two_actors(tmp_path):
    """Training end to end on a small real subset: held-out report, loadable model, working prediction."""
    out = tmp_path / "model"
    res = subprocess.run([sys.executable, "-m", "ml.train", DATA, "--out", str(out), "--speakers", "2",
                          "--folds", "2", "--trees", "20", "--cache", str(tmp_path / "cache")],
                         cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    report = json.loads((out / "training_report.json").read_text())
    assert report["clips"] == 120 and report["speakers"] == ["ravdess-01", "ravdess-02"]
    assert "no speaker in both train and test" in report["held_out"]["split"]
    assert 0.0 <= report["held_out"]["clip"]["unweighted_average_recall"] <= 1.0
    assert (out / "confusion.png").stat().st_size > 1000
    model = EmotionModel.load(str(out))
    assert model.window_s == 2.0 and model.hop_s == 0.5
    assert predict_timeline(tone(2.0), model).probs.shape == (5, 8)

    # Judged on a voice it never heard (actor 03), then on one it was trained on (a warning says so).
    def judge(actor):
        unseen = tmp_path / f"judge{actor}"
        unseen.mkdir()
        (unseen / f"Actor_{actor}").symlink_to(os.path.join(DATA, f"Actor_{actor}"))
        return subprocess.run([sys.executable, "-m", "ml.evaluate", str(unseen), "--model", str(out), "--out",
                               str(unseen / "report.json"), "--cache", str(tmp_path / "cache")],
                              cwd=ROOT, capture_output=True, text=True)

    res = judge("03")
    assert res.returncode == 0, res.stderr
    judged = json.loads((tmp_path / "judge03" / "report.json").read_text())
    assert judged["speakers"] == ["ravdess-03"] and not judged["trained_on_these"] and "warning" not in res.stderr
    for way in ("recording", "clip_alone"):
        assert judged[way]["n"] == 60 and 0.2 < judged[way]["unweighted_average_recall"] <= 1.0, judged[way]
    res = judge("01")
    assert res.returncode == 0 and "trained on ravdess-01" in res.stderr


@needs_data
def test_train_cli_searches_inside_folds_and_judges_augmentation(tmp_path):
    out = tmp_path / "model"
    res = subprocess.run([sys.executable, "-m", "ml.train", DATA, "--out", str(out), "--speakers", "3",
                          "--folds", "3", "--trees", "10", "--search", "--augment", "noise",
                          "--cache", str(tmp_path / "cache")], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    report = json.loads((out / "training_report.json").read_text())
    aug = report["augmentation"]
    assert aug["tried"] == ["noise"] and aug["kept"] == (aug["clip_ua_with"] > aug["clip_ua_without"])
    chosen = report["held_out"]["search"]["chosen"]
    grid = report["held_out"]["search"]["grid"]
    assert len(chosen) == 3 and all(c["params"] in grid and len(c["inner_clip_ua"]) == len(grid) for c in chosen)
    meta = json.loads((out / "emotion_model.json").read_text())
    assert meta["params"] == report["params"] and meta["params"] in grid
    assert meta["trained_on"]["augmented"] == (["noise"] if aug["kept"] else [])
    assert len(meta["speaker_normalisation"]["mean"]) == len(features.POOLED_NAMES) - 1
    # Each held-out actor as one recording (the headline: what the add-on does) and each clip alone.
    held = report["held_out"]
    assert held["clip"] == held["recording"]["clip"] and held["clip_alone"]["clip"]["n"] == 180
    assert set(meta["evaluation"]) == {"clip", "window", "clip_alone"}


def test_corpora_are_read_by_file_name(tmp_path):
    """RAVDESS, CREMA-D and TESS names map onto the 8 classes; speakers keep their corpus; other files are skipped."""
    names = {"Actor_07/03-01-05-02-01-01-07.wav": ("angry", "ravdess-07"),
             "Actor_07/01-01-03-01-02-01-07.wav": ("happy", "ravdess-07"),   # full AV: its sound track
             "Actor_07/02-01-05-02-01-01-07.wav": None,                      # video only
             "Actor_07/03-02-05-02-01-01-07.wav": None,                      # song, not speech
             "crema/1001_DFA_ANG_XX.wav": ("angry", "crema-d-1001"),
             "crema/1091_TIE_NEU_XX.wav": ("neutral", "crema-d-1091"),
             "crema/1002_IEO_FEA_HI.wav": ("fearful", "crema-d-1002"),
             "crema/1040_ITH_SAD_X.wav": ("sad", "crema-d-1040"),   # so named in older copies
             "tess/OAF_back_ps.wav": ("surprised", "tess-OAF"),
             "tess/YAF_dog_fear.wav": ("fearful", "tess-YAF"),
             "notes/readme_about_this.wav": None}
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    found = {os.path.relpath(c.path, tmp_path): (EMOTIONS[c.label], c.speaker) for c in load_corpus(str(tmp_path))}
    assert found == {n: v for n, v in names.items() if v}
    assert {c.corpus for c in load_corpus(str(tmp_path), "tess")} == {"tess"}


@needs_data
def test_broken_clips_are_left_out_and_a_six_class_corpus_is_judged_not_trained(tmp_path):
    """CREMA-D-like folder: real speech under CREMA-D names, one empty file, one clip shorter than a hop."""
    import soundfile

    folder = tmp_path / "crema"
    folder.mkdir()
    codes = ["NEU", "HAP", "SAD", "ANG", "FEA", "DIS"]
    emotions = ["01", "03", "04", "05", "06", "07"]
    for speaker, actor in (("1001", "03"), ("1002", "04")):
        for code, number in zip(codes, emotions):
            for rep in ("01", "02"):
                src = os.path.join(DATA, f"Actor_{actor}", f"03-01-{number}-01-01-{rep}-{actor}.flac")
                shutil.copy(src, folder / f"{speaker}_IEO_{code}_{'LO' if rep == '01' else 'HI'}.flac")
    (folder / "1001_DFA_ANG_XX.wav").write_bytes(b"")
    soundfile.write(folder / "1002_DFA_SAD_XX.wav", speech_sample(0.3), 22050)
    cache = str(tmp_path / "cache")
    res = subprocess.run([sys.executable, "-m", "ml.train", str(tmp_path), "--out", str(tmp_path / "m"),
                          "--folds", "0", "--trees", "5", "--cache", cache], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 2 and "needs clips of all 8 emotions" in res.stderr and "calm, surprised" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "m" / "emotion_model.json").exists()
    res = subprocess.run([sys.executable, "-m", "ml.evaluate", str(tmp_path), "--out", str(tmp_path / "r.json"),
                          "--cache", cache], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "left out" in res.stderr and "1001_DFA_ANG_XX.wav: cannot decode" in res.stderr
    assert "1002_DFA_SAD_XX.wav: shorter than one prediction step" in res.stderr
    judged = json.loads((tmp_path / "r.json").read_text())
    assert judged["clips"] == 24 and judged["speakers"] == ["crema-d-1001", "crema-d-1002"]
    assert set(judged["recording"]["f1"]) == {"neutral", "happy", "sad", "angry", "fearful", "disgust"}


def test_unknown_augmentation_is_refused(tmp_path):
    res = subprocess.run([sys.executable, "-m", "ml.train", str(tmp_path), "--augment", "reverb"], cwd=ROOT,
                         capture_output=True, text=True)
    assert res.returncode == 2 and "unknown augmentation reverb" in res.stderr


def _predict(*args):
    return subprocess.run([sys.executable, "-m", "ml.predict", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True)


def _one_error_line(out):
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert out.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: "), (out.returncode, out.stderr)
    return lines[0]


def test_predict_cli_missing_file_and_bad_smoothing(tmp_path):
    """F18: a missing file says so (not libsndfile's "System error."); NaN smoothing is refused, never printed
    as invalid JSON."""
    line = _one_error_line(_predict(tmp_path / "gone.wav"))
    assert "not found" in line and "gone.wav" in line and "System error" not in line
    wav = write_wav(str(tmp_path / "a.wav"), tone(2.2))
    for value in ("nan", "inf", "-1"):
        out = _predict(wav, "--smoothing", value)
        assert "Smoothing must be a number from 0 to 60" in _one_error_line(out) and out.stdout == ""


def test_predict_cli_failures_leave_no_output(tmp_path):
    """F2 (ml.predict): a CSV into a missing folder or onto the audio is one error line, no traceback, no file."""
    wav = write_wav(str(tmp_path / "a.wav"), tone(2.2))
    before = open(wav, "rb").read()
    assert "folder does not exist" in _one_error_line(_predict(wav, "--csv", tmp_path / "missing" / "t.csv"))
    assert "is the audio file" in _one_error_line(_predict(wav, "--csv", wav))
    assert "same file" in _one_error_line(_predict(wav, "--csv", tmp_path / "t.out", "--plot", tmp_path / "t.out"))
    assert "unrecognized arguments" in _one_error_line(_predict(wav, "--loud"))  # F6 for ml.predict too
    assert "not a regular file" in _one_error_line(_predict(wav, "--csv", "/dev/null"))  # never replaced
    assert open(wav, "rb").read() == before and sorted(os.listdir(tmp_path)) == ["a.wav"]


def test_float_file_far_beyond_full_scale(model, tmp_path):
    """F20: a float WAV at 1e30 gives finite probabilities without RuntimeWarnings, and a note that says so."""
    import warnings

    import soundfile

    path = str(tmp_path / "loud.wav")
    soundfile.write(path, (1e30 * tone(3.0).astype(np.float64)).astype(np.float32), SR, subtype="FLOAT")
    from ml.audio import read_pieces

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tl = predict_timeline(read_pieces(path, SR), model)
    assert np.isfinite(tl.probs).all() and np.allclose(tl.probs.sum(1), 1.0, atol=1e-5)
    assert any("beyond full scale" in note for note in tl.notes), tl.notes
    out = _predict(path)
    assert out.returncode == 0 and "RuntimeWarning" not in out.stderr
    data = json.loads(out.stdout)
    assert any("beyond full scale" in note for note in data["notes"])
