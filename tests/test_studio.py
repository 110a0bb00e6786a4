"""The Studio on the offline sketch engine with real library files."""

import numpy as np
import pytest

from workbench import Audio, AudioFileError, Cancelled, InvalidInput, ParameterError, RegionError
from workbench.library import Library
from workbench.studio import Studio

SR = 32000


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    return Studio(Library(tmp_path_factory.mktemp("lib") / "library.duckdb"), engine="sketch")


@pytest.fixture(scope="module")
def take(studio):
    return studio.generate("lofi hip hop, mellow piano", duration=8.0, seed=7)


def audio_of(studio, track):
    return studio.library.audio(track)


def test_generate_records_everything(studio, take):
    assert take.derivation == "generate" and take.seed == 7 and take.engine == "sketch"
    assert take.duration == pytest.approx(8.0)
    config = take.config
    assert config["params"]["weirdness"] == 1.0 and config["params"]["prompt"] == take.prompt
    assert {"workbench", "numpy"} <= set(config["versions"])
    assert "sketch" in config["model"]["engine"] or "sketch" in str(config["model"])


def test_auto_says_what_it_chose(tmp_path):
    s = Studio(tmp_path / "library.duckdb")
    choice = s.choose_engine()
    assert choice.name == "sketch" and "no MusicGen weights" in choice.reason


def test_batch_rows_use_consecutive_seeds_and_regenerate(studio):
    rows = studio.generate("techno 128 bpm", duration=4.0, seed=3, n=3, weirdness=1.2)
    assert [t.seed for t in rows] == [3, 4, 5]
    again = studio.regenerate(rows[1])
    np.testing.assert_array_equal(audio_of(studio, again).samples, audio_of(studio, rows[1]).samples)
    single = studio.generate("techno 128 bpm", duration=4.0, seed=4, weirdness=1.2)
    np.testing.assert_array_equal(audio_of(studio, single).samples, audio_of(studio, rows[1]).samples)


def test_inpaint_keeps_everything_outside_the_region(studio, take):
    new = studio.inpaint(take, 2.0, 4.0, seed=1, candidates=3)
    assert new.parent_id == take.id and new.derivation == "inpaint"
    assert (new.region.start, new.region.end) == (2.0, 4.0)
    scores = new.config["seam_scores"]
    assert len(scores) == 3 and new.config["chosen"] == int(np.argmin(scores))
    before, after = audio_of(studio, take), audio_of(studio, new)
    assert after.num_samples == before.num_samples
    fade = int(0.1 * SR) + int(0.005 * SR)
    s, e = 2 * SR, 4 * SR
    np.testing.assert_array_equal(after.samples[:, : s - fade], before.samples[:, : s - fade])
    np.testing.assert_array_equal(after.samples[:, e + fade :], before.samples[:, e + fade :])
    assert not np.array_equal(after.samples[:, s:e], before.samples[:, s:e])
    assert [t.id for t in studio.library.lineage(new)] == [take.id]


def test_structure_snaps_the_region_to_the_grid(studio):
    beat = studio.generate("house 120 bpm drums", duration=8.0, seed=2, structure=1.0)
    new = studio.inpaint(beat, 1.1, 2.9, seed=1, structure=0.4, candidates=1)
    beats = 60.0 / 120.0
    for edge in (new.region.start, new.region.end):
        assert abs(edge / beats - round(edge / beats)) < 0.08


def test_delete_loop_remix(studio, take):
    cut = studio.delete_region(take, 2.0, 4.0)
    assert cut.duration == pytest.approx(6.0, abs=0.006) and cut.parent_id == take.id
    loop = studio.loop_region(take, 2.0, 4.0, times=4)
    assert loop.duration == pytest.approx(14.0) and loop.config["times"] == 4
    remixes = studio.remix(take, prompt="jazz trio", n=2, loyalty=0.8, weirdness=0.9)
    assert [r.derivation for r in remixes] == ["remix", "remix"]
    assert all(r.parent_id == take.id for r in remixes)


def test_extend_past_the_window(studio, take):
    longer = studio.extend(take, seconds=10)
    assert longer.duration == pytest.approx(18.0, abs=0.02) and longer.derivation == "extend"
    np.testing.assert_array_equal(audio_of(studio, longer).samples[:, : 7 * SR],
                                  audio_of(studio, take).samples[:, : 7 * SR])


