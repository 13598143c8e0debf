"""Public data set formats (`zoo.data.formats`) on tiny generated copies of their layouts.

Every layout gets a copy of one small real video wherever its annotations name
one, so that the `datasets/<name>/check.py` scripts can decode them too.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from videogen import pattern, write_video

from zoo.data import video_dataset
from zoo.data.formats import FORMATS, detect
from zoo.data.sources import list_clips, splits_of
from zoo.data.splits import split_clips

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    return write_video(tmp_path_factory.mktemp("video") / "clip.mp4", pattern())


def put(video: Path, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(video, path)


UCF_CLASSES = ["YoYo", "ApplyEyeMakeup", "Basketball"]  # classInd order, not sorted


def make_ucf101(root: Path, video: Path) -> Path:
    """`root/UCF-101/<Class>/v_<Class>_g0G_c0C.avi` (4 groups x 2 clips) and
    `root/ucfTrainTestlist/` beside it; fold N tests group N. Returns UCF-101/."""
    lists = root / "ucfTrainTestlist"
    lists.mkdir(parents=True)
    (lists / "classInd.txt").write_text(
        "".join(f"{i} {name}\r\n" for i, name in enumerate(UCF_CLASSES, 1))
    )
    for fold in (1, 2, 3):
        train, test = [], []
        for i, name in enumerate(UCF_CLASSES, 1):
            for g in (1, 2, 3, 4):
                for c in (1, 2):
                    rel = f"{name}/v_{name}_g{g:02d}_c{c:02d}.avi"
                    put(video, root / "UCF-101" / rel)
                    (test if g == fold else train).append((rel, i))
        (lists / f"trainlist0{fold}.txt").write_text("".join(f"{r} {i}\n" for r, i in train))
        (lists / f"testlist0{fold}.txt").write_text("".join(f"{r}\n" for r, _ in test))
    return root / "UCF-101"


HMDB_VIDEOS = {  # class -> videos, with their use in fold 1 (1 train, 2 test, 0 unused)
    "wave": {
        "Veoh_Alpha_Dog_1_wave_u_cm_np1_fr_goo_0.avi": "1",
        "Veoh_Alpha_Dog_1_wave_u_cm_np1_fr_goo_1.avi": "1",
        "prelinger_they_grow_up_wave_f_nm_np1_le_med_0.avi": "2",
        "oddly_named.avi": "2",
        "unused_wave_u_cm_np1_fr_goo_0.avi": "0",
    },
    "brush_hair": {
        "April_09_brush_hair_u_nm_np1_ba_goo_0.avi": "1",
        "April_09_brush_hair_u_nm_np1_ba_goo_1.avi": "1",
        "Finding_Forrester_3_brush_hair_h_cm_np1_fr_goo_0.avi": "2",
    },
}


def make_hmdb51(root: Path, video: Path) -> Path:
    """`root/<class>/<video>.avi` with the split files in `root/testTrainMulti_7030_splits/`;
    fold 2 swaps train and test. Returns root."""
    lists = root / "testTrainMulti_7030_splits"
    lists.mkdir(parents=True)
    swap = {"0": "0", "1": "2", "2": "1"}
    for name, videos in HMDB_VIDEOS.items():
        for fold in (1, 2, 3):
            uses = {v: swap[u] if fold == 2 else u for v, u in videos.items()}
            text = "".join(f"{v} {u} \n" for v, u in uses.items())
            (lists / f"{name}_test_split{fold}.txt").write_text(text)
        for v in videos:
            put(video, root / name / v)
    return root


def make_kinetics(root: Path, video: Path) -> Path:
    """Kinetics CSVs in `root/annotations/`: trimmed files under `train/<label>/`, one
    full-length file flat in `val/`, an unlabelled test.csv. Returns root."""
    header = "label,youtube_id,time_start,time_end,split\n"
    (root / "annotations").mkdir(parents=True)
    (root / "annotations" / "train.csv").write_text(
        header + "air drumming,-a1,10,20,train\nabseiling,b_2,0,10,train\nabseiling,c3,5,15,train\n"
    )
    (root / "annotations" / "validate.csv").write_text(header + "abseiling,d4,59,69,validate\n")
    (root / "annotations" / "test.csv").write_text(
        "youtube_id,time_start,time_end,split\ne5,0,10,test\n"
    )
    put(video, root / "train" / "air drumming" / "-a1_000010_000020.mp4")
    put(video, root / "train" / "abseiling" / "b_2_000000_000010.mp4")
    put(video, root / "train" / "abseiling" / "c3_000005_000015.mp4")
    put(video, root / "val" / "d4.mkv")
    put(video, root / "test" / "e5_000000_000010.mp4")
    return root


SSV2_LABELS = {
    "Pushing something from left to right": "2",
    "Approaching something with your camera": "0",
    "Holding something next to something": "1",
}


def make_ssv2(root: Path, video: Path) -> Path:
    """`root/labels/*.json` and `root/20bn-something-something-v2/<id>.webm`. Returns root."""
    labels = root / "labels"
    labels.mkdir(parents=True)
    (labels / "labels.json").write_text(json.dumps(SSV2_LABELS, indent=1))

    def entry(id_: str, template: str) -> dict:
        return {"id": id_, "label": "(filled in)", "template": template, "placeholders": ["x"]}

    train = [
        entry("78687", "Holding [something] next to [something]"),
        entry("42326", "Approaching [something] with your camera"),
        entry("3", "Pushing [something] from left to right"),
    ]
    (labels / "train.json").write_text(json.dumps(train, indent=1))
    val = [entry("11", "Pushing [something] from left to right")]
    (labels / "validation.json").write_text(json.dumps(val, indent=1))
    (labels / "test.json").write_text(json.dumps([{"id": "99"}]))
    for id_ in ("78687", "42326", "3", "11"):
        put(video, root / "20bn-something-something-v2" / f"{id_}.webm")
    return root


def make_list(root: Path, video: Path) -> Path:
    """`root/videos.txt` (`path label`) and `root/classes.txt`. Returns the list file."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "classes.txt").write_text("jump\nrun\nsit down\n")
    (root / "videos.txt").write_text("clips/a.mp4 2\nclips/b.mp4 0\n\nclips/c.mp4 1\n")
    for name in "abc":
        put(video, root / "clips" / f"{name}.mp4")
    return root / "videos.txt"


