"""Frame k of `read_video` is frame k of a full sequential decode, whatever the timestamps say.

The reference is PyAV's decoder output, in the order it comes (the order
`ffmpeg -i FILE -f rawvideo -` writes). Besides every codec of the matrix, the
files here have timestamps that mislead: AVI stores none, and FFmpeg's guesses
for B-frames come out of the decoder out of order, or a frame off; a raw
H.264 stream has none at all; and two mp4 files, which index every frame and
so invite seeking, carry timestamps that are not presentation times (copied
from a packed AVI, or with the composition offsets dropped). Their frames show
their own frame number.
"""

from __future__ import annotations

from itertools import pairwise

import av
import numpy as np
import pytest
from divx import write_packed_avi
from reference import check_random_frames, decoder_output
from videogen import CODECS, counter, read_counter, remux, write_video

from zoo.data import ClipList, VideoDecodeError, read_video, scan_file
from zoo.data.samplers import center_clip

FRAMES = 30
# mp4 files whose timestamps are not presentation times (without composition offsets, the
# edit list drops the first two frames: a full decode starts at frame 2 of the source)
MP4 = ("divx packed copied to mp4", "h264 mp4 without composition offsets")
MPEG4 = CODECS["mpeg4"][3]


@pytest.fixture(scope="module")
def misleading(tmp_path_factory) -> dict:
    """30-frame 32x32 counter videos whose timestamps are out of order, off by one, or missing."""
    root = tmp_path_factory.mktemp("misleading")
    source = counter(FRAMES)
    packed = write_packed_avi(root / "packed.avi", source)
    h264 = write_video(root / "h264.mp4", source, options={"crf": "10"})
    return {
        "divx packed avi": packed,
        "divx packed copied to mp4": remux(packed, root / "packed.mp4"),
        "h264 mp4 without composition offsets": remux(
            h264, root / "no_ctts.mp4", pts_from_dts=True
        ),
        "mpeg4 b-frames avi": write_video(
            root / "unpacked.avi", source, "mpeg4", options={**MPEG4, "bf": "2"}
        ),
        "h264 b-frames avi": write_video(root / "h264.avi", source, options={"crf": "10"}),
        "raw h264": write_video(root / "raw.h264", source, options={"crf": "10"}),
    }


def test_the_timestamps_really_mislead(misleading):
    """The premise, checked on the files themselves."""
    pts = {name: decoder_output(path)[1] for name, path in misleading.items()}
    for name in ("divx packed avi", "h264 b-frames avi", *MP4):
        assert any(b < a for a, b in pairwise(pts[name])), name  # 1, 2, 4, 3, ...
    with av.open(str(misleading["mpeg4 b-frames avi"])) as container:
        first_in_index = container.streams.video[0].index_entries[0].timestamp
    assert pts["mpeg4 b-frames avi"][0] == first_in_index + 1  # in order, but a frame late
    assert set(pts["raw h264"]) == {None}


@pytest.mark.parametrize("name", [*sorted(CODECS), "long"])
def test_random_frames_equal_a_full_decode_for_every_codec(media, name):
    check_random_frames(media[name])


@pytest.mark.parametrize(
    "name", ["divx packed avi", "mpeg4 b-frames avi", "h264 b-frames avi", "raw h264", *MP4]
)
def test_random_frames_equal_a_full_decode_with_misleading_timestamps(misleading, name):
    expected = check_random_frames(misleading[name])
    np.testing.assert_array_equal(np.diff(read_counter(expected)), 1)  # no frame out of place
    video = read_video(misleading[name])
    np.testing.assert_allclose(np.diff(video.timestamps), 1 / video.fps, atol=1e-6)


@pytest.mark.parametrize("name", ["divx packed avi", "h264 b-frames avi", "raw h264"])
def test_samplers_and_the_last_frames(misleading, name):
    path = misleading[name]
    video = read_video(path, lambda n: center_clip(n, 4, 3)[0])
    assert list(read_counter(video.frames)) == list(video.indices) == [10, 13, 16, 19]
    assert list(read_counter(read_video(path, [29, 28, 27]).frames)) == [29, 28, 27]
    with pytest.raises(VideoDecodeError, match="has 30 frames; frame 30 does not exist"):
        read_video(path, [28, 30])
    with pytest.raises(VideoDecodeError, match="has 30 frames; frame 31 does not exist"):
        read_video(path, lambda n: np.arange(n - 2, n + 2))  # a sampler that overshoots


def test_scan_calls_them_ok(misleading):
    """Out-of-order timestamps are no variable frame rate. (Only the mp4 that lost its
    composition offsets is odd, for the two frames its edit list now drops.)"""
    for name, path in misleading.items():
        result = scan_file(path)
        assert result.frames == len(decoder_output(path)[1]), name
        if name == "h264 mp4 without composition offsets":
            assert (result.status, result.reason) == ("odd", "header says 30 frames, 28 decode")
        else:
            assert result.status == "ok", (name, result)


def test_training_neither_drops_nor_scrambles_them(misleading):
    """`on_error="skip"` keeps every file, and every clip runs forward `frame_step` at a time."""
    from zoo.data import video_dataset

    paths = [str(p) for p in misleading.values()]
    clips = ClipList(paths, list(range(len(paths))), [f"c{i}" for i in range(len(paths))])
    ds = video_dataset(clips, clip_len=5, frame_step=3, size=32, batch_size=8, on_error="skip")
    (frames, labels), *rest = ds.as_numpy_iterator()
    assert not rest and not ds.skipped and sorted(labels) == list(range(len(paths)))
    for clip in frames:
        numbers = read_counter(clip, white=1.0)
        np.testing.assert_array_equal(np.diff(numbers), 3)


def test_only_video_decode_errors_escape(media):
    with pytest.raises(VideoDecodeError, match="decoding failed \\(ValueError") as info:
        read_video(media["h264"], ["first"])
    assert info.value.path == str(media["h264"]) and isinstance(info.value.__cause__, ValueError)
