"""Official checkpoint format, safe loading, offline errors, and the official sizes' keys and shapes."""

import pytest
import torch
from vampnet_fixtures import js, weights

from workbench.engines.vampnet.codec import LAC, CodecConfig
from workbench.engines.vampnet.inpainter import VampNetInpainter
from workbench.engines.vampnet.layers.transformer import VampNetConfig, VampNetTransformer
from workbench.engines.vampnet.loading import find_checkpoints, load_checkpoint
from workbench.errors import EngineError, WeightsNotFound


@pytest.mark.parametrize("name", ["coarse", "c2f", "codec"])
def test_official_sizes_have_exactly_the_original_keys_and_shapes(name):
    spec = js("weights_keys_full.json")["models"][name]
    with torch.device("meta"):
        model = LAC(CodecConfig.from_kwargs(spec["kwargs"])) if name == "codec" else \
            VampNetTransformer(VampNetConfig.from_kwargs(spec["kwargs"]))
    ours = {k: list(v.shape) for k, v in model.state_dict().items()}
    theirs = {t["key"]: t["shape"] for t in spec["keys"]} if "keys" in spec else \
        {t["key"]: t["shape"] for t in spec["tensors"]}
    assert ours == theirs
    assert sum(v.numel() for v in model.state_dict().values()) == spec["n_params"]


def _write_official(folder, with_lora=True):
    cfg = js("config.json")
    for name in ("codec", "coarse", "c2f"):
        state = weights(name)
        if not with_lora:
            state = {k: v for k, v in state.items() if ".lora_" not in k}
        torch.save({"state_dict": state, "metadata": {"kwargs": cfg[name]["kwargs"]}}, folder / f"{name}.pth")


def test_from_pretrained_reads_a_local_folder_in_the_official_format(tmp_path):
    _write_official(tmp_path, with_lora=False)  # LoRA keys may be absent, as strict=False allows upstream
    engine = VampNetInpainter.from_pretrained(str(tmp_path))
    assert engine.name == "vampnet" and engine.coarse.config.n_layers == 2 and engine.c2f.config.n_codebooks == 4
    assert torch.equal(engine.coarse.transformer.norm.weight, weights("coarse")["transformer.norm.weight"])
    assert engine.describe()["coarse"]["embedding_dim"] == 32


def test_checkpoints_with_pickled_code_are_refused(tmp_path):
    torch.save({"state_dict": {}, "metadata": {"kwargs": {}, "evil": EngineError("x")}}, tmp_path / "bad.pth")
    with pytest.raises(EngineError, match="weights_only"):
        load_checkpoint(tmp_path / "bad.pth")
    torch.save({"weights": 1}, tmp_path / "odd.pth")
    with pytest.raises(EngineError, match="state_dict"):
        load_checkpoint(tmp_path / "odd.pth")


def test_missing_non_lora_weights_are_an_error(tmp_path):
    _write_official(tmp_path)
    kwargs, state = load_checkpoint(tmp_path / "coarse.pth")
    state.pop("transformer.norm.weight")
    torch.save({"state_dict": state, "metadata": {"kwargs": kwargs}}, tmp_path / "coarse.pth")
    with pytest.raises(EngineError, match="lacks 1 weights"):
        VampNetInpainter.from_pretrained(str(tmp_path))


def test_offline_and_absent_weights_give_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    with pytest.raises(WeightsNotFound, match="(?s)codec.*hugggof/vampnet.*huggingface-cli download"):
        find_checkpoints(None)
    with pytest.raises(WeightsNotFound, match="codec.pth, coarse.pth, c2f.pth"):
        find_checkpoints(str(tmp_path))
    with pytest.raises(WeightsNotFound, match="does not exist"):
        find_checkpoints(str(tmp_path / "nowhere" / "x"))
