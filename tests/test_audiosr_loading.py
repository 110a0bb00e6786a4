"""AudioSR checkpoint loading: official key/shape coverage, hub/offline errors, no pickled code."""

import json
import time

import pytest
import torch
from audiosr_fixtures import require_fixtures

from workbench.engines.audiosr.config import official_config, tiny_config
from workbench.engines.audiosr.loading import (
    SKIPPED_PREFIXES,
    find_checkpoint,
    read_state_dict,
    split_and_convert,
)
from workbench.engines.audiosr.model import AudioSRModel
from workbench.errors import EngineError, WeightsNotFound


def test_official_configuration_has_exactly_the_official_keys_and_shapes():
    groups_json = json.loads((require_fixtures() / "weights_keys_full.json").read_text())["groups"]
    original = {entry["key"]: entry["shape"] for group in groups_json.values() for entry in group["keys"]}
    with torch.device("meta"):
        model = AudioSRModel(official_config("basic"))
        fake = {key: torch.empty(shape) for key, shape in original.items()}
    converted, report = split_and_convert(fake, len(model.config.vae["ch_mult"]))
    assert set(report.skipped) == set(SKIPPED_PREFIXES)  # CLAP, EMA copy, second vocoder: not loaded
    for name in ("vae", "cond_vae", "unet", "vocoder"):
        ours = {k: tuple(v.shape) for k, v in getattr(model, name).state_dict().items()}
        if name == "vocoder":
            ours = {k: v for k, v in ours.items() if k not in ("mean", "scale")}  # unused normalisation
        theirs = {k: tuple(v.shape) for k, v in converted[name].items()}
        assert ours == theirs, name
    assert set(converted["buffers"]) == {"scale_factor", "alphas_cumprod"}
    used = sum(v.numel() for name in ("vae", "cond_vae", "unet", "vocoder") for v in converted[name].values())
    expected = sum(torch.Size(shape).numel() for key, shape in original.items()
                   if "." in key and not key.startswith(SKIPPED_PREFIXES))
    assert used == expected  # every tensor inference needs, nothing else


def test_tiny_checkpoint_round_trips_through_a_local_folder(tmp_path):
    state = read_state_dict(require_fixtures() / "tiny_weights.safetensors")
    torch.save({"state_dict": state, "epoch": 3}, tmp_path / "pytorch_model.bin")
    path = find_checkpoint("basic", tmp_path)
    model = AudioSRModel(tiny_config())
    model.load_original(read_state_dict(path), source=str(path))
    assert float(model.scale_factor) == pytest.approx(0.8125)
    key = "model.diffusion_model.input_blocks.1.0.in_layers.2.weight"
    assert torch.equal(model.unet.input_blocks[1][0].conv1.weight, state[key])


def test_incomplete_checkpoint_is_refused():
    state = read_state_dict(require_fixtures() / "tiny_weights.safetensors")
    del state["model.diffusion_model.out.2.weight"]
    with pytest.raises(EngineError, match="unet: 1 missing"):
        AudioSRModel(tiny_config()).load_original(state)


class Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickled_code_is_never_run(tmp_path, capsys):
    torch.save({"state_dict": {"x": torch.zeros(1)}, "evil": Payload()}, tmp_path / "pytorch_model.bin")
    with pytest.raises(EngineError, match="pickled code"):
        read_state_dict(tmp_path / "pytorch_model.bin")
    assert "must never run" not in capsys.readouterr().out


def test_offline_without_weights_is_a_clear_quick_error(monkeypatch, tmp_path):
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    started = time.monotonic()
    with pytest.raises(WeightsNotFound) as error:
        find_checkpoint("speech")
    assert time.monotonic() - started < 10
    message = str(error.value)
    assert "haoheliu/audiosr_speech" in message and str(tmp_path) in message and "hf download" in message


def test_missing_local_folder_and_unknown_model(tmp_path):
    with pytest.raises(WeightsNotFound, match=str(tmp_path)):
        find_checkpoint("basic", tmp_path)
    with pytest.raises(WeightsNotFound, match="basic, speech"):
        find_checkpoint("large")
