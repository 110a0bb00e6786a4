"""`AudioSRUpscaler`: the workbench's AudioSR upscaler (implements engines.base.Upscaler).

User-facing behaviour (the original's quirks are kept only in `pipeline.super_resolution_parity`):
- any length: 5.12 s windows overlapping by 0.64 s, joined with equal-gain (sin^2/cos^2) cross-fades
  (the windows' outputs are correlated, so equal gain keeps the level flat);
- all channels are upscaled (the original keeps only the first);
- the input is normalised once for the whole track (not per window), the low-pass cut-off is measured
  once over the whole track so every window agrees, and the low-pass filter family is fixed
  ("butter" by default) instead of drawn at random from the seed;
- the output has exactly the input's duration, its loudness is matched to the input (the original
  scales to peak 0.5 and subtracts the mean), and it is scaled down only if it would clip.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import torch

from ...audio import Audio
from ...errors import ParameterError
from ..base import Progress, raise_if_cancelled, report
from .config import AudioSRConfig, official_config, tiny_config
from .loading import REPOS, LoadReport, find_checkpoint, read_state_dict
from .model import AudioSRModel
from .pipeline import NoiseStream, SamplerSettings, run_windows
from .preprocess import (
    FILTER_TYPES,
    MODEL_RATE,
    cutoff_from_magnitude,
    log_mel_and_magnitude,
    prepare_window,
    sinc_resample,
)

__all__ = ["AudioSRSettings", "AudioSRUpscaler", "resolve_device"]

_LATENT_SECONDS = 0.08  # one latent frame (8 mel frames of 10 ms); UNet levels need multiples of it


@dataclass(frozen=True)
class AudioSRSettings:
    steps: int = 50
    guidance_scale: float = 3.5
    seed: int = 42
    eta: float = 1.0  # the original's value; 0 gives a deterministic sampler
    window_seconds: float = 5.12
    overlap_seconds: float = 0.64
    lowpass_filter: str = "butter"
    batch_windows: int = 1

    def __post_init__(self):
        checks = [
            (isinstance(self.steps, int) and 1 <= self.steps <= 1000, "steps", "an integer from 1 to 1000"),
            (0.0 <= self.guidance_scale <= 20.0, "guidance_scale", "a number from 0 to 20"),
            (isinstance(self.seed, int) and 0 <= self.seed < 2**63, "seed", "an integer >= 0"),
            (0.0 <= self.eta <= 1.0, "eta", "a number from 0 to 1"),
            (0.64 <= self.window_seconds <= 20.48, "window_seconds", "from 0.64 to 20.48 s"),
            (0.0 <= self.overlap_seconds <= self.window_seconds / 2, "overlap_seconds",
             "from 0 to half the window"),
            (self.lowpass_filter in FILTER_TYPES, "lowpass_filter", f"one of {', '.join(FILTER_TYPES)}"),
            (isinstance(self.batch_windows, int) and 1 <= self.batch_windows <= 64, "batch_windows",
             "an integer from 1 to 64"),
        ]
        for ok, name, allowed in checks:
            if not ok:
                raise ParameterError(f"AudioSR {name} must be {allowed}, got {getattr(self, name)!r}")
        frames = self.window_seconds / _LATENT_SECONDS
        if abs(frames - round(frames)) > 1e-6 or round(frames) % 2:
            raise ParameterError(f"AudioSR window_seconds must be a multiple of 0.16 s, got {self.window_seconds}")


def resolve_device(device: str | torch.device | None) -> torch.device:
    if device is None or str(device) == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(device)


class AudioSRUpscaler:
    """Upscale any audio to 48 kHz with AudioSR (then resample to the requested rate if it differs)."""

    adds_high_frequencies = True

    def __init__(self, model: AudioSRModel, *, name: str, model_id: str, settings: AudioSRSettings,
                 half: bool = False, weights: str = "", load_report: LoadReport | None = None):
        self.model = model
        self.name = name
        self.model_id = model_id
        self.settings = settings
        self.half = half
        self.weights = weights
        self.load_report = load_report
        self.sample_rate = MODEL_RATE

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_pretrained(cls, model: str = "basic", path=None, device=None, *, half: bool | None = None,
                        **settings) -> AudioSRUpscaler:
        """The official 'basic' or 'speech' weights from the Hugging Face cache or a local `path`."""
        checkpoint = find_checkpoint(model, path)
        net = AudioSRModel(official_config(model))
        load = net.load_original(read_state_dict(checkpoint), source=str(checkpoint))
        return cls._place(net, device, half, name="audiosr", model_id=REPOS[model], weights=str(checkpoint),
                          load_report=load, settings=AudioSRSettings(**settings))

    @classmethod
    def tiny(cls, seed: int = 0, device="cpu", **settings) -> AudioSRUpscaler:
        """A tiny RANDOM model for tests and offline notebooks: labelled "audiosr-tiny"; not real upscaling."""
        torch.manual_seed(seed)  # parameters come from torch's default initialisers
        net = AudioSRModel(tiny_config())
        return cls._place(net, device, False, name="audiosr-tiny", model_id="audiosr-tiny (random weights)",
                          weights=f"random init, seed {seed}", load_report=None,
                          settings=AudioSRSettings(**settings))

    @classmethod
    def from_config(cls, config: AudioSRConfig, *, seed: int = 0, device="cpu", half: bool | None = None,
                    **settings) -> AudioSRUpscaler:
        """A random-initialised model of any configuration (the benchmark's official-size model)."""
        torch.manual_seed(seed)
        return cls._place(AudioSRModel(config), device, half, name=f"{config.name}-random",
                          model_id=f"{config.name} (random weights)", weights=f"random init, seed {seed}",
                          load_report=None, settings=AudioSRSettings(**settings))

    @classmethod
    def _place(cls, net: AudioSRModel, device, half, **kwargs) -> AudioSRUpscaler:
        target = resolve_device(device)
        use_half = (target.type == "cuda") if half is None else bool(half)
        net = net.to(target)
        if use_half:
            net.unet.half()  # the UNet carries the 2 x steps forwards; VAEs and vocoder stay float32
        return cls(net, half=use_half, **kwargs)

    def with_settings(self, **changes) -> AudioSRUpscaler:
        """A new upscaler sharing this model, with some settings changed."""
        return AudioSRUpscaler(self.model, name=self.name, model_id=self.model_id,
                               settings=replace(self.settings, **changes), half=self.half, weights=self.weights,
                               load_report=self.load_report)

    # ------------------------------------------------------------------ protocol
    def describe(self) -> dict[str, Any]:
        import diffusers
        import transformers

        info = {
            "engine": "audiosr",
            "name": self.name,
            "model_id": self.model_id,
            "weights": self.weights,
            "settings": asdict(self.settings),
            "device": str(self.model.device),
            "half_precision": self.half,
            "output_rate_of_model": MODEL_RATE,
            "versions": {"torch": torch.__version__, "diffusers": diffusers.__version__,
                         "transformers": transformers.__version__},
        }
        if self.load_report is not None:
            info["skipped_weights"] = dict(self.load_report.skipped)
        if self.name == "audiosr-tiny":
            info["warning"] = "tiny random-weight model for tests: output is not a real upscaling"
        return info

    def upscale(self, audio: Audio, sample_rate: int = MODEL_RATE, *, progress: Progress | None = None,
                cancel: Any = None) -> Audio:
        if not isinstance(sample_rate, int) or sample_rate < audio.sample_rate:
            raise ParameterError(f"upscale target sample_rate must be an integer >= the input's "
                                 f"{audio.sample_rate} Hz, got {sample_rate!r}")
        length_out = int(round(audio.duration * sample_rate))
        channels = [sinc_resample(ch, audio.sample_rate) for ch in audio.samples]
        resampled = Audio(np.stack(channels), MODEL_RATE)
        if resampled.peak() == 0.0:  # silence stays silence
            return resampled.resample(sample_rate).pad_to(length_out)
        raise_if_cancelled(cancel)
        out = self._upscale_48k(resampled, progress, cancel)
        result = Audio(out, MODEL_RATE).match_loudness(resampled)
        if result.peak() > 1.0:
            result = Audio(result.samples / result.peak(), MODEL_RATE)
        return result.resample(sample_rate).pad_to(length_out)

    # ------------------------------------------------------------------ internals
    def _upscale_48k(self, audio: Audio, progress, cancel) -> np.ndarray:
        s = self.settings
        x = audio.samples - audio.samples.mean(axis=1, keepdims=True)
        x = (x * (0.5 / (np.abs(x).max() + 1e-8))).astype(np.float32)
        _, magnitude = log_mel_and_magnitude(torch.from_numpy(x))
        cutoff = cutoff_from_magnitude(magnitude.reshape(-1, magnitude.shape[-1]))
        window = int(round(s.window_seconds * MODEL_RATE))
        overlap = int(round(s.overlap_seconds * MODEL_RATE))
        length = x.shape[1]
        hop = window - overlap
        count = 1 if length <= window else 1 + math.ceil((length - window) / hop)
        starts = [w * hop for w in range(count)]
        items = [(w, c) for w in range(count) for c in range(x.shape[0])]  # (window, channel)
        outputs: dict[tuple[int, int], np.ndarray] = {}
        total = len(items) * s.steps
        done = 0
        sampler = SamplerSettings(steps=s.steps, guidance_scale=s.guidance_scale, eta=s.eta)
        for first in range(0, len(items), s.batch_windows):
            chunk = items[first:first + s.batch_windows]
            batch = np.zeros((len(chunk), window), np.float32)
            for row, (w, c) in enumerate(chunk):
                piece = x[c, starts[w]:starts[w] + window]
                batch[row, :len(piece)] = piece
            inputs = prepare_window(batch, s.lowpass_filter, cutoff_hz=cutoff)
            noise = NoiseStream(s.seed, [w * x.shape[0] + c for w, c in chunk])

            def on_step(_i, k=len(chunk)):
                nonlocal done
                done += k
                report(progress, done, total)

            waves = run_windows(self.model, inputs, noise, sampler, on_step=on_step, cancel=cancel)
            for row, key in enumerate(chunk):
                outputs[key] = waves[row, :window]
        return _crossfade(outputs, starts, x.shape[0], window, overlap, length)


def _crossfade(outputs, starts, channels: int, window: int, overlap: int, length: int) -> np.ndarray:
    total = starts[-1] + window
    out = np.zeros((channels, total), np.float32)
    ramp = np.sin(0.5 * np.pi * (np.arange(overlap) + 0.5) / max(overlap, 1)) ** 2
    for w, start in enumerate(starts):
        weight = np.ones(window, np.float32)
        if w > 0 and overlap:
            weight[:overlap] = ramp
        if w < len(starts) - 1 and overlap:
            weight[-overlap:] = ramp[::-1]
        for c in range(channels):
            out[c, start:start + window] += outputs[(w, c)] * weight
    return out[:, :length]
