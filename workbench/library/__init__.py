"""The track library: one DuckDB file plus its audio files, safe for two processes at once."""

from .check import CheckReport, check_library
from .legacy import LegacyReport, migrate_legacy, sample_legacy_dir
from .library import Library, default_library_path
from .models import Album, Comment, Sweep, SweepCell, Track

__all__ = [
    "Library", "Track", "Comment", "Album", "Sweep", "SweepCell", "default_library_path",
    "CheckReport", "check_library", "LegacyReport", "migrate_legacy", "sample_legacy_dir",
]
