"""`VampNetInpainter`: the workbench engine (in-paint a region with both sides as context, or vamp a track).

Slider mapping (the one place it is defined for VampNet):
- weirdness -> sampling temperature of both models.
- loyalty (0..1) -> how much of the region's own tokens stay as a prompt. 0: the whole region is
  regenerated from its surroundings; above 0 a periodic prompt keeps every k-th time step with
  k = round(16 - 14 * loyalty) (16 .. 2), on the lowest 1 + round(2 * loyalty) codebooks (1 .. 3);
  finer codebooks are always regenerated.
- structure (0..1) -> onset-aligned prompts: tokens within round(3 * structure) steps of each onset
  (librosa onsets of the original) are kept too, so attacks stay where they were.
- genre_shift (0..10): VampNet has no text to pull toward; it scales the re-masking noise,
  mask_temperature = 3.5 * genre_shift (3, the default, gives the original's 10.5; 0 decodes in
  pure confidence order, the most conservative; 10 lets the order wander furthest).
- top_k / top_p (0 = off) filter the sampled distributions; typical filtering as upstream intends.
- seed: candidate i uses seed + i; no seed draws one (recorded in `last_seeds`).
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...audio import Audio
from ...errors import ParameterError
from ...params import GenerationParams
from ...regions import Region
from ..base import raise_if_cancelled, report
from .codec import LAC, CodecConfig
from .layers.transformer import VampNetConfig, VampNetTransformer
from .loading import DEFAULT_REPO, find_checkpoints, load_checkpoint, load_state
from .masks import onset_mask
from .onsets import onset_frames
from .pipeline import vamp_tokens
from .preprocess import LOUDNESS_TARGET_LUFS, ensure_max, integrated_loudness, pad_to_hop
from .sampling import SamplingSettings

__all__ = ["VampNetInpainter", "TINY_CONFIG"]

TINY_CONFIG = Path(__file__).with_name("tiny_config.json")
CONTEXT_S = 3.0  # seconds of surroundings given on each side of an in-painted region


class VampNetInpainter:
    sees_both_sides = True

    def __init__(self, codec: LAC, coarse: VampNetTransformer, c2f: VampNetTransformer | None, *, name: str,
                 model_id: str, coarse_chunk_s: float = 10.0, c2f_chunk_s: float = 3.0, coarse_steps: int = 36,
                 c2f_steps: int = 2, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32):
        self.name, self.model_id = name, model_id
        self.device = torch.device(device)
        self.codec = codec.eval().to(self.device)
        books = torch.stack([q.codebook.weight for q in codec.quantizer.quantizers])
        self.coarse = coarse.eval().to(self.device, dtype)
        self.coarse.attach_codebooks(books)
        self.c2f = c2f.eval().to(self.device, dtype) if c2f is not None else None
        if self.c2f is not None:
            self.c2f.attach_codebooks(books)
        self.coarse_chunk_s, self.c2f_chunk_s = coarse_chunk_s, c2f_chunk_s
        self.coarse_steps, self.c2f_steps = coarse_steps, c2f_steps
        self.last_seeds: list[int] = []

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_pretrained(cls, path_or_repo: str | None = None, *, device: str = "cpu",
                        half: bool = False) -> VampNetInpainter:
        """Official weights from a local folder or the Hugging Face cache (default repo hugggof/vampnet)."""
        files = find_checkpoints(path_or_repo)
        models = {}
        for name in ("codec", "coarse", "c2f"):
            kwargs, state = load_checkpoint(files[name])
            model = LAC(CodecConfig.from_kwargs(kwargs)) if name == "codec" else \
                VampNetTransformer(VampNetConfig.from_kwargs(kwargs))
            load_state(model, state, name)
            models[name] = model
        return cls(models["codec"], models["coarse"], models["c2f"], name="vampnet",
                   model_id=str(path_or_repo or DEFAULT_REPO), device=device,
                   dtype=torch.float16 if half else torch.float32)

    @classmethod
    def tiny(cls, seed: int = 0, *, device: str = "cpu") -> VampNetInpainter:
        """Random weights at the parity fixtures' tiny sizes: "vampnet-tiny", for tests; never music."""
        cfg = json.loads(TINY_CONFIG.read_text())
        torch.manual_seed(seed)
        return cls(LAC(CodecConfig.from_kwargs(cfg["codec"])), VampNetTransformer(VampNetConfig.from_kwargs(cfg["coarse"])),
                   VampNetTransformer(VampNetConfig.from_kwargs(cfg["c2f"])), name="vampnet-tiny",
                   model_id=f"vampnet-tiny (random init, seed {seed})", coarse_chunk_s=cfg["coarse_chunk_size_s"],
                   c2f_chunk_s=cfg["c2f_chunk_size_s"], coarse_steps=8, c2f_steps=2, device=device)

    @property
    def sample_rate(self) -> int:
        return self.codec.sample_rate

    @property
    def hop(self) -> int:
        return self.codec.hop_length

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "model_id": self.model_id, "codec": self.codec.config.to_dict(),
                "coarse": self.coarse.config.to_dict(), "c2f": self.c2f.config.to_dict() if self.c2f else None,
                "coarse_steps": self.coarse_steps, "c2f_steps": self.c2f_steps, "coarse_chunk_s": self.coarse_chunk_s,
                "c2f_chunk_s": self.c2f_chunk_s, "context_s": CONTEXT_S, "parity_mode": False,
                "slider_mapping": "see workbench.engines.vampnet.inpainter", "torch": torch.__version__,
                "label": "random weights, not music" if self.name == "vampnet-tiny" else "official weights"}

    # ------------------------------------------------------------------ public API
    def inpaint(self, audio: Audio, region: Region, params: GenerationParams, *, candidates: int = 1,
                handle: float = 0.1, progress=None, cancel=None) -> list[Audio]:
        """`candidates` copies of `audio` whose region (+ `handle` each side) is regenerated."""
        _check_count(candidates, "candidates")
        if not (isinstance(handle, int | float) and 0 <= handle <= 5):
            raise ParameterError(f"handle must be 0..5 seconds, got {handle!r}")
        region.check_within(audio.duration)
        start, end = max(0.0, region.start - handle), min(audio.duration, region.end + handle)
        w0, w1 = max(0.0, start - CONTEXT_S), min(audio.duration, end + CONTEXT_S)
        return self._run(audio, (w0, w1), (start - w0, end - w0), params, candidates, progress, cancel)

    def vamp(self, audio: Audio, params: GenerationParams, n: int = 1, *, progress=None, cancel=None) -> list[Audio]:
        """`n` variations of the whole track (for remix): every token may change, the loyalty prompt
        and onsets keep its shape."""
        _check_count(n, "n")
        return self._run(audio, (0.0, audio.duration), (0.0, audio.duration), params, n, progress, cancel)

    # ------------------------------------------------------------------ internals
    def _run(self, audio, window, span, params, count, progress, cancel) -> list[Audio]:
        raise_if_cancelled(cancel)
        piece = audio.slice(*window)
        mono = piece.to_mono().resample(self.sample_rate).samples[0]
        loud = integrated_loudness(mono, self.sample_rate)
        gain = math.exp((LOUDNESS_TARGET_LUFS - loud) * math.log(10) / 20) if math.isfinite(loud) else 1.0
        normalized = (mono * np.float32(gain)).astype(np.float32)
        peak = float(np.abs(normalized).max())
        if peak > 1.0:  # the original limits the peak after normalising; we undo both at the end
            gain /= peak
        signal = torch.from_numpy(pad_to_hop(ensure_max(normalized), self.hop))[None, None].to(self.device)
        with torch.no_grad():
            codes = self.codec.encode(signal)["codes"]
        mask = self._mask(codes, span, params, mono)
        settings = self._settings(params)
        seeds = [params.seed + i if params.seed is not None else random.randrange(2**31) for i in range(count)]
        self.last_seeds = seeds
        out = []
        for i, seed in enumerate(seeds):
            def sub_progress(done, total, i=i):
                report(progress, i * total + done, count * total)

            z = vamp_tokens(self.coarse, self.c2f, codes, mask, replace(settings, seed=seed),
                            c2f_settings=replace(settings, seed=None, steps=self.c2f_steps),
                            coarse_chunk_tokens=self._tokens(self.coarse_chunk_s),
                            c2f_chunk_tokens=self._tokens(self.c2f_chunk_s), cancel=cancel, progress=sub_progress)
            with torch.no_grad():
                wave = self.codec.decode_codes(z).float().cpu().numpy()[0, 0, :mono.shape[0]] / np.float32(gain)
            out.append(self._place(audio, window, Audio(wave, self.sample_rate)))
        return out

    def _tokens(self, seconds: float) -> int:
        return math.ceil(seconds * self.sample_rate / self.hop)

    def _mask(self, codes: torch.Tensor, span, params: GenerationParams, mono: np.ndarray) -> torch.Tensor:
        """1 inside the span (minus the loyalty / structure prompts), 0 outside."""
        b, c, t = codes.shape
        # a tiny epsilon so spans that are whole tokens do not spill into the neighbour by float error
        lo = math.floor(span[0] * self.sample_rate / self.hop + 1e-6)
        hi = math.ceil(span[1] * self.sample_rate / self.hop - 1e-6)
        inside = torch.zeros((b, c, t), dtype=torch.long)
        inside[..., lo:min(hi, t)] = 1
        keep = torch.zeros((b, c, t), dtype=torch.long)
        lowest = 1 + round(2 * params.loyalty)
        if params.loyalty > 0:
            period = round(16 - 14 * params.loyalty)
            keep[:, :lowest, ::period] = 1
        width = round(3 * params.structure)
        if width > 0:
            frames = onset_frames(mono, self.sample_rate, self.hop)
            keep[:, :lowest] |= (1 - onset_mask((b, c, t), frames, width))[:, :lowest]
        return (inside * (1 - keep)).to(codes.device)

    def _settings(self, params: GenerationParams) -> SamplingSettings:
        return SamplingSettings(steps=self.coarse_steps, temperature=params.weirdness,
                                mask_temperature=3.5 * params.genre_shift, top_k=params.top_k or None,
                                top_p=params.top_p or None)

    @staticmethod
    def _place(original: Audio, window, generated: Audio) -> Audio:
        """The original with the window replaced by `generated` (resampled, channel-matched)."""
        gen = generated.resample(original.sample_rate).with_channels(original.channels).samples
        s0, s1 = original.seconds_to_samples(window[0]), original.seconds_to_samples(window[1])
        samples = original.samples.copy()
        n = min(s1 - s0, gen.shape[1])
        samples[:, s0:s0 + n] = gen[:, :n]
        return Audio(samples, original.sample_rate)


def _check_count(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 16:
        raise ParameterError(f"{name} must be a whole number in 1..16, got {value!r}")
