"""Apache Beam pipelines for `zoo convert --runner` and `zoo embed --runner`.

    zoo convert videos/ shards/ --runner direct --direct-workers 4
    zoo convert gs-mounted/videos/ out/ --runner flink --beam-option flink_master=HOST:8081
    zoo embed --model videoprism --data videos/ --out features/ --runner spark

One element per clip (its path, window and label); the workers decode and
encode it with the code of the in-process path (`tfrecord.clip_record` for
`zoo convert`, `zoo.embed.embed_clips` for `zoo embed`) and Beam's
`WriteToTFRecord` writes the shards, named as the in-process path names them
(`PREFIX-00000-of-00004.tfrecord`). A broken video increments the counter
`zoo/broken_videos` (shown by the runner's UI) and goes to a side output, the
list that becomes skipped.json; with `on_error="raise"` the first one fails
the pipeline, and the launcher raises it again as `VideoDecodeError`.

Failures. Dataflow, Spark and Flink rerun a failed bundle or task, as far as
their settings allow (Dataflow up to 4 times in batch, Spark
`spark.task.maxFailures`, Flink its configured restart strategy), and Beam's
file sinks keep only the files of attempts that completed. Beam's Python
DirectRunner does not retry: its FnApiRunner, which `--runner direct` runs,
fails the pipeline at the first exception in a bundle (Beam 2.77; the test
`test_the_direct_runner_does_not_retry_a_failed_bundle` checks it); the older
in-process `BundleBasedDirectRunner` retries, and a conversion on it with a
worker that fails once still writes every record once (tested). Either way,
nothing reaches the output folder before the whole pipeline succeeded: the
shards are written to a staging folder inside it and moved into place by
renames at the end (see `zoo.commands.convert`), so a failed run leaves the
folder as it was and can simply be run again.

What the runners need. The workers read the videos and write the shards by
their paths, so SRC and OUT must be on a file system every worker sees at the
same path (a shared mount), and the workers need zoo installed (e.g.
`--beam-option sdk_container_image=IMAGE`). The clip list travels inside the
pipeline (`beam.Create`), which suits lists of up to about a hundred thousand
clips. A Beam `zoo embed` embeds every video in one run: it does not resume
shard by shard like the in-process path, and refuses a features folder that
already holds shards.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import math
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from zoo import quiet

if TYPE_CHECKING:
    import keras

    from zoo.data.features import FeatureDir
    from zoo.embed import EmbedConfig


class _NoApitoolsNotice(logging.Filter):
    """Drops the warning `import apache_beam` logs when the GCP client libraries are absent
    ("apitools not found, and bigquery client libraries are not available ...")."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "apitools not found" not in str(record.msg)


_notice = _NoApitoolsNotice()
logging.getLogger().addFilter(_notice)
try:
    import apache_beam as beam
    from apache_beam.metrics.metric import MetricsFilter
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.runners.runner import PipelineResult, PipelineState
except ImportError as err:
    raise ImportError(
        f'--runner needs Apache Beam, which is not installed here ({err}): pip install "zoo[beam]"'
    ) from err
finally:
    logging.getLogger().removeFilter(_notice)

WORKER_MAIN = "apache_beam.runners.worker.sdk_worker_main"  # what a Beam worker process runs