def names(clips) -> list[str]:
    return [Path(p).name for p in clips.paths]


def test_formats_names_every_accepted_format(class_tree):
    assert FORMATS == ("folder", "csv", "ucf101", "hmdb51", "kinetics", "ssv2", "list")
    assert detect(class_tree) is None and splits_of(class_tree) == []
    assert len(list_clips(class_tree)) == 12 and len(list_clips(class_tree, format="folder")) == 12
    with pytest.raises(ValueError, match="unknown format 'ucf'.*ucf101"):
        list_clips(class_tree, "train", format="ucf")
    with pytest.raises(FileNotFoundError, match="not ucf101 data; expected classInd.txt"):
        list_clips(class_tree, "train", format="ucf101")


def test_ucf101_classes_splits_folds_and_groups(tmp_path, video):
    root = make_ucf101(tmp_path, video)
    assert detect(root) == "ucf101" and splits_of(root) == ["train", "test"]
    for fold in (1, 2, 3):
        train = list_clips(root, "train", fold=fold)
        test = list_clips(root, "test", format="ucf101", fold=fold)
        assert train.class_names == test.class_names == UCF_CLASSES
        assert len(train) == 18 and len(test) == 6
        assert {n.split("_g")[1][:2] for n in names(test)} == {f"0{fold}"}
        assert train.paths[0] == str(root / "YoYo" / f"v_YoYo_g0{1 + (fold == 1)}_c01.avi")
        for clips in (train, test):
            assert [UCF_CLASSES[i] for i in clips.labels] == [
                Path(p).parent.name for p in clips.paths
            ]
    assert sorted(set(test.group)) == ["ApplyEyeMakeup_g03", "Basketball_g03", "YoYo_g03"]
    assert all(math.isnan(t) for t in train.start + train.end)
    with pytest.raises(ValueError, match="folds 1 to 3, not 4"):
        list_clips(root, "train", fold=4)
    with pytest.raises(FileNotFoundError, match="no 'val' split"):
        list_clips(root, "val")
    # The lists may sit inside UCF-101/, and the parent folder of both works too.
    assert names(list_clips(tmp_path, "test", fold=3)) == names(test)
    shutil.move(tmp_path / "ucfTrainTestlist", root / "ucfTrainTestlist")
    assert names(list_clips(root, "test", fold=3)) == names(test)


