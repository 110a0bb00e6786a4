"""Fault injection: SIGKILL a process in the middle of generation, in-painting, an upscaling job and a legacy
import, then reopen. The library must open, `check()` must find nothing or repair it (half-written `.part`
files removed, whole files without rows adopted), no track that had landed may be lost, no half file may
remain, and a killed import must finish on a rerun with every legacy track imported exactly once.

Kill points per operation: after random delays (wherever the operation happens to be: engine, file write,
row commit), and at two exact places armed inside the child (the temp file written but not renamed; the
row inserted but not committed). Figures are printed (`pytest -s`).
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from reliability import fork_server, leftover_part_files, read_journal, write_legacy_folder

from workbench.audio import Audio
from workbench.library import Library
from workbench.studio import Studio

RANDOM_KILLS = 3  # per operation, plus the two exact die points below
DIE_POINTS = ("replace:2", "insert:2")
LEGACY_FILES = 20


@pytest.fixture(scope="module")
def server():
    return fork_server()


def _inject(server, tmp_path: Path, task: str, die: str | None, delay: float, after_lines: int = 1,
            **kwargs) -> list[str]:
    """Run `task` in a fresh child and kill it at its die point, or `delay` s after its journal has
    `after_lines` lines. Returns the ids it reported as landed before it died."""
    journal = tmp_path / f"{task}-{time.monotonic_ns()}.log"
    pid = server.start(task, journal=str(journal), die=die, **kwargs)
    if die:
        status = server.wait_or_kill(pid, 120)
    else:
        deadline = time.monotonic() + 120
        while len(read_journal(journal)) < after_lines and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(delay)
        status = server.kill(pid)
    errors = Path(f"{journal}.stderr")
    assert status == -signal.SIGKILL, errors.read_text() if errors.exists() else f"exit status {status}"
    lines = read_journal(journal)
    assert lines, "the child died before it began: nothing was tested"
    return [words[1] for words in lines if words[0] == "landed"]


def _recover(db: Path, before: set[str], landed: list[str], *, min_age: float = 0.0):
    """Reopen after a kill, check and repair; assert nothing landed is lost and no half file remains."""
    lib = Library(db)  # opens (and would resume an interrupted auto-import)
    found = lib.check(min_age=min_age)
    lib.check(repair=True, min_age=min_age)
    after = lib.check(min_age=min_age)
    assert after.ok, str(after)
    tracks = {t.id: t for t in lib.search(limit=10_000, include_trash=True)}
    assert before <= tracks.keys(), f"tracks lost: {sorted(before - tracks.keys())}"
    assert set(landed) <= tracks.keys(), f"landed tracks lost: {sorted(set(landed) - tracks.keys())}"
    assert not [i for i in landed if tracks[i].trashed]
    assert leftover_part_files(lib.root) == []
    for track in tracks.values():  # every file whole: it decodes to exactly the duration its row records
        if not track.trashed:
            assert lib.audio(track).duration == pytest.approx(track.duration, abs=1e-6), track
    return lib, found, set(tracks)


def _kill_plan(seed: int, low: float, high: float) -> list[tuple[str | None, float]]:
    rng = random.Random(seed)
    return [(None, rng.uniform(low, high)) for _ in range(RANDOM_KILLS)] + [(d, 0.0) for d in DIE_POINTS]


def _check_damage(die: str | None, found) -> None:
    """An exact die point leaves exactly the damage it should, and check() saw it."""
    if die and die.startswith("replace"):
        assert found.partial_files and not found.orphan_files, str(found)
    elif die and die.startswith("insert"):
        assert found.orphan_files and not found.partial_files, str(found)


def _run_operation(server, tmp_path: Path, task: str, seed: int, low: float, high: float, **kwargs) -> int:
    db = tmp_path / "lib" / "library.duckdb"
    known = _recover(db, set(), [])[2]  # the source track, if any
    faults = 0
    for die, delay in _kill_plan(seed, low, high):
        landed = _inject(server, tmp_path, task, die, delay, db=str(db), **kwargs)
        lib, found, known_now = _recover(db, known, landed)
        _check_damage(die, found)
        if die:  # the first take landed before the die point fired
            assert len(landed) == 1
        known = known_now
        faults += 1
    print(f"\nreliability: {faults} faults injected into {task} ({len(known)} tracks survive)")
    return faults


def _source(tmp_path: Path, seconds: float) -> str:
    studio = Studio(Library(tmp_path / "lib" / "library.duckdb"), engine="sketch")
    return studio.generate("fault injection source, 100 bpm", duration=seconds, seed=5).id


@pytest.mark.slow
def test_sigkill_during_generation(server, tmp_path):
    _run_operation(server, tmp_path, "generate", 1, 0.2, 2.0, duration=12.0)


@pytest.mark.slow
def test_sigkill_during_inpainting(server, tmp_path):
    source = _source(tmp_path, 8.0)
    _run_operation(server, tmp_path, "inpaint", 2, 0.2, 1.5, source=source)


@pytest.mark.slow
def test_sigkill_during_upscaling_job(server, tmp_path):
    source = _source(tmp_path, 20.0)
    _run_operation(server, tmp_path, "upscale", 3, 0.05, 1.0, source=source)


def _legacy_done(lib: Library, ids: list[str]) -> None:
    """Every legacy track imported exactly once, with its own metadata."""
    tracks = lib.search(limit=1000, derivation="import", order="oldest")
    by_legacy = {}
    for t in tracks:
        by_legacy.setdefault(t.extra.get("legacy_id"), []).append(t)
    assert sorted(by_legacy) == sorted(ids)
    assert all(len(v) == 1 for v in by_legacy.values())
    for legacy_id, (track,) in by_legacy.items():
        assert track.prompt == f"legacy prompt {int(legacy_id.split('-')[1])}"
        assert [c.text for c in lib.comments(track)] == [f"note {int(legacy_id.split('-')[1])}"]
    assert lib.count(derivation="recovered") == 0


@pytest.mark.slow
def test_sigkill_during_legacy_import_then_resume(server, tmp_path):
    """Kills during a copying import (audio outside the library), each on a fresh library; the reopened
    library resumes the import first (as it does itself for an interrupted auto-import), then checks."""
    ids = write_legacy_folder(tmp_path / "legacy", LEGACY_FILES)
    rng = random.Random(4)  # random kills: a random few ms after a random file's progress report
    plan = [(None, rng.uniform(0, 0.05), rng.randrange(3, LEGACY_FILES - 2)) for _ in range(RANDOM_KILLS)]
    plan += [("replace:4", 0.0, 1), ("insert:7", 0.0, 1)]
    for k, (die, delay, lines) in enumerate(plan):
        db = tmp_path / f"lib{k}" / "library.duckdb"
        _inject(server, tmp_path, "legacy", die, delay, lines, db=str(db), folder=str(tmp_path / "legacy"))
        lib = Library(db)
        landed = {t.id for t in lib.search(limit=1000, include_trash=True)}
        assert len(landed) < LEGACY_FILES, "the kill came after the import finished: shorten the delay"
        report = lib.migrate_legacy(tmp_path / "legacy")
        assert len(report.already) == len(landed) and not report.skipped, str(report)
        lib, found, _ = _recover(db, landed, [])
        assert not found.orphan_files, str(found)
        if die and die.startswith("replace"):
            assert found.partial_files
        _legacy_done(lib, ids)
    print(f"\nreliability: {len(plan)} faults injected into legacy import of {LEGACY_FILES} files")


def test_legacy_import_killed_between_copy_and_row_then_checked(server, tmp_path):
    ids = write_legacy_folder(tmp_path / "legacy", 6)
    db = tmp_path / "lib" / "library.duckdb"
    _inject(server, tmp_path, "legacy", "insert:3", 0.0, db=str(db), folder=str(tmp_path / "legacy"))
    lib, found, _ = _recover(db, set(), [])  # check first: adopts the copied file as "recovered"
    assert found.orphan_files
    report = lib.migrate_legacy(tmp_path / "legacy")
    assert not report.skipped, str(report)
    _legacy_done(lib, ids)


def test_kill_during_a_plain_library_write_is_repaired(server, tmp_path):
    """The quickest die point, unmarked so a short run covers it: a take whose row never committed."""
    db = tmp_path / "lib" / "library.duckdb"
    Library(db).add(Audio(np.zeros((1, 800), np.float32) + 0.1, 8000), prompt="kept")
    before = {t.id for t in Library(db).search()}
    landed = _inject(server, tmp_path, "generate", "insert:1", 0.0, db=str(db), duration=2.0)
    lib, found, known = _recover(db, before, landed)
    assert landed == [] and found.orphan_files and len(known) == 2
    assert lib.search(derivation="recovered")[0].tags == ("recovered",)
