"""`train(model, data, out)`: the training recipe on `model.fit`, into a run folder.

    from zoo.train import train
    run = train("cnn_lstm", "moving_digits", "runs/first", epochs=8)
    run = train_probe("features/", "runs/probe")   # a head on `zoo embed` embeddings

The run folder (see `zoo.training.run`) holds the config, the label names,
the best and last models, TensorBoard logs, history.csv and curves.png. Run
the same call again after an interruption and it resumes from the last
finished epoch.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import keras
import tensorflow as tf

from zoo import models
from zoo.data.errors import SkipReport, say_skipped
from zoo.data.features import FeatureDir
from zoo.data.pipeline import raise_decode_errors
from zoo.data.sources import to_csv
from zoo.models.videoprism import head_model
from zoo.training import hardware, multiworker, recipe, tagging
from zoo.training.data import FitData, feature_fit_datasets, fit_datasets, resolve_source
from zoo.training.finetune import resolve_init, start_from
from zoo.training.plots import plot_curves
from zoo.training.run import RunDir, TrainConfig


def _epochs_done(run: RunDir, config: TrainConfig) -> int | None:
    """Epochs already done in `run`: 0 for a new run, None for a finished one.

    Refuses a folder that holds a run with other settings.
    """
    if not run.config.exists():
        return 0
    saved = run.read_config()
    if saved != config:
        changed = [
            f.name
            for f in dataclasses.fields(TrainConfig)
            if getattr(saved, f.name) != getattr(config, f.name)
        ]
        raise ValueError(
            f"{run.root}: holds a run with other settings ({', '.join(changed)}); "
            "choose another output folder"
        )
    if run.is_finished():
        return None
    done = run.completed_epochs()
    run.trim_history(done)
    return done


def report_skipped(run: RunDir, skipped: dict[str, SkipReport]) -> None:
    """Lists the files skipped so far in RUN/skipped.json and says how many on stderr."""
    total = run.record_skipped({name: dict(report.skipped) for name, report in skipped.items()})
    if total:
        say_skipped(total, run.skipped)


def check_task(model: str) -> None:
    """Refuses a model that does not take video clips: `train` feeds it video."""
    task = models.entry(model).task
    if task != "video":
        raise ValueError(
            f"model {model!r} takes {task.replace('_', '-')} input, but training data here is "
            f"video clips; video models: {', '.join(models.available('video'))}"
        )


def train(
    model: str,
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    deterministic: bool | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int | str = 1,
    on_error: str = "raise",
    data_service: str | None = None,
    **options,
) -> Path:
    """Trains `model` on the train split of `data`, validating on its val split, into `out`.

    Args:
        model: a name from `zoo.models.available("video")`.
        data: a folder tree or CSV manifest, TFRecord shards, or the name of a
            built-in data set ("moving_digits"), built on first use. Without a
            val split, `val_fraction` of the (train) videos are held out for
            validation, seeded and grouped, and listed in RUN/splits.csv.
        out: the run folder. If it holds an interrupted run with the same
            settings, training resumes from its last finished epoch; if it
            holds the same run finished, nothing is done.
        deterministic: turn on TensorFlow op determinism, so that the same
            seed gives identical weights on the same machine. Keras allows no
            XLA under it. None (the default): on with a CPU only; a GPU gets
            mixed precision and XLA instead.
        callbacks: extra Keras callbacks, run after the recipe's own.
        verbose: Keras progress output (1: progress bar, 2: a line per epoch).
        on_error: "raise" stops at the first broken video with
            `VideoDecodeError`; "skip" leaves broken videos out, lists them in
            RUN/skipped.json and says how many on stderr.
        data_service: the "host:port" of a tf.data service dispatcher (`zoo
            data-service`): the training clips are then read, decoded and
            augmented on its workers, and their order is not deterministic;
            validation clips are decoded here (see `fit_datasets`). It is how
            data arrive, not what is trained, so it is no field of
            `TrainConfig`: a run resumes with or without it, and config.json
            records the address of the latest session (null: none).
        **options: fields of `TrainConfig` (epochs, batch_size, clip_len,
            frame_step, size, optimizer, learning_rate, weight_decay,
            warmup_epochs, label_smoothing, augment, patience, seed,
            model_options, val_fraction, init, freeze_epochs, class_weight).
            `init` starts from another model's weights (a run folder, a
            `.keras` file or `pretrained:NAME`; see `zoo.training.finetune`),
            `freeze_epochs` trains only the new layers for that many epochs
            first, `class_weight="balanced"` weighs each class's loss by the
            inverse of its share of the training videos.

    Returns:
        The run folder. Non-chief workers of a multi-worker run write theirs
        to `out/workers/<name>/`.
    """
    check_task(model)
    strategy = hardware.choose_strategy()
    worker = hardware.non_chief_name()
    run = RunDir(Path(out) if worker is None else Path(out) / "workers" / worker)
    if options.get("init"):
        options["init"] = resolve_init(options["init"])
    config = TrainConfig(model=model, data=str(resolve_source(data)), **options)
    if not _begin(run, config):
        return run.root

    jit_compile = _seed(config, deterministic)
    data = fit_datasets(Path(config.data), config, on_error, data_service)
    with strategy.scope():
        net = models.build(
            model,
            len(data.class_names),
            input_shape=config.input_shape,
            multi_label=config.multi_label,
            **config.model_options,
        )
        recipe.compile_model(net, config, data.steps, jit_compile)
        starting = (
            start_from(net, config.init, config.freeze_epochs, data.class_names)
            if config.init
            else []
        )
    run.write(config, data.class_names, {**_setup(strategy, net), "data_service": data_service})
    if data.held_out is not None:
        to_csv(data.held_out, run.splits, "val")
    multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
    agree = [multiworker.AverageStatistics()] if multi_worker else []
    _fit(run, config, net, data, [*agree, *starting], callbacks, verbose)
    if config.multi_label:
        _tune_thresholds(run, data)
    return run.root


def _tune_thresholds(run: RunDir, data: FitData) -> None:
    """Each label's threshold of the best model, tuned on the validation clips, into
    RUN/thresholds.json; prints the validation mAP and macro F1 at those thresholds."""
    best = models.load(run.model)
    with raise_decode_errors(best):
        scores, targets = tagging.collect(best, data.val)
    thresholds = tagging.tune_thresholds(scores, targets)
    tagging.write_thresholds(run.thresholds, data.class_names, thresholds)
    found = tagging.tagging_metrics(scores, targets, thresholds, data.class_names)
    print(
        f"thresholds tuned on {len(scores)} validation clips: {run.thresholds}  "
        f"(val mAP {found['map']:.3f}, macro F1 {found['macro_f1']:.3f})",
        flush=True,
    )


def train_probe(
    features: str | os.PathLike,
    out: str | os.PathLike,
    *,
    deterministic: bool | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int | str = 1,
    **options,
) -> Path:
    """Trains the head of the model in a `zoo embed` folder on its stored embeddings, into `out`.

    Only the head trains, on one stored embedding per clip, so an epoch costs
    no decoding and no backbone. The run folder is like any other: its
    checkpoints hold the backbone and the trained head as one model that takes
    video, so `zoo evaluate`, `zoo export` and `zoo predict` take it (they read
    the videos the embeddings were made from). Resumes like `train`.

    Args:
        features: a folder written by `zoo.embed.embed`.
        out: the run folder.
        deterministic, callbacks, verbose: as for `train`.
        **options: the recipe fields of `TrainConfig` (epochs, batch_size,
            optimizer, learning_rate, weight_decay, warmup_epochs,
            label_smoothing, patience, seed). The model, data and clip
            settings are those of the embeddings.
    """
    folder = Path(features).absolute()
    stored = FeatureDir(folder).read_config()
    made = ("model", "data", "model_options", "clip_len", "frame_step", "size", "val_fraction")
    config = TrainConfig(
        **{key: stored[key] for key in (*made, "format", "fold")},
        augment=False,  # an embedding is of one unaugmented clip
        features=str(folder),
        **options,
    )
    strategy = hardware.choose_strategy()
    run = RunDir(Path(out))
    if not _begin(run, config):
        return run.root
    jit_compile = _seed(config, deterministic)
    data = feature_fit_datasets(folder, config)
    with strategy.scope():
        whole = models.load(FeatureDir(folder).model)
        head = head_model(whole)
        recipe.compile_model(head, config, data.steps, jit_compile)
    run.write(config, data.class_names, _setup(strategy, whole))
    _fit(run, config, head, data, [], callbacks, verbose, whole=whole)
    return run.root


def _begin(run: RunDir, config: TrainConfig) -> bool:
    """Whether there is training to do in `run`; says so when it resumes or is finished."""
    done = _epochs_done(run, config)
    if done is None:
        print(f"{run.root} holds this run, finished: nothing to do", flush=True)
        return False
    if done:
        print(f"resuming {run.root} after epoch {done} of {config.epochs}", flush=True)
    return True


def _seed(config: TrainConfig, deterministic: bool | None) -> bool:
    """Seeds everything and sets up the hardware; returns whether to compile with XLA."""
    gpu = hardware.has_gpu()
    deterministic = not gpu if deterministic is None else deterministic
    hardware.seed_everything(config.seed, deterministic)
    return hardware.accelerate(gpu, deterministic)


def _setup(strategy: tf.distribute.Strategy, net: keras.Model) -> dict:
    """What config.json records of the hardware and the model besides `TrainConfig`."""
    return {
        "num_classes": int(net.output.shape[-1]),
        "input_shape": list(net.input.shape[1:]),
        "strategy": type(strategy).__name__,
        "replicas": strategy.num_replicas_in_sync,
        "mixed_precision": keras.mixed_precision.global_policy().name,
        "jit_compile": net.jit_compile,  # off if Keras turned XLA off
    }


def _fit(
    run: RunDir,
    config: TrainConfig,
    net: keras.Model,
    data: FitData,
    first: list[keras.callbacks.Callback],
    extra: Sequence[keras.callbacks.Callback],
    verbose: int | str,
    whole: keras.Model | None = None,
) -> None:
    """`net.fit` with the recipe's callbacks (after `first`, before `extra`), then the
    skipped files, the curves and a one-line summary. `whole`: see `recipe.callbacks`."""
    best = min((row["val_loss"] for row in run.read_history()), default=None)
    try:
        with raise_decode_errors(net):
            net.fit(
                data.train,
                validation_data=data.val,
                epochs=config.epochs,
                steps_per_epoch=data.steps,
                shuffle=False,
                callbacks=[*first, *recipe.callbacks(run, config, best, whole), *extra],
                class_weight=data.class_weight,
                verbose=verbose,
            )
    finally:
        report_skipped(run, data.skipped)
    history = run.read_history()
    plot_curves(history, run.curves)
    best_row = min(history, key=lambda row: row["val_loss"])
    metric = "val_pr_auc" if config.multi_label else "val_accuracy"
    print(
        f"run folder: {run.root}  (best epoch {int(best_row['epoch']) + 1}: "
        f"{metric} {best_row[metric]:.1%}, val_loss {best_row['val_loss']:.4f})",
        flush=True,
    )
