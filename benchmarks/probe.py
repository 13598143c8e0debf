"""Probe training speed: an epoch on cached embeddings against the same probe through the
frozen backbone, in one run.

    python benchmarks/probe.py              # the zoo's small backbone, 480 videos at 64x64
    python benchmarks/probe.py --quick      # the same on 96 videos: a smoke run
    python benchmarks/probe.py --size base  # the base preset's architecture, 8 videos

Both train the same attentive head of the same frozen `videoprism` with the
same recipe, batch size and examples per epoch. "small" is the zoo's default
random backbone (2 spatial + 2 temporal blocks of width 64, 8 frames of
64x64, 64 patches a frame; batches of 16). "base" is the architecture of
`videoprism_public_v1_base` with random weights (ViT-B, 12 + 4 blocks, 16
frames of 288x288; batches of 2): its epoch here is 4 steps, which on a CPU
already take minutes; seconds per epoch scale with the steps alike for both.

    through backbone  `model.fit` on `video_dataset` clips: every epoch decodes
                      the videos and runs the frozen backbone forward
    cached            `zoo embed` once, then `head.fit` on the stored float16
                      embeddings (`zoo train --features`)

Each is timed over 3 epochs (1 for base) after a warm-up epoch (graph tracing);
the ratio is seconds per epoch through the backbone over seconds per epoch
cached. The one-off cost of `zoo embed` is printed too: the cache pays for
itself after about `embed / (through - cached)` epochs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from zoo.data import video_dataset  # noqa: E402
from zoo.datasets import make  # noqa: E402
from zoo.embed import embed  # noqa: E402
from zoo.models import load  # noqa: E402
from zoo.models.videoprism import BASE, head_model  # noqa: E402
from zoo.training import recipe  # noqa: E402
from zoo.training.data import feature_fit_datasets, one_hot  # noqa: E402
from zoo.training.run import TrainConfig  # noqa: E402

# size -> (clip_len, frame size, batch, training videos, model options)
SETTINGS = {
    "small": (8, 64, 16, 480, {}),
    "base": (16, 288, 2, 8, {k: v for k, v in BASE.items() if k != "num_frames"}),
}


class EpochTimes(keras.callbacks.Callback):
    """Wall-clock seconds of each epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds.append(time.perf_counter() - self.start)


def seconds_per_epoch(
    model: keras.Model, train, steps: int, config: TrainConfig, epochs: int
) -> float:
    """Mean seconds of an epoch of `steps` batches over `epochs` epochs, after a warm-up one."""
    recipe.compile_model(model, config, steps)
    times = EpochTimes()
    model.fit(train, epochs=epochs + 1, steps_per_epoch=steps, callbacks=[times], verbose=0)
    return sum(times.seconds[1:]) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=tuple(SETTINGS), default="small")
    parser.add_argument("--quick", action="store_true", help="96 training videos (small)")
    args = parser.parse_args()
    clip_len, size, batch, videos, options = SETTINGS[args.size]
    videos = 96 if args.quick and args.size == "small" else videos
    epochs = 1 if args.size == "base" else 3
    work = Path(tempfile.mkdtemp(prefix="zoo-probe-"))
    split = (videos, batch, batch)
    data = make("moving_digits", work / "data", show_progress=False, videos_per_split=split)
    config = TrainConfig(model="videoprism", data=str(data), epochs=epochs + 1, batch_size=batch)
    clip = dict(clip_len=clip_len, frame_step=1, size=size)

    start = time.perf_counter()
    features = embed(
        "videoprism", data, work / "features", model_options=options, show_progress=False, **clip
    )
    embed_seconds = time.perf_counter() - start

    cached = feature_fit_datasets(features, config)
    head = head_model(load(features / "model.keras"))
    cached_seconds = seconds_per_epoch(head, cached.train, cached.steps, config, epochs)

    videos_ds = video_dataset(
        data, **clip, batch_size=batch, split="train", shuffle=True, repeat=True
    )
    whole = load(features / "model.keras")  # the same frozen backbone and a fresh head
    through = one_hot(videos_ds, len(videos_ds.class_names))
    through_seconds = seconds_per_epoch(whole, through, cached.steps, config, epochs)

    print(f"videoprism {args.size}: {head.count_params():,} head parameters")
    print(f"{videos} training videos, {cached.steps} steps of {batch} clips per epoch")
    print(f"embed once       {embed_seconds:7.2f} s")
    print(f"through backbone {through_seconds:7.3f} s/epoch")
    print(f"cached           {cached_seconds:7.3f} s/epoch")
    print(f"ratio            {through_seconds / cached_seconds:7.1f}x  (goal: 20x)")


if __name__ == "__main__":
    main()
