"""What the artist made or edited survives a re-run and Remove Audience Keys (issue 13: nothing lost)."""
import numpy as np
import pytest
import bpy

from conftest import face_curves, fcurve_data, sub, write_wav


def animate(**kw):
    return bpy.ops.audience.animate(**kw)


def _fcurve(addon, action, shape_key):
    path = f'key_blocks["{shape_key}"].value'
    return next(fc for fc in sub(addon, "blender.compat").existing_fcurves(action) if fc.data_path == path)


def test_clear_puts_back_the_values_the_faces_had(addon, demo_scene):
    """F9: a hand-set value comes back on Remove, instead of the last evaluated frame's."""
    scene, faces, strip = demo_scene
    obj = faces.objects[0]
    blocks = obj.data.shape_keys.key_blocks
    blocks["eyeWideLeft"].value = 0.33
    blocks["jawOpen"].value = 0.0
    animate(strip=strip.name, faces=faces.name)
    frames, values = face_curves(addon, obj)["eyeWideLeft"]
    scene.frame_set(int(frames[np.argmax(np.abs(values - 0.33))]))
    assert abs(blocks["eyeWideLeft"].value - 0.33) > 0.01  # the keys drive it now
    animate(strip=strip.name, faces=faces.name, seed=5)  # a re-run does not forget the value from before
    scene.frame_set(int(frames[len(frames) // 2]))
    assert bpy.ops.audience.clear(faces=faces.name) == {"FINISHED"}
    assert blocks["eyeWideLeft"].value == pytest.approx(0.33, abs=1e-6)
    assert blocks["jawOpen"].value == 0.0
    scene.frame_set(1)
    assert blocks["eyeWideLeft"].value == pytest.approx(0.33, abs=1e-6)


def test_a_key_the_artist_adds_to_a_tool_curve_survives_rerun_and_clear(addon, demo_scene):
    """F10: the artist tweaks a reaction in the Graph Editor (the tool's action is active): never dropped."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    obj = faces.objects[0]
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    action = obj.data.shape_keys.animation_data.action
    block = obj.data.shape_keys.key_blocks["jawOpen"]
    block.value = 0.9
    block.keyframe_insert("value", frame=33)  # lands in the tool's curve
    edited = fcurve_data(_fcurve(addon, action, "jawOpen"))
    assert 33 in edited[0]
    # An artist drags a key of another curve (its value), too.
    smile = _fcurve(addon, action, "mouthSmileLeft")
    smile.keyframe_points[3].co.y = 0.77
    smile.update()
    dragged = fcurve_data(smile)

    untouched = face_curves(addon, faces.objects[1])["jawOpen"][1].copy()
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, seed=9))
    for name, before in (("jawOpen", edited), ("mouthSmileLeft", dragged)):
        after = fcurve_data(_fcurve(addon, action, name))
        np.testing.assert_array_equal(before[0], after[0])
        np.testing.assert_array_equal(before[1], after[1])
    assert any("kept 2 curves" in n and "jawOpen" in n for n in result.notes), result.notes
    # The curves nobody touched were re-animated with the new seed.
    assert not np.allclose(face_curves(addon, faces.objects[1])["jawOpen"][1], untouched)

    n, notes = job.clear(scene, faces.name)
    assert n == len(faces.objects) and any("jawOpen" in note for note in notes)
    anim = obj.data.shape_keys.animation_data
    assert anim.action == action  # still there, holding the artist's two curves only
    left = {fc.data_path for fc in sub(addon, "blender.compat").existing_fcurves(action)}
    assert left == {'key_blocks["jawOpen"].value', 'key_blocks["mouthSmileLeft"].value'}
    np.testing.assert_array_equal(fcurve_data(_fcurve(addon, action, "jawOpen"))[1], edited[1])
    # The other faces are clean.
    assert all(o.data.shape_keys.animation_data.action is None for o in faces.objects if o != obj)


def test_artist_markers_with_the_tools_names_survive(addon, demo_scene):
    """F12: the artist's own "audience: ..." markers are not the tool's."""
    scene, faces, strip = demo_scene
    scene.timeline_markers.new("audience: applause here", frame=50)
    first = sub(addon, "blender.compat").strip_range(strip)[0]
    scene.timeline_markers.new("audience: neutral", frame=first)  # same name and frame as ours
    animate(strip=strip.name, faces=faces.name)
    ours = len(scene.timeline_markers) - 2
    assert ours >= 1
    animate(strip=strip.name, faces=faces.name)  # a re-run replaces the tool's markers only
    assert len(scene.timeline_markers) == ours + 2
    scene.timeline_markers[-1].frame += 3  # the artist moves one of ours: now it is theirs
    bpy.ops.audience.clear(faces=faces.name)
    names = sorted((m.name, m.frame) for m in scene.timeline_markers)
    assert ("audience: applause here", 50) in names and ("audience: neutral", first) in names
    assert len(names) == 3


def test_artist_track_named_like_the_tools(addon, demo_scene):
    """F13: an artist's NLA track called "Audience Reactions" is theirs; the tool finds its own by its tag."""
    scene, faces, strip = demo_scene
    obj = faces.objects[0]
    key = obj.data.shape_keys
    block = key.key_blocks["mouthSmileLeft"]
    block.keyframe_insert("value", frame=1)
    anim = key.animation_data
    artist_action = anim.action
    theirs = bpy.data.actions.new("Artist smile")
    track = anim.nla_tracks.new()
    track.name = "Audience Reactions"
    sub(addon, "blender.compat").new_nla_strip(track, "Artist smile", 1, theirs, key)
    for _ in range(3):
        animate(strip=strip.name, faces=faces.name)
    assert len(anim.nla_tracks) == 2 and anim.action == artist_action
    ours = [t for t in anim.nla_tracks if t != anim.nla_tracks["Audience Reactions"]]
    assert len(ours) == 1 and ours[0].strips[0].action.name.startswith("Audience ")
    n_actions = len(bpy.data.actions)
    bpy.ops.audience.clear(faces=faces.name)
    assert [t.name for t in anim.nla_tracks] == ["Audience Reactions"]
    assert anim.nla_tracks["Audience Reactions"].strips[0].action == theirs and anim.action == artist_action
    assert len(bpy.data.actions) == n_actions - len(faces.objects) - 1  # and the emotion empty's


def test_faces_sharing_one_action_each_get_their_own(addon, demo_scene):
    """F14: a duplicate that kept the action does not get the other face's curves."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    original = faces.objects[0]
    twin = original.copy()
    twin.data = original.data.copy()  # its own mesh and shape keys ...
    twin.name = "Twin"
    faces.objects.link(twin)
    assert twin.data.shape_keys != original.data.shape_keys
    assert twin.data.shape_keys.animation_data.action == original.data.shape_keys.animation_data.action  # ... one action
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    a, b = original.data.shape_keys.animation_data.action, twin.data.shape_keys.animation_data.action
    assert a != b and a.name == f"Audience {original.name}"  # the face keeps its action's name
    assert not np.allclose(face_curves(addon, original)["browDownLeft"][1], face_curves(addon, twin)["browDownLeft"][1])
    assert any("shared the tool's action" in n for n in result.notes), result.notes


def test_shape_keys_set_by_drivers_are_not_keyed(addon, demo_scene):
    """F16: a driven shape key would never show the keys: skipped with a note."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    obj = faces.objects[0]
    driver = obj.data.shape_keys.key_blocks["jawOpen"].driver_add("value").driver
    driver.expression = "0.25"
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    assert "jawOpen" not in face_curves(addon, obj)
    assert "jawOpen" in face_curves(addon, faces.objects[1])
    assert any("drivers" in n and f"{obj.name}: jawOpen" in n for n in result.notes), result.notes


def test_short_clip_writes_no_empty_curves(addon, audience_of_two, tmp_path):
    """F19: 0.6 s is too short for a blink: no blink curve with 0 keys."""
    import librosa

    scene, faces = audience_of_two
    demo = sub(addon, "blender.demo")
    y, _ = librosa.load(demo.DEMO_SPEECH, sr=22050, duration=0.6)
    strip = demo.add_speech(scene, write_wav(str(tmp_path / "short.wav"), y))
    assert animate(strip=strip.name, faces=faces.name) == {"FINISHED"}
    compat = sub(addon, "blender.compat")
    for obj in faces.objects:
        curves = compat.existing_fcurves(obj.data.shape_keys.animation_data.action)
        assert curves and all(len(fc.keyframe_points) > 0 for fc in curves)
        assert not any("eyeBlink" in fc.data_path for fc in curves)


def test_clear_from_another_scene_that_shows_the_faces(addon, demo_scene):
    """F21: Remove run from a second scene linking the same faces also removes the first scene's markers and
    emotion empty."""
    scene, faces, strip = demo_scene
    tag = sub(addon, "blender.keys").EMOTION_OBJECT_TAG
    scene.timeline_markers.new("cue", frame=3)
    animate(strip=strip.name, faces=faces.name)
    assert any(tag in o.keys() for o in scene.objects) and len(scene.timeline_markers) > 1
    other = bpy.data.scenes.new("Close-up")
    other.collection.children.link(faces)
    with bpy.context.temp_override(scene=other):
        assert bpy.ops.audience.clear(faces=faces.name) == {"FINISHED"}
    assert [m.name for m in scene.timeline_markers] == ["cue"]
    assert not any(tag in o.keys() for o in scene.objects)
    assert not any(o.name.startswith("Speech Emotion") for o in bpy.data.objects)
    assert all(o.data.shape_keys.animation_data.action is None for o in faces.objects)


@pytest.fixture
def audience_of_two(addon, empty_scene):
    from conftest import HAS_AUDIO

    if not HAS_AUDIO:
        pytest.skip("this bpy wheel is built without audio (4.2)")
    return empty_scene, sub(addon, "blender.demo").build_audience(empty_scene, rows=1, per_row=2)


def test_nla_tweak_mode_is_refused_and_changes_nothing(addon, demo_scene):
    """Found testing: while the artist edits the tool's NLA strip (tweak mode) Blender keeps the actions as
    they are; Animate and Remove half-ran and failed with a traceback. Now a clear message, nothing changed."""
    scene, faces, strip = demo_scene
    obj = faces.objects[0]
    obj.data.shape_keys.key_blocks["mouthSmileLeft"].keyframe_insert("value", frame=1)
    animate(strip=strip.name, faces=faces.name)
    anim = obj.data.shape_keys.animation_data
    track = next(t for t in anim.nla_tracks if t.strips)
    track.strips[0].select = True
    anim.nla_tracks.active = track
    anim.use_tweak_mode = True
    assert anim.use_tweak_mode
    before = sorted(a.name for a in bpy.data.actions), len(scene.timeline_markers)
    for run in (lambda: animate(strip=strip.name, faces=faces.name), lambda: bpy.ops.audience.clear(faces=faces.name)):
        with pytest.raises(RuntimeError, match=f"{obj.name} is in NLA tweak mode"):
            run()
        assert (sorted(a.name for a in bpy.data.actions), len(scene.timeline_markers)) == before


def test_tweak_mode_entered_while_the_speech_is_analysed_is_refused_before_any_key(addon, demo_scene):
    """Hostile round 23: the button analyses in the background and Blender stays usable. An artist who tabbed into
    their own NLA strip meanwhile got the reaction on a track over their take, and a note saying the opposite.
    Now the keys are not written: the same message as before the analysis, and the scene as it was."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    obj = faces.objects[0]
    key = obj.data.shape_keys
    key.key_blocks["mouthSmileLeft"].keyframe_insert("value", frame=1)
    take = key.animation_data.action
    track = key.animation_data.nla_tracks.new()
    track.strips.new("My take", 1, take).select = True
    key.animation_data.action = None
    prepared = job.prepare(scene, job.Settings(strip=strip.name, faces=faces.name))
    key.animation_data.nla_tracks.active = track
    key.animation_data.use_tweak_mode = True  # while the speech is analysed
    timeline = job.analyse(prepared)
    before = sorted(a.name for a in bpy.data.actions), len(scene.timeline_markers), len(key.animation_data.nla_tracks)
    with pytest.raises(sub(addon, "blender.errors").AudienceError, match=f"{obj.name} is in NLA tweak mode"):
        job.write(prepared, timeline)
    after = sorted(a.name for a in bpy.data.actions), len(scene.timeline_markers), len(key.animation_data.nla_tracks)
    assert after == before and all(o.data.shape_keys.animation_data is None for o in faces.objects if o != obj)


@pytest.mark.parametrize("change", ["rename", "remove", "driver", "absolute"])
def test_shape_keys_changed_while_the_speech_is_analysed_are_refused_before_any_key(addon, demo_scene, change):
    """Hostile round 23: a shape key renamed or removed while the button analysed the speech got a curve on a name
    the face no longer has, and one given a driver or made absolute was keyed where it cannot show, with no note.
    The button's path now checks the faces again before the first key; nothing is written."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    obj = faces.objects[0]
    key = obj.data.shape_keys
    prepared = job.prepare(scene, job.Settings(strip=strip.name, faces=faces.name))
    smile = key.key_blocks["mouthSmileLeft"]
    if change == "rename":
        smile.name = "mySmile"
    elif change == "remove":
        obj.shape_key_remove(smile)
    elif change == "driver":
        smile.driver_add("value")
    else:
        key.use_relative = False
    timeline = job.analyse(prepared)
    before = sorted(a.name for a in bpy.data.actions), len(scene.timeline_markers)
    with pytest.raises(sub(addon, "blender.errors").AudienceError, match=f"shape keys of {obj.name} that the tool"):
        list(job.write_steps(prepared, timeline, recheck=True))
    assert (sorted(a.name for a in bpy.data.actions), len(scene.timeline_markers)) == before
    assert all(not o.data.shape_keys.animation_data or not o.data.shape_keys.animation_data.action
               for o in faces.objects)


@pytest.mark.parametrize("change", ["moved", "sound offset", "time stretching", "frame rate", "another sound"])
def test_a_strip_retimed_while_the_speech_is_analysed_is_refused_before_any_key(addon, demo_scene, change, tmp_path):
    """Hostile (stop 24): Time Stretching set, or the strip nudged, while the button analysed the speech: the keys
    followed the sound as it was, without a word. The button's path checks the strip's timing again first."""
    scene, faces, strip = demo_scene
    job, compat = sub(addon, "blender.job"), sub(addon, "blender.compat")
    prepared = job.prepare(scene, job.Settings(strip=strip.name, faces=faces.name))
    if change == "moved":
        compat.set_strip_frame(strip, "content_start", compat.strip_frame(strip, "content_start") + 12)
    elif change == "sound offset":
        strip.sound_offset = 0.25
    elif change == "time stretching":
        scene.render.frame_map_new = 200
    elif change == "frame rate":
        scene.render.fps = 30
    else:
        strip.sound = bpy.data.sounds.load(write_wav(str(tmp_path / "toast.wav"), np.zeros(22050, np.float32)))
    timeline = job.analyse(prepared)
    before = sorted(a.name for a in bpy.data.actions), len(scene.timeline_markers)
    message = "Time Stretching" if change == "time stretching" else "moved, trimmed, retimed or given another sound"
    with pytest.raises(sub(addon, "blender.errors").AudienceError, match=message):
        list(job.write_steps(prepared, timeline, recheck=True))
    assert (sorted(a.name for a in bpy.data.actions), len(scene.timeline_markers)) == before
    assert all(not o.data.shape_keys.animation_data for o in faces.objects)


def test_the_button_path_writes_what_it_planned_after_harmless_changes(addon, demo_scene):
    """What the artist may do while the speech is analysed without stopping the run: a driver taken off, a key of
    their own added that looks like one the tool keys, a value set."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    obj = faces.objects[0]
    obj.data.shape_keys.key_blocks["jawOpen"].driver_add("value")
    prepared = job.prepare(scene, job.Settings(strip=strip.name, faces=faces.name))
    obj.data.shape_keys.key_blocks["jawOpen"].driver_remove("value")
    obj.shape_key_add(name="MouthSmileLeft")
    obj.data.shape_keys.key_blocks["mouthSmileLeft"].value = 0.4
    steps = job.write_steps(prepared, job.analyse(prepared), recheck=True)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            assert sorted(done.value.faces) == sorted(o.name for o in faces.objects)
            break


def test_the_artists_own_keys_on_the_same_shape_key_are_said_to_win(addon, demo_scene):
    """The artist keyed a smile in their own action: the tool's track goes beneath it, the smile stays theirs, and
    the note says the tool's smile will not show there (the active action plays over the NLA track)."""
    scene, faces, strip = demo_scene
    obj = faces.objects[0]
    block = obj.data.shape_keys.key_blocks["mouthSmileLeft"]
    for frame, value in ((1, 0.0), (60, 0.9)):
        block.value = value
        block.keyframe_insert("value", frame=frame)
    job = sub(addon, "blender.job")
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    hidden = [n for n in result.notes if "keyed in your own action" in n]
    assert len(hidden) == 1 and f"{obj.name}: mouthSmileLeft" in hidden[0] and "1 shape key is" in hidden[0]
    assert any(n.startswith("1 face had an action already") for n in result.notes)
    frames, values = fcurve_data(_fcurve(addon, obj.data.shape_keys.animation_data.action, "mouthSmileLeft"))
    assert list(frames) == [1, 60] and list(np.round(values, 3)) == [0.0, 0.9]


def test_the_artists_nla_strips_under_the_reaction_are_named(addon, demo_scene):
    """The artist pushed their smile down to the NLA (no active action): the tool's action becomes the active one and
    plays over that strip, so the note says so; the strip stays theirs and plays again after Remove."""
    scene, faces, strip = demo_scene
    obj = faces.objects[0]
    key = obj.data.shape_keys
    block = key.key_blocks["mouthSmileLeft"]
    for frame, value in ((1, 0.9), (100, 0.9)):
        block.value = value
        block.keyframe_insert("value", frame=frame)
    anim = key.animation_data
    theirs = anim.action
    track = anim.nla_tracks.new()
    sub(addon, "blender.compat").new_nla_strip(track, theirs.name, 1, theirs, key)
    anim.action = None
    job = sub(addon, "blender.job")
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    over = [n for n in result.notes if "keyed in your NLA strips" in n]
    assert len(over) == 1 and f"{obj.name}: mouthSmileLeft" in over[0] and over[0].startswith("1 shape key is")
    assert track.strips[0].action == theirs and anim.action is not theirs
    bpy.ops.audience.clear(faces=faces.name)
    assert anim.action is None and track.strips[0].action == theirs
    scene.frame_set(60)
    assert block.value == pytest.approx(0.9, abs=1e-4)


def test_a_curve_whose_extrapolation_modifiers_or_mute_changed_is_the_artists(addon, demo_scene):
    """Hostile t2: the artist set a tool curve to linear extrapolation (or added a modifier, or muted it): it is
    theirs from then on, kept by a re-run and by Remove, with a note."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    obj = faces.objects[0]
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    action = obj.data.shape_keys.animation_data.action
    _fcurve(addon, action, "mouthSmileLeft").extrapolation = "LINEAR"
    _fcurve(addon, action, "jawOpen").modifiers.new("NOISE")
    _fcurve(addon, action, "browDownLeft").mute = True
    edited = ("mouthSmileLeft", "jawOpen", "browDownLeft")
    before = {name: fcurve_data(_fcurve(addon, action, name)) for name in edited}
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, seed=6))
    for name in edited:
        np.testing.assert_array_equal(fcurve_data(_fcurve(addon, action, name))[1], before[name][1])
    assert any("kept 3 curves" in n and f"{obj.name}: mouthSmileLeft" in n for n in result.notes), result.notes
    assert _fcurve(addon, action, "mouthSmileLeft").extrapolation == "LINEAR"
    _n, notes = job.clear(scene, faces.name)
    assert any("kept 3 curves" in n for n in notes), notes
    left = {fc.data_path for fc in sub(addon, "blender.compat").existing_fcurves(action)}
    assert left == {f'key_blocks["{name}"].value' for name in edited}
    assert _fcurve(addon, action, "mouthSmileLeft").extrapolation == "LINEAR"


def test_a_breakdown_an_easing_or_a_handle_smoothing_makes_a_curve_the_artists(addon, demo_scene):
    """Hostile F8: a key marked as a breakdown, a key given an easing and a curve given Auto Handle Smoothing were
    not in the fingerprint, so a re-run rewrote those curves (a new key count: made anew) and the marks were lost.
    They are hand edits: the curve is the artist's from then on, kept by a re-run and by Remove."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    obj = faces.objects[0]
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    action = obj.data.shape_keys.animation_data.action
    _fcurve(addon, action, "mouthSmileLeft").keyframe_points[4].type = "BREAKDOWN"
    _fcurve(addon, action, "jawOpen").keyframe_points[2].easing = "EASE_IN_OUT"
    _fcurve(addon, action, "browDownLeft").auto_smoothing = "CONT_ACCEL"
    edited = ("mouthSmileLeft", "jawOpen", "browDownLeft")
    before = {name: fcurve_data(_fcurve(addon, action, name)) for name in edited}
    untouched = fcurve_data(_fcurve(addon, action, "mouthSmileRight"))
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, seed=6, hold=1.0))
    for name in edited:
        np.testing.assert_array_equal(fcurve_data(_fcurve(addon, action, name))[1], before[name][1])
    assert not np.array_equal(fcurve_data(_fcurve(addon, action, "mouthSmileRight"))[1], untouched[1])  # rewritten
    assert any("kept 3 curves" in n and f"{obj.name}: mouthSmileLeft" in n for n in result.notes), result.notes
    _n, notes = job.clear(scene, faces.name)
    assert any("kept 3 curves" in n for n in notes), notes
    assert _fcurve(addon, action, "mouthSmileLeft").keyframe_points[4].type == "BREAKDOWN"
    assert _fcurve(addon, action, "jawOpen").keyframe_points[2].easing == "EASE_IN_OUT"
    assert _fcurve(addon, action, "browDownLeft").auto_smoothing == "CONT_ACCEL"


def test_how_the_artist_looks_at_a_curve_survives_a_rerun_with_another_key_count(addon, demo_scene):
    """Noticed (stop 20): a re-run whose curves get another number of keys removed the tool's curves and made new
    ones, so the artist's colour, hiding, selection and channel group on them were lost. The curve is kept now and
    only its keys are made anew; these looks are not edits (the curve stays the tool's)."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    obj = faces.objects[0]
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    action = obj.data.shape_keys.animation_data.action
    compat = sub(addon, "blender.compat")
    smile = _fcurve(addon, action, "mouthSmileLeft")
    smile.color_mode, smile.color = "CUSTOM", (1.0, 0.2, 0.1)
    smile.hide, smile.select = True, True
    smile.group.name = "Smiles"  # the artist's name for the tool's channel group
    before = len(smile.keyframe_points)
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, tolerance=0.02))  # fewer keys
    assert not any("kept" in n for n in result.notes), result.notes  # still the tool's
    smile = _fcurve(addon, action, "mouthSmileLeft")
    assert smile.color_mode == "CUSTOM" and tuple(smile.color) == pytest.approx((1.0, 0.2, 0.1))
    assert smile.hide and smile.select and smile.group.name == "Smiles"
    assert len(smile.keyframe_points) != before  # the test needs a new key count
    frames, values = fcurve_data(smile)
    assert len(frames) == len(smile.keyframe_points) and np.all(np.diff(frames) > 0)
    assert np.all((values >= 0) & (values <= 1))
    assert {(k.interpolation, k.handle_left_type, k.handle_right_type) for k in smile.keyframe_points} == \
        {("BEZIER", "AUTO_CLAMPED", "AUTO_CLAMPED")}  # as the tool writes every curve
    assert {fc.auto_smoothing for fc in compat.existing_fcurves(action)} == {"NONE"}
    _n, notes = job.clear(scene, faces.name)
    assert not any("kept" in n for n in notes), notes
    assert obj.data.shape_keys.animation_data is None or obj.data.shape_keys.animation_data.action is None


def test_curves_of_a_file_from_before_the_smoothing_was_fingerprinted_are_still_the_tools(addon, demo_scene):
    """Hostile (stop 20): actions written before FINGERPRINT_FORMAT 2 have curves with Blender's default handle
    smoothing and fingerprints without it. Such curves are still the tool's: a re-run rewrites them (smoothing
    None again) and Remove takes them; only an action of the new format counts a smoothing as the artist's."""
    scene, faces, strip = demo_scene
    job, keys = sub(addon, "blender.job"), sub(addon, "blender.keys")
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    actions = [o.data.shape_keys.animation_data.action for o in faces.objects]
    for action in actions:  # as such a file holds them
        del action[keys.FORMAT]
        for fc in sub(addon, "blender.compat").existing_fcurves(action):
            fc.auto_smoothing = "CONT_ACCEL"
    jaw = fcurve_data(_fcurve(addon, actions[0], "jawOpen"))
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, seed=3))
    assert not any("kept" in n for n in result.notes), result.notes
    assert not np.array_equal(fcurve_data(_fcurve(addon, actions[0], "jawOpen"))[1], jaw[1])  # rewritten
    assert {fc.auto_smoothing for fc in sub(addon, "blender.compat").existing_fcurves(actions[0])} == {"NONE"}
    assert actions[0][keys.FORMAT] == keys.FINGERPRINT_FORMAT
    actions[1][keys.FORMAT] = float("inf")  # an edited format: an older file's, no error
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, seed=3))
    assert not any("kept" in n for n in result.notes), result.notes
    for action in actions[1:]:  # Remove, on the file as it was
        del action[keys.FORMAT]
        for fc in sub(addon, "blender.compat").existing_fcurves(action):
            fc.auto_smoothing = "CONT_ACCEL"
    _n, notes = job.clear(scene, faces.name)
    assert not any("kept" in n for n in notes), notes
    assert all(o.data.shape_keys.animation_data.action is None for o in faces.objects)


