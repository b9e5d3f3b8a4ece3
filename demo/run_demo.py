"""Build the demo audience, animate it with the shipped model, save out/demo.blend (it plays in sync with the sound)
and render out/demo.png (Workbench, a few seconds; demo/showcase.py makes the docs' pictures and video).

  python demo/run_demo.py               (bpy as a Python module; bash scripts/demo.sh runs this)
  blender -b -P demo/run_demo.py
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
    args = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    if {"-h", "--help"} & set(args):
        print(__doc__.strip())
        return 0
    rigs = args[args.index("--rigs") + 1].lower() if "--rigs" in args[:-1] else "arkit"
    unknown = [a for a in args if a not in ("--no-render", "--rigs", rigs)]
    if rigs not in RIGS or unknown:
        print(f"error: {'unknown arguments ' + ' '.join(unknown) if unknown else '--rigs ' + rigs + ' is none of'}"
              f" (--rigs takes {', '.join(RIGS)}; --help says more)", file=sys.stderr)
        return 2
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
    if "--no-render" not in sys.argv:
        png = os.path.join(out, name + ".png")
        fps = scene.render.fps / scene.render.fps_base
        # The second half of each emotion block: the crowd reacts a second or two after the voice changes, so
        # the first half may still show the block before.
        try:
            blocks = [b for b in read_blocks()["blocks"] if b["emotion"] != "neutral"]
        except (OSError, ValueError, KeyError, TypeError) as e:  # demo/speech.json gone or edited: any frame
            print(f"note: demo/speech.json unreadable ({e}): the still is the most expressive frame of the speech")
            blocks = []
        spans = [(strip.frame_start + (b["start_s"] + b["end_s"]) / 2 * fps, strip.frame_start + b["end_s"] * fps)
                 for b in blocks] or None
        frame = demo.open_eyes_frame(faces, demo.most_expressive_frame(faces, spans), 6)
        demo.render_still(scene, png, frame, engine="WORKBENCH", samples=16)
        seconds = (frame - strip.frame_start) / fps
        speaker = next((f", in its {b['emotion']} block" for b in blocks if b["start_s"] <= seconds < b["end_s"]), "")
        print(f"rendered {png}: frame {frame}, {seconds:.1f} s into the speech{speaker}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
