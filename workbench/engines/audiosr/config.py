"""AudioSR model sizes: the official configuration (both 'basic' and 'speech') and the tiny one."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["AudioSRConfig", "official_config", "tiny_config"]

_TINY_JSON = Path(__file__).with_name("tiny_config.json")


@dataclass(frozen=True)
class AudioSRConfig:
    name: str
    vae: dict[str, Any]
    unet: dict[str, Any]
    vocoder: dict[str, Any]
    scale_factor: float = 1.0  # replaced by the checkpoint's buffer when weights are loaded
    mel_bins: int = 256
    timesteps: int = 1000
    uncond_value: float = -11.4981  # the original's constant "no condition" latent
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def latent_channels(self) -> int:
        return int(self.vae["z_channels"])

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "vae": self.vae, "unet": self.unet, "vocoder": self.vocoder,
                "scale_factor": self.scale_factor}


def official_config(model: str = "basic") -> AudioSRConfig:
    """audiosr 0.0.7's configuration; both checkpoints share it, only the weights differ."""
    return AudioSRConfig(
        name=f"audiosr-{model}",
        vae={"ch": 128, "ch_mult": [1, 2, 4, 8], "num_res_blocks": 2, "z_channels": 16},
        unet={"model_channels": 128, "channel_mult": [1, 2, 3, 5], "num_res_blocks": 2,
              "attention_resolutions": [8, 4, 2], "num_head_channels": 32, "transformer_depth": 1},
        vocoder={"upsample_initial_channel": 1536, "upsample_rates": [6, 5, 4, 2, 2],
                 "upsample_kernel_sizes": [12, 10, 8, 4, 4], "resblock_kernel_sizes": [3, 7, 11, 15],
                 "resblock_dilation_sizes": [[1, 3, 5]] * 4},
    )


def tiny_config() -> AudioSRConfig:
    data = json.loads(_TINY_JSON.read_text())
    return AudioSRConfig(name=data["name"], vae=data["vae"], unet=data["unet"], vocoder=data["vocoder"],
                         scale_factor=float(data["scale_factor"]), note=data["note"])
