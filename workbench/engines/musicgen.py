"""MusicGen engines through transformers: `musicgen-small/-medium/-large/-melody` (+ stereo variants) with
the official checkpoints, and the tiny random-initialised twins `musicgen-tiny` / `musicgen-tiny-melody`.

    engine = load_musicgen("musicgen-small")              # device/dtype: cuda+float16, mps+float16 or cpu+float32
    audios = engine.generate([GenerationParams("lofi piano", duration=8, seed=7),
                              GenerationParams("lofi piano", duration=8, seed=8, weirdness=1.3)])

How the sliders map (see params.py): Weirdness = temperature, Genre Shift = classifier-free guidance
scale, Melody Loyalty = weight of a separate melody guidance term (musicgen_sampling.py), Structure: when
the caller passes `tempo_bpm`, rows with structure > 0 get ", at N bpm" appended to their prompt (MusicGen
was trained on descriptions that state the tempo; it is a nudge, not a grid).

One call to `generate(params)` is ONE batched transformers generate(): every row has its own seed,
temperature, guidance, loyalty, top-k and top-p (`RowSampler`), so row i equals a call made with params[i]
alone. Rows of different durations are all decoded to the longest and cut: decoding is causal and sampling
per row, so a row's tokens do not depend on how long the other rows run. To make that exact, every run
decodes a few frames (the codebook delay, 3 on mono models = 60 ms) past its longest row and drops them:
otherwise MusicGen's delay pattern feeds padding to the last frames and their tokens would depend on
where the run ends. So a result equals transformers' generate() of a run 3 frames longer, cut (that is
what the tests compare token for token). Two limits on "equal": float
arithmetic can differ in the last bits between batch shapes (on CPU float32 we see identical tokens; on a
GPU in float16 a rare token can differ), and on the melody models the prompts of a batch are padded to the
longest and transformers' melody decoder attends to that padding (it has no mask for its conditioning
prefix), so rows are independent there when their prompts have the same token length, as for the
variations of one prompt.
"""

from __future__ import annotations

import math
import secrets
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..audio import Audio
from ..errors import InvalidInput, ParameterError
from ..params import MAX_SEED, GenerationParams, tempo_prompt
from .base import Progress
from .musicgen_chroma import as_audio, melody_chroma, null_chroma
from .musicgen_loading import (
    CHECKPOINTS,
    TINY_MODELS,
    build_tiny,
    load_checkpoint,
    resolve_device,
    resolve_dtype,
    weights_available,
)
from .musicgen_sampling import RowSampler, RowSettings

__all__ = ["MusicGenEngine", "load_musicgen", "ENGINE_NAMES", "weights_available", "tempo_prompt"]

ENGINE_NAMES = tuple(CHECKPOINTS) + tuple(TINY_MODELS)
MAX_DURATION = 30.0  # MusicGen's training window; longer pieces are made with Studio.extend


