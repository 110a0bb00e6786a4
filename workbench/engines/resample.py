"""The default upscaler: band-limited resampling with soxr.

It is honest: resampling raises the sample rate but adds no new high frequencies (the band above the
source's Nyquist frequency stays empty). AudioSR is the upscaler that invents them.
"""

from __future__ import annotations

from ..audio import Audio
from .base import Progress, raise_if_cancelled, report

__all__ = ["ResampleUpscaler"]


class ResampleUpscaler:
    name = "resample"
    adds_high_frequencies = False

    def upscale(self, audio: Audio, sample_rate: int, *, progress: Progress | None = None,
                cancel=None) -> Audio:
        raise_if_cancelled(cancel)
        report(progress, 0, 1)
        out = audio.resample(sample_rate)  # one call: soxr is fast (minutes of audio per second)
        raise_if_cancelled(cancel)
        report(progress, 1, 1)
        return out

    def describe(self) -> dict:
        import soxr
        return {"upscaler": self.name, "soxr": soxr.__version__, "quality": "VHQ",
                "adds_high_frequencies": False}