def test_ucf101_groups_never_straddle_a_split(tmp_path, video):
    train = list_clips(make_ucf101(tmp_path, video), "train")
    for seed in range(5):
        parts = split_clips(train, (0.6, 0.4), seed, names=("train", "val"))
        assert len(parts["train"]) and len(parts["val"])
        assert not set(parts["train"].group) & set(parts["val"].group)


def test_training_clips_hold_out_whole_ucf101_groups(tmp_path, video):
    from zoo.training.data import training_clips

    root = make_ucf101(tmp_path, video)
    train, val, held_out = training_clips(Path(root), 0.25, seed=0)
    assert held_out and len(train) + len(val) == 18
    assert not set(train.group) & set(val.group)
    assert train.class_names == val.class_names == UCF_CLASSES
    assert not {Path(p).name for p in train.paths + val.paths} & set(
        names(list_clips(root, "test"))
    )


def test_hmdb51_uses_folds_and_groups_by_source_video(tmp_path, video):
    root = make_hmdb51(tmp_path / "hmdb51", video)
    assert detect(root) == "hmdb51" and splits_of(root) == ["train", "test"]
    train, test = list_clips(root, "train"), list_clips(root, "test")
    assert train.class_names == ["brush_hair", "wave"]
    assert names(train) == [
        "April_09_brush_hair_u_nm_np1_ba_goo_0.avi",
        "April_09_brush_hair_u_nm_np1_ba_goo_1.avi",
        "Veoh_Alpha_Dog_1_wave_u_cm_np1_fr_goo_0.avi",
        "Veoh_Alpha_Dog_1_wave_u_cm_np1_fr_goo_1.avi",
    ]
    assert train.labels == [0, 0, 1, 1] and test.labels == [0, 1, 1]
    assert train.group == ["April_09", "April_09", "Veoh_Alpha_Dog_1", "Veoh_Alpha_Dog_1"]
    odd = str(root / "wave" / "oddly_named.avi")  # no meta tags: its own group
    assert test.group == ["Finding_Forrester_3", "prelinger_they_grow_up", odd]
    assert test.paths[0] == str(root / "brush_hair" / names(test)[0])
    assert names(list_clips(root, "test", fold=2)) == names(train)  # "0" stays unused
    # split files beside the video folder
    shutil.move(root / "testTrainMulti_7030_splits", tmp_path / "testTrainMulti_7030_splits")
    assert names(list_clips(root, "test", format="hmdb51")) == names(test)


def test_kinetics_csvs_trimmed_and_full_length_files(tmp_path, video):
    root = make_kinetics(tmp_path, video)
    assert detect(root) == "kinetics" and splits_of(root) == ["train", "val"]
    train, val = list_clips(root, "train"), list_clips(root, "val")
    assert train.class_names == val.class_names == ["abseiling", "air drumming"]
    assert train.paths == [
        str(root / "train" / "air drumming" / "-a1_000010_000020.mp4"),
        str(root / "train" / "abseiling" / "b_2_000000_000010.mp4"),
        str(root / "train" / "abseiling" / "c3_000005_000015.mp4"),
    ]
    assert train.labels == [1, 0, 0] and train.group == ["-a1", "b_2", "c3"]
    assert all(math.isnan(t) for t in train.start + train.end)  # trimmed: the whole file
    assert val.paths == [str(root / "val" / "d4.mkv")]  # full length: the CSV's window
    assert (val.start, val.end, val.labels) == ([59.0], [69.0], [0])
    with pytest.raises(FileNotFoundError, match="no 'test' split"):
        list_clips(root, "test")  # test.csv has no labels
    # One CSV is a source too; its videos are searched under its folder.
    shutil.copy(root / "annotations" / "validate.csv", root / "val" / "validate.csv")
    assert list_clips(root / "val" / "validate.csv", "val").paths == val.paths


