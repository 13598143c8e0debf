"""Run the LiteRT and ONNX exports from Python, as an app would: clips in, probabilities out.

    model = LiteRTModel("model.tflite")   # or OnnxModel("model.onnx")
    probabilities = model(clips)          # (batch, T, size, size, 3) in [0, 255] -> (batch, classes)
    model.labels, model.clip              # class names and `ClipSettings` stored with the export

Preprocess raw frames with `zoo.data.transforms.preprocess_clip` first, and
sample them as `model.clip` says (`zoo.data.samplers.multi_clip`).
"""

from __future__ import annotations

import json
import os

import numpy as np

from zoo.export.clip import ClipSettings, litert_sidecar
from zoo.quiet import stderr_held_back


class _StoredExport:
    """What an export stores beside its weights: class names and clip settings.

    Subclasses set `_labels` (a list or None) and `_clip` (a record dict or None).
    """

    _labels: list[str] | None = None
    _clip: dict | None = None

    @property
    def labels(self) -> list[str] | None:
        """The class names stored with the export, if any."""
        return self._labels

    @property
    def clip(self) -> ClipSettings | None:
        """The clip settings stored with the export, if any."""
        return None if self._clip is None else ClipSettings.from_record(self._clip)


class LiteRTModel(_StoredExport):
    """A `.tflite` export in `ai_edge_litert.interpreter.Interpreter`, with its sidecar JSON."""

    def __init__(self, path: str | os.PathLike, num_threads: int | None = None):
        from ai_edge_litert.interpreter import Interpreter  # the optional `export` extra

        # LiteRT announces its CPU delegate on stderr ("INFO: Created TensorFlow Lite
        # XNNPACK delegate for CPU."), when the model is loaded and again on allocation.
        with stderr_held_back():
            self.interpreter = Interpreter(model_path=os.fspath(path), num_threads=num_threads)
        self._input = self.interpreter.get_input_details()[0]
        self._output = self.interpreter.get_output_details()[0]
        self._shape: tuple[int, ...] | None = None
        sidecar = litert_sidecar(path)
        stored = json.loads(sidecar.read_text()) if sidecar.is_file() else {}
        self._labels, self._clip = stored.get("labels"), stored.get("clip")

    @property
    def clip_shape(self) -> tuple[int, int]:
        """`(T, size)` of the input clips."""
        return int(self._input["shape"][1]), int(self._input["shape"][2])

    @property
    def num_classes(self) -> int:
        """The length of the output probabilities."""
        return int(self._output["shape"][-1])

    def __call__(self, clips: np.ndarray) -> np.ndarray:
        """Pixels `(batch, T, size, size, 3)` in [0, 255] (uint8 or float) to probabilities
        `(batch, classes)`."""
        clips = np.ascontiguousarray(clips, np.float32)
        if clips.shape != self._shape:
            self.interpreter.resize_tensor_input(self._input["index"], clips.shape, strict=True)
            with stderr_held_back():
                self.interpreter.allocate_tensors()
            self._shape = clips.shape
        self.interpreter.set_tensor(self._input["index"], clips)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self._output["index"]).copy()


class OnnxModel(_StoredExport):
    """An `.onnx` export in an onnxruntime `InferenceSession` on the CPU."""

    def __init__(self, path: str | os.PathLike, num_threads: int | None = None):
        import onnxruntime  # the optional `export` extra

        options = onnxruntime.SessionOptions()
        if num_threads:
            options.intra_op_num_threads = num_threads
        self.session = onnxruntime.InferenceSession(
            os.fspath(path), options, providers=["CPUExecutionProvider"]
        )
        self._input = self.session.get_inputs()[0]
        stored = self.session.get_modelmeta().custom_metadata_map
        self._labels = stored["labels"].split("\n") if stored.get("labels") else None
        self._clip = json.loads(stored["clip"]) if stored.get("clip") else None

    @property
    def clip_shape(self) -> tuple[int, int]:
        """`(T, size)` of the input clips."""
        return int(self._input.shape[1]), int(self._input.shape[2])

    @property
    def num_classes(self) -> int:
        """The length of the output probabilities."""
        return int(self.session.get_outputs()[0].shape[-1])

    def __call__(self, clips: np.ndarray) -> np.ndarray:
        """Pixels `(batch, T, size, size, 3)` in [0, 255] (uint8 or float) to probabilities
        `(batch, classes)`."""
        return self.session.run(None, {self._input.name: np.asarray(clips, np.float32)})[0]
