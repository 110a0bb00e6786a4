"""AudioSRUpscaler on the tiny random model: protocol, windows, lengths, loudness, progress, cancel."""

import threading

import numpy as np
import pytest

from workbench.audio import Audio
from workbench.engines.audiosr.upscaler import AudioSRSettings, AudioSRUpscaler
from workbench.engines.base import Upscaler
from workbench.errors import Cancelled, ParameterError

FAST = {"steps": 1, "window_seconds": 0.64, "overlap_seconds": 0.16}


def chord(seconds=1.5, rate=16000, channels=1):
    t = np.arange(int(seconds * rate)) / rate
    left = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 1320 * t)
    rows = [left, 0.2 * np.sin(2 * np.pi * 330 * t)][:channels]
    return Audio(np.stack(rows), rate)


@pytest.fixture(scope="module")
def upscaler():
    return AudioSRUpscaler.tiny(seed=0, **FAST)


@pytest.fixture(scope="module")
def result(upscaler):
    events = []
    out = upscaler.upscale(chord(), 48000, progress=lambda done, total: events.append((done, total)))
    return out, events


def test_is_an_upscaler_and_labelled_tiny(upscaler):
    assert isinstance(upscaler, Upscaler)
    assert upscaler.name == "audiosr-tiny" and upscaler.adds_high_frequencies
    info = upscaler.describe()
    assert "not a real upscaling" in info["warning"]
    assert info["settings"]["steps"] == 1 and info["settings"]["eta"] == 1.0


def test_any_length_exact_duration_and_matched_loudness(result):
    out, _ = result
    audio = chord()
    assert out.sample_rate == 48000 and out.channels == 1
    assert out.num_samples == round(audio.duration * 48000)
    assert out.loudness() == pytest.approx(audio.loudness(), abs=0.5)
    assert 0 < out.peak() <= 1.0


def test_progress_counts_every_step_of_every_window(result):
    _, events = result
    # 1.5 s in 0.64 s windows overlapping by 0.16 s: 3 windows x 1 step.
    assert events == [(1, 3), (2, 3), (3, 3)]


def test_batched_windows_give_the_same_result(upscaler, result):
    out, _ = result
    batched = upscaler.with_settings(batch_windows=3).upscale(chord(), 48000)
    np.testing.assert_allclose(batched.samples, out.samples, atol=1e-5)


def test_stereo_keeps_both_channels_and_other_rates(upscaler):
    out = upscaler.upscale(chord(0.5, 24000, channels=2), 44100)
    assert out.channels == 2 and out.sample_rate == 44100 and out.num_samples == round(0.5 * 44100)


def test_cancel_stops_before_work(upscaler):
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        upscaler.upscale(chord(), 48000, cancel=stop)


def test_silence_stays_silent(upscaler):
    out = upscaler.upscale(Audio(np.zeros(8000), 16000), 48000)
    assert out.peak() == 0.0 and out.num_samples == 24000


@pytest.mark.parametrize("bad", [{"steps": 0}, {"eta": 1.5}, {"guidance_scale": -1.0}, {"window_seconds": 1.0},
                                 {"overlap_seconds": 0.5, "window_seconds": 0.64}, {"lowpass_filter": "box"},
                                 {"batch_windows": 0}])
def test_bad_settings_are_rejected(bad):
    with pytest.raises(ParameterError):
        AudioSRSettings(**bad)


def test_target_rate_below_input_is_rejected(upscaler):
    with pytest.raises(ParameterError, match="16000"):
        upscaler.upscale(chord(), 8000)
