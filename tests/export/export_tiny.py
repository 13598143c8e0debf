"""Constants and builders shared by the export tests (imported by name: no package here)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import keras
import numpy as np

CLIP = {"clip_len": 4, "frame_step": 4, "size": 32}
INPUT_SHAPE = (CLIP["clip_len"], CLIP["size"], CLIP["size"], 3)
LABELS = ["down", "left", "right", "up"]  # moving_digits' direction classes, sorted
TINY_OPTIONS = {
    "frame_cnn": {"width": 8},
    "cnn_lstm": {"width": 8},
    "temporal_transformer": {"width": 8, "embed_dim": 32, "dim": 16, "mlp_dim": 32},
}


def build_tiny(name: str, seed: int = 0) -> keras.Model:
    """A small untrained zoo model for `INPUT_SHAPE` clips and the four `LABELS`."""
    import zoo.models

    keras.utils.set_random_seed(seed)
    return zoo.models.build(name, len(LABELS), input_shape=INPUT_SHAPE, **TINY_OPTIONS[name])


# Runs with `python -I -S`: no site-packages hooks (so not the editable install
# of zoo), no cwd, no PYTHONPATH; only the folders given on the command line.
# KerasHub is installed there, so an import hook refuses it: a SavedModel of
# a KerasHub backbone must serve without it.
CHILD = textwrap.dedent(
    """
    import sys
    site, export, signature, inputs, outputs = sys.argv[1:]
    sys.path.append(site)

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("keras_hub", "keras_nlp"):
                raise ImportError(f"{name}: not on a serving machine")

    sys.meta_path.insert(0, Refuse())
    for name in ("zoo", "keras_hub"):
        try:
            module = __import__(name)
        except ImportError:
            pass
        else:
            raise SystemExit(f"{name} is importable from {module.__file__}")
    import numpy as np
    import tensorflow as tf

    serve = tf.saved_model.load(export).signatures[signature]
    results = {}
    with np.load(inputs) as frames:
        for key in frames.files:
            for name, value in serve(frames=tf.constant(frames[key])).items():
                array = value.numpy()  # strings come as an object array of bytes
                results[f"{key}/{name}"] = array.astype(bytes) if array.dtype == object else array
    np.savez(outputs, **results)
    """
)


def serve_without_zoo(
    export: Path, signature: str, frames: dict[str, np.ndarray], work: Path
) -> dict[str, np.ndarray]:
    """Calls `signature` of the SavedModel `export` on each of `frames` in a fresh process
    that cannot import zoo; returns the outputs as `{"<key>/<output name>": array}`.
    """
    np.savez(work / "inputs.npz", **frames)
    (work / "child.py").write_text(CHILD)
    site = sysconfig.get_paths()["purelib"]
    command = [sys.executable, "-I", "-S", "child.py", site, str(export), signature,
               "inputs.npz", "out.npz"]  # fmt: skip
    env = {"PATH": os.environ.get("PATH", ""), "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    with np.load(work / "out.npz") as served:
        return dict(served)
