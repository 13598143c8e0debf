"""The pipeline's Python stages, callable from any process that imports zoo's pipeline.

`tf.numpy_function(fn, ...)` writes into the graph a `PyFunc` op that names
`fn` by a token only the process that built the graph knows ("pyfunc_7").
A tf.data service worker in another process runs the graph it is sent, looks
the token up in its own registry of Python functions, and fails: "Could not
find callback with key=pyfunc_7 in the registry". So the Python stages of
`video_dataset` (PyAV decoding, JPEG records) are module-level functions,
registered by `register` under fixed tokens named after them
("zoo.data.pipeline.decode_stage") when their module is imported, in every
process that imports it: `zoo data-service --worker` imports
`zoo.data.pipeline`. They take their settings as a string tensor
(`DecodeSettings` in JSON) instead of from a closure, so the same graph runs
the same code in the process that built it and on any worker.

TensorFlow has no public call that registers a function under a chosen
token: `register` writes into TF's registry (`script_ops._py_funcs`) itself,
and `call` makes the op with the public `tf.raw_ops.PyFuncStateless`, which
is what `tf.numpy_function(..., stateful=False)` makes too.

Broken files skipped under `on_error="skip"` go to the `SkipReport` of the
dataset that was built, found by a key in its settings (`report_key`). A
process that did not build the dataset (a service worker) has no such
report: its skips go to `WORKER_SKIPS`, which logs each file once.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import uuid
import weakref
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.python.ops import script_ops

from zoo.data.errors import DEFAULT_LIMITS, DecodeLimits, SkipReport
from zoo.data.samplers import ClipSpec

# The registry holds only weak references; these keep the stages alive.
_STAGES: dict[str, Callable[..., Any]] = {}
_REPORTS: weakref.WeakValueDictionary[str, SkipReport] = weakref.WeakValueDictionary()
WORKER_SKIPS = SkipReport()  # what this process skipped for datasets built elsewhere


def _token(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def register(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Registers the module-level function `fn` as a stage under its full name (a decorator).

    `fn` takes numpy arrays (bytes for strings) and returns an array or a
    tuple of arrays, as for `tf.numpy_function`.
    """
    token = _token(fn)
    if "<locals>" in token:
        raise ValueError(f"{token}: a stage must be a module-level function")
    _STAGES[token] = fn
    _tf_registry()[token] = fn
    return fn


def _tf_registry() -> MutableMapping[str, Callable[..., Any]]:
    """TensorFlow's private registry of Python functions, by token (TF 2.21)."""
    registry = getattr(getattr(script_ops, "_py_funcs", None), "_funcs", None)
    if not isinstance(registry, MutableMapping):
        raise RuntimeError(
            f"TensorFlow {tf.__version__} no longer keeps its Python functions in "
            "script_ops._py_funcs._funcs, where zoo.data.stages registers the pipeline's "
            "decoding stages; zoo needs an update for this TensorFlow"
        )
    return registry


def call(
    fn: Callable[..., Any], inputs: Sequence[tf.Tensor | str], dtypes: Sequence[tf.DType]
) -> list[tf.Tensor]:
    """The op that runs the registered stage `fn` on `inputs`, in whichever process runs it.

    Returns:
        A list of tensors of `dtypes`, shapes unknown.
    """
    token = _token(fn)
    if _STAGES.get(token) is not fn:
        raise ValueError(f"{token} is not a registered stage; decorate it with stages.register")
    return tf.raw_ops.PyFuncStateless(input=list(inputs), token=token, Tout=list(dtypes))


def report_key(skips: SkipReport | None) -> str | None:
    """A key that finds `skips` in this process (None for None: broken files raise)."""
    if skips is None:
        return None
    key = uuid.uuid4().hex
    _REPORTS[key] = skips
    return key


@dataclasses.dataclass(frozen=True)
class DecodeSettings:
    """What a decode stage needs besides the element itself, as JSON any process can read.

    `shorter_side` scales frames down while they are decoded; `report` is a
    `report_key` (None: a broken file raises `VideoDecodeError`).
    """

    spec: ClipSpec
    training: bool
    limits: DecodeLimits = DEFAULT_LIMITS
    shorter_side: int | None = None
    report: str | None = None

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @staticmethod
    @functools.lru_cache(maxsize=64)
    def from_json(text: bytes | str) -> DecodeSettings:
        """The settings `to_json` wrote; parsed once per distinct text (a stage gets it per clip)."""
        fields = json.loads(text)
        return DecodeSettings(
            **{
                **fields,
                "spec": ClipSpec(**fields["spec"]),
                "limits": DecodeLimits(**fields["limits"]),
            }
        )

    def indices(self, num_frames: int, seed: int) -> np.ndarray:
        """The frame numbers `(num_clips, clip_len)` of one clip of a video of `num_frames`."""
        return self.spec.indices(num_frames, seed, self.training)

    def skips(self) -> SkipReport | None:
        """Where broken files go: the report of the dataset, in the process that built it;
        `WORKER_SKIPS` in any other; None when they raise."""
        if self.report is None:
            return None
        return _REPORTS.get(self.report, WORKER_SKIPS)
