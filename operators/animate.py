"""Animate audience / Remove audience keys: thin operators over blender.job."""
import bpy

from ..blender import job
from ..blender.errors import AudienceError
from ..properties import MODE_ITEMS, PRESET_ITEMS


def _settings(op, context) -> job.Settings:
    """Explicit operator properties win; empty ones fall back to the Audience tab."""
    panel = context.scene.audience
    return job.Settings(
        strip=op.strip or panel.strip,
        faces=op.faces or (panel.faces.name if panel.faces else ""),
        preset=op.preset if op.properties.is_property_set("preset") else panel.preset,
        mode=op.mode if op.properties.is_property_set("mode") else panel.mode,
        seed=op.seed if op.properties.is_property_set("seed") else panel.seed,
        strength=op.strength if op.properties.is_property_set("strength") else panel.strength,
        smoothing=op.smoothing if op.properties.is_property_set("smoothing") else panel.smoothing,
        model=op.model,
    )


class AUDIENCE_OT_animate(bpy.types.Operator):
    """Predict the speaker's emotion from the sound strip and key the faces' shape keys"""
    bl_idname = "audience.animate"
    bl_label = "Animate Audience"
    bl_options = {"REGISTER", "UNDO"}

    strip: bpy.props.StringProperty(name="Speech", description="Sound strip name (empty: the Audience tab's)")
    faces: bpy.props.StringProperty(name="Faces", description="Collection name (empty: the Audience tab's)")
    preset: bpy.props.EnumProperty(name="Shape keys", items=PRESET_ITEMS)
    mode: bpy.props.EnumProperty(name="Reaction", items=MODE_ITEMS)
    seed: bpy.props.IntProperty(name="Seed", min=0)
    strength: bpy.props.FloatProperty(name="Strength", default=1.0, min=0.0)
    smoothing: bpy.props.FloatProperty(name="Smoothing", default=1.0, min=0.0)
    model: bpy.props.StringProperty(name="Model", description="Model folder (empty: the shipped model)",
                                    subtype="FILE_PATH", options={"HIDDEN"})

    @classmethod
    def poll(cls, context):
        return context.scene is not None

    def execute(self, context):
        wm = context.window_manager
        wm.progress_begin(0, 100)
        try:
            result = job.animate(context.scene, _settings(self, context),
                                 progress=lambda f, _msg: wm.progress_update(int(100 * f)))
        except AudienceError as e:
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        finally:
            wm.progress_end()
        for note in result.notes:
            self.report({"WARNING"}, note)
        self.report({"INFO"}, result.summary())
        return {"FINISHED"}


class AUDIENCE_OT_clear(bpy.types.Operator):
    """Remove the keys Animate Audience wrote on the faces (keys you made yourself stay)"""
    bl_idname = "audience.clear"
    bl_label = "Remove Audience Keys"
    bl_options = {"REGISTER", "UNDO"}

    faces: bpy.props.StringProperty(name="Faces", description="Collection name (empty: the Audience tab's)")

    def execute(self, context):
        panel = context.scene.audience
        try:
            n = job.clear(self.faces or (panel.faces.name if panel.faces else ""))
        except AudienceError as e:
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Removed audience keys from {n} faces")
        return {"FINISHED"}
