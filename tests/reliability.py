"""Helpers of the reliability suite: a checksum of a whole library, and a fork server that runs workbench
operations in child processes the tests can SIGKILL at any moment.

Why a fork server: importing the workbench (scipy, librosa, soundfile...) and warming librosa's lazy
imports and numba functions takes 5-20 s per process on the shared CPU. The server pays that once, then
forks a warm child per task, so a kill test costs the operation's own time and nothing more.

Tasks run in the child, write a journal (one line per attempt and per landed result, flushed at once so
that it survives a SIGKILL) and can arm a *die point*: the child SIGKILLs itself at an exact place (inside
the atomic write before its rename, or inside the track-row insert before the commit).
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import json
import os
import select
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import duckdb

__all__ = ["library_state", "leftover_part_files", "ForkServer", "fork_server", "read_journal", "TASKS",
           "write_legacy_folder"]

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SIDECARS = (".lock", ".lock.queue", ".wal")  # lock files and DuckDB's write-ahead log


# --------------------------------------------------------------------------- checksum
def library_state(db_path: str | os.PathLike) -> dict[str, Any]:
    """Every table's rows (count + sha256 of the sorted rows) and the sha256 of every file under the
    library root, the lock and WAL sidecars excluded. Equal states mean nothing changed at all."""
    from workbench.library.locking import LibraryLock

    db_path = Path(db_path)
    tables: dict[str, tuple[int, str]] = {}
    with LibraryLock(db_path, 30).hold("reliability checksum"):
        con = duckdb.connect(str(db_path), read_only=True)
        try:
            names = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                               "where table_schema = 'main' order by 1").fetchall()]
            for name in names:
                rows = con.execute(f'select * from "{name}" order by all').fetchall()
                tables[name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
        finally:
            con.close()
    files = {}
    for path in sorted(db_path.parent.rglob("*")):
        if path.is_file() and not (path.name.startswith(db_path.name) and path.name.endswith(SIDECARS)):
            files[path.relative_to(db_path.parent).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"rows": tables, "files": files}


def leftover_part_files(root: str | os.PathLike) -> list[str]:
    """Temporary files of an interrupted atomic write anywhere under `root`."""
    return sorted(p.relative_to(root).as_posix() for p in Path(root).rglob("*.part"))


def read_journal(path: str | os.PathLike) -> list[list[str]]:
    """A task's journal as lists of words; a line cut by a kill is dropped."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return []
    return [line.split(" ") for line in text.split("\n")[:-1] if line]


def write_legacy_folder(folder: Path, n: int, seconds: float = 0.5) -> list[str]:
    """An old MusicGen Studio folder: `n` metadata JSONs, each with its WAV in outputs/. Returns the ids."""
    import numpy as np

    from workbench.audio import Audio

    (folder / "metadata").mkdir(parents=True)
    (folder / "outputs").mkdir()
    rng = np.random.default_rng(n)
    ids = []
    for i in range(n):
        legacy_id = f"legacy-{i:04d}"
        Audio(rng.standard_normal((1, int(8000 * seconds))).astype(np.float32) * 0.1, 8000) \
            .save(folder / "outputs" / f"{legacy_id}.wav")
        (folder / "metadata" / f"{legacy_id}.json").write_text(json.dumps({
            "id": legacy_id, "filename": f"{legacy_id}.wav", "prompt": f"legacy prompt {i}", "seed": i,
            "created_at": f"2024-03-{1 + i % 28:02d}T10:00:00Z", "favorite": i % 3 == 0,
            "comments": [{"time": 0.1, "text": f"note {i}"}]}))
        ids.append(legacy_id)
    return ids


# --------------------------------------------------------------------------- tasks (run in the child)
class _Journal:
    def __init__(self, path: str):
        self._file = open(path, "a", buffering=1)  # noqa: SIM115 (kept open for the child's life)

    def write(self, *words: Any) -> None:
        self._file.write(" ".join(str(w) for w in words) + "\n")
        self._file.flush()


def _arm(die: str | None) -> None:
    """`die` = "replace:N" (SIGKILL inside the Nth atomic rename of a .part file, i.e. with the temp file
    written but not in place) or "insert:N" (inside the Nth track-row insert, transaction still open)."""
    if not die:
        return
    point, nth = die.split(":")
    hits = itertools.count(1)

    def maybe_die():
        if next(hits) == int(nth):
            os.kill(os.getpid(), signal.SIGKILL)

    if point == "replace":
        real_replace = os.replace

        def replace(src, dst, **kw):
            if str(src).endswith(".part"):
                maybe_die()
            return real_replace(src, dst, **kw)

        os.replace = replace
    elif point == "insert":
        from workbench.library import Library

        real_insert = Library._insert_track

        def insert(*args, **kw):
            real_insert(*args, **kw)
            maybe_die()

        Library._insert_track = staticmethod(insert)
    else:
        raise ValueError(f"unknown die point {die!r}")


