"""Loading VampNet's official checkpoints (`coarse.pth`, `c2f.pth`, `codec.pth` of `hugggof/vampnet`).

Each file is a plain `torch.save` dict: {"state_dict": name -> tensor, "metadata": {"kwargs": ...}}.
They are read with `torch.load(weights_only=True)`, which refuses to run pickled code; model sizes
come from each file's own metadata. Files are found in a local folder or the Hugging Face cache
(`hf_hub_download`, honouring HF_HUB_OFFLINE); when they are absent a `WeightsNotFound` says which
model, where we looked and how to get it, without waiting on the network.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from ...errors import EngineError, WeightsNotFound

__all__ = ["DEFAULT_REPO", "CHECKPOINTS", "load_checkpoint", "find_checkpoints", "load_state"]

DEFAULT_REPO = "hugggof/vampnet"
CHECKPOINTS = ("codec", "coarse", "c2f")
_SUBFOLDERS = ("", "models", "models/vampnet", "vampnet")


def load_checkpoint(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(constructor kwargs, state dict) of one official-format checkpoint, loaded without running pickled code."""
    path = Path(path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError as exc:
        raise WeightsNotFound(f"checkpoint {path} does not exist") from exc
    except Exception as exc:  # an unpickling refusal or a damaged file
        raise EngineError(f"cannot read checkpoint {path} safely (weights_only=True): {exc}") from exc
    if not isinstance(data, dict) or "state_dict" not in data:
        raise EngineError(f"{path} is not a VampNet checkpoint: expected a dict with 'state_dict' and 'metadata'")
    kwargs = (data.get("metadata") or {}).get("kwargs")
    if not isinstance(kwargs, dict):
        raise EngineError(f"{path} has no metadata['kwargs'] to read the model sizes from")
    return dict(kwargs), data["state_dict"]


def _offline() -> bool:
    value = os.environ.get("HF_HUB_OFFLINE", "")
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    try:
        from huggingface_hub import constants

        return bool(constants.HF_HUB_OFFLINE)
    except Exception:
        return False


def _from_folder(folder: Path) -> dict[str, Path] | None:
    for sub in _SUBFOLDERS:
        found = {name: folder / sub / f"{name}.pth" for name in CHECKPOINTS}
        if all(p.is_file() for p in found.values()):
            return found
    return None


def find_checkpoints(path_or_repo: str | os.PathLike | None = None) -> dict[str, Path]:
    """Paths of codec/coarse/c2f `.pth` files from a local folder or the Hugging Face cache/hub."""
    source = str(path_or_repo) if path_or_repo is not None else DEFAULT_REPO
    folder = Path(source).expanduser()
    if folder.is_dir():
        found = _from_folder(folder)
        if found is None:
            raise WeightsNotFound(
                f"VampNet checkpoints not found in {folder} (looked for codec.pth, coarse.pth, c2f.pth there and in "
                f"{', '.join(s for s in _SUBFOLDERS if s)}/). Download them from https://huggingface.co/{DEFAULT_REPO}")
        return found
    if source.startswith(("/", ".", "~")) or source.count("/") != 1:  # a path, not an owner/name repo id
        raise WeightsNotFound(f"VampNet checkpoint folder {folder} does not exist")
    from huggingface_hub import hf_hub_download

    offline = _offline()
    found: dict[str, Path] = {}
    for name in CHECKPOINTS:
        try:
            found[name] = Path(hf_hub_download(source, f"{name}.pth", local_files_only=True))
            continue
        except Exception:
            pass
        if offline:
            raise WeightsNotFound(_missing_message(source, name, "HF_HUB_OFFLINE is set"))
        try:
            found[name] = Path(hf_hub_download(source, f"{name}.pth", etag_timeout=5))
        except Exception as exc:
            raise WeightsNotFound(_missing_message(source, name, f"download failed: {type(exc).__name__}")) from exc
    return found


def _missing_message(repo: str, name: str, why: str) -> str:
    from huggingface_hub import constants

    return (f"VampNet {name} weights ({repo}/{name}.pth) are not in the Hugging Face cache "
            f"({constants.HF_HUB_CACHE}) and cannot be fetched ({why}). On a machine with internet run "
            f"`huggingface-cli download {repo} codec.pth coarse.pth c2f.pth`, or pass a local folder holding them.")


def load_state(model: torch.nn.Module, state: dict[str, torch.Tensor], what: str) -> list[str]:
    """Load like the original (strict=False) but refuse silently random weights: only LoRA keys may be
    missing. Returns the unexpected keys (ignored)."""
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if ".lora_" not in k]
    if missing:
        raise EngineError(f"{what} checkpoint lacks {len(missing)} weights, e.g. {missing[:3]}")
    return list(result.unexpected_keys)
