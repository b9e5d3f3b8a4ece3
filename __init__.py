"""Audience Reactions: a crowd of faces reacts to the emotion of a speech."""
import bpy

from . import operators, panels, properties
from .blender import warmup

_register, _unregister = bpy.utils.register_classes_factory(
    (properties.AudienceExpression, properties.AudienceSettings, *operators.classes, *panels.classes))


def register():
    _register()
    bpy.types.Scene.audience = bpy.props.PointerProperty(type=properties.AudienceSettings)
    warmup.start()


def unregister():
    del bpy.types.Scene.audience
    _unregister()
