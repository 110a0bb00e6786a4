"""AudioSR (versatile audio super-resolution) ported to today's stack; loads the official checkpoints.

Parts: pre-processing and post-processing (ours, numerically the original's), the two VAEs (diffusers
AutoencoderKL), the vocoder (transformers SpeechT5HifiGan), the DDIM v-prediction sampler (diffusers
DDIMScheduler), and the UNet (ours: the original's double self-attention blocks have no diffusers UNet).
"""

from .config import AudioSRConfig, official_config, tiny_config
from .loading import REPOS, find_checkpoint
from .pipeline import SamplerSettings, super_resolution_parity
from .upscaler import AudioSRSettings, AudioSRUpscaler

__all__ = [
    "AudioSRUpscaler",
    "AudioSRSettings",
    "AudioSRConfig",
    "SamplerSettings",
    "official_config",
    "tiny_config",
    "find_checkpoint",
    "super_resolution_parity",
    "REPOS",
]
