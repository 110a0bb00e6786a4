"""`Studio`: the facade a notebook uses. Engines make `Audio`; the Studio records every result as a new
library track with its full settings and its parent, so nothing is edited in place and nothing is lost.

Every operation can run in the foreground (returns Tracks) or as a background job
(`studio.submit("inpaint", track, 10, 15)` returns a `Job`); long ones take `progress` and `cancel`.
"""

from __future__ import annotations

import functools
import os
import random
from importlib import metadata
from typing import Any

from . import analysis
from .audio import Audio
from .engineering import editor
from .engineering.stitch import crossfade_join
from .engines import registry
from .engines.base import Progress, raise_if_cancelled, report
from .engines.registry import Choice
from .errors import InvalidInput, ParameterError
from .jobs import Job, JobRunner
from .library import Library, Track
from .params import MAX_SEED, MAX_TEMPO, MIN_TEMPO, SLIDERS, GenerationParams, tempo_prompt
from .regions import Region

__all__ = ["Studio", "MAX_BATCH"]

MAX_BATCH = 64
_VERSION_PACKAGES = ("workbench", "torch", "transformers", "numpy", "librosa", "soxr")


@functools.cache  # the versions of the code this process has loaded; read once
def versions() -> dict[str, str]:
    out = {}
    for name in _VERSION_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def _sliders(sliders: dict[str, Any]) -> dict[str, Any]:
    allowed = set(SLIDERS) | {"top_k", "top_p"}
    unknown = sorted(set(sliders) - allowed)
    if unknown:
        raise ParameterError(f"unknown setting(s) {', '.join(unknown)}; sliders are {', '.join(sorted(allowed))}")
    return sliders


