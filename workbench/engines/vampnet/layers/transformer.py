"""VampNet's bidirectional transformer over codec tokens, under the original parameter names.

Facts it follows (fixtures' MANIFEST): each token is embedded by the CODEC's codebook row of its
codebook (mask token = a learned per-codebook vector appended as row `vocab_size`), rows are
concatenated codebook-major and projected by a 1x1 conv; pre-norm RMSNorm blocks with T5-style
relative position bias (table in layer 0 only, shared by all layers), GEGLU-like feed-forward
(a * gelu_tanh(b)), final RMSNorm, weight-normed 1x1 classifier whose channel v * n_predict + c is
token v of predicted codebook c; logits come out as (B, vocab, T * n_predict), index t * n_predict + c.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .conv import WNConv1d

__all__ = ["VampNetConfig", "VampNetTransformer", "relative_position_buckets"]

LORA_RANK = 8
LORA_ALPHA = 1


@dataclass(frozen=True)
class VampNetConfig:
    """Constructor arguments of one VampNet model (official values are read from the checkpoint)."""

    n_heads: int = 20
    n_layers: int = 20
    r_cond_dim: int = 0
    n_codebooks: int = 4
    n_conditioning_codebooks: int = 0
    latent_dim: int = 8
    embedding_dim: int = 1280
    vocab_size: int = 1024
    flash_attn: bool = False
    noise_mode: str = "mask"
    dropout: float = 0.1
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> VampNetConfig:
        names = {f.name for f in fields(cls)} - {"extra"}
        return cls(**{k: v for k, v in kwargs.items() if k in names},
                   extra={k: v for k, v in kwargs.items() if k not in names})

    @property
    def n_predict_codebooks(self) -> int:
        return self.n_codebooks - self.n_conditioning_codebooks

    @property
    def mask_token(self) -> int:
        return self.vocab_size

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("extra")
        return out


class LoRALinear(nn.Linear):
    """Bias-free linear layer with loralib's LoRA parameters (B @ A * alpha / r added to the weight).
    The official models were trained without LoRA fine-tuning (lora_B == 0), but the keys exist."""

    def __init__(self, d_in: int, d_out: int):
        super().__init__(d_in, d_out, bias=False)
        self.lora_A = nn.Parameter(torch.zeros(LORA_RANK, d_in))
        self.lora_B = nn.Parameter(torch.zeros(d_out, LORA_RANK))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.linear(x, self.weight)
        if self.lora_B.any():
            out = out + F.linear(F.linear(x, self.lora_A), self.lora_B) * (LORA_ALPHA / LORA_RANK)
        return out


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def relative_position_buckets(length: int, num_buckets: int = 32, max_distance: int = 128,
                              device=None) -> torch.Tensor:
    """T5 bidirectional buckets of (key - query): half per direction, half of those exact, the rest
    log-spaced up to `max_distance`. Returns long (length, length)."""
    pos = torch.arange(length, dtype=torch.long, device=device)
    rel = pos[None, :] - pos[:, None]
    half = num_buckets // 2
    buckets = (rel > 0).long() * half
    rel = rel.abs()
    exact = half // 2
    large = exact + (torch.log(rel.float() / exact) / math.log(max_distance / exact) * (half - exact)).long()
    large = torch.clamp(large, max=half - 1)
    return buckets + torch.where(rel < exact, rel, large)


class SelfAttention(nn.Module):
    def __init__(self, d_model: int, n_heads: int, with_bias_table: bool):
        super().__init__()
        self.n_heads = n_heads
        self.w_qs = LoRALinear(d_model, d_model)
        self.w_ks = nn.Linear(d_model, d_model, bias=False)
        self.w_vs = LoRALinear(d_model, d_model)
        self.fc = LoRALinear(d_model, d_model)
        if with_bias_table:
            self.relative_attention_bias = nn.Embedding(32, n_heads)

    def position_bias(self, length: int) -> torch.Tensor:
        buckets = relative_position_buckets(length, device=self.relative_attention_bias.weight.device)
        return self.relative_attention_bias(buckets).permute(2, 0, 1)[None]  # (1, H, T, T)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        heads = [w(x).view(b, t, self.n_heads, d // self.n_heads).transpose(1, 2)
                 for w in (self.w_qs, self.w_ks, self.w_vs)]
        q, k, v = heads
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + bias.to(q.dtype)
        out = torch.softmax(scores, dim=-1) @ v
        return self.fc(out.transpose(1, 2).reshape(b, t, d))


class FeedForward(nn.Module):
    def __init__(self, d_model: int):
        super().__init__()
        self.w_1 = LoRALinear(d_model, 4 * d_model)
        self.w_2 = LoRALinear(2 * d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.w_1(x).chunk(2, dim=-1)
        return self.w_2(a * F.gelu(b, approximate="tanh"))


class TransformerLayer(nn.Module):
    def __init__(self, d_model: int, n_heads: int, first: bool):
        super().__init__()
        self.norm_1 = RMSNorm(d_model)
        self.self_attn = SelfAttention(d_model, n_heads, first)
        self.norm_3 = RMSNorm(d_model)
        self.feed_forward = FeedForward(d_model)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        x = x + self.self_attn(self.norm_1(x), bias)
        return x + self.feed_forward(self.norm_3(x))


class _Stack(nn.Module):
    def __init__(self, cfg: VampNetConfig):
        super().__init__()
        self.layers = nn.ModuleList(
            TransformerLayer(cfg.embedding_dim, cfg.n_heads, i == 0) for i in range(cfg.n_layers)
        )
        self.norm = RMSNorm(cfg.embedding_dim)


class _Embedding(nn.Module):
    def __init__(self, cfg: VampNetConfig):
        super().__init__()
        self.special = nn.ParameterDict({"MASK": nn.Parameter(torch.zeros(cfg.n_codebooks, cfg.latent_dim))})
        self.out_proj = nn.Conv1d(cfg.n_codebooks * cfg.latent_dim, cfg.embedding_dim, 1)


class _Classifier(nn.Module):
    def __init__(self, cfg: VampNetConfig):
        super().__init__()
        self.layers = nn.ModuleList([WNConv1d(cfg.embedding_dim, cfg.vocab_size * cfg.n_predict_codebooks, 1)])


class VampNetTransformer(nn.Module):
    """One VampNet model (coarse or coarse-to-fine). Call `attach_codebooks` before use."""

    def __init__(self, config: VampNetConfig):
        super().__init__()
        self.config = config
        self.embedding = _Embedding(config)
        self.transformer = _Stack(config)
        self.classifier = _Classifier(config)
        self.register_buffer("codebooks", torch.zeros(config.n_codebooks, config.vocab_size, config.latent_dim),
                             persistent=False)

    def attach_codebooks(self, codebooks: torch.Tensor) -> None:
        """The codec's raw codebook tables (>= n_codebooks, vocab, latent_dim) the tokens are embedded with."""
        cfg = self.config
        self.codebooks = codebooks[:cfg.n_codebooks].detach().to(self.codebooks.device, self.codebooks.dtype).clone()

    def latents(self, codes: torch.Tensor) -> torch.Tensor:
        """codes (B, n_codebooks, T) incl. mask tokens -> concatenated rows (B, n_codebooks*latent_dim, T)."""
        tables = torch.cat([self.codebooks, self.embedding.special["MASK"][:, None, :].to(self.codebooks.dtype)], 1)
        rows = [F.embedding(codes[:, i], tables[i]) for i in range(codes.shape[1])]  # (B, T, D) each
        return torch.cat(rows, dim=-1).transpose(1, 2)

    def forward(self, codes: torch.Tensor, trace: dict | None = None) -> torch.Tensor:
        """codes (B, n_codebooks, T) -> logits (B, vocab, T * n_predict)."""
        latents = self.latents(codes)
        x = self.embedding.out_proj(latents.to(self.embedding.out_proj.weight.dtype))
        if trace is not None:
            trace["latents"], trace["embedding_out"], trace["layer_outputs"] = latents, x, []
        x = x.transpose(1, 2)
        bias = self.transformer.layers[0].self_attn.position_bias(x.shape[1])
        for layer in self.transformer.layers:
            x = layer(x, bias)
            if trace is not None:
                trace["layer_outputs"].append(x)
        x = self.transformer.norm(x).transpose(1, 2)
        logits = self.classifier.layers[0](x)  # (B, vocab * P, T), channel = v * P + c
        b, _, t = logits.shape
        p = self.config.n_predict_codebooks
        return logits.view(b, -1, p, t).permute(0, 1, 3, 2).reshape(b, -1, t * p)
