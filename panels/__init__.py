from .sidebar import AUDIENCE_PT_sequencer, AUDIENCE_PT_view3d, AUDIENCE_UL_expressions

classes = (AUDIENCE_UL_expressions, AUDIENCE_PT_view3d, AUDIENCE_PT_sequencer)
