"""Video data: decode with PyAV, sample clips, transform in TF, feed tf.data.

Names are imported on first use, so that `zoo.data.read_video` and the
`zoo scan` command work without paying for TensorFlow's import.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "zoo.data.errors": ["DEFAULT_LIMITS", "DecodeLimits", "SkipReport", "VideoDecodeError"],
    "zoo.data.decode": [
        "Video",
        "VideoInfo",
        "frame_times",
        "open_container",
        "probe",
        "read_video",
    ],
    "zoo.data.sources": ["ClipList", "from_csv", "from_folder", "list_clips"],
    "zoo.data.pipeline": [
        "ClipSpec",
        "batch",
        "decode",
        "label_swap",
        "raise_decode_errors",
        "read",
        "transform",
        "video_dataset",
    ],
    "zoo.data.audio": ["Audio", "clip_audio", "log_mel_spectrogram", "read_audio"],
    "zoo.data.splits": ["grouped_split", "split_clips", "stratified_split"],
    "zoo.data.scan": ["ScanResult", "scan_file"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'zoo.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
