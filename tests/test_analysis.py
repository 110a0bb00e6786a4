"""The analysis module on synthetic signals whose right answers are known."""

import math

import numpy as np
import pytest

from workbench import analysis
from workbench.analysis import BeatGrid
from workbench.audio import Audio
from workbench.errors import InvalidInput

SR = 32_000


def tone(freq, seconds=4.0, amp=0.5, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    return Audio(amp * np.sin(2 * np.pi * freq * t), sr)


def clicks(bpm, seconds=8.0, times=None, sr=SR):
    """A click (a 5 ms decaying 1 kHz blip) on every beat, or at the given times."""
    y = np.zeros(int(seconds * sr))
    blip = np.exp(-np.arange(400) / 60) * np.sin(2 * np.pi * 1000 * np.arange(400) / sr)
    for t in np.arange(0, seconds, 60 / bpm) if times is None else times:
        i = int(t * sr)
        n = min(blip.size, y.size - i)
        y[i:i + n] += blip[:n]
    return Audio(y, sr)


def silence(seconds=2.0, sr=SR):
    return Audio(np.zeros(int(seconds * sr)), sr)


@pytest.mark.parametrize("bpm", [100, 128])
def test_click_track_gives_its_tempo_and_beats(bpm):
    grid = analysis.beat_grid(clicks(bpm))
    assert grid.found and grid.tempo_bpm == pytest.approx(bpm, rel=0.01)
    assert np.median(np.diff(grid.beats)) == pytest.approx(60 / bpm, rel=0.03)
    assert set(grid.downbeats) <= set(grid.beats) and grid.bars == grid.downbeats
    assert np.diff(grid.downbeats) == pytest.approx(4 * 60 / bpm, rel=0.03)


def test_beat_grid_of_silence_and_short_audio_is_empty():
    for audio in (silence(), clicks(120, seconds=0.5)):
        grid = analysis.beat_grid(audio)
        assert not grid.found and grid.tempo_bpm == 0.0 and grid.beats == ()
        assert grid.subdivide(4).size == 0
        assert math.isnan(analysis.beat_alignment(audio))


def test_regular_grid_and_subdivision():
    grid = BeatGrid.regular(120, duration=4.0, offset=0.25)
    assert grid.beats[:3] == (0.25, 0.75, 1.25) and grid.downbeats[:2] == (0.25, 2.25)
    sub = grid.subdivide(4)
    assert sub[0] == pytest.approx(0.25 - 0.5) and np.allclose(np.diff(sub), 0.125)
    with pytest.raises(InvalidInput, match="tempo"):
        BeatGrid.regular(0, 4.0)
    with pytest.raises(InvalidInput, match="subdivision"):
        grid.subdivide(0)


def test_beat_alignment_rewards_onsets_on_the_grid():
    grid = BeatGrid.regular(120, 8.0)
    on_grid = analysis.beat_alignment(clicks(120), grid)
    random_times = np.random.default_rng(0).uniform(0, 7.9, 30)
    off_grid = analysis.beat_alignment(clicks(120, times=random_times), grid)
    assert on_grid > 0.85 and off_grid < 0.65
    assert analysis.beat_alignment(clicks(120)) > 0.85  # with the detected grid
    with pytest.raises(InvalidInput, match="BeatGrid"):
        analysis.beat_alignment(clicks(120), grid=[0.0, 0.5])


def test_chroma_is_one_hot_and_names_the_pitch_class():
    frames = analysis.chroma(tone(440.0))  # A4
    assert frames.shape[1] == 12 and np.all(frames.sum(axis=1) == 1)
    assert np.all(frames.argmax(axis=1) == 9)
    assert np.all(analysis.chroma(silence()) == 0)  # silence has no pitch class


def test_chroma_similarity_identity_mismatch_lengths_and_silence():
    a4, c5 = tone(440.0), tone(523.25)
    assert analysis.chroma_similarity(a4, a4) == pytest.approx(1.0)
    assert analysis.chroma_similarity(a4, c5) == pytest.approx(0.0)
    assert analysis.chroma_similarity(tone(440.0, 8.0), tone(220.0, 3.0)) == pytest.approx(1.0)  # overlap
    assert analysis.chroma_similarity(silence(4.0), a4) == pytest.approx(0.0)
    assert math.isnan(analysis.chroma_similarity(silence(), silence()))
    other_rate = tone(440.0, sr=44_100)
    assert analysis.chroma_similarity(other_rate.to_stereo(), a4) == pytest.approx(1.0)
    with pytest.raises(InvalidInput, match="melody must be an Audio"):
        analysis.chroma_similarity(a4, np.zeros(100))


def test_log_spectral_distance():
    noise = Audio(np.random.default_rng(1).standard_normal(SR * 2) * 0.1, SR)
    assert analysis.log_spectral_distance(noise, noise) == 0.0
    dulled = Audio(np.convolve(noise.samples[0], np.ones(8) / 8, mode="same"), SR)  # a low-pass
    assert analysis.log_spectral_distance(noise, dulled) > 1.0
    assert analysis.log_spectral_distance(noise, noise.gain(-0.1)) < analysis.log_spectral_distance(noise, dulled)
    with pytest.raises(InvalidInput, match="44100 Hz"):
        analysis.log_spectral_distance(noise, noise.resample(44_100))


def test_seam_score_prefers_a_clean_joint():
    t = np.arange(4 * SR) / SR
    sine = 0.5 * np.sin(2 * np.pi * 440 * t)
    clean = analysis.seam_score(Audio(sine, SR), at=2.03)
    jump = analysis.seam_score(Audio(np.where(t < 2.03, 1.0, 0.2) * sine, SR), at=2.03)
    click = analysis.seam_score(Audio(0.5 * np.sin(2 * np.pi * 440 * t + np.where(t < 2.03, 0, np.pi)), SR),
                                at=2.03)
    assert clean < 0.2 and jump > clean + 1.0 and click > clean + 1.0
    parts = analysis.seam_components(Audio(sine, SR), at=2.03)
    assert set(parts) == {"level_db", "spectral_db", "chroma", "click"} and parts["level_db"] < 0.1
    a, b = Audio(sine[: 2 * SR], SR), Audio(sine[2 * SR:], SR)  # two pieces = one audio cut at the joint
    assert analysis.seam_score(a, b) == pytest.approx(analysis.seam_score(Audio(sine, SR), at=2.0))


def test_seam_score_rejects_impossible_joints():
    sine = tone(440.0)
    with pytest.raises(InvalidInput, match="inside the audio"):
        analysis.seam_score(sine, at=5.0)
    with pytest.raises(InvalidInput, match="not both"):
        analysis.seam_score(sine, sine, at=1.0)
    with pytest.raises(InvalidInput, match="window"):
        analysis.seam_score(sine, at=1.0, window=0.0)


def test_timbre_measures():
    noise = Audio(np.random.default_rng(2).standard_normal(SR) * 0.2, SR)
    assert analysis.spectral_flatness(noise) > 0.3 > 0.01 > analysis.spectral_flatness(tone(1000.0))
    assert analysis.spectral_centroid(tone(1000.0)) == pytest.approx(1000.0, rel=0.05)
    assert analysis.pitch_entropy(tone(440.0)) == 0.0
    scale = Audio.concat([tone(440 * 2 ** (k / 12), 0.5) for k in range(12)])
    assert analysis.pitch_entropy(scale) > 3.0
    assert analysis.loudness_lufs(tone(1000.0, amp=0.1)) < analysis.loudness_lufs(tone(1000.0, amp=0.5))


def test_key_estimate():
    def cadence(root_hz, steps, third):  # the scale, then a long tonic triad
        notes = [tone(root_hz * 2 ** (k / 12), 0.3) for k in steps]
        chord = Audio(sum(tone(root_hz * 2 ** (k / 12), 2.0).samples for k in (0, third, 7)) / 3, SR)
        return Audio.concat([*notes, chord])
    major = cadence(261.63, (0, 2, 4, 5, 7, 9, 11, 12), 4)  # C major
    assert analysis.estimate_key(major) == analysis.Key(0, "major")
    assert analysis.estimate_key(cadence(220.0, (0, 2, 3, 5, 7, 8, 10, 12), 3)).name == "A minor"
    assert analysis.estimate_key(silence()) is None


def test_metrics_report_everything_that_applies():
    audio = clicks(120, seconds=4.0)
    base = analysis.metrics(audio)
    assert set(base) == {"duration_s", "loudness_lufs", "spectral_flatness", "spectral_centroid_hz",
                         "pitch_entropy_bits", "tempo_bpm", "beat_alignment"}
    full = analysis.metrics(audio, melody=audio, reference=audio)
    assert full["chroma_similarity"] == pytest.approx(1.0) and full["lsd"] == 0.0
    quiet = analysis.metrics(silence())  # silence is measurable, never an exception
    assert quiet["loudness_lufs"] == -math.inf and math.isnan(quiet["beat_alignment"])
    with pytest.raises(InvalidInput, match="audio must be an Audio"):
        analysis.metrics("song.wav")
