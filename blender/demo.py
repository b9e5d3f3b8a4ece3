"""A small procedural audience (no external assets) and a sound strip: the demo and the tests' scene."""
from __future__ import annotations

import math
import os

import bmesh
import numpy as np

import bpy
from mathutils import Matrix

from . import compat

DEMO_SPEECH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "demo", "speech.flac")
# Every shape key the ARKit preset names, and the blinks: the flagship demo lacks none of them.
DEMO_KEYS = ("browInnerUp", "browDownLeft", "browDownRight", "browOuterUpLeft", "browOuterUpRight",
             "eyeWideLeft", "eyeWideRight", "eyeSquintLeft", "eyeSquintRight", "eyeLookDownLeft", "eyeLookDownRight",
             "eyeBlinkLeft", "eyeBlinkRight", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft", "noseSneerRight",
             "jawOpen", "jawForward", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
             "mouthPressLeft", "mouthPressRight", "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft",
             "mouthUpperUpRight", "mouthFunnel")
SIDES = (("Left", 1.0), ("Right", -1.0))  # the face's own left is at +X: it looks down -Y, at the camera
PART_LAYER = "demo_part"


def _material(name: str, color, roughness: float = 0.6) -> bpy.types.Material:
    mat = bpy.data.materials.get(name) or bpy.data.materials.new(name)
    mat.diffuse_color = (*color, 1.0)
    mat.roughness = roughness
    bsdf = compat.shader_nodes(mat).nodes.get("Principled BSDF")
    if bsdf:
        bsdf.inputs["Base Color"].default_value = (*color, 1.0)
        bsdf.inputs["Roughness"].default_value = roughness
    return mat


# part: (centre, half-size, material slot, (u, v) segments); slots: skin, eye white, dark, lips, hair, cloth, cheek
PARTS = {
    "body": ((0.0, 0.25, -1.85), (1.15, 0.75, 0.72), 5, (32, 16)),
    "head": ((0.0, 0.0, 0.0), (1.0, 0.95, 1.15), 0, (32, 20)),
    "hair": ((0.0, 0.08, 0.22), (1.06, 1.02, 1.1), 4, (32, 20)),
    "nose": ((0.0, -0.97, 0.0), (0.12, 0.1, 0.15), 0, (12, 8)),
    "mouth": ((0.0, -0.86, -0.46), (0.34, 0.09, 0.085), 3, (24, 10)),
    **{f"eye{side}": ((0.34 * sign, -0.8, 0.26), (0.2, 0.12, 0.22), 1, (16, 10)) for side, sign in SIDES},
    **{f"pupil{side}": ((0.34 * sign, -0.915, 0.24), (0.09, 0.04, 0.1), 2, (12, 8)) for side, sign in SIDES},
    **{f"brow{side}": ((0.36 * sign, -0.86, 0.64), (0.2, 0.05, 0.05), 2, (12, 6)) for side, sign in SIDES},
    **{f"cheek{side}": ((0.52 * sign, -0.72, -0.12), (0.17, 0.1, 0.12), 6, (12, 8)) for side, sign in SIDES},
}


def _keep(name: str, local: np.ndarray) -> bool:
    """Which vertices of a part's sphere are kept: the hair is a cap over the crown and the back of the head."""
    if name == "hair":
        return local[2] > 0.29 - 0.54 * local[1]
    return True


