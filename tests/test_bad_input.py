"""Bad input as a new user would give it: a clear message, the scene as it was, and no crash (fuzzed too)."""
import json
import os
import re
import time

import numpy as np
import pytest
import bpy

from conftest import DATA, HAS_AUDIO, face_curves, needs_data, sub, write_wav

SR = 22050


def _state():
    return (len(bpy.data.actions), sorted(o.name for o in bpy.data.objects),
            [bool(o.data.shape_keys and o.data.shape_keys.animation_data) for o in bpy.data.objects
             if o.type == "MESH"])


def _strip_for(addon, scene, path, name="Speech"):
    demo = sub(addon, "blender.demo")
    return demo.add_speech(scene, path, name=name)


@pytest.fixture
def audience(addon, empty_scene):
    if not HAS_AUDIO:
        pytest.skip("this bpy wheel is built without audio (4.2)")
    return sub(addon, "blender.demo").build_audience(empty_scene, rows=1, per_row=2)


def _expect_error(strip, faces, message):
    before = _state()
    with pytest.raises(RuntimeError, match=message):
        bpy.ops.audience.animate(strip=strip, faces=faces.name)
    assert _state() == before


def test_missing_audio_file(addon, audience, tmp_path):
    path = write_wav(str(tmp_path / "gone.wav"), np.zeros(SR, np.float32))
    strip = _strip_for(addon, bpy.context.scene, path)
    os.remove(path)
    _expect_error(strip.name, audience, "sound file not found: .*gone.wav")


def test_empty_and_not_audio_files(addon, audience, tmp_path):
    path = write_wav(str(tmp_path / "talk.wav"), np.zeros(SR * 2, np.float32))
    strip = _strip_for(addon, bpy.context.scene, path)
    open(path, "wb").close()
    _expect_error(strip.name, audience, "sound file is empty")
    with open(path, "w") as f:
        f.write("Dear diary, this is not a recording. " * 200)
    _expect_error(strip.name, audience, "cannot decode 'talk.wav' as audio")


def test_clip_shorter_than_one_step(addon, audience, tmp_path):
    path = write_wav(str(tmp_path / "blip.wav"), 0.1 * np.ones(int(0.3 * SR), np.float32))
    strip = _strip_for(addon, bpy.context.scene, path)
    _expect_error(strip.name, audience, r"plays only 0\.\d+ s of sound")


def test_silence_gives_a_calm_crowd(addon, audience, tmp_path):
    path = write_wav(str(tmp_path / "silence.wav"), np.zeros(SR * 5, np.float32))
    strip = _strip_for(addon, bpy.context.scene, path)
    assert bpy.ops.audience.animate(strip=strip.name, faces=audience.name) == {"FINISHED"}
    for obj in audience.objects:
        for frames, values in face_curves(addon, obj).values():
            assert len(frames) == 11 and np.isfinite(values).all() and np.all(values == 0.0)


def test_stereo_48k_and_muted(addon, audience, tmp_path):
    import librosa

    demo = sub(addon, "blender.demo")
    y, _ = librosa.load(demo.DEMO_SPEECH, sr=48000, duration=6.0)
    path = write_wav(str(tmp_path / "stereo.wav"), y, sr=48000, channels=2)
    strip = _strip_for(addon, bpy.context.scene, path)
    strip.mute = True
    assert bpy.ops.audience.animate(strip=strip.name, faces=audience.name) == {"FINISHED"}
    frames, _v = next(iter(face_curves(addon, audience.objects[0]).values()))
    assert len(frames) == 13


@pytest.mark.parametrize("fmt", ["MP3", "OGG", "FLAC"])
def test_compressed_formats(addon, audience, tmp_path, fmt):
    import soundfile
    import librosa

    if fmt not in soundfile.available_formats():
        pytest.skip(f"libsndfile here cannot write {fmt}")
    demo = sub(addon, "blender.demo")
    y, _ = librosa.load(demo.DEMO_SPEECH, sr=SR, duration=4.0)
    path = str(tmp_path / f"speech.{fmt.lower()}")
    soundfile.write(path, y, SR, format=fmt)
    strip = _strip_for(addon, bpy.context.scene, path)
    assert bpy.ops.audience.animate(strip=strip.name, faces=audience.name) == {"FINISHED"}
    assert len(next(iter(face_curves(addon, audience.objects[0]).values()))[0]) == 9


