"""Sound beside the picture: `moving_digits_av`, and `video_dataset(modalities=...)`.

Alignment is checked on a file whose picture and sound both tell the time:
frame k shows the number k (`videogen.counter`) while the sound plays a tone
at the centre of mel bin `FIRST_BIN + k`. Every log-mel frame that lies
inside one video frame's period must then peak at that frame's bin.
"""

from __future__ import annotations

import csv
from pathlib import Path

import av
import numpy as np
import pytest
import tensorflow as tf
from built_sets import file_digests, manifest_rows
from videogen import counter, read_counter

from zoo.data import VideoDecodeError, raise_decode_errors, read_video, video_dataset
from zoo.data.audio import AudioSpec, clips_audio
from zoo.datasets import make
from zoo.datasets.moving_digits import write_mp4
from zoo.datasets.moving_digits_av import PITCH_HZ, WORDS, MovingDigitsAVConfig

SMALL = {"videos_per_split": (12, 4, 4)}
FPS, NUM_FRAMES, RATE, BINS, FIRST_BIN = 10, 30, 16_000, 64, 16
SPEC = AudioSpec(sample_rate=RATE, num_mel_bins=BINS)  # mel frames every 10 ms
MEL_PER_FRAME = 10  # mel frames per video frame (100 ms)


def _mel_centre_hz(bin_index: int) -> float:
    """The centre frequency of mel bin `bin_index` of `SPEC` (HTK mel scale, as TF's)."""
    mel = lambda f: 1127.0 * np.log1p(f / 700.0)  # noqa: E731
    centres = np.linspace(mel(SPEC.lower_hz), mel(RATE / 2), BINS + 2)[1:-1]
    return float(700.0 * np.expm1(centres[bin_index] / 1127.0))


def _time_coded(path: Path, num_frames: int = NUM_FRAMES) -> Path:
    """An mp4 whose frame k shows k and sounds at mel bin `FIRST_BIN + k` (phase-continuous)."""
    per_frame = RATE // FPS
    hz = np.repeat([_mel_centre_hz(FIRST_BIN + k) for k in range(num_frames)], per_frame)
    sound = 0.5 * np.sin(2 * np.pi * np.cumsum(hz) / RATE)
    write_mp4(path, counter(num_frames), FPS, sound.astype(np.float32), RATE)
    return path


@pytest.fixture(scope="module")
def coded(tmp_path_factory) -> Path:
    """A CSV manifest of three time-coded videos (one class) of 30, 30 and 24 frames."""
    root = tmp_path_factory.mktemp("coded")
    names = [_time_coded(root / f"coded{i}.mp4", n).name for i, n in enumerate([30, 30, 24])]
    return _manifest(root, names)


def _manifest(root: Path, names: list[str]) -> Path:
    with open(root / "manifest.csv", "w", newline="") as f:
        csv.writer(f).writerows([["path", "label"], *[[n, "tick"] for n in names]])
    return root / "manifest.csv"


def _check_aligned(clip: np.ndarray, mel: np.ndarray) -> int:
    """Asserts that log-mel `(F, BINS, 1)` sounds the frame numbers that `clip` shows.

    Returns how many log-mel frames were checked.
    """
    shown = read_counter(clip, white=1.0)
    assert np.all(np.diff(shown) >= 0)
    first, last = int(shown[0]), int(shown[-1])
    window = (last - first + 1) * MEL_PER_FRAME  # mel frames of the clip's window
    checked = 0
    for m in range(mel.shape[0]):
        inside = m % MEL_PER_FRAME <= 7  # the 25 ms frame lies within one video frame
        if m < window and inside:
            assert int(np.argmax(mel[m, :, 0])) == FIRST_BIN + first + m // MEL_PER_FRAME, m
            checked += 1
        elif m >= window:  # after the clip: zero padding
            assert np.allclose(mel[m], np.log(1e-6)), m
    return checked