@pytest.mark.parametrize("addition", ["pose marker", "custom property", "frame range"])
def test_remove_keeps_an_action_the_artist_added_to(addon, demo_scene, addition):
    """Hostile (stop 20): the artist put a pose marker, a custom property or a manual frame range on the tool's
    action; Remove deleted the action with them. Now it stays, emptied of the tool's keys, and a note says so."""
    scene, faces, strip = demo_scene
    job, compat = sub(addon, "blender.job"), sub(addon, "blender.compat")
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    obj = faces.objects[2]
    action = obj.data.shape_keys.animation_data.action
    {"pose marker": lambda: action.pose_markers.new("laugh line").__setattr__("frame", 40),
     "custom property": lambda: action.__setitem__("take", 3),
     "frame range": lambda: action.__setattr__("use_frame_range", True)}[addition]()
    _n, notes = job.clear(scene, faces.name)
    assert obj.data.shape_keys.animation_data.action == action and action.name in bpy.data.actions
    assert not compat.existing_fcurves(action)
    assert any(n.startswith(f"kept the tool's action on {obj.name}, emptied of its keys: you added") for n in notes)
    assert faces.objects[0].data.shape_keys.animation_data.action is None  # the others' went
    if addition == "pose marker":
        assert [(m.name, m.frame) for m in action.pose_markers] == [("laugh line", 40)]
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))  # a re-run keys it again
    assert obj.data.shape_keys.animation_data.action == action and compat.existing_fcurves(action)