@pytest.mark.parametrize("inverted", [False, True])
def test_a_video_files_sound_goes_through_blenders_decoder(addon, audience, tmp_path, inverted):
    """A sound libsndfile cannot read (AAC in Matroska, as a phone video's sound) is decoded by Blender's own aud:
    keys at every half second, and the same sound heard as from a WAV. A stereo pair with one channel wired the
    other way round was heard as near silence (aud's downmix cancels it); now through its louder channel."""
    import aud
    import librosa

    demo = sub(addon, "blender.demo")
    y, _ = librosa.load(demo.DEMO_SPEECH, sr=SR, duration=4.0)
    stereo = np.ascontiguousarray(np.stack([y, -y if inverted else y], axis=1), dtype=np.float32)
    path = str(tmp_path / "phone video.mkv")
    aud.Sound.buffer(stereo, SR).write(path, rate=SR, channels=aud.CHANNELS_STEREO, format=aud.FORMAT_FLOAT32,
                                       container=aud.CONTAINER_MATROSKA, codec=aud.CODEC_AAC, bitrate=192000)
    strip = _strip_for(addon, bpy.context.scene, path)
    heard = sub(addon, "blender.audio").strip_audio(bpy.context.scene, strip, SR)
    level = np.sqrt(np.mean(heard[:len(y)] ** 2)) / np.sqrt(np.mean(y ** 2))
    assert 0.8 < level < 1.25, level  # not the silence of L + R
    assert bpy.ops.audience.animate(strip=strip.name, faces=audience.name) == {"FINISHED"}
    frames, values = next(iter(face_curves(addon, audience.objects[0]).values()))
    assert len(frames) == 9 and np.isfinite(values).all()


@needs_data
def test_real_flac_recording(addon, audience):
    path = os.path.join(DATA, "Actor_02", "03-01-03-02-01-01-02.flac")
    strip = _strip_for(addon, bpy.context.scene, path)
    assert bpy.ops.audience.animate(strip=strip.name, faces=audience.name) == {"FINISHED"}


def test_non_sound_strip(addon, audience, tmp_path):
    scene = bpy.context.scene
    strips = sub(addon, "blender.compat").top_level_strips(scene)
    strips.new_effect(name="Flash", type="COLOR", channel=2, frame_start=1, **_effect_end())
    _expect_error("Flash", audience, "'Flash' is a color strip, not a sound strip")


def _effect_end():
    # 5.0 renamed frame_end to length for new_effect.
    import inspect

    return {"length": 10} if bpy.app.version >= (5, 0, 0) else {"frame_end": 10}


def test_fuzz_audio_loader(addon, audience, tmp_path):
    """Random bytes as a sound file: always an AudienceError, never a crash, for a bounded time."""
    audio, errors = sub(addon, "blender.audio"), sub(addon, "blender.errors")
    rng = np.random.default_rng(1234)
    path = str(tmp_path / "fuzz.wav")
    write_wav(path, np.zeros(SR, np.float32))
    strip = _strip_for(addon, bpy.context.scene, path)
    header = open(path, "rb").read()[:44]
    deadline = time.monotonic() + 8
    runs = 0
    while time.monotonic() < deadline:
        body = rng.integers(0, 256, int(rng.integers(0, 5000)), dtype=np.uint8).tobytes()
        with open(path, "wb") as f:
            f.write((header if runs % 2 else b"") + body)  # half with a valid WAV header
        try:
            audio.strip_audio(bpy.context.scene, strip, SR)
        except errors.AudienceError as e:
            assert str(e)
        runs += 1
    assert runs > 10


def test_fuzz_metadata_parser(addon, tmp_path):
    from ml.model import ModelError, read_metadata

    good = json.load(open(os.path.join(os.path.dirname(os.path.dirname(__file__)), "models", "emotion_model.json")))
    rng = np.random.default_rng(99)
    path = tmp_path / "emotion_model.json"
    deadline = time.monotonic() + 4
    values = [None, 0, -1, 1e309, "", "x" * 300, [], {}, [1, 2], True, "../x", 0.5]
    while time.monotonic() < deadline:
        if rng.random() < 0.5:
            path.write_bytes(rng.integers(0, 256, int(rng.integers(0, 400)), dtype=np.uint8).tobytes())
        else:
            meta = dict(good)
            for key in rng.choice(list(good), size=int(rng.integers(1, 4)), replace=False):
                meta[str(key)] = values[int(rng.integers(len(values)))]
            path.write_text(json.dumps(meta))
        try:
            read_metadata(str(path))
        except ModelError as e:
            assert str(e)


def test_strip_trimmed_to_almost_nothing(addon, audience, tmp_path):
    path = write_wav(str(tmp_path / "talk.wav"), 0.1 * np.ones(SR * 4, np.float32))
    strip = _strip_for(addon, bpy.context.scene, path)
    compat = sub(addon, "blender.compat")
    compat.set_strip_frame(strip, "right_handle_offset", compat.strip_frame(strip, "content_duration") - 1)  # 1 frame
    _expect_error(strip.name, audience, r"plays only 0\.04 s of sound")