def test_same_seed_same_bytes_other_seed_other_videos(tmp_path):
    first = file_digests(make("moving_digits_av", tmp_path / "a", show_progress=False, **SMALL))
    second = file_digests(make("moving_digits_av", tmp_path / "b", show_progress=False, **SMALL))
    other = make("moving_digits_av", tmp_path / "c", show_progress=False, seed=1, **SMALL)
    assert first == second and len(first) == 21  # 20 videos and the manifest
    assert first != file_digests(other)


def test_layout_labels_and_sound(moving_digits_av_dir):
    """12 balanced classes `<word>_<direction>`; the sound's pitch is the word's; the digit
    on screen does not follow the label."""
    rows = manifest_rows(moving_digits_av_dir)
    config = MovingDigitsAVConfig()
    assert len(rows) == sum(config.videos_per_split)
    for split in ("train", "val", "test"):
        labels = [r["label"] for r in rows if r["split"] == split]
        assert len(set(labels)) == 12 and len(set(map(labels.count, set(labels)))) == 1
    for row in rows[:24]:
        assert row["label"] == f"{row['word']}_{row['direction']}"
        path = moving_digits_av_dir / row["path"]
        with av.open(str(path)) as container:
            assert container.streams.audio[0].codec_context.name == "aac"
        sound = clips_audio(path, read_video(path, list(range(16))), 16_000)[0]
        assert sound.size == 25_600  # 1.6 s
        spectrum = np.abs(np.fft.rfft(sound))
        pitch = np.argmax(spectrum[:1600]) * 16_000 / sound.size  # the strongest below 1 kHz
        nearest = min(WORDS, key=lambda w: abs(np.log(PITCH_HZ[w] / pitch)))
        assert nearest == row["word"], (row, pitch)
    labels = {r["label"] for r in rows}
    digits_of = {label: {r["digit"] for r in rows if r["label"] == label} for label in labels}
    assert all(len(digits) >= 5 for digits in digits_of.values())


def test_tone_marks_each_frame(coded):
    """The synthetic file itself: `clips_audio` of single frames hears each frame's tone."""
    path = coded.parent / "coded0.mp4"
    for k in (0, 7, 29):
        sound = clips_audio(path, read_video(path, [k]), RATE)[0]
        mel = SPEC.log_mel(sound).numpy()
        assert np.all(np.argmax(mel[1:-1, :, 0], axis=-1) == FIRST_BIN + k)


def test_audio_follows_random_starts_and_jitter(coded):
    ds = video_dataset(
        coded,
        clip_len=4,
        frame_step=3,
        size=32,
        batch_size=3,
        shuffle=True,
        temporal_jitter=1,
        modalities=("video", "audio"),
        audio=SPEC,
    )
    assert ds.audio_spec.seconds == pytest.approx(1.0)  # 10 frames at 10 fps
    assert ds.audio_spec.shape == (98, BINS, 1)
    checked, starts = 0, set()
    for _ in range(4):  # new starts and jitter every pass
        for inputs, _labels in ds.as_numpy_iterator():
            assert inputs["audio"].shape == (3, 98, BINS, 1)
            for clip, mel in zip(inputs["frames"], inputs["audio"], strict=True):
                checked += _check_aligned(clip, mel)
                starts.add(int(read_counter(clip, white=1.0)[0]))
    assert len(starts) >= 4 and checked > 500


def test_audio_follows_multi_clip_sampling(coded):
    ds = video_dataset(
        coded,
        clip_len=4,
        frame_step=2,
        size=32,
        sampler="multi",
        num_clips=3,
        batch_size=3,
        modalities=("video", "audio"),
        audio=SPEC,
    )
    inputs, _ = next(ds.as_numpy_iterator())
    assert inputs["frames"].shape[:2] == (3, 3) and inputs["audio"].shape == (3, 3, 68, BINS, 1)
    for clips, mels in zip(inputs["frames"], inputs["audio"], strict=True):
        assert len({int(read_counter(c, white=1.0)[0]) for c in clips}) == 3
        for clip, mel in zip(clips, mels, strict=True):
            assert _check_aligned(clip, mel) > 40


