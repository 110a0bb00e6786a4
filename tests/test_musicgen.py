"""MusicGen engine on the tiny text model: batched rows equal single calls, guidance and sampling placed
right (greedy equals transformers' own generate()), continuation, progress, cancel, validation."""

from __future__ import annotations

import threading
from unittest.mock import patch

import numpy as np
import pytest
import torch

from workbench.audio import Audio
from workbench.engines.base import Generator
from workbench.engines.musicgen import MusicGenEngine, load_musicgen, tempo_prompt
from workbench.engines.musicgen_loading import build_random, build_tiny_tokenizer, tiny_config
from workbench.engines.musicgen_sampling import RowSampler, RowSettings, filter_logits
from workbench.errors import Cancelled, InvalidInput, ParameterError
from workbench.params import GenerationParams as P

CPU = torch.device("cpu")


def reference_codes(model, frames: int, **generate_kwargs) -> torch.Tensor:
    """Row 0's codes from a plain transformers generate() run 3 frames longer than `frames` (what the engine
    decodes, see musicgen.py), cut to `frames`. We watch the codes generate() hands to EnCodec's decode."""
    seen = []
    decode = model.audio_encoder.decode

    def spy(codes, *args, **kwargs):
        seen.append(codes)
        return decode(codes, *args, **kwargs)

    delay = model.decoder.num_codebooks // model.decoder.config.audio_channels - 1
    with patch.object(model.audio_encoder, "decode", spy):
        model.generate(**generate_kwargs, do_sample=False, max_new_tokens=frames + 2 * delay)
    if len(seen) == 2:  # stereo: left and right codebooks were decoded separately; interleave them back
        return torch.stack([seen[0][0, 0], seen[1][0, 0]], dim=1).reshape(-1, seen[0].shape[-1])[:, -frames - delay:-delay]
    return seen[0][0, 0][:, -frames - delay:-delay]



@pytest.fixture(scope="module")
def engine() -> MusicGenEngine:
    return load_musicgen("musicgen-tiny", device="cpu")


def test_is_a_generator_and_says_it_is_not_music(engine):
    assert isinstance(engine, Generator)
    info = engine.describe()
    assert info["engine"] == "musicgen-tiny" and info["device"] == "cpu" and info["dtype"] == "float32"
    assert info["is_music"] is False and "NOT music" in info["note"]
    assert info["transformers"] and info["torch"] == torch.__version__
    assert engine.sample_rate == 32000 and engine.max_duration == 30.0


def test_batch_rows_equal_single_calls_token_for_token(engine):
    rows = [
        P("lofi piano", duration=1.0, seed=11, weirdness=0.7, genre_shift=3.0, top_k=250),
        P("lofi piano", duration=0.5, seed=12, weirdness=1.4, genre_shift=1.0, top_k=0, top_p=0.9),
        P("heavy metal guitar", duration=0.5, seed=11, weirdness=1.0, genre_shift=6.5, top_k=5),
    ]
    batched = engine.generate_codes(rows)
    for row, codes in zip(rows, batched, strict=True):
        assert codes.shape == (4, round(row.duration * 50))
        alone = engine.generate_codes([row])[0]
        assert torch.equal(codes, alone), row
    # Different seeds, temperatures and guidance really give different tokens.
    assert not torch.equal(batched[1], batched[0][:, :25])
    assert not torch.equal(batched[2], batched[0][:, :25])


def test_audio_of_a_row_equals_its_single_call_and_has_its_length(engine):
    rows = [P("ambient pad", duration=1.0, seed=3), P("ambient pad", duration=0.5, seed=4, weirdness=0.3)]
    audios = engine.generate(rows)
    assert [a.num_samples for a in audios] == [32000, 16000]
    alone = engine.generate([rows[1]])[0]
    np.testing.assert_array_equal(alone.samples, audios[1].samples)
    again = engine.generate([rows[0]])[0]
    np.testing.assert_array_equal(again.samples, audios[0].samples)  # same seed, same audio on CPU


def test_greedy_equals_transformers_generate_with_its_own_guidance(engine):
    # top_k=1 turns our sampler into argmax of the guided logits: it must match transformers' own CFG.
    tokens = engine.tokenizer(["lofi piano"], return_tensors="pt")
    reference = reference_codes(engine.model, 25, **tokens, guidance_scale=3.0)
    ours = engine.generate_codes([P("lofi piano", duration=0.5, seed=5, top_k=1, genre_shift=3.0)])[0]
    assert torch.equal(reference, ours)


