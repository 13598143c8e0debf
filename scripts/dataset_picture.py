"""Draws one clip of each class of a built-in data set: `docs/datasets/<name>.png`.

python scripts/dataset_picture.py digit_events
python scripts/dataset_picture.py moving_digits_av   # adds each clip's log-mel spectrogram

Five frames spread over each clip; for a set whose videos have sound, a last
panel shows the log-mel spectrogram of the clip's whole audio track.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import av  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from zoo import datasets  # noqa: E402
from zoo.data import read_video  # noqa: E402
from zoo.data.audio import log_mel_spectrogram, read_audio  # noqa: E402

SHOWN = 5  # frames shown of each clip, first to last


def has_sound(path: Path) -> bool:
    with av.open(str(path)) as container:
        return bool(container.streams.audio)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=list(datasets.AVAILABLE))
    args = parser.parse_args(argv)
    root = datasets.make(args.name)
    with open(root / "manifest.csv", newline="") as f:
        first = {}
        for row in csv.DictReader(f):
            if row["split"] == "test":
                first.setdefault(row["label"], row["path"])
    labels = sorted(first)
    sound = has_sound(root / first[labels[0]])
    columns = SHOWN + sound
    fig, axes = plt.subplots(len(labels), columns, figsize=(1.3 * columns, 1.4 * len(labels)))
    for i, label in enumerate(labels):
        frames = read_video(root / first[label]).frames
        for j, t in enumerate(np.ceil(np.linspace(0, len(frames) - 1, SHOWN)).astype(int)):
            axes[i, j].imshow(frames[t])
            if i == 0:
                axes[i, j].set_title(f"frame {t}", fontsize=8)
        if sound:
            mel = log_mel_spectrogram(read_audio(root / first[label]).samples).numpy()
            axes[i, SHOWN].imshow(mel.T, origin="lower", aspect="auto", cmap="magma")
            if i == 0:
                axes[i, SHOWN].set_title("log-mel", fontsize=8)
        for ax in axes[i]:
            ax.set_xticks([])
            ax.set_yticks([])
        axes[i, 0].set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
    fig.tight_layout()
    out = Path(__file__).parents[1] / "docs" / "datasets" / f"{args.name}.png"
    fig.savefig(out, dpi=72)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
