"""build_mask parity with the original: every case of masks.json, every helper output, same RNG draws."""

import pytest
import torch
from vampnet_fixtures import js, npz

from workbench.engines.vampnet.masks import MaskSettings, apply_mask, build_mask
from workbench.engines.vampnet.onsets import onset_frames
from workbench.errors import ParameterError

CASES = ["p7_ucm1", "p0_prefix_suffix_ucm2", "p13_w3_dropout", "p7_onset2", "p5_w2_intensity0.8_ncc1",
         "p0_full_ucm0", "defaults"]


def _case(name):
    return next(c for c in js("masks.json")["cases"] if c["name"] == name)


@pytest.mark.parametrize("name", CASES)
def test_build_mask_matches_original(name):
    case, ref, codec = _case(name), npz("masks.npz"), npz("codec.npz")
    kwargs = {("dropout" if k == "_dropout" else k): v for k, v in case["build_mask_kwargs"].items()}
    torch.manual_seed(case["torch_manual_seed"])
    trace = []
    mask = build_mask(torch.from_numpy(codec["codes"]), MaskSettings(**kwargs), sample_rate=44100, hop=768,
                      onset_audio=codec["audio_in"][0, 0], trace=trace)
    assert torch.equal(mask, torch.from_numpy(ref[f"{name}__mask"]))
    assert [n for n, _ in trace] == case["component_calls_in_order"]
    for i, (component, value) in enumerate(trace):
        assert torch.equal(value, torch.from_numpy(ref[f"{name}__step{i:02d}_{component}"])), component
    assert int(mask.sum()) == case["n_masked"]


def test_onsets_match_librosa_onset_detect_result():
    case = _case("p7_onset2")
    frames = onset_frames(npz("codec.npz")["audio_in"][0, 0], 44100, 768)
    assert frames.tolist() == case["librosa_onset_detect"][0]["result"]


def test_defaults_are_the_originals():
    assert MaskSettings().__dict__ == {("dropout" if k == "_dropout" else k): v
                                       for k, v in js("masks.json")["interface_defaults_build_mask"].items()}


def test_bad_settings_raise_clear_errors():
    with pytest.raises(ParameterError, match="rand_mask_intensity"):
        MaskSettings(rand_mask_intensity=1.5)
    with pytest.raises(ParameterError, match="periodic_prompt"):
        MaskSettings(periodic_prompt=-1)
    with pytest.raises(ParameterError, match="onset"):
        build_mask(torch.zeros(1, 2, 10, dtype=torch.long), MaskSettings(onset_mask_width=1), sample_rate=44100,
                   hop=768)


def test_apply_mask_puts_mask_token_where_masked():
    codes = torch.arange(6).reshape(1, 2, 3)
    mask = torch.tensor([[[1, 0, 0], [0, 0, 1]]])
    assert apply_mask(codes, mask, 1024).tolist() == [[[1024, 1, 2], [3, 4, 1024]]]
