"""A re-run remembers what the speech said: no second decode for another seed, a new one when the sound changed."""
import os
import shutil

import numpy as np

from conftest import face_curves, sub


def test_a_rerun_of_the_same_speech_is_not_analysed_again(addon, demo_scene, tmp_path, monkeypatch):
    scene, faces, strip = demo_scene
    job, audio = sub(addon, "blender.job"), sub(addon, "blender.audio")
    decoded = []
    pieces = audio.pieces
    monkeypatch.setattr(audio, "pieces", lambda *a, **k: decoded.append(1) or pieces(*a, **k))
    job._analyses.clear()
    obj = faces.objects[0]

    def run(**settings):
        decoded.clear()
        messages = []
        result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, **settings),
                             lambda f, m: messages.append(m))
        return bool(decoded), messages, result

    heard, _messages, first = run(seed=1)
    assert heard
    keys = face_curves(addon, obj)["jawOpen"][1].copy()
    heard, messages, again = run(seed=2)
    assert not heard and messages[0] == "heard this speech before: its emotion is known"
    np.testing.assert_array_equal(again.timeline.probs, first.timeline.probs)
    heard, _messages, _result = run(seed=1)
    assert not heard
    np.testing.assert_array_equal(face_curves(addon, obj)["jawOpen"][1], keys)  # the same keys as analysed anew
    heard, _messages, _result = run(seed=1, smoothing=2.0)  # smoothing is part of the analysis
    assert heard
    shutil.copy(sub(addon, "blender.demo").DEMO_SPEECH, tmp_path / "other.flac")
    strip.sound.filepath = str(tmp_path / "other.flac")  # the same sound from another file: analysed again
    heard, _messages, _result = run(seed=1)
    assert heard
    os.utime(tmp_path / "other.flac", ns=(0, 10**9))  # the file changed since
    heard, _messages, _result = run(seed=1)
    assert heard
    # Replaced in place with the same size and its old modification time restored (cp -p): analysed again.
    before = os.stat(tmp_path / "other.flac")
    with open(tmp_path / "other.flac", "r+b") as f:
        data = f.read()
        f.seek(0)
        f.write(data)  # the same bytes, written again in place
    os.utime(tmp_path / "other.flac", ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(tmp_path / "other.flac")
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    heard, _messages, _result = run(seed=1)
    assert heard
