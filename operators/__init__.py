from . import table
from .animate import AUDIENCE_OT_animate, AUDIENCE_OT_clear

classes = (AUDIENCE_OT_animate, AUDIENCE_OT_clear, *table.classes)