def _studio(db: str):
    from workbench.library import Library
    from workbench.studio import Studio

    return Studio(Library(db, lock_timeout=60), engine="sketch")


def task_generate(db: str, journal: str, die: str | None = None, duration: float = 10.0) -> None:
    studio, log = _studio(db), _Journal(journal)
    _arm(die)
    for i in itertools.count():
        log.write("attempt", i)
        track = studio.generate("fault injection take, 120 bpm", duration=duration, seed=i)
        log.write("landed", track.id)


def task_inpaint(db: str, journal: str, source: str, die: str | None = None) -> None:
    studio, log = _studio(db), _Journal(journal)
    _arm(die)
    for i in itertools.count():
        log.write("attempt", i)
        track = studio.inpaint(source, 1.0, 5.0, seed=i, candidates=2)
        log.write("landed", track.id)


def task_upscale(db: str, journal: str, source: str, die: str | None = None) -> None:
    studio, log = _studio(db), _Journal(journal)
    _arm(die)
    for i in itertools.count():
        log.write("attempt", i)
        track = studio.upscale(source, 48000, method="resample").result()
        log.write("landed", track.id)


def task_legacy(db: str, journal: str, folder: str, die: str | None = None) -> None:
    from workbench.library import Library

    lib, log = Library(db, lock_timeout=60), _Journal(journal)
    _arm(die)
    log.write("attempt", "import")
    report = lib.migrate_legacy(folder, progress=lambda done, total: log.write("progress", done, total))
    log.write("finished", len(report.imported), len(report.skipped))


def task_kernel_side(db: str, journal: str, go: str, seconds: float) -> None:
    """What a notebook kernel does: add takes, comment on them, heart them."""
    import numpy as np

    from workbench.audio import Audio
    from workbench.library import Library

    lib, log = Library(db, lock_timeout=60), _Journal(journal)
    audio = Audio(np.full((1, 1600), 0.1, np.float32), 8000)
    _wait_for(go)
    deadline, mine = time.monotonic() + seconds, []
    for i in itertools.count():
        if time.monotonic() >= deadline:
            break
        op = ("add", "comment", "favorite")[i % 3] if mine else "add"
        key = f"kernel-{i}"
        log.write("attempt", op, key)
        try:
            if op == "add":
                mine.append(lib.add(audio, prompt=key, tags=["kernel"]).id)
                log.write("ok", op, key, mine[-1])
            elif op == "comment":
                log.write("ok", op, key, lib.add_comment(mine[-1], at=0.1, text=key, author="kernel").id)
            else:
                lib.set_favorite(mine[-1])
                log.write("ok", op, key, mine[-1])
        except Exception as error:  # counted by the test: every attempt must land
            log.write("error", op, key, type(error).__name__, str(error).replace("\n", " "))


def task_dashboard_side(db: str, journal: str, go: str, seconds: float) -> None:
    """What a served review dashboard does: read a page, comment, make public, file into albums."""
    from workbench.library import Library

    lib, log = Library(db, lock_timeout=60), _Journal(journal)
    _wait_for(go)
    deadline, album = time.monotonic() + seconds, None
    for i in itertools.count():
        if time.monotonic() >= deadline:
            break
        page = lib.search(limit=20)
        target = page[i % len(page)].id
        op = ("comment", "public", "album", "file")[i % 4]
        if op == "file" and album is None:
            op = "album"
        key = f"dash-{i}"
        log.write("attempt", op, key, target)
        try:
            if op == "comment":
                log.write("ok", op, key, lib.add_comment(target, at=0.0, text=key, author="reviewer").id)
            elif op == "public":
                lib.set_public(target)
                log.write("ok", op, key, target)
            elif op == "album":
                album = lib.create_album(key).id
                log.write("ok", op, key, album)
            else:
                lib.add_to_album(album, target)
                log.write("ok", op, key, album)
        except Exception as error:
            log.write("error", op, key, type(error).__name__, str(error).replace("\n", " "))


