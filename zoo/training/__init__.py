"""The machinery behind `zoo.train`, `zoo.evaluate` and `zoo.tune`.

hardware     distribution strategy, mixed precision, XLA, seeds
multiworker  Keras 3 fixes for `MultiWorkerMirroredStrategy`, averaged batch-norm statistics
recipe       learning-rate schedule, optimizer, loss, callbacks
run          the run folder: its paths, config, labels and history
data         data sources and the datasets of a run
metrics      classification metrics as a pure function of (labels, probabilities)
tagging      multi-label runs: per-label thresholds tuned on validation, mAP and per-label F1
plots        learning curves, confusion matrix, gallery of mistakes
"""
