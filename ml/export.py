"""Emotion timeline to CSV and to a PNG plot (matplotlib, needed only for the plot)."""
from __future__ import annotations

import csv
import os

import numpy as np

from .timeline import Timeline

PLOT_FORMATS = (".png", ".svg", ".pdf", ".jpg", ".jpeg")  # what the plot can be saved as, by file name
COLORS = {"neutral": "#9e9e9e", "calm": "#80cbc4", "happy": "#ffd54f", "sad": "#64b5f6", "angry": "#e53935",
          "fearful": "#8e24aa", "disgust": "#7cb342", "surprised": "#fb8c00"}


def write_csv(timeline: Timeline, path: str) -> None:
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["time", *timeline.classes, "speech", "label"])
        for t, row, s, label in zip(timeline.times, timeline.probs, timeline.speech, timeline.labels):
            out.writerow([f"{t:.3f}", *(f"{p:.4f}" for p in row), f"{s:.3f}", label])


def plot(timeline: Timeline, path: str, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3.2))
    ax.stackplot(timeline.times, np.asarray(timeline.probs).T, labels=timeline.classes,
                 colors=[COLORS.get(c, None) for c in timeline.classes], alpha=0.9)
    ax.plot(timeline.times, timeline.speech, color="black", lw=0.8, ls=":", label="speech")
    ax.set_xlim(timeline.times[0], timeline.times[-1] if len(timeline.times) > 1 else 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("seconds")
    ax.set_ylabel("probability")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    # The format from the name's extension, PNG without one (matplotlib would append ".png" to the name).
    fig.savefig(path, dpi=100, format=os.path.splitext(path)[1][1:].lower() or "png")
    plt.close(fig)
