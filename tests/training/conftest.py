"""Tiny data and settings for the training tests: a run takes seconds on one core."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from run_training import TINY_RUN  # noqa: E402  (this folder is on sys.path)

# 32/8/16 videos of 32x32 pixels, so a 4-frame clip at 32x32 needs no resizing.
TINY_DATA = dict(videos_per_split=(32, 8, 16), canvas=32, digit_size=10, speed=(0.8, 1.0))


@pytest.fixture(scope="session")
def tiny_digits(tmp_path_factory) -> Path:
    """A 56-video moving_digits (direction labels) with train/val/test splits."""
    from zoo.datasets import make

    return make(
        "moving_digits",
        tmp_path_factory.mktemp("tiny") / "digits",
        show_progress=False,
        **TINY_DATA,
    )


@pytest.fixture(scope="session")
def tiny_run(tiny_digits, tmp_path_factory) -> Path:
    """A finished 2-epoch run on `tiny_digits`."""
    from zoo.train import train

    return train(
        "cnn_lstm",
        tiny_digits,
        tmp_path_factory.mktemp("runs") / "tiny",
        epochs=2,
        verbose=2,
        **TINY_RUN,
    )