def face_mesh(name: str) -> tuple:
    """(mesh, parts {part: (vertex indices, centre, half-size)}) of one cartoon face looking down -Y.

    Each vertex is tagged with its part while the mesh is built and found by that tag afterwards:
    building (and bmesh's own clean-up) renumbers vertices, so counting them would point at the wrong ones.
    """
    bm = bmesh.new()
    layer = bm.verts.layers.int.new(PART_LAYER)
    for number, (part, (centre, size, material, segments)) in enumerate(PARTS.items()):
        matrix = Matrix.Translation(centre) @ Matrix.Diagonal((*size, 1.0))
        made = bmesh.ops.create_uvsphere(bm, u_segments=segments[0], v_segments=segments[1], radius=1.0,
                                         matrix=matrix)["verts"]
        cut = [v for v in made if not _keep(part, (np.array(v.co) - centre) / size)]
        if cut:
            bmesh.ops.delete(bm, geom=cut, context="VERTS")
        kept = [v for v in made if v.is_valid]
        for v in kept:
            v[layer] = number
        for face in {f for v in kept for f in v.link_faces}:
            face.material_index = material
    mesh = bpy.data.meshes.new(name)
    bm.to_mesh(mesh)
    bm.free()
    tags = np.empty(len(mesh.vertices), dtype=np.int32)
    mesh.attributes[PART_LAYER].data.foreach_get("value", tags)
    mesh.attributes.remove(mesh.attributes[PART_LAYER])
    parts = {part: (np.flatnonzero(tags == number), np.array(centre), np.array(size))
             for number, (part, (centre, size, _m, _s)) in enumerate(PARTS.items())}
    for poly in mesh.polygons:
        poly.use_smooth = True
    return mesh, parts


def _shape_offsets(co: np.ndarray, parts: dict) -> dict:
    """Vertex offsets per demo shape key; each moves only its own part (tests/test_demo.py checks it)."""
    keys = {k: np.zeros_like(co) for k in DEMO_KEYS}

    def local(part):
        index, centre, size = parts[part]
        return index, (co[index] - centre) / size

    m, u = local("mouth")
    for side, sign in SIDES:
        corner = np.clip(sign * u[:, 0], 0.0, 1.0) ** 2          # 1 at this side's corner, 0 from the middle on
        half = np.clip(0.5 + 2.0 * sign * u[:, 0], 0.0, 1.0)      # this side's half (the two add up to 1)
        keys[f"mouthSmile{side}"][m] += np.c_[sign * 0.05 * corner, -0.02 * corner, 0.2 * corner]
        keys[f"mouthFrown{side}"][m, 2] -= 0.17 * corner
        keys[f"mouthStretch{side}"][m] += np.c_[sign * 0.09 * np.sqrt(corner), 0 * corner, -0.05 * corner]
        keys[f"mouthPress{side}"][m, 2] -= 0.055 * u[:, 2] * half
        keys[f"mouthUpperUp{side}"][m, 2] += 0.09 * np.clip(u[:, 2], 0.0, 1.0) * half
    keys["mouthFunnel"][m] += np.c_[-0.12 * u[:, 0], -0.05 * np.ones(len(m)), 0.05 * u[:, 2]]
    keys["jawOpen"][m, 2] -= 0.24 * np.clip(-u[:, 2], 0.0, 1.0) + 0.02
    keys["jawForward"][m, 1] -= 0.06 * np.clip(-u[:, 2], 0.0, 1.0)
    n, u = local("nose")
    for side, sign in SIDES:
        half = np.clip(0.5 + sign * u[:, 0], 0.0, 1.0)
        keys[f"noseSneer{side}"][n] += np.c_[sign * 0.025 * half, 0 * half, 0.07 * half * (1 + u[:, 2]) / 2]
    for side, sign in SIDES:
        for part in (f"eye{side}", f"pupil{side}"):
            e, _u = local(part)
            height = co[e, 2] - parts[f"eye{side}"][1][2]            # from the eye's own middle
            keys[f"eyeBlink{side}"][e, 2] -= 0.9 * height
            keys[f"eyeWide{side}"][e, 2] += 0.45 * height
            keys[f"eyeSquint{side}"][e, 2] -= 0.6 * np.minimum(height, 0.0) - 0.1 * np.maximum(height, 0.0)
        p, _u = local(f"pupil{side}")
        keys[f"eyeLookDown{side}"][p] += (0.0, 0.01, -0.07)
        b, u = local(f"brow{side}")
        inner = np.clip(0.5 - 0.5 * sign * u[:, 0], 0.0, 1.0)       # 1 at the nose end, 0 at the temple
        keys[f"browDown{side}"][b] += np.c_[-sign * 0.02 * inner, -0.01 * inner, -(0.05 + 0.11 * inner)]
        # Raised, a brow stays a hand's width under the fringe (seen from below, higher would draw it on the hair).
        keys["browInnerUp"][b, 2] += 0.02 + 0.11 * inner
        keys[f"browOuterUp{side}"][b, 2] += 0.02 + 0.11 * (1.0 - inner)
        c, _u = local(f"cheek{side}")
        keys[f"cheekSquint{side}"][c] += (0.0, -0.015, 0.08)
    return keys


