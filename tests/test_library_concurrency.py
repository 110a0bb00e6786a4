"""Two processes on one library: nothing lost; a process killed mid-write leaves a library check() repairs."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import numpy as np
import pytest

from workbench.audio import Audio
from workbench.library import Library

ROOT = Path(__file__).resolve().parent.parent
OPS_PER_WRITER = 150  # half comments, half flags: 300 operations across the two processes

WRITER = """
import sys, time
from pathlib import Path
from workbench.library import Library
db, me, comment_track, go, n = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4]), int(sys.argv[5])
lib = Library(db, lock_timeout=60)
targets = [t.id for t in lib.search(tags=[me], limit=n, order="oldest")]
while not go.exists():
    time.sleep(0.005)
errors = 0
for i in range(n):
    try:
        if i % 2 == 0:
            lib.add_comment(comment_track, at=0.0, text=f"{me}-{i}", author=me)
        elif i % 4 == 1:
            lib.set_favorite(targets[i // 2])
        else:
            lib.set_disliked(targets[i // 2])
    except Exception as error:
        errors += 1
        print("error", type(error).__name__, error, file=sys.stderr)
print("done", errors)
"""

KILLED_WRITER = """
import sys
import numpy as np
from workbench.audio import Audio
from workbench.library import Library
lib = Library(sys.argv[1])
rng = np.random.default_rng(int(sys.argv[2]))
print("ready", flush=True)
while True:
    t = lib.add(Audio(rng.standard_normal((2, 32000 * 3)).astype("float32") * 0.1, 32000), prompt="take")
    lib.add_comment(t, at=1.0, text="note")
    lib.set_favorite(t)
"""


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _bulk_tracks(lib: Library, tag: str, n: int) -> None:
    """Rows only (no audio): flag targets for the writers, made fast."""
    with duckdb.connect(str(lib.path)) as con:
        con.execute("insert into tracks (id, filepath, duration, sample_rate, channels, created_at, tags) "
                    "select ? || lpad(i::varchar, 5, '0'), 'none.wav', 1.0, 8000, 1, "
                    "now()::timestamp + to_microseconds(i), [?] from range(?) r(i)", [tag, tag, n])


@pytest.mark.slow
def test_two_processes_writing_lose_nothing(tmp_path):
    lib = Library(tmp_path / "library.duckdb")
    track = lib.add(Audio(np.zeros(8000, np.float32), 8000), prompt="shared")
    _bulk_tracks(lib, "a", OPS_PER_WRITER // 2)
    _bulk_tracks(lib, "b", OPS_PER_WRITER // 2)
    go = tmp_path / "go"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(lib.path), me, track.id, str(go),
                                 str(OPS_PER_WRITER)], env=_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for me in ("a", "b")]
    time.sleep(1.0)  # both imported and waiting, so they really overlap
    go.touch()
    outputs = [w.communicate(timeout=180) for w in writers]
    for (out, err), w in zip(outputs, writers, strict=True):
        assert w.returncode == 0 and out.strip() == "done 0", err
    texts = sorted(c.text for c in lib.comments(track.id))
    expected = sorted(f"{me}-{i}" for me in "ab" for i in range(0, OPS_PER_WRITER, 2))
    assert texts == expected  # every comment landed, exactly once
    for me in "ab":
        flags = [(t.favorite, t.disliked) for t in lib.search(tags=[me], limit=1000, order="oldest")]
        expected_flags = [(True, False) if i % 4 == 1 else (False, True) for i in range(1, OPS_PER_WRITER, 2)]
        assert flags == expected_flags


def test_threads_of_one_process_share_a_library(tmp_path):
    lib = Library(tmp_path / "library.duckdb")
    track = lib.add(Audio(np.zeros(8000, np.float32), 8000))
    errors = []

    def write(name):
        try:
            for i in range(10):
                lib.add_comment(track, at=0.5, text=f"{name}{i}")
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in "xyz"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(lib.comments(track)) == 30


def test_sigkill_mid_write_leaves_a_consistent_library(tmp_path):
    db = tmp_path / "library.duckdb"
    Library(db)
    rng = random.Random(1)
    for round_ in range(2):
        proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(db), str(round_)], env=_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        time.sleep(rng.uniform(0.3, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    lib = Library(db)  # opens after the kills
    tracks = lib.search(limit=10_000, include_trash=True)
    assert tracks, "the writer never got a track in: raise the sleep"
    for t in tracks:  # no row without its audio, and every file is whole
        assert lib.audio(t).duration == pytest.approx(3.0)
    # Damage a kill can cause, made certain: a file whose row never committed, a half-written temp file,
    # plus drift from outside: an unreadable orphan and a deleted file.
    folder = lib.audio_dir / "2024-01"
    folder.mkdir(parents=True)
    Audio(np.zeros((1, 8000), np.float32), 8000).save(folder / "1j000000000abcd.wav")
    (folder / ".1j000000000abce.wav.part").write_bytes(b"RIFF....")
    (folder / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    gone = tracks[0]
    lib.path_of(gone).unlink()

    found = lib.check(min_age=0)
    assert not found.ok and found.orphan_files and found.partial_files
    assert [i for i, _ in found.missing_files] == [gone.id]
    repaired = lib.check(repair=True, min_age=0)
    assert "1j000000000abcd" in repaired.adopted
    assert any(p.endswith("broken.wav") for p in repaired.quarantined)
    assert (lib.root / "quarantine").is_dir() and not (folder / "broken.wav").exists()
    assert not list(lib.audio_dir.rglob(".*.part"))
    assert lib.get("1j000000000abcd").derivation == "recovered"
    assert lib.get(gone.id).trashed
    assert lib.check(min_age=0).ok
    lib.purge()
    assert lib.check(min_age=0).ok
