"""`read_video`: every codec and container, pixels against the source, time, rotation, seeking."""

from __future__ import annotations

import av
import numpy as np
import pytest
from videogen import CODECS, pattern, psnr, write_video

from zoo.data import probe, read_video


@pytest.mark.parametrize("name", sorted(CODECS))
def test_codec_pixels_match_source(media, name):
    video = read_video(media[name])
    source = pattern()
    assert video.frames.shape == source.shape and video.frames.dtype == np.uint8
    if name == "ffv1":
        np.testing.assert_array_equal(video.frames, source)  # lossless RGB: exact
    else:
        assert psnr(video.frames, source) >= 40.0, name
    np.testing.assert_allclose(video.timestamps, np.arange(10) / 10, atol=1e-3)


@pytest.mark.parametrize("name", sorted(CODECS))
def test_rgb_conversion_equals_pyav_default(media, name):
    """`read_video` converts with swscale on one thread and a reused converter: the same
    pixels as PyAV's own `to_ndarray(format="rgb24")`, and as its area-filter scaling."""
    with av.open(str(media[name])) as container:
        decoded = list(container.decode(video=0))
    expected = np.stack([frame.to_ndarray(format="rgb24") for frame in decoded])
    np.testing.assert_array_equal(read_video(media[name]).frames, expected)
    side = min(expected.shape[1:3]) // 2
    width, height = decoded[0].width, decoded[0].height
    scale = side / min(width, height)
    scaled = np.stack(
        [
            frame.reformat(
                round(width * scale), round(height * scale), "rgb24", interpolation="AREA"
            ).to_ndarray()
            for frame in decoded
        ]
    )
    np.testing.assert_array_equal(read_video(media[name], shorter_side=side).frames, scaled)


def test_subset_in_any_order_with_repeats(media):
    video = read_video(media["long"], [30, 2, 2, 17])
    source = pattern(40)
    assert list(video.indices) == [30, 2, 2, 17]
    assert psnr(video.frames, source[[30, 2, 2, 17]]) >= 40.0
    np.testing.assert_allclose(video.timestamps, [3.0, 0.2, 0.2, 1.7], atol=1e-3)


def test_seeking_and_frame_skipping_keep_pixels_identical(media):
    """Key frame every 8, B-frames: a subset (seek + skipped non-reference frames) equals
    the same frames of a full decode, bit for bit."""
    full = read_video(media["long"])
    for subset in ([35, 38], [3, 11, 19, 27, 35], [1, 2, 6, 39]):
        np.testing.assert_array_equal(read_video(media["long"], subset).frames, full.frames[subset])


def test_time_window(media):
    video = read_video(media["long"], start=1.0, end=2.0)
    assert len(video.frames) == 10
    np.testing.assert_allclose(video.timestamps, 1.0 + np.arange(10) / 10, atol=1e-3)
    assert psnr(video.frames, pattern(40)[10:20]) >= 40.0
    part = read_video(media["long"], [0, 9], start=1.0, end=2.0)
    np.testing.assert_array_equal(part.frames, video.frames[[0, 9]])


def test_sampler_gets_window_length(media):
    seen = []
    read_video(media["long"], lambda n: seen.append(n) or np.arange(min(n, 3)), start=0.5, end=2.5)
    assert seen == [20]


def test_variable_frame_rate_keeps_order_and_times(tmp_path):
    times = [0.0, 0.05, 0.1, 0.3, 0.35, 0.9, 1.0, 1.45, 1.5, 2.0]
    path = write_video(tmp_path / "vfr.mkv", pattern(), options={"crf": "10"}, times=times)
    video = read_video(path)
    np.testing.assert_allclose(video.timestamps, times, atol=1e-3)
    assert psnr(video.frames, pattern()) >= 40.0
    window = read_video(path, start=0.3, end=1.2)
    np.testing.assert_allclose(window.timestamps, [0.3, 0.35, 0.9, 1.0], atol=1e-3)


@pytest.mark.parametrize("degrees", [90, 180, -90])
def test_rotation_metadata_is_applied(tmp_path, degrees):
    source = pattern(3)
    path = write_video(
        tmp_path / f"rot{degrees}.mp4", source, options={"crf": "10"}, rotation=degrees
    )
    video = read_video(path)
    upright = np.rot90(source, degrees // 90, axes=(1, 2))
    assert video.frames.shape == upright.shape
    assert psnr(video.frames, upright) >= 40.0
    assert probe(path).rotation == degrees % 360


@pytest.mark.parametrize(
    "codec, pix_fmt, options",
    [
        ("libx264", "yuv444p", {"crf": "10"}),  # odd size, 4:4:4
        ("libx264", "yuv444p10le", {"crf": "10"}),  # 10-bit
        ("libvpx-vp9", "yuv420p", {"crf": "10", "b": "0"}),  # odd size, 4:2:0
    ],
)
def test_odd_size_444_and_10_bit_to_rgb(tmp_path, codec, pix_fmt, options):
    source = pattern(4, 47, 63)
    path = write_video(tmp_path / f"{pix_fmt}.mkv", source, codec, pix_fmt, options)
    video = read_video(path)
    assert video.frames.shape == (4, 47, 63, 3) and video.frames.dtype == np.uint8
    assert psnr(video.frames, source) >= 38.0 if pix_fmt == "yuv420p" else 40.0


def test_grayscale_to_rgb(tmp_path):
    gray = pattern(4)[..., 1:2].repeat(3, axis=-1)
    path = write_video(tmp_path / "gray.mkv", gray, "ffv1", "gray")
    video = read_video(path)
    np.testing.assert_array_equal(video.frames, gray)


def test_probe_reads_header(media):
    info = probe(media["long"])
    assert (info.num_frames, info.width, info.height, info.codec) == (40, 64, 48, "h264")
    assert info.fps == pytest.approx(10.0) and not info.has_audio
