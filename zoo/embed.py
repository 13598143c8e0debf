"""`embed(model, data, out)`: a frozen backbone run once over a data set, embeddings to shards.

    from zoo.embed import embed
    embed("videoprism", "moving_digits", "features/", clip_len=8, size=64)
    # then: zoo train --features features/ --out runs/probe

Training a probe on stored embeddings skips decoding and the backbone on
every epoch (see benchmarks/probe.py). The folder layout is in
`zoo.data.features`. Each split is cut into shards of `shard_size` videos in
a fixed order; a shard is written only when complete, so running the same
call again after a kill embeds only the shards still missing.

With `runner` ("direct", "flink", "spark", "dataflow"; `pip install "zoo[beam]"`)
the videos are embedded by an Apache Beam pipeline instead (`zoo.beam`): batches
of `batch_size` videos, each worker loading FEATURES/model.keras once. Such a
run embeds every video in one go: it does not resume shard by shard, so it
refuses a folder that already holds shards, and it adds no shard unless it
succeeds (a failed run can be run again, with or without `runner`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
from tqdm import tqdm

from zoo import models
from zoo.data import video_dataset
from zoo.data.errors import SkipReport, say_skipped
from zoo.data.features import FeatureDir, serialize, write_shard
from zoo.data.pipeline import raise_decode_errors
from zoo.data.sources import ClipList, splits_of, subset
from zoo.models.videoprism import EMBEDDING, embedding_model
from zoo.training.data import resolve_source, training_clips
from zoo.training.run import ClipSource, RunDir


@dataclasses.dataclass(frozen=True)
class EmbedConfig(ClipSource):
    """What a features folder was made from. Saved in FEATURES/config.json."""

    clips: int = 1
    shard_size: int = 256
    val_fraction: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        self.check_at_least_one("clip_len", "frame_step", "size", "clips", "shard_size")


def split_lists(source: Path, config: EmbedConfig, on_error: str) -> dict[str, ClipList]:
    """The videos of each split to embed: train and val as `zoo train` would use them
    (val held out, grouped, when the data has none), and test when the data has it."""
    lists = training_clips(source, config.val_fraction, config.seed, config, on_error)
    if lists is None:
        raise ValueError(
            f"{source}: zoo embed reads videos (a folder tree, manifest or public data set), "
            "not TFRecord shards"
        )
    splits = {"train": lists[0], "val": lists[1]}
    if "test" in splits_of(source, config.format, config.fold):
        from zoo.data.sources import list_clips

        splits["test"] = list_clips(source, "test", config.format, config.fold, on_error)
    return splits


def source_model(model: str, num_classes: int, config: EmbedConfig) -> keras.Model:
    """The model to embed with: a run folder's or a `.keras` file's model, or a new one
    built by name (its head is random and unused here)."""
    path = Path(model)
    if path.is_dir():
        path = RunDir(path).model
    if path.suffix == ".keras":
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such model file")
        net = models.load(path)
    else:
        net = models.build(
            model, num_classes, input_shape=config.input_shape, **config.model_options
        )
    try:
        net.get_layer(EMBEDDING)
    except ValueError:
        raise ValueError(
            f"{model}: has no {EMBEDDING!r} layer to embed with; zoo embed takes the models "
            "built on a backbone (videoprism)"
        ) from None
    return net


def _start(features: FeatureDir, record: dict[str, Any], build) -> keras.Model:
    """Writes config.json (with the embedding shape) and model.keras for a new folder,
    or checks that an existing one was made with `record` and loads its model."""
    if features.config.is_file():
        saved = features.read_config()
        changed = [key for key in record if saved.get(key) != record[key]]
        if changed:
            raise ValueError(
                f"{features.root}: holds embeddings made with other settings "
                f"({', '.join(changed)}); choose another output folder"
            )
        return models.load(features.model)
    net = build()
    features.root.mkdir(parents=True, exist_ok=True)
    tmp = features.root / ".model.tmp.keras"
    net.save(tmp)
    os.replace(tmp, features.model)
    shape = [int(d) for d in net.get_layer(EMBEDDING).output.shape[1:]]
    config = {**record, "embedding_shape": shape}
    features.config.write_text(json.dumps(config, indent=2) + "\n")
    return net


def embed(
    model: str,
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    batch_size: int = 8,
    on_error: str = "raise",
    show_progress: bool = True,
    runner: str | None = None,
    beam_flags: Sequence[str] = (),
    **options,
) -> Path:
    """Embeds every video of `data` with the layers of `model` up to "embedding", into `out`.

    Args:
        model: a builder name (`videoprism`, built with `model_options`), a
            `.keras` file or a run folder of such a model.
        data: a folder tree, manifest or built-in data set name, as for `zoo train`.
        out: the features folder (see `zoo.data.features`). If it holds an
            interrupted run with the same settings, only the missing shards are made.
        batch_size: videos per forward pass.
        on_error: "raise" stops at the first broken or missing video; "skip"
            leaves it out and lists it in FEATURES/skipped.json.
        show_progress: a progress bar over the videos, on stderr (in-process runs).
        runner: embed as an Apache Beam pipeline on this runner (see `zoo.beam`);
            None embeds in this process.
        beam_flags: Beam pipeline options for `runner`, as `--KEY=VALUE` flags.
        **options: fields of `EmbedConfig`: clip_len, frame_step, size,
            clips (evenly spaced clips per video, each embedded), shard_size,
            val_fraction, format, fold, seed, model_options.

    Returns:
        The features folder.
    """
    source = resolve_source(data)
    if Path(model).exists():
        model = str(Path(model).absolute())
    config = EmbedConfig(model=model, data=str(source), **options)
    lists = split_lists(source, config, on_error)
    missing = {split: getattr(clips, "missing", SkipReport()) for split, clips in lists.items()}
    class_names = lists["train"].class_names
    features = FeatureDir(Path(out))
    record = {
        **dataclasses.asdict(config),
        "class_names": list(class_names),
        "videos": {split: len(clips) + len(missing[split]) for split, clips in lists.items()},
    }
    if runner is not None:
        _refuse_shards(features, lists)
    net = _start(features, record, lambda: source_model(model, len(class_names), config))
    for split, report in missing.items():
        features.add_skipped(split, report.skipped)
    if runner is not None:
        from zoo.beam import embed_splits

        skipped, _ = embed_splits(features, lists, config, batch_size, on_error, runner, beam_flags)
        for split, files in skipped.items():
            features.add_skipped(split, files)
    else:
        _embed_in_process(
            features, lists, embedding_model(net), config, batch_size, on_error, show_progress
        )
    listed = sum(len(files) for files in features.read_skipped().values())
    if listed:
        say_skipped(listed, features.skipped)
    return features.root


def _refuse_shards(features: FeatureDir, lists: dict[str, ClipList]) -> None:
    present = sum(len(features.shards(split)) for split in lists)
    if present:
        raise FileExistsError(
            f"{features.root}: holds {present} shards already; a Beam run (--runner) embeds "
            "every video and does not resume: finish it without --runner, or choose another "
            "output folder"
        )


def _embed_in_process(
    features: FeatureDir,
    lists: dict[str, ClipList],
    embedder: keras.Model,
    config: EmbedConfig,
    batch_size: int,
    on_error: str,
    show_progress: bool,
) -> None:
    """Embeds the shards of `lists` still missing in `features`, one after the other."""
    plan = [
        (split, index, count)
        for split, clips in lists.items()
        for count in [max(math.ceil(len(clips) / config.shard_size), 1)]
        for index in range(count)
    ]
    done = sum(features.shard(*shard).exists() for shard in plan)
    if done:
        print(f"resuming {features.root}: {done} of {len(plan)} shards done", file=sys.stderr)
    total = sum(len(clips) for clips in lists.values())
    with tqdm(total=total, unit="video", disable=not show_progress, file=sys.stderr) as bar:
        for split, index, count in plan:
            first = index * config.shard_size
            part = subset(
                lists[split], range(first, min(first + config.shard_size, len(lists[split])))
            )
            path = features.shard(split, index, count)
            if not path.exists():
                skipped = _embed_shard(embedder, part, path, config, batch_size, on_error)
                features.add_skipped(split, skipped.skipped)
            bar.update(len(part))


def _embed_shard(
    embedder: keras.Model,
    clips: ClipList,
    path: Path,
    config: EmbedConfig,
    batch_size: int,
    on_error: str,
) -> SkipReport:
    """Embeds the videos of `clips` into the shard `path`; returns what it skipped."""
    records, skipped = embed_clips(embedder, clips, config, batch_size, on_error)
    write_shard(path, records)
    return skipped


def embed_clips(
    embedder: keras.Model, clips: ClipList, config: EmbedConfig, batch_size: int, on_error: str
) -> tuple[list[bytes], SkipReport]:
    """The serialized records (`features.serialize`) of the videos of `clips`, in their
    order, and the videos skipped under `on_error="skip"`. What a shard holds; the Beam
    pipeline (`zoo.beam`) calls it per batch."""
    ds = video_dataset(
        clips,
        config.clip_len,
        config.frame_step,
        config.size,
        sampler="multi" if config.clips > 1 else "random",  # "random" unaugmented: the centre
        num_clips=config.clips,
        batch_size=batch_size,
        on_error=on_error,
        seed=config.seed,
    )
    embeddings, labels = [], []
    with raise_decode_errors():
        for frames, label in ds:
            frames = frames.numpy().reshape(-1, *config.input_shape)  # clips into the batch
            out = embedder.predict_on_batch(frames)
            embeddings += list(np.reshape(out, (len(label), config.clips, *out.shape[1:])))
            labels += label.numpy().tolist()
    kept = [p for p in clips.paths if p not in ds.skipped.skipped]  # in order, as decoded
    records = [serialize(e, y, p) for e, y, p in zip(embeddings, labels, kept, strict=True)]
    return records, ds.skipped