def test_keying_the_face_object_after_animate_keeps_both_apart(addon, demo_scene):
    """Hostile (stop 20): Blender 4.4+ puts a newly keyed object's curves into its shape keys' action, in a slot of
    its own. A re-run copied the action as if another face shared it, and Remove left the tool's 30 curves in the
    object's action. Now the object's keys are the object's: a re-run and Remove deal with the face's slot only."""
    scene, faces, strip = demo_scene
    job, keys, compat = sub(addon, "blender.job"), sub(addon, "blender.keys"), sub(addon, "blender.compat")
    obj = faces.objects[0]
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    obj.keyframe_insert("location", frame=1)
    theirs = obj.animation_data.action
    if compat.has_slots(theirs):  # the case itself: the object keyed into the tool's action
        assert theirs == obj.data.shape_keys.animation_data.action
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, seed=4))
    assert not any("shared" in n for n in result.notes), result.notes
    assert obj.data.shape_keys.animation_data.action.name == f"Audience {obj.name}"
    _n, notes = job.clear(scene, faces.name)
    assert not any("kept" in n for n in notes), notes
    assert obj.data.shape_keys.animation_data.action is None
    assert obj.animation_data.action == theirs and not keys.is_ours(theirs)
    assert sorted({fc.data_path for fc in compat.existing_fcurves(theirs)}) == ["location"]


