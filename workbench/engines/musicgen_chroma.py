"""The melody condition of MusicGen-melody: a one-hot chromagram computed by our own code.

transformers' MusicgenMelodyFeatureExtractor needs torchaudio, which does not load next to the CPU torch
wheel here, so this module reproduces its `_torch_extract_fbank_features` with torch.stft. Parameters copied
from MusicgenMelodyFeatureExtractor's defaults (and the facebook/musicgen-melody preprocessor config):
sampling_rate 32000, n_fft 16384, win_length 16384, hop_length 4096, chunk_length 30 s, num_chroma 12;
torchaudio.transforms.Spectrogram(power=2, center=True, pad=0, normalized=True) = a periodic Hann window,
reflect padding, |STFT|^2 divided by sum(window^2); audio shorter than n_fft is zero-padded to n_fft
(centred); the chroma filters are transformers' `chroma_filter_bank(sampling_rate, num_frequency_bins=n_fft,
tuning=0, num_chroma=12)` (librosa's filters, starting at C). Each frame is normalised by its maximum and
then replaced by a one-hot vector at its argmax. Stereo is averaged to mono; other rates are resampled with
soxr (the extractor uses torchaudio's resampler; the chroma argmax is insensitive to that difference).

A melody shorter than the model's chroma window (235 frames, ~30 s) is repeated (tiled) to fill it, and a
longer one is cut at 30 s: this is what MusicgenMelodyForConditionalGeneration itself does with
`input_features` (it tiles to `config.chroma_length`), so a 5-second hum conditions all 30 s of output.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from ..audio import Audio
from ..errors import InvalidInput

__all__ = ["CHROMA_SAMPLE_RATE", "CHROMA_N_FFT", "CHROMA_HOP", "CHROMA_MAX_SECONDS", "melody_chroma", "as_audio",
           "null_chroma"]

CHROMA_SAMPLE_RATE = 32000
CHROMA_N_FFT = 16384
CHROMA_HOP = 4096
CHROMA_MAX_SECONDS = 30
NUM_CHROMA = 12


@functools.lru_cache(maxsize=2)
def _filters(sample_rate: int, n_fft: int) -> torch.Tensor:
    from transformers.audio_utils import chroma_filter_bank

    bank = chroma_filter_bank(num_frequency_bins=n_fft, num_chroma=NUM_CHROMA, sampling_rate=sample_rate, tuning=0)
    return torch.from_numpy(bank).float()  # (12, n_fft // 2 + 1)


def as_audio(melody) -> Audio:
    """Accept an `Audio` or anything holding one in `.audio` (a library Track)."""
    if isinstance(melody, Audio):
        return melody
    inner = getattr(melody, "audio", None)
    if isinstance(inner, Audio):
        return inner
    raise InvalidInput(f"melody must be an Audio or a Track, got {type(melody).__name__}")


def melody_chroma(melody) -> torch.Tensor:
    """One-hot chroma of `melody`, shaped (frames, 12) float32, frames = 1 + samples // 4096 at 32 kHz."""
    audio = as_audio(melody)
    if audio.sample_rate != CHROMA_SAMPLE_RATE:
        audio = audio.resample(CHROMA_SAMPLE_RATE)
    wav = torch.from_numpy(np.asarray(audio.samples, dtype=np.float32).mean(axis=0))
    wav = wav[: CHROMA_MAX_SECONDS * CHROMA_SAMPLE_RATE]
    if wav.shape[-1] < CHROMA_N_FFT:
        pad = CHROMA_N_FFT - wav.shape[-1]
        wav = torch.nn.functional.pad(wav, (pad // 2, pad // 2 + pad % 2))
    window = torch.hann_window(CHROMA_N_FFT)
    spec = torch.stft(wav, n_fft=CHROMA_N_FFT, hop_length=CHROMA_HOP, win_length=CHROMA_N_FFT, window=window,
                      center=True, pad_mode="reflect", normalized=False, onesided=True, return_complex=True)
    power = spec.abs().pow(2) / window.pow(2).sum()  # torchaudio's normalized=True, power=2
    raw = _filters(CHROMA_SAMPLE_RATE, CHROMA_N_FFT) @ power  # (12, frames)
    norm = torch.nn.functional.normalize(raw, p=float("inf"), dim=0, eps=1e-6)
    one_hot = torch.zeros_like(norm.T)
    return one_hot.scatter_(-1, norm.T.argmax(-1, keepdim=True), 1.0)


def null_chroma() -> torch.Tensor:
    """MusicGen-melody's "no melody" condition: one frame, one-hot at bin 0 (C), shaped (1, 12)."""
    chroma = torch.zeros(1, NUM_CHROMA)
    chroma[0, 0] = 1.0
    return chroma
