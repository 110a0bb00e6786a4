"""Running AudioSR on prepared 48 kHz windows, and the original's whole-file call for parity.

Random draws: every window owns a CPU `torch.Generator` seeded from (seed, window index) and draws in
the original's order: the first-stage posterior noise (drawn and unused, as upstream does, to keep the
stream aligned), the condition-VAE noise, the start latent x_T, then one draw per DDIM step. Window 0
with seed s therefore equals the original's first call with seed s, and batching windows together never
changes a result. Tests inject the recorded draws instead (`noise=`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..base import raise_if_cancelled
from .model import AudioSRModel
from .postprocess import parity_normalize, replace_low_band, replace_low_mel
from .preprocess import WindowInput, filter_type_for_seed, prepare_file_like
from .schedule import ddim_step, make_scheduler

__all__ = ["SamplerSettings", "NoiseStream", "RecordedNoise", "run_windows", "super_resolution_parity"]

_WINDOW_SEED_STRIDE = 1_000_003


@dataclass(frozen=True)
class SamplerSettings:
    steps: int = 50
    guidance_scale: float = 3.5
    eta: float = 1.0  # the original always samples with eta = 1; 0 is deterministic given x_T


class NoiseStream:
    """Per-window generators drawing N(0, 1) in the original's order."""

    def __init__(self, seed: int, window_indices: Sequence[int]):
        self._generators = [torch.Generator().manual_seed(int(seed) + _WINDOW_SEED_STRIDE * int(w))
                            for w in window_indices]

    def draw(self, shape: Sequence[int]) -> torch.Tensor:
        """One draw per window, stacked on the batch axis; `shape` is one window's [1, C, T, F]."""
        return torch.cat([torch.randn(tuple(shape), generator=g) for g in self._generators])


class RecordedNoise:
    """Replays recorded draws (batch of one), e.g. the fixture's randn_0, randn_1, ..."""

    def __init__(self, draws: Sequence[np.ndarray | torch.Tensor]):
        self._draws = [torch.as_tensor(np.asarray(d)) for d in draws]
        self._next = 0

    def draw(self, shape: Sequence[int]) -> torch.Tensor:
        draw = self._draws[self._next]
        self._next += 1
        if tuple(draw.shape) != tuple(shape):
            raise ValueError(f"recorded draw {self._next - 1} has shape {tuple(draw.shape)}, need {tuple(shape)}")
        return draw


@torch.no_grad()
def run_windows(model: AudioSRModel, inputs: WindowInput, noise, settings: SamplerSettings, *,
                on_step: Callable[[int], None] | None = None, cancel: Any = None,
                trace: dict | None = None) -> np.ndarray:
    """Super-resolve a batch of prepared windows -> float32 [B, samples + 16] at 48 kHz.

    `on_step(i)` is called after DDIM step i; `cancel` is checked before every step. `trace`, when
    given, receives the intermediate latents and mels (for the parity tests).
    """
    device, dtype = model.device, model.dtype
    batch, frames = inputs.log_mel.shape[0], inputs.log_mel.shape[1]
    shape = (1, model.config.latent_channels, frames // 8, model.config.mel_bins // 8)
    noise.draw(shape)  # the original samples the full-band posterior here and uses only its shape
    cond = model.condition_latent(inputs.lowpass_mel.to(device, dtype), noise.draw(shape).to(device, dtype))
    x = noise.draw(shape).to(device, torch.float32)
    scheduler = make_scheduler(settings.steps, model.alphas_cumprod)
    steps = []
    for i, t in enumerate(scheduler.timesteps):
        raise_if_cancelled(cancel)
        timestep = torch.full((batch,), int(t), device=device, dtype=torch.long)
        v = model.guided_velocity(x.to(dtype), timestep, cond, settings.guidance_scale).float()
        step_noise = noise.draw(shape).to(device, torch.float32)
        x, x0 = ddim_step(scheduler, v, int(t), x, settings.eta, step_noise)
        if trace is not None:
            steps.append((int(t), x.cpu().clone(), x0.cpu().clone()))
        if on_step is not None:
            on_step(i)
    mel = model.decode(x.to(dtype))
    replaced = replace_low_mel(mel, inputs.lowpass_mel.to(mel.device))
    waves = model.vocode(replaced.to(dtype)).cpu().numpy()
    low = inputs.waveform_lowpass.cpu().numpy()
    out = np.stack([replace_low_band(waves[b], low[b])[0] for b in range(batch)])
    if trace is not None:
        trace.update(steps=steps, decoded=mel.cpu(), replaced=replaced.cpu(), cond=cond.cpu())
    return out


def super_resolution_parity(model: AudioSRModel, signal: np.ndarray, rate: int, seed: int = 42, *,
                            settings: SamplerSettings = SamplerSettings(steps=50), noise=None,
                            trace: dict | None = None) -> np.ndarray:
    """The original's `super_resolution(model, file, seed, ...)` on a first call: one zero-padded window,
    the seed's random filter, output [1, 1, samples + 16] scaled to peak 0.5 with the mean removed."""
    inputs, _ = prepare_file_like(np.asarray(signal, dtype=np.float32), rate, filter_type_for_seed(seed))
    stream = noise if noise is not None else NoiseStream(seed, [0])
    wave = run_windows(model, inputs, stream, settings, trace=trace)
    return parity_normalize(wave)[:, None]