def test_remove_keeps_a_fake_user_action_the_artist_added_to_on_the_face(addon, demo_scene):
    """Hostile (stop 20): with a fake user and a pose marker, Remove took the action off the face (the marker kept
    on an orphan the next run did not reuse)."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    obj = faces.objects[1]
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    action = obj.data.shape_keys.animation_data.action
    action.use_fake_user = True
    action.pose_markers.new("cue")
    other = faces.objects[2].data.shape_keys.animation_data.action
    other.use_fake_user = True  # a fake user only (hostile, stop 21: emptied without a word)
    _n, notes = job.clear(scene, faces.name)
    assert obj.data.shape_keys.animation_data.action == action
    assert any(n.startswith(f"kept the tool's action on {obj.name}") for n in notes), notes
    said = next(n for n in notes if n.startswith("kept the tool's action on"))
    assert faces.objects[2].name in said and "a fake user" in said and "pose markers" in said, said
    assert faces.objects[2].data.shape_keys.animation_data.action == other


def test_the_speech_emotion_action_the_artist_added_to_is_kept_with_a_note(addon, demo_scene):
    scene, faces, strip = demo_scene
    job, keys = sub(addon, "blender.job"), sub(addon, "blender.keys")
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    empty = keys.emotion_object(scene)
    empty.animation_data.action.pose_markers.new("applause")
    _n, notes = job.clear(scene, faces.name)
    assert keys.emotion_object(scene) == empty and len(empty.animation_data.action.pose_markers) == 1
    assert any(n.startswith(f"kept the empty '{empty.name}' and its action") for n in notes), notes


def test_a_rerun_that_drops_a_curve_puts_its_value_back(addon, demo_scene):
    """Hostile t11: the playhead mid-blink, a re-run without blinks (or with a smaller Custom Table) took the curves
    away but left the shape keys at what they last set (eyes shut for the whole shot). Now the values the face had
    before the tool come back, as Remove Audience Keys puts them back."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    obj = faces.objects[0]
    blocks = obj.data.shape_keys.key_blocks
    blocks["eyeBlinkRight"].value = 0.2  # a sleepy look the artist set by hand
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    smile = face_curves(addon, obj)["mouthSmileLeft"]
    scene.frame_set(int(smile[0][np.argmax(smile[1])]))
    assert blocks["mouthSmileLeft"].value > 0.01
    frames, values = face_curves(addon, obj, with_blinks=True)["eyeBlinkLeft"]
    scene.frame_set(int(frames[np.argmax(values)]))  # the playhead mid-blink
    assert blocks["eyeBlinkLeft"].value > 0.5 and blocks["eyeBlinkRight"].value > 0.5
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, blink=False))
    assert not any(name.startswith("eyeBlink") for name in face_curves(addon, obj, with_blinks=True))
    for frame in (1, int(frames[np.argmax(values)])):
        scene.frame_set(frame)
        assert blocks["eyeBlinkLeft"].value == 0.0
        assert blocks["eyeBlinkRight"].value == pytest.approx(0.2, abs=1e-6)
    table = {"happy": {"jawOpen": 1.0}}
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, preset="CUSTOM", custom=table))
    assert list(face_curves(addon, obj, with_blinks=True)) == ["jawOpen"]
    scene.frame_set(int(smile[0][np.argmax(smile[1])]))
    assert blocks["mouthSmileLeft"].value == 0.0
    job.clear(scene, faces.name)
    assert blocks["eyeBlinkRight"].value == pytest.approx(0.2, abs=1e-6) and blocks["jawOpen"].value == 0.0


def test_a_marker_the_artist_changed_is_theirs(addon, demo_scene):
    """Hostile t2, t4: a camera bound to one of the tool's markers lost its binding on a re-run and the marker went
    on Remove; an artist's marker of the same name and frame as one of ours went on Remove instead of ours. A marker
    bound to a camera, renamed or moved is the artist's (selecting one is no change); of two identical markers, only
    as many go as the tool made."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    settings = job.Settings(strip=strip.name, faces=faces.name)
    job.animate(scene, settings)
    markers = scene.timeline_markers
    assert len(markers) >= 4
    camera = bpy.data.objects.new("Cam", bpy.data.cameras.new("Cam"))
    scene.collection.objects.link(camera)
    markers[0].camera = camera
    bound = (markers[0].name, markers[0].frame)
    markers[1].name = "audience: the big laugh"
    renamed = (markers[1].name, markers[1].frame)
    twin = (markers[2].name, markers[2].frame)
    markers[3].select = True
    result = job.animate(scene, settings)
    assert [(m.name, m.frame) for m in markers if m.camera == camera] == [bound]
    assert [(m.name, m.frame) for m in markers].count(bound) == 1  # not made twice
    assert renamed in [(m.name, m.frame) for m in markers]
    assert any("2 timeline markers" in n for n in result.notes), result.notes
    markers.new(twin[0], frame=twin[1])  # the artist's own, the same name and frame as one of ours
    markers[-2].frame += 5  # the last of ours, moved
    moved = (markers[-2].name, markers[-2].frame)
    _n, notes = job.clear(scene, faces.name)
    assert sorted((m.name, m.frame, m.camera) for m in markers) == sorted([(*bound, camera), (*renamed, None),
                                                                           (*twin, None), (*moved, None)])
    assert any("1 timeline marker the tool made is yours now" in n for n in notes), notes


def test_the_emotion_empty_stays_while_the_artist_uses_it(addon, demo_scene):
    """Hostile t2: a light's driver reads Speech Emotion["happy"]; Remove deleted the empty (the driver's target
    became None). The empty stays while a driver, a constraint or a child uses it: only the tool's keys go, with a
    note."""
    scene, faces, strip = demo_scene
    job, keys = sub(addon, "blender.job"), sub(addon, "blender.keys")
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    empty = keys.emotion_object(scene)
    light = bpy.data.objects.new("Lamp", bpy.data.lights.new("Lamp", "POINT"))
    scene.collection.objects.link(light)
    variable = light.data.driver_add("energy").driver.variables.new()
    variable.targets[0].id, variable.targets[0].data_path = empty, '["happy"]'
    _n, notes = job.clear(scene, faces.name)
    assert variable.targets[0].id == empty and empty.name in bpy.data.objects
    assert empty.animation_data is None or empty.animation_data.action is None
    assert not any(keys.is_ours(a) for a in bpy.data.actions)
    assert any("Speech Emotion" in n and "Lamp" in n for n in notes), notes
    # Animate again uses that empty; without the driver, but a child parented to it, it stays too.
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    assert keys.emotion_object(scene) == empty
    light.data.animation_data.drivers.remove(light.data.animation_data.drivers[0])
    child = bpy.data.objects.new("Confetti", None)
    scene.collection.objects.link(child)
    child.parent = empty
    _n, notes = job.clear(scene, faces.name)
    assert child.parent == empty and any("Confetti" in n for n in notes), notes
    bpy.data.objects.remove(child)
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    _n, notes = job.clear(scene, faces.name)  # nothing of the artist's uses it: it goes
    assert keys.emotion_object(scene) is None and not notes


def test_an_untouched_empty_in_a_linked_copy_of_the_scene_still_goes(addon, demo_scene):
    """Hostile (stop 24): Scene > New > Linked Copy puts the empty in two scenes' collections; Remove took that for
    the artist's work and kept it. Only collections of the artist's count."""
    scene, faces, strip = demo_scene
    job, keys = sub(addon, "blender.job"), sub(addon, "blender.keys")
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    name = keys.emotion_object(scene).name
    scene.copy()  # Linked Copy
    _n, notes = job.clear(scene, faces.name)
    assert name not in bpy.data.objects and not any("kept the empty" in n for n in notes), notes


@pytest.mark.parametrize("work", ["renamed", "parented", "constraint", "moved", "display", "property", "collection",
                                  "instancing"])
def test_the_emotion_empty_the_artist_worked_on_stays(addon, demo_scene, work):
    """Hostile (stop 24): the artist renamed the empty, parented it to the speaker, gave it a constraint, a place,
    another look or a property of their own; Remove deleted it with all that, without a word. It stays, without
    the tool's keys, with a note; an empty the tool made and nobody touched still goes."""
    scene, faces, strip = demo_scene
    job, keys = sub(addon, "blender.job"), sub(addon, "blender.keys")
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    empty = keys.emotion_object(scene)
    speaker = bpy.data.objects.new("Speaker", None)
    scene.collection.objects.link(speaker)
    if work == "renamed":
        empty.name = "Mood over the speaker"
    elif work == "parented":
        empty.parent = speaker
    elif work == "constraint":
        empty.constraints.new("TRACK_TO").target = speaker
    elif work == "moved":
        empty.location.z = 2.5
    elif work == "display":
        empty.empty_display_size = 0.3
    elif work == "collection":
        props = bpy.data.collections.new("Props")
        scene.collection.children.link(props)
        props.objects.link(empty)
        scene.collection.objects.unlink(empty)
    elif work == "instancing":
        empty.instance_type = "COLLECTION"
    else:
        empty["artist_note"] = "pulse the stage lights with this"
    name = empty.name
    _n, notes = job.clear(scene, faces.name)
    assert name in bpy.data.objects and keys.emotion_object(scene) == bpy.data.objects[name]
    assert empty.animation_data is None or empty.animation_data.action is None
    assert not any(keys.is_ours(a) for a in bpy.data.actions)
    assert any(f"kept the empty '{name}'" in n and "you changed" in n for n in notes), notes
    # Animate again reuses it; once it is as the tool made it, Remove takes it away.
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    assert keys.emotion_object(scene) == empty
    empty.name, empty.parent, empty.location.z, empty.empty_display_size = "Speech Emotion", None, 0.0, 1.0
    empty.constraints.clear()
    empty.pop("artist_note", None)
    empty.instance_type = "NONE"
    if work == "collection":
        scene.collection.objects.link(empty)
        props.objects.unlink(empty)
    _n, notes = job.clear(scene, faces.name)
    assert "Speech Emotion" not in bpy.data.objects and not any("kept the empty" in n for n in notes), notes


