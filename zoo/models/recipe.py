"""The fixed training recipe behind the shipped weights, model cards and accuracy tests.

One recipe for every video model on a built-in data set: clips of 8 frames
at step 2, 64x64, batch 16, Adam 1e-3, sparse cross-entropy, seeded; 8
epochs at a constant rate on `moving_digits`, 15 on `digit_events` with the
rate decaying along a half cosine (`RECIPES`).
Training clips start at random frames; evaluation uses the centre clip.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import keras
import numpy as np

from zoo.data import video_dataset
from zoo.models.registry import build


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How a zoo model is trained on a built-in data set."""

    clip_len: int = 8
    frame_step: int = 2
    size: int = 64
    batch_size: int = 16
    learning_rate: float = 1e-3
    epochs: int = 8
    cosine_decay: bool = False  # the learning rate falls to 0 along a half cosine
    seed: int = 0

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (self.clip_len, self.size, self.size, 3)


# The recipe of each built-in data set: digit_events has 12 classes and six times the videos.
RECIPES = {"moving_digits": Recipe(), "digit_events": Recipe(epochs=15, cosine_decay=True)}


@dataclasses.dataclass
class Result:
    """A trained model and what training it measured."""

    model: keras.Model
    class_names: list[str]
    losses: list[float]
    seconds: float


def clips(
    data_dir: str | Path, split: str, recipe: Recipe = Recipe()
) -> tuple[np.ndarray, np.ndarray]:
    """The evaluation clips of one split as arrays: uint8 `(N, T, S, S, 3)`, int32 `(N,)`."""
    ds = video_dataset(
        data_dir,
        recipe.clip_len,
        recipe.frame_step,
        recipe.size,
        batch_size=64,
        split=split,
        seed=recipe.seed,
    )
    batches = list(ds.as_numpy_iterator())
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    """Top-1 accuracy of `model` on clips `x` with labels `y`, in [0, 1]."""
    probabilities = model.predict(x, batch_size=32, verbose=0)
    return float(np.mean(np.argmax(probabilities, axis=-1) == y))


def train(
    name: str, data_dir: str | Path, recipe: Recipe = Recipe(), verbose: int = 0, **options
) -> Result:
    """Builds model `name` (with `options`) and trains it on the train split of `data_dir`."""
    keras.utils.set_random_seed(recipe.seed)
    ds = video_dataset(
        data_dir,
        recipe.clip_len,
        recipe.frame_step,
        recipe.size,
        batch_size=recipe.batch_size,
        split="train",
        shuffle=True,
        seed=recipe.seed,
    )
    model = build(name, len(ds.class_names), input_shape=recipe.input_shape, **options)
    learning_rate = recipe.learning_rate
    if recipe.cosine_decay:
        steps = -(-ds.num_videos // recipe.batch_size) * recipe.epochs
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
    model.compile(
        keras.optimizers.Adam(learning_rate),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    history = model.fit(ds, epochs=recipe.epochs, verbose=verbose, shuffle=False)  # ds shuffles
    seconds = time.perf_counter() - start
    return Result(model, list(ds.class_names), history.history["loss"], seconds)
