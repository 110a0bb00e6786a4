"""A notebook kernel and a served dashboard write the same library at once, for a bounded time: every
operation either side attempted must have landed in DuckDB, exactly once.

Kernel side: add takes, comment on them, heart them. Dashboard side: read a page of newest tracks, comment,
make public, create albums and file tracks into them. Each side journals every attempt before making it;
the test then finds each attempt's trace in the database. Figures are printed (`pytest -s`).
"""

from __future__ import annotations

import time
from collections import Counter

import duckdb
import numpy as np
import pytest
from reliability import fork_server, read_journal

from workbench.audio import Audio
from workbench.library import Library

SECONDS = 10.0


def _attempts(journal) -> tuple[list[list[str]], list[list[str]]]:
    lines = read_journal(journal)
    return [w[1:] for w in lines if w[0] == "attempt"], [w[1:] for w in lines if w[0] == "error"]


@pytest.mark.slow
def test_kernel_and_dashboard_writing_at_once_lose_nothing(tmp_path):
    server = fork_server()
    db = tmp_path / "lib" / "library.duckdb"
    lib = Library(db)
    for i in range(3):  # the dashboard's first page
        lib.add(Audio(np.full((1, 1600), 0.2, np.float32), 8000), prompt=f"seed track {i}")
    go = tmp_path / "go"
    sides = {name: tmp_path / f"{name}.log" for name in ("kernel_side", "dashboard_side")}
    pids = {name: server.start(name, db=str(db), journal=str(j), go=str(go), seconds=SECONDS)
            for name, j in sides.items()}
    time.sleep(0.5)  # both children open the library, then start together
    go.touch()
    for name, pid in pids.items():
        status = server.wait_or_kill(pid, SECONDS + 120)
        assert status == 0, (tmp_path / f"{name}.log.stderr").read_text()

    kernel, kernel_errors = _attempts(sides["kernel_side"])
    dash, dash_errors = _attempts(sides["dashboard_side"])
    assert kernel_errors == [] and dash_errors == []

    con = duckdb.connect(str(db), read_only=True)
    try:
        prompts = Counter(r[0] for r in con.execute("select prompt from tracks").fetchall())
        comments = Counter(r[0] for r in con.execute("select text from comments").fetchall())
        favorite = {r[0] for r in con.execute("select id from tracks where favorite").fetchall()}
        public = {r[0] for r in con.execute("select id from tracks where public").fetchall()}
        albums = dict(con.execute("select title, id from albums").fetchall())
        filed = set(con.execute("select album_id, track_id from album_tracks").fetchall())
    finally:
        con.close()
    ok = {w[2]: w[3] for w in read_journal(sides["kernel_side"]) + read_journal(sides["dashboard_side"])
          if w[0] == "ok"}  # key -> the id the operation returned

    landed = Counter()
    last_album = None
    for op, key in kernel:
        landed[("kernel", op)] += {"add": prompts[key] == 1, "comment": comments[key] == 1,
                                   "favorite": ok.get(key) in favorite}[op]
    for op, key, target in dash:
        if op == "album":
            last_album = albums.get(key)
        landed[("dashboard", op)] += {"comment": comments[key] == 1, "public": target in public,
                                      "album": key in albums, "file": (last_album, target) in filed}[op]
    attempted = Counter([("kernel", op) for op, _ in kernel] + [("dashboard", w[0]) for w in dash])
    print(f"\nreliability: {sum(attempted.values())} operations attempted in {SECONDS:.0f} s by two processes, "
          f"{sum(landed.values())} landed: " + ", ".join(f"{side} {op} {landed[(side, op)]}/{n}"
                                                     for (side, op), n in sorted(attempted.items())))
    assert attempted == landed
    assert attempted[("kernel", "add")] >= 3 and attempted[("dashboard", "comment")] >= 3  # they really ran
    assert Library(db).check(min_age=0).ok
