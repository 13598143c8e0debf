"""Every video extension an encoder here can write: found by extension, decoded frame-exactly."""

from __future__ import annotations

import shutil

import pytest
from reference import check_random_frames
from videogen import CODECS, pattern, write_video

from zoo.data import from_folder
from zoo.data.scan import find_files
from zoo.data.sources import VIDEO_EXTENSIONS

H264 = ("libx264", "yuv420p", {"crf": "10"}, 10)
MPEG4 = ("mpeg4", "yuv420p", CODECS["mpeg4"][3], 10)
MPEG2 = ("mpeg2video", "yuv420p", {**CODECS["mpeg4"][3], "bf": "2"}, 25)  # MPEG-2 rates only

# extension -> (codec, pixel format, options, frame rate); FFmpeg picks the container by name
WRITTEN = {
    ".ts": H264,
    ".mts": H264,
    ".m2ts": H264,
    ".flv": H264,
    ".f4v": H264,
    ".wmv": ("wmv2", "yuv420p", CODECS["mpeg4"][3], 10),
    ".asf": ("msmpeg4", "yuv420p", CODECS["mpeg4"][3], 10),
    ".3gp": MPEG4,
    ".3g2": H264,
    ".vob": MPEG2,
    ".mxf": MPEG2,
    ".m2v": MPEG2,
    ".y4m": ("rawvideo", "yuv420p", {}, 10),
    ".nut": ("ffv1", "yuv420p", {}, 10),
    ".h264": H264,
    ".hevc": ("libx265", "yuv420p", CODECS["h265"][3], 10),
}
RENAMED = {".divx": ".avi", ".qt": ".mov"}  # names FFmpeg does not know for writing


@pytest.fixture(scope="module")
def containers(tmp_path_factory):
    """`ROOT/all/video<ext>` for every extension above, and two files that are not videos."""
    root = tmp_path_factory.mktemp("containers")
    (root / "all").mkdir()
    for ext, (codec, pix_fmt, options, rate) in WRITTEN.items():
        write_video(root / "all" / f"video{ext}", pattern(), codec, pix_fmt, options, rate)
    for ext, written_as in RENAMED.items():
        write_video(root / f"video{written_as}", pattern(), *MPEG4[:3])
        shutil.move(root / f"video{written_as}", root / "all" / f"video{ext}")
    (root / "all" / "notes.txt").write_text("not a video")
    (root / "all" / "labels.json").write_text("{}")
    return root


def test_every_extension_is_found(containers):
    extensions = {*WRITTEN, *RENAMED}
    assert extensions <= set(VIDEO_EXTENSIONS)
    videos, ignored = find_files(containers)
    assert sorted(p.suffix for p in videos) == sorted(extensions)
    assert [p.name for p in ignored] == ["labels.json", "notes.txt"]
    assert len(from_folder(containers)) == len(extensions)


@pytest.mark.parametrize("ext", sorted({*WRITTEN, *RENAMED}))
def test_random_frames_equal_a_full_decode(containers, ext):
    expected = check_random_frames(containers / "all" / f"video{ext}")
    assert expected.shape == pattern().shape
