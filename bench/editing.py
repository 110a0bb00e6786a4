"""Cost of stitching and of an in-paint, relative to the generation they wrap (CPU).

    python bench/editing.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, median_time, parser, table  # noqa: E402

from workbench import Audio, GenerationParams, Region, stitch_audio  # noqa: E402
from workbench.engineering import editor  # noqa: E402
from workbench.engines import registry  # noqa: E402


def inpaint_rows(engine: str, repeat: int) -> list[list]:
    gen = registry.generator(engine)
    inpainter = registry.inpainter(engine)
    audio = gen.generate([GenerationParams(prompt="lofi piano", duration=min(20.0, gen.max_duration), seed=1)])[0]
    cut = Region(4.0, 7.0)
    params = GenerationParams(prompt="drum fill", seed=2)
    t_gen = median_time(lambda: gen.generate([params.replace(duration=cut.length + 0.21)]), repeat)
    rows = []
    for k in (1, 3):
        t_inp = median_time(lambda k=k: editor.inpaint(audio, cut, inpainter, params, candidates=k), repeat)
        rows.append([f"{engine}: in-paint 3 s, {k} candidate(s)", f"{t_inp:.3f} s",
                     "generate the same 3 s once", f"{t_gen:.3f} s", f"{t_inp / t_gen:.2f}x"])
    return rows


def main() -> None:
    args = parser(__doc__).parse_args()
    repeat = 3 if args.quick else 5
    rows = []
    rng = np.random.default_rng(0)
    track = Audio(rng.uniform(-0.3, 0.3, (2, 32000 * 30)).astype(np.float32), 32000)
    n = int(0.1 * 32000)
    middle = track.slice_samples(320000 - n, 480000 + n + 160)
    t_stitch = median_time(lambda: stitch_audio(track.slice(0, 10), middle, track.slice(15, 30), 0.1,
                                                length=track.num_samples), repeat)
    t_concat = median_time(lambda: Audio.concat([track.slice(0, 10), track.slice(10, 15), track.slice(15, 30)]),
                           repeat)
    rows.append(["stitch 5 s into 30 s stereo (2 joints)", f"{t_stitch * 1000:.1f} ms",
                 "plain concat", f"{t_concat * 1000:.1f} ms", f"{t_stitch / t_concat:.1f}x"])
    for engine in ("sketch", "musicgen-tiny"):
        rows += inpaint_rows(engine, repeat)
    print(table(f"Editing cost ({machine()})", ["operation", "time", "baseline", "baseline time", "ratio"], rows))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory():
        main()
