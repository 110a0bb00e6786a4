"""Pro Studio workbench: AI music editing in JupyterLab, with one DuckDB library of every take."""

from .audio import Audio
from .engineering.stitch import stitch_audio
from .errors import (
    AudioFileError,
    Cancelled,
    EngineError,
    InvalidInput,
    LibraryBusy,
    LibraryError,
    ParameterError,
    RegionError,
    TrackNotFound,
    WeightsNotFound,
    WorkbenchError,
)
from .jobs import Job
from .library import Album, Comment, Library, Track
from .params import SLIDERS, GenerationParams
from .regions import Region
from .studio import Studio

__version__ = "0.1.0"

__all__ = [
    "Studio",
    "Library",
    "Track",
    "Comment",
    "Album",
    "Job",
    "stitch_audio",
    "Audio",
    "GenerationParams",
    "Region",
    "SLIDERS",
    "WorkbenchError",
    "InvalidInput",
    "AudioFileError",
    "RegionError",
    "ParameterError",
    "LibraryError",
    "LibraryBusy",
    "TrackNotFound",
    "EngineError",
    "WeightsNotFound",
    "Cancelled",
]
