"""Finding, reading and converting AudioSR checkpoints (once, at load time).

The official files are Lightning checkpoints (`pytorch_model.bin` in haoheliu/audiosr_basic and
haoheliu/audiosr_speech) holding the whole LatentDiffusion state dict under "state_dict". We read them
with `torch.load(weights_only=True)` (no pickled code runs), keep only what inference uses and rename
the keys for our modules:

- `first_stage_model.*` / `cond_stage_models.0.vae.*` -> diffusers AutoencoderKL (diffusers' own LDM
  VAE conversion), `first_stage_model.vocoder.*` -> SpeechT5HifiGan (`ups` -> `upsampler`),
- `model.diffusion_model.*` -> our UNet (ResBlock internals renamed to diffusers' ResnetBlock2D names),
- `scale_factor` and `alphas_cumprod` buffers.

Skipped on purpose (reported in `LoadReport.skipped`): `clap.*` (the CLAP text/audio encoder, unused by
super-resolution), `model_ema.*` (the EMA shadow copy, never entered at inference),
`cond_stage_models.0.vae.vocoder.*` (a second, unused vocoder), and the other schedule buffers (we
recompute them; `alphas_cumprod` is kept and compared).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch
from diffusers.loaders.single_file_utils import convert_ldm_vae_checkpoint

from ...errors import EngineError, WeightsNotFound

__all__ = [
    "REPOS",
    "CHECKPOINT_FILE",
    "LoadReport",
    "SKIPPED_PREFIXES",
    "split_and_convert",
    "read_state_dict",
    "find_checkpoint",
]

REPOS = {"basic": "haoheliu/audiosr_basic", "speech": "haoheliu/audiosr_speech"}
CHECKPOINT_FILE = "pytorch_model.bin"
SKIPPED_PREFIXES = ("clap.", "model_ema.", "cond_stage_models.0.vae.vocoder.")
_VAE_PREFIXES = {"vae": "first_stage_model.", "cond_vae": "cond_stage_models.0.vae."}
_UNET_PREFIX = "model.diffusion_model."
_VOCODER_PREFIX = "first_stage_model.vocoder."
_UNET_RENAMES = [
    (r"\.in_layers\.0\.", ".norm1."),
    (r"\.in_layers\.2\.", ".conv1."),
    (r"\.emb_layers\.1\.", ".time_emb_proj."),
    (r"\.out_layers\.0\.", ".norm2."),
    (r"\.out_layers\.3\.", ".conv2."),
    (r"\.skip_connection\.", ".conv_shortcut."),
    (r"\.op\.", ".conv."),
    (r"^time_embed\.0\.", "time_embedding.linear_1."),
    (r"^time_embed\.2\.", "time_embedding.linear_2."),
    (r"^out\.0\.", "conv_norm_out."),
    (r"^out\.2\.", "conv_out."),
]


@dataclass
class LoadReport:
    source: str
    skipped: dict[str, int] = field(default_factory=dict)  # prefix -> number of tensors not loaded
    unused: list[str] = field(default_factory=list)  # other keys present but not needed


def _convert_unet_key(key: str) -> str:
    for pattern, replacement in _UNET_RENAMES:
        key = re.sub(pattern, replacement, key)
    return key


def split_and_convert(state: dict[str, torch.Tensor], vae_levels: int) -> tuple[dict[str, dict], LoadReport]:
    """Original LatentDiffusion keys -> {"vae", "cond_vae", "unet", "vocoder", "buffers"} state dicts."""
    report = LoadReport(source="")
    groups: dict[str, dict[str, torch.Tensor]] = {name: {} for name in ("vae", "cond_vae", "unet", "vocoder")}
    raw_vae: dict[str, dict[str, torch.Tensor]] = {"vae": {}, "cond_vae": {}}
    buffers: dict[str, torch.Tensor] = {}
    for key, tensor in state.items():
        skipped = next((p for p in SKIPPED_PREFIXES if key.startswith(p)), None)
        if skipped:
            report.skipped[skipped] = report.skipped.get(skipped, 0) + 1
        elif key.startswith(_VOCODER_PREFIX):
            name = key[len(_VOCODER_PREFIX):]
            groups["vocoder"][re.sub(r"^ups\.", "upsampler.", name)] = tensor
        elif key.startswith(_UNET_PREFIX):
            groups["unet"][_convert_unet_key(key[len(_UNET_PREFIX):])] = tensor
        elif key in ("scale_factor", "alphas_cumprod"):
            buffers[key] = tensor
        else:
            for group, prefix in _VAE_PREFIXES.items():
                if key.startswith(prefix):
                    raw_vae[group][key[len(prefix):]] = tensor
                    break
            else:
                report.unused.append(key)
    layout = {"down_block_types": ["DownEncoderBlock2D"] * vae_levels,
              "up_block_types": ["UpDecoderBlock2D"] * vae_levels}
    for group, raw in raw_vae.items():
        if raw:
            groups[group] = convert_ldm_vae_checkpoint(raw, layout)
    groups["buffers"] = buffers
    return groups, report


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Tensors from a .safetensors file or a torch checkpoint, without running pickled code."""
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    try:
        data = torch.load(str(path), map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:  # weights_only refuses anything but tensors and plain containers
        raise EngineError(
            f"could not read {path} as plain tensors ({type(exc).__name__}: {exc}); the workbench does "
            "not run pickled code from checkpoints. Convert it to safetensors or use the official file."
        ) from exc
    if isinstance(data, dict) and isinstance(data.get("state_dict"), dict):
        data = data["state_dict"]
    if not isinstance(data, dict):
        raise EngineError(f"{path} does not hold a state dict (found {type(data).__name__})")
    return data


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def find_checkpoint(model: str, path: str | os.PathLike | None = None) -> Path:
    """The checkpoint file for `model` ("basic"/"speech"): a local file or folder, else the HF cache.

    Looks in the local cache first; downloads only when HF_HUB_OFFLINE is not set. Raises
    WeightsNotFound saying which model, where we looked and how to get it; never waits on a network
    that is not there (the hub client's own timeouts apply, and offline mode makes no request).
    """
    if model not in REPOS:
        raise WeightsNotFound(f"unknown AudioSR model {model!r}; choose one of {', '.join(REPOS)}")
    repo = REPOS[model]
    how = (f"download it where the hub is reachable with `hf download {repo} {CHECKPOINT_FILE}` "
           f"(then copy the Hugging Face cache), or pass path= a folder holding {CHECKPOINT_FILE}")
    if path is not None:
        local = Path(path).expanduser()
        candidates = [local] if local.is_file() else [local / CHECKPOINT_FILE, local / "model.safetensors"]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        raise WeightsNotFound(f"AudioSR '{model}' weights not found at {local} (looked for "
                              f"{', '.join(str(c) for c in candidates)}); {how}")
    from huggingface_hub import constants, hf_hub_download

    try:
        return Path(hf_hub_download(repo, CHECKPOINT_FILE, local_files_only=True))
    except Exception as exc:  # not cached (the hub raises several types for this)
        cached_error = exc
    if _offline():
        raise WeightsNotFound(
            f"AudioSR '{model}' weights ({repo}/{CHECKPOINT_FILE}) are not in the Hugging Face cache "
            f"{constants.HF_HUB_CACHE} and HF_HUB_OFFLINE is set; {how}"
        ) from cached_error
    try:
        return Path(hf_hub_download(repo, CHECKPOINT_FILE))
    except Exception as exc:
        raise WeightsNotFound(
            f"AudioSR '{model}' weights ({repo}/{CHECKPOINT_FILE}) are not in the Hugging Face cache "
            f"{constants.HF_HUB_CACHE} and could not be downloaded ({type(exc).__name__}); {how}"
        ) from exc
