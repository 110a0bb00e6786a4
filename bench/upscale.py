"""AudioSR upscaling speed: the random-initialised OFFICIAL-size model vs plain soxr resampling.

Prints a markdown table: wall seconds per second of audio and peak memory, both upscalers measured
in the same run on the same input. Random weights run at the real speed (same shapes and FLOPs).

    python bench/upscale.py                      # CPU: 10 s of audio, 50 and 10 steps (slow)
    python bench/upscale.py --quick              # CPU: 2 s of audio, 2 steps (a few minutes)
    python bench/upscale.py --device cuda --half --batch-windows 4
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.audio import Audio  # noqa: E402
from workbench.engines.audiosr.config import official_config, tiny_config  # noqa: E402
from workbench.engines.audiosr.upscaler import AudioSRUpscaler  # noqa: E402


def test_signal(seconds: float, rate: int = 32000) -> Audio:
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * rate)) / rate
    music = sum(0.2 / k * np.sin(2 * np.pi * 220 * k * t) for k in range(1, 6))
    return Audio(music + 0.01 * rng.standard_normal(len(t)), rate)


def peak_memory_gb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 1e9
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # KiB on Linux -> GB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or mps")
    parser.add_argument("--quick", action="store_true", help="2 s of audio and 2 steps")
    parser.add_argument("--half", action="store_true", help="half-precision UNet (CUDA)")
    parser.add_argument("--batch-windows", type=int, default=1, help="windows per UNet batch")
    parser.add_argument("--seconds", type=float, default=None, help="audio length (default 10, quick 2)")
    parser.add_argument("--steps", type=int, nargs="+", default=None, help="DDIM steps (default 50 10)")
    parser.add_argument("--tiny", action="store_true", help="the tiny model instead (plumbing check only)")
    args = parser.parse_args()

    seconds = args.seconds or (2.0 if args.quick else 10.0)
    step_list = args.steps or ([2] if args.quick else [50, 10])
    device = torch.device(args.device)
    config = tiny_config() if args.tiny else official_config("basic")
    audio = test_signal(seconds)
    print(f"# AudioSR upscaling, {config.name} with random weights, {seconds:g} s of 32 kHz audio -> 48 kHz")
    print(f"device {device}, half {args.half}, batch windows {args.batch_windows}, torch threads "
          f"{torch.get_num_threads()}, mode {'quick' if args.quick else 'full'}\n")

    started = time.perf_counter()
    upscaler = AudioSRUpscaler.from_config(config, device=device, half=args.half, batch_windows=args.batch_windows)
    build_s = time.perf_counter() - started
    params = sum(p.numel() for p in upscaler.model.parameters()) / 1e9

    rows = []
    started = time.perf_counter()
    audio.resample(48000)
    rows.append(("resample (soxr VHQ)", "-", time.perf_counter() - started))
    for steps in step_list:
        if device.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        upscaler.with_settings(steps=steps).upscale(audio, 48000)
        if device.type == "cuda":
            torch.cuda.synchronize()
        rows.append((f"audiosr ({params:.2f} B params)", str(steps), time.perf_counter() - started))

    print("| upscaler | steps | wall s | wall s per audio s | vs resample |")
    print("|---|---|---|---|---|")
    base = rows[0][2]
    for name, steps, wall in rows:
        print(f"| {name} | {steps} | {wall:.3f} | {wall / seconds:.4f} | {wall / base:,.0f}x |")
    print(f"\nmodel build {build_s:.1f} s; peak memory {peak_memory_gb(device):.2f} GB "
          f"({'GPU allocated' if device.type == 'cuda' else 'process max RSS'})")


if __name__ == "__main__":
    main()
