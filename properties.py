"""The Audience tab's settings, stored on the scene (scene.audience)."""
import bpy

from .blender import compat
from .crowd.presets import EMOTIONS, MODES, PRESETS, typed
from .ml.settings import limits


def _sound_strip_names(self, context, edit_text):
    # Only sound strips, so the search list is what the user can pick.
    return [s.name for s in compat.sequencer_strips(context.scene) if compat.is_sound_strip(s)]


PRESET_ITEMS = [
    ("ARKIT", "ARKit 52", "Apple ARKit blendshape names: mouthSmileLeft, browInnerUp, jawOpen, ... (Ready Player Me, "
                          "Character Creator, iPhone captures)"),
    ("FACESHIFT", "Faceshift", "Faceshift-style names: smile, frown, Sneer, Puff, BrowsU_C, ..."),
    ("VROID", "VRoid", "VRoid Studio / VRM names: Fcl_BRW_Angry, Fcl_EYE_Joy, Fcl_MTH_Sorrow, ..."),
]
SETTINGS_PRESET_ITEMS = [
    ("AUTO", "Auto-detect", "Each face's naming found from its own shape keys (ARKit 52, Faceshift or VRoid): "
                            "a mixed crowd in one go"),
] + PRESET_ITEMS + [
    ("CUSTOM", "Custom Table", "The emotion / shape key / weight rows below, editable and saved with the file"),
]
MODE_ITEMS = [
    ("MIRROR", "Mirror the speaker", "The audience shows the emotion the speaker shows"),
    ("REACT", "React", "The audience reacts: anger shocks, jokes amuse, sadness draws sympathy"),
]
assert [i[0] for i in PRESET_ITEMS] == list(PRESETS) and [i[0] for i in MODE_ITEMS] == list(MODES)


class AudienceExpression(bpy.types.PropertyGroup):
    """One row of the custom table: how much of a shape key an emotion shows."""
    emotion: bpy.props.EnumProperty(name="Emotion", items=[(e.upper(), e.title(), "") for e in EMOTIONS] + [
        ("BASE", "Base", "Held under every emotion")])
    shape_key: bpy.props.StringProperty(name="Shape Key")
    weight: bpy.props.FloatProperty(name="Weight", default=0.5, min=0.0, max=1.0)


def custom_table(settings) -> dict:
    """The custom rows as {emotion: {shape key: weight}}. Two rows for one emotion and shape key raise ValueError:
    one of the two weights would be dropped unseen."""
    table, rows = {}, {}
    for number, row in enumerate(settings.expressions, 1):
        if row.shape_key.strip():  # a blank row is no row
            first = rows.setdefault((row.emotion, typed(row.shape_key)), number)  # a typo's case or space
            if first != number:
                raise ValueError(f"custom table rows {first} and {number} both weigh '{row.shape_key}' for "
                                 f"{row.emotion.title()}: keep one")
            table.setdefault(row.emotion.lower(), {})[row.shape_key] = row.weight
    return table


class AudienceSettings(bpy.types.PropertyGroup):
    strip: bpy.props.StringProperty(name="Speech", description="Sound strip with the speech",
                                    **({"search": _sound_strip_names} if compat.STRING_SEARCH else {}))
    faces: bpy.props.PointerProperty(name="Faces", type=bpy.types.Collection,
                                     description="Collection of face meshes with shape keys")
    preset: bpy.props.EnumProperty(name="Shape keys", items=SETTINGS_PRESET_ITEMS, default="AUTO",
                                   description="Naming of the faces' shape keys (found from them by default), or "
                                               "your own table")
    expressions: bpy.props.CollectionProperty(type=AudienceExpression)
    expression_index: bpy.props.IntProperty()
    mode: bpy.props.EnumProperty(name="Reaction", items=MODE_ITEMS, default="MIRROR")
    contrast: bpy.props.FloatProperty(name="Contrast", **limits("contrast"),
                                      description="How clearly the crowd shows an emotion that stands out from the "
                                                  "others: higher shows a small lead as a clear expression")
    hold: bpy.props.FloatProperty(name="Minimum Hold", **limits("hold"), unit="TIME_ABSOLUTE",
                                  description="Seconds of speech the crowd weighs before it changes its mood: longer "
                                              "is calmer, shorter follows faster")
    strength: bpy.props.FloatProperty(name="Strength", **limits("strength"),
                                      description="How strongly the audience reacts")
    smoothing: bpy.props.FloatProperty(name="Smoothing", **limits("smoothing"), unit="TIME_ABSOLUTE",
                                       description="Time the audience takes to change mood (seconds)")
    tolerance: bpy.props.FloatProperty(name="Key Tolerance", **limits("tolerance"), precision=3,
                                       description="Keep only the keys needed to stay this close to the reaction "
                                                   "(0: a key every 0.5 s)")
    blink: bpy.props.BoolProperty(name="Blinks", default=True,
                                  description="Key blinks on faces that have blink shape keys (eyeBlinkLeft, ...)")
    idle: bpy.props.FloatProperty(name="Idle Motion", **limits("idle"),
                                  description="Every shape key sways slowly by up to this much, even in silence")
    speaker: bpy.props.PointerProperty(name="Speaker", type=bpy.types.Object,
                                       description="Optional: members further from this object react later")
    stagger: bpy.props.FloatProperty(name="Stagger", **limits("stagger"), unit="TIME_ABSOLUTE",
                                     description="Extra reaction delay per metre from the speaker (seconds)")
    seed: bpy.props.IntProperty(name="Seed", **limits("seed"),
                                description="Each seed gives every member another delay, intensity and jitter")
