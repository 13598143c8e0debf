"""Audio: mono resampling, clip alignment, and a log-mel peak at a sine tone's mel bin."""

from __future__ import annotations

import numpy as np
import pytest
from videogen import pattern, write_video

from zoo.data import VideoDecodeError, read_video
from zoo.data.audio import clip_audio, log_mel_spectrogram, read_audio

TONE_HZ = 1000.0


@pytest.fixture(scope="module")
def toned(tmp_path_factory):
    """Two seconds of video (20 frames at 10 fps) with a 1 kHz tone."""
    path = tmp_path_factory.mktemp("audio") / "tone.mp4"
    return write_video(path, pattern(20), options={"crf": "20"}, tone_hz=TONE_HZ)


def _mel_bin(hz: float, num_bins: int, lower: float, upper: float) -> int:
    mel = lambda f: 1127.0 * np.log1p(f / 700.0)  # noqa: E731  (HTK, as TF uses)
    centres = np.linspace(mel(lower), mel(upper), num_bins + 2)[1:-1]
    return int(np.argmin(np.abs(centres - mel(hz))))


def test_read_audio_mono_float32(toned):
    audio = read_audio(toned, sample_rate=8000)
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.sample_rate == 8000 and abs(audio.samples.size / 8000 - 2.0) < 0.15
    spectrum = np.abs(np.fft.rfft(audio.samples[2000:10000]))
    assert np.argmax(spectrum) == pytest.approx(TONE_HZ, abs=2)  # 8000 samples: 1 Hz bins


def test_clip_audio_covers_the_clip(toned):
    video = read_video(toned, [5, 7, 9])
    audio = clip_audio(toned, video, sample_rate=16000)
    assert audio.start_s == pytest.approx(0.5, abs=1e-3)
    assert audio.samples.size == round(0.5 * 16000)  # frames 5..9 plus one frame duration
    assert 0.3 < np.abs(audio.samples).max() <= 0.6  # the 0.5-amplitude tone is there


def test_log_mel_peak_at_the_tone(toned):
    audio = clip_audio(toned, read_video(toned, list(range(4, 12))))
    mel = log_mel_spectrogram(audio.samples, 16000, num_mel_bins=64).numpy()
    assert mel.shape == (78, 64)  # 0.8 s: 1 + (12800 - 400) // 160 frames
    assert int(np.argmax(mel.mean(axis=0))) == _mel_bin(TONE_HZ, 64, 20.0, 8000.0)


def test_video_without_audio(media):
    with pytest.raises(VideoDecodeError, match="has no audio stream"):
        read_audio(media["h264"])
