"""AudioSR's denoising UNet (ours, assembled from diffusers layers).

Why not a diffusers UNet: wherever AudioSR attends it stacks TWO spatial transformers after the
residual block (the original's `extra_sa_layer` plus its context-less "cross-attention" layer, which
attends to itself), and the middle block is ResBlock, transformer, transformer, ResBlock. Neither
UNet2DModel nor UNet2DConditionModel expresses that, so the topology is ours; every layer inside is
a diffusers part (ResnetBlock2D, Transformer2DModel with double_self_attention, Downsample2D,
Upsample2D, Timesteps/TimestepEmbedding) whose numerics match the original's.

Module indices mirror the original's `input_blocks.{i}.{j}` / `middle_block.{j}` / `output_blocks.{i}.{j}`
so checkpoint conversion only renames layer internals (see loading.py). Input: the noisy latent and the
scaled condition latent concatenated on channels; output: v-prediction.
"""

from __future__ import annotations

import torch
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from diffusers.models.resnet import Downsample2D, ResnetBlock2D, Upsample2D
from diffusers.models.transformers.transformer_2d import Transformer2DModel
from torch import nn

from .config import AudioSRConfig

__all__ = ["AudioSRUNet", "build_unet"]


def _resnet(in_ch: int, out_ch: int, temb: int) -> ResnetBlock2D:
    # The original's ResBlock: GroupNorm(32, eps 1e-5), SiLU, additive time embedding, 1x1 skip.
    return ResnetBlock2D(in_channels=in_ch, out_channels=out_ch, temb_channels=temb, groups=32, eps=1e-5)


def _attention_pair(ch: int, head_channels: int, depth: int) -> list[nn.Module]:
    heads = ch // head_channels
    return [
        Transformer2DModel(num_attention_heads=heads, attention_head_dim=ch // heads, in_channels=ch,
                           num_layers=depth, norm_num_groups=32, double_self_attention=True,
                           activation_fn="geglu")
        for _ in range(2)
    ]


class AudioSRUNet(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, model_channels: int, channel_mult,
                 num_res_blocks: int, attention_resolutions, num_head_channels: int,
                 transformer_depth: int = 1):
        super().__init__()
        temb = model_channels * 4
        self.model_channels = model_channels
        self.time_proj = Timesteps(model_channels, flip_sin_to_cos=True, downscale_freq_shift=0)
        self.time_embedding = TimestepEmbedding(model_channels, temb)

        self.input_blocks = nn.ModuleList([nn.ModuleList([nn.Conv2d(in_channels, model_channels, 3, padding=1)])])
        skip_channels = [model_channels]
        ch, ds = model_channels, 1
        for level, mult in enumerate(channel_mult):
            for _ in range(num_res_blocks):
                layers: list[nn.Module] = [_resnet(ch, mult * model_channels, temb)]
                ch = mult * model_channels
                if ds in attention_resolutions:
                    layers += _attention_pair(ch, num_head_channels, transformer_depth)
                self.input_blocks.append(nn.ModuleList(layers))
                skip_channels.append(ch)
            if level != len(channel_mult) - 1:
                self.input_blocks.append(nn.ModuleList([Downsample2D(ch, use_conv=True, out_channels=ch,
                                                                     padding=1, name="op")]))
                skip_channels.append(ch)
                ds *= 2

        self.middle_block = nn.ModuleList(
            [_resnet(ch, ch, temb), *_attention_pair(ch, num_head_channels, transformer_depth),
             _resnet(ch, ch, temb)]
        )

        self.output_blocks = nn.ModuleList()
        for level, mult in list(enumerate(channel_mult))[::-1]:
            for i in range(num_res_blocks + 1):
                layers = [_resnet(ch + skip_channels.pop(), model_channels * mult, temb)]
                ch = model_channels * mult
                if ds in attention_resolutions:
                    layers += _attention_pair(ch, num_head_channels, transformer_depth)
                if level and i == num_res_blocks:
                    layers.append(Upsample2D(ch, use_conv=True, out_channels=ch))
                    ds //= 2
                self.output_blocks.append(nn.ModuleList(layers))

        self.conv_norm_out = nn.GroupNorm(32, ch, eps=1e-5)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(model_channels, out_channels, 3, padding=1)

    @staticmethod
    def _run(block: nn.ModuleList, h: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        for layer in block:
            if isinstance(layer, ResnetBlock2D):
                h = layer(h, emb)
            elif isinstance(layer, Transformer2DModel):
                h = layer(h, return_dict=False)[0]
            else:
                h = layer(h)
        return h

    def time_embed(self, timesteps: torch.Tensor) -> torch.Tensor:
        return self.time_embedding(self.time_proj(timesteps).to(self.conv_out.weight.dtype))

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        emb = self.time_embed(timesteps)
        h = x.to(self.conv_out.weight.dtype)
        skips = []
        for block in self.input_blocks:
            h = self._run(block, h, emb)
            skips.append(h)
        h = self._run(self.middle_block, h, emb)
        for block in self.output_blocks:
            h = self._run(block, torch.cat([h, skips.pop()], dim=1), emb)
        return self.conv_out(self.conv_act(self.conv_norm_out(h)))


def build_unet(config: AudioSRConfig) -> AudioSRUNet:
    u = config.unet
    latent = config.latent_channels
    return AudioSRUNet(
        in_channels=2 * latent,  # noisy latent + condition latent, concatenated
        out_channels=latent,
        model_channels=int(u["model_channels"]),
        channel_mult=list(u["channel_mult"]),
        num_res_blocks=int(u["num_res_blocks"]),
        attention_resolutions=list(u["attention_resolutions"]),
        num_head_channels=int(u["num_head_channels"]),
        transformer_depth=int(u.get("transformer_depth", 1)),
    ).eval()
