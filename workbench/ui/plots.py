"""Matplotlib figures of audio: waveform, spectrogram, chroma, and before/after views of an edit.

Every function returns a `matplotlib.figure.Figure` built without pyplot: no global figure state,
no GUI backend needed (works under Agg, in served dashboards and in tests), and nothing leaks when a
notebook draws hundreds of figures. Jupyter displays a returned Figure; `fig.savefig(path)` writes it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..audio import Audio
from ..errors import InvalidInput
from ..regions import Region

__all__ = ["waveform", "spectrogram", "chroma", "before_after", "REGION_COLOR"]

REGION_COLOR = "#3b6fd8"
_PITCHES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
_MAX_COLUMNS = 2_000  # time columns of a spectrogram/chroma image: more than a figure can show


def waveform(audio: Audio, *, region: Region | tuple | None = None, title: str | None = None,
             ax: Axes | None = None, width: float = 10.0, height: float = 2.5) -> Figure:
    """Min/max envelope per channel (fast for long audio), the region shaded."""
    fig, ax = _figure_and_axes(ax, width, height)
    _draw_waveform(ax, _check_audio(audio), region)
    _title(ax, title, audio)
    return fig


def spectrogram(audio: Audio, *, region: Region | tuple | None = None, title: str | None = None,
                ax: Axes | None = None, n_fft: int = 2048, max_hz: float | None = None,
                width: float = 10.0, height: float = 3.5) -> Figure:
    """Log-magnitude spectrogram (dB, mono mix) up to `max_hz` (default Nyquist), the region outlined."""
    fig, ax = _figure_and_axes(ax, width, height)
    audio = _check_audio(audio)
    power_db, times, freqs = _stft_db(audio.to_mono().samples[0], audio.sample_rate, n_fft)
    top = audio.sample_rate / 2 if max_hz is None else min(float(max_hz), audio.sample_rate / 2)
    keep = freqs <= top
    image = ax.imshow(power_db[keep], origin="lower", aspect="auto", cmap="magma",
                      extent=(0.0, audio.duration, 0.0, freqs[keep][-1]), vmin=power_db.max() - 90)
    fig.colorbar(image, ax=ax, label="dB", pad=0.01)
    ax.set_ylabel("Hz")
    ax.set_xlabel("time (s)")
    _outline_region(ax, region, audio.duration)
    _title(ax, title, audio)
    return fig


def chroma(audio: Audio, *, region: Region | tuple | None = None, title: str | None = None,
           ax: Axes | None = None, width: float = 10.0, height: float = 2.5) -> Figure:
    """12-bin chromagram (librosa's STFT chroma, mono), the region outlined."""
    import librosa  # imported here: loading librosa takes a second and only this figure needs it

    fig, ax = _figure_and_axes(ax, width, height)
    audio = _check_audio(audio)
    mono = audio.to_mono().samples[0]
    hop = max(512, int(2 ** np.ceil(np.log2(max(1, mono.size // _MAX_COLUMNS)))))
    n_fft = max(2048, hop)
    if mono.size < n_fft:
        mono = np.pad(mono, (0, n_fft - mono.size))
    # tuning=0: librosa's tuning estimate (piptrack, a numba gufunc) segfaults on this machine
    values = librosa.feature.chroma_stft(y=mono, sr=audio.sample_rate, n_fft=n_fft, hop_length=hop, tuning=0.0)
    ax.imshow(values, origin="lower", aspect="auto", cmap="Blues", vmin=0.0, vmax=1.0,
              extent=(0.0, audio.duration, -0.5, 11.5), interpolation="nearest")
    ax.set_yticks(range(12), _PITCHES)
    ax.set_xlabel("time (s)")
    _outline_region(ax, region, audio.duration)
    _title(ax, title, audio)
    return fig


def before_after(before: Audio, after: Audio, region: Region | tuple, *,
                 after_region: Region | tuple | str | None = "same", kind: str = "waveform",
                 title: str | None = None, width: float = 10.0) -> Figure:
    """Two rows, before above after, on one time axis, with the edited region highlighted.

    `after_region` is where the edit sits in the result: "same" (the default: an in-paint keeps the
    timing), None (a delete: a line marks where the region was), or a span (a loop: the repeats).
    `kind` is "waveform" or "spectrogram".
    """
    if kind not in ("waveform", "spectrogram"):
        raise InvalidInput(f"kind must be 'waveform' or 'spectrogram', got {kind!r}")
    before, after = _check_audio(before), _check_audio(after)
    region = _as_region(region)
    region.check_within(before.duration)
    if isinstance(after_region, str):
        if after_region != "same":
            raise InvalidInput(f"after_region is 'same', None or (start, end), got {after_region!r}")
        after_region = region
    shown_after = None if after_region is None else _as_region(after_region).check_within(after.duration)
    fig = Figure(figsize=(width, 5.0 if kind == "waveform" else 6.5), layout="constrained")
    axes = fig.subplots(2, 1, sharex=True)
    for ax, audio, span, label in ((axes[0], before, region, "before"), (axes[1], after, shown_after, "after")):
        if kind == "waveform":
            _draw_waveform(ax, audio, span)
        else:
            power_db, _, freqs = _stft_db(audio.to_mono().samples[0], audio.sample_rate, 2048)
            ax.imshow(power_db, origin="lower", aspect="auto", cmap="magma", vmin=power_db.max() - 90,
                      extent=(0.0, audio.duration, 0.0, freqs[-1]))
            ax.set_ylabel("Hz")
            _outline_region(ax, span, audio.duration)
        if span is None:
            ax.axvline(region.start, color=REGION_COLOR, lw=2)
        ax.set_title(f"{label}: {audio.duration:.2f} s", loc="left", fontsize=9)
    axes[1].set_xlim(0.0, max(before.duration, after.duration))
    axes[1].set_xlabel("time (s)")
    fig.suptitle(title or f"edit of {region}")
    return fig


# --------------------------------------------------------------------- helpers
def _check_audio(audio) -> Audio:
    if not isinstance(audio, Audio):
        raise InvalidInput(f"expected an Audio, got {type(audio).__name__}")
    return audio


def _as_region(region) -> Region:
    if isinstance(region, Region):
        return region
    try:
        start, end = region
    except (TypeError, ValueError):
        raise InvalidInput(f"a region is a Region or (start, end) seconds, got {region!r}") from None
    return Region(start, end)


def _figure_and_axes(ax: Axes | None, width: float, height: float) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _draw_waveform(ax: Axes, audio: Audio, region) -> None:
    buckets = int(min(4_000, audio.num_samples))
    bounds = audio.peaks(buckets)  # (channels, buckets, 2)
    times = (np.arange(buckets) + 0.5) * audio.duration / buckets
    colors = ["#4a5f8f", "#8a5f4a"]
    for channel in range(audio.channels):
        offset = 0.0 if audio.channels == 1 else (1.0 - 2.0 * channel)
        ax.fill_between(times, bounds[channel, :, 0] + offset, bounds[channel, :, 1] + offset,
                        color=colors[channel], linewidth=0.3, label=("L", "R")[channel] if audio.channels > 1 else None)
    ax.set_xlim(0.0, audio.duration)
    limit = 2.05 if audio.channels > 1 else 1.05  # stereo: left above, right below
    ax.set_ylim(-limit, limit)
    ax.set_yticks([])
    ax.set_xlabel("time (s)")
    if region is not None:
        span = _as_region(region)
        ax.axvspan(span.start, span.end, color=REGION_COLOR, alpha=0.25, lw=0)


def _outline_region(ax: Axes, region, duration: float) -> None:
    if region is None:
        return
    span = _as_region(region)
    for edge in (span.start, min(span.end, duration)):
        ax.axvline(edge, color="#7fb3ff", lw=1.5)
    ax.axvspan(span.start, min(span.end, duration), color="#7fb3ff", alpha=0.12, lw=0)


def _stft_db(mono: np.ndarray, sample_rate: int, n_fft: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Power in dB (freq, time) with a hop chosen so long audio yields at most ~_MAX_COLUMNS columns."""
    if n_fft < 64 or n_fft & (n_fft - 1):
        raise InvalidInput(f"n_fft must be a power of two >= 64, got {n_fft}")
    hop = max(n_fft // 4, int(np.ceil(mono.size / _MAX_COLUMNS)))
    if mono.size < n_fft:
        mono = np.pad(mono, (0, n_fft - mono.size))
    frames = 1 + (mono.size - n_fft) // hop
    index = np.arange(n_fft)[None, :] + hop * np.arange(frames)[:, None]
    spectrum = np.fft.rfft(mono[index] * np.hanning(n_fft).astype(np.float32), axis=1)
    power_db = 10.0 * np.log10(np.abs(spectrum.T) ** 2 + 1e-10)
    times = (np.arange(frames) * hop + n_fft / 2) / sample_rate
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    return power_db, times, freqs


def _title(ax: Axes, title: str | None, audio: Audio) -> None:
    ax.set_title(title or f"{audio.channels} ch, {audio.duration:.2f} s @ {audio.sample_rate} Hz",
                 loc="left", fontsize=9)
