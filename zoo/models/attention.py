"""Reading attention scores out of the zoo's Transformer models, for plots."""

from __future__ import annotations

import keras
import numpy as np

from zoo.models.layers import SelfAttention


def attention_model(model: keras.Model) -> keras.Model:
    """A sub-model from the model's inputs to the scores of every `SelfAttention` layer.

    Its outputs are a dict keyed by layer name (e.g. "block_0_attention"),
    each `(B, ..., heads, L, L)` as that layer documents.
    """
    attention = [layer for layer in model.layers if isinstance(layer, SelfAttention)]
    if not attention:
        raise ValueError(f"model {model.name!r} has no attention layers")
    return keras.Model(
        model.inputs,
        {layer.name: layer.output[1] for layer in attention},
        name=f"{model.name}_attention",
    )


def attention_maps(model: keras.Model, clip: np.ndarray) -> dict[str, np.ndarray]:
    """Attention scores of every attention layer of `model` for `clip`.

    Args:
        model: a zoo Transformer (temporal_transformer, vivit, timesformer).
        clip: one clip `(T, H, W, 3)` or a batch `(B, T, H, W, 3)`, pixels in [0, 255].

    Returns:
        Layer name -> scores as numpy, `(B, ..., heads, L, L)`; rows sum to 1.
    """
    clip = np.asarray(clip, np.float32)
    if clip.ndim == len(model.inputs[0].shape) - 1:
        clip = clip[None]
    scores = attention_model(model).predict_on_batch(clip)
    return {name: np.asarray(value) for name, value in scores.items()}
