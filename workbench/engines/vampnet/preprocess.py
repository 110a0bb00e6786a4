"""What the original does to audio before encoding: mono, -24 LUFS, peak <= 1, pad to the hop.

Loudness is measured with pyloudnorm (ITU-R BS.1770, the same gating as the original's meter; it
differs from the original's float32 filter by about 5e-5 LU, a relative gain error near 6e-6).
"""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm

__all__ = ["LOUDNESS_TARGET_LUFS", "integrated_loudness", "normalize_loudness", "ensure_max", "pad_to_hop",
           "preprocess"]

LOUDNESS_TARGET_LUFS = -24.0
_MIN_MEASURED_S = 0.5  # shorter signals are zero-padded for the measurement only, as upstream does


def integrated_loudness(mono: np.ndarray, sample_rate: int) -> float:
    """LUFS of a 1-D signal; -inf for silence."""
    x = np.asarray(mono, dtype=np.float64)
    need = int(math.ceil(_MIN_MEASURED_S * sample_rate))
    if x.shape[-1] < need:
        x = np.pad(x, (0, need - x.shape[-1]))
    return float(pyloudnorm.Meter(sample_rate).integrated_loudness(x))


def normalize_loudness(mono: np.ndarray, sample_rate: int, target: float = LOUDNESS_TARGET_LUFS) -> np.ndarray:
    """Gain a 1-D float32 signal to `target` LUFS; silence is returned unchanged."""
    loud = integrated_loudness(mono, sample_rate)
    if not math.isfinite(loud):
        return np.asarray(mono, dtype=np.float32)
    gain = np.float32(math.exp((target - loud) * math.log(10) / 20))
    return (np.asarray(mono, dtype=np.float32) * gain).astype(np.float32)


def ensure_max(mono: np.ndarray, peak: float = 1.0) -> np.ndarray:
    """Scale down only when the peak exceeds `peak`."""
    top = float(np.abs(mono).max()) if mono.size else 0.0
    if top > peak:
        return (mono * np.float32(peak / top)).astype(np.float32)
    return mono


def pad_to_hop(mono: np.ndarray, hop: int) -> np.ndarray:
    """Right zero-pad to a multiple of `hop` samples."""
    n = mono.shape[-1]
    return np.pad(mono, (0, math.ceil(n / hop) * hop - n)).astype(np.float32)


def preprocess(samples: np.ndarray, sample_rate: int, hop: int) -> np.ndarray:
    """(channels, n) float32 at the codec rate -> padded mono (n_padded,) float32, as `_preprocess`."""
    mono = np.asarray(samples, dtype=np.float32)
    if mono.ndim == 2:
        mono = mono.mean(axis=0, dtype=np.float32)
    mono = normalize_loudness(mono, sample_rate)
    return pad_to_hop(ensure_max(mono), hop)
