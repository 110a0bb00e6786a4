"""Token masks for VampNet: which (codebook, time) tokens are regenerated (1) and which are kept (0).

`build_mask` reproduces the original `Interface.build_mask` draw for draw: with the same torch seed
it gives the same mask (the periodic prompt's roll offset and the dropout positions are random).
Components are combined with an element-wise min, so a 0 (keep) from any component wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ...errors import ParameterError
from .onsets import onset_frames

__all__ = ["MaskSettings", "build_mask", "seconds_to_tokens", "onset_frames", "inpaint_mask", "periodic_mask",
           "onset_mask", "apply_mask"]


def seconds_to_tokens(seconds: float, sample_rate: int, hop: int) -> int:
    return int(math.ceil(seconds * sample_rate / hop))


@dataclass(frozen=True)
class MaskSettings:
    """The original's `build_mask` knobs, with its defaults (`Interface.build_mask`)."""

    rand_mask_intensity: float = 1.0
    prefix_s: float = 0.0
    suffix_s: float = 0.0
    periodic_prompt: int = 7
    periodic_prompt_width: int = 1
    onset_mask_width: int = 0
    dropout: float = 0.0
    upper_codebook_mask: int = 3
    ncc: int = 0

    def __post_init__(self):
        for name, low, high in (("rand_mask_intensity", 0.0, 1.0), ("dropout", 0.0, 1.0)):
            value = getattr(self, name)
            if not low <= value <= high:
                raise ParameterError(f"{name} = {value!r} is out of range: allowed {low}..{high}")
        for name in ("prefix_s", "suffix_s"):
            if getattr(self, name) < 0:
                raise ParameterError(f"{name} must be >= 0 seconds, got {getattr(self, name)!r}")
        for name in ("periodic_prompt", "periodic_prompt_width", "onset_mask_width", "upper_codebook_mask", "ncc"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ParameterError(f"{name} must be a whole number >= 0, got {value!r}")


def linear_random(shape: tuple[int, ...], intensity: float) -> torch.Tensor:
    # the bernoulli is drawn even at intensity 1.0: it moves the RNG like the original
    return torch.bernoulli(torch.ones(shape) * intensity).round().long()


def inpaint_mask(shape: tuple[int, ...], n_prefix: int, n_suffix: int) -> torch.Tensor:
    mask = torch.ones(shape, dtype=torch.long)
    if n_prefix > 0:
        mask[..., :n_prefix] = 0
    if n_suffix > 0:
        mask[..., -n_suffix:] = 0
    return mask


def periodic_mask(shape: tuple[int, ...], period: int, width: int = 1, random_roll: bool = True) -> torch.Tensor:
    """Keep every `period`-th step (and `width // 2` steps either side), then roll by a random offset."""
    mask = torch.ones(shape, dtype=torch.long)
    if period == 0:
        return mask
    steps = shape[-1]
    for t in range(0, steps, period):
        start, end = max(0, t - width // 2), min(steps - 1, t + width // 2) + 1
        keep = torch.bernoulli(torch.ones(end - start))  # one (always-1) coin per kept step, as upstream
        mask[..., start:end] = (1 - keep).long()
    if random_roll:
        offset = int(torch.randint(0, period, (1,)).item())
        mask = torch.roll(mask, offset, dims=-1)
    return mask


def onset_mask(shape: tuple[int, ...], frames, width: int) -> torch.Tensor:
    """Keep [f - width, f + width) around each onset frame f; Python slicing, as upstream (an onset
    closer to the start than `width` gives an empty slice and keeps nothing)."""
    mask = torch.ones(shape, dtype=torch.long)
    for f in frames:
        f = int(f)
        mask[..., f - width:f + width] = 0
    return mask


def _dropout(mask: torch.Tensor, p: float) -> torch.Tensor:
    steps = mask.shape[-1]
    idx = torch.randint(0, steps, (int(steps * p),))  # drawn even when empty, as upstream
    mask = mask.clone()
    mask[..., idx] = 1
    return mask


def build_mask(codes: torch.Tensor, settings: MaskSettings, *, sample_rate: int, hop: int,
               onset_audio: np.ndarray | None = None, onset_rate: int | None = None,
               trace: list | None = None) -> torch.Tensor:
    """Mask (B, C, T) long for codes (B, C, T). `onset_audio` (mono) is needed when onset_mask_width > 0.
    `trace`, when given, receives (component name, tensor) after every step (for parity checks)."""
    shape = tuple(codes.shape)

    def note(name, value):
        if trace is not None:
            trace.append((name, value.clone()))
        return value

    mask = note("linear_random", linear_random(shape, settings.rand_mask_intensity))
    prefix = seconds_to_tokens(settings.prefix_s, sample_rate, hop)
    suffix = seconds_to_tokens(settings.suffix_s, sample_rate, hop)
    mask = note("mask_and", torch.minimum(mask, note("inpaint", inpaint_mask(shape, prefix, suffix))))
    periodic = note("periodic_mask", periodic_mask(shape, settings.periodic_prompt, settings.periodic_prompt_width))
    mask = note("mask_and", torch.minimum(mask, periodic))
    if settings.onset_mask_width > 0:
        if onset_audio is None:
            raise ParameterError("onset_mask_width > 0 needs the audio to find onsets in")
        frames = onset_frames(onset_audio, onset_rate or sample_rate, hop)
        onsets = note("onset_mask", onset_mask(shape, frames, settings.onset_mask_width))
        mask = note("mask_and", torch.minimum(mask, onsets))
    mask = note("dropout", _dropout(mask, settings.dropout))
    mask = mask.clone()
    mask[:, :settings.ncc] = 0
    note("codebook_unmask", mask)
    mask = mask.clone()
    mask[:, settings.upper_codebook_mask:] = 1
    return note("codebook_mask", mask)


def apply_mask(codes: torch.Tensor, mask: torch.Tensor, mask_token: int) -> torch.Tensor:
    """Codes with the mask token wherever mask == 1."""
    return torch.where(mask.bool(), torch.full_like(codes, mask_token), codes)
