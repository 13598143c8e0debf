"""Where clips come from: a folder per class or a CSV manifest, as one `ClipList`."""

from __future__ import annotations

import csv
import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

# Containers and raw streams that FFmpeg demuxes and `read_video` decodes, under the names
# cameras, phones, broadcast and PC software give them. Left out: .ogg and .wma, which mostly
# hold audio. `read_video` itself ignores the extension; `zoo scan` lists the files it skips.
VIDEO_EXTENSIONS = (
    *(".mp4", ".m4v", ".mov", ".qt", ".3gp", ".3g2"),  # ISO base media (MP4, QuickTime, phones)
    *(".mkv", ".webm"),  # Matroska
    *(".avi", ".divx"),  # AVI (.divx: DivX's name for it)
    *(".mpg", ".mpeg", ".vob"),  # MPEG program streams (DVD: .vob)
    *(".ts", ".mts", ".m2ts"),  # MPEG transport streams (broadcast, AVCHD camcorders)
    *(".flv", ".f4v"),  # Flash video
    *(".wmv", ".asf"),  # Windows Media
    *(".ogv", ".dv", ".mxf", ".nut", ".y4m"),  # Ogg, DV, broadcast MXF, FFmpeg's NUT, YUV4MPEG
    *(".h264", ".264", ".h265", ".265", ".hevc", ".m2v"),  # raw H.264, H.265, MPEG-2 streams
)
SPLITS = ("train", "val", "test")
LABEL_SEPARATOR = "|"  # between the labels of one clip in a multi-label manifest: `cat|dog`


@dataclasses.dataclass
class ClipList:
    """Video paths with integer labels, and the names those integers stand for.

    `start` and `end` are seconds (NaN where the whole file is meant); `group`
    names the source a clip was cut from, so splits can keep groups together.
    `tags` holds every label index of each clip in multi-label lists (None in
    single-label ones); `labels` then holds the first of them, which
    stratified splits use.
    """

    paths: list[str]
    labels: list[int]
    class_names: list[str]
    start: list[float] = dataclasses.field(default_factory=list)
    end: list[float] = dataclasses.field(default_factory=list)
    group: list[str] = dataclasses.field(default_factory=list)
    tags: list[tuple[int, ...]] | None = None

    def __post_init__(self) -> None:
        n = len(self.paths)
        self.start = self.start or [float("nan")] * n
        self.end = self.end or [float("nan")] * n
        self.group = self.group or list(self.paths)

    def __len__(self) -> int:
        return len(self.paths)

    def multi_hot(self) -> np.ndarray:
        """float32 `(clips, classes)`: 1 where a clip has the label (its `tags`, else `labels`)."""
        tags = self.tags if self.tags is not None else [(label,) for label in self.labels]
        hot = np.zeros((len(self), len(self.class_names)), np.float32)
        for row, indices in enumerate(tags):
            hot[row, list(indices)] = 1.0
        return hot


def split_labels(text: str) -> list[str]:
    """The labels of one manifest cell, `a|b` to `["a", "b"]` (spaces around names dropped)."""
    return [name.strip() for name in text.split(LABEL_SEPARATOR) if name.strip()]


def has_video_extension(path: str | os.PathLike) -> bool:
    """Whether the file name ends in one of `VIDEO_EXTENSIONS` (any case)."""
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def _is_video(path: Path) -> bool:
    return path.is_file() and has_video_extension(path)


def from_folder(root: str | os.PathLike, split: str | None = None) -> ClipList:
    """`ROOT/<label>/<video>`, or `ROOT/<split>/<label>/<video>` when `split` is given.

    Class names are the sorted folder names, taken from the whole tree so that
    every split numbers its classes the same way.
    """
    root = Path(root)
    has_splits = any((root / s).is_dir() for s in SPLITS)
    if split is not None and not has_splits:
        raise FileNotFoundError(
            f"{root}: no '{split}/' folder; expected ROOT/{split}/<label>/<video>"
        )
    split_roots = [root / s for s in SPLITS if (root / s).is_dir()] if has_splits else [root]
    class_names = sorted({d.name for r in split_roots for d in r.iterdir() if d.is_dir()})
    if not class_names:
        raise FileNotFoundError(f"{root}: no class folders found; expected ROOT/<label>/<video>")
    base = root / split if split is not None else root
    folders = [base] if split is not None or not has_splits else split_roots
    paths, labels = [], []
    for folder in folders:
        for index, name in enumerate(class_names):
            class_dir = folder / name
            if not class_dir.is_dir():
                continue
            for video in sorted(class_dir.iterdir()):
                if _is_video(video):
                    paths.append(str(video))
                    labels.append(index)
    return ClipList(paths, labels, class_names)


