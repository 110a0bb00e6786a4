"""AudioSR post-processing: put the input's own low band back (in the mel and in the waveform).

Both replacements keep what the input really contains below its cut-off and let the model supply only
what lies above: the decoded mel's bins below the low-pass mel's 98.5 % point are overwritten, and after
the vocoder the STFT bins below the low-passed input's 98.5 % point are replaced by the input's, divided
by an energy ratio (clamped to [0.8, 1.2]) measured at the cut-off bin. `parity_normalize` is the
original's final step (peak 0.5, then the mean subtracted); user-facing code matches loudness instead.
"""

from __future__ import annotations

import librosa
import numpy as np
import torch

from .preprocess import find_cutoff_index, locate_cutoff

__all__ = ["mel_cutoff_bin", "replace_low_mel", "replace_low_band", "parity_normalize"]

_STFT = {"n_fft": 2048, "hop_length": 512, "window": "hann", "center": True, "pad_mode": "constant"}


def mel_cutoff_bin(lowpass_mel: torch.Tensor) -> int:
    """[frames, 256] log-mel -> the mel bin below which the low-pass input is kept."""
    return locate_cutoff(torch.exp(lowpass_mel.float().cpu()))


def replace_low_mel(mel: torch.Tensor, lowpass_mel: torch.Tensor) -> torch.Tensor:
    """mel [B, 1, frames, 256], lowpass_mel [B, frames, 256] -> mel with each item's low bins replaced."""
    out = mel.clone()
    for i in range(out.shape[0]):
        cutoff = mel_cutoff_bin(lowpass_mel[i])
        out[i, 0, :, :cutoff] = lowpass_mel[i, :, :cutoff].to(out)
    return out


def _stft_cutoff(x: np.ndarray) -> int:
    magnitude = np.abs(librosa.stft(x, **_STFT))
    return find_cutoff_index(np.cumsum(np.sum(magnitude, axis=-1)), 0.985)


def replace_low_band(out: np.ndarray, lowpass: np.ndarray) -> tuple[np.ndarray, dict]:
    """One item: vocoder output [n] and low-passed input [m] -> output with the input's low band."""
    cutoff = _stft_cutoff(lowpass)
    stft_in = librosa.stft(lowpass, **_STFT)
    stft_out = librosa.stft(out, **_STFT)
    ratio_raw = float(np.sum(np.abs(stft_in[cutoff])) / np.sum(np.abs(stft_out[cutoff])))
    ratio = min(max(ratio_raw, 0.8), 1.2)
    stft_out[:cutoff] = stft_in[:cutoff] / ratio
    renewed = librosa.istft(stft_out, hop_length=512, window="hann", center=True, length=len(out))
    return renewed.astype(np.float32), {"cutoff_bin": cutoff, "energy_ratio_raw": ratio_raw,
                                        "energy_ratio": ratio}


def parity_normalize(waveform: np.ndarray) -> np.ndarray:
    """The original's last step: scale each item to peak 0.5, then subtract its mean."""
    peak = np.max(np.abs(waveform), axis=-1, keepdims=True)
    scaled = 0.5 * waveform / peak
    return scaled - np.mean(scaled, axis=-1, keepdims=True)
