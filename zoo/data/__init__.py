"""Video data: decode with PyAV, sample clips, transform in TF, feed tf.data."""

from zoo.data.decode import Video, VideoInfo, probe, read_video
from zoo.data.errors import DEFAULT_LIMITS, DecodeLimits, VideoDecodeError
from zoo.data.pipeline import ClipSpec, SkipReport, decode, read, transform, video_dataset
from zoo.data.sources import ClipList, from_csv, from_folder, list_clips

__all__ = [
    "DEFAULT_LIMITS",
    "ClipList",
    "ClipSpec",
    "DecodeLimits",
    "SkipReport",
    "Video",
    "VideoDecodeError",
    "VideoInfo",
    "decode",
    "from_csv",
    "from_folder",
    "list_clips",
    "probe",
    "read",
    "read_video",
    "transform",
    "video_dataset",
]
