"""Parameter sweeps: render a grid of slider settings, measure every result, keep it all in the library.

Cells that share an engine and a duration run as batched rows of one model call (each row with its own
seed and sliders). Batches run on any `concurrent.futures.Executor`: none (in this process), a thread or
process pool, or a Dask cluster (`client.get_executor()`). Workers render and measure; only this
process (the driver) writes to the library. A sweep with the same definition as an unfinished one
resumes it: cells already recorded are skipped.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import analysis
from .audio import Audio
from .engines import registry
from .engines.base import Progress, raise_if_cancelled
from .errors import ParameterError
from .params import SLIDERS, GenerationParams

__all__ = ["SweepResult", "run_sweep", "render_batch", "SWEEPABLE", "MAX_CELLS"]

SWEEPABLE = (*SLIDERS, "top_k", "top_p")
MAX_CELLS = 2000
BATCH_ROWS = 16  # rows per model call


def render_batch(engine: str, device: str | None, rows: list[dict], melody: tuple[np.ndarray, int] | None
                 ) -> list[tuple[np.ndarray, int, dict]]:
    """Worker side: render rows in one call and measure each. Plain values in and out, so it pickles
    for process pools and Dask; the engine is loaded once per worker process (registry cache)."""
    gen = registry.generator(engine, device)
    melody_audio = Audio(melody[0], melody[1]) if melody is not None else None
    params = [GenerationParams.from_dict(r) for r in rows]
    audios = gen.generate(params, melody=melody_audio)
    return [(a.samples, a.sample_rate, _finite(analysis.metrics(a, melody=melody_audio))) for a in audios]


def _finite(metrics: dict[str, float]) -> dict[str, float | None]:
    return {k: (float(v) if v is not None and math.isfinite(v) else None) for k, v in metrics.items()}


def _cell_key(cell: dict) -> dict:
    return {k: cell[k] for k in sorted(cell)}


@dataclass
class SweepResult:
    """A sweep's id, definition and results, reloadable from the library (`SweepResult.load(lib, id)`)."""

    library: Any
    id: str

    @classmethod
    def load(cls, library, sweep_id: str) -> SweepResult:
        library.sweep(sweep_id)  # raises if unknown
        return cls(library, sweep_id)

    @property
    def definition(self) -> dict:
        return self.library.sweep(self.id).definition

    @property
    def axes(self) -> list[str]:
        return list(self.definition["axes"])

    @property
    def table(self):
        """One row per cell: its settings, seed, track id and metrics (a pandas DataFrame)."""
        import pandas as pd
        rows = [{**c.key, "track_id": c.track_id, **c.metrics} for c in self.library.sweep_cells(self.id)]
        frame = pd.DataFrame(rows)
        return frame.sort_values([*self.axes, "seed"]).reset_index(drop=True) if len(frame) else frame

    def pivot(self, metric: str):
        """Metric averaged over seeds, laid out by the first two swept parameters."""
        table = self.table
        if metric not in table:
            raise ParameterError(f"no metric {metric!r} in this sweep; it has {', '.join(map(str, table.columns))}")
        axes = self.axes
        if len(axes) == 1:
            return table.groupby(axes[0])[metric].mean().to_frame()
        return table.pivot_table(index=axes[0], columns=axes[1], values=metric, aggfunc="mean")

    def plot(self, metric: str = "chroma_similarity", ax=None):
        """A heatmap of `metric` over the grid (mean over seeds); returns the matplotlib Figure."""
        import matplotlib.pyplot as plt
        grid = self.pivot(metric)
        if ax is None:
            fig, ax = plt.subplots(figsize=(1.2 * grid.shape[1] + 2.5, 0.8 * grid.shape[0] + 1.8))
        else:
            fig = ax.figure
        image = ax.imshow(grid.to_numpy(dtype=float), cmap="viridis", aspect="auto", origin="lower")
        ax.set_xticks(range(grid.shape[1]), [f"{c:g}" if isinstance(c, float) else str(c) for c in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [f"{i:g}" for i in grid.index])
        ax.set_ylabel(grid.index.name)
        ax.set_xlabel(grid.columns.name or "")
        for (i, j), value in np.ndenumerate(grid.to_numpy(dtype=float)):
            if np.isfinite(value):
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", color="w", fontsize=8)
        fig.colorbar(image, ax=ax, label=metric)
        ax.set_title(f"{metric} (mean over seeds)")
        fig.tight_layout()
        return fig

    def grid(self, seed: int | None = None):
        """A widget: a grid of mini players laid out by the two swept parameters."""
        from .ui.sweep_grid import SweepGrid
        return SweepGrid(self, seed=seed)


def _expand(axes: dict[str, Sequence], seeds: Sequence[int]) -> list[dict]:
    names = list(axes)
    return [{**dict(zip(names, values, strict=True)), "seed": seed}
            for values in itertools.product(*(axes[n] for n in names)) for seed in seeds]


def _check_axes(fixed: dict[str, Any], swept: dict[str, Any]) -> dict[str, list]:
    for name in list(fixed) + list(swept):
        if name not in SWEEPABLE:
            raise ParameterError(f"cannot sweep {name!r}; sweepable settings are {', '.join(SWEEPABLE)}")
    axes = {}
    for name, values in swept.items():
        values = list(values)
        if not values:
            raise ParameterError(f"sweep axis {name!r} has no values")
        for v in values:  # validate every value against the slider's range now, not mid-sweep
            GenerationParams(**{name: v})
        axes[name] = values
    return axes


def run_sweep(studio, prompt: str, *, melody=None, seeds: Sequence[int] = (0,), duration: float = 8.0,
              engine: str | None = None, executor: Executor | None = None, tags=None,
              progress: Progress | None = None, cancel=None, **settings) -> SweepResult:
    """Render and measure every cell; see `Studio.sweep`."""
    swept = {k: v for k, v in settings.items() if isinstance(v, list | tuple | np.ndarray)}
    fixed = {k: v for k, v in settings.items() if k not in swept}
    axes = _check_axes(fixed, swept)
    seeds = [int(s) for s in seeds]
    if not seeds or not axes:
        raise ParameterError("a sweep needs at least one swept setting (a list of values) and one seed")
    cells = _expand(axes, seeds)
    if len(cells) > MAX_CELLS:
        raise ParameterError(f"a sweep of {len(cells)} cells is too large; the limit is {MAX_CELLS}")
    base = GenerationParams(prompt=prompt, duration=duration, **fixed)
    melody_audio, melody_id = studio._melody(melody)
    choice = studio.choose_engine(engine, melody=melody_audio is not None)
    definition = {"prompt": prompt, "duration": duration, "axes": axes, "seeds": seeds, "fixed": fixed,
                  "engine": choice.name, "melody_track_id": melody_id}
    library = studio.library
    sweep_id = _resumable(library, definition) or library.create_sweep(definition)
    library.set_sweep_status(sweep_id, "running")
    done_keys = {_key_text(c.key) for c in library.sweep_cells(sweep_id)}
    todo = [c for c in cells if _key_text(_cell_key(c)) not in done_keys]
    melody_payload = (melody_audio.samples, melody_audio.sample_rate) if melody_audio is not None else None
    tags = [*(tags or []), f"sweep:{sweep_id}"]
    finished = len(cells) - len(todo)
    if progress:
        progress(finished, len(cells))
    try:
        for batch, results in _run_batches(todo, base, choice.name, studio.device, melody_payload, executor):
            for cell, (samples, rate, metrics) in zip(batch, results, strict=True):
                raise_if_cancelled(cancel)
                row = base.replace(**cell)
                track = library.add(Audio(samples, rate), prompt=prompt, seed=row.seed, tags=tags,
                                    parent=melody_id, derivation="sweep", engine=choice.name,
                                    config={"engine": choice.name, "params": row.to_dict(), "sweep_id": sweep_id,
                                            "melody_track_id": melody_id})
                library.record_sweep_cell(sweep_id, _cell_key(cell), track.id, metrics)
                finished += 1
                if progress:
                    progress(finished, len(cells))
    except BaseException:
        library.set_sweep_status(sweep_id, "cancelled" if cancel is not None and cancel.is_set() else "failed")
        raise
    library.set_sweep_status(sweep_id, "done")
    return SweepResult(library, sweep_id)


def _key_text(key: dict) -> str:
    return json.dumps(key, sort_keys=True)


def _resumable(library, definition: dict) -> str | None:
    for sweep in library.sweeps():
        if sweep.status != "done" and _key_text(sweep.definition) == _key_text(definition):
            return sweep.id
    return None


def _run_batches(cells, base, engine, device, melody, executor):
    """Yield (cells, results) per batch as they finish; batches are ONE model call each."""
    batches = [cells[i : i + BATCH_ROWS] for i in range(0, len(cells), BATCH_ROWS)]
    rows = [[base.replace(**c).to_dict() for c in batch] for batch in batches]
    if executor is None:
        for batch, batch_rows in zip(batches, rows, strict=True):
            yield batch, render_batch(engine, device, batch_rows, melody)
        return
    futures: dict[Future, list] = {executor.submit(render_batch, engine, device, r, melody): b
                                   for b, r in zip(batches, rows, strict=True)}
    try:
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        for future in futures:
            future.cancel()
