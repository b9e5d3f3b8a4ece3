from .sidebar import AUDIENCE_PT_sequencer, AUDIENCE_PT_view3d

classes = (AUDIENCE_PT_view3d, AUDIENCE_PT_sequencer)
