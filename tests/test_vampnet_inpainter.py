"""VampNetInpainter (vampnet-tiny, random weights): the Inpainter protocol, lengths, rates, masks, errors."""

import numpy as np
import pytest
import torch

from workbench.audio import Audio
from workbench.engines.base import Inpainter
from workbench.engines.vampnet.inpainter import VampNetInpainter
from workbench.errors import Cancelled, ParameterError, RegionError
from workbench.params import GenerationParams
from workbench.regions import Region


@pytest.fixture(scope="module")
def engine():
    eng = VampNetInpainter.tiny(seed=0)
    eng.coarse_steps = 4
    return eng


@pytest.fixture(scope="module")
def stereo():
    sr = 22050
    t = np.arange(int(1.0 * sr)) / sr
    return Audio(np.stack([0.3 * np.sin(2 * np.pi * 220 * t), 0.2 * np.sin(2 * np.pi * 330 * t)]), sr)


def test_is_an_inpainter_and_labelled_tiny(engine):
    assert isinstance(engine, Inpainter) and engine.sees_both_sides
    info = engine.describe()
    assert info["engine"] == "vampnet-tiny" and "not music" in info["label"]


def test_inpaint_keeps_length_rate_channels_and_is_reproducible(engine, stereo):
    params = GenerationParams(seed=7, loyalty=0.5, structure=0.5)
    seen = []
    out = engine.inpaint(stereo, Region(0.3, 0.6), params, candidates=2, progress=lambda d, n: seen.append((d, n)))
    assert len(out) == 2
    for cand in out:
        assert cand.sample_rate == stereo.sample_rate and cand.samples.shape == stereo.samples.shape
    assert not np.array_equal(out[0].samples, out[1].samples)  # candidates use seed, seed + 1
    assert seen[-1][0] == seen[-1][1]
    again = engine.inpaint(stereo, Region(0.3, 0.6), params)
    np.testing.assert_array_equal(again[0].samples, out[0].samples)
    assert engine.last_seeds == [7]


def test_mask_covers_region_and_loyalty_keeps_prompts(engine):
    codes = torch.zeros(1, 4, 100, dtype=torch.long)
    mono = np.zeros(100 * engine.hop, np.float32)
    span = (20 * engine.hop / engine.sample_rate, 60 * engine.hop / engine.sample_rate)
    free = engine._mask(codes, span, GenerationParams(loyalty=0.0), mono)
    assert free[..., :20].sum() == 0 and free[..., 60:].sum() == 0 and free[..., 20:60].all()
    loyal = engine._mask(codes, span, GenerationParams(loyalty=1.0), mono)
    kept = (loyal[0, :, 20:60] == 0)
    assert kept[:3].any() and not kept[3:].any()  # prompts on the lowest 3 codebooks only
    assert kept[0].sum() > 0 and loyal.sum() < free.sum()


def test_vamp_whole_track(engine, stereo):
    out = engine.vamp(stereo, GenerationParams(seed=1, weirdness=0.5), n=1)
    assert len(out) == 1 and out[0].samples.shape == stereo.samples.shape


def test_bad_input_raises_clear_errors(engine, stereo):
    with pytest.raises(RegionError):
        engine.inpaint(stereo, Region(1.0, 5.0), GenerationParams())
    with pytest.raises(ParameterError, match="candidates"):
        engine.inpaint(stereo, Region(0.2, 0.4), GenerationParams(), candidates=0)
    with pytest.raises(ParameterError, match="handle"):
        engine.inpaint(stereo, Region(0.2, 0.4), GenerationParams(), handle=-1)


def test_cancel_stops(engine, stereo):
    class Set:
        def is_set(self):
            return True

    with pytest.raises(Cancelled):
        engine.inpaint(stereo, Region(0.2, 0.4), GenerationParams(), cancel=Set())