def test_upscale_runs_in_the_background(studio, take):
    job = studio.upscale(take, sample_rate=48000)
    up = job.result(timeout=60)
    assert up.sample_rate == 48000 and up.parent_id == take.id and up.derivation == "upscale"
    assert job in studio.jobs() and job.status == "done"
    assert up.config["method"] == "resample"


def test_bad_edits_write_nothing(studio, take, tmp_path):
    count = studio.library.count(include_trash=True)
    with pytest.raises(RegionError, match="ends past"):
        studio.inpaint(take, 6.0, 9.0)
    with pytest.raises(RegionError, match="at least"):
        studio.inpaint(take, 1.0, 1.05)
    with pytest.raises(RegionError):
        studio.delete_region(take, 5.0, 3.0)
    with pytest.raises(ParameterError, match="above the track's 32000 Hz"):
        studio.upscale(take, sample_rate=16000)
    with pytest.raises(ParameterError, match="weirdness"):
        studio.generate("x", weirdness=3.0)
    with pytest.raises(ParameterError, match="unknown setting"):
        studio.generate("x", temperature=0.5)
    with pytest.raises(ParameterError, match="window"):
        studio.generate("x", duration=120.0)
    silent = studio.library.add(Audio(np.zeros(SR * 2), SR), prompt="silence")
    count += 1
    with pytest.raises(InvalidInput, match="silent"):
        studio.remix(silent)
    assert studio.library.count(include_trash=True) == count


def test_missing_audio_file_is_a_clear_error(studio):
    t = studio.generate("ambient pad", duration=2.0, seed=5)
    studio.library.path_of(t).unlink()
    count = studio.library.count(include_trash=True)
    with pytest.raises(AudioFileError, match="not found"):
        studio.inpaint(t, 0.5, 1.5)
    assert studio.library.count(include_trash=True) == count


def test_background_generate_can_be_cancelled(studio):
    count = studio.library.count(include_trash=True)
    job = studio.submit("generate", "techno", duration=20.0, n=4, seed=1)
    job.cancel()
    with pytest.raises(Cancelled):
        job.result(timeout=60)
    assert studio.library.count(include_trash=True) == count


def test_audiosr_tiny_upscale_job_reports_steps_and_cancels_cleanly(studio):
    from workbench.engines import registry

    registry.upscaler("audiosr-tiny")  # build the tiny model once, outside the timed job
    short = studio.generate("piano", duration=1.0, seed=3)
    seen = []
    job = studio.upscale(short, sample_rate=48000, method="audiosr-tiny")
    job.on_change(lambda j: seen.append((j.done_steps, j.total_steps)))
    up = job.result(timeout=300)
    assert up.sample_rate == 48000 and up.duration == pytest.approx(short.duration, abs=1e-3)
    assert up.config["method"] == "audiosr-tiny" and "not a real upscaling" in up.config["upscaler"]["warning"]
    assert len(seen) > 3 and seen[-1][0] == seen[-1][1]
    count = studio.library.count(include_trash=True)
    job = studio.upscale(short, sample_rate=48000, method="audiosr-tiny")
    job.on_change(lambda j: j.cancel() if j.done_steps >= 2 else None)
    with pytest.raises(Cancelled):
        job.result(timeout=300)
    assert studio.library.count(include_trash=True) == count


def test_vampnet_tiny_inpaints_and_vamps_through_the_studio(studio, take):
    new = studio.inpaint(take, 3.0, 4.0, engine="vampnet-tiny", seed=4, candidates=2)
    assert new.engine == "vampnet-tiny" and new.parent_id == take.id
    before, after = audio_of(studio, take), audio_of(studio, new)
    fade = int(0.105 * SR)
    np.testing.assert_array_equal(after.samples[:, : 3 * SR - fade], before.samples[:, : 3 * SR - fade])
    np.testing.assert_array_equal(after.samples[:, 4 * SR + fade :], before.samples[:, 4 * SR + fade :])
    vamps = studio.remix(take, engine="vampnet-tiny", n=2, seed=1)
    assert len(vamps) == 2 and all(v.derivation == "remix" and v.engine == "vampnet-tiny" for v in vamps)
