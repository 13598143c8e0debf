"""The training recipe: warm-up + cosine learning rate, optimizer, smoothed loss, callbacks."""

from __future__ import annotations

import functools

import keras

from zoo.training.run import RunDir, TrainConfig

OPTIMIZERS = ("adamw", "adam", "sgd", "rmsprop")


def learning_rate_schedule(
    peak: float, total_steps: int, warmup_steps: int
) -> keras.optimizers.schedules.LearningRateSchedule:
    """Linear warm-up from 0 to `peak` over `warmup_steps`, then cosine decay to 0 at `total_steps`."""
    warmup_steps = min(warmup_steps, total_steps - 1)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=max(total_steps - warmup_steps, 1),
        warmup_target=peak,
        warmup_steps=warmup_steps,
    )


def make_optimizer(
    name: str,
    learning_rate: keras.optimizers.schedules.LearningRateSchedule | float,
    weight_decay: float = 1e-4,
) -> keras.optimizers.Optimizer:
    """One of `OPTIMIZERS`; `weight_decay` is decoupled (AdamW, SGD) or L2-like as Keras applies it."""
    if name == "adamw":
        return keras.optimizers.AdamW(learning_rate, weight_decay=weight_decay)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate)
    if name == "sgd":
        return keras.optimizers.SGD(
            learning_rate, momentum=0.9, nesterov=True, weight_decay=weight_decay or None
        )
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    raise ValueError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")


def compile_model(
    model: keras.Model, config: TrainConfig, steps_per_epoch: int, jit_compile: bool = False
) -> None:
    """Compiles `model` with the recipe of `config`; targets are one-hot `(B, classes)`,
    or multi-hot for `config.multi_label` (binary cross-entropy per label, and the mean
    area under each label's precision-recall curve as the metric `pr_auc`)."""
    total = steps_per_epoch * config.epochs
    schedule = learning_rate_schedule(
        config.learning_rate, total, round(config.warmup_epochs * steps_per_epoch)
    )
    if config.multi_label:
        loss = keras.losses.BinaryCrossentropy(label_smoothing=config.label_smoothing)
        metric = keras.metrics.AUC(curve="PR", multi_label=True, name="pr_auc")
    else:
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing)
        metric = keras.metrics.CategoricalAccuracy(name="accuracy")
    model.compile(
        optimizer=make_optimizer(config.optimizer, schedule, config.weight_decay),
        loss=loss,
        metrics=[metric],
        jit_compile=jit_compile,
    )


class LearningRateLogger(keras.callbacks.Callback):
    """Adds the learning rate at the end of each epoch to the logs (and so to history.csv)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            optimizer = self.model.optimizer
            logs["learning_rate"] = float(optimizer.learning_rate)


class WholeModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """`ModelCheckpoint` that saves `whole`, a model that holds the one being fit.

    A probe trained on stored embeddings fits only the head; the run saves
    the backbone with it, so that the checkpoint takes video like any other.
    """

    def __init__(self, whole: keras.Model, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.whole = whole

    def set_model(self, model: keras.Model) -> None:
        super().set_model(self.whole)


def callbacks(
    run: RunDir,
    config: TrainConfig,
    best_so_far: float | None,
    whole: keras.Model | None = None,
) -> list:
    """Backup (resume), CSV history, checkpoints of the best and last model, TensorBoard, early stop.

    `best_so_far` is the lowest validation loss before a resume, so the best
    checkpoint is not overwritten by a worse model after the restart.
    The CSV row of an epoch is written before its backup, so a kill between
    the two repeats that epoch instead of losing its row. With `whole`, the
    checkpoints save that model (which holds the one being fit) instead.
    """
    run.last.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = (
        keras.callbacks.ModelCheckpoint
        if whole is None
        else functools.partial(WholeModelCheckpoint, whole)
    )
    return [
        LearningRateLogger(),
        keras.callbacks.CSVLogger(str(run.history), append=True),
        keras.callbacks.BackupAndRestore(str(run.backup), double_checkpoint=True),
        checkpoint(
            str(run.model),
            monitor="val_loss",
            save_best_only=True,
            initial_value_threshold=best_so_far,
        ),
        checkpoint(str(run.last)),
        keras.callbacks.TensorBoard(str(run.logs), write_graph=True),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience),
    ]
