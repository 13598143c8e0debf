"""`av_fusion`: video and audio branches, fused late (scores) or mid-way (features)."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.audio_cnn import audio_features
from zoo.models.blocks import classifier, frames_input
from zoo.models.cnn_lstm import lrcn_features
from zoo.models.registry import register

FUSIONS = ("late", "mid")


@register("av_fusion", task="audio_visual")
def av_fusion(
    num_classes: int,
    input_shape: tuple[int, int, int, int] = (8, 64, 64, 3),
    audio_shape: tuple[int, int, int] = (96, 64, 1),
    fusion: str = "mid",
    width: int = 16,
    units: int = 64,
    hidden: int = 64,
    dropout: float = 0.2,
) -> keras.Model:
    """Audio-visual fusion (after Nagrani et al. 2021, "Attention Bottlenecks for Multimodal Fusion", late/mid baselines).

    The video branch is the LRCN of `cnn_lstm` (frame CNN + LSTM); the audio
    branch is the CNN of `audio_cnn`.
    - "late": each branch has its own linear classifier (layers `video_logits`
      and `audio_logits`); the output is the softmax of their average (a
      product of experts). Averaging the logits, not the probabilities, lets
      each branch score its own factor of a label that needs both ("word"
      from the audio, "direction" from the video). Averaging probabilities
      instead, the video branch fits the training set alone and the fused
      model stays near the video ceiling: on `moving_digits_av`
      (`tests/models/test_av_fusion.py`'s recipe) 0.375 and 0.396 test
      accuracy with seeds 0 and 1, against 0.802 and 0.708 with logits.
    - "mid": the two clip features are concatenated and a shared hidden layer
      of `hidden` units learns from both before the classifier.

    Args:
        num_classes: number of output classes.
        input_shape: video `(T, H, W, 3)`, pixels in [0, 255] (uint8 or float; see `frames_input`).
        audio_shape: log-mel `(frames, mel_bins, 1)`.
        fusion: "late" or "mid".
        width: channels of the first convolution of both branches.
        units: LSTM units of the video branch.
        hidden: units of the shared layer ("mid" only).
        dropout: dropout rate before the classifier(s).

    Returns:
        A `keras.Model` from `[frames (B, T, H, W, 3), audio (B, frames, mel_bins, 1)]`
        to class probabilities `(B, num_classes)`.
    """
    if fusion not in FUSIONS:
        raise ValueError(f"fusion must be one of {FUSIONS}, not {fusion!r}")
    frames, pixels = frames_input(input_shape)
    audio = keras.Input(audio_shape, name="audio")
    video_x = lrcn_features(pixels, width=width, units=units)
    audio_x = audio_features(audio, width=width)
    if fusion == "late":
        logits = [
            layers.Dense(num_classes, dtype="float32", name=f"{branch}_logits")(
                layers.Dropout(dropout, name=f"{branch}_dropout")(x)
            )
            for branch, x in (("video", video_x), ("audio", audio_x))
        ]
        scores = layers.Average(name="fused_logits")(logits)
        outputs = layers.Softmax(dtype="float32", name="probabilities")(scores)
    else:
        x = layers.Concatenate(name="fused_features")([video_x, audio_x])
        x = layers.Dense(hidden, activation="relu", name="fused_hidden")(x)
        outputs = classifier(x, num_classes, dropout)
    return keras.Model([frames, audio], outputs, name=f"av_fusion_{fusion}")
