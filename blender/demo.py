"""A small procedural audience (no external assets) and a sound strip: the demo and the tests' scene."""
from __future__ import annotations

import math
import os

import bmesh
import numpy as np

import bpy
from mathutils import Matrix

from . import compat

DEMO_SPEECH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "demo", "speech.ogg")
# The shape keys every demo face has (ARKit names); the preset's other names are reported as missing.
DEMO_KEYS = ("browInnerUp", "browDownLeft", "browDownRight", "eyeWideLeft", "eyeWideRight",
             "jawOpen", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
             "eyeBlinkLeft", "eyeBlinkRight")


def _material(name: str, color) -> bpy.types.Material:
    mat = bpy.data.materials.get(name) or bpy.data.materials.new(name)
    mat.diffuse_color = (*color, 1.0)
    bsdf = compat.shader_nodes(mat).nodes.get("Principled BSDF")
    if bsdf:
        bsdf.inputs["Base Color"].default_value = (*color, 1.0)
        bsdf.inputs["Roughness"].default_value = 0.6
    return mat


def _part(bm, parts: dict, name: str, location, scale, material: int, segments=(16, 10)):
    start = len(bm.verts)
    matrix = Matrix.Translation(location) @ Matrix.Diagonal((*scale, 1.0))
    made = bmesh.ops.create_uvsphere(bm, u_segments=segments[0], v_segments=segments[1], radius=1.0, matrix=matrix)
    for face in {f for v in made["verts"] for f in v.link_faces}:
        face.material_index = material
    bm.verts.ensure_lookup_table()
    parts[name] = np.arange(start, len(bm.verts))


def face_mesh(name: str) -> tuple:
    """(mesh, parts {part: vertex indices}) of one cartoon face looking down -Y."""
    bm = bmesh.new()
    parts = {}
    _part(bm, parts, "head", (0, 0, 0), (1.0, 0.95, 1.15), 0, (32, 20))
    for side, x in (("Left", 0.36), ("Right", -0.36)):
        _part(bm, parts, f"eye{side}", (x, -0.78, 0.28), (0.2, 0.12, 0.2), 1)
        _part(bm, parts, f"pupil{side}", (x, -0.9, 0.28), (0.08, 0.04, 0.08), 2, (10, 6))
        _part(bm, parts, f"brow{side}", (x, -0.86, 0.6), (0.22, 0.06, 0.05), 2, (12, 6))
    _part(bm, parts, "mouth", (0, -0.88, -0.42), (0.4, 0.08, 0.09), 3, (24, 10))
    mesh = bpy.data.meshes.new(name)
    bm.to_mesh(mesh)
    bm.free()
    for poly in mesh.polygons:
        poly.use_smooth = True
    return mesh, parts


def _shape_offsets(co: np.ndarray, parts: dict) -> dict:
    """Vertex offsets per demo shape key."""
    keys = {k: np.zeros_like(co) for k in DEMO_KEYS}
    m = parts["mouth"]
    mx, mz = co[m, 0], co[m, 2] + 0.42
    for side, sign in (("Left", 1.0), ("Right", -1.0)):
        corner = np.clip(sign * mx / 0.4, 0.0, 1.0) ** 2
        keys[f"mouthSmile{side}"][m, 2] += 0.16 * corner
        keys[f"mouthSmile{side}"][m, 0] += sign * 0.05 * corner
        keys[f"mouthFrown{side}"][m, 2] -= 0.14 * corner
        for part in (f"eye{side}", f"pupil{side}"):
            v = parts[part]
            keys[f"eyeWide{side}"][v, 2] += (co[v, 2] - 0.28) * 0.6
            keys[f"eyeBlink{side}"][v, 2] -= (co[v, 2] - 0.28) * 0.9
        b = parts[f"brow{side}"]
        inner = np.clip(1.0 - np.abs(co[b, 0]) / 0.58, 0.0, 1.0)  # 1 near the nose, 0 at the temple
        keys[f"browDown{side}"][b, 2] -= 0.08 + 0.14 * inner
        keys["browInnerUp"][b, 2] += 0.16 * inner + 0.03
    keys["jawOpen"][m, 2] -= np.where(mz < 0, 0.22, 0.02)
    return keys