def test_audio_alone(coded):
    ds = video_dataset(coded, clip_len=4, size=32, modalities=("audio",), audio=SPEC)
    mels, labels = next(ds.as_numpy_iterator())
    assert mels.shape == (3, *ds.audio_spec.shape) and labels.tolist() == [0, 0, 0]


@pytest.fixture(scope="module")
def with_silent_file(coded, tmp_path_factory) -> Path:
    """`coded`'s three files and a fourth, `mute.mp4`, that has no audio track."""
    root = coded.parent
    write_mp4(root / "mute.mp4", counter(20), FPS)
    return _manifest(root, ["coded0.mp4", "mute.mp4", "coded1.mp4", "coded2.mp4"])


def test_missing_audio_track_raises_naming_the_file(with_silent_file):
    ds = video_dataset(with_silent_file, clip_len=4, size=32, modalities=("video", "audio"))
    with pytest.raises(VideoDecodeError, match=r"mute\.mp4: has no audio stream"):
        with raise_decode_errors():
            list(ds)


def test_missing_audio_track_skipped_and_counted(with_silent_file):
    ds = video_dataset(
        with_silent_file, clip_len=4, size=32, modalities=("audio",), on_error="skip"
    )
    assert sum(len(labels) for _, labels in ds) == 3
    [(path, reason)] = ds.skipped.skipped.items()
    assert path.endswith("mute.mp4") and reason == "has no audio stream"


def test_a_broken_first_file_is_skipped_like_any_other(coded, tmp_path):
    """The audio window's length is timed by the first video that can be read, so a broken
    file at the top of the list is skipped and counted, not an error while building."""
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 100)
    names = [broken.name]
    for name in ("coded0.mp4", "coded1.mp4"):
        (tmp_path / name).symlink_to(coded.parent / name)
        names.append(name)
    ds = video_dataset(
        _manifest(tmp_path, names), clip_len=4, size=32, modalities=("audio",), on_error="skip"
    )
    assert sum(len(labels) for _, labels in ds) == 2
    [(path, reason)] = ds.skipped.skipped.items()
    assert path.endswith("broken.mp4") and reason.startswith("not a readable media file")


def test_video_only_unaffected_by_missing_audio(with_silent_file):
    ds = video_dataset(with_silent_file, clip_len=4, size=32)
    assert ds.audio_spec is None
    assert sum(len(labels) for _, labels in ds) == 4 and not len(ds.skipped)


def test_broken_audio_track(tmp_path):
    """Garbage in the AAC stream: an error naming the file, or a counted skip."""
    from fractions import Fraction

    path = tmp_path / "garbled.mp4"
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width = video.height = 32
        video.pix_fmt = "yuv420p"
        audio = out.add_stream("aac", rate=RATE, layout="mono")
        for image in counter(10):
            out.mux(video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(video.encode())
        rng = np.random.default_rng(0)
        for i in range(16):
            packet = av.Packet(rng.integers(0, 256, 200, dtype=np.uint8).tobytes())
            packet.stream, packet.time_base = audio, Fraction(1, RATE)
            packet.pts = packet.dts = i * 1024
            out.mux(packet)
    manifest = _manifest(tmp_path, [path.name])
    ds = video_dataset(manifest, clip_len=4, size=32, modalities=("video", "audio"))
    with pytest.raises(VideoDecodeError, match=r"garbled\.mp4: audio decoding failed"):
        with raise_decode_errors():
            list(ds)
    skipping = video_dataset(
        manifest, clip_len=4, size=32, modalities=("video", "audio"), on_error="skip"
    )
    assert list(skipping) == [] and len(skipping.skipped) == 1


def test_bad_modalities_and_tfrecords(coded, tmp_path):
    with pytest.raises(ValueError, match="modalities"):
        video_dataset(coded, modalities=("video", "smell"))
    with pytest.raises(ValueError, match="uniform"):
        video_dataset(coded, sampler="uniform", modalities=("audio",))
    shard = tmp_path / "x.tfrecord"
    with tf.io.TFRecordWriter(str(shard)) as writer:
        writer.write(b"")
    with pytest.raises(ValueError, match="TFRecord shards hold no audio"):
        video_dataset(shard, modalities=("video", "audio"))