def test_one_hour_of_speech(addon, audience, tmp_path):
    """An hour-long strip: a key every 0.5 s, finite values, the features analysed in pieces."""
    import librosa
    import soundfile

    demo = sub(addon, "blender.demo")
    y, _ = librosa.load(demo.DEMO_SPEECH, sr=SR)
    path = str(tmp_path / "hour.wav")
    with soundfile.SoundFile(path, "w", SR, 1, subtype="PCM_16") as f:
        for _ in range(int(np.ceil(3600 * SR / len(y)))):
            f.write(y)
    strip = _strip_for(addon, bpy.context.scene, path)
    compat = sub(addon, "blender.compat")
    compat.set_strip_frame(strip, "right_handle_offset",
                           compat.strip_frame(strip, "content_duration") - 3600 * bpy.context.scene.render.fps)
    assert bpy.ops.audience.animate(strip=strip.name, faces=audience.name) == {"FINISHED"}
    frames, values = face_curves(addon, audience.objects[0])["browDownLeft"]
    assert len(frames) == 7201 and np.isfinite(values).all() and values.max() > 0.2


@pytest.mark.parametrize("setting", ["strength", "hold", "stagger", "smoothing", "idle", "tolerance", "contrast"])
def test_operator_refuses_nan_settings(addon, audience, tmp_path, setting):
    """F3/F4/F5 in Blender: from a script or the panel, a NaN setting is refused, the scene as it was; from a
    script, so are infinity, negatives and values over the range (the operator's properties do not clamp).
    (The tab's properties are clamped by Blender as they are typed, to the checked range.)"""
    value = float("nan")
    path = write_wav(str(tmp_path / "talk.wav"), 0.1 * np.ones(SR * 2, np.float32))
    strip = _strip_for(addon, bpy.context.scene, path)
    before = _state()
    # Blender hands inf over as its largest float: the message says inf, and shows 1e30 short
    for bad, shown in ((value, "nan"), (float("inf"), "inf"), (-1.0, "-1"), (1e30, "1e+30")):
        with pytest.raises(RuntimeError, match=rf"must be a number from .* \(got {re.escape(shown)}\)"):
            bpy.ops.audience.animate(strip=strip.name, faces=audience.name, **{setting: bad})
        assert _state() == before
    with pytest.raises(RuntimeError, match="Seed must be a whole number from 0"):
        bpy.ops.audience.animate(strip=strip.name, faces=audience.name, seed=-5)
    assert _state() == before
    panel = bpy.context.scene.audience
    setattr(panel, setting, value)  # the tab's value, typed as an expression
    with pytest.raises(RuntimeError, match="must be a number from"):
        bpy.ops.audience.animate(strip=strip.name, faces=audience.name)
    assert _state() == before


def test_panel_operator_and_batch_share_one_range_per_setting(addon):
    """One table of ranges: the tab's and the operator's properties take theirs from it."""
    from ml.settings import RANGES

    operator, tab = bpy.ops.audience.animate.get_rna_type().properties, bpy.context.scene.audience.bl_rna.properties
    for name, (label, low, high, soft) in RANGES.items():
        assert (tab[name].hard_min, tab[name].hard_max) == pytest.approx((low, high)), name
        assert (operator[name].soft_min, operator[name].soft_max) == pytest.approx((low, soft)), name
        assert operator[name].name == tab[name].name == label


def test_strip_volume_does_not_change_the_analysis(addon, audience, tmp_path):
    """F11: volume 0, 0.5 or keyed volume: the faces react to the sound itself, and a note says so."""
    import librosa

    demo, job = sub(addon, "blender.demo"), sub(addon, "blender.job")
    y, _ = librosa.load(demo.DEMO_SPEECH, sr=SR, duration=6.0)
    scene = bpy.context.scene
    strip = _strip_for(addon, scene, write_wav(str(tmp_path / "talk.wav"), y))
    settings = job.Settings(strip=strip.name, faces=audience.name)
    job.animate(scene, settings)
    full = face_curves(addon, audience.objects[0])
    for volume in (0.0, 0.5):
        strip.volume = volume
        result = job.animate(scene, settings)
        for name, (_frames, values) in face_curves(addon, audience.objects[0]).items():
            np.testing.assert_array_equal(values, full[name][1])
        assert any(f"volume {volume:g}" in n and "full level" in n for n in result.notes), result.notes
    strip.volume = 1.0
    strip.keyframe_insert("volume", frame=1)
    strip.volume = 0.0
    strip.keyframe_insert("volume", frame=60)
    scene.frame_set(100)
    result = job.animate(scene, settings)
    for name, (_frames, values) in face_curves(addon, audience.objects[0]).items():
        np.testing.assert_array_equal(values, full[name][1])
    assert any("animated volume" in n for n in result.notes), result.notes