def _pair(name: str, weight: float = 1.0) -> dict:
    return {name + "Left": weight, name + "Right": weight}


# The demo face with other rigs' names, for a mixed crowd: each of their keys is a mix of the ARKit keys above. Keys
# a preset pairs (Faceshift's "smile" beside MouthSmile_L/R, its "JawOpen" beside the viseme "AA") share the
# movement, so a face that has both moves as far as the ARKit face does. Every key the Faceshift and VRoid presets
# name is here, with the blinks: the demo lacks none of them.
RIG_KEYS = {
    "FACESHIFT": {
        **{f"{fs}_{s[0]}": {f"{arkit}{s}": w} for fs, arkit, w in (
            ("MouthSmile", "mouthSmile", 0.5), ("MouthFrown", "mouthFrown", 0.5), ("Sneer", "noseSneer", 0.5),
            ("CheekSquint", "cheekSquint", 1.0), ("EyeSquint", "eyeSquint", 1.0), ("BrowsD", "browDown", 1.0),
            ("BrowsU", "browOuterUp", 1.0), ("EyeOpen", "eyeWide", 1.0), ("LipsStretch", "mouthStretch", 1.0),
            ("LipsUpperUp", "mouthUpperUp", 1.0), ("EyeBlink", "eyeBlink", 1.0)) for s in ("Left", "Right")},
        "smile": _pair("mouthSmile", 0.5), "frown": _pair("mouthFrown", 0.5), "Sneer": _pair("noseSneer", 0.5),
        "BrowsU_C": {"browInnerUp": 1.0}, "LipsTogether": _pair("mouthPress"), "Puff": {"jawForward": 1.0},
        "JawOpen": {"jawOpen": 0.5}, "AA": {"jawOpen": 0.5, "mouthFunnel": 0.4},
        "CH": {"jawOpen": 0.5, "mouthFunnel": 0.5},
    },
    "VROID": {  # VRoid's keys move a region into an expression: brows, eyes or mouth
        "Fcl_BRW_Fun": {"browInnerUp": 0.2, **_pair("browOuterUp", 0.3)},
        "Fcl_BRW_Joy": {"browInnerUp": 0.2, **_pair("browOuterUp", 0.4)},
        "Fcl_BRW_Sorrow": {"browInnerUp": 0.9},
        "Fcl_BRW_Angry": _pair("browDown", 0.9),
        "Fcl_BRW_Surprised": {"browInnerUp": 0.8, **_pair("browOuterUp", 0.9)},
        "Fcl_EYE_Fun": _pair("eyeSquint", 0.6),
        "Fcl_EYE_Joy": {**_pair("eyeSquint", 0.75), **_pair("cheekSquint", 1.0)},
        "Fcl_EYE_Sorrow": {**_pair("eyeLookDown", 0.4), **_pair("eyeSquint", 0.2)},
        "Fcl_EYE_Angry": _pair("eyeSquint", 0.5),
        "Fcl_EYE_Surprised": _pair("eyeWide", 1.0),
        "Fcl_EYE_Spread": _pair("eyeWide", 0.6),
        "Fcl_EYE_Close_L": {"eyeBlinkLeft": 1.0}, "Fcl_EYE_Close_R": {"eyeBlinkRight": 1.0},
        "Fcl_MTH_Fun": _pair("mouthSmile", 0.6),
        "Fcl_MTH_Joy": {**_pair("mouthSmile", 1.0), "jawOpen": 0.2},
        "Fcl_MTH_Sorrow": {**_pair("mouthFrown", 0.85), **_pair("mouthPress", 0.3)},
        "Fcl_MTH_Angry": {**_pair("mouthPress", 0.6), **_pair("noseSneer", 0.6), "jawForward": 0.3},
        "Fcl_MTH_Surprised": {"jawOpen": 0.7, "mouthFunnel": 0.3},
    },
}
RIGS = ("ARKIT", *RIG_KEYS)


