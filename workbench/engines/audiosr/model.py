"""The AudioSR network: two VAEs, the UNet, the vocoder and the latent scale, with the stage functions
the sampler composes (condition encoding, guided v-prediction, decoding, vocoding)."""

from __future__ import annotations

import math

import torch
from torch import nn

from ...errors import EngineError
from .config import AudioSRConfig
from .loading import LoadReport, split_and_convert
from .unet import build_unet
from .vae import build_vae, decode, encode_posterior, sample_posterior
from .vocoder import build_vocoder, mel_to_waveform

__all__ = ["AudioSRModel", "cosine_alphas_cumprod"]

# SpeechT5HifiGan's input normalisation buffers: unused (normalize_before=False), absent upstream.
_VOCODER_UNUSED = {"mean", "scale"}


def cosine_alphas_cumprod(timesteps: int = 1000, s: float = 0.008) -> torch.Tensor:
    """The original's cosine schedule (float64 maths, betas clipped at 0.999), as float32."""
    steps = torch.arange(timesteps + 1, dtype=torch.float64) / timesteps + s
    alphas = torch.cos(steps / (1 + s) * math.pi / 2) ** 2
    alphas = alphas / alphas[0]
    betas = (1 - alphas[1:] / alphas[:-1]).clamp(0, 0.999)
    return torch.cumprod(1 - betas, dim=0).float()


class AudioSRModel(nn.Module):
    def __init__(self, config: AudioSRConfig):
        super().__init__()
        self.config = config
        self.vae = build_vae(config)
        self.cond_vae = build_vae(config)
        self.unet = build_unet(config)
        self.vocoder = build_vocoder(config)
        self.register_buffer("scale_factor", torch.tensor(float(config.scale_factor)))
        self.register_buffer("alphas_cumprod", cosine_alphas_cumprod(config.timesteps))
        self.eval().requires_grad_(False)

    # ------------------------------------------------------------------ loading
    def load_original(self, state: dict[str, torch.Tensor], source: str = "") -> LoadReport:
        """Load a state dict with the original's key names; every tensor inference uses must be there."""
        groups, report = split_and_convert(state, len(self.config.vae["ch_mult"]))
        report.source = source
        problems = []
        for name in ("vae", "cond_vae", "unet", "vocoder"):
            module: nn.Module = getattr(self, name)
            result = module.load_state_dict(groups[name], strict=False)
            missing = [k for k in result.missing_keys if not (name == "vocoder" and k in _VOCODER_UNUSED)]
            if missing:
                problems.append(f"{name}: {len(missing)} missing (e.g. {missing[:3]})")
            if result.unexpected_keys:
                problems.append(f"{name}: {len(result.unexpected_keys)} unexpected "
                                f"(e.g. {result.unexpected_keys[:3]})")
        buffers = groups["buffers"]
        if "scale_factor" not in buffers:
            problems.append("scale_factor missing")
        else:
            self.scale_factor.copy_(buffers["scale_factor"].float())
        if problems:
            raise EngineError(f"AudioSR checkpoint {source or ''} does not fit the model: " + "; ".join(problems))
        if "alphas_cumprod" in buffers:
            if not torch.allclose(buffers["alphas_cumprod"].float(), self.alphas_cumprod, atol=1e-6):
                raise EngineError(f"AudioSR checkpoint {source}: its diffusion schedule is not the cosine one")
            self.alphas_cumprod.copy_(buffers["alphas_cumprod"].float())
        return report

    @property
    def device(self) -> torch.device:
        return self.scale_factor.device

    @property
    def dtype(self) -> torch.dtype:
        return self.unet.conv_out.weight.dtype

    # ------------------------------------------------------------------ stages
    def posterior(self, mel: torch.Tensor, *, condition: bool) -> tuple[torch.Tensor, torch.Tensor]:
        return encode_posterior(self.cond_vae if condition else self.vae, mel.to(self.device))

    def condition_latent(self, lowpass_mel: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """A posterior SAMPLE of the condition VAE (unscaled), as the original uses."""
        mean, logvar = self.posterior(lowpass_mel, condition=True)
        return sample_posterior(mean, logvar, noise.to(self.device))

    def unconditional_latent(self, like: torch.Tensor) -> torch.Tensor:
        return torch.full_like(like, self.config.uncond_value)

    def velocity(self, x_t: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """UNet v-prediction; the condition (unscaled latent) is scaled and concatenated on channels."""
        x_in = torch.cat([x_t, cond * self.scale_factor], dim=1)
        return self.unet(x_in, t.to(self.device)).to(x_t.dtype)

    def guided_velocity(self, x_t: torch.Tensor, t: torch.Tensor, cond: torch.Tensor, scale: float,
                        *, batched: bool = True) -> torch.Tensor:
        """Classifier-free guidance: v_u + s (v_c - v_u). `batched` runs both in one UNet call."""
        uncond = self.unconditional_latent(cond)
        if scale == 1.0:
            return self.velocity(x_t, t, cond)
        if batched:
            v = self.velocity(torch.cat([x_t, x_t]), torch.cat([t, t]), torch.cat([cond, uncond]))
            v_cond, v_uncond = v.chunk(2)
        else:
            v_cond, v_uncond = self.velocity(x_t, t, cond), self.velocity(x_t, t, uncond)
        return v_uncond + scale * (v_cond - v_uncond)

    def decode(self, z_scaled: torch.Tensor) -> torch.Tensor:
        return decode(self.vae, z_scaled / self.scale_factor).float()

    def vocode(self, mel: torch.Tensor) -> torch.Tensor:
        return mel_to_waveform(self.vocoder, mel).float()
