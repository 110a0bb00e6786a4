"""VampNet transformer and sampling parity with the original (transformer_forward.npz, generation.npz)."""

import numpy as np
import pytest
import torch
from vampnet_fixtures import js, npz, weights

from workbench.engines.vampnet.layers.transformer import (
    VampNetConfig,
    VampNetTransformer,
    relative_position_buckets,
)
from workbench.engines.vampnet.sampling import SamplingSettings, generate, typical_filter
from workbench.errors import ParameterError

RUNS = ["coarse_greedy", "coarse_greedy_otherseed", "coarse_greedy_typical_on", "coarse_greedy_temp0.7_topp0.9",
        "coarse_stochastic_seeded", "c2f_greedy", "c2f_greedy_otherseed", "c2f_stochastic_seeded"]
STEP_ITEMS = ["sampled_tokens", "selected_probs", "num_to_mask", "probs_for_remask", "new_mask"]


@pytest.fixture(scope="module")
def models():
    cfg, codec = js("config.json"), weights("codec")
    books = torch.stack([codec[f"quantizer.quantizers.{i}.codebook.weight"] for i in range(4)])
    out = {}
    for name in ("coarse", "c2f"):
        model = VampNetTransformer(VampNetConfig.from_kwargs(cfg[name]["kwargs"])).eval()
        model.load_state_dict(weights(name), strict=True)
        model.attach_codebooks(books)
        out[name] = model
    return out


@pytest.mark.parametrize("name", ["coarse", "c2f"])
def test_forward_matches_original_layer_by_layer(models, name):
    ref = npz("transformer_forward.npz")
    trace = {}
    with torch.no_grad():
        logits = models[name](torch.from_numpy(ref[f"{name}__codes_masked"]), trace=trace)
    np.testing.assert_array_equal(relative_position_buckets(144).numpy(), ref[f"{name}__rel_pos_buckets"])
    np.testing.assert_allclose(trace["latents"].numpy(), ref[f"{name}__latents"], atol=1e-5)
    np.testing.assert_allclose(trace["embedding_out"].numpy(), ref[f"{name}__embedding_out"], atol=1e-5)
    np.testing.assert_allclose(torch.stack(trace["layer_outputs"]).numpy(), ref[f"{name}__layer_outputs"], atol=1e-5)
    np.testing.assert_allclose(logits.numpy(), ref[f"{name}__logits"], atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize("run", RUNS)
def test_generation_matches_original_token_for_token(models, run):
    spec, ref = js("generation.json")["runs"][run], npz("generation.npz")
    name = spec["model"]
    settings = SamplingSettings(steps=spec["_sampling_steps"], parity=True, **spec["generate_kwargs"])
    torch.manual_seed(spec["torch_manual_seed_before_call"])
    trace = []
    out = generate(models[name], torch.from_numpy(ref[f"{name}__start_tokens"]),
                   torch.from_numpy(ref[f"{name}__mask"]), settings, trace=trace)
    np.testing.assert_array_equal(out.numpy(), ref[f"{run}__output"])
    for i, step in enumerate(trace):
        prefix = f"{run}__step{i}_"
        if prefix + "new_mask" not in ref:
            continue
        for item in STEP_ITEMS:
            got, want = step[item].numpy(), ref[prefix + item]
            if got.dtype.kind == "f":
                finite = np.isfinite(want)
                np.testing.assert_array_equal(np.isfinite(got), finite)
                np.testing.assert_allclose(got[finite], want[finite], atol=1e-5)
            else:
                np.testing.assert_array_equal(got, want, err_msg=f"step {i} {item}")


def test_corrected_mode_applies_typical_filtering(models):
    ref = npz("generation.npz")
    start, mask = torch.from_numpy(ref["coarse__start_tokens"]), torch.from_numpy(ref["coarse__mask"])
    outs = [generate(models["coarse"], start, mask, SamplingSettings(steps=3, seed=5, parity=p, typical_mass=0.05,
                                                                  typical_min_tokens=1)) for p in (True, False)]
    assert not torch.equal(outs[0], outs[1])  # the original ignores the filter; we apply it
    logits = torch.randn(3, 50)
    kept = torch.isfinite(typical_filter(logits, 0.3, 4)).sum(-1)
    assert (kept >= 4).all() and (kept < 50).all()


def test_bad_sampling_settings_raise():
    with pytest.raises(ParameterError, match="steps"):
        SamplingSettings(steps=0)
    with pytest.raises(ParameterError, match="temperature"):
        SamplingSettings(temperature=0)
