"""Build the demo audience, animate it with the shipped model, save out/demo.blend (it plays in sync with the sound)
and render out/demo.png (Workbench, a few seconds; demo/showcase.py makes the docs' pictures and video).

  python demo/run_demo.py            (bpy as a Python module)
  blender -b -P demo/run_demo.py
"""
import importlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main() -> int:
    import bpy

    from checkout import load_addon

    bpy.ops.wm.read_factory_settings(use_empty=True)
    addon = load_addon()
    demo = importlib.import_module(addon.__name__ + ".blender.demo")
    out = os.path.join(ROOT, "out")
    os.makedirs(out, exist_ok=True)
    scene = bpy.context.scene
    faces, strip = demo.build_demo_scene(scene)
    scene.audience.strip, scene.audience.faces = strip.name, faces
    result = bpy.ops.audience.animate()
    if result != {"FINISHED"}:
        print("error: Animate audience failed", file=sys.stderr)
        return 1
    blend = os.path.join(out, "demo.blend")
    bpy.ops.wm.save_as_mainfile(filepath=blend)
    print(f"saved {blend}")
    if "--no-render" not in sys.argv:
        png = os.path.join(out, "demo.png")
        frame = demo.open_eyes_frame(faces, demo.most_expressive_frame(faces), 6)
        demo.render_still(scene, png, frame, engine="WORKBENCH", samples=16)
        seconds = (frame - scene.frame_start) / (scene.render.fps / scene.render.fps_base)
        print(f"rendered {png}: frame {frame}, {seconds:.1f} s into the speech")
    return 0


if __name__ == "__main__":
    sys.exit(main())
