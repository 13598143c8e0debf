"""Serving artefacts: SavedModel (TF Serving), LiteRT and ONNX.

    clip = zoo.export.ClipSettings(clip_len=8, size=64, frame_step=2, num_clips=1)
    zoo.export.saved_model(model, "out/model", labels, clip=clip)  # uint8 clips, or a whole video
    zoo.export.litert(model, "out/model.tflite", labels=labels, clip=clip)  # clips of pixels in [0, 255]
    zoo.export.onnx(model, "out/model.onnx", labels, clip)

Every export carries its clip settings (how the run samples a video) and class
names; see `zoo.export.clip` for where each format keeps them.

Every export is written atomically (built beside its path, then renamed).
`zoo.predict` classifies video files with any of them; `zoo.export.runtimes` runs
the LiteRT and ONNX files on preprocessed clips.
"""

from zoo.export.clip import ClipSettings
from zoo.export.to_litert import calibration_clips, litert
from zoo.export.to_onnx import onnx
from zoo.export.to_saved_model import saved_model

__all__ = ["ClipSettings", "calibration_clips", "litert", "onnx", "saved_model"]
