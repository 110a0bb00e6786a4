"""Seamless joints: lag-aligned, correlation-aware crossfades that never clip.

`stitch_audio(before, middle, after)` puts `middle` between `before` and `after`. Each joint is one
crossfade of `crossfade` seconds taken from the *end* of the left piece and the *start* of the right
piece, so `middle` must carry that much extra material (a "handle") at each end that has a neighbour.
Every sample outside the crossfade zones is copied bit for bit.

At each joint:
1. Alignment: the right piece may start up to `max_lag` seconds later (its first samples dropped),
   chosen for the best normalised correlation with the left piece inside the crossfade.
2. Fade law: gains follow a raised cosine, normalised so that the sum keeps its level for the measured
   correlation r of the two sides: a^2 + b^2 + 2 r a b = 1. r = 1 gives equal-gain (linear sum to 1),
   r = 0 equal-power; in between it interpolates. Anti-correlated sides are treated as r = 0.
3. Loudness: `middle` is gained to the loudness of its surroundings (up to 3 s either side), so a
   patch neither jumps out nor drops away; silent surroundings leave it as it is.
4. No clipping: if the stitched zone would exceed full scale, a smooth gain dip (1 at the zone's edges)
   brings it under, so the untouched samples stay untouched.
"""

from __future__ import annotations

import numpy as np

from ..audio import Audio
from ..errors import InvalidInput

__all__ = ["stitch_audio", "crossfade_join", "fade_gains", "PEAK_LIMIT"]

PEAK_LIMIT = 0.999
_LOUDNESS_CONTEXT = 3.0  # seconds of surroundings the middle's loudness is matched to
_MAX_MATCH_DB = 12.0  # never move a patch by more than this


def fade_gains(n: int, correlation: float) -> tuple[np.ndarray, np.ndarray]:
    """Fade-out and fade-in gains of length n for two sides with the given correlation."""
    r = float(np.clip(correlation, 0.0, 1.0))
    p = 0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)
    q = 1.0 - p
    norm = np.sqrt(p * p + q * q + 2.0 * r * p * q)
    return (q / norm).astype(np.float32), (p / norm).astype(np.float32)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    energy = float(np.sqrt(np.sum(a * a) * np.sum(b * b)))
    return float(np.sum(a * b) / energy) if energy > 1e-12 else 0.0


def _best_lag(left_tail: np.ndarray, right: np.ndarray, n: int, lags: range) -> tuple[int, float]:
    """The lag (samples dropped from `right`'s start) that best correlates with the left tail."""
    best, best_r = lags.start, -np.inf
    mono_left = left_tail.mean(axis=0)
    mono_right = right.mean(axis=0)
    for lag in lags:
        r = _correlation(mono_left, mono_right[lag : lag + n])
        if r > best_r + 1e-9:
            best, best_r = lag, r
    return best, best_r


def crossfade_join(left: np.ndarray, right: np.ndarray, n: int, lags: range) -> tuple[np.ndarray, int]:
    """Join two (channels, samples) arrays with an n-sample crossfade; returns (joined, lag used)."""
    if n <= 0:
        return np.concatenate([left, right[:, lags.start :]], axis=1), lags.start
    lag, r = _best_lag(left[:, -n:], right, n, lags)
    fade_out, fade_in = fade_gains(n, r)
    zone = left[:, -n:] * fade_out + right[:, lag : lag + n] * fade_in
    return np.concatenate([left[:, :-n], zone, right[:, lag + n :]], axis=1), lag


def _surround_loudness(before: Audio | None, after: Audio | None) -> float:
    parts = []
    if before is not None:
        parts.append(before.slice_samples(before.num_samples - before.seconds_to_samples(_LOUDNESS_CONTEXT),
                                          before.num_samples))
    if after is not None:
        parts.append(after.slice_samples(0, after.seconds_to_samples(_LOUDNESS_CONTEXT)))
    return Audio.concat(parts).loudness() if parts else float("-inf")


def _match_middle(middle: Audio, before: Audio | None, after: Audio | None) -> Audio:
    target, current = _surround_loudness(before, after), middle.loudness()
    if not (np.isfinite(target) and np.isfinite(current)):
        return middle
    return middle.gain(float(np.clip(target - current, -_MAX_MATCH_DB, _MAX_MATCH_DB)))


