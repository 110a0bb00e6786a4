"""Weight-normalised convolutions and the Snake activation, stored under the original key names.

The official checkpoints keep the old-style weight norm: `weight_g` (magnitude) and `weight_v`
(direction), w = g * v / ||v|| with the norm over every dim but 0. We keep exactly those two
parameters (so checkpoints load without renaming) and build the weight on every call, which costs
next to nothing next to the convolution itself.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["WNConv1d", "WNConvTranspose1d", "Snake1d", "weight_norm_weight"]


def weight_norm_weight(g: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """g * v / ||v||, the norm taken over all dims except 0 (torch's legacy `weight_norm(dim=0)`)."""
    norm = v.norm(2, dim=tuple(range(1, v.dim())), keepdim=True)
    return v * (g / norm)


class _WNBase(nn.Module):
    def __init__(self, weight_shape: tuple[int, ...], out_channels: int, bias: bool):
        super().__init__()
        v = torch.empty(weight_shape)
        nn.init.kaiming_uniform_(v, a=math.sqrt(5))
        self.weight_g = nn.Parameter(v.norm(2, dim=tuple(range(1, v.dim())), keepdim=True).clone())
        self.weight_v = nn.Parameter(v)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None

    @property
    def weight(self) -> torch.Tensor:
        return weight_norm_weight(self.weight_g, self.weight_v)


class WNConv1d(_WNBase):
    """Conv1d with legacy weight norm; weight shape (out, in, kernel)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 1,
                 padding: int = 0, dilation: int = 1, bias: bool = True):
        super().__init__((out_channels, in_channels, kernel_size), out_channels, bias)
        self.stride, self.padding, self.dilation = stride, padding, dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)


class WNConvTranspose1d(_WNBase):
    """ConvTranspose1d with legacy weight norm; weight shape (in, out, kernel), so the norm's dim 0
    is the INPUT channel, as in the original."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 1,
                 padding: int = 0, bias: bool = True):
        super().__init__((in_channels, out_channels, kernel_size), out_channels, bias)
        self.stride, self.padding = stride, padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv_transpose1d(x, self.weight, self.bias, self.stride, self.padding)


class Snake1d(nn.Module):
    """x + sin(alpha x)^2 / (alpha + 1e-9), with one learned alpha per channel."""

    def __init__(self, channels: int):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + (self.alpha + 1e-9).reciprocal() * torch.sin(self.alpha * x).pow(2)
