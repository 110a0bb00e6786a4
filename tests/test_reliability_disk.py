"""A library folder that cannot be written, and a full disk: a clear LibraryError, nothing half-written, and
the library exactly as before (rows and files), still opening.

These tests run as root, where chmod stops nothing, so unwritable targets are made real: a file where a
folder must be (ENOTDIR/EEXIST), a folder where the lock file must be (EISDIR). A full disk is a per-file
size limit (RLIMIT_FSIZE, with SIGXFSZ ignored so a write past it fails with EFBIG) set in a forked child.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from reliability import fork_server, leftover_part_files, library_state, read_journal

from workbench.audio import Audio
from workbench.errors import LibraryError
from workbench.library import Library
from workbench.studio import Studio


def _take(seconds: float = 1.0) -> Audio:
    return Audio(np.random.default_rng(1).standard_normal((1, int(8000 * seconds))).astype(np.float32) * 0.1,
                 8000)


@pytest.fixture
def lib(tmp_path):
    lib = Library(tmp_path / "lib" / "library.duckdb")
    lib.add(_take(), prompt="already here")
    return lib


def test_audio_folder_that_is_a_file(tmp_path):
    blocker = tmp_path / "lib" / "audio"
    blocker.parent.mkdir()
    blocker.write_text("not a folder")
    lib = Library(tmp_path / "lib" / "library.duckdb")
    before = library_state(lib.path)
    with pytest.raises(LibraryError, match=r"cannot write the audio file .*audio/"):
        lib.add(_take(), prompt="nowhere to go")
    with pytest.raises(LibraryError, match=r"cannot write the audio file"):
        Studio(lib, engine="sketch").generate("nowhere to go", duration=1.0, seed=1)
    assert library_state(lib.path) == before and leftover_part_files(lib.root) == []


def test_month_folder_replaced_by_a_file(lib):
    month = lib.path_of(lib.search()[0]).parent
    next_month = month.with_name("2099-01")
    next_month.write_text("in the way")
    before = library_state(lib.path)
    with pytest.raises(LibraryError, match=r"cannot write the audio file .*2099-01"):
        lib.add(_take(), prompt="dated in 2099", created_at="2099-01-02T03:04:05")
    assert library_state(lib.path) == before and leftover_part_files(lib.root) == []


def test_library_folder_under_a_file(tmp_path):
    (tmp_path / "plain_file").write_text("x")
    with pytest.raises(LibraryError, match=r"cannot create the library folder .*plain_file"):
        Library(tmp_path / "plain_file" / "lib" / "library.duckdb")


def test_lock_file_that_cannot_be_created(lib):
    """The audio file is written before the row: when the row cannot follow, the file goes too."""
    before = library_state(lib.path)
    lib.lock.path.unlink()
    lib.lock.path.mkdir()  # a folder where the lock file must be
    try:
        with pytest.raises(LibraryError, match=r"cannot create the library's lock file"):
            lib.add(_take(), prompt="no lock")
        with pytest.raises(LibraryError, match=r"cannot create the library's lock file"):
            lib.create_album("no lock")
    finally:
        lib.lock.path.rmdir()
    assert library_state(lib.path) == before and leftover_part_files(lib.root) == []


# ---- a full disk, in a forked child so the size limit never touches the test process
def _fill_the_disk(tmp_path, **kwargs) -> tuple[dict, dict, dict, Library]:
    lib = Library(tmp_path / "lib" / "library.duckdb")
    lib.add(_take(), prompt="already here")
    before = library_state(lib.path)
    server, journal = fork_server(), tmp_path / "full.log"
    pid = server.start("add_under_fsize_limit", db=str(lib.path), journal=str(journal), **kwargs)
    assert server.wait_or_kill(pid, 120) == 0, (tmp_path / "full.log.stderr").read_text()
    (words,) = read_journal(journal)
    return json.loads(" ".join(words)), before, library_state(lib.path), Library(lib.path)


# Audio bigger than the limit (10 s of 48 kHz stereo float = 3.8 MB > 2 MB); the database file (~0.8 MB)
# stays under it. Or a small file and a row too big for the write-ahead log.
FULL_DISK = {"audio file": {"limit": 2_000_000, "seconds": 10.0},
             "row commit": {"limit": 2_000_000, "seconds": 0.05, "extra_chars": 3_000_000}}


@pytest.fixture(scope="module")
def full_disk(tmp_path_factory):
    return {name: _fill_the_disk(tmp_path_factory.mktemp("disk"), **kw) for name, kw in FULL_DISK.items()}


@pytest.mark.slow
@pytest.mark.parametrize("where", list(FULL_DISK))
def test_full_disk_leaves_nothing_half_written(full_disk, where):
    outcome, before, after, reopened = full_disk[where]
    assert outcome["raised"], "the write fit under the limit: nothing was tested"
    assert after == before and leftover_part_files(reopened.root) == []
    assert reopened.count() == 1 and reopened.check(min_age=0).ok


@pytest.mark.slow
def test_full_disk_writing_audio_is_a_library_error(full_disk):
    outcome = full_disk["audio file"][0]
    assert "LibraryError" in outcome["raised"] and "too large" in outcome["message"], outcome


@pytest.mark.slow
def test_full_disk_committing_a_row_is_a_library_error(full_disk):
    outcome = full_disk["row commit"][0]
    assert "LibraryError" in outcome["raised"] and "too large" in outcome["message"], outcome
