"""The lesson `moving_digits` exists for: a bag of frames cannot tell the sign of motion.

`frame_cnn` averages per-frame features over time, so "left" and "right" look
alike to it: on the four directions it can at best find the axis (50 %). A
`cnn_lstm` reads the frames in order and sees the direction.
"""

from __future__ import annotations

import keras
import pytest

from zoo import models
from zoo.data import video_dataset

CLIP = {"clip_len": 8, "frame_step": 2, "size": 64}
EPOCHS = 6  # about 30 s per model on 2 CPU cores


def _test_accuracy(name: str, root) -> float:
    keras.utils.set_random_seed(0)
    manifest = root / "manifest.csv"
    train = video_dataset(manifest, split="train", shuffle=True, batch_size=16, **CLIP)
    test = video_dataset(manifest, split="test", batch_size=32, **CLIP)
    model = models.build(name, 4, input_shape=(8, 64, 64, 3))
    model.compile(
        keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    model.fit(train, epochs=EPOCHS, shuffle=False, verbose=0)  # the dataset shuffles itself
    return model.evaluate(test, verbose=0)[1]


@pytest.mark.parametrize("name,low,high", [("cnn_lstm", 0.90, 1.0), ("frame_cnn", 0.0, 0.60)])
def test_only_the_temporal_model_sees_direction(moving_digits_dir, name, low, high):
    accuracy = _test_accuracy(name, moving_digits_dir)
    assert low <= accuracy <= high, f"{name}: {accuracy:.1%} on the test split"
