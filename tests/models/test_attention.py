"""Attention scores come out of the Transformer models with the documented shapes."""

from __future__ import annotations

import numpy as np
import pytest

from zoo import models

CLIP = np.random.default_rng(0).random((8, 32, 32, 3), dtype=np.float32)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "temporal_transformer",
            {"block_0_attention": (1, 4, 8, 8), "block_1_attention": (1, 4, 8, 8)},
        ),
        (
            "vivit",
            {
                "spatial_0_attention": (1, 4, 4, 16, 16),
                "spatial_1_attention": (1, 4, 4, 16, 16),
                "temporal_0_attention": (1, 4, 4, 4),
                "temporal_1_attention": (1, 4, 4, 4),
            },
        ),
        (
            "timesformer",
            {
                "block_0_time_attention": (1, 4, 4, 8, 8),
                "block_0_space_attention": (1, 8, 4, 4, 4),
                "block_1_time_attention": (1, 4, 4, 8, 8),
                "block_1_space_attention": (1, 8, 4, 4, 4),
            },
        ),
    ],
)
def test_attention_maps_have_documented_shapes_and_rows_sum_to_one(name, expected):
    model = models.build(name, 4, input_shape=CLIP.shape)
    maps = models.attention_maps(model, CLIP)
    assert {k: v.shape for k, v in maps.items()} == expected
    for scores in maps.values():
        np.testing.assert_allclose(scores.sum(axis=-1), 1.0, rtol=1e-5)


def test_models_without_attention_say_so():
    with pytest.raises(ValueError, match="no attention layers"):
        models.attention_maps(models.build("c3d", 4, input_shape=CLIP.shape), CLIP)
