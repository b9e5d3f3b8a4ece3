"""The Audience tab in the 3D viewport's and the Sequencer's sidebar. Panels only draw."""
import bpy

from ..blender import compat
from ..blender.job import rig_kinds
from ..crowd.presets import LABELS


class AUDIENCE_UL_expressions(bpy.types.UIList):
    """Rows of the custom table: emotion, shape key, weight."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):
        row = layout.row(align=True)
        row.prop(item, "emotion", text="")
        row.prop(item, "shape_key", text="", icon="SHAPEKEY_DATA")
        row.prop(item, "weight", text="", slider=True)


def detected_lines(kinds: dict) -> list:
    """[(text, icon)] of what Auto-detect found: "ARKit 52: 10 faces, VRoid: 2", and the faces of no known naming."""
    found = [f"{LABELS[k]}: {n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]) if k]
    lines = [(", ".join(found) + (" faces" if len(found) == 1 else ""), "SHAPEKEY_DATA")] if found else []
    if kinds.get(None):
        n = kinds[None]
        lines.append((f"{n} face{'s' if n > 1 else ''} of no known naming: pick one", "ERROR"))
    return lines


class _AudiencePanel:
    bl_region_type = "UI"
    bl_category = "Audience"
    bl_label = "Audience Reactions"

    def draw(self, context):
        settings = context.scene.audience
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False
        if compat.STRING_SEARCH or context.scene.sequence_editor is None:
            layout.prop(settings, "strip", icon="SOUND")
        else:
            layout.prop_search(settings, "strip", context.scene.sequence_editor,
                               compat.strips_collection_name(context.scene), icon="SOUND")
        layout.prop(settings, "faces", icon="OUTLINER_COLLECTION")
        layout.prop(settings, "preset")
        if settings.preset == "AUTO" and settings.faces:
            self.draw_detected(layout, rig_kinds(settings.faces))
        if settings.preset == "CUSTOM":
            self.draw_table(layout, settings)
        layout.prop(settings, "mode")
        col = layout.column(align=True)
        col.prop(settings, "strength")
        col.prop(settings, "smoothing")
        col.prop(settings, "contrast")
        col.prop(settings, "hold")
        col.prop(settings, "tolerance")
        col.prop(settings, "seed")
        row = layout.row()
        row.prop(settings, "blink")
        row.prop(settings, "idle")
        layout.prop(settings, "speaker", icon="OBJECT_DATA")
        row = layout.row()
        row.active = settings.speaker is not None
        row.prop(settings, "stagger")
        layout.operator("audience.animate", icon="PLAY_SOUND")
        layout.operator("audience.clear", icon="TRASH")

    @staticmethod
    def draw_detected(layout, kinds: dict):
        for text, icon in detected_lines(kinds):
            row = layout.row()
            row.alignment = "RIGHT"
            row.label(text=text, icon=icon)

    @staticmethod
    def draw_table(layout, settings):
        row = layout.row()
        row.template_list("AUDIENCE_UL_expressions", "", settings, "expressions", settings, "expression_index", rows=4)
        col = row.column(align=True)
        col.operator("audience.table_add", icon="ADD", text="")
        col.operator("audience.table_remove", icon="REMOVE", text="")
        row = layout.row(align=True)
        row.operator_menu_enum("audience.table_from_preset", "preset", icon="PRESET")
        row.operator("audience.table_open", icon="FILEBROWSER", text="")
        row.operator("audience.table_save", icon="EXPORT", text="")


class AUDIENCE_PT_view3d(_AudiencePanel, bpy.types.Panel):
    bl_space_type = "VIEW_3D"


class AUDIENCE_PT_sequencer(_AudiencePanel, bpy.types.Panel):
    bl_space_type = "SEQUENCE_EDITOR"