def test_text_file_as_a_sound_strip_cannot_be_decoded(addon, audience, tmp_path):
    """F15: Blender makes a one-frame strip of a text file: the message is "cannot decode", not "too short"."""
    path = str(tmp_path / "notes.wav")
    with open(path, "w") as f:
        f.write("Dear diary, this is not a recording. " * 50)
    strip = _strip_for(addon, bpy.context.scene, path)
    first, last = sub(addon, "blender.compat").strip_range(strip)
    assert last - first <= 2
    _expect_error(strip.name, audience, "cannot decode 'notes.wav' as audio")


def _meta_of(addon, scene, strip):
    """Put `strip` into a new meta strip, as Blender's Make Meta Strip does."""
    for other in sub(addon, "blender.compat").sequencer_strips(scene):
        other.select = other == strip
    try:
        bpy.ops.sequencer.meta_make()
    except RuntimeError:  # 5.0: sequencer operators act on the sequencer scene
        with bpy.context.temp_override(sequencer_scene=scene):
            bpy.ops.sequencer.meta_make()
    return strip.parent_meta()


def test_sound_inside_a_trimmed_or_muted_meta_strip(addon, audience, tmp_path):
    """F17: the meta strip plays only part of the speech: keys there only; a muted meta is noted."""
    import librosa

    demo, job = sub(addon, "blender.demo"), sub(addon, "blender.job")
    y, _ = librosa.load(demo.DEMO_SPEECH, sr=SR, duration=10.0)
    scene = bpy.context.scene
    strip = _strip_for(addon, scene, write_wav(str(tmp_path / "talk.wav"), y))
    meta = _meta_of(addon, scene, strip)
    compat = sub(addon, "blender.compat")
    assert meta is not None and compat.strip_range(meta)[0] == compat.strip_range(strip)[0] == 1
    compat.set_strip_frame(meta, "left_handle_offset", 50)   # the meta plays from frame 51 to 50 frames before the end
    compat.set_strip_frame(meta, "right_handle_offset", 49)
    first, last = compat.strip_range(meta)
    assert first == 51 and last < compat.strip_range(strip)[1]
    meta.mute = True
    result = job.animate(scene, job.Settings(strip=strip.name, faces=audience.name))
    for frames, _values in face_curves(addon, audience.objects[0], with_blinks=True).values():
        assert frames[0] >= first and frames[-1] <= last
    frames, _values = face_curves(addon, audience.objects[0])["jawOpen"]
    fps = scene.render.fps / scene.render.fps_base
    assert frames[0] == first and len(frames) == int(np.floor((last - first) / fps / 0.5)) + 1
    assert any(f"meta strip '{meta.name}'" in n and "keyed there only" in n for n in result.notes), result.notes
    assert any(f"meta strip '{meta.name}' is muted" in n for n in result.notes), result.notes
    # What is analysed is what the meta plays: the sound from frame 51 to its last frame.
    source = sub(addon, "blender.audio").sound_source(scene, strip)
    assert (source.start_s, source.end_s) == pytest.approx((50 / fps, (last - 1) / fps))


def test_time_stretching_is_refused(addon, audience, tmp_path):
    """Hostile (stop 24): with Time Stretching 100 -> 200 Blender shows a key at frame f at 2f but plays the sound
    unstretched: every key reacted at twice its time, without a word. Refused, the scene as it was."""
    path = write_wav(str(tmp_path / "toast.wav"), np.zeros(4 * SR, np.float32))
    strip = _strip_for(addon, bpy.context.scene, path)
    render = bpy.context.scene.render
    render.frame_map_old, render.frame_map_new = 100, 200
    try:
        _expect_error(strip.name, audience, "Time Stretching maps frames 100 to 200 .*same value")
    finally:
        render.frame_map_new = 100


@pytest.mark.skipif(bpy.app.version < (5, 1), reason="adding a retiming key from Python crashes the 4.5 and 5.0 modules")
def test_a_retimed_sound_strip_is_refused(addon, audience, tmp_path):
    """Hostile (stop 21): a strip retimed to play twice as fast was analysed at the sound's own speed, so every key
    after the first seconds reacted to the wrong moment, without a word. Python sees no speed to follow: refused."""
    path = write_wav(str(tmp_path / "toast.wav"), np.zeros(4 * SR, np.float32))
    strip = _strip_for(addon, bpy.context.scene, path)
    first, _after = sub(addon, "blender.compat").strip_range(strip)
    retiming = strip.retiming_keys
    retiming.add(timeline_frame=first + 20)
    retiming[-1].timeline_frame = first + 50  # the whole sound in half its frames
    _expect_error(strip.name, audience, f"strip '{strip.name}' is retimed .*Reset Retiming")
