import math

import pytest

from workbench import GenerationParams, ParameterError, Region, RegionError
from workbench.params import SLIDERS, slider_spec


def test_region_basics():
    r = Region(10, 15)
    assert r.length == 5.0 and r.to_samples(32000) == (320000, 480000)
    assert Region.from_samples(320000, 480000, 32000) == r
    assert r.check_within(30.0) is r


@pytest.mark.parametrize("start, end, match", [
    (5, 5, "5.000 s must be before its end 5.000 s"),
    (6, 2, "before its end"),
    (-1, 2, "-1.000 s is negative"),
    (float("nan"), 2, "finite"),
    ("a", 2, "finite"),
])
def test_impossible_regions(start, end, match):
    with pytest.raises(RegionError, match=match):
        Region(start, end)


def test_region_past_the_end_names_the_numbers():
    with pytest.raises(RegionError, match=r"20.000-35.000 s ends past the audio's duration 30.000 s"):
        Region(20, 35).check_within(30.0)
    with pytest.raises(RegionError, match="at least 0.200 s"):
        Region(1.0, 1.1).check_within(30.0, min_length=0.2)


def test_snap_to_grid():
    beats = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    assert Region(0.4, 1.2).snap(beats) == Region(0.5, 1.0)
    assert Region(0.6, 0.7).snap(beats) == Region(0.5, 1.0)  # never collapses
    assert Region(0.4, 1.2).snap([]) == Region(0.4, 1.2)
    assert Region(2.4, 2.6).snap(beats).start == 2.5


def test_params_defaults_and_mapping():
    p = GenerationParams(prompt="lofi piano", seed=7)
    assert p.temperature == p.weirdness == 1.0 and p.guidance_scale == p.genre_shift == 3.0
    assert GenerationParams.from_dict({**p.to_dict(), "engine": "x"}) == p
    assert p.replace(weirdness=0.3).weirdness == 0.3


@pytest.mark.parametrize("field, value", [
    ("weirdness", 0.05), ("weirdness", 1.6), ("loyalty", -0.1), ("loyalty", 1.01),
    ("structure", 2), ("genre_shift", -1), ("genre_shift", 11), ("duration", 0), ("top_k", 1.5),
    ("weirdness", math.nan), ("weirdness", "high"), ("loyalty", True),
])
def test_out_of_range_sliders_name_field_and_range(field, value):
    with pytest.raises(ParameterError, match=field):
        GenerationParams(**{field: value})


def test_range_is_in_the_message():
    with pytest.raises(ParameterError, match=r"weirdness = 2.0 is out of range: allowed 0.1..1.5"):
        GenerationParams(weirdness=2.0)


@pytest.mark.parametrize("prompt, match", [
    ("x" * 100_000, "100000 characters"), ("a\x00b", "control character"), (42, "text"),
])
def test_bad_prompts(prompt, match):
    with pytest.raises(ParameterError, match=match):
        GenerationParams(prompt=prompt)


def test_odd_unicode_prompt_is_fine():
    assert GenerationParams(prompt="Ünïcødé 音楽 🎹 مرحبا\n").prompt.startswith("Ü")


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "7"])
def test_bad_seeds(seed):
    with pytest.raises(ParameterError, match="seed"):
        GenerationParams(seed=seed)


def test_slider_metadata_drives_widgets():
    specs = [slider_spec(name) for name in SLIDERS]
    assert [s["label"] for s in specs] == ["Melody Loyalty", "Weirdness", "Genre Shift", "Structure Consistency"]
    assert slider_spec("weirdness")["min"] == 0.1 and slider_spec("weirdness")["max"] == 1.5
    with pytest.raises(ParameterError):
        slider_spec("prompt")