class Studio:
    """Generate, edit, remix and upscale, recording every result in `library`."""

    def __init__(self, library: Library | str | os.PathLike | None = None, engine: str = "auto", *,
                 device: str | None = None, upscaler: str = "auto"):
        self.library = library if isinstance(library, Library) else Library(library)
        self.engine = engine
        self.upscaler = upscaler
        self.device = device
        self.last_choice: Choice | None = None  # which engine "auto" picked last, and why
        self._runner = JobRunner()

    def __repr__(self) -> str:
        return f"Studio(library={str(self.library.path)!r}, engine={self.engine!r})"

    # ----------------------------------------------------------------- engines
    def choose_engine(self, engine: str | None = None, *, melody: bool = False) -> Choice:
        choice = registry.choose_generator(engine or self.engine, melody=melody)
        self.last_choice = choice
        return choice

    def _generator(self, engine: str | None, melody: bool = False):
        choice = self.choose_engine(engine, melody=melody)
        return registry.generator(choice.name, self.device), choice

    def _snapshot(self, engine_obj, choice: Choice, params: GenerationParams, **more) -> dict[str, Any]:
        described = engine_obj.describe() if hasattr(engine_obj, "describe") else {"engine": choice.name}
        return {"engine": choice.name, "engine_reason": choice.reason, "model": described,
                "params": params.to_dict(), "versions": versions(), **more}

    def _melody(self, melody: Audio | Track | str | None) -> tuple[Audio | None, str | None]:
        """Melody input as Audio plus the track that holds it (stored now if it came as bare Audio,
        so the result can be regenerated later)."""
        if melody is None:
            return None, None
        if isinstance(melody, Audio):
            track = self.library.add(melody, prompt="melody input", derivation="melody", tags=["melody-input"])
            return melody, track.id
        track = self.library.get(melody)
        return self.library.audio(track), track.id

    def _seed(self, seed: int | None) -> int:
        return random.SystemRandom().randrange(MAX_SEED // 2) if seed is None else seed

    # ----------------------------------------------------------------- generation
    def generate(self, prompt: str = "", duration: float = 8.0, seed: int | None = None, *, n: int = 1,
                 melody: Audio | Track | str | None = None, engine: str | None = None, tags=None,
                 progress: Progress | None = None, cancel=None, **sliders) -> Track | list[Track]:
        """Generate `n` variations in one batched call; row i uses seed + i. Returns a Track (n=1) or a list."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_BATCH:
            raise ParameterError(f"n must be a whole number in 1..{MAX_BATCH}, got {n!r}")
        params = GenerationParams(prompt=prompt, duration=duration, seed=self._seed(seed), **_sliders(sliders))
        if params.seed + n - 1 > MAX_SEED:
            raise ParameterError(f"seed {params.seed} + {n - 1} variations passes the largest seed {MAX_SEED}")
        melody_audio, melody_id = self._melody(melody)
        tracks = self._generate_rows([params.replace(seed=params.seed + i) for i in range(n)], melody_audio,
                                     melody_id, engine, tags, "generate", None, progress, cancel)
        return tracks[0] if n == 1 else tracks

    def _generate_rows(self, rows, melody_audio, melody_id, engine, tags, derivation, parent,
                       progress, cancel) -> list[Track]:
        gen, choice = self._generator(engine, melody=melody_audio is not None)
        tempo = None
        if rows[0].structure > 0 and melody_audio is not None:
            grid = analysis.beat_grid(melody_audio)
            tempo = round(grid.tempo_bpm) if grid.found and MIN_TEMPO <= grid.tempo_bpm <= MAX_TEMPO else None
        conditioned = [r.replace(prompt=tempo_prompt(r.prompt, tempo, r.structure)) for r in rows]
        window = gen.max_duration
        if max(r.duration for r in rows) > window:
            raise ParameterError(
                f"duration {max(r.duration for r in rows):.1f} s is longer than {choice.name}'s window of "
                f"{window:.0f} s: generate {window:.0f} s, then use studio.extend(track, seconds=...)")
        audios = gen.generate(conditioned, melody=melody_audio, progress=progress, cancel=cancel)
        raise_if_cancelled(cancel)
        tracks = []
        for i, (row, audio) in enumerate(zip(rows, audios, strict=True)):
            config = self._snapshot(gen, choice, row, batch={"n": len(rows), "row": i}, melody_track_id=melody_id,
                                    conditioning_prompt=conditioned[i].prompt, tempo_bpm=tempo)
            tracks.append(self.library.add(audio, prompt=row.prompt, seed=row.seed, config=config,
                                           parent=parent or melody_id, derivation=derivation, tags=tags,
                                           engine=choice.name, model=getattr(gen, "model_id", None)))
        return tracks

    def regenerate(self, track: Track | str, *, progress: Progress | None = None, cancel=None) -> Track:
        """Make the same take again from its recorded settings (same engine, seed, sliders, melody)."""
        track = self.library.get(track)
        config = track.config
        if track.derivation not in ("generate", "remix") or "params" not in config:
            raise InvalidInput(f"track {track.id} was made by {track.derivation!r}; only generated tracks and "
                               "remixes can be regenerated from their settings")
        params = GenerationParams.from_dict(config["params"])
        melody_id = config.get("melody_track_id")
        melody_audio = self.library.audio(melody_id) if melody_id else None
        return self._generate_rows([params], melody_audio, melody_id, config["engine"], list(track.tags),
                                   track.derivation, track.parent_id, progress, cancel)[0]

    def extend(self, track: Track | str, seconds: float = 20.0, *, prompt: str | None = None,
               context: float = 12.0, crossfade: float = 0.1, seed: int | None = None, engine: str | None = None,
               progress: Progress | None = None, cancel=None, **sliders) -> Track:
        """Continue a track past the model's window: each step continues the last `context` seconds
        (12 s, as audiocraft) and is cross-faded onto what came before."""
        track = self.library.get(track)
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0.5 <= seconds <= 600:
            raise ParameterError(f"seconds to extend must be in 0.5..600, got {seconds!r}")
        audio = self.library.audio(track)
        base = _base_params(track).replace(prompt=track.prompt if prompt is None else prompt,
                                           seed=self._seed(seed if seed is not None else track.seed), **_sliders(sliders))
        gen, choice = self._generator(engine or track.engine)
        context = min(context, gen.max_duration / 2)
        step_max = gen.max_duration - context
        steps, remaining, out = [], float(seconds), audio.resample(gen.sample_rate)
        total = int(-(-seconds // step_max))
        for k in range(total):
            raise_if_cancelled(cancel)
            step = min(remaining, step_max)
            ctx = out.slice(max(0.0, out.duration - context), out.duration - crossfade)
            row = base.replace(duration=step + crossfade, seed=(base.seed + k) % MAX_SEED)
            new = gen.generate([row], prompt_audio=ctx, cancel=cancel)[0].with_channels(out.channels)
            lags = range(0, int(editor.MAX_LAG * gen.sample_rate) + 1)
            joined, _ = crossfade_join(out.samples, new.samples, int(crossfade * gen.sample_rate), lags)
            out = Audio(joined, gen.sample_rate)
            remaining -= step
            steps.append(row.to_dict())
            report(progress, k + 1, total)
        config = self._snapshot(gen, choice, base, extend={"seconds": seconds, "context": context, "steps": steps})
        return self.library.add(out, prompt=base.prompt, seed=base.seed, config=config, parent=track,
                                derivation="extend", tags=list(track.tags), engine=choice.name,
                                model=getattr(gen, "model_id", None))

    # ----------------------------------------------------------------- edits
    def inpaint(self, track: Track | str, start: float, end: float, *, prompt: str | None = None,
                seed: int | None = None, engine: str | None = None, candidates: int = 3, crossfade: float = 0.1,
                progress: Progress | None = None, cancel=None, **sliders) -> Track:
        """Regenerate [start, end] of a track; the best-joining of `candidates` is kept (seam score stored)."""
        track = self.library.get(track)
        region = Region(start, end)
        if isinstance(candidates, bool) or not isinstance(candidates, int) or not 1 <= candidates <= 16:
            raise ParameterError(f"candidates must be a whole number in 1..16, got {candidates!r}")
        audio = self.library.audio(track)
        region.check_within(audio.duration, min_length=crossfade)
        params = _base_params(track).replace(prompt=track.prompt if prompt is None else prompt,
                                             seed=self._seed(seed), **_sliders(sliders))
        name = engine or (track.engine if track.engine in registry.inpainter_names() else self.engine)
        choice = self.choose_engine(name) if name in registry.generator_names() else Choice(name, "chosen by the user")
        inpainter = registry.inpainter(choice.name, self.device)
        grid = _grid(audio, params.structure) if params.structure > 0 else None
        result = editor.inpaint(audio, region, inpainter, params, candidates=candidates, crossfade=crossfade,
                                grid=grid, progress=progress, cancel=cancel)
        raise_if_cancelled(cancel)
        config = self._snapshot(inpainter, choice, params, requested_region=[region.start, region.end],
                                crossfade=result.crossfade, seam_scores=result.seam_scores, chosen=result.chosen,
                                candidates=candidates)
        return self.library.add(result.audio, prompt=params.prompt, seed=params.seed + result.chosen,
                                config=config, parent=track, derivation="inpaint", region=result.region,
                                tags=list(track.tags), engine=choice.name, model=getattr(inpainter, "model_id", None))

    def delete_region(self, track: Track | str, start: float, end: float, *, crossfade: float = 0.1,
                      structure: float = 0.0) -> Track:
        """Cut [start, end] out and crossfade the joint (snapped to the beat grid when structure > 0)."""
        track, audio, region = self._edit_input(track, start, end, structure)
        out = editor.delete_region(audio, region, crossfade)
        return self._record_edit(track, out, "delete", region, {"crossfade": crossfade, "structure": structure})

    def loop_region(self, track: Track | str, start: float, end: float, times: int = 2, *,
                    crossfade: float = 0.02, structure: float = 0.0) -> Track:
        """Repeat [start, end] so it plays `times` times in a row, joints crossfaded."""
        track, audio, region = self._edit_input(track, start, end, structure)
        out = editor.loop_region(audio, region, times, crossfade)
        return self._record_edit(track, out, "loop", region,
                                 {"times": times, "crossfade": crossfade, "structure": structure})

    def _edit_input(self, track, start, end, structure):
        track = self.library.get(track)
        region = Region(start, end)
        GenerationParams(structure=structure)  # the slider's own range check
        audio = self.library.audio(track)
        region.check_within(audio.duration)
        if structure > 0:
            region = region.snap(_grid(audio, structure)).check_within(audio.duration)
        return track, audio, region

    def _record_edit(self, track: Track, audio: Audio, derivation: str, region: Region, settings: dict) -> Track:
        return self.library.add(audio, prompt=track.prompt, seed=track.seed, parent=track, derivation=derivation,
                                region=region, tags=list(track.tags), engine=track.engine, model=track.model,
                                config={"edit": derivation, **settings, "versions": versions()})

    def remix(self, track: Track | str, prompt: str = "", n: int = 3, *, seed: int | None = None,
              engine: str | None = None, progress: Progress | None = None, cancel=None, **sliders) -> list[Track]:
        """Variations of a whole track, conditioned on its melody (chroma), or VampNet vamps of it."""
        track = self.library.get(track)
        audio = self.library.audio(track)
        if audio.peak() < 1e-4:
            raise InvalidInput(f"track {track.id} is silent (peak {audio.peak():.1e}): a remix has nothing to follow")
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_BATCH:
            raise ParameterError(f"n must be a whole number in 1..{MAX_BATCH}, got {n!r}")
        base = GenerationParams(prompt=prompt or track.prompt, seed=self._seed(seed), **_sliders(sliders))
        name = engine or self.engine
        if name in ("vampnet", "vampnet-tiny"):
            return self._vamp(track, audio, base, n, name, progress, cancel)
        gen, choice = self._generator(name, melody=True)
        duration = min(audio.duration, gen.max_duration)
        rows = [base.replace(duration=duration, seed=base.seed + i) for i in range(n)]
        return self._generate_rows(rows, audio, track.id, choice.name, list(track.tags), "remix", track.id,
                                   progress, cancel)

    def _vamp(self, track, audio, base, n, name, progress, cancel) -> list[Track]:
        vampnet = registry.inpainter(name, self.device)
        outs = vampnet.vamp(audio, base, n=n, progress=progress, cancel=cancel)
        raise_if_cancelled(cancel)
        choice = Choice(name, "chosen by the user")
        return [self.library.add(out, prompt=base.prompt, seed=base.seed + i, parent=track, derivation="remix",
                                 config=self._snapshot(vampnet, choice, base.replace(seed=base.seed + i)),
                                 tags=list(track.tags), engine=name, model=getattr(vampnet, "model_id", None))
                for i, out in enumerate(outs)]

    # ----------------------------------------------------------------- sweeps
    def sweep(self, prompt: str = "", *, melody: Audio | Track | str | None = None, seeds=(0,),
              duration: float = 8.0, engine: str | None = None, executor=None, tags=None,
              progress: Progress | None = None, cancel=None, **settings):
        """Render a grid: every setting given as a list is an axis, seeds repeat each cell.

        `executor` is any concurrent.futures.Executor (a Dask client's `get_executor()` for a cluster);
        only this process writes to the library. An unfinished sweep with the same definition resumes.
        """
        from .sweeps import run_sweep
        return run_sweep(self, prompt, melody=melody, seeds=seeds, duration=duration, engine=engine,
                         executor=executor, tags=tags, progress=progress, cancel=cancel, **settings)

    def load_sweep(self, sweep_id: str):
        from .sweeps import SweepResult
        return SweepResult.load(self.library, sweep_id)

    # ----------------------------------------------------------------- upscaling and jobs
    def upscale(self, track: Track | str, sample_rate: int = 48000, *, method: str | None = None) -> Job:
        """Upscale in the background; returns a Job at once. The new track is written only when done."""
        track = self.library.get(track)
        if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or not 8000 <= sample_rate <= 192000:
            raise ParameterError(f"sample_rate must be a whole number of Hz in 8000..192000, got {sample_rate!r}")
        if sample_rate <= track.sample_rate:
            raise ParameterError(f"upscaling needs a target above the track's {track.sample_rate} Hz, "
                                 f"got {sample_rate} Hz (use Audio.resample to go down)")
        choice = registry.choose_upscaler(method or self.upscaler)
        return self._runner.submit(f"upscale {track.id} to {sample_rate} Hz", self._upscale, track, sample_rate,
                                   choice)

    def _upscale(self, track: Track, sample_rate: int, choice: Choice, *, progress=None, cancel=None) -> Track:
        upscaler = registry.upscaler(choice.name, self.device)
        audio = self.library.audio(track)
        out = upscaler.upscale(audio, sample_rate, progress=progress, cancel=cancel)
        raise_if_cancelled(cancel)
        described = upscaler.describe() if hasattr(upscaler, "describe") else {"upscaler": choice.name}
        config = {"upscaler": described, "method": choice.name, "reason": choice.reason,
                  "source_sample_rate": track.sample_rate, "sample_rate": sample_rate, "versions": versions()}
        return self.library.add(out, prompt=track.prompt, seed=track.seed, parent=track, derivation="upscale",
                                config=config, tags=list(track.tags), engine=track.engine, model=track.model)

    def submit(self, operation: str, *args, **kwargs) -> Job:
        """Run a Studio operation ("generate", "inpaint", "remix", "extend", "regenerate") in the background."""
        background = {"generate", "inpaint", "remix", "extend", "regenerate", "sweep", "delete_region",
                      "loop_region"}
        if operation not in background:
            raise InvalidInput(f"cannot run {operation!r} in the background; choose one of {sorted(background)}")
        method = getattr(self, operation)
        if operation in ("delete_region", "loop_region"):
            return self._runner.submit(operation, lambda *a, progress=None, cancel=None, **k: method(*a, **k),
                                       *args, **kwargs)
        return self._runner.submit(operation, method, *args, **kwargs)

    def jobs(self) -> list[Job]:
        return self._runner.jobs()


def _base_params(track: Track) -> GenerationParams:
    stored = track.config.get("params") if isinstance(track.config, dict) else None
    try:
        return GenerationParams.from_dict(stored) if stored else GenerationParams(prompt=track.prompt[:2000])
    except ParameterError:
        return GenerationParams()


def _grid(audio: Audio, structure: float) -> list[float]:
    """Beats (bars above 0.5) to snap edits to; empty (no snapping) when no beat is found."""
    grid = analysis.beat_grid(audio)
    if not grid.found:
        return []
    return list(grid.bars if structure > 0.5 else grid.beats)
