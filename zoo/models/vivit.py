"""`vivit`: tubelet embedding and a factorised spatial-then-temporal Transformer encoder."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.blocks import classifier, frames_input, transformer_block, tubelets
from zoo.models.layers import PositionEmbedding
from zoo.models.registry import register


@register("vivit")
def vivit(
    num_classes: int,
    input_shape: tuple[int, int, int, int] = (8, 64, 64, 3),
    tubelet: tuple[int, int, int] = (2, 8, 8),
    dim: int = 64,
    spatial_depth: int = 2,
    temporal_depth: int = 2,
    num_heads: int = 4,
    mlp_dim: int = 128,
    dropout: float = 0.1,
) -> keras.Model:
    """ViViT, factorised encoder (Arnab et al. 2021, "ViViT: A Video Vision Transformer", model 2).

    The clip is cut into `t x n`
    tubelets (`t = T / tubelet[0]`, `n = H W / (tubelet[1] tubelet[2])`),
    each embedded linearly, with a learned space-time position embedding. A spatial encoder attends
    among the `n` tokens of each time step (scores `(B, t, heads, n, n)`);
    their mean is one token per time step; a temporal encoder attends across
    the `t` steps (scores `(B, heads, t, t)`). The paper's class tokens are
    replaced by averages.

    Args:
        num_classes: number of output classes.
        input_shape: `(T, H, W, 3)`, pixels in [0, 255] (uint8 or float; see `frames_input`); T, H and W divisible by `tubelet`.
        tubelet: `(frames, height, width)` of one token.
        dim: token width.
        spatial_depth: blocks of the spatial encoder.
        temporal_depth: blocks of the temporal encoder.
        num_heads: attention heads (`dim` must divide by it).
        mlp_dim: hidden width of each block's MLP.
        dropout: dropout in the blocks and before the classifier.

    Returns:
        A `keras.Model` from `(B, T, H, W, 3)` to class probabilities `(B, num_classes)`.
    """
    inputs, x = frames_input(input_shape)
    x = tubelets(x, tubelet, dim, name="tubelet_embedding")
    x = PositionEmbedding(name="space_time_embedding")(x)
    for i in range(spatial_depth):
        x = transformer_block(x, num_heads, mlp_dim, dropout, name=f"spatial_{i}")
    x = layers.LayerNormalization(epsilon=1e-6, name="spatial_norm")(x)
    x = layers.TimeDistributed(layers.GlobalAveragePooling1D(), name="spatial_average")(x)
    x = PositionEmbedding(name="time_embedding")(x)
    for i in range(temporal_depth):
        x = transformer_block(x, num_heads, mlp_dim, dropout, name=f"temporal_{i}")
    x = layers.LayerNormalization(epsilon=1e-6, name="temporal_norm")(x)
    x = layers.GlobalAveragePooling1D(name="temporal_average")(x)
    return keras.Model(inputs, classifier(x, num_classes, dropout), name="vivit")
