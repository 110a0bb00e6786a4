"""The coarse -> coarse-to-fine vamp on token sequences, chunked like the original `Interface`.

coarse: time is cut into chunks of `coarse_chunk_tokens`, each generated on its own; a chunk whose
mask keeps anything also keeps its first and last step. c2f: time is zero-padded to a multiple of
`c2f_chunk_tokens` (padding masked), missing fine codebooks are appended as zeros, conditioning
codebooks are never masked; chunks are generated on their own and the padding is trimmed.

Upstream quirk kept only in parity mode: `Interface.vamp` calls c2f with fixed settings
(typical filtering on, 2 steps, default temperature and noise) instead of the caller's. In the
user-facing mode c2f receives the caller's temperature, noise, cutoff and seed (steps stay 2 by
default since c2f has little left to decide).
"""

from __future__ import annotations

import dataclasses
import math

import torch

from .sampling import SamplingSettings, generate

__all__ = ["coarse_vamp", "coarse_to_fine", "vamp_tokens", "c2f_settings_for"]


def coarse_vamp(model, codes: torch.Tensor, mask: torch.Tensor, settings: SamplingSettings, chunk_tokens: int,
                cancel=None, on_chunk=None) -> torch.Tensor:
    """Regenerate the coarse codebooks of `codes` (B, C, T) where `mask` is 1; fine codebooks pass through."""
    n = model.config.n_codebooks
    coarse, coarse_mask = codes[:, :n], mask[:, :n]
    out = []
    for start in range(0, codes.shape[-1], chunk_tokens):
        chunk = coarse[..., start:start + chunk_tokens]
        chunk_mask = coarse_mask[..., start:start + chunk_tokens].clone()
        if (chunk_mask == 0).any():
            chunk_mask[..., 0] = 0
            chunk_mask[..., -1] = 0
        out.append(generate(model, chunk, chunk_mask, settings, cancel=cancel))
        if on_chunk is not None:
            on_chunk()
    return torch.cat([torch.cat(out, -1), codes[:, n:]], dim=1)


def coarse_to_fine(model, codes: torch.Tensor, mask: torch.Tensor, settings: SamplingSettings,
                   chunk_tokens: int, cancel=None, on_chunk=None) -> torch.Tensor:
    """Fill the fine codebooks (B, C, T) -> (B, model.n_codebooks, T)."""
    cfg = model.config
    length = codes.shape[-1]
    pad = (-length) % chunk_tokens
    codes = torch.nn.functional.pad(codes, (0, pad))
    mask = torch.nn.functional.pad(mask, (0, pad), value=1)
    missing = cfg.n_codebooks - codes.shape[1]
    if missing > 0:
        codes = torch.cat([codes, codes.new_zeros(codes.shape[0], missing, codes.shape[-1])], 1)
        mask = torch.cat([mask, mask.new_ones(mask.shape[0], missing, mask.shape[-1])], 1)
    codes, mask = codes[:, :cfg.n_codebooks], mask[:, :cfg.n_codebooks].clone()
    mask[:, :cfg.n_conditioning_codebooks] = 0
    out = []
    for start in range(0, codes.shape[-1], chunk_tokens):
        sl = slice(start, start + chunk_tokens)
        out.append(generate(model, codes[..., sl], mask[..., sl], settings, cancel=cancel))
        if on_chunk is not None:
            on_chunk()
    return torch.cat(out, -1)[..., :length]


def c2f_settings_for(coarse: SamplingSettings, steps: int = 2) -> SamplingSettings:
    """The settings c2f runs with: upstream's fixed ones in parity mode, else the caller's."""
    if coarse.parity:
        return SamplingSettings(steps=steps, typical_filtering=True, parity=True)
    return dataclasses.replace(coarse, steps=steps)


def vamp_tokens(coarse_model, c2f_model, codes: torch.Tensor, mask: torch.Tensor, settings: SamplingSettings, *,
                coarse_chunk_tokens: int, c2f_chunk_tokens: int, c2f_settings: SamplingSettings | None = None,
                cancel=None, progress=None) -> torch.Tensor:
    """coarse then c2f over all of `codes` (B, C, T); returns (B, c2f codebooks, T)."""
    n_coarse = math.ceil(codes.shape[-1] / coarse_chunk_tokens)
    n_fine = math.ceil(codes.shape[-1] / c2f_chunk_tokens) if c2f_model is not None else 0
    done = [0]

    def tick():
        done[0] += 1
        if progress is not None:
            progress(done[0], n_coarse + n_fine)

    z = coarse_vamp(coarse_model, codes, mask, settings, coarse_chunk_tokens, cancel, tick)
    if c2f_model is None:
        return z
    return coarse_to_fine(c2f_model, z, mask, c2f_settings or c2f_settings_for(settings), c2f_chunk_tokens,
                          cancel, tick)