class MusicGenEngine:
    """A loaded MusicGen model behind the `Generator` protocol (see base.py).

    Build it with `load_musicgen(name)`; the constructor takes an already loaded transformers model
    (MusicgenForConditionalGeneration or MusicgenMelodyForConditionalGeneration) and its tokenizer.
    One generation runs at a time per engine (a lock), since the model and its memory are shared.
    """

    def __init__(self, model, tokenizer, *, name: str, model_id: str, is_music: bool = True):
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.model_id = model_id
        self.is_music = is_music
        self.is_melody = model.config.model_type == "musicgen_melody"
        self.sample_rate = int(model.config.audio_encoder.sampling_rate)
        self.channels = int(model.config.decoder.audio_channels)
        self.num_codebooks = int(model.decoder.num_codebooks)
        self.hop_length = int(np.prod(model.config.audio_encoder.upsampling_ratios))
        self.frame_rate = self.sample_rate / self.hop_length
        self.max_duration = MAX_DURATION
        # Extra GenerationConfig fields for every call, e.g. {"cache_implementation": "static"} (text models
        # only in transformers 5.24; on CUDA it also makes generate() torch.compile the decoder step).
        self.generation_overrides: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def device(self) -> torch.device:
        return self.model.device

    @property
    def dtype(self) -> torch.dtype:
        return self.model.dtype

    def __repr__(self) -> str:
        return f"MusicGenEngine({self.name!r}, {self.model_id!r}, {self.device}, {self.dtype})"

    def describe(self) -> dict[str, Any]:
        """Engine, model id, dtype, device, versions: what a track's config snapshot records."""
        import transformers

        info = {
            "engine": self.name,
            "model_id": self.model_id,
            "dtype": str(self.dtype).removeprefix("torch."),
            "device": str(self.device),
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "melody": self.is_melody,
            "max_duration": self.max_duration,
            "sampling": "workbench RowSampler: per-row seed, Gumbel-max, per-row guidance/temperature/top-k/top-p",
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "is_music": self.is_music,
        }
        if not self.is_music:
            info["note"] = "tiny random-initialised model for tests and plumbing: its output is NOT music"
        return info

    # ------------------------------------------------------------------------------------------ generate
    def generate(self, params: Sequence[GenerationParams], *, melody=None, prompt_audio: Audio | None = None,
                 progress: Progress | None = None, cancel: Any = None,
                 tempo_bpm: float | Sequence[float | None] | None = None) -> list[Audio]:
        """One batched model call; row i follows params[i] and equals a call with params[i] alone.

        melody: an Audio (or Track) whose chroma conditions every row (melody models only); each row's
            `loyalty` weights it (0: text-only guided output, 1: MusicGen-melody's standard output).
        prompt_audio: audio to continue (resampled to the model rate); the result holds only the new part
            and each row's `duration` is its new length. prompt + duration must fit in the 30 s window.
        tempo_bpm: a tempo (or one per row) stated in the prompt of rows whose structure > 0.
        progress(done, total) is called after every decoding step; `cancel.is_set()` stops between steps
        with Cancelled. A seed of None is replaced by a random one (pass seeds to reproduce results).
        """
        codes, prompt_codes = self._generate(params, melody, prompt_audio, progress, cancel, tempo_bpm)
        rows = list(params) if not isinstance(params, GenerationParams) else [params]
        with self._lock, torch.inference_mode():
            return [self._decode(c, prompt_codes, p.duration) for c, p in zip(codes, rows, strict=True)]

    def generate_codes(self, params: Sequence[GenerationParams], *, melody=None, prompt_audio: Audio | None = None,
                       progress: Progress | None = None, cancel: Any = None,
                       tempo_bpm: float | Sequence[float | None] | None = None) -> list[torch.Tensor]:
        """Like generate() but returns each row's new EnCodec codes, (K, frames) long ints on the CPU
        (stereo models interleave left/right codebooks). Used by tests to compare tokens exactly."""
        codes, _ = self._generate(params, melody, prompt_audio, progress, cancel, tempo_bpm)
        return [c.cpu() for c in codes]

    def _generate(self, params, melody, prompt_audio, progress, cancel, tempo_bpm):
        rows = self._check_params(params)
        texts = [tempo_prompt(p.prompt, bpm, p.structure) for p, bpm in zip(rows, self._tempos(tempo_bpm, rows), strict=True)]
        chroma = self._melody_chroma(melody)
        prompt_codes = self._prompt_codes(prompt_audio, max(p.duration for p in rows))
        with self._lock, torch.inference_mode():
            codes = self._run(rows, texts, chroma, prompt_codes, progress, cancel)
        return [codes[row, :, : self._frames(p.duration)] for row, p in enumerate(rows)], prompt_codes

    def _frames(self, duration: float) -> int:
        return math.ceil(duration * self.frame_rate - 1e-6)

    def _run(self, rows, texts, chroma, prompt_codes, progress, cancel) -> torch.Tensor:
        """Run ONE generate() for all rows and return their new codes, (rows, K, frames of the longest)."""
        model, device = self.model, self.device
        # The delay pattern shifts codebook k by k steps (k // 2 on stereo). Near the end of a run transformers
        # feeds padding in place of the lower codebooks, so the last frames would depend on the run's length
        # (hence on the other rows). Decoding `max(delays)` frames past the longest row and dropping them
        # makes every kept frame independent of the run length: row i equals its single call exactly.
        delays = [k // self.channels for k in range(self.num_codebooks)]
        frames = self._frames(max(p.duration for p in rows)) + max(delays)
        new_tokens = frames + max(delays)
        guidance = [p.genre_shift for p in rows]
        copies = 1 if all(g == 1.0 for g in guidance) else 2
        if chroma is not None:
            copies = 3
        settings = RowSettings(guidance=guidance, temperature=[p.weirdness for p in rows],
                               top_k=[p.top_k for p in rows], top_p=[p.top_p for p in rows],
                               loyalty=[p.loyalty for p in rows] if chroma is not None else None, device=device)
        seeds = [p.seed if p.seed is not None else secrets.randbelow(MAX_SEED + 1) for p in rows]
        sampler = RowSampler(settings, seeds=seeds, copies=copies, device=device, total_steps=new_tokens,
                             progress=progress, cancel=cancel)
        inputs = self._conditioning(texts, chroma, copies)
        if prompt_codes is not None:
            inputs["decoder_input_ids"] = prompt_codes.repeat(copies * len(rows), 1, 1).reshape(
                copies * len(rows) * self.num_codebooks, -1)
        from transformers import LogitsProcessorList

        # generate() also decodes every row and copy to audio at the longest length; we decode each row
        # ourselves at its own length instead, since EnCodec's decoder looks ahead (not causal).
        model.generate(**inputs, generation_config=self._generation_config(new_tokens),
                       logits_processor=LogitsProcessorList([sampler]))
        return sampler.codes(frames, delays)

    def _decode(self, new_codes: torch.Tensor, prompt_codes: torch.Tensor | None, duration: float) -> Audio:
        """EnCodec-decode one row cut to `duration` (after the prompt's codes, for a seamless join)."""
        codes = new_codes[:, : self._frames(duration)]
        skip = 0
        if prompt_codes is not None:
            codes = torch.cat([prompt_codes, codes], dim=-1)
            skip = prompt_codes.shape[-1] * self.hop_length
        decoder = self.model.audio_encoder
        channels = [codes[c :: self.channels] for c in range(self.channels)]  # L/R interleaved on stereo
        wav = torch.cat([decoder.decode(c[None, None], audio_scales=[None]).audio_values[0] for c in channels])
        samples = wav[:, skip: skip + int(round(duration * self.sample_rate))]
        return Audio(samples.float().cpu().numpy(), self.sample_rate)

    def _generation_config(self, new_tokens: int):
        """Greedy generate() (sampling happens in RowSampler), transformers' own guidance switched off."""
        config = self.model.generation_config.__class__.from_dict(self.model.generation_config.to_dict())
        # Explicit neutral values: None would be refilled from the checkpoint's defaults (guidance 3, top-k 250).
        config.update(do_sample=False, guidance_scale=1.0, top_k=0, top_p=1.0, temperature=1.0,
                      max_new_tokens=new_tokens, use_cache=True)
        config.update(**self.generation_overrides)
        return config

    def _conditioning(self, texts: list[str], chroma: torch.Tensor | None, copies: int) -> dict[str, Any]:
        """The encoder side of generate() for `copies` blocks of rows (see musicgen_sampling.py)."""
        model, device = self.model, self.device
        tokens = self.tokenizer(texts, padding=True, return_tensors="pt").to(device)
        mask = tokens["attention_mask"]
        states = model.text_encoder(input_ids=tokens["input_ids"], attention_mask=mask).last_hidden_state
        if not self.is_melody:
            # transformers' own CFG layout: [text; zero text] with the mask [mask; zeros]; forward() projects.
            blocks = [states, torch.zeros_like(states)][:copies]
            masks = [mask, torch.zeros_like(mask)][:copies]
            from transformers.modeling_outputs import BaseModelOutput

            return {"encoder_outputs": BaseModelOutput(last_hidden_state=torch.cat(blocks)),
                    "attention_mask": torch.cat(masks)}
        # Melody: the decoder reads the prefix [projected chroma (tiled to chroma_length) ; projected text].
        if model.text_encoder.config.hidden_size != model.decoder.config.hidden_size:
            states = model.enc_to_dec_proj(states)
        states = states * mask[..., None]
        rows = len(texts)

        def prefix(chroma_frames: torch.Tensor, text_states: torch.Tensor) -> torch.Tensor:
            features = chroma_frames.to(device=device, dtype=text_states.dtype)[None].expand(rows, -1, -1)
            if model.config.num_chroma != model.decoder.config.hidden_size:
                features = model.audio_enc_to_dec_proj(features)
            length = model.config.chroma_length
            features = features.repeat(1, math.ceil(length / features.shape[1]), 1)[:, :length]
            return torch.cat([features, text_states], dim=1)

        no_melody = null_chroma()
        blocks = [prefix(no_melody, states), prefix(no_melody, torch.zeros_like(states))]
        if copies == 3:
            blocks.insert(0, prefix(chroma, states))
        # encoder_hidden_states must be the first tensor: the melody generate() infers the batch from it.
        return {"encoder_hidden_states": torch.cat(blocks[:copies])}

    # ------------------------------------------------------------------------------------------ inputs
    def _check_params(self, params) -> list[GenerationParams]:
        if isinstance(params, GenerationParams):
            params = [params]
        rows = list(params)
        if not rows:
            raise ParameterError("generate() needs at least one GenerationParams row")
        for i, p in enumerate(rows):
            if not isinstance(p, GenerationParams):
                raise ParameterError(f"params[{i}] must be a GenerationParams, got {type(p).__name__}")
            if p.duration > self.max_duration:
                raise ParameterError(
                    f"params[{i}].duration = {p.duration:g} s is longer than {self.name}'s window of "
                    f"{self.max_duration:g} s; use Studio.extend to go further")
        return rows

    @staticmethod
    def _tempos(tempo_bpm, rows) -> list[float | None]:
        if tempo_bpm is None or isinstance(tempo_bpm, int | float):
            return [tempo_bpm] * len(rows)
        tempos = list(tempo_bpm)
        if len(tempos) != len(rows):
            raise ParameterError(f"tempo_bpm has {len(tempos)} values for {len(rows)} rows")
        return tempos

    def _melody_chroma(self, melody) -> torch.Tensor | None:
        if melody is None:
            return None
        if not self.is_melody:
            raise InvalidInput(f"engine {self.name!r} ({self.model_id}) takes no melody; use a melody model "
                               f"such as 'musicgen-melody' (or 'musicgen-tiny-melody' to test)")
        return melody_chroma(melody)

    def _prompt_codes(self, prompt_audio, duration: float) -> torch.Tensor | None:
        """EnCodec codes of the audio to continue, (K, frames), left/right interleaved on stereo models."""
        if prompt_audio is None:
            return None
        audio = as_audio(prompt_audio)
        if audio.duration + duration > self.max_duration + 1e-6:
            raise ParameterError(
                f"prompt audio ({audio.duration:.2f} s) plus the new {duration:g} s exceed {self.name}'s window "
                f"of {self.max_duration:g} s; keep less context (audiocraft uses 12 s of context per 18 s new)")
        if audio.sample_rate != self.sample_rate:
            audio = audio.resample(self.sample_rate)
        audio = audio.with_channels(self.channels)
        if audio.num_samples < self.hop_length:
            raise ParameterError(f"prompt audio is {audio.duration * 1000:.1f} ms long; at least "
                                 f"{self.hop_length / self.sample_rate * 1000:.0f} ms (one frame) is needed")
        wav = torch.from_numpy(np.array(audio.samples)).to(self.device, self.dtype)
        with torch.inference_mode():
            per_channel = [self.model.audio_encoder.encode(wav[c][None, None]).audio_codes[0, 0]
                           for c in range(self.channels)]
        codes = torch.stack(per_channel, dim=1).reshape(-1, per_channel[0].shape[-1])  # L0 R0 L1 R1 ...
        return codes


# ---------------------------------------------------------------------------------------------- loading
def load_musicgen(name: str, device: str | torch.device | None = None, dtype: str | torch.dtype | None = None,
                  *, cache_dir: str | None = None, model_path: str | None = None) -> MusicGenEngine:
    """Load the engine called `name` (one of ENGINE_NAMES).

    device: None picks cuda, then mps, then cpu; dtype: None gives float16 on a GPU, float32 on the CPU.
    Official names load their checkpoint from the Hugging Face cache (HF_HOME, HF_HUB_CACHE or `cache_dir`),
    downloading only when HF_HUB_OFFLINE is unset and the Hub answers; otherwise WeightsNotFound says what
    is missing, where it looked and how to get it. `model_path` loads the checkpoint from a local folder
    (saved with save_pretrained) instead. Tiny names build their random-initialised model in memory.
    """
    if name not in ENGINE_NAMES:
        raise ParameterError(f"unknown MusicGen engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")
    dev = resolve_device(device)
    dt = resolve_dtype(dtype, dev)
    if name in TINY_MODELS:
        model, tokenizer = build_tiny(TINY_MODELS[name], device=dev, dtype=dt)
        return MusicGenEngine(model, tokenizer, name=name, model_id=f"random-init:{name}", is_music=False)
    model_id, melody = CHECKPOINTS[name]
    source = model_id if model_path is None else str(model_path)
    model, tokenizer = load_checkpoint(source, melody, device=dev, dtype=dt, cache_dir=cache_dir)
    return MusicGenEngine(model, tokenizer, name=name, model_id=model_id if model_path is None else source)
