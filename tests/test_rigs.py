"""Any common rig, no setup: each face's shape-key naming is found from its own keys (ARKit 52, Faceshift, VRoid),
mixed crowds animate in one go, and what a kind of rig lacks is said once."""
import numpy as np
import pytest
import bpy

from conftest import HAS_AUDIO, face_curves, needs_audio, sub
from crowd.presets import ARKIT, BLINKS, FACESHIFT, VROID, detect, match

ARKIT_FACE = sorted({k for row in ARKIT.values() for k in row}) + list(BLINKS["ARKIT"])
FACESHIFT_FACE = sorted({k for row in FACESHIFT.values() for k in row}) + list(BLINKS["FACESHIFT"])
VROID_FACE = sorted({k for row in VROID.values() for k in row}) + list(BLINKS["VROID"]) + [
    "Fcl_ALL_Neutral", "Fcl_ALL_Joy", "Fcl_ALL_Angry", "Fcl_ALL_Sorrow", "Fcl_ALL_Fun", "Fcl_ALL_Surprised",
    "Fcl_MTH_A", "Fcl_MTH_I", "Fcl_HA_Hide"]


def test_naming_is_detected_from_the_keys():
    assert detect(["Basis", *ARKIT_FACE]) == "ARKIT"
    assert detect(["Basis", *FACESHIFT_FACE]) == "FACESHIFT"
    assert detect(["Basis", *VROID_FACE]) == "VROID"
    assert detect(["Basis", "Fcl_ALL_Joy", "Fcl_ALL_Angry", "Fcl_ALL_Sorrow"]) == "VROID"
    from crowd.presets import ARKIT_52

    assert detect(["Basis", *VROID_FACE, *ARKIT_52]) == "ARKIT"  # a VRoid model with Perfect Sync keys
    assert detect(["Basis", "Key 1", "Key 2", "smile_big"]) is None
    assert detect(["Basis", "jawOpen", "mouthSmileLeft", "Key 1"]) == "ARKIT"  # a face with only a few keys
    assert detect(["Basis", "sil", "PP", "CH", "aa", "E"]) is None  # a viseme rig's "CH" says nothing
    assert detect(["Basis", "JAWOPEN", "MOUTHSMILELEFT"]) is None  # two loosely spelled names say too little
    # Blender's side suffixes and other spellings of the ARKit names
    dotted = [n.replace("Left", ".L").replace("Right", ".R") for n in ARKIT_FACE]
    assert detect(dotted) == "ARKIT"
    assert match(["mouthSmileLeft", "jawOpen", "tongueOut"], ["Mouth_Smile_L", "JawOpen"]) == {
        "mouthSmileLeft": "Mouth_Smile_L", "jawOpen": "JawOpen"}
    assert match(["jawOpen"], ["jaw_open", "JawOpen"]) == {}  # two candidates: neither is guessed
    # A VRM 0.x export puts the mesh's name before VRoid's: Face.M_F00_000_00_Fcl_ALL_Joy
    vrm0 = [f"Face.M_F00_000_00_{n}" for n in VROID_FACE]
    assert detect(["Basis", *vrm0]) == "VROID"
    assert match(["Fcl_ALL_Joy", VROID_FACE[0], "Fcl_HA_Nope"], vrm0) == {
        "Fcl_ALL_Joy": "Face.M_F00_000_00_Fcl_ALL_Joy", VROID_FACE[0]: f"Face.M_F00_000_00_{VROID_FACE[0]}"}
    assert detect(["Basis", "Face.M_F00_000_00_Fcl_ALL_Joy", "Face.M_F00_000_00_Fcl_ALL_Angry",
                   "Face.M_F00_000_00_Fcl_ALL_Sorrow"]) == "VROID"
    assert detect(["Basis", "MyFcl_Joy", "Fclean", "Fcl"]) is None  # "Fcl_" only after a separator or first


def _face(collection, name: str, shape_keys, x: float = 0.0):
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (1, 0, 1), (0, 0, 1)], [], [(0, 1, 2, 3)])
    obj = bpy.data.objects.new(name, mesh)
    obj.location.x = x
    collection.objects.link(obj)
    obj.shape_key_add(name="Basis", from_mix=False)
    for shape_key in shape_keys:
        block = obj.shape_key_add(name=shape_key, from_mix=False)
        block.data[2].co.z += 0.1
        block.value = 0.0
    return obj


@pytest.fixture
def mixed(addon, empty_scene):
    """A crowd of two ARKit heads, one Faceshift head, two VRoid heads and a prop of no known naming."""
    demo = sub(addon, "blender.demo")
    collection = bpy.data.collections.new("Mixed")
    empty_scene.collection.children.link(collection)
    faces = {"Arkit.A": ARKIT_FACE, "Arkit.B": ARKIT_FACE[:-6],  # B lacks six of the preset's keys
             "Faceshift.A": FACESHIFT_FACE, "Vroid.A": VROID_FACE, "Vroid.B": VROID_FACE,
             "Prop": ["Open", "Closed"]}
    for i, (name, shape_keys) in enumerate(faces.items()):
        _face(collection, name, shape_keys, 2.0 * i)
    strip = demo.add_speech(empty_scene) if HAS_AUDIO else None  # the 4.2 wheel has no audio
    return empty_scene, collection, strip


