"""Public video data sets, read from their own annotation files into a `ClipList`.

`zoo.data.sources.list_clips(source, split, format=None, fold=1)` comes here
when `format` names one of these, or when the files at `source` show one:

| format | shown by | splits |
| --- | --- | --- |
| `ucf101` | `classInd.txt` in ROOT, ROOT/ucfTrainTestlist/ or ../ucfTrainTestlist/ | train, test (fold 1-3) |
| `hmdb51` | `<class>_test_split1.txt` in ROOT, ROOT/testTrainMulti_7030_splits/ or ../testTrainMulti_7030_splits/ | train, test (fold 1-3) |
| `kinetics` | CSVs `label,youtube_id,time_start,time_end,split` in ROOT or ROOT/annotations/, or one such CSV | train, val, test (those with labels) |
| `ssv2` | `labels.json` in ROOT, ROOT/labels/ or ROOT/annotations/ | train, val |
| `list` | a `.txt` list with `classes.txt` beside it, or a folder of `classes.txt` and `train.txt` / `val.txt` / `test.txt` | none, or one per file |

Every reader checks that the listed videos are on disk. With `on_error="skip"`
the missing ones are left out and listed in `DatasetClips.missing`; otherwise
one `FileNotFoundError` says how many there are and names the first few. A
line or entry that does not parse raises one `ValueError` naming the file and
the line (or JSON entry).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import re
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path

from zoo.data.errors import SkipReport
from zoo.data.sources import SPLITS, VIDEO_EXTENSIONS, ClipList

NAN = float("nan")

# Shown in the error that lists missing videos.
SHOWN_MISSING = 3


@dataclasses.dataclass
class DatasetClips(ClipList):
    """A `ClipList` read from a data set's annotation files.

    `missing` holds the listed videos that were not on disk, left out under
    `on_error="skip"`: `len(clips.missing)` counts them, `clips.missing.skipped`
    maps their paths to the reason. (`subset` and splits give plain `ClipList`s.)
    """

    missing: SkipReport = dataclasses.field(default_factory=SkipReport)


# ---------------------------------------------------------------------------
# Shared by the readers: parsing lines and classes, checking files on disk.


@dataclasses.dataclass
class _Clip:
    """One video an annotation file lists; an empty `group` makes it its own group."""

    path: Path
    label: int
    group: str = ""
    start: float = NAN
    end: float = NAN


def _malformed(file: Path, where: str, problem: str) -> ValueError:
    return ValueError(f"{file}, {where}: {problem}")


def _rows(file: Path, widths: Collection[int], layout: str) -> Iterator[tuple[int, list[str]]]:
    """`(line number, fields)` of every non-blank line of a whitespace-separated list.

    A line with a number of fields not in `widths` is malformed (`layout` says
    what was expected).
    """
    with open(file, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) not in widths:
                raise _malformed(file, f"line {number}", f"expected {layout}, got {line.strip()!r}")
            yield number, fields


def _label(file: Path, where: str, lookup: dict[str, int], name: str) -> int:
    if name not in lookup:
        raise _malformed(file, where, f"unknown class {name!r}")
    return lookup[name]


def _numbered_classes(
    file: Path, numbered: Iterable[tuple[str, str, str]], first: int
) -> list[str]:
    """Class names in the order of their numbers; `numbered` yields `(where, number, name)`.

    The numbers must be `first, first + 1, ...` (in any order of lines).
    """
    by_number: dict[int, str] = {}
    for where, number, name in numbered:
        if not number.isdigit() or int(number) in by_number:
            raise _malformed(file, where, f"class number {number!r} is not a new whole number")
        by_number[int(number)] = name
    if sorted(by_number) != list(range(first, first + len(by_number))):
        raise _malformed(
            file, "class numbers", f"they must run from {first} to {first + len(by_number) - 1}"
        )
    return [by_number[n] for n in sorted(by_number)]


def _json(file: Path) -> object:
    try:
        with open(file, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise _malformed(file, f"line {err.lineno}", f"not valid JSON ({err.msg})") from None


def _clip_list(
    clips: list[_Clip], class_names: list[str], listed_in: Path, on_error: str
) -> DatasetClips:
    """The listed clips that are on disk; the others raise, or are reported with "skip"."""
    found, missing = [], []
    for clip in clips:
        if clip.path.is_file():
            found.append(clip)
        else:
            missing.append(str(clip.path))
    if missing and on_error != "skip":
        raise FileNotFoundError(
            f"{listed_in}: {len(missing)} of the {len(clips)} listed videos are not on disk, "
            f"e.g. {', '.join(missing[:SHOWN_MISSING])} (on_error='skip' leaves them out)"
        )
    return DatasetClips(
        paths=[str(clip.path) for clip in found],
        labels=[clip.label for clip in found],
        class_names=class_names,
        start=[clip.start for clip in found],
        end=[clip.end for clip in found],
        group=[clip.group or str(clip.path) for clip in found],
        missing=SkipReport(dict.fromkeys(missing, "listed, but not on disk")),
    )


# ---------------------------------------------------------------------------
# One reader per format: (annotations, video root, split, ...) -> DatasetClips.

_UCF_NAME = re.compile(r"v_(.+_g\d+)_c\d+")


def read_ucf101(
    lists: Path, videos: Path, split: str, fold: int = 1, on_error: str = "raise"
) -> DatasetClips:
    """UCF101 as its split files list it; classes in the order of `classInd.txt`.

        ucfTrainTestlist/                  `lists` (beside UCF-101/ or inside it)
            classInd.txt                   1 ApplyEyeMakeup
            trainlist01.txt ... 03         ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1
            testlist01.txt ... 03          ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi
        UCF-101/                           `videos`
            ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi

    The class of a video is its folder. The clips `v_<Class>_g<GG>_c<CC>` of
    one group were cut from one longer video, so `<Class>_g<GG>` is their
    `group`: a held-out validation split never puts one group on both sides.
    """
    class_file = lists / "classInd.txt"
    rows = _rows(class_file, (2,), "'<number> <class>'")
    class_names = _numbered_classes(class_file, ((f"line {n}", *f) for n, f in rows), first=1)
    lookup = {name: i for i, name in enumerate(class_names)}
    listed = lists / f"{split}list{fold:02d}.txt"
    clips = []
    for number, fields in _rows(listed, (1, 2), "'<Class>/<video> [<class number>]'"):
        name = fields[0]
        label = _label(listed, f"line {number}", lookup, name.split("/")[0])
        match = _UCF_NAME.fullmatch(Path(name).stem)
        clips.append(_Clip(videos / name, label, match.group(1) if match else ""))
    return _clip_list(clips, class_names, listed, on_error)


HMDB_USE = {"train": "1", "test": "2"}  # in the split files; "0" is unused in that fold


def read_hmdb51(
    lists: Path, videos: Path, split: str, fold: int = 1, on_error: str = "raise"
) -> DatasetClips:
    """HMDB51 as its split files list it; classes in sorted order.

        testTrainMulti_7030_splits/        `lists` (beside the videos or inside)
            brush_hair_test_split1.txt     April_09_brush_hair_u_nm_np1_ba_goo_0.avi 1
            ... (51 classes x folds 1-3)   1 = train, 2 = test, 0 = not used in this fold
        hmdb51/                            `videos`
            brush_hair/April_09_brush_hair_u_nm_np1_ba_goo_0.avi

    Names read `<source>_<class>_<body part>_<camera motion>_<people>_<view>_
    <quality>_<n>` (the meta tags of Kuehne et al., 2011); every clip of one
    source film or web video gets `<source>` as its group (`April_09`), even
    across classes. A name without those tags is its own group.
    """
    ending = f"_test_split{fold}.txt"
    class_names = sorted(file.name[: -len(ending)] for file in lists.glob(f"*{ending}"))
    clips = []
    for label, name in enumerate(class_names):
        listed = lists / f"{name}{ending}"
        tags = re.compile(rf"(.+)_{re.escape(name)}_[a-z]+_[a-z]+_np\d+_[a-z]+_[a-z]+_\d+")
        for number, (video, use) in _rows(listed, (2,), "'<video> <0, 1 or 2>'"):
            if use not in ("0", *HMDB_USE.values()):
                raise _malformed(listed, f"line {number}", f"use {use!r} is not 0, 1 or 2")
            if use == HMDB_USE[split]:
                match = tags.fullmatch(Path(video).stem)
                clips.append(_Clip(videos / name / video, label, match.group(1) if match else ""))
    return _clip_list(clips, class_names, lists, on_error)


KINETICS_COLUMNS = ("youtube_id", "time_start", "time_end", "split")
KINETICS_SPLITS = {"train": "train", "validate": "val", "val": "val", "test": "test"}


def _kinetics_csvs(annotations: Path) -> list[Path]:
    """The Kinetics CSVs `annotations` names: itself, or those in the folder."""
    files = [annotations] if annotations.is_file() else sorted(annotations.glob("*.csv"))
    kinetics = []
    for file in files:
        if file.suffix.lower() != ".csv":
            continue
        with open(file, newline="", encoding="utf-8") as f:
            if set(KINETICS_COLUMNS) <= set(next(csv.reader(f), [])):
                kinetics.append(file)
    return kinetics


def _kinetics_rows(annotations: Path) -> Iterator[tuple[Path, str, str, dict[str, str]]]:
    """`(file, where, split, row)` of every row of the Kinetics CSVs, splits named as in `SPLITS`."""
    for file in _kinetics_csvs(annotations):
        with open(file, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            for row in reader:
                where = f"line {reader.line_num}"
                if None in row.values():
                    raise _malformed(
                        file, where, f"fewer fields than the header {reader.fieldnames}"
                    )
                if row["split"] not in KINETICS_SPLITS:
                    raise _malformed(file, where, f"unknown split {row['split']!r}")
                yield file, where, KINETICS_SPLITS[row["split"]], row


def _kinetics_splits(annotations: Path) -> list[str]:
    labelled = {split for _, _, split, row in _kinetics_rows(annotations) if row.get("label")}
    return [s for s in SPLITS if s in labelled]


def read_kinetics(
    annotations: Path, videos: Path, split: str, on_error: str = "raise"
) -> DatasetClips:
    """Kinetics-400/600/700 from its CSVs; classes in sorted order, over every CSV.

        annotations/ (or ROOT itself)      `annotations` (or one CSV)
            train.csv                      label,youtube_id,time_start,time_end,split
            validate.csv                   abseiling,-3B32lodo2M,59,69,validate
            test.csv                       (without labels: no test split)
        train/abseiling/-3B32lodo2M_000059_000069.mp4    trimmed: the whole file
        val/-3B32lodo2M.mkv                              full length: 59-69 s of it

    Videos are found by name anywhere under `videos` (by label, by split or
    flat); a trimmed `<youtube_id>_<start:06d>_<end:06d>.*` is preferred to a
    full-length `<youtube_id>.*`, whose clip is the `start`/`end` time window.
    Split values "validate" and "val" give the split "val"; a clip's group is
    its YouTube video.
    """
    rows = list(_kinetics_rows(annotations))
    class_names = sorted({row["label"] for *_, row in rows if row.get("label")})
    lookup = {name: i for i, name in enumerate(class_names)}
    on_disk = {p.stem: p for p in videos.rglob("*") if p.suffix.lower() in VIDEO_EXTENSIONS}
    clips = []
    for file, where, row_split, row in rows:
        if row_split != split:
            continue
        label = _label(file, where, lookup, row.get("label") or "")
        try:
            start, end = float(row["time_start"]), float(row["time_end"])
        except ValueError:
            raise _malformed(file, where, "time_start and time_end must be seconds") from None
        video = row["youtube_id"]
        trimmed = f"{video}_{int(start):06d}_{int(end):06d}"
        if trimmed in on_disk:
            clips.append(_Clip(on_disk[trimmed], label, video))
        elif video in on_disk:
            clips.append(_Clip(on_disk[video], label, video, start, end))
        else:
            clips.append(_Clip(videos / f"{trimmed}.mp4", label, video))  # reported missing
    return _clip_list(clips, class_names, annotations, on_error)


SSV2_FILES = {"train": "train.json", "val": "validation.json"}


def read_ssv2(labels: Path, videos: Path, split: str, on_error: str = "raise") -> DatasetClips:
    """Something-Something v2; classes in the order of the numbers in `labels.json`.

        labels/                            `labels`
            labels.json                    {"Approaching something with your camera": "0", ...}
            train.json                     [{"id": "78687", "template": "Holding [something]
            validation.json                  next to [something]", "label": ..., ...}, ...]
            test.json                      (no labels: not read)
        20bn-something-something-v2/       `videos`
            78687.webm

    The class of a video is its template without brackets, as in the official
    loader: "Holding something next to something". Every video is its own group.
    """
    labels_file = labels / "labels.json"
    numbers = _json(labels_file)
    if not isinstance(numbers, dict):
        raise _malformed(labels_file, "line 1", 'expected {"<class>": "<number>", ...}')
    numbered = ((f"entry {name!r}", str(n), name) for name, n in numbers.items())
    class_names = _numbered_classes(labels_file, numbered, first=0)
    lookup = {name: i for i, name in enumerate(class_names)}
    listed = labels / SSV2_FILES[split]
    entries = _json(listed)
    if not isinstance(entries, list):
        raise _malformed(listed, "line 1", 'expected a list of {"id": ..., "template": ...}')
    clips = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not {"id", "template"} <= set(entry):
            raise _malformed(listed, f"entry {number}", "needs an 'id' and a 'template'")
        name = entry["template"].replace("[", "").replace("]", "")
        label = _label(listed, f"entry {number}", lookup, name)
        clips.append(_Clip(videos / f"{entry['id']}.webm", label))
    return _clip_list(clips, class_names, listed, on_error)


def read_list(
    lists: Path, videos: Path, split: str | None = None, on_error: str = "raise"
) -> DatasetClips:
    """A list of `path label` lines as MMAction2 writes them, and `classes.txt` beside it.

        classes.txt                        one class name a line: label 0, 1, ...
        videos.txt                         `lists` (one list, no splits), or a folder
                                           of train.txt / val.txt / test.txt
            jump/0001.mp4 3                path relative to `videos` (by default the
                                           list's folder), label a class number

    Every video is its own group.
    """
    listed = lists if lists.is_file() else lists / f"{split}.txt"
    class_file = listed.parent / "classes.txt"
    with open(class_file, encoding="utf-8") as f:
        class_names = [line.strip() for line in f if line.strip()]
    clips = []
    for number, (name, label) in _rows(listed, (2,), "'<path> <label>'"):
        if not label.isdigit() or int(label) >= len(class_names):
            problem = f"label {label!r} is not a class number below {len(class_names)}"
            raise _malformed(listed, f"line {number}", f"{problem} ({class_file})")
        clips.append(_Clip(videos / name, int(label)))
    return _clip_list(clips, class_names, listed, on_error)


def _list_splits(lists: Path, fold: int) -> list[str]:
    return [] if lists.is_file() else [s for s in SPLITS if (lists / f"{s}.txt").is_file()]


def _is_list(place: Path) -> bool:
    if place.is_file():
        return place.suffix.lower() == ".txt" and (place.parent / "classes.txt").is_file()
    return (place / "classes.txt").is_file() and bool(_list_splits(place, 1))


# ---------------------------------------------------------------------------
# Where each format keeps its files, and dispatch.


@dataclasses.dataclass(frozen=True)
class _Format:
    """How to find, split and read one format."""

    holds: Callable[[Path], bool]  # is this folder (or file) the format's annotations?
    expects: str  # what `holds` looks for, for error messages
    folders: tuple[str, ...]  # usual names of the annotation folder inside ROOT
    videos: str  # usual name of the video folder inside ROOT ("" for ROOT itself)
    splits: Callable[[Path, int], list[str]]
    read: Callable[[Path, Path, str | None, int, str], DatasetClips]
    folds: int = 0  # official train/test folds (0: one split only)
    beside: bool = False  # the annotation folder may also sit beside ROOT (a specific name)


_FORMATS = {
    "ucf101": _Format(
        holds=lambda d: (d / "classInd.txt").is_file(),
        expects="classInd.txt and trainlist0N.txt here, in ucfTrainTestlist/ or ../ucfTrainTestlist/",
        folders=("ucfTrainTestlist",),
        videos="UCF-101",
        splits=lambda d, fold: [
            s for s in ("train", "test") if (d / f"{s}list{fold:02d}.txt").is_file()
        ],
        read=read_ucf101,
        folds=3,
        beside=True,
    ),
    "hmdb51": _Format(
        holds=lambda d: any(d.glob("*_test_split1.txt")),
        expects="<class>_test_split1.txt here, in testTrainMulti_7030_splits/ or beside it",
        folders=("testTrainMulti_7030_splits",),
        videos="",
        splits=lambda d, fold: list(HMDB_USE) if any(d.glob(f"*_test_split{fold}.txt")) else [],
        read=read_hmdb51,
        folds=3,
        beside=True,
    ),
    "kinetics": _Format(
        holds=lambda d: bool(_kinetics_csvs(d)),
        expects="CSVs with the columns label,youtube_id,time_start,time_end,split here or in annotations/",
        folders=("annotations",),
        videos="",
        splits=lambda d, fold: _kinetics_splits(d),
        read=lambda d, videos, split, fold, on_error: read_kinetics(d, videos, split, on_error),
    ),
    "ssv2": _Format(
        holds=lambda d: (d / "labels.json").is_file(),
        expects="labels.json, train.json and validation.json here, in labels/ or annotations/",
        folders=("labels", "annotations"),
        videos="20bn-something-something-v2",
        splits=lambda d, fold: [s for s, name in SSV2_FILES.items() if (d / name).is_file()],
        read=lambda d, videos, split, fold, on_error: read_ssv2(d, videos, split, on_error),
    ),
    "list": _Format(
        holds=_is_list,
        expects="a .txt list with classes.txt beside it, or classes.txt and train.txt/val.txt/test.txt",
        folders=(),
        videos="",
        splits=_list_splits,
        read=lambda d, videos, split, fold, on_error: read_list(d, videos, split, on_error),
    ),
}

# Every name `list_clips(format=...)` accepts: the plain folder tree and CSV manifest first.
FORMATS = ("folder", "csv", *_FORMATS)


def _find(source: Path, name: str) -> tuple[Path, Path] | None:
    """`(annotations, video root)` of `source` in format `name`, or None if it is not one."""
    fmt = _FORMATS[name]
    if source.is_file():
        return (source, source.parent) if fmt.holds(source) else None
    places = [source, *(source / f for f in fmt.folders)]
    places += [source.parent / f for f in fmt.folders] if fmt.beside else []
    videos = source / fmt.videos if fmt.videos and (source / fmt.videos).is_dir() else source
    return next(((place, videos) for place in places if fmt.holds(place)), None)


def _locate(source: Path, name: str) -> tuple[Path, Path]:
    found = _find(source, name)
    if found is None:
        raise FileNotFoundError(f"{source}: not {name} data; expected {_FORMATS[name].expects}")
    return found


def detect(source: str | os.PathLike) -> str | None:
    """The public data set format the files at `source` show (see the table above), or None."""
    return next((name for name in _FORMATS if _find(Path(source), name)), None)


def format_of(source: str | os.PathLike, format: str | None = None) -> str | None:
    """`format` checked against `FORMATS`; without it, the detected data set format, else
    "folder" for a folder, "csv" for a `.csv` file, None for anything else."""
    if format is not None:
        if format not in FORMATS:
            raise ValueError(f"unknown format {format!r}; choose from {', '.join(FORMATS)}")
        return format
    path = Path(source)
    if name := detect(path):
        return name
    return "folder" if path.is_dir() else "csv" if path.suffix.lower() == ".csv" else None


def dataset_splits(source: str | os.PathLike, format: str, fold: int = 1) -> list[str]:
    """The splits data set `source` of `format` has in `fold`, in `SPLITS` order."""
    annotations, _ = _locate(Path(source), format)
    return _FORMATS[format].splits(annotations, fold)


def read_dataset(
    source: str | os.PathLike,
    format: str,
    split: str | None = None,
    fold: int = 1,
    on_error: str = "raise",
    data_prefix: str | os.PathLike | None = None,
) -> DatasetClips:
    """One split of a public data set (`format`, one of `FORMATS` but "folder" and "csv").

    Args:
        source: the data set's folder (or list file); its annotation files are
            found in it, in its usual subfolder, or beside it (table above).
        split: "train", "val" or "test"; None only for a list without splits.
        fold: UCF101 and HMDB51 have three official train/test folds.
        on_error: "raise" (FileNotFoundError) or "skip" (`DatasetClips.missing`)
            for listed videos that are not on disk.
        data_prefix: the folder the videos are under, when it is not the usual
            one (the data set folder or its usual video subfolder).
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', not {on_error!r}")
    fmt = _FORMATS[format]
    if fmt.folds and not 1 <= fold <= fmt.folds:
        raise ValueError(f"{format} has folds 1 to {fmt.folds}, not {fold}")
    annotations, videos = _locate(Path(source), format)
    splits = fmt.splits(annotations, fold)
    if split is None and splits:
        raise ValueError(f"{source}: {format} data has the splits {', '.join(splits)}; name one")
    if split is not None and split not in splits:
        raise FileNotFoundError(
            f"{source}: {format} data has no {split!r} split (it has {', '.join(splits) or 'none'})"
        )
    return fmt.read(annotations, Path(data_prefix or videos), split, fold, on_error)


# ---------------------------------------------------------------------------
# `datasets/<name>/check.py`: a local copy against the layout its reader expects.


def check_main(format: str, argv: Sequence[str] | None = None) -> int:
    """Checks a local copy of a data set: videos per split, missing ones, broken ones.

    Prints each missing video and each one that does not decode (`zoo.data.scan`),
    then one summary line, `ucf101 fold 1: train 9537, test 3783 videos; 0 missing,
    0 broken`. Returns 0 when nothing is missing or broken, 1 otherwise, 2 when
    the folder is not that data set.
    """
    parser = argparse.ArgumentParser(description=f"Checks a local copy of {format} data.")
    parser.add_argument("root", help="the data set folder (see README.md beside this script)")
    parser.add_argument("--fold", type=int, default=1, help="UCF101 / HMDB51 fold (1-3)")
    parser.add_argument("--data-prefix", help="the video folder, when it is not the usual one")
    parser.add_argument("--min-frames", type=int, default=8, help="fewer frames is broken")
    parser.add_argument("--workers", type=int, help="decoding threads (default: one per CPU)")
    args = parser.parse_args(argv)
    from zoo.data.scan import scan

    counts, videos, missing = {}, {}, 0
    try:
        for split in dataset_splits(args.root, format, args.fold):
            clips = read_dataset(args.root, format, split, args.fold, "skip", args.data_prefix)
            counts[split] = len(clips)
            videos.update(dict.fromkeys(clips.paths))
            missing += len(clips.missing)
            for path in clips.missing.skipped:
                print(f"missing     {path}")
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    broken = 0
    for result in scan([Path(p) for p in videos], args.min_frames, workers=args.workers):
        if result.status in ("unreadable", "too short"):
            broken += 1
            print(f"{result.status:10s}  {result.path}  ({result.reason})")
    fold = f" fold {args.fold}" if _FORMATS[format].folds else ""
    listed = ", ".join(f"{split} {n}" for split, n in counts.items()) or "no"
    print(f"{format}{fold}: {listed} videos; {missing} missing, {broken} broken")
    return 1 if missing or broken else 0
