"""Serving artefacts: SavedModel (TF Serving), LiteRT and ONNX.

    zoo.export.saved_model(model, "out/model", labels)   # serving_default signature on raw uint8 clips
    zoo.export.litert(model, "out/model.tflite")          # float32 clips in [0, 1]
    zoo.export.onnx(model, "out/model.onnx")

Every export is written atomically (built beside its path, then renamed).
`zoo.export.runtimes` runs the LiteRT and ONNX files; `zoo.predict` runs the rest.
"""

from zoo.export.to_litert import calibration_clips, litert
from zoo.export.to_onnx import onnx
from zoo.export.to_saved_model import saved_model

__all__ = ["calibration_clips", "litert", "onnx", "saved_model"]
