"""Run the LiteRT and ONNX exports from Python, as an app would: float32 clips in, probabilities out.

    model = LiteRTModel("model.tflite")   # or OnnxModel("model.onnx")
    probabilities = model(clips)          # (batch, T, size, size, 3) in [0, 1] -> (batch, classes)

Preprocess raw frames with `zoo.data.transforms.preprocess_clip` first.
"""

from __future__ import annotations

import os

import numpy as np


class LiteRTModel:
    """A `.tflite` export in `ai_edge_litert.interpreter.Interpreter`."""

    def __init__(self, path: str | os.PathLike, num_threads: int | None = None):
        from ai_edge_litert.interpreter import Interpreter  # the optional `export` extra

        self.interpreter = Interpreter(model_path=os.fspath(path), num_threads=num_threads)
        self._input = self.interpreter.get_input_details()[0]["index"]
        self._output = self.interpreter.get_output_details()[0]["index"]
        self._shape: tuple[int, ...] | None = None

    def __call__(self, clips: np.ndarray) -> np.ndarray:
        """float32 `(batch, T, size, size, 3)` to probabilities `(batch, classes)`."""
        clips = np.ascontiguousarray(clips, np.float32)
        if clips.shape != self._shape:
            self.interpreter.resize_tensor_input(self._input, clips.shape, strict=True)
            self.interpreter.allocate_tensors()
            self._shape = clips.shape
        self.interpreter.set_tensor(self._input, clips)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self._output).copy()


class OnnxModel:
    """An `.onnx` export in an onnxruntime `InferenceSession` on the CPU."""

    def __init__(self, path: str | os.PathLike, num_threads: int | None = None):
        import onnxruntime  # the optional `export` extra

        options = onnxruntime.SessionOptions()
        if num_threads:
            options.intra_op_num_threads = num_threads
        self.session = onnxruntime.InferenceSession(
            os.fspath(path), options, providers=["CPUExecutionProvider"]
        )
        self._input = self.session.get_inputs()[0].name

    @property
    def labels(self) -> list[str] | None:
        """The class names stored in the model's metadata, if any."""
        labels = self.session.get_modelmeta().custom_metadata_map.get("labels")
        return labels.split("\n") if labels else None

    def __call__(self, clips: np.ndarray) -> np.ndarray:
        """float32 `(batch, T, size, size, 3)` to probabilities `(batch, classes)`."""
        return self.session.run(None, {self._input: np.asarray(clips, np.float32)})[0]