def test_ssv2_classes_from_labels_json_and_templates(tmp_path, video):
    root = make_ssv2(tmp_path, video)
    assert detect(root) == "ssv2" and splits_of(root) == ["train", "val"]
    train, val = list_clips(root, "train"), list_clips(root, "val")
    assert train.class_names == [
        "Approaching something with your camera",
        "Holding something next to something",
        "Pushing something from left to right",
    ]
    assert names(train) == ["78687.webm", "42326.webm", "3.webm"]
    assert train.labels == [1, 0, 2] and val.labels == [2]
    assert train.paths[0] == str(root / "20bn-something-something-v2" / "78687.webm")
    assert train.group == train.paths


def test_list_file_with_classes_and_data_prefix(tmp_path, video):
    listed = make_list(tmp_path / "mine", video)
    assert detect(listed) == "list" and splits_of(listed) == []
    clips = list_clips(listed)
    assert clips.class_names == ["jump", "run", "sit down"]
    assert clips.paths == [str(tmp_path / "mine" / "clips" / f"{n}.mp4") for n in "abc"]
    assert clips.labels == [2, 0, 1]
    (tmp_path / "elsewhere").mkdir()
    shutil.move(tmp_path / "mine" / "clips", tmp_path / "elsewhere" / "clips")
    moved = list_clips(listed, data_prefix=tmp_path / "elsewhere")
    assert moved.paths == [str(tmp_path / "elsewhere" / "clips" / f"{n}.mp4") for n in "abc"]
    assert names(moved) == ["a.mp4", "b.mp4", "c.mp4"]
    # A folder of classes.txt with train.txt / val.txt has those splits.
    shutil.copy(listed, tmp_path / "mine" / "train.txt")
    shutil.copy(listed, tmp_path / "mine" / "val.txt")
    folder = tmp_path / "mine"
    assert detect(folder) == "list" and splits_of(folder) == ["train", "val"]
    assert list_clips(folder, "val", data_prefix=tmp_path / "elsewhere").paths == moved.paths


def test_missing_videos_are_skipped_and_counted_or_raise_once(tmp_path, video):
    root = make_ucf101(tmp_path, video)
    gone = [root / "YoYo" / f"v_YoYo_g0{g}_c0{c}.avi" for g in (2, 3) for c in (1, 2)]
    for path in gone:
        path.unlink()
    with pytest.raises(FileNotFoundError) as err:
        list_clips(root, "train")
    message = str(err.value)
    assert "trainlist01.txt: 4 of the 18 listed videos are not on disk" in message
    assert ", ".join(str(p) for p in gone[:3]) in message and str(gone[3]) not in message
    clips = list_clips(root, "train", on_error="skip")
    assert len(clips) == 14 and len(clips.missing) == 4
    assert sorted(clips.missing.skipped) == sorted(map(str, gone))
    assert not set(clips.paths) & set(clips.missing.skipped)
    with pytest.raises(ValueError, match="on_error must be"):
        list_clips(root, "train", on_error="ignore")


def test_video_dataset_reports_missing_videos_and_takes_format_and_fold(tmp_path, video):
    """`video_dataset` called directly: missing listed videos are skipped into
    `dataset.skipped` (or refused), and `format`/`fold` choose the lists."""
    root = make_ucf101(tmp_path, video)
    gone = root / "YoYo" / "v_YoYo_g02_c01.avi"
    gone.unlink()
    with pytest.raises(FileNotFoundError, match="1 of the 18 listed videos are not on disk"):
        video_dataset(root, split="train")
    settings = dict(clip_len=2, size=16, batch_size=32, on_error="skip")
    ds = video_dataset(root, split="train", **settings)  # fold 1 trains on groups 2-4
    assert ds.num_videos == 17 and dict(ds.skipped.skipped) == {
        str(gone): "listed, but not on disk"
    }
    labels = [int(y) for _, batch in ds for y in batch]
    assert len(labels) == 17 and ds.class_names == UCF_CLASSES
    train = video_dataset(root, split="train", format="ucf101", fold=2, **settings)
    assert train.num_videos == 18 and not len(train.skipped)  # fold 2 tests group 2
    test = video_dataset(root, split="test", format="ucf101", fold=2, **settings)
    assert test.num_videos == 5 and list(test.skipped.skipped) == [str(gone)]


