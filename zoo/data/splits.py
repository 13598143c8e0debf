"""Train / val / test splits that keep class balance and never split a group.

Clips cut from one source video (one `group`) are near-duplicates; if some
landed in training and others in testing, the test score would measure memory,
not generalisation. `grouped_split` keeps every group inside one split while
balancing the classes across splits (scikit-learn's `StratifiedGroupKFold`);
`stratified_split` is the same with every clip its own group.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from zoo.data.sources import SPLITS, ClipList, subset

MAX_FOLDS = 20


def grouped_split(
    labels: Sequence[int] | Sequence[str],
    groups: Sequence,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    names: Sequence[str] = SPLITS,
) -> np.ndarray:
    """The split name of every clip: classes balanced, each group in exactly one split.

    The clips are cut into up to `MAX_FOLDS` stratified folds of whole groups,
    and consecutive folds are given to the splits in proportion to `fractions`.

    Returns:
        A string array `(len(labels),)` of names from `names`.
    """
    labels, groups = np.asarray(labels), np.asarray(groups)
    if len(fractions) != len(names) or not np.isclose(sum(fractions), 1.0):
        raise ValueError(
            f"fractions {tuple(fractions)} must be one per split {tuple(names)} and sum to 1"
        )
    # scikit-learn refuses more folds than the largest class has clips.
    largest_class = int(np.unique(labels, return_counts=True)[1].max()) if len(labels) else 0
    num_folds = min(MAX_FOLDS, len(np.unique(groups)), largest_class)
    if num_folds < 2:
        raise ValueError(f"need at least 2 groups to split, found {num_folds}")
    folds = StratifiedGroupKFold(num_folds, shuffle=True, random_state=seed)
    fold_of = np.empty(len(labels), np.int64)
    with warnings.catch_warnings():
        # A class rarer than the fold count simply misses some folds; that is fine here.
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        for fold, (_, members) in enumerate(folds.split(np.zeros(len(labels)), labels, groups)):
            fold_of[members] = fold
    bounds = np.cumsum(fractions)
    split_of_fold = np.searchsorted(bounds, (np.arange(num_folds) + 0.5) / num_folds)
    return np.asarray(names)[np.minimum(split_of_fold, len(names) - 1)][fold_of]


def stratified_split(
    labels: Sequence[int] | Sequence[str],
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    names: Sequence[str] = SPLITS,
) -> np.ndarray:
    """The split name of every clip, with each class spread over the splits by `fractions`."""
    return grouped_split(labels, np.arange(len(labels)), fractions, seed, names)


def split_clips(
    clips: ClipList,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    names: Sequence[str] = SPLITS,
) -> dict[str, ClipList]:
    """`clips` cut into one `ClipList` per name in `names`, grouped by `clips.group`."""
    assigned = grouped_split(clips.labels, clips.group, fractions, seed, names)
    return {name: subset(clips, np.flatnonzero(assigned == name)) for name in names}
