"""The Studio's edits on the tiny random-initialised MusicGen (real transformers code, not music)."""

import numpy as np
import pytest

from workbench import Audio, Library, ParameterError, RegionError, Studio

SR = 32000


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    return Studio(Library(tmp_path_factory.mktemp("mg") / "library.duckdb"), engine="musicgen-tiny")


@pytest.fixture(scope="module")
def take(studio):
    return studio.generate("lofi piano", duration=3.0, seed=5)


def test_generate_and_regenerate_exactly(studio, take):
    assert take.engine == "musicgen-tiny" and take.sample_rate == SR
    assert take.config["model"]["is_music"] is False
    again = studio.regenerate(take)
    np.testing.assert_array_equal(studio.library.audio(again).samples, studio.library.audio(take).samples)


def test_continuation_inpaint_keeps_the_outside(studio, take):
    new = studio.inpaint(take, 1.0, 2.0, seed=3, candidates=3)
    scores = new.config["seam_scores"]
    assert len(scores) == 3 and new.config["chosen"] == int(np.argmin(scores))
    before, after = studio.library.audio(take), studio.library.audio(new)
    assert after.num_samples == before.num_samples
    fade = int(0.105 * SR)
    np.testing.assert_array_equal(after.samples[:, : SR - fade], before.samples[:, : SR - fade])
    np.testing.assert_array_equal(after.samples[:, 2 * SR + fade :], before.samples[:, 2 * SR + fade :])
    assert not np.array_equal(after.samples[:, SR : 2 * SR], before.samples[:, SR : 2 * SR])


def test_extend_and_melody_remix(studio, take):
    longer = studio.extend(take, seconds=2.0, context=1.0)
    assert longer.duration == pytest.approx(5.0, abs=0.05) and longer.parent_id == take.id
    remixes = studio.remix(take, prompt="jazz", n=2, loyalty=0.5, engine="musicgen-tiny-melody", seed=9)
    assert [r.engine for r in remixes] == ["musicgen-tiny-melody"] * 2
    assert [r.seed for r in remixes] == [9, 10] and remixes[0].config["melody_track_id"] == take.id


def test_regions_beyond_the_window_are_refused(studio, take):
    piece = studio.library.audio(take)
    long = studio.library.add(Audio.concat([piece] * 14), prompt="42 s of loops")
    count = studio.library.count(include_trash=True)
    with pytest.raises(RegionError, match="generates at most 30.00 s"):
        studio.inpaint(long, 2.0, 36.0)
    with pytest.raises(RegionError, match="ends past"):
        studio.inpaint(take, 1.0, 4.0)
    with pytest.raises(ParameterError, match="window"):
        studio.generate("x", duration=31.0)
    assert studio.library.count(include_trash=True) == count