def test_a_rerun_keeps_where_the_artist_put_the_tools_strip(addon, demo_scene):
    """Hostile t3: the artist moved the tool's NLA strip 12 frames later (and scaled it, made it add at half
    influence); a re-run put it back at the speech's first frame without a word. Now its place, scale and blending
    stay, and a note says so."""
    scene, faces, strip = demo_scene
    job, keys = sub(addon, "blender.job"), sub(addon, "blender.keys")
    obj = faces.objects[0]
    key = obj.data.shape_keys
    key.key_blocks["mouthSmileLeft"].keyframe_insert("value", frame=1)  # the artist's action: ours goes on a track

    def ours():
        return next(s for t in key.animation_data.nla_tracks for s in t.strips if keys.is_ours(s.action))

    first = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    assert ours().frame_start == ours().action_frame_start and not any("NLA strip" in n for n in first.notes)
    before = face_curves(addon, obj)["jawOpen"][1].copy()
    placed = ours()
    placed.frame_start_ui += 12
    placed.scale = 1.5
    placed.blend_type, placed.influence = "ADD", 0.5
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, seed=3))
    assert not np.allclose(face_curves(addon, obj)["jawOpen"][1], before)  # re-animated
    placed = ours()
    assert placed.frame_start == placed.action_frame_start + 12
    assert placed.frame_end == pytest.approx(placed.frame_start + 1.5 * (placed.action_frame_end -
                                                                         placed.action_frame_start))
    assert (placed.scale, placed.blend_type, placed.influence) == (1.5, "ADD", 0.5)
    assert any("where you put the tool's NLA strip" in n and obj.name in n for n in result.notes), result.notes


@pytest.mark.parametrize("renamed", [False, True])
def test_a_duplicate_of_the_tools_nla_strip_is_the_artists(addon, demo_scene, renamed):
    """Hostile (stop 24): the artist duplicated the tool's NLA strip (NLA > Duplicate copies the action, tag and all)
    to replay the reaction later as an encore. Remove left the copy; the next Animate took it for the tool's strip,
    rewrote it and kept it at the encore, so nothing reacted during the speech. A copy is the artist's: a re-run
    and Remove leave it and its keys as they are, with a note."""
    scene, faces, strip = demo_scene
    job, keys, compat = sub(addon, "blender.job"), sub(addon, "blender.keys"), sub(addon, "blender.compat")
    obj = faces.objects[0]
    key = obj.data.shape_keys
    key.key_blocks["eyeWideLeft"].keyframe_insert("value", frame=1)  # the artist's action: ours goes on a track
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    anim = key.animation_data
    ours = next(s for t in anim.nla_tracks for s in t.strips if keys.is_ours(s.action))
    if renamed:  # the artist renamed the tool's action: its strip still tells it
        ours.action.name = "Bob reacts"
    copy = ours.action.copy()  # what NLA > Duplicate makes (its operator needs the NLA editor)
    track = anim.nla_tracks.new()
    track.name = "Encore"
    encore = compat.new_nla_strip(track, "Encore", int(ours.frame_end) + 100, copy, key)
    encore_keys = fcurve_data(_fcurve(addon, copy, "jawOpen"))[1].copy()

    def check(notes):
        assert "Encore" in [s.name for s in track.strips] and encore.action == copy and not keys.is_ours(copy)
        assert np.array_equal(fcurve_data(_fcurve(addon, copy, "jawOpen"))[1], encore_keys)
        assert any("a copy of the tool's keys" in n and "'Encore'" in n for n in notes), notes

    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, seed=3))
    check(result.notes)
    tool = [s for t in anim.nla_tracks for s in t.strips if keys.is_ours(s.action)]
    assert len(tool) == 1 and tool[0].frame_start == compat.strip_range(strip)[0]
    assert not np.array_equal(face_curves(addon, obj)["jawOpen"][1], encore_keys)  # re-animated: the tool's own
    _n, notes = job.clear(scene, faces.name)
    assert not any(keys.is_ours(s.action) for t in anim.nla_tracks for s in t.strips)
    assert [s.name for s in track.strips] == ["Encore"] and not any("copy of the tool" in n for n in notes), notes
    # Duplicated, then Remove at once: the copy stays, and the next Animate plays at the speech, not at the encore.
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    ours = next(s for t in anim.nla_tracks for s in t.strips if keys.is_ours(s.action))
    second = compat.new_nla_strip(track, "Encore 2", int(encore.frame_end) + 100, ours.action.copy(), key)
    _n, notes = job.clear(scene, faces.name)
    assert second.name in [s.name for s in track.strips] and not keys.is_ours(second.action)
    assert any("'Encore 2'" in n for n in notes), notes
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    tool = [s for t in anim.nla_tracks for s in t.strips if keys.is_ours(s.action)]
    assert len(tool) == 1 and tool[0].frame_start == compat.strip_range(strip)[0] and tool[0] != second
    # A linked duplicate (Alt+D) plays the tool's action itself: Remove leaves that action whole with it, the
    # artist's now (before, its keys were taken out and the artist's strip played nothing).
    action = tool[0].action
    linked = compat.new_nla_strip(tool[0].id_data.animation_data.nla_tracks.new(), "Echo", int(second.frame_end) + 100,
                                  action, key)
    _n, notes = job.clear(scene, faces.name)
    assert linked.action == action and len(compat.existing_fcurves(action)) > 0 and not keys.is_ours(action)
    assert not any(keys.is_ours(s.action) for t in anim.nla_tracks for s in t.strips)
    assert any("'Echo'" in n and "a copy of the tool's keys" in n for n in notes), notes


@pytest.mark.parametrize("where", ["before, on the tool's track", "on a track below", "the tool's is active",
                                   "the tool's strip renamed"])
