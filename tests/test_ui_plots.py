"""Matplotlib figures: they render headless (Agg), span the audio's duration and mark the region."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from workbench.audio import Audio
from workbench.errors import InvalidInput, RegionError
from workbench.regions import Region
from workbench.ui import plots

RATE = 16_000


def sweep(seconds=2.0, channels=2) -> Audio:
    t = np.arange(int(seconds * RATE)) / RATE
    x = 0.5 * np.sin(2 * np.pi * (200 + 400 * t) * t)
    return Audio(np.stack([x, -x]) if channels == 2 else x, RATE)


def png_bytes(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def shaded_spans(ax) -> list[tuple[float, float]]:
    """x extents of the axvspan patches (rectangles spanning the axes' height)."""
    spans = []
    for patch in ax.patches:
        x0, x1 = sorted(patch.get_path().transformed(patch.get_patch_transform()).vertices[:, 0][[0, 2]])
        spans.append((round(float(x0), 3), round(float(x1), 3)))
    return spans


def test_figures_need_no_pyplot_and_render_with_agg():
    code = ("import sys; import workbench.ui.plots as p, numpy as n; from workbench.audio import Audio; "
            "f = p.waveform(Audio(n.zeros(800), 8000)); f.savefig(sys.stdout.buffer, format='png'); "
            "assert 'matplotlib.pyplot' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, env={**os.environ, "MPLBACKEND": "agg"})
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout[:4] == b"\x89PNG"
    assert isinstance(plots.waveform(sweep()), Figure)


def test_waveform_draws_each_channel_and_shades_the_region():
    fig = plots.waveform(sweep(), region=Region(0.5, 1.25), title="mix")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "mix"
    assert len(ax.collections) == 2  # one envelope per channel
    assert ax.get_xlim() == pytest.approx((0.0, 2.0))
    assert shaded_spans(ax) == [(0.5, 1.25)]


def test_spectrogram_covers_duration_and_frequency_range():
    fig = plots.spectrogram(sweep(channels=1), region=(0.25, 0.75), max_hz=4_000)
    image = next(a for a in fig.axes[0].get_children() if isinstance(a, AxesImage))
    x0, x1, y0, y1 = image.get_extent()
    assert (x0, x1) == pytest.approx((0.0, 2.0)) and y0 == 0.0 and 3_900 <= y1 <= 4_000
    # the sweep rises over time: the loudest bin of the last columns is higher than of the first ones
    data = image.get_array()
    assert data[:, -5:].mean(axis=1).argmax() > data[:, :5].mean(axis=1).argmax()
    assert png_bytes(fig)


def test_spectrogram_of_a_long_track_stays_small():
    long = Audio(np.zeros((1, RATE * 600), np.float32) + 0.01, RATE)
    fig = plots.spectrogram(long)
    image = next(a for a in fig.axes[0].get_children() if isinstance(a, AxesImage))
    assert image.get_array().shape[1] <= 2_100


def test_chroma_finds_the_pitch_class():
    a440 = Audio(0.5 * np.sin(2 * np.pi * 440 * np.arange(RATE * 2) / RATE), RATE)
    fig = plots.chroma(a440, region=(0.5, 1.0))
    ax = fig.axes[0]
    image = next(a for a in ax.get_children() if isinstance(a, AxesImage))
    assert image.get_array().mean(axis=1).argmax() == 9  # A
    assert [t.get_text() for t in ax.get_yticklabels()][9] == "A"


def test_before_after_highlights_the_edit():
    before = sweep(3.0)
    after = Audio.concat([before.slice(0.0, 1.0), before.slice(2.0, 3.0)])  # a delete of 1-2 s
    fig = plots.before_after(before, after, Region(1.0, 2.0), after_region=None)
    looped = plots.before_after(before, Audio.concat([before, before.slice(1.0, 2.0)]), (1.0, 2.0),
                                after_region=(1.0, 3.0))
    assert shaded_spans(looped.axes[1]) == [(1.0, 3.0)]
    top, bottom = fig.axes
    assert shaded_spans(top) == [(1.0, 2.0)]
    assert shaded_spans(bottom) == []  # the region is gone after a delete: a line marks where it was
    assert any(line.get_xdata()[0] == 1.0 for line in bottom.lines)
    assert bottom.get_xlim() == pytest.approx((0.0, 3.0))
    inpaint = plots.before_after(before, before, (1.0, 2.0), kind="spectrogram")
    assert len(inpaint.axes) == 2 and png_bytes(inpaint)


def test_bad_input_is_refused_clearly():
    with pytest.raises(InvalidInput, match="Audio"):
        plots.waveform(np.zeros(100))
    with pytest.raises(InvalidInput, match="kind"):
        plots.before_after(sweep(), sweep(), (0.0, 1.0), kind="3d")
    with pytest.raises(RegionError, match="past the audio"):
        plots.before_after(sweep(), sweep(), (1.0, 5.0))
    with pytest.raises(InvalidInput, match="n_fft"):
        plots.spectrogram(sweep(), n_fft=1000)
