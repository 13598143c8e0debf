"""Constants and builders shared by the export tests (imported by name: no package here)."""

from __future__ import annotations

import keras

CLIP = {"clip_len": 4, "frame_step": 4, "size": 32}
INPUT_SHAPE = (CLIP["clip_len"], CLIP["size"], CLIP["size"], 3)
LABELS = ["down", "left", "right", "up"]  # moving_digits' direction classes, sorted
TINY_OPTIONS = {
    "frame_cnn": {"width": 8},
    "cnn_lstm": {"width": 8},
    "temporal_transformer": {"width": 8, "embed_dim": 32, "dim": 16, "mlp_dim": 32},
}


def build_tiny(name: str, seed: int = 0) -> keras.Model:
    """A small untrained zoo model for `INPUT_SHAPE` clips and the four `LABELS`."""
    import zoo.models

    keras.utils.set_random_seed(seed)
    return zoo.models.build(name, len(LABELS), input_shape=INPUT_SHAPE, **TINY_OPTIONS[name])
