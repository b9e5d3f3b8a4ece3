"""Build the demo audience, animate it with the shipped model, save out/demo.blend (it plays in sync with the sound)
and render out/demo.png (Workbench, a few seconds; demo/showcase.py makes the docs' pictures and video).

  python demo/run_demo.py               (bpy as a Python module; bash scripts/demo.sh runs this)
  blender -b -P demo/run_demo.py [-- --rigs mixed]
  python demo/run_demo.py --no-render   (only out/demo.blend)
  python demo/run_demo.py --rigs mixed  (faces named as ARKit, Faceshift and VRoid name them, in turn:
                                         out/demo-mixed.blend and .png; also --rigs vroid or faceshift)
"""
import importlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "demo"))

from make_speech import read_blocks  # noqa: E402  (demo/speech.json: the speech's emotion blocks)


RIGS = {"arkit": ("ARKIT",), "faceshift": ("FACESHIFT",), "vroid": ("VROID",),
        "mixed": ("ARKIT", "VROID", "FACESHIFT")}


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="demo/run_demo.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-render", action="store_true", help="only the .blend")
    parser.add_argument("--rigs", type=str.lower, choices=RIGS, default="arkit",
                        help="how the faces' shape keys are named (mixed: ARKit, VRoid and Faceshift in turn)")
    if "--" in sys.argv:
        argv = sys.argv[sys.argv.index("--") + 1:]
    elif os.path.abspath(sys.argv[0]) == os.path.abspath(__file__):  # python demo/run_demo.py ...
        argv = sys.argv[1:]
    else:  # blender -b -P demo/run_demo.py: the options are Blender's own
        argv = []
    args = parser.parse_args(argv)
    rigs = args.rigs
    import bpy

    from checkout import load_addon

    bpy.ops.wm.read_factory_settings(use_empty=True)
    addon = load_addon()
    demo = importlib.import_module(addon.__name__ + ".blender.demo")
    out = os.path.join(ROOT, "out")
    os.makedirs(out, exist_ok=True)
    scene = bpy.context.scene
    faces, strip = demo.build_demo_scene(scene, rigs=RIGS[rigs])
    scene.audience.strip, scene.audience.faces = strip.name, faces
    panel = importlib.import_module(addon.__name__ + ".panels.sidebar")
    job = importlib.import_module(addon.__name__ + ".blender.job")
    print("faces found: " + "; ".join(text for text, _icon in panel.detected_lines(job.rig_kinds(faces))))
    result = bpy.ops.audience.animate()
    if result != {"FINISHED"}:
        print("error: Animate audience failed", file=sys.stderr)
        return 1
    name = "demo" if rigs == "arkit" else f"demo-{rigs}"
    blend = os.path.join(out, name + ".blend")
    bpy.ops.wm.save_as_mainfile(filepath=blend)
    print(f"saved {blend}")
    if not args.no_render:
        png = os.path.join(out, name + ".png")
        compat = importlib.import_module(addon.__name__ + ".blender.compat")
        fps, start = compat.frames_per_second(scene), compat.strip_frame(strip, "content_start")
        # The second half of each emotion block: the crowd reacts a second or two after the voice changes, so
        # the first half may still show the block before.
        try:
            blocks = [b for b in read_blocks()["blocks"] if b["emotion"] != "neutral"]
        except (OSError, ValueError, KeyError, TypeError) as e:  # demo/speech.json gone or edited: any frame
            print(f"note: demo/speech.json unreadable ({e}): the still is the most expressive frame of the speech")
            blocks = []
        spans = [(start + (b["start_s"] + b["end_s"]) / 2 * fps, start + b["end_s"] * fps) for b in blocks] or None
        frame = demo.open_eyes_frame(faces, demo.most_expressive_frame(faces, spans), 6)
        demo.render_still(scene, png, frame, engine="WORKBENCH", samples=16)
        seconds = (frame - start) / fps
        speaker = next((f", in its {b['emotion']} block" for b in blocks if b["start_s"] <= seconds < b["end_s"]), "")
        print(f"rendered {png}: frame {frame}, {seconds:.1f} s into the speech{speaker}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