def rig_offsets(offsets: dict, rig: str) -> dict:
    """The demo face's shape keys as `rig` names them: {name: vertex offsets}, from the ARKit keys' `offsets`."""
    if rig == "ARKIT":
        return offsets
    return {name: sum(w * offsets[k] for k, w in mix.items()) for name, mix in RIG_KEYS[rig].items()}


HAIR = ((0.09, 0.06, 0.04), (0.25, 0.14, 0.07), (0.55, 0.38, 0.18), (0.03, 0.03, 0.03), (0.5, 0.18, 0.07),
        (0.55, 0.55, 0.55))
CLOTH = ((0.12, 0.22, 0.45), (0.5, 0.12, 0.12), (0.15, 0.35, 0.2), (0.35, 0.35, 0.38), (0.55, 0.42, 0.15),
         (0.3, 0.15, 0.4))


def add_face(name: str, location, collection, skin, hair=HAIR[0], cloth=CLOTH[0], rig: str = "ARKIT"
             ) -> bpy.types.Object:
    """One member: a cartoon head on shoulders with the shape keys of DEMO_KEYS, or named as `rig` (RIGS) names
    them; `skin`, `hair`, `cloth`: colours."""
    mesh, parts = face_mesh(name)
    key = "%02x%02x%02x" % tuple(int(255 * c) for c in skin)
    for mat in (_material(f"Demo Skin {key}", skin, 0.5), _material("Demo Eye White", (0.9, 0.9, 0.86), 0.3),
                _material("Demo Dark", (0.03, 0.025, 0.025), 0.3), _material("Demo Lips", (0.4, 0.08, 0.08), 0.4),
                _material("Demo Hair %02x%02x%02x" % tuple(int(255 * c) for c in hair), hair, 0.7),
                _material("Demo Cloth %02x%02x%02x" % tuple(int(255 * c) for c in cloth), cloth, 0.9),
                _material(f"Demo Cheek {key}", (skin[0], skin[1] * 0.8, skin[2] * 0.8), 0.5)):
        mesh.materials.append(mat)
    obj = bpy.data.objects.new(name, mesh)
    obj.location = location
    collection.objects.link(obj)
    obj.shape_key_add(name="Basis", from_mix=False)
    co = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
    mesh.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    for key_name, offset in rig_offsets(_shape_offsets(co, parts), rig).items():
        kb = obj.shape_key_add(name=key_name, from_mix=False)
        kb.data.foreach_set("co", (co + offset).ravel())
        kb.value = 0.0  # at rest until animated (Blender 5.0 makes new shape keys at 1.0)
    return obj


def build_audience(scene, rows: int = 3, per_row: int = 4, name: str = "Audience", seed: int = 1,
                   rigs: tuple = ("ARKIT",)):
    """A collection of rows of faces on tiers, facing the camera at -Y; the faces' shape keys are named as each of
    `rigs` (RIGS) names them in turn."""
    collection = bpy.data.collections.new(name)
    scene.collection.children.link(collection)
    rng = np.random.default_rng(seed)
    for r in range(rows):
        for c in range(per_row):
            x = (c - (per_row - 1) / 2) * 2.6 + (r % 2) * 0.8
            tone = rng.uniform(0.3, 0.9)
            skin = (tone, tone * rng.uniform(0.62, 0.74), tone * rng.uniform(0.5, 0.6))
            n = r * per_row + c
            add_face(f"Face.{n + 1:03d}", (x, r * 2.6, r * 1.9), collection, skin,
                     HAIR[rng.integers(len(HAIR))], CLOTH[rng.integers(len(CLOTH))], rigs[n % len(rigs)])
    return collection


def add_speech(scene, path: str = DEMO_SPEECH, frame: int = 1, name: str = "Speech"):
    strip = compat.top_level_strips(scene).new_sound(name, path, 1, frame)
    return strip


