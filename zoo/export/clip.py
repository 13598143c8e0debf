"""How an export samples a video: the clip settings every export format carries.

A model sees clips of `clip_len` frames, `frame_step` apart, at `size x size`;
a video's prediction averages `num_clips` evenly spaced clips
(`zoo.data.samplers.multi_clip`). The run that trained the model knows the
first three; an export must carry them too, or a reader samples differently
and answers differently. Each format stores the same JSON object
(`ClipSettings.to_json`):

    {"clip_len": 8, "size": 64, "frame_step": 2, "num_clips": 1}

- SavedModel: `assets.extra/clip.json`, beside `assets.extra/labels.txt`;
- ONNX: the `clip` entry of the model's metadata map, beside `labels`;
- LiteRT: `"clip"` in the sidecar file `model.tflite.json`, beside `"labels"`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from zoo.training.run import TrainConfig

CLIP_FILE = "assets.extra/clip.json"  # inside a SavedModel
DEFAULT_FRAME_STEP = TrainConfig.frame_step


def litert_sidecar(path: str | os.PathLike) -> Path:
    """The JSON file beside a `.tflite` file that holds its clip settings and labels."""
    path = Path(path)
    return path.with_name(f"{path.name}.json")


@dataclasses.dataclass(frozen=True)
class ClipSettings:
    """The sampling and input size of one model: what `zoo predict` and the serving signature use."""

    clip_len: int
    size: int
    frame_step: int = DEFAULT_FRAME_STEP
    num_clips: int = 1

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{field.name} must be an integer of at least 1, not {value!r}")

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ClipSettings:
        """Settings from a parsed JSON object; keys that are not settings are ignored."""
        names = [field.name for field in dataclasses.fields(cls)]
        missing = [name for name in names if name not in record]
        if missing:
            raise ValueError(f"clip settings lack {', '.join(missing)}: {record}")
        return cls(**{name: record[name] for name in names})

    @classmethod
    def from_json(cls, text: str) -> ClipSettings:
        """Settings from the text of `to_json`."""
        return cls.from_record(json.loads(text))

    def to_record(self) -> dict[str, int]:
        """The settings as a dict, the inverse of `from_record`."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """The JSON object every export format stores."""
        return json.dumps(self.to_record())