def add_face(name: str, location, collection, skin) -> bpy.types.Object:
    mesh, parts = face_mesh(name)
    for mat in (skin, _material("Demo Eye White", (0.95, 0.95, 0.92)), _material("Demo Dark", (0.05, 0.04, 0.04)),
                _material("Demo Lips", (0.55, 0.12, 0.12))):
        mesh.materials.append(mat)
    obj = bpy.data.objects.new(name, mesh)
    obj.location = location
    collection.objects.link(obj)
    obj.shape_key_add(name="Basis", from_mix=False)
    co = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
    mesh.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    for key_name, offset in _shape_offsets(co, parts).items():
        kb = obj.shape_key_add(name=key_name, from_mix=False)
        kb.data.foreach_set("co", (co + offset).ravel())
        kb.value = 0.0  # at rest until animated (Blender 5.0 makes new shape keys at 1.0)
    return obj


def build_audience(scene, rows: int = 3, per_row: int = 4, name: str = "Audience", seed: int = 1):
    """A collection of rows of faces on tiers, facing the camera at -Y."""
    collection = bpy.data.collections.new(name)
    scene.collection.children.link(collection)
    rng = np.random.default_rng(seed)
    for r in range(rows):
        for c in range(per_row):
            x = (c - (per_row - 1) / 2) * 2.6 + (r % 2) * 0.8
            tone = rng.uniform(0.35, 0.95)
            skin = _material(f"Demo Skin {r}{c}", (tone, tone * 0.72, tone * 0.58))
            add_face(f"Face.{r * per_row + c + 1:03d}", (x, r * 2.6, r * 1.9), collection, skin)
    return collection


def add_speech(scene, path: str = DEMO_SPEECH, frame: int = 1, name: str = "Speech"):
    strip = compat.top_level_strips(scene).new_sound(name, path, 1, frame)
    return strip


def add_camera_and_light(scene, rows: int = 3):
    cam = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    cam.location = (0.0, -17.0, 6.0)
    cam.rotation_euler = (math.radians(78), 0.0, 0.0)
    cam.data.lens = 42
    scene.collection.objects.link(cam)
    scene.camera = cam
    sun = bpy.data.objects.new("Sun", bpy.data.lights.new("Sun", "SUN"))
    sun.rotation_euler = (math.radians(50), math.radians(15), math.radians(-20))
    sun.data.energy = 3.5
    scene.collection.objects.link(sun)
    world = scene.world or bpy.data.worlds.new("World")
    scene.world = world
    world.color = (0.2, 0.22, 0.28)


def build_demo_scene(scene=None, rows: int = 3, per_row: int = 4, speech: str = DEMO_SPEECH):
    """Faces, speech strip, camera and light in `scene`; return (faces collection, sound strip)."""
    scene = scene or bpy.context.scene
    collection = build_audience(scene, rows, per_row)
    strip = add_speech(scene, speech)
    add_camera_and_light(scene, rows)
    scene.frame_start, scene.frame_end = compat.strip_range(strip)
    return collection, strip


def most_expressive_frame(collection) -> int:
    """The keyed frame where the faces' shape keys add up to the most: a good still for the README."""
    from . import keys

    totals = {}
    for obj in collection.all_objects:
        key = obj.data.shape_keys if obj.type == "MESH" else None
        action = keys.find_action(key)[0] if key else None
        for fc in compat.existing_fcurves(action) if action else ():
            if "Blink" in fc.data_path:
                continue  # a still of the reactions, not of closed eyes
            co = np.empty(2 * len(fc.keyframe_points), dtype=np.float32)
            fc.keyframe_points.foreach_get("co", co)
            for frame, value in zip(co[0::2], co[1::2]):
                totals[int(frame)] = totals.get(int(frame), 0.0) + float(value)
    return max(totals, key=totals.get) if totals else 1


def render_still(scene, path: str, frame: int, width: int = 960, height: int = 540, samples: int = 16):
    """Render one frame with Cycles on the CPU (works without a GPU or a display)."""
    scene.frame_set(frame)
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False
    scene.render.resolution_x, scene.render.resolution_y = width, height
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    scene.render.filepath = path
    bpy.ops.render.render(write_still=True)
