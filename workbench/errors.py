"""The workbench's error hierarchy.

Everything the workbench raises on purpose derives from `WorkbenchError`. Errors caused by the
caller's input also derive from `ValueError`, so generic `except ValueError` code keeps working.
"""

__all__ = [
    "WorkbenchError",
    "InvalidInput",
    "AudioFileError",
    "RegionError",
    "ParameterError",
    "LibraryError",
    "LibraryBusy",
    "TrackNotFound",
    "LegacyImportError",
    "EngineError",
    "WeightsNotFound",
    "Cancelled",
]


class WorkbenchError(Exception):
    """Base class of every error the workbench raises on purpose."""


class InvalidInput(WorkbenchError, ValueError):
    """The caller's input is at fault (a bad file, value, region, prompt...)."""


class AudioFileError(InvalidInput):
    """An audio file is missing, empty, truncated, corrupt or not audio at all."""


class RegionError(InvalidInput):
    """A time region is impossible for the audio it applies to."""


class ParameterError(InvalidInput):
    """A generation parameter (slider, duration, seed, prompt...) is out of range."""


class LibraryError(WorkbenchError):
    """The track library could not complete an operation."""


class LibraryBusy(LibraryError):
    """Another process held the library's lock for longer than we were willing to wait."""


class TrackNotFound(LibraryError, KeyError):
    """No track (or comment, album) with that id exists in the library."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "not found"


class LegacyImportError(InvalidInput):
    """A legacy metadata file could not be imported."""


class EngineError(WorkbenchError):
    """An engine failed or cannot run here."""


class WeightsNotFound(EngineError):
    """Model weights are not on this machine and cannot be fetched."""


class Cancelled(WorkbenchError):
    """A background job was cancelled by the user."""