def add_set(scene, rows: int = 3, per_row: int = 4):
    """Tiers and seat backs behind the faces (a collection of their own, so they are never taken for faces)."""
    collection = bpy.data.collections.new("Set")
    scene.collection.children.link(collection)
    wood = _material("Demo Tier", (0.09, 0.06, 0.05), 0.8)
    velvet = _material("Demo Seat", (0.32, 0.04, 0.05), 0.9)
    bm = bmesh.new()
    width = (per_row + 1) * 2.6
    for r in range(rows):
        y, z = r * 2.6, r * 1.9
        bmesh.ops.create_cube(bm, size=1.0, matrix=Matrix.Translation((0.4, y, z - 2.45 - 3.0))
                              @ Matrix.Diagonal((width, 2.6, 6.0, 1.0)))
    tiers = bpy.data.meshes.new("Demo Tiers")
    bm.to_mesh(tiers)
    bm.clear()
    for r in range(rows):
        for c in range(per_row):
            x = (c - (per_row - 1) / 2) * 2.6 + (r % 2) * 0.8
            bmesh.ops.create_cube(bm, size=1.0, matrix=Matrix.Translation((x, r * 2.6 + 0.95, r * 1.9 - 1.5))
                                  @ Matrix.Diagonal((2.2, 0.3, 2.0, 1.0)))
    seats = bpy.data.meshes.new("Demo Seats")
    bm.to_mesh(seats)
    bm.free()
    for mesh, mat in ((tiers, wood), (seats, velvet)):
        mesh.materials.append(mat)
        collection.objects.link(bpy.data.objects.new(mesh.name, mesh))
    return collection


def add_camera_and_light(scene, rows: int = 3):
    """A camera that frames every row, a key light from the stage and a dim theatre around."""
    cam = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    target = (0.4, 2.6, 0.9 + 0.3 * rows)
    cam.location = (0.4, -21.5, 4.4)
    cam.rotation_euler = (math.pi / 2 - math.atan2(cam.location.z - target[2], target[1] - cam.location.y), 0, 0)
    cam.data.lens = 54
    scene.collection.objects.link(cam)
    scene.camera = cam
    sun = bpy.data.objects.new("Sun", bpy.data.lights.new("Sun", "SUN"))
    sun.rotation_euler = (math.radians(55), math.radians(12), math.radians(-18))
    sun.data.energy = 3.5
    sun.data.angle = math.radians(8)  # soft shadows
    scene.collection.objects.link(sun)
    world = scene.world or bpy.data.worlds.new("World")
    scene.world = world
    world.color = (0.035, 0.04, 0.055)
    background = compat.shader_nodes(world).nodes.get("Background")
    if background:
        background.inputs["Color"].default_value = (*world.color, 1.0)
        background.inputs["Strength"].default_value = 2.5  # the room's light on the faces' shaded side


def build_demo_scene(scene=None, rows: int = 3, per_row: int = 4, speech: str = DEMO_SPEECH,
                     rigs: tuple = ("ARKIT",)):
    """Faces (named as `rigs` name them, in turn), set, speech strip, camera and light in `scene`, playing in sync
    with the sound; return (faces collection, sound strip)."""
    scene = scene or bpy.context.scene
    collection = build_audience(scene, rows, per_row, rigs=rigs)
    add_set(scene, rows, per_row)
    strip = add_speech(scene, speech)
    add_camera_and_light(scene, rows)
    first, after = compat.strip_range(strip)
    scene.frame_start, scene.frame_end = first, after - 1
    compat.play_in_sync_with_sound(scene)
    strip.sound.pack()  # inside the .blend: a copy of the file elsewhere still plays and animates
    return collection, strip


# What a blink's shape key is called (crowd.presets.BLINKS): ARKit's and Faceshift's eyeBlink/EyeBlink, VRoid's
# Fcl_EYE_Close. A still is of the reactions, not of closed eyes.
_BLINK_MARKS = ("Blink", "_EYE_Close")


def _is_blink(data_path: str) -> bool:
    return any(mark in data_path for mark in _BLINK_MARKS)


def _animated_faces(collection):
    """(shape keys, the tool's action) of each face in the collection the tool animated."""
    from . import keys

    for obj in collection.all_objects:
        key = obj.data.shape_keys if obj.type == "MESH" else None
        action = keys.find_action(key)[0] if key else None
        if action is not None:
            yield key, action