def test_continuation_equals_transformers_and_returns_only_the_new_part(engine):
    prompt = engine.generate([P("lofi piano", duration=0.5, seed=1)])[0]
    tokens = engine.tokenizer(["lofi piano"], return_tensors="pt")
    wav = torch.from_numpy(np.array(prompt.samples))[None]
    reference = reference_codes(engine.model, 25, **tokens, input_values=wav, guidance_scale=3.0)
    row = P("lofi piano", duration=0.5, seed=9, top_k=1)
    assert torch.equal(engine.generate_codes([row], prompt_audio=prompt)[0], reference)
    assert engine.generate([row], prompt_audio=prompt)[0].num_samples == 16000
    # The prompt matters (sampled rows), and a stereo prompt at another rate is accepted.
    other = Audio(np.random.default_rng(0).normal(0, 0.3, (2, 22050)), 44100)
    sampled = row.replace(top_k=0)
    assert not torch.equal(engine.generate_codes([sampled], prompt_audio=other)[0],
                           engine.generate_codes([sampled], prompt_audio=prompt)[0])


def test_progress_reports_every_step_and_cancel_stops(engine):
    seen = []
    engine.generate([P("x", duration=0.5, seed=1)], progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 31) for i in range(1, 32)]

    cancel = threading.Event()

    def stop_after_three(done, total):
        if done == 3:
            cancel.set()

    with pytest.raises(Cancelled):
        engine.generate([P("x", duration=0.5, seed=1)], progress=stop_after_three, cancel=cancel)


def test_tempo_is_stated_in_the_prompt_when_structure_is_on(engine):
    assert tempo_prompt("lofi piano", 92.4, 0.5) == "lofi piano, at 92 bpm"
    assert tempo_prompt("lofi piano", 92.4, 0.0) == "lofi piano"
    assert tempo_prompt("", 120, 1.0) == "at 120 bpm"
    assert tempo_prompt("techno 128 bpm", 90, 1.0) == "techno 128 bpm"  # the tempo the user named wins
    with pytest.raises(ParameterError, match="tempo_bpm"):
        tempo_prompt("x", 1000, 1.0)
    base = P("lofi piano", duration=0.5, seed=2)
    plain = engine.generate_codes([base])[0]
    assert torch.equal(engine.generate_codes([base], tempo_bpm=90)[0], plain)  # structure 0: unchanged
    stated = engine.generate_codes([base.replace(structure=0.8)], tempo_bpm=90)[0]
    assert not torch.equal(stated, plain)
    with pytest.raises(ParameterError, match="2 rows"):
        engine.generate([base, base], tempo_bpm=[90])


def test_bad_input_is_refused_with_clear_errors(engine):
    with pytest.raises(ParameterError, match="window of 30 s"):
        engine.generate([P("x", duration=31.0, seed=1)])
    with pytest.raises(ParameterError, match="at least one"):
        engine.generate([])
    with pytest.raises(InvalidInput, match="takes no melody"):
        engine.generate([P("x", duration=0.5)], melody=Audio(np.zeros(32000), 32000))
    with pytest.raises(ParameterError, match="exceed"):
        engine.generate([P("x", duration=20.0)], prompt_audio=Audio(np.zeros(32000 * 15), 32000))
    with pytest.raises(ParameterError, match="unknown MusicGen engine"):
        load_musicgen("musicgen-huge")


def test_stereo_model_interleaves_channels_and_keeps_rows_independent():
    model = build_random(tiny_config(False, stereo=True), seed=5, device=CPU, dtype=torch.float32)
    engine = MusicGenEngine(model, build_tiny_tokenizer(), name="tiny-stereo", model_id="random", is_music=False)
    rows = [P("a", duration=1.0, seed=1), P("a", duration=0.5, seed=2, weirdness=0.5)]
    codes = engine.generate_codes(rows)
    assert codes[0].shape == (8, 50)
    assert torch.equal(engine.generate_codes([rows[1]])[0], codes[1])
    tokens = engine.tokenizer(["a"], return_tensors="pt")
    reference = reference_codes(model, 25, **tokens, guidance_scale=3.0)
    greedy = P("a", duration=0.5, seed=1, top_k=1)
    assert torch.equal(engine.generate_codes([greedy])[0], reference)
    assert engine.generate([greedy])[0].channels == 2


def test_filter_logits_per_row_top_k_and_top_p():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]] * 3)).view(3, 1, 4)
    settings = RowSettings(guidance=[1, 1, 1], temperature=[1, 1, 1], top_k=[2, 0, 0], top_p=[0, 0.7, 0.0],
                           device=CPU)
    kept = torch.isfinite(filter_logits(logits, settings)).view(3, 4)
    assert kept.tolist() == [[True, True, False, False], [True, True, False, False], [True] * 4]


def test_gumbel_sampler_draws_from_the_softmax():
    probs = torch.tensor([0.6, 0.25, 0.1, 0.05])
    settings = RowSettings(guidance=[1.0], temperature=[1.0], top_k=[0], top_p=[0.0], device=CPU)
    sampler = RowSampler(settings, seeds=[7], copies=1, device=CPU, total_steps=1)
    scores = probs.log().view(1, 4)
    counts = torch.zeros(4)
    for _ in range(4000):
        counts[sampler(torch.zeros(1, 1, dtype=torch.long), scores).argmax()] += 1
    assert torch.allclose(counts / 4000, probs, atol=0.03)
