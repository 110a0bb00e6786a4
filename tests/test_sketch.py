"""The offline sketch engine: deterministic, musical, and every slider has a measurable effect."""

import threading

import numpy as np
import pytest

from workbench import analysis
from workbench.audio import Audio
from workbench.engines.base import Generator, Inpainter
from workbench.engines.sketch import SketchEngine, read_prompt
from workbench.errors import Cancelled, InvalidInput, ParameterError, RegionError
from workbench.params import GenerationParams
from workbench.regions import Region

ENGINE = SketchEngine()
SEEDS = (0, 1, 2)


def one(melody=None, prompt_audio=None, **settings):
    settings = {"prompt": "pop with synth lead", "duration": 6.0, "seed": 0, **settings}
    return ENGINE.generate([GenerationParams(**settings)], melody=melody, prompt_audio=prompt_audio)[0]


def mean_over_seeds(measure, **settings):
    return float(np.mean([measure(one(seed=s, **settings)) for s in SEEDS]))


@pytest.fixture(scope="module")
def melody():
    """A melody the engine did not write: a sine line over a pentatonic in E, 0.4 s a note."""
    steps = np.random.default_rng(5).choice([0, 3, 5, 7, 10, 12], 15)
    t = np.arange(int(0.4 * 32000)) / 32000
    notes = [0.4 * np.sin(2 * np.pi * 329.63 * 2 ** (k / 12) * t) * np.minimum(1, t / 0.01) for k in steps]
    return Audio(np.concatenate(notes), 32000)


def test_implements_the_engine_protocols_and_says_what_it_is():
    assert isinstance(ENGINE, Generator) and isinstance(ENGINE, Inpainter)
    assert (ENGINE.name, ENGINE.model_id, ENGINE.sample_rate) == ("sketch", "workbench/sketch-v1", 32000)
    assert ENGINE.describe()["label"] == "the offline sketch engine"


def test_same_seed_same_audio_and_musical_output():
    a, b, c = one(), one(), one(seed=1)
    assert a.sample_rate == 32000 and a.channels == 1 and a.num_samples == 6 * 32000
    assert np.array_equal(a.samples, b.samples) and not np.array_equal(a.samples, c.samples)
    assert a.peak() <= 0.98 and a.loudness() == pytest.approx(-16.0, abs=1.0)
    assert analysis.spectral_flatness(a) < 0.05  # tones, not noise
    assert 0.5 < analysis.pitch_entropy(a) < 3.5  # a key, not all twelve pitch classes alike


def test_batch_rows_equal_single_calls(melody):
    rows = [GenerationParams(prompt="lofi piano", duration=4.0, seed=7, loyalty=0.5),
            GenerationParams(prompt="techno 130 bpm", duration=3.0, seed=8, weirdness=1.4, structure=1.0)]
    calls = []
    batch = ENGINE.generate(rows, melody=melody, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]
    for row, audio in zip(rows, batch, strict=True):
        assert np.array_equal(audio.samples, ENGINE.generate([row], melody=melody)[0].samples)


def test_prompt_words_set_tempo_key_mood_and_instruments():
    assert read_prompt("lofi hip hop, mellow piano")["tempo"] == 78
    assert read_prompt("dark techno")["tempo"] == 132 and read_prompt("dark techno")["mode"] == "minor"
    assert read_prompt("chill lofi at 120 BPM")["tempo"] == 120.0  # a number wins over the words
    assert read_prompt("ballad in Eb major")["tonic"] == 3 and read_prompt("ballad in Eb major")["mode"] == "major"
    assert read_prompt("ambient pad")["style"] == "none"
    assert read_prompt("piano and drums")["instruments"] == {"lead": "piano", "drums": ""}
    assert read_prompt("something")["tempo"] is None
    with pytest.raises(ParameterError, match="999 BPM"):
        read_prompt("999 bpm")
    plan = ENGINE.plan(GenerationParams(prompt="techno 128 bpm", seed=1))
    assert plan.tempo_bpm == 128.0 and "prompt" in plan.reasons[0]


def test_generated_tempo_is_the_prompts():
    audio = one(prompt="rock 120 bpm", duration=8.0, structure=1.0)
    tempo = analysis.beat_grid(audio).tempo_bpm
    assert min(abs(tempo - 120), abs(tempo - 240), abs(tempo - 60)) < 3


def test_loyalty_raises_chroma_similarity_to_the_melody(melody):
    def similarity(audio):
        return analysis.chroma_similarity(audio, melody)
    scores = [mean_over_seeds(similarity, melody=melody, loyalty=x) for x in (0.0, 0.5, 1.0)]
    assert scores[0] < scores[1] < scores[2] and scores[2] > 0.4, scores