def most_expressive_frame(collection, spans=None) -> int:
    """The frame where the faces show an expression most clearly (within one of `spans`, [(first, last) frame],
    if given): each face's strongest shape key, blinks aside, added over the faces. A smile or a frown at 0.7 reads
    in a still; many keys a third of the way (eyes a little wider, the jaw a little open) add up to more but read as
    a face paying attention. Only the shape keys' values count, not other curves an artist keyed on the action."""
    from . import keys

    faces = []
    for key, action in _animated_faces(collection):
        values = {keys.shape_key_path(block.name) for block in key.key_blocks}
        curves = []
        for fc in compat.slot_fcurves(action, key):
            if fc.data_path not in values or _is_blink(fc.data_path):
                continue
            co = np.empty(2 * len(fc.keyframe_points), dtype=np.float64)
            fc.keyframe_points.foreach_get("co", co)
            order = np.argsort(co[0::2], kind="stable")  # keys moved by a script may be out of order
            if len(order):
                curves.append((co[0::2][order], co[1::2][order]))
        if curves:
            faces.append(curves)
    if not faces:
        return 1
    # Every whole frame, read between the keys: members key at their own delays, and two keys an artist snapped
    # onto one frame still leave the ramp up to them.
    first = min(f[0] for curves in faces for f, _v in curves)
    last = max(f[-1] for curves in faces for f, _v in curves)
    ranges = spans or [(first, last)]
    frames = np.unique(np.concatenate([np.arange(np.ceil(lo), np.floor(hi) + 1) for lo, hi in ranges]))
    if not len(frames):
        return 1
    shown = sum(np.max([np.interp(frames, f, v) for f, v in curves], axis=0) for curves in faces)
    return int(frames[int(np.argmax(shown))])


def open_eyes_frame(collection, frame: int, within: int) -> int:
    """The frame within `within` of `frame` where the fewest eyes are closed: a still of faces, not of blinks."""
    curves = [fc for _key, action in _animated_faces(collection) for fc in compat.existing_fcurves(action)
              if _is_blink(fc.data_path)]
    frames = range(frame - within, frame + within + 1)
    return min(frames, key=lambda f: (round(sum(fc.evaluate(f) for fc in curves), 3), abs(f - frame)))


def use_look(scene, engine: str = "CYCLES", samples: int = 32) -> None:
    """Clean renders without a GPU or a display: Cycles on the CPU with denoising, or Workbench (studio light,
    shadows, cavity), which is many times faster for movies; there `samples` 0 smooths edges with FXAA (2 s a
    frame at 640 x 360 on a busy 2-core machine, where 5 samples took 8 s)."""
    if engine == "CYCLES":
        scene.render.engine = "CYCLES"
        scene.cycles.device = "CPU"
        scene.cycles.samples = samples
        scene.cycles.use_denoising = True
        scene.cycles.use_adaptive_sampling = True
    else:
        scene.render.engine = "BLENDER_WORKBENCH"
        shading = scene.display.shading
        shading.light, shading.color_type = "STUDIO", "MATERIAL"
        shading.show_shadows, shading.shadow_intensity = True, 0.35
        shading.show_cavity, shading.cavity_type = True, "WORLD"
        steps = (5, 8, 11, 16, 32)
        scene.display.render_aa = "FXAA" if samples == 0 else str(min(steps, key=lambda n: abs(n - samples)))


def render_still(scene, path: str, frame: int, width: int = 960, height: int = 540, engine: str = "CYCLES",
                 samples: int = 32):
    """Render one frame to a PNG."""
    scene.frame_set(frame)
    use_look(scene, engine, samples)
    scene.render.resolution_x, scene.render.resolution_y = width, height
    scene.render.resolution_percentage = 100
    compat.use_image_output(scene, "PNG")
    scene.render.filepath = path
    bpy.ops.render.render(write_still=True)


def render_movie(scene, path: str, width: int = 640, height: int = 360, engine: str = "WORKBENCH"):
    """Render the scene's frame range to an MP4 (H.264) with the sequencer's sound (AAC)."""
    use_look(scene, engine, 0)
    scene.render.resolution_x, scene.render.resolution_y = width, height
    scene.render.resolution_percentage = 100
    compat.use_movie_output(scene)
    scene.render.filepath = path
    bpy.ops.render.render(animation=True)
