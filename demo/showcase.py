"""The showcase in docs/: the demo audience animated from real emotional speech, as a contact sheet and a video.

  .venv-5.0.1/bin/python demo/showcase.py                  # docs/showcase.png and docs/showcase.mp4
  .venv-5.0.1/bin/python demo/showcase.py --no-video --samples 8 --out /tmp/try   # a quick look

scripts/showcase.sh runs it after bench/fidelity.py, so one command remakes every figure and picture.

The speech is demo/speech.flac (demo/make_speech.py: one RAVDESS actor, emotion blocks). It is analysed by the
held-out model that never heard that actor (ml.heldout: the recipe of the model in models/, the fold that left
that actor out), never by the shipped model, which was trained on them. The crowd is the demo audience at Animate
Audience's default settings. The moments shown are fixed by rule, not picked for looks: one second before each
block ends (the crowd has heard the most of it then), moved by at most a quarter second to where the fewest eyes
are mid-blink. Stills are rendered with Cycles (denoised), the video with Workbench, both on the CPU.
"""
from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "demo"))

DATA = os.path.join(os.path.dirname(ROOT), "shared", "data")
COLOURS = {"neutral": "#9e9e9e", "calm": "#80cbc4", "happy": "#fbc02d", "sad": "#1e88e5", "angry": "#e53935",
           "fearful": "#8e24aa", "disgust": "#43a047", "surprised": "#fb8c00"}


def moments(blocks: list, first_frame: int, fps: float) -> list:
    """[(block, frame)]: one second before each block's end."""
    return [(b, first_frame + int(round((b["end_s"] - 1.0) * fps))) for b in blocks]


