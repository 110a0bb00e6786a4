"""The LAC neural audio codec VampNet tokenises audio with (encoder, residual VQ, decoder).

Module and parameter names follow the official `codec.pth` state dict, so it loads as is. Sizes
come from the checkpoint's own metadata (`CodecConfig.from_kwargs`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .layers.conv import Snake1d, WNConv1d, WNConvTranspose1d

__all__ = ["CodecConfig", "LAC"]


@dataclass(frozen=True)
class CodecConfig:
    """Constructor arguments of the codec (official values are read from `codec.pth`)."""

    sample_rate: int = 44100
    encoder_dim: int = 64
    encoder_rates: tuple[int, ...] = (2, 6, 8, 8)
    decoder_dim: int = 1536
    decoder_rates: tuple[int, ...] = (6, 4, 4, 2, 2, 2)
    n_codebooks: int = 14
    codebook_size: int = 1024
    codebook_dim: int = 8
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> CodecConfig:
        """Known arguments become fields; unknown ones (e.g. `quantizer_dropout`) are kept in `extra`,
        as the original loader drops arguments its class does not take."""
        names = {f.name for f in fields(cls)} - {"extra"}
        known = {k: (tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items() if k in names}
        return cls(**known, extra={k: v for k, v in kwargs.items() if k not in names})

    @property
    def hop_length(self) -> int:
        return math.prod(self.decoder_rates)

    @property
    def latent_dim(self) -> int:
        return self.encoder_dim * 2 ** len(self.encoder_rates)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("extra")
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


class _Residual(nn.Module):
    """x + body(x); `attr` is the attribute name the original used for the body."""

    def __init__(self, attr: str, *layers: nn.Module):
        super().__init__()
        self._attr = attr
        setattr(self, attr, nn.Sequential(*layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + getattr(self, self._attr)(x)


class _Stack(nn.Module):
    """A plain sequence stored under `.block` (the original's name for it)."""

    def __init__(self, *layers: nn.Module):
        super().__init__()
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x)


def _encoder_unit(dim: int, dilation: int) -> nn.Module:
    return _Residual("block", Snake1d(dim), WNConv1d(dim, dim, 7, dilation=dilation, padding=3 * dilation),
                     Snake1d(dim), WNConv1d(dim, dim, 1))


