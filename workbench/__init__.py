"""Pro Studio workbench: AI music editing in JupyterLab, with one DuckDB library of every take."""

from .audio import Audio
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
from .params import SLIDERS, GenerationParams
from .regions import Region

__version__ = "0.1.0"

__all__ = [
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
