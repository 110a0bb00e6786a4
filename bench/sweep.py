"""Sweep throughput: the cells of a loyalty x weirdness grid rendered as batched rows of one model call
vs one model call per cell, on the tiny MusicGen, the sketch engine and (with --device cuda) a
random-initialised model of musicgen-small's real size.

    python bench/sweep.py [--quick] [--device cuda]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, parser, table  # noqa: E402

from workbench import GenerationParams  # noqa: E402
from workbench.engines import registry  # noqa: E402


def grid_rows(duration: float, melody: bool) -> list[GenerationParams]:
    loyalties = [0.0, 0.5, 1.0] if melody else [1.0]
    weirdness = [0.3, 0.7, 1.1, 1.5]
    return [GenerationParams(prompt="lofi piano", duration=duration, seed=i, loyalty=lo, weirdness=w)
            for i, (lo, w) in enumerate((lo, w) for lo in loyalties for w in weirdness)]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(engine, rows, melody) -> tuple[float, float]:
    engine.generate([rows[0], rows[-1]], melody=melody)  # warm-up every code path (JIT, caches)
    batched = timed(lambda: engine.generate(rows, melody=melody))
    per_cell = timed(lambda: [engine.generate([r], melody=melody) for r in rows])
    return batched, per_cell


def full_size_small(device: str):
    import torch

    from workbench.engines.musicgen import MusicGenEngine
    from workbench.engines.musicgen_loading import build_random, build_tiny_tokenizer, real_size_config
    dtype = torch.float16 if device == "cuda" else torch.float32
    model = build_random(real_size_config("small"), seed=0, device=torch.device(device), dtype=dtype)
    return MusicGenEngine(model, build_tiny_tokenizer(), name="musicgen-small (random init)",
                          model_id="random-init:musicgen-small", is_music=False)


def main() -> None:
    args = parser(__doc__).parse_args()
    duration = 1.0 if args.quick else 2.0
    melody_engine = registry.generator("sketch")
    melody = melody_engine.generate([GenerationParams(prompt="piano melody", duration=duration, seed=9)])[0]
    cases = [("sketch", registry.generator("sketch"), True),
             ("musicgen-tiny-melody", registry.generator("musicgen-tiny-melody"), True)]
    if args.device == "cuda":
        cases.append(("musicgen-small size, random init, fp16", full_size_small("cuda"), False))
    out = []
    for name, engine, with_melody in cases:
        rows = grid_rows(duration, with_melody)
        batched, per_cell = measure(engine, rows, melody if with_melody else None)
        audio_s = len(rows) * duration
        out.append([name, len(rows), f"{audio_s / batched:.2f}", f"{audio_s / per_cell:.2f}",
                    f"{per_cell / batched:.2f}x"])
    print(table(f"Sweep of {duration:g} s cells: batched rows vs one call per cell ({machine()}, {args.device})",
                ["engine", "cells", "audio s/s batched", "audio s/s per cell", "speed-up"], out))


if __name__ == "__main__":
    main()