def task_add_under_fsize_limit(db: str, journal: str, limit: int, seconds: float, extra_chars: int = 0) -> None:
    """Add one track with writes capped at `limit` bytes per file (a full disk, as the kernel sees it)."""
    import resource

    import numpy as np

    from workbench.audio import Audio
    from workbench.library import Library

    lib, log = Library(db), _Journal(journal)
    audio = Audio(np.random.default_rng(0).standard_normal((2, int(48000 * seconds))).astype(np.float32) * 0.1,
                  48000)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # so a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    try:
        lib.add(audio, prompt="too big for the disk", extra={"blob": "x" * extra_chars} if extra_chars else None)
        log.write(json.dumps({"raised": None}))
    except BaseException as error:
        log.write(json.dumps({"raised": [c.__name__ for c in type(error).__mro__], "message": str(error)}))


def _wait_for(path: str) -> None:
    while not os.path.exists(path):
        time.sleep(0.005)


TASKS = {name.removeprefix("task_"): fn for name, fn in list(globals().items()) if name.startswith("task_")}


# --------------------------------------------------------------------------- the server
def _warm_up() -> None:
    """Run each operation once, small, so lazy imports and numba compilation happen before any fork."""
    import tempfile

    from workbench.library import Library
    from workbench.studio import Studio

    with tempfile.TemporaryDirectory() as folder:
        studio = Studio(Library(Path(folder) / "library.duckdb"), engine="sketch")
        take = studio.generate("warm up", duration=6.0, seed=0)
        studio.inpaint(take, 1.0, 3.0, seed=0, candidates=1)
        studio.upscale(take, 48000, method="resample").result()
        write_legacy_folder(Path(folder) / "legacy", 2)
        studio.library.migrate_legacy(Path(folder) / "legacy")
        studio.library.check(repair=True, min_age=0)


def _serve() -> None:
    """Server loop: one JSON request per stdin line, one JSON reply per stdout line."""
    _warm_up()
    out = sys.stdout
    print(json.dumps({"ready": os.getpid()}), file=out, flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "start":
            pid = os.fork()
            if pid == 0:
                _child(request["task"], request["kwargs"])
            print(json.dumps({"pid": pid}), file=out, flush=True)
        elif request["op"] == "wait":
            print(json.dumps({"status": _wait(request["pid"], request["timeout"])}), file=out, flush=True)
        else:
            break


def _child(task: str, kwargs: dict) -> None:
    code = 1
    try:
        _die_with_parent()
        errors = os.open(kwargs["journal"] + ".stderr", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.dup2(errors, 2)
        sys.stdin = sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (the child never returns)
        TASKS[task](**kwargs)
        code = 0
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    """Linux: the kernel SIGKILLs this child if the server goes (a crashed test run leaves no loops behind)."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _wait(pid: int, timeout: float) -> int | None:
    """Exit code (negative: killed by that signal) or None if still running after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)


class ForkServer:
    """Client side: start the server once; `start()` a task in a fresh child, `kill()` or `wait()` it."""

    def __init__(self, startup_timeout: float = 300.0):
        code = f"import sys; sys.path.insert(0, {str(TESTS)!r}); import reliability; reliability._serve()"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1"}
        self._proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True, env=env, cwd=ROOT)
        self._reply(startup_timeout)
        self.started = 0
        self.killed = 0

    def _reply(self, timeout: float) -> dict:
        ready, _, _ = select.select([self._proc.stdout], [], [], timeout)
        line = self._proc.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"the fork server did not answer (exit code {self._proc.poll()})")
        return json.loads(line)

    def _ask(self, request: dict, timeout: float = 30.0) -> dict:
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        return self._reply(timeout)

    def start(self, task: str, **kwargs) -> int:
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}")
        self.started += 1
        return self._ask({"op": "start", "task": task, "kwargs": kwargs})["pid"]

    def wait(self, pid: int, timeout: float = 60.0) -> int | None:
        return self._ask({"op": "wait", "pid": pid, "timeout": timeout}, timeout + 30)["status"]

    def wait_or_kill(self, pid: int, timeout: float) -> int | None:
        """Wait for the child to end by itself; kill it if it has not after `timeout` s."""
        status = self.wait(pid, timeout)
        if status is None:
            self.kill(pid)
        return status

    def kill(self, pid: int) -> int | None:
        os.kill(pid, signal.SIGKILL)
        self.killed += 1
        return self.wait(pid, 30)

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                self._proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self._proc.stdin.close()
                self._proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()


_server: ForkServer | None = None


def fork_server() -> ForkServer:
    """The one fork server of this test session (started on first use, closed at exit)."""
    global _server
    if _server is None or _server._proc.poll() is not None:
        _server = ForkServer()
        atexit.register(_server.close)
    return _server