def test_loyalty_zero_ignores_the_melody(melody):
    assert np.array_equal(one(melody=melody, loyalty=0.0).samples, one(loyalty=0.0).samples)


def test_structure_raises_beat_alignment():
    scores = [mean_over_seeds(analysis.beat_alignment, structure=x) for x in (0.0, 0.5, 1.0)]
    assert scores[0] < scores[1] < scores[2] and scores[2] > 0.75, scores


def test_weirdness_raises_pitch_entropy_and_flatness():
    tame, wild = (dict(weirdness=w) for w in (0.1, 1.5))
    assert mean_over_seeds(analysis.pitch_entropy, **tame) + 0.4 < mean_over_seeds(analysis.pitch_entropy, **wild)
    assert mean_over_seeds(analysis.spectral_flatness, **tame) < mean_over_seeds(analysis.spectral_flatness, **wild)


def test_continuation_follows_the_audio_until_genre_shift_pulls_to_the_prompt():
    context = one(prompt="rock 100 bpm", duration=8.0, structure=1.0, seed=3)
    heard = analysis.beat_grid(context).tempo_bpm
    plans = {g: ENGINE.plan(GenerationParams(prompt="techno 150 bpm", seed=4, genre_shift=g), prompt_audio=context)
             for g in (0.0, 3.0, 6.5, 10.0)}
    assert plans[0.0].tempo_bpm == plans[3.0].tempo_bpm == pytest.approx(heard, rel=0.01)
    assert heard < plans[6.5].tempo_bpm < 150 and plans[10.0].tempo_bpm == pytest.approx(150)
    key = analysis.estimate_key(context)
    assert (plans[0.0].tonic, plans[0.0].mode) == (key.tonic, key.mode)
    follow = one(prompt="pop 150 bpm", duration=8.0, structure=1.0, genre_shift=0.0, prompt_audio=context)
    assert analysis.beat_grid(follow).tempo_bpm == pytest.approx(heard, rel=0.03)
    assert follow.loudness() == pytest.approx(context.loudness(), abs=1.0)


def test_genre_shift_brings_out_the_named_instrument():
    # the bass is the named part: its low band gains level against the rest as genre_shift rises
    def low_share(audio):
        spectrum = np.abs(np.fft.rfft(audio.samples[0])) ** 2
        return spectrum[: int(150 * audio.duration)].sum() / spectrum.sum()
    assert low_share(one(prompt="bass", genre_shift=0.0)) < low_share(one(prompt="bass", genre_shift=10.0))


def test_inpaint_returns_full_length_candidates_with_new_material_only_in_the_region():
    original = one(prompt="rock 100 bpm", duration=8.0).resample(44_100).to_stereo()
    region, handle = Region(3.0, 5.0), 0.1
    params = GenerationParams(prompt="drum fill", seed=1)
    candidates = ENGINE.inpaint(original, region, params, candidates=3, handle=handle)
    assert len(candidates) == 3
    i0, i1 = (original.seconds_to_samples(x) for x in (region.start - handle, region.end + handle))
    for c in candidates:
        assert (c.sample_rate, c.channels, c.num_samples) == (44_100, 2, original.num_samples)
        assert np.array_equal(c.samples[:, :i0], original.samples[:, :i0])
        assert np.array_equal(c.samples[:, i1:], original.samples[:, i1:])
        assert not np.allclose(c.samples[:, i0:i1], original.samples[:, i0:i1])
    assert not np.array_equal(candidates[0].samples, candidates[1].samples)
    again = ENGINE.inpaint(original, region, params, candidates=1, handle=handle)[0]
    assert np.array_equal(again.samples, candidates[0].samples)


def test_bad_input_raises_clear_errors():
    row = GenerationParams(prompt="x", duration=4.0, seed=1)
    with pytest.raises(ParameterError, match="30 s"):
        ENGINE.generate([row.replace(duration=31.0)])
    with pytest.raises(ParameterError, match="seed"):
        ENGINE.generate([row.replace(seed=None)])
    with pytest.raises(InvalidInput, match="melody must be an Audio"):
        ENGINE.generate([row], melody=np.zeros(32000))
    with pytest.raises(InvalidInput, match="non-empty"):
        ENGINE.generate([])
    audio = one(duration=4.0)
    with pytest.raises(RegionError, match="past the audio"):
        ENGINE.inpaint(audio, Region(3.0, 5.0), row)
    with pytest.raises(ParameterError, match="candidates"):
        ENGINE.inpaint(audio, Region(1.0, 2.0), row, candidates=0)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        ENGINE.generate([row], cancel=cancel)