def test_a_linked_duplicate_of_the_tools_strip_keeps_its_keys(addon, demo_scene, where):
    """Hostile (stop 24): the artist's linked duplicate (Alt+D) plays the tool's action itself. Placed before the
    tool's strip, or on a track below, Remove took it for the tool's and deleted it; with the tool's action active
    and also in an artist's strip, Remove emptied it. The tool's strip or active action goes; the action stays
    whole with the artist's strip, theirs now, with a note."""
    scene, faces, strip = demo_scene
    job, keys, compat = sub(addon, "blender.job"), sub(addon, "blender.keys"), sub(addon, "blender.compat")
    key = faces.objects[0].data.shape_keys
    if where != "the tool's is active":
        key.key_blocks["eyeWideLeft"].keyframe_insert("value", frame=1)  # the artist's action: ours goes on a track
    below = key.animation_data_create().nla_tracks.new()  # the artist's track, under any the tool makes
    below.name = "Artist"
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    anim = key.animation_data
    action = anim.action if where == "the tool's is active" else next(
        s.action for t in anim.nla_tracks for s in t.strips if keys.is_ours(s.action))
    curves = len(compat.existing_fcurves(action))
    if where.startswith("before") or where.endswith("renamed"):
        track, ours = next((t, s) for t in anim.nla_tracks for s in t.strips if s.action == action)
        ours.frame_start_ui += 1200  # the tool's strip later, the artist's warm-up where it was
        if where.endswith("renamed"):  # which strip is the tool's cannot be told: both stay, the artist's
            ours.name = "Crowd reacts"
        linked = compat.new_nla_strip(track, "Warmup", 1, action, key)
    else:
        linked = compat.new_nla_strip(below, "Echo", 3000, action, key)
    _n, notes = job.clear(scene, faces.name)
    assert linked.name in [s.name for t in anim.nla_tracks for s in t.strips] and linked.action == action
    assert len(compat.existing_fcurves(action)) == curves and not keys.is_ours(action)
    assert anim.action is None or not keys.is_ours(anim.action)
    assert not any(keys.is_ours(s.action) for t in anim.nla_tracks for s in t.strips if s != linked)
    assert any(f"'{linked.name}'" in n and "a copy of the tool's keys" in n for n in notes), notes
    if where.endswith("renamed"):
        assert "Crowd reacts" in [s.name for t in anim.nla_tracks for s in t.strips]


def test_a_stashed_take_stays_and_the_next_run_makes_a_new_one(addon, demo_scene):
    """Hostile (stop 21): the artist stashes the tool's action (Action Editor > Stash: a muted "[Action Stash]"
    track holds it, no active action) and animates again with another seed. The re-run wrote into the stash: take
    one lost and the face still. The stash is the artist's now: a new take plays, named after the face."""
    scene, faces, strip = demo_scene
    job, keys, compat = sub(addon, "blender.job"), sub(addon, "blender.keys"), sub(addon, "blender.compat")
    obj = faces.objects[0]
    key = obj.data.shape_keys
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    take = key.animation_data.action
    jaw = fcurve_data(_fcurve(addon, take, "jawOpen"))[1].copy()
    anim = key.animation_data
    track = anim.nla_tracks.new()  # what Stash does (BKE_nla_action_stash), which needs the Action Editor
    track.name = "[Action Stash]"
    stashed = track.strips.new(take.name, int(take.frame_range[0]), take)
    if compat.has_slots(take):
        stashed.action_slot = anim.action_slot
    track.mute = True
    anim.action = None
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, seed=11))
    np.testing.assert_array_equal(fcurve_data(_fcurve(addon, take, "jawOpen"))[1], jaw)
    assert anim.action is not None and anim.action != take and keys.is_ours(anim.action)
    assert anim.action.name == f"{take.name} (2)"
    assert not np.array_equal(fcurve_data(_fcurve(addon, anim.action, "jawOpen"))[1], jaw)
    job.clear(scene, faces.name)
    assert anim.action is None and track.strips[0].action == take  # Remove takes the new one, not the stash
    np.testing.assert_array_equal(fcurve_data(_fcurve(addon, take, "jawOpen"))[1], jaw)


def _tool_strip(addon, key):
    keys = sub(addon, "blender.keys")
    return next((t, s) for t in key.animation_data.nla_tracks for s in t.strips if keys.is_ours(s.action))


def test_the_tools_strip_never_pushes_or_runs_into_the_artists_on_its_track(addon, demo_scene):
    """Hostile (stop 21): the artist put a strip of their own on the tool's NLA track, after the tool's; a longer
    speech then made the tool's strip grow, and Blender pushed the artist's strip along (or, moving, stopped the
    tool's strip at it, out of sync). The tool's strip moves to a track of its own instead, in sync, with a note."""
    scene, faces, strip = demo_scene
    job, compat = sub(addon, "blender.job"), sub(addon, "blender.compat")
    key = faces.objects[0].data.shape_keys
    key.key_blocks["mouthSmileLeft"].keyframe_insert("value", frame=1)  # the artist's action: ours goes on a track
    compat.set_strip_frame(strip, "right_handle", 300)  # the speech trimmed to its first 300 frames
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    track, ours = _tool_strip(addon, key)
    ours.blend_type, ours.influence = "ADD", 0.7
    ours.use_animated_influence = True  # the artist fades the reaction in: the strip's own F-curve
    fade = ours.fcurves.find("influence")
    fade.keyframe_points[0].co = (1, 0.2)
    fade.keyframe_points.insert(120, 0.9)
    track.lock = True
    wave = track.strips.new("my wave", 320, bpy.data.actions.new("wave"))
    wave.frame_end_ui = 400
    compat.set_strip_frame(strip, "right_handle", 826)  # the whole speech again
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    assert (wave.frame_start, wave.frame_end) == (320.0, 400.0) and list(track.strips) == [wave]
    own, ours = _tool_strip(addon, key)
    assert own != track and own.name == "Audience Reactions"
    assert list(key.animation_data.nla_tracks).index(own) == list(key.animation_data.nla_tracks).index(track) + 1
    frames = face_curves(addon, faces.objects[0])["jawOpen"][0]
    assert ours.frame_start == ours.action_frame_start == frames[0] and ours.frame_end >= frames[-1]
    assert ours.blend_type == "ADD" and ours.use_animated_influence and own.lock
    fade = ours.fcurves.find("influence")
    assert [tuple(k.co) for k in fade.keyframe_points] == [(1, pytest.approx(0.2)), (120, pytest.approx(0.9))]
    assert ours.extrapolation == "NOTHING"  # on top, a held reaction would hide "my wave" beyond its own frames
    assert any("would have run into your strip" in n and "'my wave'" in n for n in result.notes), result.notes
    again = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, seed=4))
    assert not any("run into" in n for n in again.notes) and _tool_strip(addon, key)[0] == own
    job.clear(scene, faces.name)
    assert list(track.strips) == [wave] and own not in list(key.animation_data.nla_tracks)


def test_the_artists_action_clip_trim_of_the_tools_strip_stays(addon, demo_scene):
    """Hostile (stop 21): the artist set the tool's strip to play action frames 100-300 (Strip > Action Clip); a
    re-run put the whole reaction back without a word. The trim stays, run after run, with a note."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    key = faces.objects[0].data.shape_keys
    key.key_blocks["mouthSmileLeft"].keyframe_insert("value", frame=1)
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    _track, ours = _tool_strip(addon, key)
    ours.action_frame_start, ours.action_frame_end = 100, 300
    ours.frame_start_ui = 100
    del ours.action[sub(addon, "blender.keys").CLIP]  # as a file from before the clip was noted: a trim all the same
    for settings in ({"seed": 2}, {"seed": 2, "tolerance": 0.02}, {}):  # new keys, another key count, again
        result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, **settings))
        _track, ours = _tool_strip(addon, key)
        assert (ours.action_frame_start, ours.action_frame_end, ours.frame_start) == (100, 300, 100), settings
        assert any("kept your Action Clip trim" in n for n in result.notes), result.notes


def test_a_copy_of_the_emotion_empty_is_the_artists(addon, demo_scene):
    """Hostile 22: Shift+D on the Speech Emotion empty copies the tool's tag; Remove deleted the artist's renamed,
    moved copy with the tool's. The scene points to the tool's empty: a copy is the artist's."""
    scene, faces, strip = demo_scene
    keys = sub(addon, "blender.keys")
    animate(strip=strip.name, faces=faces.name)
    empty = keys.emotion_object(scene)
    for obj in scene.objects:
        obj.select_set(False)
    empty.select_set(True)
    bpy.context.view_layer.objects.active = empty
    assert bpy.ops.object.duplicate() == {"FINISHED"}  # Shift+D
    copy = bpy.context.view_layer.objects.active
    assert copy != empty and keys.EMOTION_OBJECT_TAG in copy.keys()
    copy.name, copy.location = "Applause cue", (4.0, 0.0, 1.0)
    assert animate(strip=strip.name, faces=faces.name, seed=3) == {"FINISHED"}
    assert keys.emotion_object(scene) == empty  # the re-run keys the tool's empty, not the copy
    assert bpy.ops.audience.clear(faces=faces.name) == {"FINISHED"}
    assert "Applause cue" in bpy.data.objects and tuple(copy.location) == (4.0, 0.0, 1.0)
    assert sorted(o.name for o in bpy.data.objects if o.type == "EMPTY") == ["Applause cue"]


