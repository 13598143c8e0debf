"""Draws one clip of each class of a built-in data set: `docs/datasets/<name>.png`.

python scripts/dataset_picture.py digit_events
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from zoo import datasets  # noqa: E402
from zoo.data import read_video  # noqa: E402

FRAMES = (0, 5, 10, 15, 19)  # the frames shown of each 20-frame clip


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
    fig, axes = plt.subplots(
        len(labels), len(FRAMES), figsize=(1.3 * len(FRAMES), 1.4 * len(labels))
    )
    for i, label in enumerate(labels):
        frames = read_video(root / first[label]).frames
        for j, t in enumerate(FRAMES):
            axes[i, j].imshow(frames[t])
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
            if i == 0:
                axes[i, j].set_title(f"frame {t}", fontsize=8)
        axes[i, 0].set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
    fig.tight_layout()
    out = Path(__file__).parents[1] / "docs" / "datasets" / f"{args.name}.png"
    fig.savefig(out, dpi=72)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