if getattr(sys.modules["__main__"].__spec__, "name", "") == WORKER_MAIN:
    # A worker process of the DirectRunner (multi_processing), importing this module to
    # unpickle a DoFn: TensorFlow's import as quiet as in the `zoo` command, or as verbose
    # (`zoo --verbose` sets TF_CPP_MIN_LOG_LEVEL=0, which the worker inherits).
    quiet.quiet_tensorflow(os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0")

from zoo.data import tfrecord  # noqa: E402  (imports TensorFlow)
from zoo.data.errors import DEFAULT_LIMITS, DecodeLimits, VideoDecodeError  # noqa: E402
from zoo.data.sources import ClipList  # noqa: E402

BROKEN = beam.metrics.Metrics.counter("zoo", "broken_videos")
SKIPPED = "skipped"  # the tag of the side output: `(clip, reason)` per broken video
DIRECT_DEFAULTS = (
    "--direct_num_workers=2",
    "--direct_running_mode=multi_processing",
    # Each worker process warns that it has no semi_persistent_directory and that it discards
    # two flags the DirectRunner itself gave it; and it logs the traceback of an exception
    # that fails a bundle (twice), which it also prints on stderr (a print, which stays) and
    # sends here, where the pipeline raises it. Other warnings and errors still show.
    '--sdk_harness_log_level_overrides={"__main__": "ERROR", '
    '"apache_beam.options.pipeline_options": "ERROR", '
    '"apache_beam.runners.worker.sdk_worker": "CRITICAL", '
    '"apache_beam.runners.common": "CRITICAL"}',
)

Clip = tuple[str, float, float, int]  # path, start, end (seconds, NaN: the whole file), label


def pipeline_options(runner: str, flags: Sequence[str] = ()) -> PipelineOptions:
    """Options for `runner` ("direct", "flink", "spark", "dataflow" or a Beam runner's class
    name) and the pipeline `flags` (`--KEY=VALUE`), which win over the defaults.

    "direct" runs 2 worker processes (`DIRECT_DEFAULTS`); the workers log warnings and errors
    only (`--default_sdk_harness_log_level`).
    """
    name = runner if runner.endswith("Runner") else f"{runner.capitalize()}Runner"
    defaults = [f"--runner={name}", "--default_sdk_harness_log_level=WARNING"]
    if name == "DirectRunner":
        defaults += DIRECT_DEFAULTS
    return PipelineOptions([*defaults, *flags])


def run_pipeline(pipeline: beam.Pipeline) -> PipelineResult:
    """Runs `pipeline` to its end; a `VideoDecodeError` that failed it is raised as such.

    Beam gives a worker's exception back wrapped (a `RuntimeError` whose message holds the
    worker's traceback, or the error with `[while running 'STEP']` appended).
    """
    try:
        with _worker_logs_once():
            result = pipeline.run()
            state = result.wait_until_finish()
    except Exception as err:
        decode_error = _decode_error(err)
        if decode_error is None:
            raise
        raise decode_error from err
    if state not in (None, PipelineState.DONE):
        raise RuntimeError(f"the Beam pipeline ended {state}")
    return result


@contextlib.contextmanager
def _worker_logs_once() -> Iterator[None]:
    """The DirectRunner's worker processes print their warnings on the stderr they share with
    this one, and send them here too, where its job service logs them again: only its errors
    are logged here meanwhile."""
    relay = logging.getLogger("apache_beam.runners.portability.local_job_service")
    level = relay.level
    relay.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        relay.setLevel(level)


def _decode_error(err: BaseException) -> VideoDecodeError | None:
    seen = err
    while seen is not None:
        if isinstance(seen, VideoDecodeError):
            return VideoDecodeError(seen.path, seen.reason)
        seen = seen.__cause__ or seen.__context__
    found = VideoDecodeError.from_tf_error(err)  # the worker's traceback, as text
    if found is None:
        return None
    return VideoDecodeError(found.path, found.reason.split(" [while running ")[0])


def broken_videos(result: PipelineResult) -> int:
    """The `zoo/broken_videos` counter of a finished pipeline (committed, or attempted
    on runners that do not commit)."""
    query = MetricsFilter().with_namespace("zoo").with_name("broken_videos")
    counters = result.metrics().query(query)["counters"]
    return sum(c.committed if c.committed is not None else c.attempted for c in counters)


def _clips(clips: ClipList) -> list[Clip]:
    return list(zip(clips.paths, clips.start, clips.end, clips.labels, strict=True))


class _Skipping(beam.DoFn):
    """A DoFn that counts and sends on the broken videos of the records it makes."""

    def __init__(self, on_error: str) -> None:
        self.on_error = on_error

    def skip(self, clip: str, reason: str) -> beam.pvalue.TaggedOutput:
        BROKEN.inc()
        return beam.pvalue.TaggedOutput(SKIPPED, (clip, reason))


class EncodeClip(_Skipping):
    """A clip to its serialized record (`tfrecord.clip_record`), or to `SKIPPED`."""

    def __init__(
        self,
        class_names: Sequence[str],
        quality: int,
        shorter_side: int | None,
        limits: DecodeLimits,
        on_error: str,
    ) -> None:
        super().__init__(on_error)
        self.class_names = list(class_names)
        self.encode = functools.partial(
            tfrecord.encode_clip, quality=quality, limits=limits, shorter_side=shorter_side
        )

    def process(self, clip: Clip) -> Iterable:
        try:
            yield tfrecord.clip_record(*clip, self.class_names, self.encode)
        except VideoDecodeError as err:
            if self.on_error != "skip":
                raise
            yield self.skip(tfrecord.clip_name(*clip[:3]), err.reason)


@functools.lru_cache(maxsize=1)
def _embedder(model: str) -> keras.Model:
    """The embedding layers of the model file `model`, loaded (and traced) once per worker
    process, not once per split: loading and the first forward pass took 3 s."""
    from zoo import models
    from zoo.models.videoprism import embedding_model

    return embedding_model(models.load(model))


class EmbedBatch(_Skipping):
    """A batch of clips to their embedding records (`zoo.embed.embed_clips`, forward passes
    of `batch_size` videos), with the model of the features folder, loaded once per worker.

    A Beam batch is one `video_dataset`, which costs about 0.3 s to set up whatever its size
    (measured on 2 cores), so Beam batches grow up to `config.shard_size` videos, the size
    of the in-process path's datasets.
    """

    def __init__(
        self,
        model: Path,
        class_names: Sequence[str],
        config: EmbedConfig,
        batch_size: int,
        on_error: str,
    ) -> None:
        super().__init__(on_error)
        self.model, self.class_names, self.config = str(model), list(class_names), config
        self.batch_size = batch_size

    def setup(self) -> None:
        self.embedder = _embedder(self.model)

    def process(self, batch: list[Clip]) -> Iterable:
        from zoo.embed import embed_clips

        paths, start, end, labels = (list(column) for column in zip(*batch, strict=True))
        clips = ClipList(paths, labels, self.class_names, start, end)
        records, skips = embed_clips(
            self.embedder, clips, self.config, self.batch_size, self.on_error
        )
        yield from records
        for path, reason in skips.skipped.items():
            yield self.skip(path, reason)


@dataclasses.dataclass
class _Branch:
    """One split of a pipeline: its clips, made into records by `make` (one clip at a time,
    or batches whose size Beam adapts within `batch`), written as `num_shards` shards named
    `prefix`-NNNNN-of-NNNNN.tfrecord."""

    name: str
    clips: ClipList
    make: _Skipping
    prefix: Path
    num_shards: int
    batch: tuple[int, int] | None = None  # batches of min to max clips, or None: one by one


def _add(pipeline: beam.Pipeline, branch: _Branch, skip_file: Path) -> None:
    """Adds `branch` to `pipeline`: its records to `PREFIX-NNNNN-of-NNNNN.tfrecord`, its
    skips to `skip_file` (one JSON `[clip, reason]` a line)."""
    name = branch.name
    clips = pipeline | f"{name}: clips" >> beam.Create(_clips(branch.clips))
    if branch.batch:
        clips = clips | f"{name}: batches" >> beam.BatchElements(*branch.batch)
    made = clips | f"{name}: records" >> beam.ParDo(branch.make).with_outputs(
        SKIPPED, main="records"
    )
    _ = made.records | f"{name}: shards" >> beam.io.WriteToTFRecord(
        str(branch.prefix), file_name_suffix=".tfrecord", num_shards=branch.num_shards
    )
    _ = (
        made[SKIPPED]
        | f"{name}: skip lines" >> beam.Map(json.dumps)
        | f"{name}: skipped" >> beam.io.WriteToText(str(skip_file), shard_name_template="")
    )


def _run(
    branches: Sequence[_Branch], runner: str, flags: Sequence[str], scratch: Path
) -> tuple[list[dict[str, str]], int]:
    """Runs `branches` as one pipeline; their skips (`{clip: reason}`, sorted) and the
    `zoo/broken_videos` count. The skip lists pass through a folder made in `scratch`."""
    with tempfile.TemporaryDirectory(prefix=".beam-skipped-", dir=scratch) as folder:
        files = [Path(folder) / f"{i}.jsonl" for i in range(len(branches))]
        pipeline = beam.Pipeline(options=pipeline_options(runner, flags))
        for branch, file in zip(branches, files, strict=True):
            _add(pipeline, branch, file)
        result = run_pipeline(pipeline)
        skips = [
            dict(sorted(json.loads(line) for line in file.read_text().splitlines() if line))
            for file in files
        ]
    return skips, broken_videos(result)


def _drop_empty(folder: Path, prefix: str) -> list[Path]:
    """Deletes the empty shards `PREFIX-*-of-*.tfrecord` of `folder` (a TFRecord file without
    records has no bytes) and renames the others to `-of-` their number; returns them."""
    shards = sorted(folder.glob(f"{prefix}-*-of-*.tfrecord"))
    kept = [shard for shard in shards if shard.stat().st_size]
    for shard in set(shards) - set(kept):
        shard.unlink()
    paths = [folder / tfrecord.shard_name(prefix, i, len(kept)) for i in range(len(kept))]
    for shard, path in zip(kept, paths, strict=True):
        os.replace(shard, path)
    return paths


def write_shards(
    splits: Sequence[tuple[ClipList, Path, str]],
    num_shards: int = 4,
    quality: int = 90,
    shorter_side: int | None = None,
    limits: DecodeLimits = DEFAULT_LIMITS,
    on_error: str = "raise",
    runner: str = "direct",
    flags: Sequence[str] = (),
) -> tuple[list[tuple[list[Path], dict[str, str]]], int]:
    """`tfrecord.write_shards` for several splits, as one Beam pipeline.

    Each `(clips, folder, prefix)` of `splits` gets `FOLDER/PREFIX-NNNNN-of-NNNNN.tfrecord`
    and `FOLDER/labels.txt`, as `tfrecord.write_shards` writes them. Beam deals the clips to
    the shards (not `tfrecord.shard_order`), so the shards hold the same records in another
    grouping and order. As there, a shard left empty (its clips all skipped, or none dealt
    to it) is not kept, and `-of-` counts the shards kept.

    Returns:
        `(shard paths, {clip: reason} skipped)` per split, and the `zoo/broken_videos` count.

    Raises:
        VideoDecodeError: a clip cannot be decoded and `on_error` is "raise".
    """
    branches = [
        _Branch(
            prefix,
            clips,
            EncodeClip(clips.class_names, quality, shorter_side, limits, on_error),
            folder / prefix,
            max(1, min(num_shards, len(clips))),
        )
        for clips, folder, prefix in splits
    ]
    for _, folder, _ in splits:
        folder.mkdir(parents=True, exist_ok=True)
    skips, broken = _run(branches, runner, flags, splits[0][1])
    for clips, folder, _ in splits:
        tfrecord.write_labels(folder, clips.class_names)
    shards = [_drop_empty(folder, prefix) for _, folder, prefix in splits]
    return list(zip(shards, skips, strict=True)), broken


def embed_splits(
    features: FeatureDir,
    lists: dict[str, ClipList],
    config: EmbedConfig,
    batch_size: int,
    on_error: str,
    runner: str = "direct",
    flags: Sequence[str] = (),
) -> tuple[dict[str, dict[str, str]], int]:
    """Embeds every clip of `lists` (`{split: clips}`) with the model of `features` (a
    `FeatureDir` that `zoo.embed` started: config.json and model.keras written) into its
    `<split>-NNNNN-of-NNNNN.tfrecord` shards, `config.shard_size` videos a shard on average.

    The shards are written to a staging folder in `features.root` and moved into it when the
    pipeline has succeeded: a failed run adds no shard.

    Returns:
        The skipped videos, `{split: {video: reason}}`, and the `zoo/broken_videos` count.

    Raises:
        VideoDecodeError: a video cannot be decoded and `on_error` is "raise".
    """
    from zoo.atomic import move_files, staging_folder

    with staging_folder(features.root, prefix=".embed-") as staging:
        branches = [
            _Branch(
                split,
                clips,
                EmbedBatch(features.model, clips.class_names, config, batch_size, on_error),
                staging / split,
                max(math.ceil(len(clips) / config.shard_size), 1),
                batch=(batch_size, max(batch_size, config.shard_size)),
            )
            for split, clips in lists.items()
        ]
        skips, broken = _run(branches, runner, flags, staging)
        move_files(staging, features.root)
    return dict(zip(lists, skips, strict=True)), broken
