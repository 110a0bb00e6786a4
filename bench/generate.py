"""MusicGen generation benchmark: the workbench engine against transformers' own generate(), side by side.

Part 1 (always, tiny random model on the CPU):
  - overhead: engine.generate() (row-wise sampler, per-row EnCodec decode) / transformers generate()
    (do_sample, guidance 3, top-k 250) for the same audio length, batch 1;
  - batching: one generate() call with n rows / n sequential calls (time ratio, lower is better).
Part 2 (--model-size small|medium|large): a random-initialised model of the real size (official
  architecture numbers, no download) on --device: seconds of audio per wall second at batch 1 and --batch,
  for transformers' own generate() and the engine with a dynamic cache (eager), a static cache and a
  static cache with transformers' automatic torch.compile (CUDA only).

    .venv/bin/python bench/generate.py --quick                                  # CPU, part 1, ~1 min
    .venv/bin/python bench/generate.py --device cpu --model-size small --quick  # + part 2 on CPU, short
    .venv/bin/python bench/generate.py --device cuda --model-size small         # the GPU run
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.engines.musicgen import MusicGenEngine, load_musicgen  # noqa: E402
from workbench.engines.musicgen_loading import build_random, build_tiny_tokenizer, real_size_config  # noqa: E402
from workbench.params import GenerationParams  # noqa: E402

PROMPT = "lofi hip hop, mellow piano, 90 bpm"


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device: torch.device) -> float:
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def raw_generate(engine: MusicGenEngine, batch: int, duration: float):
    """transformers' own sampling path for the same number of decoding steps as the engine runs."""
    tokens = engine.tokenizer([PROMPT] * batch, return_tensors="pt").to(engine.device)
    delay = engine.num_codebooks // engine.channels - 1
    steps = round(duration * engine.frame_rate) + 2 * delay
    return lambda: engine.model.generate(**tokens, do_sample=True, guidance_scale=3.0, top_k=250,
                                         max_new_tokens=steps)


def engine_generate(engine: MusicGenEngine, batch: int, duration: float):
    rows = [GenerationParams(PROMPT, duration=duration, seed=i) for i in range(batch)]
    return lambda: engine.generate(rows)


def median_interleaved(fns: dict, repeats: int, device: torch.device) -> dict:
    """Run each candidate once to warm up, then `repeats` rounds in turn; median seconds per candidate."""
    for fn in fns.values():
        fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(timed(fn, device))
    return {name: statistics.median(ts) for name, ts in times.items()}


def part_tiny(args) -> None:
    cpu = torch.device("cpu")
    engine = load_musicgen("musicgen-tiny", device="cpu")
    duration, n = (1.0, 4) if args.quick else (2.0, 8)
    repeats = 3 if args.quick else 5
    single_rows = [GenerationParams(PROMPT, duration=duration, seed=i) for i in range(n)]
    fns = {
        "transformers generate(), batch 1": raw_generate(engine, 1, duration),
        "engine.generate(), batch 1": engine_generate(engine, 1, duration),
        f"engine.generate(), {n} rows in one call": engine_generate(engine, n, duration),
        f"engine.generate(), {n} sequential calls": lambda: [engine.generate([r]) for r in single_rows],
    }
    t = median_interleaved(fns, repeats, cpu)
    names = list(t)
    print(f"\n### Tiny model on CPU ({torch.get_num_threads()} thread(s), {duration:g} s of audio per row, "
          f"median of {repeats})\n")
    print("| measurement | seconds | ratio |")
    print("|---|---:|---:|")
    print(f"| {names[0]} | {t[names[0]]:.3f} | 1.00 |")
    print(f"| {names[1]} | {t[names[1]]:.3f} | overhead {t[names[1]] / t[names[0]]:.2f}x |")
    print(f"| {names[3]} | {t[names[3]]:.3f} | 1.00 |")
    print(f"| {names[2]} | {t[names[2]]:.3f} | batched/sequential {t[names[2]] / t[names[3]]:.2f} |")


def part_real(args, device: torch.device) -> None:
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    start = time.perf_counter()
    model = build_random(real_size_config(args.model_size), seed=0, device=device, dtype=dtype)
    engine = MusicGenEngine(model, build_tiny_tokenizer(), name=f"random-{args.model_size}",
                            model_id=f"random-init:{args.model_size}", is_music=False)
    params = sum(p.numel() for p in model.decoder.parameters()) / 1e6
    print(f"\n### Random-initialised musicgen-{args.model_size} ({params:.0f}M decoder parameters), {device}, "
          f"{str(dtype).removeprefix('torch.')}, built in {time.perf_counter() - start:.1f} s\n")
    duration = (0.5 if device.type == "cpu" else 2.0) if args.quick else 10.0
    batches = [1, 2 if args.quick and device.type == "cpu" else args.batch]
    variants = {"transformers generate() (dynamic cache)": None, "engine, dynamic cache (eager)": {}}
    variants["engine, static cache, no compile"] = {"cache_implementation": "static", "disable_compile": True}
    if device.type == "cuda":
        variants["engine, static cache + torch.compile"] = {"cache_implementation": "static"}
    print(f"{duration:g} s of audio per row; audio seconds per wall second (higher is better):\n")
    print("| variant | " + " | ".join(f"batch {b}" for b in batches) + " |")
    print("|---|" + "---:|" * len(batches))
    for name, overrides in variants.items():
        cells = []
        for batch in batches:
            try:
                if overrides is None:
                    fn = raw_generate(engine, batch, duration)
                else:
                    engine.generation_overrides = overrides
                    fn = engine_generate(engine, batch, duration)
                if device.type != "cpu":
                    fn()  # warm-up (and compilation); the CPU has nothing to warm and little time
                seconds = min(timed(fn, device) for _ in range(1 if args.quick else 2))
                cells.append(f"{batch * duration / seconds:.2f}x ({seconds:.2f} s)")
            except Exception as error:  # one failing variant must not hide the others' figures
                cells.append(f"failed: {type(error).__name__}: {str(error)[:80]}")
            finally:
                engine.generation_overrides = {}
                if device.type == "cuda":
                    torch.cuda.empty_cache()
        print(f"| {name} | " + " | ".join(cells) + " |")
    if device.type == "cuda":
        print(f"\npeak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB; "
              f"{torch.cuda.get_device_name(device)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (part 2)")
    parser.add_argument("--model-size", choices=["small", "medium", "large"],
                        help="run part 2 at this size (default: small when --device is not cpu)")
    parser.add_argument("--batch", type=int, default=16, help="the large batch of part 2 (default 16)")
    parser.add_argument("--quick", action="store_true", help="shorter audio and fewer repeats")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for torch (default 1: a shared machine makes more threads spin)")
    parser.add_argument("--skip-tiny", action="store_true", help="skip part 1")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# bench/generate.py  torch {torch.__version__}  quick={args.quick}")
    if not args.skip_tiny:
        part_tiny(args)
    if args.model_size is None and args.device != "cpu":
        args.model_size = "small"  # bench/run_all.py passes only --device
    if args.model_size:
        device = torch.device(args.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise SystemExit("--device cuda asked for, but CUDA is not available here")
        part_real(args, device)


if __name__ == "__main__":
    main()
