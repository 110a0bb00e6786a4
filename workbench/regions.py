"""`Region`: a span of a track in seconds, validated and snappable to a beat/bar grid."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import RegionError

__all__ = ["Region"]


@dataclass(frozen=True)
class Region:
    """The span [start, end) in seconds. Always non-empty with a non-negative start."""

    start: float
    end: float

    def __post_init__(self):
        for name in ("start", "end"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise RegionError(f"region {name} must be a finite number of seconds, got {value!r}")
            object.__setattr__(self, name, float(value))
        if self.start < 0:
            raise RegionError(f"region start {self.start:.3f} s is negative")
        if self.start >= self.end:
            raise RegionError(f"region start {self.start:.3f} s must be before its end {self.end:.3f} s")

    @property
    def length(self) -> float:
        return self.end - self.start

    def check_within(self, duration: float, *, min_length: float = 0.0) -> Region:
        """Return self if it lies inside audio of `duration` seconds and is at least `min_length` long."""
        tolerance = 1e-6
        if self.end > duration + tolerance:
            raise RegionError(
                f"region {self.start:.3f}-{self.end:.3f} s ends past the audio's duration {duration:.3f} s"
            )
        if self.length < min_length - tolerance:
            raise RegionError(
                f"region {self.start:.3f}-{self.end:.3f} s is {self.length:.3f} s long; "
                f"at least {min_length:.3f} s is needed"
            )
        return self

    def to_samples(self, sample_rate: int) -> tuple[int, int]:
        return int(round(self.start * sample_rate)), int(round(self.end * sample_rate))

    @classmethod
    def from_samples(cls, start: int, end: int, sample_rate: int) -> Region:
        return cls(start / sample_rate, end / sample_rate)

    def snap(self, grid: Sequence[float]) -> Region:
        """Move each edge to the nearest grid time (beats or bar starts), keeping the region non-empty.

        If both edges would land on the same grid time, the end moves to the next grid time.
        """
        times = np.unique(np.asarray(grid, dtype=float))
        times = times[np.isfinite(times) & (times >= 0)]
        if times.size == 0:
            return self
        i = int(np.abs(times - self.start).argmin())
        j = int(np.abs(times - self.end).argmin())
        if j <= i:
            j = i + 1
        if j >= times.size:  # no grid time after the start: keep the original end
            return Region(float(times[i]), max(self.end, float(times[i]) + 1e-3))
        return Region(float(times[i]), float(times[j]))

    def __str__(self) -> str:
        return f"{self.start:.3f}-{self.end:.3f} s"
