"""Use this folder as the add-on when Blender has not installed it (tests, the demo, batch runs from a checkout)."""
import atexit
import importlib.util
import os
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
NAME = "audience_reactions"


def load_addon(register: bool = True):
    """The add-on package for this folder: the enabled extension if it is this folder, else loaded from here."""
    init = os.path.join(ROOT, "__init__.py")
    module = next((m for m in list(sys.modules.values())  # a package: not pytest's lone import of __init__.py
                   if getattr(m, "__file__", None) and os.path.abspath(m.__file__) == init
                   and getattr(m, "__path__", None)), None)
    if module is None:
        spec = importlib.util.spec_from_file_location(NAME, init, submodule_search_locations=[ROOT])
        module = importlib.util.module_from_spec(spec)
        sys.modules[NAME] = module
        spec.loader.exec_module(module)
    import bpy

    if register and not hasattr(bpy.types.Scene, "audience"):
        module.register()
        # bpy 4.5 as a Python module hangs at exit while add-on classes are still registered.
        atexit.register(_unregister_at_exit, module)
    return module


def _unregister_at_exit(module):
    import bpy

    if hasattr(bpy.types.Scene, "audience"):
        module.unregister()
