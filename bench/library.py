"""Library speed at 100k and 1M tracks: page queries and comment-write latency, alone and contended.

Builds each library in bulk with SQL (rows only: the bench needs no audio files), then times the public
`Library` calls a dashboard makes, each a full lock/connect/query/close round trip:
newest page of 50 with comment counts, the same with a filter, a text search, a count; and the latency of
`add_comment` alone and while a second process writes (comments and hearts) as fast as it can.
Side by side, the page query's two SQL shapes (page first then join counts, vs a correlated count).

    .venv/bin/python bench/library.py [--quick] [--sizes 100000 1000000] [--repeat 15] [--writes 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.library import Library  # noqa: E402

PROMPTS = ["lofi piano, rain", "upbeat synthwave", "ambient pad, slow", "jazz trio with brushes",
           "drum and bass, rolling", "orchestral trailer", "acoustic folk guitar", "deep house groove"]

SECOND_WRITER = """
import sys, time
from pathlib import Path
from workbench.library import Library
lib, track, stop = Library(sys.argv[1], lock_timeout=60), sys.argv[2], Path(sys.argv[3])
n = 0
while not stop.exists():
    lib.add_comment(track, at=1.0, text=f"other {n}")
    lib.set_favorite(track, n % 2 == 0)
    n += 2
    if n == 2:
        print("writing", flush=True)
print(n)
"""


def build(path: Path, n: int) -> float:
    started = time.perf_counter()
    Library(path, import_legacy=False)  # the real schema
    prompts = "[" + ", ".join(f"'{p}'" for p in PROMPTS) + "]"
    with duckdb.connect(str(path)) as con:
        con.execute(f"""
            insert into tracks (id, filepath, duration, sample_rate, channels, prompt, seed, engine, model,
                                config, derivation, favorite, disliked, tags, created_at)
            select printf('b%014d', i), 'audio/bench/' || i || '.wav', 8.0 + i % 23, 32000, 1,
                   {prompts}[1 + i % {len(PROMPTS)}] || ' take ' || i, i, 'musicgen', 'facebook/musicgen-small',
                   '{{"weirdness": 1.0, "loyalty": 0.5}}', 'generate', i % 17 = 0, i % 17 = 1,
                   [['lofi', 'synth', 'ambient'][1 + i % 3]], timestamp '2024-01-01' + to_seconds(i * 30)
            from range(?) r(i)""", [n])
        con.execute("""
            insert into comments select printf('c%014d', j), printf('b%014d', (j * 7919) % ?), 1.0, null,
                   'comment ' || j, null, timestamp '2024-06-01' + to_seconds(j)
            from range(?) r(j)""", [n, int(n * 0.3)])
        con.execute("checkpoint")
    return time.perf_counter() - started


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm the OS cache
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def raw_page(lib: Library, correlated: bool) -> None:
    if correlated:
        sql = ("select t.*, (select count(*) from comments c where c.track_id = t.id) from tracks t "
               "where t.trashed_at is null order by created_at desc, id desc limit 50")
    else:
        sql = ("with page as (select * from tracks t where t.trashed_at is null order by created_at desc, id desc "
               "limit 50), counts as (select track_id, count(*) n from comments where track_id in "
               "(select id from page) group by track_id) select page.*, coalesce(counts.n, 0) from page "
               "left join counts on counts.track_id = page.id order by created_at desc, id desc")
    with lib.lock.hold("bench"), duckdb.connect(str(lib.path)) as con:
        con.execute(sql).fetchall()


def bench_size(folder: Path, n: int, repeat: int, writes: int) -> list[tuple[str, str, float, float]]:
    path = folder / f"lib_{n}.duckdb"
    build_s = build(path, n)
    lib = Library(path, import_legacy=False, lock_timeout=60)
    track = lib.search(limit=1)[0]
    rows = [(f"{n:,}", "build (bulk SQL insert, 0.3 comments per track)", build_s * 1000, build_s * 1000)]
    queries = {
        "page: newest 50 + comment counts": lambda: lib.search(limit=50),
        "page: favourites, newest 50": lambda: lib.search(favorite=True, limit=50),
        "page: text search 'jazz brushes'": lambda: lib.search(text="jazz brushes", limit=50),
        "page: tag 'lofi' + text 'piano', page 3": lambda: lib.search(text="piano", tags=["lofi"], offset=100),
        "count: all untrashed": lambda: lib.count(),
        "SQL page first, then join counts": lambda: raw_page(lib, correlated=False),
        "SQL correlated count subquery": lambda: raw_page(lib, correlated=True),
    }
    for name, fn in queries.items():
        values = timed(fn, repeat)
        rows.append((f"{n:,}", name, statistics.median(values), p95(values)))
    alone = timed(lambda: lib.add_comment(track, at=1.0, text="bench"), writes)
    rows.append((f"{n:,}", "add_comment, alone", statistics.median(alone), p95(alone)))
    stop = folder / "stop"
    stop.unlink(missing_ok=True)
    other = subprocess.Popen([sys.executable, "-c", SECOND_WRITER, str(path), track.id, str(stop)],
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    if other.stdout.readline().strip() != "writing":  # measure only once it really writes
        raise SystemExit("the second writer process failed to start")
    contended = timed(lambda: lib.add_comment(track, at=1.0, text="bench"), writes)
    stop.touch()
    other_ops = int(other.communicate(timeout=120)[0].strip() or 0)
    rows.append((f"{n:,}", f"add_comment, 2nd process writing ({other_ops} ops meanwhile)",
                 statistics.median(contended), p95(contended)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k tracks only")
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--repeat", type=int, default=15, help="timed repetitions per query")
    parser.add_argument("--writes", type=int, default=60, help="timed comment writes per case")
    parser.add_argument("--device", default="cpu", help="ignored: the library runs on the CPU")
    args = parser.parse_args()
    sizes = args.sizes or ([100_000] if args.quick else [100_000, 1_000_000])
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_library_") as tmp:
        for n in sizes:
            rows += bench_size(Path(tmp), n, args.repeat, args.writes)
    print(f"\nLibrary (DuckDB {duckdb.__version__}, {os.cpu_count()} CPUs, each call = lock + connect + "
          "one transaction + close)\n")
    print("| tracks | operation | median ms | p95 ms |")
    print("|---:|---|---:|---:|")
    for size, name, median, high in rows:
        print(f"| {size} | {name} | {median:.1f} | {high:.1f} |")
    by = {(s, name): median for s, name, median, _ in rows}
    for size in dict.fromkeys(s for s, *_ in rows):
        ratio = by[(size, "SQL correlated count subquery")] / by[(size, "SQL page first, then join counts")]
        print(f"\n{size} tracks: correlated count / page-first join = {ratio:.2f}x")


if __name__ == "__main__":
    main()
