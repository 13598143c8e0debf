"""Small building blocks shared by several builders (functional-API helpers on tensors)."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.layers import SelfAttention

PIXELS = "pixels"  # the layer that scales a video model's input frames to [0, 1]


def frames_input(
    input_shape: tuple[int, int, int, int],
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """A video model's input "frames" `(B, T, H, W, 3)`, pixels in [0, 255], and the same
    frames scaled to [0, 1] by a `Rescaling` layer named "pixels".

    A model scales its own input, as `keras.applications` models do: clips
    travel from the loader to the model as uint8, a quarter of the bytes of
    float32, and Keras casts them to float32 at the input, on the accelerator.
    Floats in [0, 255] work as well.

    Returns:
        `(inputs, scaled)`: the model's `keras.Input`, and the tensor its layers start from.
    """
    inputs = keras.Input(input_shape, name="frames")
    return inputs, layers.Rescaling(1 / 255, name=PIXELS)(inputs)


def takes_pixels(model: keras.Model) -> bool:
    """Whether `model` scales its own frames (see `frames_input`): False for a zoo model saved
    before models did, which takes frames in [0, 1]."""
    return any(layer.name == PIXELS for layer in model.layers)


def frame_encoder(
    frame_shape: tuple[int, int, int],
    width: int = 16,
    depth: int = 4,
    embed_dim: int = 128,
    name: str = "frame_encoder",
) -> keras.Model:
    """A small 2D CNN from one frame `(H, W, C)` to an embedding `(embed_dim,)`.

    `depth` stride-2 convolutions (widths `width * 2**i`), then Flatten and Dense.
    Flatten, not global pooling, keeps *where* things are in the frame, which
    temporal models need to see motion.
    """
    inputs = keras.Input(frame_shape)
    x = inputs
    for i in range(depth):
        x = layers.Conv2D(width * 2**i, 3, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(embed_dim, activation="relu")(x)
    return keras.Model(inputs, x, name=name)


def classifier(features: keras.KerasTensor, num_classes: int, dropout: float) -> keras.KerasTensor:
    """Dropout and a softmax Dense layer named "probabilities": `(B, F)` to `(B, num_classes)`.

    The Dense layer computes in float32 under any dtype policy, so the
    probabilities of a `mixed_float16` model are float32 and sum to 1.
    """
    x = layers.Dropout(dropout, name="head_dropout")(features)
    return layers.Dense(num_classes, activation="softmax", dtype="float32", name="probabilities")(x)


def sigmoid_head(model: keras.Model) -> keras.Model:
    """Makes the "probabilities" Dense layer of `model` (see `classifier`) answer per label.

    Its softmax becomes a sigmoid, so the output `(B, num_classes)` holds one
    independent score in [0, 1] per label (multi-label tagging); saved models
    keep it. Returns `model`, changed in place.

    Raises:
        ValueError: `model` has no Dense layer named "probabilities".
    """
    head = next((layer for layer in model.layers if layer.name == "probabilities"), None)
    if not isinstance(head, layers.Dense):
        raise ValueError(
            f"model {model.name!r} ends in no Dense 'probabilities' layer: no multi-label head"
        )
    head.activation = keras.activations.sigmoid
    return model


def transformer_block(
    tokens: keras.KerasTensor, num_heads: int, mlp_dim: int, dropout: float, name: str
) -> keras.KerasTensor:
    """Pre-norm Transformer encoder block along axis -2 of `(B, ..., L, D)`; same shape out.

    Self-attention (a `SelfAttention` layer named `{name}_attention`, whose
    scores `attention_maps` reads), then a residual GELU MLP of width `mlp_dim`.
    """
    dim = tokens.shape[-1]
    x, _ = SelfAttention(num_heads, dim // num_heads, dropout, name=f"{name}_attention")(tokens)
    return feed_forward(x, mlp_dim, dropout, name)


def feed_forward(
    tokens: keras.KerasTensor, mlp_dim: int, dropout: float, name: str
) -> keras.KerasTensor:
    """Pre-norm residual MLP `D -> mlp_dim -> D` applied to every token of `(B, ..., D)`."""
    h = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_mlp_norm")(tokens)
    h = layers.Dense(mlp_dim, activation="gelu", name=f"{name}_mlp_in")(h)
    h = layers.Dense(tokens.shape[-1], name=f"{name}_mlp_out")(h)
    h = layers.Dropout(dropout, name=f"{name}_mlp_dropout")(h)
    return layers.Add(name=f"{name}_mlp_residual")([tokens, h])


def tubelets(
    frames: keras.KerasTensor, size: tuple[int, int, int], dim: int, name: str
) -> keras.KerasTensor:
    """Cuts `(B, T, H, W, C)` into tubelets of `size` (frames, height, width) and embeds each.

    Returns tokens `(B, T / size[0], H W / (size[1] size[2]), dim)`. Equal to a
    Conv3D with kernel = stride = `size`, written as reshapes and one Dense
    layer because TensorFlow's CPU Conv3D gradient is many times slower.
    """
    steps, height, width, channels = frames.shape[1:]
    (st, sh, sw), (t, h, w) = size, (steps // size[0], height // size[1], width // size[2])
    if (t * st, h * sh, w * sw) != (steps, height, width):
        raise ValueError(f"clip shape {frames.shape[1:4]} is not divisible by tubelet size {size}")
    x = layers.Reshape((t, st, h, sh, w, sw, channels), name=f"{name}_split")(frames)
    x = layers.Permute((1, 3, 5, 2, 4, 6, 7), name=f"{name}_group")(x)
    x = layers.Reshape((t, h * w, st * sh * sw * channels), name=f"{name}_flatten")(x)
    return layers.Dense(dim, name=name)(x)


def conv_bn_relu(
    x: keras.KerasTensor,
    filters: int,
    kernel: int | tuple,
    strides: int | tuple = 1,
    name: str | None = None,
    relu: bool = True,
) -> keras.KerasTensor:
    """Conv (2D or 3D, from the input rank), batch norm and optional ReLU; "same" padding."""
    conv = layers.Conv3D if len(x.shape) == 5 else layers.Conv2D
    x = conv(
        filters,
        kernel,
        strides=strides,
        padding="same",
        use_bias=False,
        name=name and f"{name}_conv",
    )(x)
    x = layers.BatchNormalization(name=name and f"{name}_bn")(x)
    return layers.ReLU(name=name and f"{name}_relu")(x) if relu else x
