"""VampNet in-painting speed at the official model sizes (random weights run at the real speed).

In-paints a 5 s region in the middle of a 10 s window (2.5 s of context each side) and prints wall
seconds per second of audio. Official sizes: coarse 20 layers x 1280 (4 codebooks), c2f 16 layers
x 1280 (14 codebooks, 4 conditioning), LAC codec 64/1536, hop 768 (conf/vampnet.yml, conf/c2f.yml;
the codec's are inferred, see the fixtures' MANIFEST). Default steps: coarse 36, c2f 2.

    .venv/bin/python bench/vampnet.py                 # CPU: --quick is implied (4 coarse steps)
    .venv/bin/python bench/vampnet.py --device cuda --half
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.audio import Audio  # noqa: E402
from workbench.engines.vampnet.codec import LAC, CodecConfig  # noqa: E402
from workbench.engines.vampnet.inpainter import VampNetInpainter  # noqa: E402
from workbench.engines.vampnet.layers.transformer import VampNetConfig, VampNetTransformer  # noqa: E402
from workbench.params import GenerationParams  # noqa: E402
from workbench.regions import Region  # noqa: E402

COARSE = VampNetConfig(n_heads=20, n_layers=20, n_codebooks=4, n_conditioning_codebooks=0, embedding_dim=1280)
C2F = VampNetConfig(n_heads=20, n_layers=16, n_codebooks=14, n_conditioning_codebooks=4, embedding_dim=1280)


def build(device: str, half: bool, coarse_steps: int, c2f_steps: int) -> VampNetInpainter:
    torch.manual_seed(0)
    with torch.device(device):
        codec, coarse, c2f = LAC(CodecConfig()), VampNetTransformer(COARSE), VampNetTransformer(C2F)
    return VampNetInpainter(codec, coarse, c2f, name="vampnet-bench", model_id="random init, official sizes",
                            coarse_steps=coarse_steps, c2f_steps=c2f_steps, device=device,
                            dtype=torch.float16 if half else torch.float32)


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--half", action="store_true", help="float16 transformers (codec stays float32)")
    ap.add_argument("--quick", action="store_true", help="4 coarse steps instead of 36 (default on CPU)")
    ap.add_argument("--full", action="store_true", help="default step counts even on CPU (slow)")
    args = ap.parse_args()
    quick = args.quick or (args.device == "cpu" and not args.full)
    coarse_steps = 4 if quick else 36
    torch.set_grad_enabled(False)
    t0 = time.perf_counter()
    engine = build(args.device, args.half, coarse_steps, 2)
    build_s = time.perf_counter() - t0

    sr = 44100
    t = np.arange(10 * sr) / sr
    audio = Audio(0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 2 * t)), sr)
    params = GenerationParams(seed=0)
    times = {}
    real_generate = engine.coarse.forward

    def timed_forward(*a, **k):
        sync(args.device)
        s = time.perf_counter()
        out = real_generate(*a, **k)
        sync(args.device)
        times["coarse_forward"] = times.get("coarse_forward", 0.0) + time.perf_counter() - s
        times["coarse_calls"] = times.get("coarse_calls", 0) + 1
        return out

    if args.device.startswith("cuda"):  # warm-up: kernels, allocator, cuDNN choices (not timed)
        engine.coarse_steps = 2
        engine.inpaint(audio.slice(0, 4.0), Region(1.0, 3.0), params, handle=0.0)
        engine.coarse_steps = coarse_steps
    engine.coarse.forward = timed_forward
    # the in-painter takes 3 s of context; a 5 s region at 2.5..7.5 s therefore uses the whole 10 s window
    sync(args.device)
    s = time.perf_counter()
    engine.inpaint(audio, Region(2.5, 7.5), params, handle=0.0)
    sync(args.device)
    wall = time.perf_counter() - s
    per_step = times["coarse_forward"] / times["coarse_calls"]
    chunks = times["coarse_calls"] // coarse_steps
    estimate = wall + per_step * chunks * (36 - coarse_steps)
    dtype = "float16" if args.half else "float32"
    print(f"\nVampNet in-painting, official sizes, random weights, device={args.device}, {dtype}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads; model build {build_s:.1f} s\n")
    print("| what | coarse steps | c2f steps | wall s | wall s per s of audio (10 s window) |")
    print("|---|---|---|---|---|")
    print(f"| measured | {coarse_steps} | 2 | {wall:.1f} | {wall / 10:.2f} |")
    if coarse_steps != 36:
        print(f"| estimated at defaults (measured + {36 - coarse_steps} x {per_step:.2f} s per coarse step) | 36 | 2 | "
              f"{estimate:.1f} | {estimate / 10:.2f} |")
    print(f"\ncoarse forward: {per_step * 1000:.0f} ms per step ({times['coarse_calls']} calls)")


if __name__ == "__main__":
    main()
