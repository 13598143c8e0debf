"""The run folder: everything needed to evaluate, export or resume a training run.

RUN/config.json            TrainConfig, plus class count and hardware used
RUN/labels.txt             one class name per line, in label-index order
RUN/model.keras            the best model (lowest validation loss), full .keras
RUN/checkpoints/last.keras the model after the latest finished epoch
RUN/backup/                BackupAndRestore state while a run is unfinished
RUN/logs/                  TensorBoard logs
RUN/history.csv            one row per epoch: loss, accuracy (pr_auc if multi-label), val_*, lr
RUN/thresholds.json        multi-label runs: each label's score threshold, tuned on validation
RUN/curves.png             the learning curves
RUN/splits.csv             the videos held out for validation, when the data had no val split
RUN/skipped.json           broken files skipped while training (`on_error="skip"`), and why
RUN/eval/                  written by `zoo evaluate` (with its own skipped.json)
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path
from typing import Any


@dataclasses.dataclass(frozen=True)
class ClipSource:
    """A model and the clips it takes from a data set: what runs and embeddings start with.

    `format` and `fold` say how to read a public data set's annotation files.
    """

    model: str
    data: str
    model_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    clip_len: int = 8
    frame_step: int = 2
    size: int = 64
    format: str | None = None
    fold: int = 1

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (self.clip_len, self.size, self.size, 3)

    def check_at_least_one(self, *names: str) -> None:
        """Refuses a field of `names` below 1, naming its command-line flag."""
        for name in names:
            if getattr(self, name) < 1:
                flag = "--" + name.replace("_", "-")
                raise ValueError(f"{flag} must be at least 1, not {getattr(self, name)}")


@dataclasses.dataclass(frozen=True)
class TrainConfig(ClipSource):
    """What a run trains on and how. Saved as RUN/config.json."""

    batch_size: int = 16
    epochs: int = 10
    optimizer: str = "adamw"
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    warmup_epochs: float = 1.0
    label_smoothing: float = 0.1
    augment: bool = True
    patience: int = 5
    seed: int = 0
    val_fraction: float = 0.1
    init: str | None = None
    freeze_epochs: int = 0
    class_weight: str | None = None
    features: str | None = None
    multi_label: bool = False

    def __post_init__(self) -> None:
        self.check_at_least_one("clip_len", "frame_step", "size", "batch_size", "epochs")
        if self.freeze_epochs and not self.init:
            raise ValueError("--freeze-epochs needs --init (the weights to keep frozen)")
        if not 0 <= self.freeze_epochs < self.epochs:
            raise ValueError(
                f"--freeze-epochs must be from 0 to --epochs - 1 ({self.epochs - 1}), "
                f"not {self.freeze_epochs}"
            )
        if self.features and self.init:
            raise ValueError("--features trains the head of the stored model; it takes no --init")
        if self.class_weight not in (None, "balanced"):
            raise ValueError(f"--class-weight must be 'balanced', not {self.class_weight!r}")
        if self.multi_label and self.class_weight:
            raise ValueError("--class-weight weighs one class per clip: not with --multi-label")
        if self.multi_label and self.features:
            raise ValueError("--features trains a single-label head: not with --multi-label")
        if self.learning_rate <= 0:
            raise ValueError(f"--lr must be above 0, not {self.learning_rate}")
        if not isinstance(self.model_options, dict):
            raise ValueError(
                f"--model-options must be a JSON object such as '{{\"width\": 8}}', "
                f"not {self.model_options!r}"
            )


@dataclasses.dataclass(frozen=True)
class RunDir:
    """Paths inside one run folder."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    @property
    def labels(self) -> Path:
        return self.root / "labels.txt"

    @property
    def model(self) -> Path:
        return self.root / "model.keras"

    @property
    def last(self) -> Path:
        return self.root / "checkpoints" / "last.keras"

    @property
    def backup(self) -> Path:
        return self.root / "backup"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def history(self) -> Path:
        return self.root / "history.csv"

    @property
    def curves(self) -> Path:
        return self.root / "curves.png"

    @property
    def eval(self) -> Path:
        return self.root / "eval"

    @property
    def splits(self) -> Path:
        return self.root / "splits.csv"

    @property
    def thresholds(self) -> Path:
        return self.root / "thresholds.json"

    @property
    def skipped(self) -> Path:
        return self.root / "skipped.json"

    def is_finished(self) -> bool:
        """Whether a run ended here: a last checkpoint exists and no backup is left to resume."""
        return self.last.exists() and not self.backup.is_dir()

    def completed_epochs(self) -> int:
        """Epochs saved in the BackupAndRestore state; 0 when there is none."""
        metadata = self.backup / "training_metadata.json"
        return json.loads(metadata.read_text())["epoch"] if metadata.exists() else 0

    def write(self, config: TrainConfig, class_names: list[str], extra: dict[str, Any]) -> None:
        """Writes config.json (`config` plus `extra`, such as the hardware) and labels.txt."""
        self.root.mkdir(parents=True, exist_ok=True)
        record = {**dataclasses.asdict(config), "class_names": list(class_names), **extra}
        self.config.write_text(json.dumps(record, indent=2) + "\n")
        self.labels.write_text("".join(f"{name}\n" for name in class_names))

    def read_config(self) -> TrainConfig:
        """The `TrainConfig` saved in config.json (extra keys are ignored)."""
        if not self.config.exists():
            raise FileNotFoundError(f"{self.root}: not a run folder (no config.json)")
        record = json.loads(self.config.read_text())
        fields = {f.name for f in dataclasses.fields(TrainConfig)}
        return TrainConfig(**{k: v for k, v in record.items() if k in fields})

    def record_skipped(self, reports: dict[str, dict[str, str]]) -> int:
        """Adds the files each set skipped (`{"train": {path: reason}}`) to skipped.json.

        Files skipped before a resume stay listed. Returns how many are listed.
        """
        listed = json.loads(self.skipped.read_text()) if self.skipped.exists() else {}
        for name, files in reports.items():
            listed[name] = {**listed.get(name, {}), **files}
        listed = {name: files for name, files in listed.items() if files}
        if listed:
            self.skipped.write_text(json.dumps(listed, indent=2) + "\n")
        return sum(len(files) for files in listed.values())

    def read_labels(self) -> list[str]:
        """Class names in label-index order, from labels.txt."""
        if not self.labels.exists():
            raise FileNotFoundError(f"{self.root}: not a run folder (no labels.txt)")
        return self.labels.read_text().splitlines()

    def read_history(self) -> list[dict[str, float]]:
        """Rows of history.csv as floats, one per epoch; [] before the first epoch ends."""
        if not self.history.exists():
            return []
        with open(self.history, newline="") as f:
            return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]

    def trim_history(self, epochs: int) -> None:
        """Drops rows of epochs >= `epochs` (written after the last backup, before a kill)."""
        rows = [r for r in self.read_history() if r["epoch"] < epochs]
        if not self.history.exists() or not rows:
            self.history.unlink(missing_ok=True)
            return
        with open(self.history, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({**r, "epoch": int(r["epoch"])} for r in rows)