def test_the_tab_shows_what_was_found(addon, mixed):
    scene, collection, _strip = mixed
    kinds = sub(addon, "blender.job").rig_kinds(collection)
    assert kinds == {"ARKIT": 2, "FACESHIFT": 1, "VROID": 2, None: 1}
    lines = sub(addon, "panels.sidebar").detected_lines(kinds)
    assert lines[0][0] == "ARKit 52: 2, VRoid: 2, Faceshift: 1"
    assert lines[1][0].startswith("1 face of no known naming")
    assert scene.audience.preset == "AUTO"  # the default: nothing to set up


@needs_audio
def test_a_mixed_crowd_in_one_click(addon, mixed):
    scene, collection, strip = mixed
    job = sub(addon, "blender.job")
    result = job.animate(scene, job.Settings(strip=strip.name, faces=collection.name))
    assert sorted(result.faces) == ["Arkit.A", "Arkit.B", "Faceshift.A", "Vroid.A", "Vroid.B"]
    for name, wanted in (("Arkit.A", ARKIT_FACE), ("Faceshift.A", FACESHIFT_FACE), ("Vroid.A", VROID_FACE)):
        curves = face_curves(addon, collection.objects[name], with_blinks=True)
        kind = detect(wanted)
        table = {"ARKIT": ARKIT, "FACESHIFT": FACESHIFT, "VROID": VROID}[kind]
        assert set(curves) == {k for row in table.values() for k in row} | set(BLINKS[kind]), name
        assert max(v.max() for _f, v in curves.values()) > 0.1
    # What a kind lacks is said once for that kind; the prop is named, not animated.
    lacking = [n for n in result.notes if "lack shape keys of that naming" in n]
    assert len(lacking) == 1 and lacking[0].startswith("ARKit 52 faces (2)") and "not on some: " in lacking[0]
    assert "not on any" not in lacking[0]
    assert ARKIT_FACE[-6] in lacking[0] and "Faceshift" not in " ".join(lacking)
    assert any("no naming the tool knows" in n and "Prop" in n for n in result.notes)
    assert not face_curves(addon, collection.objects["Prop"])


@needs_audio
def test_a_vrm0_export_animates_as_vroid(addon, empty_scene):
    """The names a VRM 0.x import carries (the mesh's name first) are VRoid's: detected and keyed, no setup."""
    demo, job = sub(addon, "blender.demo"), sub(addon, "blender.job")
    collection = bpy.data.collections.new("Vrm0")
    empty_scene.collection.children.link(collection)
    prefix = "Face.M_F00_000_00_"
    _face(collection, "Vrm0", [prefix + n for n in VROID_FACE])
    strip = demo.add_speech(empty_scene)
    assert job.rig_kinds(collection) == {"VROID": 1}
    result = job.animate(empty_scene, job.Settings(strip=strip.name, faces=collection.name))
    assert result.faces == ["Vrm0"]
    curves = face_curves(addon, collection.objects["Vrm0"], with_blinks=True)
    assert set(curves) == {prefix + k for row in VROID.values() for k in row} | {prefix + k for k in BLINKS["VROID"]}
    assert max(v.max() for _f, v in curves.values()) > 0.1


@needs_audio
def test_a_preset_overrides_the_detection(addon, mixed):
    scene, collection, strip = mixed
    job = sub(addon, "blender.job")
    result = job.animate(scene, job.Settings(strip=strip.name, faces=collection.name, preset="VROID"))
    assert sorted(result.faces) == ["Vroid.A", "Vroid.B"]
    assert any("none of the preset's shape keys" in n for n in result.notes)


@needs_audio
def test_unknown_naming_says_what_to_do(addon, empty_scene):
    demo = sub(addon, "blender.demo")
    collection = bpy.data.collections.new("Props")
    empty_scene.collection.children.link(collection)
    _face(collection, "Prop", ["Open", "Closed"])
    strip = demo.add_speech(empty_scene)
    with pytest.raises(RuntimeError, match="follow no naming the tool knows.*Custom Table"):
        bpy.ops.audience.animate(strip=strip.name, faces=collection.name)


@needs_audio
def test_odd_spellings_are_keyed_under_the_faces_own_names(addon, empty_scene):
    demo = sub(addon, "blender.demo")
    collection = bpy.data.collections.new("Dotted")
    empty_scene.collection.children.link(collection)
    dotted = [n.replace("Left", ".L").replace("Right", ".R") for n in ARKIT_FACE]
    obj = _face(collection, "Dotted", dotted)
    strip = demo.add_speech(empty_scene)
    assert bpy.ops.audience.animate(strip=strip.name, faces=collection.name) == {"FINISHED"}
    curves = face_curves(addon, obj, with_blinks=True)
    assert set(curves) == set(dotted)
    assert np.isfinite(np.concatenate([v for _f, v in curves.values()])).all()


