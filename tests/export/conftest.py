"""Fixtures for the export tests: tiny models, a small data set and one short training run."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from export_tiny import CLIP, INPUT_SHAPE, TINY_OPTIONS, build_tiny


@pytest.fixture(scope="session")
def tiny_models() -> dict[str, keras.Model]:
    """The CNN, LSTM and transformer families, untrained (weights seeded)."""
    return {name: build_tiny(name) for name in TINY_OPTIONS}


@pytest.fixture(scope="session")
def float_clips() -> np.ndarray:
    """float32 `(3, T, size, size, 3)` clips in [0, 1]."""
    return np.random.default_rng(0).random((3, *INPUT_SHAPE), dtype=np.float32)


@pytest.fixture(scope="session")
def digits_dir(tmp_path_factory):
    """moving_digits with 160/8/32 videos: enough to train a tiny model to high accuracy."""
    from zoo.datasets import make

    out = tmp_path_factory.mktemp("export_data") / "moving_digits"
    return make("moving_digits", out, videos_per_split=(160, 8, 32), show_progress=False)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, digits_dir):
    """A run folder (model.keras, labels.txt, config.json) of a tiny cnn_lstm trained for 6 epochs."""
    from zoo.data import video_dataset
    from zoo.training.run import RunDir, TrainConfig

    keras.utils.set_random_seed(0)
    train = video_dataset(
        digits_dir, split="train", batch_size=8, shuffle=True, cache=True, seed=0, **CLIP
    )
    model = build_tiny("cnn_lstm")
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(train, epochs=6, shuffle=False, verbose=0)  # the dataset shuffles itself
    run = RunDir(tmp_path_factory.mktemp("runs") / "digits")
    config = TrainConfig(
        model="cnn_lstm", data=str(digits_dir), model_options=TINY_OPTIONS["cnn_lstm"], **CLIP
    )
    run.write(config, train.class_names, {"num_classes": len(train.class_names)})
    model.save(run.model)
    return run.root


@pytest.fixture(scope="session")
def test_clips(digits_dir) -> tuple[np.ndarray, np.ndarray]:
    """The test split as float32 clips `(N, T, size, size, 3)` and int labels `(N,)`."""
    from zoo.data import video_dataset

    ds = video_dataset(digits_dir, split="test", batch_size=64, **CLIP)
    clips, labels = zip(*ds.as_numpy_iterator(), strict=True)
    return np.concatenate(clips), np.concatenate(labels)
