"""What a 10-minute 48 kHz stereo track costs to open in the browser: peaks and compressed audio.

Side by side in one run: computing display peaks vs reading the file back, and the payload the picker
sends (Ogg preview + peaks) vs the raw float WAV it replaces.

    python bench/payload.py [--quick]     # --quick: 2 minutes of audio instead of 10
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, median_time, parser, table  # noqa: E402

from workbench import Audio  # noqa: E402
from workbench.ui.region_picker import browser_payload  # noqa: E402


def main() -> None:
    args = parser(__doc__).parse_args()
    minutes = 2 if args.quick else 10
    rng = np.random.default_rng(0)
    t = np.arange(48000 * 60 * minutes) / 48000
    music = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t))
    audio = Audio(np.stack([music, music]) + rng.normal(0, 0.02, (2, t.size)), 48000)
    with tempfile.TemporaryDirectory() as folder:
        path = audio.save(Path(folder) / "long.wav")
        raw_bytes = path.stat().st_size
        t_read = median_time(lambda: Audio.load(path), 3)
    t_peaks = median_time(lambda: audio.peaks(2000), 5)
    t_payload = median_time(lambda: browser_payload(audio), 1, warmup=0)
    payload = browser_payload(audio)
    sent = len(payload["audio_ogg"]) + len(payload["peaks"])
    rows = [
        ["peaks, 2000 buckets x 2 channels", f"{t_peaks * 1000:.0f} ms", "read the float WAV back",
         f"{t_read * 1000:.0f} ms", f"{t_peaks / t_read:.2f}x"],
        ["prepare the browser payload (Ogg + peaks)", f"{t_payload:.2f} s", "read the float WAV back",
         f"{t_read:.2f} s", f"{t_payload / t_read:.1f}x"],
        ["bytes sent to the browser", f"{sent / 1e6:.2f} MB", "raw float WAV", f"{raw_bytes / 1e6:.0f} MB",
         f"{sent / raw_bytes:.3f}x"],
    ]
    print(table(f"{minutes}-minute 48 kHz stereo track in the picker ({machine()})",
                ["what", "cost", "baseline", "baseline cost", "ratio"], rows))


if __name__ == "__main__":
    main()
