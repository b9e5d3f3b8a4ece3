"""The Audience tab in the 3D viewport's and the Sequencer's sidebar. Panels only draw."""
import bpy


class _AudiencePanel:
    bl_region_type = "UI"
    bl_category = "Audience"
    bl_label = "Audience Reactions"

    def draw(self, context):
        settings = context.scene.audience
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False
        layout.prop(settings, "strip", icon="SOUND")
        layout.prop(settings, "faces", icon="OUTLINER_COLLECTION")
        layout.prop(settings, "preset")
        layout.prop(settings, "mode")
        col = layout.column(align=True)
        col.prop(settings, "strength")
        col.prop(settings, "smoothing")
        col.prop(settings, "tolerance")
        col.prop(settings, "seed")
        layout.prop(settings, "blink")
        layout.prop(settings, "speaker", icon="OBJECT_DATA")
        row = layout.row()
        row.active = settings.speaker is not None
        row.prop(settings, "stagger")
        layout.operator("audience.animate", icon="PLAY_SOUND")
        layout.operator("audience.clear", icon="TRASH")


class AUDIENCE_PT_view3d(_AudiencePanel, bpy.types.Panel):
    bl_space_type = "VIEW_3D"


class AUDIENCE_PT_sequencer(_AudiencePanel, bpy.types.Panel):
    bl_space_type = "SEQUENCE_EDITOR"
