"""Onset frames exactly as `librosa.onset.onset_detect(y, sr, hop_length, backtrack=True)` finds them.

librosa's peak picker is a numba gufunc that crashes the interpreter (segmentation fault) with the
numba 0.68 / numpy 2.4 pair installed here, so the peak picking (`librosa.util.peak_pick` with
onset_detect's default settings) is done in plain numpy below; onset strength and backtracking
still come from librosa.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["onset_frames", "peak_pick"]


def peak_pick(x: np.ndarray, pre_max: int, post_max: int, pre_avg: int, post_avg: int, delta: float,
              wait: int) -> np.ndarray:
    """Indices n with x[n] the max of x[n-pre_max : n+post_max], x[n] >= mean(x[n-pre_avg : n+post_avg])
    + delta and more than `wait` frames after the previous peak (greedy, left to right)."""
    n_frames = x.shape[0]
    peaks: list[int] = []
    first = x[0] >= np.max(x[:min(post_max, n_frames)]) and x[0] >= np.mean(x[:min(post_avg, n_frames)]) + delta
    if first:
        peaks.append(0)
    n = wait + 1 if first else 1
    while n < n_frames:
        if x[n] != np.max(x[max(0, n - pre_max):min(n + post_max, n_frames)]):
            n += 1
            continue
        if not x[n] >= np.mean(x[max(0, n - pre_avg):min(n + post_avg, n_frames)]) + delta:
            n += 1
            continue
        peaks.append(n)
        n += wait + 1
    return np.asarray(peaks, dtype=int)


def onset_frames(mono: np.ndarray, sample_rate: int, hop: int) -> np.ndarray:
    """Backtracked onset frame indices of a 1-D signal, at `hop` samples per frame."""
    import librosa

    env = librosa.onset.onset_strength(y=np.asarray(mono, dtype=np.float32), sr=sample_rate, hop_length=hop)
    env = env - np.min(env)
    env = env / (np.max(env) + np.finfo(env.dtype).tiny)
    if not env.any() or not np.all(np.isfinite(env)):
        return np.zeros(0, dtype=int)
    def steps(seconds: float, extra: int = 0) -> int:
        return int(math.ceil(seconds * sample_rate // hop + extra))

    peaks = peak_pick(env, pre_max=steps(0.03), post_max=steps(0.0, 1), pre_avg=steps(0.10),
                      post_avg=steps(0.10, 1), delta=0.07, wait=steps(0.03))
    if peaks.size == 0:
        return peaks
    return librosa.onset.onset_backtrack(peaks, env)
