"""VampNet's iterative parallel decoding (MaskGIT-style), reproducing the original's draws.

Per step i of S (r = (i+1)/S): logits -> optional top-k / typical / top-p filtering -> probs =
softmax(logits / temperature) -> tokens sampled (multinomial) while i/S <= sample_cutoff, else
argmax. Kept positions keep their token with confidence +inf; then the floor(cos(r*pi/2) * N0)
least confident tokens (log p + mask_temperature * (1 - r) * Gumbel noise) are masked again.
N0 is the number of masked tokens at the start summed over the whole batch, as upstream.

`parity=True` reproduces the original exactly, including its quirk that typical filtering is
computed and thrown away. With `parity=False` (the user-facing default) typical filtering is applied.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
import torch

from ...errors import ParameterError
from ..base import raise_if_cancelled

__all__ = ["SamplingSettings", "generate", "typical_filter", "top_p_filter"]


@dataclass(frozen=True)
class SamplingSettings:
    steps: int = 36
    temperature: float = 1.0
    mask_temperature: float = 10.5
    sample_cutoff: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    typical_filtering: bool = True
    typical_mass: float = 0.15
    typical_min_tokens: int = 64
    seed: int | None = None
    parity: bool = False

    def __post_init__(self):
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise ParameterError(f"sampling steps must be a whole number >= 1, got {self.steps!r}")
        if not self.temperature > 0:
            raise ParameterError(f"temperature must be > 0, got {self.temperature!r}")
        if self.mask_temperature < 0:
            raise ParameterError(f"mask_temperature must be >= 0, got {self.mask_temperature!r}")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ParameterError(f"top_p must be in (0, 1] or None, got {self.top_p!r}")
        if not 0 < self.typical_mass <= 1:
            raise ParameterError(f"typical_mass must be in (0, 1], got {self.typical_mass!r}")


def top_p_filter(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """Keep the most likely tokens whose cumulative probability (untempered) reaches top_p."""
    sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
    cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
    remove = cumulative > top_p
    remove[..., 1:] = remove[..., :-1].clone()
    remove[..., 0] = False
    return logits.masked_fill(remove.scatter(-1, order, remove), float("-inf"))


def typical_filter(logits: torch.Tensor, mass: float, min_tokens: int) -> torch.Tensor:
    """Locally typical sampling: keep tokens whose surprisal is closest to the entropy, up to `mass`."""
    logp = torch.log_softmax(logits, dim=-1)
    entropy = -(logp.exp() * logp).nansum(-1, keepdim=True)
    shifted = (-logp - entropy).abs()
    sorted_scores, order = torch.sort(shifted, dim=-1)
    cumulative = logits.gather(-1, order).softmax(dim=-1).cumsum(dim=-1)
    last = (cumulative < mass).sum(dim=-1, keepdim=True).clamp(max=logits.shape[-1] - 1)
    remove = sorted_scores > sorted_scores.gather(-1, last)
    remove[..., :min_tokens] = False
    return logits.masked_fill(remove.scatter(-1, order, remove), float("-inf"))


def _sample(logits: torch.Tensor, s: SamplingSettings, sample: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """logits (B, N, V) -> (tokens (B, N), probability of each chosen token (B, N))."""
    if s.top_k:
        kth = torch.topk(logits, s.top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if s.typical_filtering and not s.parity:
        logits = typical_filter(logits, s.typical_mass, s.typical_min_tokens)
    if s.top_p is not None:
        logits = top_p_filter(logits, s.top_p)
    probs = torch.softmax(logits / s.temperature, dim=-1)
    if sample:
        b, n, v = probs.shape
        tokens = torch.multinomial(probs.reshape(-1, v), 1).reshape(b, n)
    else:
        tokens = logits.argmax(dim=-1)
    return tokens, probs.gather(-1, tokens[..., None])[..., 0]


def _flatten(x: torch.Tensor) -> torch.Tensor:
    """(B, C, T) -> (B, T*C), index t*C + c."""
    return x.transpose(1, 2).reshape(x.shape[0], -1)


def _unflatten(x: torch.Tensor, n_codebooks: int) -> torch.Tensor:
    return x.reshape(x.shape[0], -1, n_codebooks).transpose(1, 2)


def _seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


@torch.no_grad()
def generate(model, start_tokens: torch.Tensor, mask: torch.Tensor, settings: SamplingSettings, *,
             trace: list | None = None, cancel=None, on_step=None) -> torch.Tensor:
    """Fill the masked tokens of `start_tokens` (B, C, T); `mask` (B, C, T) has 1 where to generate.
    The model's conditioning codebooks are always kept. Returns codes (B, C, T)."""
    cfg = model.config
    if settings.seed is not None:
        _seed_everything(settings.seed)
    ncc, n_pred, token = cfg.n_conditioning_codebooks, cfg.n_predict_codebooks, cfg.mask_token
    mask = mask.to(start_tokens.device).long().clone()
    mask[:, :ncc] = 0
    z = torch.where(mask.bool(), torch.full_like(start_tokens, token), start_tokens)
    n_start = int((z == token).sum())
    flat_mask = _flatten(mask[:, ncc:]).bool()
    steps = settings.steps
    for i in range(steps):
        raise_if_cancelled(cancel)
        r = (i + 1) / steps
        logits = model(z).transpose(1, 2).float()  # (B, T*P, V)
        sampled, selected = _sample(logits, settings, sample=(i / steps) <= settings.sample_cutoff)
        tokens = torch.where(flat_mask, sampled, _flatten(z[:, ncc:]))
        probs = torch.where(flat_mask, selected, torch.full_like(selected, math.inf))
        gamma = float(torch.clamp(torch.cos(torch.tensor(r * math.pi / 2)), 1e-10, 1.0))
        num = torch.full((z.shape[0], 1), math.floor(gamma * n_start), dtype=torch.long, device=z.device)
        if i != steps - 1:
            num = torch.minimum(torch.clamp(num, min=1), flat_mask.sum(-1, keepdim=True) - 1)
        noise = torch.zeros_like(probs).uniform_(1e-20, 1)  # drawn every step, as upstream
        confidence = torch.log(probs) + settings.mask_temperature * (1 - r) * -torch.log(-torch.log(noise))
        cut = torch.sort(confidence, dim=-1).values.gather(1, num.clamp(min=0))
        flat_mask = confidence < cut
        if trace is not None:
            trace.append({"sampled_tokens": sampled, "selected_probs": selected,
                          "num_to_mask": num, "probs_for_remask": probs, "new_mask": flat_mask.to(torch.int8)})
        flat = torch.where(flat_mask, torch.full_like(tokens, token), tokens)
        z = torch.cat([z[:, :ncc], _unflatten(flat, n_pred)], dim=1)
        if on_step is not None:
            on_step(i + 1, steps)
    return torch.cat([z[:, :ncc], _unflatten(tokens, n_pred)], dim=1)
