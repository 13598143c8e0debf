"""Evaluation numbers against a case worked out by hand, and the spatial crops of the protocol."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from zoo.training.data import crops
from zoo.training.metrics import classification_metrics, format_report

NAMES = ["a", "b", "c", "d", "e", "f"]
# Six classes, six examples. True labels and the probabilities a model gave.
Y_TRUE = np.array([0, 0, 1, 1, 2, 5])
PROBS = np.array(
    [
        [0.50, 0.20, 0.10, 0.10, 0.05, 0.05],  # a -> a
        [0.30, 0.40, 0.10, 0.10, 0.05, 0.05],  # a -> b (a second: in the top 5)
        [0.10, 0.60, 0.10, 0.10, 0.05, 0.05],  # b -> b
        [0.20, 0.50, 0.10, 0.10, 0.05, 0.05],  # b -> b
        [0.40, 0.10, 0.30, 0.10, 0.05, 0.05],  # c -> a (c second)
        [0.10, 0.10, 0.10, 0.10, 0.55, 0.05],  # f -> e (f last: outside the top 5)
    ]
)


def test_metrics_match_the_hand_computed_case():
    m = classification_metrics(Y_TRUE, PROBS, NAMES)
    assert m["num_examples"] == 6
    assert m["top1"] == pytest.approx(3 / 6)  # examples 0, 2, 3
    assert m["top5"] == pytest.approx(5 / 6)  # all but the last
    assert m["top5_k"] == 5
    # Recall of the classes that have examples: a 1/2, b 2/2, c 0/1, f 0/1.
    assert m["mean_class_accuracy"] == pytest.approx((0.5 + 1 + 0 + 0) / 4)
    per = m["per_class"]
    assert per["a"] == pytest.approx(
        {"precision": 1 / 2, "recall": 1 / 2, "f1": 1 / 2, "support": 2}
    )
    assert per["b"] == pytest.approx({"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2})
    assert per["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert per["e"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert m["confusion_matrix"] == [
        [1, 1, 0, 0, 0, 0],
        [0, 2, 0, 0, 0, 0],
        [1, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 1, 0],
    ]
    report = format_report(m, "hand case")
    assert "top-1 accuracy       50.00%" in report
    assert "top-5 accuracy       83.33%" in report


def test_top_k_shrinks_to_the_number_of_classes():
    m = classification_metrics(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]), ["x", "y"])
    assert (m["top1"], m["top5"], m["top5_k"]) == (0.5, 1.0, 2)


def test_three_crops_span_the_longer_side():
    # One frame 4 high, 6 wide, each pixel holding its column number.
    frame = np.broadcast_to(np.arange(6, dtype=np.float32)[None, :, None], (4, 6, 3))
    views = crops(tf.constant(frame[None]), size=4, num_crops=3).numpy()
    assert views.shape == (3, 1, 4, 4, 3)
    assert [int(v[0, 0, 0, 0]) for v in views] == [0, 1, 2]  # left, centre, right
    tall = np.transpose(frame, (1, 0, 2))[None]  # 6 high, 4 wide: crops go down
    assert [int(v[0, 0, 0, 0]) for v in crops(tf.constant(tall), 4, 3).numpy()] == [0, 1, 2]
