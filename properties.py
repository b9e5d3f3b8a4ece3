"""The Audience tab's settings, stored on the scene (scene.audience)."""
import bpy

from .blender import compat
from .crowd.presets import MODES, PRESETS


def _sound_strip_names(self, context, edit_text):
    # Only sound strips, so the search list is what the user can pick.
    return [s.name for s in compat.sequencer_strips(context.scene) if compat.is_sound_strip(s)]


PRESET_ITEMS = [
    ("ARKIT", "ARKit 52", "Apple ARKit blendshape names: mouthSmileLeft, browInnerUp, jawOpen, ..."),
    ("FACESHIFT", "Faceshift", "Faceshift-style names: smile, frown, Sneer, Puff, BrowsU_C, ..."),
]
MODE_ITEMS = [
    ("MIRROR", "Mirror the speaker", "The audience shows the emotion the speaker shows"),
    ("REACT", "React", "The audience reacts: anger shocks, jokes amuse, sadness draws sympathy"),
]
assert [i[0] for i in PRESET_ITEMS] == list(PRESETS) and [i[0] for i in MODE_ITEMS] == list(MODES)


class AudienceSettings(bpy.types.PropertyGroup):
    strip: bpy.props.StringProperty(name="Speech", description="Sound strip with the speech",
                                    search=_sound_strip_names)
    faces: bpy.props.PointerProperty(name="Faces", type=bpy.types.Collection,
                                     description="Collection of face meshes with shape keys")
    preset: bpy.props.EnumProperty(name="Shape keys", items=PRESET_ITEMS, default="ARKIT",
                                   description="Naming of the faces' shape keys")
    mode: bpy.props.EnumProperty(name="Reaction", items=MODE_ITEMS, default="MIRROR")
    strength: bpy.props.FloatProperty(name="Strength", default=1.0, min=0.0, soft_max=1.5,
                                      description="How strongly the audience reacts")
    smoothing: bpy.props.FloatProperty(name="Smoothing", default=1.0, min=0.0, soft_max=5.0, unit="TIME_ABSOLUTE",
                                       description="Time the audience takes to change mood (seconds)")
    tolerance: bpy.props.FloatProperty(name="Key Tolerance", default=0.0, min=0.0, soft_max=0.1, precision=3,
                                       description="Keep only the keys needed to stay this close to the reaction "
                                                   "(0: a key every 0.5 s)")
    blink: bpy.props.BoolProperty(name="Blinks", default=True,
                                  description="Key blinks on faces that have blink shape keys (eyeBlinkLeft, ...)")
    speaker: bpy.props.PointerProperty(name="Speaker", type=bpy.types.Object,
                                       description="Optional: members further from this object react later")
    stagger: bpy.props.FloatProperty(name="Stagger", default=0.05, min=0.0, soft_max=0.5, unit="TIME_ABSOLUTE",
                                     description="Extra reaction delay per metre from the speaker (seconds)")
    seed: bpy.props.IntProperty(name="Seed", default=0, min=0,
                                description="Each seed gives every member another delay, intensity and jitter")
