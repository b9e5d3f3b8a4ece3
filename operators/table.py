"""Edit the custom emotion -> shape-key table: fill it from a preset, add/remove rows, save/open preset files."""
import bpy
from bpy_extras.io_utils import ExportHelper, ImportHelper

from ..crowd.presets import PRESETS, load_preset, save_preset
from ..properties import PRESET_ITEMS, custom_table


def _fill(settings, table: dict) -> None:
    settings.expressions.clear()
    for emotion, row in table.items():
        for key, weight in row.items():
            item = settings.expressions.add()
            item.emotion, item.shape_key, item.weight = emotion.upper(), key, weight
    settings.preset = "CUSTOM"


class AUDIENCE_OT_table_from_preset(bpy.types.Operator):
    """Replace the custom table with a preset's rows, to edit them"""
    bl_idname = "audience.table_from_preset"
    bl_label = "Start From Preset"
    bl_options = {"REGISTER", "UNDO"}

    preset: bpy.props.EnumProperty(name="Preset", items=PRESET_ITEMS)

    def execute(self, context):
        _fill(context.scene.audience, PRESETS[self.preset])
        return {"FINISHED"}


class AUDIENCE_OT_table_add(bpy.types.Operator):
    """Add a row to the custom table"""
    bl_idname = "audience.table_add"
    bl_label = "Add Row"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        settings = context.scene.audience
        settings.expressions.add()
        settings.expression_index = len(settings.expressions) - 1
        return {"FINISHED"}


class AUDIENCE_OT_table_remove(bpy.types.Operator):
    """Remove the selected row of the custom table"""
    bl_idname = "audience.table_remove"
    bl_label = "Remove Row"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return len(context.scene.audience.expressions) > 0

    def execute(self, context):
        settings = context.scene.audience
        settings.expressions.remove(settings.expression_index)
        settings.expression_index = max(0, min(settings.expression_index, len(settings.expressions) - 1))
        return {"FINISHED"}


class AUDIENCE_OT_table_save(bpy.types.Operator, ExportHelper):
    """Save the custom table as a preset file (JSON) to reuse in other shots or batch runs"""
    bl_idname = "audience.table_save"
    bl_label = "Save Preset"
    filename_ext = ".json"
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})

    def execute(self, context):
        try:
            save_preset(self.filepath, custom_table(context.scene.audience))
        except (ValueError, OSError) as e:
            self.report({"ERROR"}, f"Preset not saved: {e}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Saved {self.filepath}")
        return {"FINISHED"}


class AUDIENCE_OT_table_open(bpy.types.Operator, ImportHelper):
    """Load a preset file (JSON) into the custom table"""
    bl_idname = "audience.table_open"
    bl_label = "Open Preset"
    bl_options = {"REGISTER", "UNDO"}
    filename_ext = ".json"
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})

    def execute(self, context):
        try:
            table = load_preset(self.filepath)
        except ValueError as e:
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        _fill(context.scene.audience, table)
        return {"FINISHED"}


classes = (AUDIENCE_OT_table_from_preset, AUDIENCE_OT_table_add, AUDIENCE_OT_table_remove, AUDIENCE_OT_table_save,
           AUDIENCE_OT_table_open)
