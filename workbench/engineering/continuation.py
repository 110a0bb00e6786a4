"""In-painting with a generator that can only continue forwards (MusicGen).

The last seconds of A (up to `context` seconds, bounded by the engine's window) are the audio prompt;
the generator continues them for the region plus its handles. It cannot see C, so the editor asks for
several candidates in one batched call and keeps the one whose end joins C best.
"""

from __future__ import annotations

from ..audio import Audio
from ..engines.base import Generator, Progress
from ..errors import RegionError
from ..params import GenerationParams
from ..regions import Region

__all__ = ["ContinuationInpainter"]


class ContinuationInpainter:
    """Adapts a `Generator` with audio-prompt continuation to the `Inpainter` protocol."""

    sees_both_sides = False

    def __init__(self, generator: Generator, context: float = 5.0):
        self.generator = generator
        self.context = context
        self.name = generator.name

    def inpaint(self, audio: Audio, region: Region, params: GenerationParams, *, candidates: int = 1,
                handle: float = 0.1, progress: Progress | None = None, cancel=None) -> list[Audio]:
        start = max(0.0, region.start - handle)
        end = min(audio.duration, region.end + handle)
        length = end - start
        window = self.generator.max_duration
        if length > window:
            raise RegionError(
                f"region {region} needs {length:.2f} s of new audio; {self.generator.name} generates at most "
                f"{window:.2f} s at a time: pick a shorter region"
            )
        context = min(self.context, start, max(0.0, window - length))
        prompt = audio.slice(start - context, start) if context > 0.05 else None
        seed = params.seed or 0
        rows = [params.replace(duration=length, seed=seed + i) for i in range(candidates)]
        new = self.generator.generate(rows, prompt_audio=prompt, progress=progress, cancel=cancel)
        out = []
        s, e = audio.seconds_to_samples(start), audio.seconds_to_samples(end)
        for part in new:
            part = part.resample(audio.sample_rate).with_channels(audio.channels).pad_to(e - s)
            samples = audio.samples.copy()
            samples[:, s:e] = part.samples  # the rest stays the original
            out.append(Audio(samples, audio.sample_rate))
        return out
