"""AudioSR pre-processing: 48 kHz resampling, normalisation, padding, log-mel and the low-pass condition.

Everything here reproduces the original package (audiosr 0.0.7) numerically; the parity tests compare
each array with the fixtures recorded from it. The one documented choice the original makes at random
(the low-pass filter family, drawn from numpy's global RNG after seeding) is a parameter here:
`filter_type_for_seed(seed)` gives the original's draw, user-facing code picks a fixed family.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import librosa
import numpy as np
import torch
from scipy import signal

from ...errors import InvalidInput

__all__ = [
    "MODEL_RATE",
    "HOP",
    "FILTER_TYPES",
    "WindowInput",
    "sinc_resample",
    "normalize_peak",
    "padded_duration",
    "log_mel_and_magnitude",
    "locate_cutoff",
    "find_cutoff_index",
    "cutoff_from_magnitude",
    "filter_type_for_seed",
    "lowpass",
    "prepare_window",
    "prepare_file_like",
]

MODEL_RATE = 48_000
N_FFT = 2048
HOP = 480
N_MELS = 256
WINDOW_SECONDS = 5.12  # the original pads to a multiple of this
FILTER_TYPES = ("butter", "cheby1", "ellip", "bessel")
CUTOFF_PERCENTILE = 0.985


def sinc_resample(x: np.ndarray, orig_rate: int, new_rate: int = MODEL_RATE) -> np.ndarray:
    """Band-limited resampling with a Hann-windowed sinc (width 6 zero crossings, roll-off 0.99).

    The original reads audio with torchaudio's default resampler; torchaudio cannot be installed next
    to our torch, so this computes the same polyphase kernel and convolution (float32, like the input).
    """
    if orig_rate == new_rate:
        return np.asarray(x, dtype=np.float32).copy()
    gcd = math.gcd(int(orig_rate), int(new_rate))
    orig, new = int(orig_rate) // gcd, int(new_rate) // gcd
    width_zeros = 6
    base = min(orig, new) * 0.99
    width = math.ceil(width_zeros * orig / base)
    dtype = torch.float32
    idx = torch.arange(-width, width + orig, dtype=dtype)[None, None] / orig
    t = torch.arange(0, -new, -1, dtype=dtype)[:, None, None] / new + idx
    t = (t * base).clamp(-width_zeros, width_zeros)
    window = torch.cos(t * math.pi / width_zeros / 2) ** 2
    t = t * math.pi
    scale = base / orig
    kernels = torch.where(t == 0, torch.tensor(1.0, dtype=dtype), t.sin() / t)
    kernels = kernels * (window * scale)
    wave = torch.from_numpy(np.array(x, dtype=np.float32)).reshape(1, -1)
    length = wave.shape[-1]
    wave = torch.nn.functional.pad(wave, (width, width + orig))
    out = torch.nn.functional.conv1d(wave[:, None], kernels, stride=orig)
    out = out.transpose(1, 2).reshape(1, -1)
    target = math.ceil(new * length / orig)
    return out[0, :target].numpy()


def normalize_peak(x: np.ndarray) -> np.ndarray:
    """Remove the mean and scale to peak 0.5 (the original's normalize_wav, float32 arithmetic)."""
    x = x - np.mean(x)
    x = x / (np.max(np.abs(x)) + 1e-8)
    return (x * 0.5).astype(np.float32)


def padded_duration(seconds: float) -> float:
    """The next multiple of 5.12 s at or above `seconds`, computed exactly as the original does."""
    if seconds % WINDOW_SECONDS != 0:
        return seconds + (WINDOW_SECONDS - seconds % WINDOW_SECONDS)
    return seconds


@lru_cache(maxsize=1)
def _mel_basis() -> torch.Tensor:
    mel = librosa.filters.mel(sr=MODEL_RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=20, fmax=24000)
    return torch.from_numpy(mel).float()


def log_mel_and_magnitude(waveform: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """[B, samples] at 48 kHz -> (log-mel [B, frames, 256], |STFT| [B, frames, 1024]).

    Reflect padding of (n_fft - hop) / 2, no centring, natural log of the magnitude mel clamped at 1e-5;
    the frame count is samples // 480 and the Nyquist bin is dropped, as in the original.
    """
    wave = waveform.float()
    frames = wave.shape[-1] // HOP
    pad = (N_FFT - HOP) // 2
    wave = torch.nn.functional.pad(wave[:, None], (pad, pad), mode="reflect")[:, 0]
    window = torch.hann_window(N_FFT, device=wave.device)
    spec = torch.stft(wave, N_FFT, hop_length=HOP, win_length=N_FFT, window=window, center=False,
                      normalized=False, onesided=True, return_complex=True).abs()
    mel = torch.log(torch.clamp(torch.matmul(_mel_basis().to(wave.device), spec), min=1e-5))
    mel = _pad_frames(mel.transpose(1, 2), frames)
    mag = _pad_frames(spec.transpose(1, 2), frames)
    return mel, mag[..., :-1]


def _pad_frames(x: torch.Tensor, frames: int) -> torch.Tensor:
    if x.shape[1] >= frames:
        return x[:, :frames]
    return torch.nn.functional.pad(x, (0, 0, 0, frames - x.shape[1]))


def locate_cutoff(magnitude, percentile: float = CUTOFF_PERCENTILE) -> int:
    """Highest bin below `percentile` of the cumulative (over frequency) magnitude; [frames, bins].

    Sums in torch float32 like the original so that ties resolve the same way.
    """
    energy = torch.cumsum(torch.as_tensor(magnitude).abs().sum(dim=0), dim=0)
    return find_cutoff_index(energy.numpy(), percentile)


def find_cutoff_index(energy: np.ndarray, percentile: float) -> int:
    # The original walks down from the top bin and returns the first index whose cumulative sum is
    # below the threshold (never the last bin itself; 0 if none).
    threshold = energy[-1] * percentile
    below = np.nonzero(energy[1:][::-1] < threshold)[0]
    return int(len(energy) - 1 - below[0]) if len(below) else 0


def cutoff_from_magnitude(magnitude) -> float:
    """Cut-off in Hz from |STFT| [frames, 1024]; below 1 kHz (near-silence) the whole band is kept."""
    cutoff = locate_cutoff(magnitude) / 1024 * 24000
    return 24000.0 if cutoff < 1000 else cutoff


def filter_type_for_seed(seed: int) -> str:
    """The filter family the original draws for `seed` (numpy's legacy RNG, first draw)."""
    return str(np.random.RandomState(int(seed)).choice(list(FILTER_TYPES)))


def _design(ftype: str, order: int, cutoff: float):
    if ftype == "butter":
        return signal.butter(order, cutoff, btype="low", output="sos")
    if ftype == "cheby1":
        return signal.cheby1(order, 0.1, cutoff, btype="low", output="sos")
    if ftype == "ellip":
        return signal.ellip(order, 0.1, 60, cutoff, btype="low", output="sos")
    if ftype == "bessel":
        return signal.bessel(order, cutoff, btype="low", output="sos")
    raise InvalidInput(f"low-pass filter type {ftype!r} is not one of {', '.join(FILTER_TYPES)}")


def _fit(y: np.ndarray, length: int) -> np.ndarray:
    if len(y) == length:
        return y
    if len(y) > length:
        return y[:length]
    return np.pad(y, (0, length - len(y)))


def lowpass(x: np.ndarray, highcut: float, ftype: str, fs: int = MODEL_RATE, order: int = 8) -> np.ndarray:
    """Zero-phase low-pass, polyphase down/up resampling to the cut-off, then zero-phase again."""
    ratio = int(highcut) / (0.5 * fs)
    sos = _design(ftype, order, ratio)
    y = _fit(signal.sosfiltfilt(sos, x), len(x))
    fs_down = int(ratio * fs)
    z = signal.resample_poly(y, fs_down, fs)
    z = _fit(signal.resample_poly(z, fs, fs_down), len(y))
    return _fit(signal.sosfiltfilt(sos, z), len(y))


@dataclass(frozen=True)
class WindowInput:
    """What the model needs for a batch of windows (all at 48 kHz, batch first)."""

    waveform: torch.Tensor  # [B, samples] normalised input
    log_mel: torch.Tensor  # [B, frames, 256]
    waveform_lowpass: torch.Tensor  # [B, samples]
    lowpass_mel: torch.Tensor  # [B, frames, 256]
    cutoff_hz: tuple[float, ...]


def prepare_window(waveform_48k: np.ndarray, ftype: str, cutoff_hz: float | None = None) -> WindowInput:
    """Build the model input for one or more 48 kHz windows ([samples] or [B, samples]).

    The low-pass cut-off comes from the window's own spectrum (98.5 % of the cumulative magnitude;
    below 1 kHz the whole band is kept), as the original does, unless `cutoff_hz` is given (the
    upscaler measures it once over the whole input so that every window agrees).
    """
    batch = np.atleast_2d(np.asarray(waveform_48k, dtype=np.float32))
    wave = torch.from_numpy(batch.copy())
    log_mel, magnitude = log_mel_and_magnitude(wave)
    lowpassed, cutoffs = [], []
    for row, mag in zip(batch, magnitude, strict=True):
        cutoff = cutoff_hz if cutoff_hz is not None else cutoff_from_magnitude(mag)
        # A cut-off at Nyquist would make the filter design fail: nothing to remove, keep the input.
        filtered = lowpass(row, cutoff, ftype) if cutoff < 24000 else row.astype(np.float64)
        lowpassed.append(torch.tensor(np.ascontiguousarray(filtered), dtype=torch.float32))
        cutoffs.append(float(cutoff))
    low = torch.stack(lowpassed)
    low_mel, _ = log_mel_and_magnitude(low)
    return WindowInput(wave, log_mel, low, low_mel, tuple(cutoffs))


def prepare_file_like(signal_in: np.ndarray, rate: int, ftype: str) -> tuple[WindowInput, float]:
    """The original's file path: resample, normalise, zero-pad to a multiple of 5.12 s (one window)."""
    duration = len(signal_in) / rate
    pad_duration = padded_duration(duration)
    wave = normalize_peak(sinc_resample(signal_in, rate))
    target = int(MODEL_RATE * pad_duration)
    padded = np.zeros(target, dtype=np.float32)
    padded[: len(wave)] = wave[:target]
    return prepare_window(padded, ftype), pad_duration