def from_csv(
    manifest: str | os.PathLike,
    split: str | None = None,
    class_names: Sequence[str] | None = None,
    multi_label: bool = False,
) -> ClipList:
    """A CSV with columns `path,label` and optional `start,end` (seconds), `group`, `split`.

    Relative paths are relative to the manifest's folder. Rows are filtered by
    the `split` column when `split` is given. With `multi_label`, a `label`
    cell holds one or more names separated by `|` (`a|b`), class names are
    all the names of all rows, and the list gets `tags`.

    Raises:
        ValueError: a missing column, or a label not in `class_names`.
    """
    manifest = Path(manifest)
    with open(manifest, newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and not {"path", "label"} <= set(rows[0]):
        raise ValueError(f"{manifest}: needs the columns 'path' and 'label', found {list(rows[0])}")
    cells = [split_labels(r["label"]) if multi_label else [r["label"]] for r in rows]
    names = list(class_names) if class_names else sorted({n for cell in cells for n in cell})
    if split is not None:
        cells = [c for c, r in zip(cells, rows, strict=True) if r.get("split") == split]
        rows = [r for r in rows if r.get("split") == split]
    lookup = {name: i for i, name in enumerate(names)}
    for row, cell in zip(rows, cells, strict=True):
        unknown = [name for name in cell if name not in lookup] or ([] if cell else ["(empty)"])
        if unknown:
            raise ValueError(
                f"{manifest}: {row['path']}: label {unknown[0]!r} is not one of the classes {names}"
            )
    tags = [tuple(sorted({lookup[n] for n in cell})) for cell in cells]

    def seconds(value: str | None) -> float:
        return float(value) if value not in (None, "") else float("nan")

    return ClipList(
        paths=[str(manifest.parent / r["path"]) for r in rows],
        labels=[indices[0] for indices in tags],
        class_names=names,
        start=[seconds(r.get("start")) for r in rows],
        end=[seconds(r.get("end")) for r in rows],
        group=[r.get("group") or r["path"] for r in rows],
        tags=tags if multi_label else None,
    )


def splits_of(
    source: str | os.PathLike | ClipList, format: str | None = None, fold: int = 1
) -> list[str]:
    """The split names a folder tree or manifest holds, in `SPLITS` order; [] when it has none.

    A tree has splits when it holds `train/`, `val/` or `test/` folders; a
    manifest when its `split` column has values; a public data set (`format`,
    or detected: `zoo.data.formats`) those its annotation files list for
    `fold`. A `ClipList` has none.
    """
    if isinstance(source, ClipList):
        return []
    from zoo.data import formats  # imports this module

    path = Path(source)
    format = formats.format_of(path, format)
    if format == "folder":
        return [s for s in SPLITS if (path / s).is_dir()]
    if format == "csv":
        with open(path, newline="") as f:
            found = {row.get("split") or "" for row in csv.DictReader(f)} - {""}
        return [s for s in SPLITS if s in found] + sorted(found - set(SPLITS))
    if format is None:
        return []
    return formats.dataset_splits(path, format, fold)


def subset(clips: ClipList, keep: Sequence[int]) -> ClipList:
    """The clips at positions `keep`, with the same class names."""
    return ClipList(
        paths=[clips.paths[i] for i in keep],
        labels=[clips.labels[i] for i in keep],
        class_names=clips.class_names,
        start=[clips.start[i] for i in keep],
        end=[clips.end[i] for i in keep],
        group=[clips.group[i] for i in keep],
        tags=None if clips.tags is None else [clips.tags[i] for i in keep],
    )


def to_csv(clips: ClipList, manifest: str | os.PathLike, split: str | None = None) -> None:
    """Writes `clips` as a manifest `from_csv` reads back: `path,label,start,end,group,split`.

    Paths are written as they are (absolute paths stay valid wherever the
    manifest goes); labels as class names; empty `start`/`end` for NaN.
    """

    def seconds(value: float) -> str:
        return "" if value != value else repr(value)  # NaN is the only value unequal to itself

    with open(manifest, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label", "start", "end", "group", "split"])
        for i, path in enumerate(clips.paths):
            indices = (clips.labels[i],) if clips.tags is None else clips.tags[i]
            label = LABEL_SEPARATOR.join(clips.class_names[j] for j in indices)
            start, end = seconds(clips.start[i]), seconds(clips.end[i])
            writer.writerow([path, label, start, end, clips.group[i], split or ""])


def list_clips(
    source: str | os.PathLike | ClipList,
    split: str | None = None,
    format: str | None = None,
    fold: int = 1,
    on_error: str = "raise",
    data_prefix: str | os.PathLike | None = None,
    multi_label: bool = False,
) -> ClipList:
    """Any accepted source as a `ClipList`: a `ClipList`, a folder tree, a `.csv` manifest,
    or a public data set's own annotation files (`zoo.data.formats`).

    `format` is one of `zoo.data.formats.FORMATS`; without it, it is detected
    from the files present. `fold`, `on_error` (for listed videos missing on
    disk) and `data_prefix` (the video folder) apply to the public data sets,
    as in `zoo.data.formats.read_dataset`. `multi_label` reads several
    labels per manifest row (`a|b`; see `from_csv`) and gives every list
    `tags`, one label per clip for single-label sources.
    """
    if isinstance(source, ClipList):
        return with_tags(source) if multi_label else source
    from zoo.data import formats  # imports this module

    path = Path(source)
    format = formats.format_of(path, format)
    if format == "csv":
        return from_csv(path, split, multi_label=multi_label)
    if format == "folder":
        clips = from_folder(path, split)
    elif format is None:
        raise FileNotFoundError(
            f"{path}: not a folder of class folders, a .csv manifest, TFRecord shards "
            f"or a data set's annotation files ({', '.join(formats.FORMATS)})"
        )
    else:
        clips = formats.read_dataset(path, format, split, fold, on_error, data_prefix)
    return with_tags(clips) if multi_label else clips


def with_tags(clips: ClipList) -> ClipList:
    """`clips` as a multi-label list: a single-label list gets one tag per clip, its label."""
    if clips.tags is not None:
        return clips
    return dataclasses.replace(clips, tags=[(label,) for label in clips.labels])
