"""Region edits on `Audio`: in-paint, delete, loop. Pure functions; the Studio records the results.

In-painting ("cut and stitch"): the audio is cut into A | B | C at the region. The in-painter makes
`candidates` new versions of B carrying handles for the crossfades; each is stitched between the
original A and C (so everything outside the region and its crossfade zones is bit-identical), and the
candidate whose joints score best (`analysis.seam_score`, lower is better) is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import analysis
from ..audio import Audio
from ..engines.base import Inpainter, Progress
from ..errors import RegionError
from ..params import GenerationParams
from ..regions import Region
from .stitch import crossfade_join, stitch_audio

__all__ = ["InpaintResult", "inpaint", "delete_region", "loop_region", "effective_crossfade"]

MAX_LAG = 0.005  # seconds of alignment search at each joint
MAX_LOOP_TIMES = 64


@dataclass(frozen=True)
class InpaintResult:
    audio: Audio
    region: Region  # after snapping to the grid, if any
    crossfade: float
    seam_scores: list[float] = field(default_factory=list)  # one per candidate, lower is better
    chosen: int = 0


def effective_crossfade(audio: Audio, region: Region, crossfade: float) -> float:
    """The crossfade that fits: never longer than the audio on either side that has a neighbour."""
    room = [crossfade, region.length / 2]
    if region.start > 0:
        room.append(region.start)
    tail = audio.duration - region.end - MAX_LAG
    if tail > 1e-9:
        room.append(tail)
    return max(0.0, min(room))


def _seam_score(result: Audio, region: Region) -> float:
    scores = []
    for at in (region.start, region.end):
        if 0.01 <= at <= result.duration - 0.01:  # seam_score needs material on both sides
            scores.append(analysis.seam_score(result, at=at))
    return float(np.mean(scores)) if scores else 0.0


def inpaint(
    audio: Audio,
    region: Region,
    inpainter: Inpainter,
    params: GenerationParams,
    *,
    candidates: int = 1,
    crossfade: float = 0.1,
    grid: list[float] | None = None,
    progress: Progress | None = None,
    cancel=None,
) -> InpaintResult:
    """Regenerate `region` of `audio`; the result has exactly the original length."""
    region.check_within(audio.duration, min_length=crossfade)
    if grid is not None and params.structure > 0:
        region = region.snap(grid).check_within(audio.duration, min_length=crossfade)
    xf = effective_crossfade(audio, region, crossfade)
    versions = inpainter.inpaint(audio, region, params, candidates=candidates, handle=xf + MAX_LAG,
                                 progress=progress, cancel=cancel)
    rate = audio.sample_rate
    s, e = region.to_samples(rate)
    n, lag = int(round(xf * rate)), int(round(MAX_LAG * rate))
    before = audio.slice_samples(0, s) if s > 0 else None
    after = audio.slice_samples(e, audio.num_samples) if e < audio.num_samples else None
    head = n if before is not None else 0
    tail = n + lag if after is not None else 0
    results, scores = [], []
    for version in versions:
        if version.sample_rate != rate or version.num_samples != audio.num_samples:
            version = version.resample(rate).pad_to(audio.num_samples)
        middle = version.with_channels(audio.channels).slice_samples(s - head, e + tail)
        stitched = stitch_audio(before, middle, after, xf, max_lag=MAX_LAG, length=audio.num_samples)
        results.append(stitched)
        scores.append(_seam_score(stitched, region))
    best = int(np.argmin(scores))
    return InpaintResult(results[best], region, xf, scores, best)


def delete_region(audio: Audio, region: Region, crossfade: float = 0.1) -> Audio:
    """Remove `region` and crossfade the joint (the result is shorter by the region, +-MAX_LAG)."""
    region.check_within(audio.duration, min_length=crossfade)
    if region.start <= 0 and region.end >= audio.duration - 1e-9:
        raise RegionError(f"region {region} covers the whole {audio.duration:.3f} s track: nothing would be left")
    rate = audio.sample_rate
    s, e = region.to_samples(rate)
    if s == 0:
        return audio.slice_samples(e, audio.num_samples)
    if e >= audio.num_samples:
        return audio.slice_samples(0, s)
    lag = int(round(MAX_LAG * rate))
    half = min(int(round(crossfade * rate)) // 2, s, max(0, audio.num_samples - e - lag))
    left = audio.samples[:, : s + half]
    right = audio.samples[:, e - half :]
    joined, _ = crossfade_join(left, right, 2 * half, range(0, min(lag, right.shape[1] - 2 * half) + 1))
    return Audio(joined, rate)


def loop_region(audio: Audio, region: Region, times: int = 2, crossfade: float = 0.1) -> Audio:
    """Play `region` `times` times in a row (it occurs `times` times in the result), joints crossfaded."""
    if isinstance(times, bool) or not isinstance(times, int) or not 2 <= times <= MAX_LOOP_TIMES:
        raise RegionError(f"loop times must be a whole number in 2..{MAX_LOOP_TIMES}, got {times!r}")
    region.check_within(audio.duration, min_length=2 * crossfade)
    rate = audio.sample_rate
    s, e = region.to_samples(rate)
    half = int(round(crossfade * rate)) // 2
    half = min(half, s, audio.num_samples - e)  # handles come from outside the region
    x = audio.samples
    body = x[:, s - half : e + half]
    out = x[:, : e + half]
    for _ in range(times - 2):
        out, _lag = crossfade_join(out, body, 2 * half, range(0, 1))
    out, _lag = crossfade_join(out, x[:, s - half :], 2 * half, range(0, 1))
    return Audio(out, rate)
