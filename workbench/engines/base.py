"""The small protocols every engine implements. Engines take and return `Audio`; they never touch
the library (the Studio records every result).

Long calls accept `progress(done, total)` and `cancel`, a `threading.Event`-like object; an engine
checks `raise_if_cancelled(cancel)` between steps and stops with `Cancelled`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from ..audio import Audio
from ..errors import Cancelled
from ..params import GenerationParams
from ..regions import Region

__all__ = ["Progress", "Generator", "Inpainter", "Upscaler", "raise_if_cancelled", "report"]

Progress = Callable[[int, int], None]


def raise_if_cancelled(cancel: Any) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("cancelled by the user")


def report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


@runtime_checkable
class Generator(Protocol):
    """Makes new audio from text (and optionally a melody or an audio prompt to continue)."""

    name: str  # engine name as users pick it, e.g. "musicgen-small", "sketch"
    model_id: str  # what exactly runs, e.g. "facebook/musicgen-small"
    sample_rate: int
    max_duration: float  # the model's window in seconds

    def generate(
        self,
        params: Sequence[GenerationParams],
        *,
        melody: Audio | None = None,
        prompt_audio: Audio | None = None,
        progress: Progress | None = None,
        cancel: Any = None,
    ) -> list[Audio]:
        """One batched call: row i follows params[i] (its own seed, sliders, duration) and equals
        a call made with params[i] alone. `prompt_audio` is continued (output excludes it)."""
        ...

    def describe(self) -> dict[str, Any]:
        """What to record in a track's config snapshot (engine, model id, versions...)."""
        ...


@runtime_checkable
class Inpainter(Protocol):
    """Regenerates a region of existing audio."""

    name: str
    sees_both_sides: bool  # VampNet: yes; MusicGen continuation: only what comes before

    def inpaint(
        self,
        audio: Audio,
        region: Region,
        params: GenerationParams,
        *,
        candidates: int = 1,
        handle: float = 0.1,
        progress: Progress | None = None,
        cancel: Any = None,
    ) -> list[Audio]:
        """Return `candidates` versions of `audio` (same length and rate) whose region, plus `handle`
        seconds on each side for the crossfades, holds new material. The editor stitches the original
        outside the region to each candidate's middle, so what a candidate holds elsewhere is unused."""
        ...


@runtime_checkable
class Upscaler(Protocol):
    """Raises the sample rate of audio."""

    name: str
    adds_high_frequencies: bool  # resample: False (it is honest about it); AudioSR: True

    def upscale(
        self,
        audio: Audio,
        sample_rate: int,
        *,
        progress: Progress | None = None,
        cancel: Any = None,
    ) -> Audio:
        ...
