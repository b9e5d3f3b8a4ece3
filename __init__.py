"""Audience Reactions: a crowd of faces reacts to the emotion of a speech."""
import bpy

# Blender always imports this file as a package. pytest imports it as a lone module when a checkout's folder is
# not a Python name ("audience-reactions"): then there is nothing to register, and the tests load the add-on
# through checkout.py.
if __package__:
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
