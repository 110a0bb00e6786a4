"""Real loading code on the tiny twins: a Hugging Face cache round trip, local folders, and the errors that
say which model is missing, where we looked and how to get it, without waiting on the network."""

from __future__ import annotations

import pytest
import torch

from workbench.engines.musicgen import ENGINE_NAMES, load_musicgen, weights_available
from workbench.engines.musicgen_loading import build_tiny, resolve_device, resolve_dtype
from workbench.errors import EngineError, ParameterError, WeightsNotFound
from workbench.params import GenerationParams as P

CPU = torch.device("cpu")
ROW = P("lofi piano", duration=0.5, seed=3)



def save_as_hub_cache(cache, repo_id: str, melody: bool):
    """Lay out a tiny model exactly as huggingface_hub's cache holds a downloaded repo."""
    model, tokenizer = build_tiny(melody, device=CPU)
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    model.save_pretrained(snapshot)
    tokenizer.save_pretrained(snapshot)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    return model


def same_weights(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_loads_from_the_hub_cache_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    saved = save_as_hub_cache(tmp_path, "facebook/musicgen-small", melody=False)
    assert weights_available("musicgen-small", cache_dir=tmp_path)
    assert not weights_available("musicgen-medium", cache_dir=tmp_path)
    engine = load_musicgen("musicgen-small", device="cpu", cache_dir=tmp_path)
    assert engine.model_id == "facebook/musicgen-small" and engine.is_music
    assert engine.describe()["model_id"] == "facebook/musicgen-small"
    assert same_weights(engine.model, saved)
    tiny = load_musicgen("musicgen-tiny", device="cpu")
    assert torch.equal(engine.generate_codes([ROW])[0], tiny.generate_codes([ROW])[0])


def test_loads_a_melody_checkpoint_from_a_local_folder(tmp_path):
    model, tokenizer = build_tiny(True, device=CPU)
    model.save_pretrained(tmp_path / "ckpt")
    tokenizer.save_pretrained(tmp_path / "ckpt")
    engine = load_musicgen("musicgen-melody", device="cpu", model_path=tmp_path / "ckpt")
    assert engine.is_melody and same_weights(engine.model, model)
    with pytest.raises(WeightsNotFound, match="does not hold"):
        load_musicgen("musicgen-melody", device="cpu", model_path=tmp_path)


def test_missing_weights_offline_say_what_where_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WeightsNotFound) as error:
        load_musicgen("musicgen-medium", device="cpu", cache_dir=tmp_path / "empty")
    message = str(error.value)
    assert "facebook/musicgen-medium" in message and str(tmp_path / "empty") in message
    assert "HF_HUB_OFFLINE" in message and "huggingface-cli download facebook/musicgen-medium" in message


def test_unreachable_hub_fails_fast_instead_of_hanging(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens
    with pytest.raises(WeightsNotFound, match="did not answer"):
        load_musicgen("musicgen-stereo-small", device="cpu", cache_dir=tmp_path)


def test_devices_dtypes_and_names_are_checked():
    assert resolve_dtype(None, CPU) == torch.float32
    assert resolve_dtype("float16", CPU) == torch.float16
    with pytest.raises(ParameterError, match="float64"):
        resolve_dtype("float64", CPU)
    with pytest.raises(ParameterError, match="not a torch device"):
        resolve_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(EngineError, match="CUDA is not available"):
            resolve_device("cuda")
    assert "musicgen-stereo-melody" in ENGINE_NAMES and "musicgen-tiny-melody" in ENGINE_NAMES
    assert not weights_available("no-such-engine")


def test_tiny_twins_are_identical_on_every_build():
    a, _ = build_tiny(False, device=CPU)
    b, _ = build_tiny(False, device=CPU)
    assert same_weights(a, b)
    assert a.audio_encoder.quantizer.layers[0].codebook.embed.abs().sum() > 0  # codes carry information
