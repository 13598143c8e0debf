"""Is the input pipeline the bottleneck of training? Fit steps/s from mp4 files vs from memory.

    python benchmarks/train.py            # moving_digits; cnn_lstm and r2plus1d; 3 rounds of 4 epochs
    python benchmarks/train.py --quick    # 2 rounds of 2 epochs: a smoke run
    python benchmarks/train.py --model c3d vivit

Both runs train the same model with the recipe of `zoo train` (batch 16,
clips of 8 frames at 64x64) on the same batches:

    mp4     `video_dataset` decoding, sampling and augmenting every clip from
            the H.264 files while the model trains (what `zoo train` does)
    memory  one epoch of those batches, made beforehand and held in memory:
            no decoding at all, the ceiling a loader can reach

The first epoch of every fit (tracing) is not timed; each kind keeps its best
round, the one least disturbed on a shared machine. Goal: mp4 / memory >= 0.9.
The loader alone (no model) is timed too: how many steps/s it could feed, and
the CPU time a step of it costs. Without a GPU the model and the decoders share
the same cores, so "cores busy" shows how much CPU the memory run leaves free:
a model that keeps every core busy on its own must give up some of it.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from zoo import models  # noqa: E402
from zoo.training.data import fit_datasets, resolve_source  # noqa: E402
from zoo.training.hardware import seed_everything  # noqa: E402
from zoo.training.recipe import compile_model  # noqa: E402
from zoo.training.run import TrainConfig  # noqa: E402


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock and process CPU seconds of every epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self.cpu_seconds: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start, self._cpu_start = time.perf_counter(), time.process_time()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds.append(time.perf_counter() - self._start)
        self.cpu_seconds.append(time.process_time() - self._cpu_start)


def steps_per_second(
    ds: tf.data.Dataset, config: TrainConfig, steps: int, classes: int
) -> tuple[float, float]:
    """Trains a fresh model for `config.epochs` epochs.

    Returns:
        `(steps/s, CPU cores busy)` over the epochs after the first.
    """
    seed_everything(config.seed, deterministic=False)
    model = models.build(config.model, classes, input_shape=config.input_shape)
    compile_model(model, config, steps)
    timer = EpochTimer()
    model.fit(
        ds, epochs=config.epochs, steps_per_epoch=steps, shuffle=False, verbose=0, callbacks=[timer]
    )
    wall = sum(timer.seconds[1:])
    return steps * (len(timer.seconds) - 1) / wall, sum(timer.cpu_seconds[1:]) / wall


def loader_steps_per_second(ds: tf.data.Dataset, steps: int) -> tuple[float, float]:
    """`(batches/s, CPU ms per batch)` of `ds` alone, no model, from iterator creation
    to the last batch."""
    start, cpu_start = time.perf_counter(), time.process_time()
    iterator = iter(ds)
    for _ in range(steps):
        next(iterator)
    rate = steps / (time.perf_counter() - start)
    cpu_ms = (time.process_time() - cpu_start) / steps * 1000
    del iterator  # after the clock: deleting can block (shared/stack.md)
    return rate, cpu_ms


def compare(model: str, data: str, rounds: int, epochs: int) -> float:
    """Prints the rounds of one model; returns its best mp4 / best memory steps/s."""
    config = TrainConfig(model=model, data=data, epochs=epochs)
    data = fit_datasets(Path(config.data), config)
    mp4, class_names, steps = data.train, data.class_names, data.steps
    batches = list(mp4.take(steps))
    memory = (
        tf.data.Dataset.from_tensor_slices(
            tuple(tf.stack([b[i] for b in batches]) for i in range(2))
        )
        .repeat()
        .prefetch(tf.data.AUTOTUNE)
    )
    print(
        f"\n{model}: {steps} steps of {config.batch_size} clips {config.input_shape} per epoch, "
        f"{rounds} rounds of {epochs} epochs"
    )
    rate, cpu_ms = loader_steps_per_second(mp4, 2 * steps)
    print(f"  mp4 loader alone, no model: {rate:6.2f} steps/s, {cpu_ms:5.1f} ms CPU a step")
    best = {"mp4": 0.0, "memory": 0.0}
    for round_ in range(1, rounds + 1):
        for name, ds in (("memory", memory), ("mp4", mp4)):
            rate, cores = steps_per_second(ds, config, steps, len(class_names))
            best[name] = max(best[name], rate)
            print(
                f"  round {round_}  {name:6s} {rate:6.2f} steps/s, {cores:4.2f} cores busy",
                flush=True,
            )
    ratio = best["mp4"] / best["memory"]
    print(
        f"  best: mp4 {best['mp4']:.2f} steps/s, memory {best['memory']:.2f} steps/s, "
        f"ratio {ratio:.2f}"
    )
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="moving_digits")
    parser.add_argument("--model", nargs="+", default=["cnn_lstm", "r2plus1d"])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, epochs = (2, 2) if args.quick else (3, 4)
    data = str(resolve_source(args.data))
    print(f"{data}, {os.cpu_count()} CPUs")
    ratios = {model: compare(model, data, rounds, epochs) for model in args.model}
    print("\nmp4 / memory steps/s (goal >= 0.9):")
    for model, ratio in ratios.items():
        print(f"  {model:14s} {ratio:5.2f}")


if __name__ == "__main__":
    main()