def test_two_crowds_on_two_speeches_keep_their_emotion_apart(addon, demo_scene):
    """Hostile 22: crowd 2 animated to its own speech; Remove on crowd 1 took crowd 2's markers and emotion
    empty. The scene remembers which crowd's run they follow."""
    scene, faces, strip = demo_scene
    demo, keys = sub(addon, "blender.demo"), sub(addon, "blender.keys")
    other = demo.build_audience(scene, rows=1, per_row=1, name="Crowd B")
    second = demo.add_speech(scene, frame=900)
    second.name, second.channel = "Speech B", 3
    animate(strip=strip.name, faces=faces.name)
    assert animate(strip=second.name, faces=other.name) == {"FINISHED"}
    markers = sorted((m.name, m.frame) for m in scene.timeline_markers)
    assert markers and min(frame for _n, frame in markers) >= 900
    empty = keys.emotion_object(scene)
    assert bpy.ops.audience.clear(faces=faces.name) == {"FINISHED"}
    assert sorted((m.name, m.frame) for m in scene.timeline_markers) == markers  # crowd 2's stay
    assert keys.emotion_object(scene) == empty and empty.animation_data.action is not None
    assert all(o.data.shape_keys.animation_data.action is None for o in faces.objects)
    assert bpy.ops.audience.clear(faces=other.name) == {"FINISHED"}  # crowd 2's own Remove takes them
    assert not len(scene.timeline_markers) and keys.emotion_object(scene) is None


def test_a_linked_emotion_empty_is_never_keyed_nor_removed(addon, demo_scene, tmp_path):
    """Hostile 22: a layout file's crowd, animated with the tool and holding its Speech Emotion empty, is linked
    into a shot. Animate keyed the linked (read-only) empty, so the shot's emotion was lost on save, and Remove
    deleted the linked object. The shot gets an empty of its own; the linked one is left alone."""
    scene, faces, strip = demo_scene
    keys = sub(addon, "blender.keys")
    animate(strip=strip.name, faces=faces.name)
    faces.objects.link(keys.emotion_object(scene))  # the layout artist keeps it with the crowd
    crowd, layout = faces.name, str(tmp_path / "layout.blend")
    bpy.ops.wm.save_as_mainfile(filepath=layout)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    shot = bpy.context.scene
    with bpy.data.libraries.load(layout, link=True) as (_src, dst):
        dst.collections = [crowd]
    shot.collection.children.link(dst.collections[0])
    demo = sub(addon, "blender.demo")
    hero = demo.build_audience(shot, rows=1, per_row=2, name="Hero crowd")
    strip = demo.add_speech(shot, frame=40)
    linked = next(o for o in shot.objects if keys.EMOTION_OBJECT_TAG in o.keys())
    before = fcurve_data(sub(addon, "blender.compat").existing_fcurves(linked.animation_data.action)[0])
    assert animate(strip=strip.name, faces=hero.name) == {"FINISHED"}
    own = keys.emotion_object(shot)
    assert own is not None and own.library is None
    assert fcurve_data(sub(addon, "blender.compat").existing_fcurves(own.animation_data.action)[0])[0][0] == 40
    after = fcurve_data(sub(addon, "blender.compat").existing_fcurves(linked.animation_data.action)[0])
    np.testing.assert_array_equal(before[0], after[0])
    assert bpy.ops.audience.clear(faces=hero.name) == {"FINISHED"}
    assert linked.name in dst.collections[0].objects and keys.emotion_object(shot) is None


def test_remove_leaves_a_value_the_artist_set_after_deleting_the_tools_curve(addon, demo_scene):
    """Hostile 22: the artist deletes one of the tool's curves (as the README says to) and sets that shape key by
    hand; Remove put back the value from before the first run over it."""
    scene, faces, strip = demo_scene
    obj = faces.objects[0]
    key = obj.data.shape_keys
    key.key_blocks["jawOpen"].value = 0.2
    animate(strip=strip.name, faces=faces.name)
    action = key.animation_data.action
    sub(addon, "blender.compat").remove_fcurves(action, [_fcurve(addon, action, "eyeBlinkLeft")])
    key.key_blocks["eyeBlinkLeft"].value = 0.35  # a sleepy eye, set by hand
    assert bpy.ops.audience.clear(faces=faces.name) == {"FINISHED"}
    assert key.key_blocks["eyeBlinkLeft"].value == pytest.approx(0.35)
    assert key.key_blocks["jawOpen"].value == pytest.approx(0.2)  # the tool's curve went: its value came back


def test_remove_gives_back_the_pose_from_before_this_run_not_an_older_one(addon, demo_scene):
    """Hostile 22: the artist took the tool's action off by hand, posed the face again and re-animated; Remove
    put back the pose from before the first run (the remembered values outlived the action)."""
    scene, faces, strip = demo_scene
    key = faces.objects[0].data.shape_keys
    animate(strip=strip.name, faces=faces.name)
    action = key.animation_data.action
    key.animation_data.action = None
    bpy.data.actions.remove(action)
    key.key_blocks["jawOpen"].value = 0.6
    animate(strip=strip.name, faces=faces.name, seed=4)
    scene.frame_set(200)
    assert bpy.ops.audience.clear(faces=faces.name) == {"FINISHED"}
    assert key.key_blocks["jawOpen"].value == pytest.approx(0.6)


def _link_into_a_shot(collection_name: str, library: str, override=True):
    """Save this file as `library`, start a new shot and link the collection into it (an instance); with
    `override`, override it (Object > Library Override > Make) and its mesh data too. Returns (shot scene, the
    linked collection, the override or None)."""
    bpy.ops.wm.save_as_mainfile(filepath=library)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    shot = bpy.context.scene
    with bpy.data.libraries.load(library, link=True) as (_src, dst):
        dst.collections = [collection_name]
    linked = dst.collections[0]
    holder = bpy.data.objects.new(collection_name, None)
    holder.instance_type, holder.instance_collection = "COLLECTION", linked
    shot.collection.objects.link(holder)
    made = linked.override_hierarchy_create(shot, bpy.context.view_layer) if override else None
    for obj in made.all_objects if made is not None else ():
        if obj.type == "MESH":
            obj.data.override_create(remap_local_usages=True)
    return shot, linked, made


def test_a_crowd_asset_animated_in_its_own_file_then_linked_and_overridden(addon, demo_scene, tmp_path):
    """Hostile 22: a crowd animated with the tool in its own file, linked into a shot and overridden (objects and
    meshes). Animate failed with a traceback (it renamed the linked action) and left a stray copy. Each face now
    gets a local copy of the library's action, which is left as it is, with a note; Remove leaves the library's."""
    scene, faces, strip = demo_scene
    compat = sub(addon, "blender.compat")
    animate(strip=strip.name, faces=faces.name)
    shot, _linked, override = _link_into_a_shot(faces.name, str(tmp_path / "crowd_asset.blend"))
    meshes = [o for o in override.all_objects if o.type == "MESH"]
    strip = sub(addon, "blender.demo").add_speech(shot, frame=30)
    key = meshes[0].data.shape_keys
    library_action = key.animation_data.action
    assert library_action.library is not None
    before = fcurve_data(_fcurve(addon, library_action, "jawOpen"))
    job = sub(addon, "blender.job")
    result = job.animate(shot, job.Settings(strip=strip.name, faces=override.name))
    mine = key.animation_data.action
    assert mine.library is None and mine != library_action
    assert fcurve_data(_fcurve(addon, mine, "jawOpen"))[0][0] == 30
    np.testing.assert_array_equal(fcurve_data(_fcurve(addon, library_action, "jawOpen"))[0], before[0])
    assert any("linked file" in n and meshes[0].name in n for n in result.notes), result.notes
    local = sorted(a.name for a in bpy.data.actions if a.library is None)
    assert len(local) == len(meshes) + 1  # one a face, and the shot's Speech Emotion: no stray copy
    _n, notes = job.clear(shot, override.name)
    assert all(compat.existing_fcurves(a) for a in bpy.data.actions if a.library is not None)
    assert key.animation_data.action == library_action  # the library's reaction plays again
    _n, notes = job.clear(shot, override.name)
    assert any("linked file" in n and meshes[0].name in n for n in notes), notes


def test_muted_shape_keys_are_named_and_absolute_ones_are_left(addon, demo_scene):
    """Hostile 22: muted shape keys and a face with absolute shape keys (Relative off) were keyed without a word,
    though the keys cannot show. Muted ones are keyed with a note (they show once unmuted); an absolute face is
    not animated, and a crowd of nothing else is refused."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    muted, absolute = faces.objects[0], faces.objects[1]
    muted.data.shape_keys.key_blocks["jawOpen"].mute = True
    absolute.data.shape_keys.use_relative = False
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    assert any("muted" in n and f"{muted.name}: jawOpen" in n for n in result.notes), result.notes
    assert any("absolute shape keys" in n and absolute.name in n for n in result.notes), result.notes
    assert "jawOpen" in face_curves(addon, muted)
    assert absolute.data.shape_keys.animation_data is None
    job.clear(scene, faces.name)
    for obj in faces.objects:
        obj.data.shape_keys.use_relative = False
    with pytest.raises(sub(addon, "blender.errors").AudienceError, match="Relative is off"):
        job.prepare(scene, job.Settings(strip=strip.name, faces=faces.name))


def test_a_shape_key_renamed_between_runs_keeps_the_tools_keys_the_tools(addon, demo_scene):
    """Hostile 22: the artist renamed jawOpen (Blender renames its curve's path with it); the tool's untouched
    keys on it were then called "curves you edited" and never removed, and the value from before never came
    back. The tool knows its curve by its fingerprint: a re-run takes it off (the preset's jawOpen is gone) and
    puts the value back."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    key = faces.objects[0].data.shape_keys
    key.key_blocks["jawOpen"].value = 0.2
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    key.key_blocks["jawOpen"].name = "jawOpen_sculpt"
    assert "jawOpen_sculpt" in face_curves(addon, faces.objects[0])
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, seed=3))
    assert not any("you edited" in n for n in result.notes), result.notes
    assert "jawOpen_sculpt" not in face_curves(addon, faces.objects[0])
    scene.frame_set(20)
    assert key.key_blocks["jawOpen_sculpt"].value == pytest.approx(0.2)
    # Renamed after the re-run, then Remove: the same.
    key.key_blocks["mouthSmileLeft"].value = 0.0
    key.key_blocks["mouthSmileLeft"].name = "smile_L"
    _n, notes = job.clear(scene, faces.name)
    assert not any("you edited" in n for n in notes), notes
    assert key.animation_data.action is None