def test_the_flagship_demo_needs_no_warning(addon, demo_scene):
    scene, faces, strip = demo_scene
    job = sub(addon, "blender.job")
    result = job.animate(scene, job.Settings(strip=strip.name, faces=faces.name))
    assert result.notes == [] and len(result.faces) == 6


def _driven(obj, name):
    obj.data.shape_keys.key_blocks[name].driver_add("value").driver.expression = "0.2"


@needs_audio
def test_a_driven_key_is_not_swapped_for_a_look_alike(addon, empty_scene):
    """The artist drives mouthSmileLeft/Right and keeps their own mouthSmile_L/_R: the tool keys neither."""
    demo = sub(addon, "blender.demo")
    collection = bpy.data.collections.new("Driven")
    empty_scene.collection.children.link(collection)
    obj = _face(collection, "Driven", ARKIT_FACE + ["mouthSmile_L", "mouthSmile_R"])
    for name in ("mouthSmileLeft", "mouthSmileRight"):
        _driven(obj, name)
    strip = demo.add_speech(empty_scene)
    job = sub(addon, "blender.job")
    result = job.animate(empty_scene, job.Settings(strip=strip.name, faces=collection.name))
    curves = face_curves(addon, obj, with_blinks=True)
    assert not {"mouthSmileLeft", "mouthSmileRight", "mouthSmile_L", "mouthSmile_R"} & set(curves)
    assert "jawOpen" in curves or "browDownLeft" in curves
    assert any("drivers" in n and "Driven: mouthSmileLeft" in n for n in result.notes), result.notes


@needs_audio
def test_faces_of_a_known_naming_with_nothing_to_key_say_why(addon, empty_scene):
    demo = sub(addon, "blender.demo")
    strip = demo.add_speech(empty_scene)
    driven = bpy.data.collections.new("AllDriven")
    empty_scene.collection.children.link(driven)
    names = sorted({k for row in ARKIT.values() for k in row})
    obj = _face(driven, "AllDriven", names)
    for name in names:
        _driven(obj, name)
    with pytest.raises(RuntimeError, match="every shape key the tool would key on these faces is set by a driver"):
        bpy.ops.audience.animate(strip=strip.name, faces=driven.name)
    bare = bpy.data.collections.new("BareVroid")
    empty_scene.collection.children.link(bare)
    _face(bare, "BareVroid", ["Fcl_HA_Hide", "Fcl_ALL_Neutral", "Fcl_MTH_Close"])
    with pytest.raises(RuntimeError, match="look like VRoid faces but have none of the shape keys that preset keys"):
        bpy.ops.audience.animate(strip=strip.name, faces=bare.name)


def test_a_custom_table_of_keys_no_face_has_names_them(addon, empty_scene):
    """Hostile F9: a Custom Table whose rows name only keys the faces lack said "names no shape key the faces have"
    without saying which keys it named."""
    job = sub(addon, "blender.job")
    faces = sub(addon, "blender.demo").build_audience(empty_scene, rows=1, per_row=2)
    pairs = [(o, o.data.shape_keys) for o in faces.objects]
    settings = job.Settings(strip="Speech", faces=faces.name, preset="CUSTOM",
                            custom={"happy": {"NoSuchKey": 1.0}, "sad": {"frownTypo": 0.5}})
    with pytest.raises(sub(addon, "blender.errors").AudienceError,
                       match=r"preset CUSTOM names no shape key the faces have \(it names NoSuchKey, frownTypo; "
                             r"faces have e\.g\. "):
        job.plan_faces(pairs, settings)


def test_two_table_names_for_one_face_key_are_named_as_such(addon, empty_scene):
    """Hostile round 23: a Custom Table naming 'mouthSmile.L' and 'mouthSmileLeft' (one key to the faces, which
    match names loosely) keyed one of them, and the note said the faces lacked the other."""
    job = sub(addon, "blender.job")
    faces = sub(addon, "blender.demo").build_audience(empty_scene, rows=1, per_row=2)
    pairs = [(o, o.data.shape_keys) for o in faces.objects]
    settings = job.Settings(strip="Speech", faces=faces.name, preset="CUSTOM",
                            custom={"happy": {"mouthSmileLeft": 0.9}, "sad": {"mouthSmile.L": 0.2}})
    _rigs, plans, notes = job.plan_faces(pairs, settings)
    assert all(plan.keys == ["mouthSmileLeft"] for plan in plans) and len(plans) == 2
    assert any("'mouthSmile.L' and 'mouthSmileLeft' are one shape key on 2 faces" in n for n in notes), notes
    assert not any("lack" in n for n in notes), notes
