"""Row-wise guidance and sampling for MusicGen inside ONE batched transformers `generate()` call.

transformers' own classifier-free guidance uses one scale for the whole batch and its sampler one
torch RNG for all rows, so a row's result would depend on its neighbours. Here generate() runs greedily
with its own guidance switched off (guidance_scale=None) and the batch holds `copies` conditioning
variants of every row, in blocks: [cond rows; uncond rows] (2 copies, transformers' order), or for Melody
Loyalty [text+melody rows; text rows; uncond rows] (3 copies). `RowSampler`, a LogitsProcessor, then per
row r and decoding step:

1. guidance, on raw logits like transformers' ClassifierFreeGuidanceLogitsProcessor:
   2 copies: ``u + (c - u) * g_r``;  3 copies: ``c = lerp(t, tm, loyalty_r)`` then ``u + (c - u) * g_r``.
   torch.lerp is exact at its ends (weight 0 gives t, weight 1 gives tm bit for bit), so loyalty 0 is
   exactly the text-only guided logits and loyalty 1 exactly MusicGen-melody's standard guided logits.
   A row with g_r == 1 uses c itself (what transformers does when guidance is off).
2. temperature (Weirdness), then top-k, then top-p, the order of transformers' warpers;
3. a Gumbel-max draw from the row's own torch.Generator (seeded with the row's seed): exactly a sample
   from softmax(filtered logits), using a fixed amount of noise per step, so the tokens of row r depend
   only on row r's settings and seed;
4. it returns a score that is 0 at the drawn token and -inf elsewhere, identical for all copies of the
   row, so generate()'s greedy argmax picks the drawn token and every copy follows the same sequence.

It also reports progress after every step and raises `Cancelled` between steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from transformers import LogitsProcessor

from .base import Progress, raise_if_cancelled, report

__all__ = ["RowSettings", "RowSampler", "guided_logits", "filter_logits"]


class RowSettings:
    """Per-row decoding settings as tensors shaped (rows, 1, 1), ready to broadcast over (rows, K, V)."""

    def __init__(self, *, guidance: Sequence[float], temperature: Sequence[float], top_k: Sequence[int],
                 top_p: Sequence[float], loyalty: Sequence[float] | None = None, device: torch.device):
        def col(values, dtype=torch.float32):
            return torch.tensor(list(values), dtype=dtype, device=device).view(-1, 1, 1)

        self.rows = len(guidance)
        self.guidance = col(guidance)
        self.temperature = col(temperature)
        self.top_k = [int(k) for k in top_k]
        self.top_p = [float(p) for p in top_p]
        self.loyalty = None if loyalty is None else col(loyalty)


def guided_logits(scores: torch.Tensor, settings: RowSettings, copies: int) -> torch.Tensor:
    """(copies * rows * K, V) raw logits -> (rows, K, V) guided logits (see the module docstring)."""
    rows = settings.rows
    blocks = scores.view(copies, rows, -1, scores.shape[-1])
    if copies == 1:
        return blocks[0]
    if copies == 2:
        cond, uncond = blocks[0], blocks[1]
    elif copies == 3:
        text_melody, text, uncond = blocks[0], blocks[1], blocks[2]
        cond = torch.lerp(text, text_melody, settings.loyalty)
    else:
        raise ValueError(f"copies must be 1, 2 or 3, got {copies}")
    guided = uncond + (cond - uncond) * settings.guidance
    return torch.where(settings.guidance == 1.0, cond, guided)


def filter_logits(logits: torch.Tensor, settings: RowSettings) -> torch.Tensor:
    """Temperature, then per-row top-k (0: off) and top-p (0 or 1: off); removed tokens become -inf.
    top-p keeps the smallest set of most likely tokens whose probability reaches p (at least one)."""
    logits = logits / settings.temperature
    if not any(0 < k < logits.shape[-1] for k in settings.top_k) and not any(0 < p < 1 for p in settings.top_p):
        return logits
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    rank = torch.arange(logits.shape[-1], device=logits.device)
    vocab = logits.shape[-1]
    k = torch.tensor([k if 0 < k < vocab else vocab for k in settings.top_k], device=logits.device).view(-1, 1, 1)
    remove = rank >= k
    p = torch.tensor([p if 0 < p < 1 else 1.0 for p in settings.top_p], device=logits.device).view(-1, 1, 1)
    kept = sorted_logits.masked_fill(remove, float("-inf"))
    probs = kept.softmax(dim=-1)
    before = probs.cumsum(dim=-1) - probs  # probability mass of the more likely tokens
    remove = remove | ((before >= p) & (p < 1.0))
    remove[..., 0] = False
    return logits.masked_fill(torch.zeros_like(remove).scatter(-1, order, remove), float("-inf"))


class RowSampler(LogitsProcessor):
    """The LogitsProcessor that does guidance and sampling row by row (see the module docstring).

    `seeds[r]` seeds row r's generator; `total_steps` is what progress reports as the total. `tokens`
    keeps the tokens drawn at each step, (rows, K) each; `codes()` turns them into audio codes."""

    def __init__(self, settings: RowSettings, *, seeds: Sequence[int], copies: int, device: torch.device,
                 total_steps: int, progress: Progress | None = None, cancel: Any = None):
        self.settings = settings
        self.copies = copies
        self.total_steps = total_steps
        self.progress = progress
        self.cancel = cancel
        self.step = 0
        self.tokens: list[torch.Tensor] = []
        self.generators = []
        for seed in seeds:
            gen = torch.Generator(device=device)
            gen.manual_seed(int(seed))
            self.generators.append(gen)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        raise_if_cancelled(self.cancel)
        rows = self.settings.rows
        logits = filter_logits(guided_logits(scores.float(), self.settings, self.copies), self.settings)
        shape = logits.shape[1:]
        noise = torch.stack([
            torch.rand(shape, generator=gen, device=logits.device, dtype=torch.float32) for gen in self.generators
        ])
        gumbel = -torch.log(-torch.log(noise.clamp(min=1e-20, max=1.0 - 1e-7)))
        tokens = (logits + gumbel).argmax(dim=-1, keepdim=True)  # (rows, K, 1)
        one_hot = torch.full_like(logits, float("-inf")).scatter_(-1, tokens, 0.0)
        self.tokens.append(tokens[..., 0])
        self.step += 1
        report(self.progress, min(self.step, self.total_steps), self.total_steps)
        out = one_hot.unsqueeze(0).expand(self.copies, *one_hot.shape).reshape(self.copies * rows * shape[0], -1)
        return out.to(scores.dtype)

    def codes(self, frames: int, delays: Sequence[int]) -> torch.Tensor:
        """The new audio codes (rows, K, frames): MusicGen's delay pattern shifts codebook k by delays[k]
        steps (k on mono models, k // 2 on stereo ones), so frame f of codebook k was drawn at step f + delay.
        Draws at other positions were replaced by the pattern's padding or the prompt and are not used."""
        drawn = torch.stack(self.tokens)  # (steps, rows, K)
        if drawn.shape[0] < frames + max(delays):
            raise ValueError(f"{drawn.shape[0]} decoding steps cannot hold {frames} frames")
        delay = torch.tensor(list(delays), device=drawn.device)
        step = torch.arange(frames, device=drawn.device)[:, None] + delay[None, :]  # (frames, K)
        picked = drawn[step, :, torch.arange(len(delays), device=drawn.device)]  # (frames, K, rows)
        return picked.permute(2, 1, 0).contiguous()
