"""`audio_cnn`: a 2D CNN on a log-mel spectrogram."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.blocks import classifier, conv_bn_relu
from zoo.models.registry import register


def audio_features(
    spectrogram: keras.KerasTensor, width: int = 16, depth: int = 3
) -> keras.KerasTensor:
    """Log-mel `(B, frames, mel_bins, 1)` to a feature `(B, F * width * 2**(depth - 1))`.

    `depth` stages of two 3x3 convolutions and a 2x2 max pool (VGGish-style),
    then an average over time that keeps the `F = ceil(mel_bins / 2**depth)`
    frequency bands apart (flattened): where in frequency a sound lies (its
    pitch) is kept, as VGGish keeps it by flattening. A global average over
    frequency too would leave pitch to the edges of the receptive fields: on
    `moving_digits_av`, three words an octave apart, such a model was still
    near chance after 7 epochs where this one knew the word after one.
    """
    x = spectrogram
    for i in range(depth):
        x = conv_bn_relu(x, width * 2**i, 3, name=f"audio_{i}a")
        x = conv_bn_relu(x, width * 2**i, 3, name=f"audio_{i}b")
        x = layers.MaxPooling2D(2, padding="same", name=f"audio_{i}_pool")(x)
    x = layers.AveragePooling2D((x.shape[1], 1), name="audio_time_average")(x)
    return layers.Flatten(name="audio_bands")(x)


@register("audio_cnn", task="audio")
def audio_cnn(
    num_classes: int,
    input_shape: tuple[int, int, int] = (96, 64, 1),
    width: int = 16,
    depth: int = 3,
    dropout: float = 0.2,
) -> keras.Model:
    """A VGG-style CNN on log-mel spectrograms (after Hershey et al. 2017, "CNN Architectures for Large-Scale Audio Classification").

    Args:
        num_classes: number of output classes.
        input_shape: `(frames, mel_bins, 1)`: a log-mel spectrogram (e.g. 96
            frames of 10 ms, 64 mel bins), scaled to roughly unit range.
        width: channels of the first stage; doubles at each stage.
        depth: number of stages.
        dropout: dropout rate before the classifier.

    Returns:
        A `keras.Model` from `(B, frames, mel_bins, 1)` to class probabilities `(B, num_classes)`.
    """
    inputs = keras.Input(input_shape, name="audio")
    x = audio_features(inputs, width, depth)
    return keras.Model(inputs, classifier(x, num_classes, dropout), name="audio_cnn")
