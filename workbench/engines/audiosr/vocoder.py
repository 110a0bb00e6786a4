"""The 48 kHz HiFi-GAN vocoder: transformers' SpeechT5HifiGan.

Same layer semantics as the original generator (leaky ReLU 0.1 inside, default slope before conv_post,
tanh, residual blocks averaged, transposed-conv padding (k - u) // 2); only `ups.*` is renamed to
`upsampler.*`. The original has no input normalisation, so `normalize_before=False`.
"""

from __future__ import annotations

import torch
from transformers import SpeechT5HifiGan, SpeechT5HifiGanConfig

from .config import AudioSRConfig

__all__ = ["build_vocoder", "mel_to_waveform"]


def build_vocoder(config: AudioSRConfig) -> SpeechT5HifiGan:
    voc = config.vocoder
    hifigan_config = SpeechT5HifiGanConfig(
        model_in_dim=config.mel_bins,
        sampling_rate=48_000,
        upsample_initial_channel=int(voc["upsample_initial_channel"]),
        upsample_rates=list(voc["upsample_rates"]),
        upsample_kernel_sizes=list(voc["upsample_kernel_sizes"]),
        resblock_kernel_sizes=list(voc["resblock_kernel_sizes"]),
        resblock_dilation_sizes=[list(d) for d in voc["resblock_dilation_sizes"]],
        leaky_relu_slope=0.1,
        normalize_before=False,
    )
    return SpeechT5HifiGan(hifigan_config).eval()


def mel_to_waveform(vocoder: SpeechT5HifiGan, mel: torch.Tensor) -> torch.Tensor:
    """Log-mel [B, 1, frames, 256] -> waveform [B, frames * 480 + 16] at 48 kHz."""
    spectrogram = mel[:, 0].to(vocoder.dtype)  # SpeechT5HifiGan takes [B, frames, mel]
    waveform = vocoder(spectrogram)
    return waveform if waveform.dim() == 2 else waveform[None]
