"""The two AudioSR VAEs (target mel and low-pass condition): diffusers' AutoencoderKL.

The original's autoencoder is the CompVis/LDM layout that diffusers' AutoencoderKL reproduces (same
blocks, GroupNorm eps 1e-6, single-head mid attention, logvar clamp [-30, 20]); the parity tests
confirm it to ~1e-6. Mel spectrograms enter as [B, 1, frames, 256] (time is the image height).
"""

from __future__ import annotations

import torch
from diffusers import AutoencoderKL

from .config import AudioSRConfig

__all__ = ["build_vae", "encode_posterior", "sample_posterior", "decode"]


def build_vae(config: AudioSRConfig) -> AutoencoderKL:
    vae = config.vae
    channels = [int(vae["ch"]) * int(m) for m in vae["ch_mult"]]
    levels = len(channels)
    return AutoencoderKL(
        in_channels=1,
        out_channels=1,
        latent_channels=int(vae["z_channels"]),
        block_out_channels=channels,
        layers_per_block=int(vae["num_res_blocks"]),
        down_block_types=["DownEncoderBlock2D"] * levels,
        up_block_types=["UpDecoderBlock2D"] * levels,
        norm_num_groups=32,
        sample_size=256,
    ).eval()


def encode_posterior(vae: AutoencoderKL, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """[B, frames, 256] log-mel -> (mean, logvar) each [B, z, frames/8, 32]."""
    moments = vae.quant_conv(vae.encoder(mel[:, None].to(vae.dtype)))
    mean, logvar = torch.chunk(moments, 2, dim=1)
    return mean, torch.clamp(logvar, -30.0, 20.0)


def sample_posterior(mean: torch.Tensor, logvar: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    return mean + torch.exp(0.5 * logvar) * noise.to(mean)


def decode(vae: AutoencoderKL, z: torch.Tensor) -> torch.Tensor:
    """Unscaled latent [B, z, T/8, 32] -> log-mel [B, 1, T, 256]."""
    return vae.decoder(vae.post_quant_conv(z.to(vae.dtype)))
