"""Engine names users pick, what they load, and what "auto" chooses.

Models load lazily, once per (name, device), and only when first used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import EngineError
from .base import Generator, Inpainter, Upscaler

__all__ = ["Choice", "generator", "inpainter", "upscaler", "choose_generator", "choose_upscaler",
           "generator_names", "inpainter_names", "upscaler_names"]


@dataclass(frozen=True)
class Choice:
    """An engine "auto" (or the user) picked, and why."""

    name: str
    reason: str


def _musicgen(name: str, device):
    from .musicgen import load_musicgen
    return load_musicgen(name, device=device)


def _sketch(name: str, device):
    from .sketch import SketchEngine
    return SketchEngine()


def _vampnet(name: str, device):
    from .vampnet.inpainter import VampNetInpainter
    return VampNetInpainter.tiny() if name == "vampnet-tiny" else VampNetInpainter.from_pretrained(device=device)


def _audiosr(name: str, device):
    from .audiosr import AudioSRUpscaler
    if name == "audiosr-tiny":
        return AudioSRUpscaler.tiny()
    return AudioSRUpscaler.from_pretrained(model=name.removeprefix("audiosr-") or "basic", device=device)


def _resample(name: str, device):
    from .resample import ResampleUpscaler
    return ResampleUpscaler()


def _musicgen_names() -> list[str]:
    from .musicgen_loading import CHECKPOINTS, TINY_MODELS
    return [*CHECKPOINTS, *TINY_MODELS]


_GENERATORS: dict[str, Callable] = {"sketch": _sketch}
_INPAINTERS: dict[str, Callable] = {"vampnet": _vampnet, "vampnet-tiny": _vampnet}
_UPSCALERS: dict[str, Callable] = {"resample": _resample, "audiosr": _audiosr, "audiosr-basic": _audiosr,
                                   "audiosr-speech": _audiosr, "audiosr-tiny": _audiosr}
_cache: dict[tuple[str, str, str | None], object] = {}
_lock = threading.Lock()


def generator_names() -> list[str]:
    return ["auto", *_GENERATORS, *_musicgen_names()]


def inpainter_names() -> list[str]:
    return [*generator_names(), *_INPAINTERS]


def upscaler_names() -> list[str]:
    return ["auto", *_UPSCALERS]


def _load(kind: str, table: dict[str, Callable], name: str, device) -> object:
    factory = table.get(name)
    if factory is None and kind == "generator" and name in _musicgen_names():
        factory = _musicgen
    if factory is None:
        names = {"generator": generator_names, "inpainter": inpainter_names, "upscaler": upscaler_names}[kind]()
        raise EngineError(f"unknown {kind} {name!r}; choose one of {', '.join(names)}")
    key = (kind, name, None if device is None else str(device))
    with _lock:
        if key not in _cache:
            _cache[key] = factory(name, device)
        return _cache[key]


def generator(name: str, device=None) -> Generator:
    return _load("generator", _GENERATORS, name, device)


def inpainter(name: str, device=None) -> Inpainter:
    """Inpainters proper (VampNet), or any generator (its own `inpaint`, or continuation in-painting)."""
    if name in _INPAINTERS:
        return _load("inpainter", _INPAINTERS, name, device)
    engine = generator(name, device)
    if hasattr(engine, "inpaint"):
        return engine
    from ..engineering.continuation import ContinuationInpainter
    return ContinuationInpainter(engine)


def upscaler(name: str, device=None) -> Upscaler:
    return _load("upscaler", _UPSCALERS, name, device)


def choose_generator(name: str, *, melody: bool = False) -> Choice:
    """Resolve "auto": MusicGen when its weights are here (the melody model when a melody is given),
    else the offline sketch engine. Other names are taken as they are."""
    if name != "auto":
        return Choice(name, "chosen by the user")
    from .musicgen_loading import CHECKPOINTS, weights_available
    wanted = ["musicgen-melody", "musicgen-stereo-melody"] if melody else [
        "musicgen-small", "musicgen-medium", "musicgen-large", "musicgen-melody"]
    for candidate in wanted:
        if weights_available(candidate):
            return Choice(candidate, f"{CHECKPOINTS[candidate][0]} weights are in the local cache")
    need = "facebook/musicgen-melody" if melody else "facebook/musicgen-small"
    return Choice("sketch", f"no MusicGen weights in the local Hugging Face cache (looked for {need}); "
                            "using the offline sketch engine, which is a stand-in, not MusicGen")


def choose_upscaler(name: str) -> Choice:
    if name != "auto":
        return Choice(name, "chosen by the user")
    from huggingface_hub import try_to_load_from_cache

    from .audiosr.loading import CHECKPOINT_FILE, REPOS
    if isinstance(try_to_load_from_cache(REPOS["basic"], CHECKPOINT_FILE), str):  # never downloads
        return Choice("audiosr", f"{REPOS['basic']} weights are in the local cache")
    return Choice("resample", "no AudioSR weights here: band-limited resampling (adds no new high frequencies)")
