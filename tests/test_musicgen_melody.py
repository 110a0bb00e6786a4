"""MusicGen-melody: Melody Loyalty's two identities against plain transformers generate() (greedy), rows equal
single calls, and our chroma against librosa's."""

from __future__ import annotations

from types import SimpleNamespace
from unittest.mock import patch

import librosa
import numpy as np
import pytest
import torch

from workbench.audio import Audio
from workbench.engines.musicgen import MusicGenEngine, load_musicgen
from workbench.engines.musicgen_chroma import CHROMA_HOP, CHROMA_N_FFT, melody_chroma
from workbench.errors import InvalidInput
from workbench.params import GenerationParams as P

SR = 32000


def reference_codes(model, frames: int, **generate_kwargs) -> torch.Tensor:
    """Row 0's codes from plain transformers generate(), run 3 frames longer as the engine does, cut."""
    seen = []
    decode = model.audio_encoder.decode

    def spy(codes, *args, **kwargs):
        seen.append(codes)
        return decode(codes, *args, **kwargs)

    with patch.object(model.audio_encoder, "decode", spy):
        model.generate(**generate_kwargs, do_sample=False, max_new_tokens=frames + 6)
    return seen[0][0, 0][:, -frames - 3:-3]


def tune(freqs, seconds_each=0.5, sr=SR, amplitude=0.5):
    t = np.arange(int(sr * seconds_each)) / sr
    return np.concatenate([amplitude * np.sin(2 * np.pi * f * t) for f in freqs])



@pytest.fixture(scope="module")
def engine() -> MusicGenEngine:
    return load_musicgen("musicgen-tiny-melody", device="cpu")


@pytest.fixture(scope="module")
def melody() -> Audio:
    return Audio(tune([261.63, 329.63, 392.0, 523.25]), SR)  # C E G C, 2 s


def test_loyalty_zero_is_exactly_the_text_only_guided_output(engine, melody):
    tokens = engine.tokenizer(["lofi piano"], return_tensors="pt")
    reference = reference_codes(engine.model, 25, **tokens, guidance_scale=3.0)
    greedy = P("lofi piano", duration=0.5, seed=1, top_k=1, genre_shift=3.0, loyalty=0.0)
    assert torch.equal(engine.generate_codes([greedy], melody=melody)[0], reference)
    assert torch.equal(engine.generate_codes([greedy])[0], reference)  # no melody at all: the same


def test_loyalty_one_is_exactly_musicgen_melody_standard_output(engine, melody):
    tokens = engine.tokenizer(["lofi piano"], return_tensors="pt")
    chroma = melody_chroma(melody)[None]
    reference = reference_codes(engine.model, 25, **tokens, input_features=chroma, guidance_scale=3.0)
    greedy = P("lofi piano", duration=0.5, seed=1, top_k=1, genre_shift=3.0, loyalty=1.0)
    ours = engine.generate_codes([greedy], melody=melody)[0]
    assert torch.equal(ours, reference)
    # ...and the melody does change the output, so the two identities are not the same statement.
    assert not torch.equal(ours, engine.generate_codes([greedy.replace(loyalty=0.0)], melody=melody)[0])


def test_melody_rows_equal_single_calls(engine, melody):
    rows = [P("lofi piano", duration=1.0, seed=4, loyalty=1.0),
            P("lofi piano", duration=0.5, seed=5, loyalty=0.4, weirdness=0.6, genre_shift=5.0),
            P("lofi piano", duration=0.5, seed=4, loyalty=0.0, genre_shift=1.0)]
    batched = engine.generate_codes(rows, melody=melody)
    for row, codes in zip(rows, batched, strict=True):
        assert torch.equal(engine.generate_codes([row], melody=melody)[0], codes), row
    audio = engine.generate(rows[1:2], melody=SimpleNamespace(audio=melody))  # a Track-like holder works
    assert audio[0].num_samples == 16000


def test_chroma_matches_librosa_and_pitch_classes():
    rng = np.random.default_rng(3)
    pitches = rng.integers(48, 84, size=8)
    x = tune(librosa.midi_to_hz(pitches), seconds_each=0.4) + 0.01 * rng.normal(size=int(SR * 3.2))
    ours = melody_chroma(Audio(x, SR)).argmax(-1).numpy()
    power = np.abs(librosa.stft(x.astype(np.float32), n_fft=CHROMA_N_FFT, hop_length=CHROMA_HOP,
                                window="hann", center=True, pad_mode="reflect")) ** 2
    reference = librosa.feature.chroma_stft(S=power, sr=SR, n_fft=CHROMA_N_FFT, tuning=0).argmax(0)
    np.testing.assert_array_equal(ours, reference)
    assert ours.shape == (1 + len(x) // CHROMA_HOP,)

    c_e_g_a = melody_chroma(Audio(tune([261.63, 329.63, 392.0, 440.0], seconds_each=0.75), SR))
    assert sorted(set(c_e_g_a.argmax(-1).tolist())) == [0, 4, 7, 9]
    assert torch.equal(c_e_g_a.sum(-1), torch.ones(c_e_g_a.shape[0]))  # one-hot per frame


def test_chroma_takes_any_rate_channels_and_short_audio():
    a440 = tune([440.0], seconds_each=1.0, sr=44100)
    stereo = melody_chroma(Audio(np.stack([a440, a440]), 44100))
    assert set(stereo.argmax(-1).tolist()) == {9}
    short = melody_chroma(Audio(tune([440.0], seconds_each=0.1), SR))  # shorter than n_fft: zero-padded
    assert short.shape[1] == 12 and set(short.argmax(-1).tolist()) == {9}
    with pytest.raises(InvalidInput, match="melody must be"):
        melody_chroma(np.zeros(100))
