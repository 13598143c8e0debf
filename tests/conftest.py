"""Shared fixtures: the built-in data set, built once per test session."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def moving_digits_dir(tmp_path_factory):
    """The default `moving_digits` data set (direction labels), built once into a temp folder."""
    from zoo.datasets import make

    return make(
        "moving_digits", tmp_path_factory.mktemp("data") / "moving_digits", show_progress=False
    )


@pytest.fixture(scope="session")
def digit_events_dir(tmp_path_factory):
    """The default `digit_events` data set (12 events, 3,456 videos), built once into a temp folder."""
    from zoo.datasets import make

    return make(
        "digit_events", tmp_path_factory.mktemp("data") / "digit_events", show_progress=False
    )


@pytest.fixture(scope="session")
def moving_digits_av_dir(tmp_path_factory):
    """The default `moving_digits_av` data set (12 classes, 384 videos with sound), built once."""
    from zoo.datasets import make

    return make(
        "moving_digits_av",
        tmp_path_factory.mktemp("data") / "moving_digits_av",
        show_progress=False,
    )