def _encoder_block(dim: int, stride: int) -> nn.Module:
    half = dim // 2
    return _Stack(_encoder_unit(half, 1), _encoder_unit(half, 3), _encoder_unit(half, 9), Snake1d(half),
                  WNConv1d(half, dim, 2 * stride, stride=stride, padding=stride // 2))


class _Encoder(nn.Module):
    def __init__(self, dim: int, rates: tuple[int, ...]):
        super().__init__()
        layers: list[nn.Module] = [WNConv1d(1, dim, 7, padding=3)]
        for stride in rates:
            dim *= 2
            layers.append(_encoder_block(dim, stride))
        layers += [Snake1d(dim), WNConv1d(dim, dim, 3, padding=1)]
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x)


def _mrf_layer(channels: int, kernel: int, dilation: int) -> nn.Module:
    return _Residual("layer", Snake1d(channels),
                     WNConv1d(channels, channels, kernel, dilation=dilation, padding=(kernel - 1) * dilation // 2),
                     Snake1d(channels), WNConv1d(channels, channels, kernel, padding=(kernel - 1) // 2))


class _MultiReceptiveField(nn.Module):
    """Mean of three residual stacks (kernels 3/7/11, dilations 1/3/5), HiFi-GAN style."""

    def __init__(self, channels: int, kernels=(3, 7, 11), dilations=(1, 3, 5)):
        super().__init__()
        self.mrf_blocks = nn.ModuleList(
            _Stack(*[_mrf_layer(channels, k, d) for d in dilations]) for k in kernels
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        total = 0
        for branch in self.mrf_blocks:
            total = total + branch(x)
        return total / len(self.mrf_blocks)


class _Decoder(nn.Module):
    def __init__(self, latent_dim: int, channels: int, rates: tuple[int, ...]):
        super().__init__()
        layers: list[nn.Module] = [WNConv1d(latent_dim, channels, 7, padding=3)]
        out_dim = channels
        for i, stride in enumerate(rates):
            in_dim, out_dim = channels // 2**i, channels // 2 ** (i + 1)
            layers.append(_Stack(Snake1d(in_dim),
                                 WNConvTranspose1d(in_dim, out_dim, 2 * stride, stride=stride, padding=stride // 2),
                                 _MultiReceptiveField(out_dim)))
        layers += [Snake1d(out_dim), WNConv1d(out_dim, 1, 7, padding=3), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model(z)


class _VectorQuantizer(nn.Module):
    def __init__(self, input_dim: int, codebook_size: int, codebook_dim: int):
        super().__init__()
        self.in_proj = WNConv1d(input_dim, codebook_dim, 1)
        self.out_proj = WNConv1d(codebook_dim, input_dim, 1)
        self.codebook = nn.Embedding(codebook_size, codebook_dim)

    def nearest(self, latents: torch.Tensor) -> torch.Tensor:
        """Code indices (B, T) of the codebook rows closest in cosine similarity to latents (B, D, T)."""
        enc = F.normalize(latents.transpose(1, 2).reshape(-1, latents.shape[1]))
        book = F.normalize(self.codebook.weight)
        # the original's expanded squared distance; kept so ties resolve the same way
        dist = enc.pow(2).sum(1, keepdim=True) - 2 * enc @ book.t() + book.pow(2).sum(1, keepdim=True).t()
        return (-dist).max(1)[1].reshape(latents.shape[0], -1)

    def rows(self, codes: torch.Tensor) -> torch.Tensor:
        """Raw codebook rows (B, D, T) for codes (B, T)."""
        return F.embedding(codes, self.codebook.weight).transpose(1, 2)


class _ResidualVQ(nn.Module):
    def __init__(self, input_dim: int, n_codebooks: int, codebook_size: int, codebook_dim: int):
        super().__init__()
        self.quantizers = nn.ModuleList(
            _VectorQuantizer(input_dim, codebook_size, codebook_dim) for _ in range(n_codebooks)
        )


class LAC(nn.Module):
    """Encoder + residual VQ + decoder. `encode` gives codes (B, n_codebooks, T); `decode` audio."""

    def __init__(self, config: CodecConfig):
        super().__init__()
        self.config = config
        self.encoder = _Encoder(config.encoder_dim, config.encoder_rates)
        self.quantizer = _ResidualVQ(config.latent_dim, config.n_codebooks, config.codebook_size,
                                     config.codebook_dim)
        self.decoder = _Decoder(config.latent_dim, config.decoder_dim, config.decoder_rates)

    @property
    def hop_length(self) -> int:
        return self.config.hop_length

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    def encode(self, audio: torch.Tensor) -> dict[str, torch.Tensor]:
        """audio (B, 1, N), N a multiple of hop -> dict(encoder_out, latents, z_q, codes)."""
        z = self.encoder(audio)
        residual, z_q = z, torch.zeros_like(z)
        codes, latents = [], []
        for q in self.quantizer.quantizers:
            z_e = q.in_proj(residual)
            idx = q.nearest(z_e)
            rows = q.rows(idx)
            z_q_i = q.out_proj(z_e + (rows - z_e))  # the original's straight-through form, same numbers
            z_q = z_q + z_q_i
            residual = residual - z_q_i
            codes.append(idx)
            latents.append(z_e)
        return {"encoder_out": z, "latents": torch.cat(latents, 1), "z_q": z_q, "codes": torch.stack(codes, 1)}

    def latents_from_codes(self, codes: torch.Tensor) -> torch.Tensor:
        """Concatenated raw codebook rows (B, n*codebook_dim, T): what VampNet embeds and decodes from."""
        return torch.cat([self.quantizer.quantizers[i].rows(codes[:, i]) for i in range(codes.shape[1])], 1)

    def quantize_latents(self, latents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Re-quantise concatenated codebook-space latents: (z_q, codes)."""
        dim = self.config.codebook_dim
        z_q, codes = 0, []
        for i in range(latents.shape[1] // dim):
            q = self.quantizer.quantizers[i]
            idx = q.nearest(latents[:, i * dim:(i + 1) * dim])
            z_q = z_q + q.out_proj(q.rows(idx))
            codes.append(idx)
        return z_q, torch.stack(codes, 1)

    def decode_codes(self, codes: torch.Tensor) -> torch.Tensor:
        """codes (B, n, T) -> audio (B, 1, T*hop), by VampNet's path (rows -> re-quantise -> decoder)."""
        z_q, _ = self.quantize_latents(self.latents_from_codes(codes))
        return self.decoder(z_q)