def test_overridden_faces_get_their_values_back_after_the_file_is_reopened(addon, demo_scene, tmp_path):
    """Hostile 22: on library-overridden faces the values from before Animate were kept on the Key, where an
    override does not save them: after save and reopen, Remove left jawOpen at 0 instead of the library's 0.25.
    They are kept on the tool's action now."""
    scene, faces, _strip = demo_scene
    for obj in faces.objects:
        obj.data.shape_keys.key_blocks["jawOpen"].value = 0.25
    shot, _linked, override = _link_into_a_shot(faces.name, str(tmp_path / "crowd_lib.blend"))
    strip = sub(addon, "blender.demo").add_speech(shot)
    assert animate(strip=strip.name, faces=override.name) == {"FINISHED"}
    shot_file, name = str(tmp_path / "shot.blend"), override.name
    bpy.ops.wm.save_as_mainfile(filepath=shot_file)
    bpy.ops.wm.open_mainfile(filepath=shot_file)
    bpy.context.scene.frame_set(300)
    assert bpy.ops.audience.clear(faces=name) == {"FINISHED"}
    values = [o.data.shape_keys.key_blocks["jawOpen"].value for o in bpy.data.collections[name].all_objects]
    assert values == pytest.approx([0.25] * len(values))


def test_values_remembered_on_the_key_by_an_older_file_still_come_back(addon, demo_scene):
    """Files of before kept the values from before Animate on the face's Key: Remove and a re-run still read them
    there (and a re-run moves them onto the tool's action)."""
    scene, faces, strip = demo_scene
    keys = sub(addon, "blender.keys")
    key = faces.objects[0].data.shape_keys
    key.key_blocks["jawOpen"].value = 0.3
    animate(strip=strip.name, faces=faces.name)
    action = key.animation_data.action
    key[keys.REST] = action.pop(keys.REST)  # as an older version saved it
    scene.frame_set(200)
    assert bpy.ops.audience.clear(faces=faces.name) == {"FINISHED"}
    assert key.key_blocks["jawOpen"].value == pytest.approx(0.3) and keys.REST not in key.keys()
    animate(strip=strip.name, faces=faces.name)
    key[keys.REST] = key.animation_data.action.pop(keys.REST)
    animate(strip=strip.name, faces=faces.name, seed=2)
    assert keys.REST not in key.keys() and "jawOpen" in key.animation_data.action[keys.REST]


def test_linked_faces_and_overridden_objects_with_linked_meshes_say_what_to_do(addon, demo_scene, tmp_path):
    """Linked faces cannot be keyed: the message says to override them; objects overridden but with their mesh
    data still linked (Object > Library Override only) are told to override the mesh data too."""
    _scene, faces, _strip = demo_scene
    shot, linked, _none = _link_into_a_shot(faces.name, str(tmp_path / "crowd_lib.blend"), override=False)
    job, errors = sub(addon, "blender.job"), sub(addon, "blender.errors")
    with pytest.raises(errors.AudienceError, match="make a library override first"):
        job.find_faces(linked.name)
    override = linked.override_hierarchy_create(shot, bpy.context.view_layer)  # the objects only
    with pytest.raises(errors.AudienceError, match="mesh data is still linked.*override the mesh data too"):
        job.find_faces(override.name)


def test_renames_the_tool_cannot_tell_apart_and_curves_moved_onto_other_keys_are_the_artists(addon, demo_scene):
    """Hostile 22b: the two blink curves are alike (one fingerprint); renamed both, re-run and Remove failed with a
    KeyError halfway through the crowd. A tool curve the artist moved onto another shape key (F-Curve > RNA Path)
    was taken for a renamed one and deleted by the re-run. Now a rename is recognised only when the old shape key
    is gone and the match is one-to-one; the rest is the artist's."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    first, second = faces.objects[0], faces.objects[1]
    first.shape_key_add(name="jawCorrective", from_mix=False)
    job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    blocks = first.data.shape_keys.key_blocks
    blocks["eyeBlinkLeft"].name, blocks["eyeBlinkRight"].name = "eyeBlink_L", "eyeBlink_R"
    moved = _fcurve(addon, second.data.shape_keys.animation_data.action, "jawOpen")
    second.shape_key_add(name="jawCorrective", from_mix=False)
    moved.data_path = 'key_blocks["jawCorrective"].value'
    frames = fcurve_data(moved)
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name, seed=3))
    assert any("eyeBlink_L" in n and "eyeBlink_R" in n for n in result.notes), result.notes
    np.testing.assert_array_equal(fcurve_data(moved)[1], frames[1])  # the artist's now: not touched
    _n, notes = job.clear(scene, faces.name)
    assert {"eyeBlink_L", "eyeBlink_R"} <= set(face_curves(addon, first, with_blinks=True))
    assert set(face_curves(addon, second)) == {"jawCorrective"}
    assert all(o.data.shape_keys.animation_data.action is None for o in faces.objects if o not in (first, second))


def test_values_from_before_that_are_not_numbers_are_not_put_back(addon, demo_scene):
    """Hostile 22b: a NaN in the remembered values (edited by hand) set the shape key to NaN on Remove."""
    scene, faces, strip = demo_scene
    keys = sub(addon, "blender.keys")
    key = faces.objects[0].data.shape_keys
    animate(strip=strip.name, faces=faces.name)
    key.animation_data.action[keys.REST] = '{"jawOpen": NaN, "mouthSmileLeft": true, "eyeWideLeft": 0.4}'
    assert bpy.ops.audience.clear(faces=faces.name) == {"FINISHED"}
    assert np.isfinite(key.key_blocks["jawOpen"].value) and key.key_blocks["mouthSmileLeft"].value != 1.0
    assert key.key_blocks["eyeWideLeft"].value == pytest.approx(0.4)


def test_an_older_file_with_two_tagged_empties_takes_neither(addon, demo_scene):
    """Hostile 22b: a file from before the scene pointed to its empty, holding the artist's Shift+D copy of it: the
    first tagged object was taken, which could be the copy (re-keyed, then deleted by Remove). Neither is taken
    now: the run makes a new empty and both stay."""
    scene, faces, strip = demo_scene
    keys = sub(addon, "blender.keys")
    animate(strip=strip.name, faces=faces.name)
    empty = keys.emotion_object(scene)
    copy = empty.copy()
    copy.name = "A copy of mine"
    scene.collection.objects.link(copy)
    del scene[keys.EMPTY]  # as an older version saved it
    assert keys.emotion_object(scene) is None
    animate(strip=strip.name, faces=faces.name)
    made = keys.emotion_object(scene)
    assert made not in (empty, copy)
    names = {empty.name, "A copy of mine", made.name}
    assert bpy.ops.audience.clear(faces=faces.name) == {"FINISHED"}
    assert names & set(bpy.data.objects.keys()) == {empty.name, "A copy of mine"}


def test_a_slider_range_that_cuts_the_reaction_is_named(addon, demo_scene):
    """Hostile (stop 24): jawOpen's Range Max was 0.2; the tool keyed up to 0.27 and Blender showed 0.2, a flattened
    reaction without a word. The keys stay as the reaction is (the range is the artist's), with a note."""
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    assert not any("slider range" in n for n in result.notes), result.notes
    obj = faces.objects[0]
    peak = face_curves(addon, obj)["jawOpen"][1].max()
    assert peak > 0.05
    obj.data.shape_keys.key_blocks["jawOpen"].slider_max = round(peak / 2, 3)
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    assert any("slider range cuts" in n and f"{obj.name}: jawOpen (0 to {round(peak / 2, 3):g})" in n
               for n in result.notes), result.notes
    # The artist takes the curve over (a key edited): it is theirs, kept as it is, and no note about its range.
    curve = _fcurve(addon, obj.data.shape_keys.animation_data.action, "jawOpen")
    curve.keyframe_points[1].co.y = 0.05
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    assert any("you edited" in n and "jawOpen" in n for n in result.notes), result.notes
    assert not any("slider range" in n for n in result.notes), result.notes
