"""Fixtures for the data-layer tests: small generated files, made once per session."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from videogen import CODECS, HEIGHT, WIDTH, pattern, write_video

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> dict[str, Path]:
    """One 10-frame file per codec, plus `long`: 40 frames of H.264, a key frame every 8."""
    root = tmp_path_factory.mktemp("media")
    files = {}
    for name, (codec, pix_fmt, ext, options) in CODECS.items():
        files[name] = write_video(root / f"{name}.{ext}", pattern(), codec, pix_fmt, options)
    files["long"] = write_video(root / "long.mp4", pattern(40), options={"crf": "10", "g": "8"})
    return files


@pytest.fixture(scope="session")
def class_tree(tmp_path_factory) -> Path:
    """`ROOT/<label>/<video>.mp4`: 3 classes x 4 videos of 12 frames, each class a colour."""
    root = tmp_path_factory.mktemp("tree")
    for label, colour in [("blue", (0, 0, 200)), ("green", (0, 200, 0)), ("red", (200, 0, 0))]:
        (root / label).mkdir()
        for i in range(4):
            frames = np.zeros((12, HEIGHT, WIDTH, 3), np.uint8) + np.array(colour, np.uint8)
            frames[:, :, : 4 * (i + 1)] = 255
            write_video(root / label / f"{label}{i}.mp4", frames)
    return root
