import numpy as np
import pytest
from signals import sine

from workbench import Audio, InvalidInput, Region, RegionError
from workbench.engineering import delete_region, loop_region, stitch_audio
from workbench.engineering.stitch import PEAK_LIMIT, fade_gains

SR = 32000


def max_step(audio: Audio) -> float:
    return float(np.abs(np.diff(audio.samples, axis=1)).max())


def noise(duration, amplitude=0.3, seed=0):
    rng = np.random.default_rng(seed)
    return Audio(rng.uniform(-amplitude, amplitude, int(duration * SR)).astype(np.float32), SR)


def test_fade_law_follows_correlation():
    out, into = fade_gains(100, 1.0)
    np.testing.assert_allclose(out + into, 1.0, atol=1e-6)  # equal gain for correlated sides
    out, into = fade_gains(100, 0.0)
    np.testing.assert_allclose(out**2 + into**2, 1.0, atol=1e-6)  # equal power for uncorrelated sides


def test_a_continuing_sine_does_not_click():
    x = sine(220, duration=3.0, sample_rate=SR)
    s, e, n, lag = SR, 2 * SR, 3200, 160
    middle = x.slice_samples(s - n, e + n + lag)
    out = stitch_audio(x.slice_samples(0, s), middle, x.slice_samples(e, x.num_samples), 0.1,
                       length=x.num_samples)
    assert out.num_samples == x.num_samples
    np.testing.assert_allclose(out.samples, x.samples, atol=1e-4)
    assert max_step(out) <= max_step(x) * 1.01


def test_a_shifted_sine_is_realigned():
    x = sine(220, duration=2.0, sample_rate=SR)
    shifted = sine(220, duration=2.0, sample_rate=SR, phase=-2 * np.pi * 220 * 60 / SR)  # 60 samples late
    out = stitch_audio(x.slice(0, 1.0), shifted.slice(0.9, 2.0), None, 0.1)
    assert max_step(out) <= max_step(x) * 1.05


def test_level_jump_is_smoothed_and_matched():
    loud, quiet = sine(330, 2.0, SR, amplitude=0.5), sine(330, 2.0, SR, amplitude=0.15)
    out = stitch_audio(loud.slice(0, 1.0), quiet.slice(0.9, 2.0), None, 0.1)
    tail = out.slice(out.duration - 0.5, out.duration)
    assert abs(tail.loudness() - loud.loudness()) < 1.0  # the patch took the level of its surroundings
    raw = stitch_audio(loud.slice(0, 1.0), quiet.slice(0.9, 2.0), None, 0.1, match_loudness=False)
    assert max_step(raw) < 0.5 * 2 * np.pi * 330 / SR * 1.1  # no jump larger than the loud sine's own slope


def test_outside_samples_are_bit_identical_and_no_clipping():
    a, c = noise(1.0, 0.9, 1), noise(1.0, 0.9, 2)
    hot = noise(1.0 + 0.2 + 0.005, 1.0, 3).gain(12)  # far too loud, would clip
    out = stitch_audio(a, hot, c, 0.1, match_loudness=False, length=int(3.0 * SR))
    n = int(0.1 * SR)
    np.testing.assert_array_equal(out.samples[:, : a.num_samples - n], a.samples[:, :-n])
    assert np.abs(out.samples).max() <= PEAK_LIMIT + 1e-6
    tail = c.num_samples - n - 160
    np.testing.assert_array_equal(out.samples[:, -tail:], c.samples[:, -tail:])


def test_stitch_errors_name_the_problem():
    with pytest.raises(InvalidInput, match="different sample rates"):
        stitch_audio(noise(1), noise(1).resample(16000), None)
    with pytest.raises(InvalidInput, match="crossfade needs"):
        stitch_audio(noise(0.05), noise(1), None, 0.1)
    with pytest.raises(InvalidInput, match="handle"):
        stitch_audio(noise(1), noise(0.1), noise(1), 0.1)


def test_delete_region_length_and_seam():
    x = sine(220, duration=4.0, sample_rate=SR)
    out = delete_region(x, Region(1.0, 2.5))
    assert abs(out.duration - 2.5) <= 0.006
    assert max_step(out) <= max_step(x) * 1.05
    np.testing.assert_array_equal(out.samples[:, : SR - 1600], x.samples[:, : SR - 1600])
    assert delete_region(x, Region(0, 1.0)).duration == pytest.approx(3.0)
    with pytest.raises(RegionError, match="whole"):
        delete_region(x, Region(0, 4.0))
    with pytest.raises(RegionError, match="at least"):
        delete_region(x, Region(1.0, 1.05))


def test_loop_region_repeats_exactly():
    x = noise(3.0, 0.3)
    out = loop_region(x, Region(1.0, 1.5), times=4)
    assert out.num_samples == x.num_samples + 3 * SR // 2
    np.testing.assert_array_equal(out.samples[:, : SR], x.samples[:, : SR])
    np.testing.assert_array_equal(out.samples[:, -SR:], x.samples[:, -SR:])
    with pytest.raises(RegionError, match="times"):
        loop_region(x, Region(1.0, 1.5), times=1)
