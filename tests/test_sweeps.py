"""Sweeps on the sketch engine: metrics that move with the sliders, resume, and a Dask cluster."""

import threading

import pytest

from workbench import Library, ParameterError, Studio
from workbench.sweeps import SweepResult


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    return Studio(Library(tmp_path_factory.mktemp("sweeps") / "library.duckdb"), engine="sketch")


@pytest.fixture(scope="module")
def melody(studio):
    return studio.generate("piano melody 100 bpm", duration=3.0, seed=11)


def test_loyalty_raises_melody_similarity(studio, melody):
    sweep = studio.sweep("lofi piano", melody=melody, loyalty=[0.0, 0.5, 1.0], weirdness=[0.4],
                         seeds=[0, 1], duration=3.0)
    table = sweep.table
    assert len(table) == 6 and table["track_id"].notna().all()
    by_loyalty = sweep.pivot("chroma_similarity").mean(axis=1)
    assert by_loyalty[0.0] < by_loyalty[0.5] < by_loyalty[1.0]
    track = studio.library.get(table["track_id"][0])
    assert f"sweep:{sweep.id}" in track.tags and track.derivation == "sweep"
    fig = sweep.plot("chroma_similarity")
    assert fig.axes[0].get_ylabel() == "loyalty"
    reloaded = SweepResult.load(studio.library, sweep.id)  # a later notebook or a dashboard
    assert reloaded.table.equals(table)


def test_structure_raises_beat_alignment(studio):
    sweep = studio.sweep("house drums 120 bpm", structure=[0.0, 1.0], seeds=[0, 1, 2], duration=3.0)
    by_structure = sweep.pivot("beat_alignment")["beat_alignment"]
    assert by_structure[1.0] > by_structure[0.0]


def test_interrupted_sweep_resumes(studio):
    cancel = threading.Event()
    calls = []

    def stop_after_two(done, total):
        calls.append(done)
        if done >= 2:
            cancel.set()

    args = dict(weirdness=[0.3, 0.6, 0.9, 1.2], seeds=[5], duration=2.0)
    with pytest.raises(Exception, match="cancel"):
        studio.sweep("ambient", progress=stop_after_two, cancel=cancel, **args)
    partial = studio.library.sweeps()[0]
    assert partial.status == "cancelled" and partial.cell_count == 2
    done = []
    finished = studio.sweep("ambient", progress=lambda d, t: done.append(d), **args)
    assert finished.id == partial.id
    assert done[0] == 2 and done[-1] == 4  # the two recorded cells were skipped
    assert studio.library.sweep(finished.id).status == "done"


def test_bad_sweeps_are_refused(studio):
    with pytest.raises(ParameterError, match="weirdness"):
        studio.sweep("x", weirdness=[0.5, 9.0])
    with pytest.raises(ParameterError, match="cannot sweep 'tempo'"):
        studio.sweep("x", tempo=[90, 120])
    with pytest.raises(ParameterError, match="at least one swept"):
        studio.sweep("x", weirdness=0.5)


@pytest.mark.slow
def test_sweep_on_a_dask_cluster_of_two_workers(studio):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        sweep = studio.sweep("techno 130 bpm", weirdness=[0.3, 1.2], structure=[0.0, 1.0], seeds=[0],
                             duration=2.0, executor=client.get_executor())
        workers = client.run(lambda: __import__("os").getpid())
    assert len(workers) == 2
    table = sweep.table
    assert len(table) == 4 and table["track_id"].notna().all()
    local = studio.sweep("techno 130 bpm", weirdness=[0.3], structure=[1.0], seeds=[0], duration=2.0)
    a = studio.library.audio(table[(table.weirdness == 0.3) & (table.structure == 1.0)]["track_id"].iloc[0])
    b = studio.library.audio(local.table["track_id"][0])
    assert (a.samples == b.samples).all()  # the same cell renders the same audio anywhere