def contact_sheet(path: str, stills: list, timeline, mood: np.ndarray, blocks: list, fps: float,
                  first_frame: int, speaker: str, at_rest: float) -> None:
    """Stills in two rows (labelled with the time and the speaker's emotion) over the emotion timeline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.gridspec import GridSpec

    classes = list(timeline.classes)
    top = (len(stills) + 1) // 2
    fig = plt.figure(figsize=(18, 11.8), facecolor="white")
    grid = GridSpec(3, 2 * top, figure=fig, height_ratios=[1, 1, 0.78], hspace=0.3, wspace=0.04,
                    left=0.04, right=0.97, top=0.94, bottom=0.14)
    for n, (image, block, frame, heard) in enumerate(stills):
        row, col = divmod(n, top)
        offset = 0 if row == 0 else top - (len(stills) - top)  # the second row centred
        ax = fig.add_subplot(grid[row, 2 * col + offset:2 * col + offset + 2])
        ax.imshow(plt.imread(image))
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ax.spines.values():
            side.set_color(COLOURS[block["emotion"]])
            side.set_linewidth(4)
        seconds = (frame - first_frame) / fps
        ax.set_title(f"{n + 1}   {int(seconds // 60)}:{seconds % 60:04.1f}   speaker: {block['emotion']}", fontsize=15,
                     loc="left", fontweight="bold", color="#222222")
        ax.set_xlabel(f"the crowd shows {heard[0]}; the model's top class there: {heard[1]} ({heard[2]:.0%})",
                      fontsize=11, color="#555555", labelpad=3)
    ax = fig.add_subplot(grid[2, :])
    t = timeline.times
    ax.stackplot(t, timeline.probs.T, colors=[COLOURS[c] for c in classes], labels=classes, alpha=0.85)
    shown = mood.argmax(axis=1)
    strength = mood.max(axis=1)
    for i in range(len(t) - 1):  # what the crowd shows: its leading emotion, as strong as it shows it
        if strength[i] > at_rest:
            ax.axvspan(t[i], t[i + 1], ymin=-0.2, ymax=-0.08, color=COLOURS[classes[shown[i]]],
                       alpha=float(min(1.0, 0.25 + strength[i])), clip_on=False, lw=0)
    for block in blocks:
        ax.axvline(block["start_s"], color="black", lw=0.8)
        ax.text((block["start_s"] + block["end_s"]) / 2, 1.03, f"speaker: {block['emotion']}", ha="center",
                va="bottom", fontsize=12, transform=ax.get_xaxis_transform(), color=COLOURS[block["emotion"]],
                fontweight="bold")
    for n, (_image, _block, frame, _heard) in enumerate(stills):
        seconds = (frame - first_frame) / fps
        ax.axvline(seconds, color="white", lw=2, ls="--")
        ax.text(seconds, 0.93, str(n + 1), ha="center", va="top", fontsize=13, fontweight="bold", color="black",
                bbox={"boxstyle": "circle", "fc": "white", "ec": "black"})
    ax.set_xlim(t[0], t[-1])
    ax.set_ylim(0, 1)
    ax.set_ylabel("what the model hears")
    ax.xaxis.set_major_formatter(lambda value, _pos: f"{value:g} s")
    ax.set_xlabel("band under the chart: the emotion the crowd shows (stronger colour, stronger expression; "
                  "none: the crowd at rest)", labelpad=20, fontsize=11)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=8, frameon=False, fontsize=12)
    actor = speaker.split("-")[-1]
    fig.suptitle(f"The demo audience hears RAVDESS actor {actor} (a model that never heard them): five moments",
                 fontsize=17, x=0.03, ha="left")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="demo/showcase.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=DATA, help="folder with the corpora the held-out models train on")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs"), help="where showcase.png/.mp4 go")
    parser.add_argument("--samples", type=int, default=32, help="Cycles samples per still (denoised)")
    parser.add_argument("--no-video", dest="video", action="store_false", help="the contact sheet only")
    args = parser.parse_args(argv)

    import bpy

    from checkout import load_addon
    from make_speech import read_blocks
    from ml.heldout import fold_models, model_for
    from ml.model import ModelError

    start = time.time()
    speech = read_blocks()
    try:
        fold = model_for(speech["speaker"], fold_models(args.data))
    except ModelError as e:
        print(f"error: {e} (--data names the folder of the corpora)", file=sys.stderr)
        return 1
    print(f"speech: {speech['speaker']}, heard by {fold.path} (held out: {', '.join(fold.held_out)})")

    bpy.ops.wm.read_factory_settings(use_empty=True)
    addon = load_addon()
    demo = importlib.import_module(addon.__name__ + ".blender.demo")
    job = importlib.import_module(addon.__name__ + ".blender.job")
    members = importlib.import_module(addon.__name__ + ".crowd.members")
    scene = bpy.context.scene
    faces, strip = demo.build_demo_scene(scene)
    settings = job.Settings(strip=strip.name, faces=faces.name, model=fold.path)
    result = job.animate(scene, settings)
    print(result.summary(), *result.notes, sep="\n  ")
    timeline = result.timeline
    hop = float(timeline.times[1] - timeline.times[0])
    mood = members.crowd_mood(timeline.probs, hop, settings.contrast, settings.hold)

    fps = scene.render.fps / scene.render.fps_base
    first = int(result.frames[0])
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".showcase-", dir=args.out)  # beside the outputs: each lands by a rename
    try:
        stills = []
        for n, (block, frame) in enumerate(moments(speech["blocks"], first, fps)):
            frame = demo.open_eyes_frame(faces, frame, int(round(fps / 4)))
            image = os.path.join(work, f"moment{n + 1}.png")
            demo.render_still(scene, image, frame, 800, 450, "CYCLES", args.samples)
            at = int(np.argmin(np.abs(timeline.times - (frame - first) / fps)))
            top = int(np.argmax(timeline.probs[at]))
            # The crowd's leading emotion (the band under the chart), which may differ from the model's top
            # class of the moment: the crowd holds an emotion that leads over the last seconds.
            shows = (timeline.classes[int(np.argmax(mood[at]))] if mood[at].max() > members.AT_REST
                     else "its rest face")
            stills.append((image, block, frame, (shows, timeline.classes[top], float(timeline.probs[at, top]))))
            print(f"moment {n + 1}: frame {frame}, speaker {block['emotion']}, {time.time() - start:.0f} s")
        sheet = os.path.join(work, "showcase.png")
        contact_sheet(sheet, stills, timeline, mood, speech["blocks"], fps, first, speech["speaker"], members.AT_REST)
        os.replace(sheet, os.path.join(args.out, "showcase.png"))
        print(f"wrote {os.path.join(args.out, 'showcase.png')}")
        if args.video:
            movie = os.path.join(work, "showcase.mp4")
            demo.render_movie(scene, movie)
            os.replace(movie, os.path.join(args.out, "showcase.mp4"))
            print(f"wrote {os.path.join(args.out, 'showcase.mp4')} in {time.time() - start:.0f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