def test_malformed_lines_name_the_file_and_line(tmp_path, video):
    ucf = make_ucf101(tmp_path / "ucf", video)
    trainlist = tmp_path / "ucf" / "ucfTrainTestlist" / "trainlist01.txt"
    lines = trainlist.read_text().splitlines()
    trainlist.write_text("\n".join([*lines[:4], "YoYo/v_YoYo_g02_c01.avi 1 extra", *lines[4:]]))
    with pytest.raises(
        ValueError, match=rf"{re.escape(str(trainlist))}, line 5: expected .*'YoYo/v_YoYo_g02_c01"
    ):
        list_clips(ucf, "train")
    testlist = trainlist.with_name("testlist01.txt")
    testlist.write_text("YoYo/v_YoYo_g01_c01.avi\nJuggling/v_Juggling_g01_c01.avi\n")
    with pytest.raises(
        ValueError, match=rf"{re.escape(str(testlist))}, line 2: unknown class 'Juggling'"
    ):
        list_clips(ucf, "test")

    listed = make_list(tmp_path / "list", video)
    listed.write_text("clips/a.mp4 2\nclips/b.mp4 3\n")
    with pytest.raises(
        ValueError, match=rf"{re.escape(str(listed))}, line 2: label '3' is not a class number"
    ):
        list_clips(listed)

    kinetics = make_kinetics(tmp_path / "kinetics", video)
    csv_file = kinetics / "annotations" / "validate.csv"
    csv_file.write_text(
        "label,youtube_id,time_start,time_end,split\nabseiling,d4,soon,69,validate\n"
    )
    with pytest.raises(
        ValueError, match=rf"{re.escape(str(csv_file))}, line 2: time_start and time_end"
    ):
        list_clips(kinetics, "val")

    ssv2 = make_ssv2(tmp_path / "ssv2", video)
    validation = ssv2 / "labels" / "validation.json"
    validation.write_text('[\n {"id": "11",\n  "template": "Pushing"\n },\n]\n')
    with pytest.raises(ValueError, match=rf"{re.escape(str(validation))}, line 5: not valid JSON"):
        list_clips(ssv2, "val")
    validation.write_text(json.dumps([{"id": "11", "template": "Pushing"}, {"id": "12"}]))
    with pytest.raises(
        ValueError, match=rf"{re.escape(str(validation))}, entry 1: unknown class 'Pushing'"
    ):
        list_clips(ssv2, "val")


CHECKED = {  # data set -> (fixture, summary line)
    "ucf101": (make_ucf101, "ucf101 fold 1: train 18, test 6 videos; 0 missing, 0 broken"),
    "hmdb51": (make_hmdb51, "hmdb51 fold 1: train 4, test 3 videos; 0 missing, 0 broken"),
    "kinetics": (make_kinetics, "kinetics: train 3, val 1 videos; 0 missing, 0 broken"),
    "ssv2": (make_ssv2, "ssv2: train 3, val 1 videos; 0 missing, 0 broken"),
}


@pytest.mark.parametrize("name", CHECKED)
def test_check_scripts_on_their_layouts(name, tmp_path, video):
    make, summary = CHECKED[name]
    root = make(tmp_path / "data", video)
    script = REPO / "datasets" / name / "check.py"

    def check() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(script), str(root), "--workers", "1"],
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = check()
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == summary
    first = Path(list_clips(root, "train", format=name).paths[0])
    first.write_bytes(b"not a video")
    done = check()
    assert done.returncode == 1
    assert f"unreadable  {first}" in done.stdout
    assert done.stdout.splitlines()[-1].endswith("0 missing, 1 broken")
    first.unlink()
    assert check().stdout.splitlines()[-1].endswith("1 missing, 0 broken")