def _limit_zone(out: np.ndarray, start: int, stop: int, n: int) -> np.ndarray:
    """Bring out[:, start:stop] under PEAK_LIMIT with a gain dip that is 1 at both edges."""
    peak = float(np.abs(out[:, start:stop]).max(initial=0.0))
    if peak <= PEAK_LIMIT:
        return out
    depth = 1.0 - PEAK_LIMIT / peak
    envelope = np.ones(stop - start, np.float32)
    ramp = max(1, min(n, (stop - start) // 2))
    shape = (0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)).astype(np.float32)
    envelope[:ramp] -= depth * shape
    envelope[ramp : stop - start - ramp] -= depth
    envelope[stop - start - ramp :] -= depth * shape[::-1]
    out = out.copy()
    out[:, start:stop] *= envelope
    # The ramps themselves can still hold a peak: clip what is left, inside the zone only.
    np.clip(out[:, start:stop], -PEAK_LIMIT, PEAK_LIMIT, out=out[:, start:stop])
    return out


def stitch_audio(
    before: Audio | None,
    middle: Audio,
    after: Audio | None,
    crossfade: float = 0.1,
    *,
    max_lag: float = 0.005,
    match_loudness: bool = True,
    length: int | None = None,
) -> Audio:
    """Join before + middle + after with aligned, correlation-aware crossfades (see the module doc).

    `middle` must carry `crossfade` seconds of handle at each end that has a neighbour, plus any slack
    the lag search may use. With `length` (in samples) the result has exactly that length: the slack
    (sum of lengths minus crossfades minus `length`) must lie in 0..2*max_lag and is shared between the
    two joints by the search at the first joint. Without it each joint drops 0..max_lag samples.
    """
    pieces = [p for p in (before, middle, after) if p is not None]
    rates = {p.sample_rate for p in pieces}
    if len(rates) != 1:
        raise InvalidInput(f"cannot stitch audio at different sample rates {sorted(rates)}")
    rate = rates.pop()
    channels = max(p.channels for p in pieces)
    n = int(round(crossfade * rate))
    lag = int(round(max_lag * rate))
    if n < 0 or lag < 0:
        raise InvalidInput(f"crossfade ({crossfade}) and max_lag ({max_lag}) must not be negative")
    for name, piece, need in (("before", before, n), ("after", after, n + lag)):
        if piece is not None and piece.num_samples < need:
            raise InvalidInput(
                f"the part {name} the region is {piece.num_samples / rate:.3f} s; the crossfade needs "
                f"{need / rate:.3f} s"
            )
    joints = (before is not None) + (after is not None)
    if middle.num_samples < joints * (n + lag) + 1:
        raise InvalidInput(
            f"the new material is {middle.duration:.3f} s; {joints} crossfade(s) of {crossfade:.3f} s "
            "need more (it must carry a handle for each joint)"
        )
    if match_loudness:
        middle = _match_middle(middle, before, after)

    mid = middle.with_channels(channels).samples
    slack = None
    if length is not None:
        raw = sum(p.num_samples for p in pieces) - joints * n
        slack = raw - int(length)
        if not 0 <= slack <= joints * lag:
            raise InvalidInput(f"cannot make {length} samples: {raw} available with {joints} joint(s) "
                               f"of up to {lag} samples of alignment")

    out = mid
    start = 0
    if before is not None:
        left = before.with_channels(channels).samples
        lags = range(0, lag + 1)
        if slack is not None:
            lags = range(max(0, slack - (lag if after is not None else 0)), min(lag, slack) + 1)
        out, used = crossfade_join(left, mid, n, lags)
        start = left.shape[1] - n
        slack = None if slack is None else slack - used
    if after is not None:
        right = after.with_channels(channels).samples
        lags = range(0, lag + 1) if slack is None else range(slack, slack + 1)
        stop_before_join = out.shape[1] - n
        out, _ = crossfade_join(out, right, n, lags)
        stop = stop_before_join + n
    else:
        stop = out.shape[1]
    return Audio(_limit_zone(out, start, stop, n), rate)
