"""Cross-process access to one DuckDB file: an OS lock on a sidecar file, held for one transaction.

DuckDB 2.0 lets only one process open a database file at all, so no connection is ever kept: each
operation takes the lock (bounded wait), connects, runs one transaction, closes and releases. The lock
file (`library.duckdb.lock`) holds the holder's pid and purpose, so a `LibraryBusy` can name who holds it.

OS file locks are not fair: a process writing in a loop re-takes the lock before a polling waiter
notices it was free (measured: p95 of 2.5 s for a comment while another process hammered). So waiting
goes through a turnstile, `library.duckdb.lock.queue`: a waiter holds the turnstile while it waits for
the main lock, and whoever wants the main lock must pass the turnstile first, so a releaser queues
behind the waiter instead of overtaking it.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from filelock import FileLock, Timeout

from ..errors import LibraryBusy, LibraryError

__all__ = ["LibraryLock", "connect_with_retry", "DEFAULT_LOCK_TIMEOUT"]

DEFAULT_LOCK_TIMEOUT = 10.0


class LibraryLock:
    """An exclusive, re-entrant (per thread) lock on `<db>.lock`; `hold()` waits at most `timeout` s."""

    def __init__(self, db_path: Path, timeout: float = DEFAULT_LOCK_TIMEOUT):
        self.db_path = Path(db_path)
        self.path = self.db_path.with_name(self.db_path.name + ".lock")
        self.timeout = float(timeout)
        self._purpose = ""
        # thread_local: each thread of this process contends like another process would.
        self._lock = FileLock(self.path, timeout=self.timeout, poll_interval=0.002, thread_local=True,
                              on_acquired=self._stamp)
        self._turnstile = FileLock(self.path.with_name(self.path.name + ".queue"), timeout=self.timeout,
                                   poll_interval=0.002, thread_local=True)

    def _stamp(self, fd: int) -> None:
        """Write who holds the lock into the lock file, for the error message of whoever waits."""
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}: {self._purpose}".encode(), 0)
        except OSError:
            pass  # only diagnostics

    def holder(self) -> str:
        try:
            return self.path.read_text(errors="replace").strip() or "unknown"
        except OSError:
            return "unknown"

    @contextmanager
    def hold(self, purpose: str = "", timeout: float | None = None) -> Iterator[None]:
        timeout = self.timeout if timeout is None else timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._purpose = purpose
        started = time.monotonic()
        try:
            with self._turnstile.acquire(timeout=timeout):
                self._lock.acquire(timeout=max(0.0, timeout - (time.monotonic() - started)))
        except Timeout:
            waited = time.monotonic() - started
            raise LibraryBusy(
                f"the library {self.db_path} is busy: waited {waited:.1f} s for its lock file {self.path} "
                f"(held by {self.holder()}); retry, or open the Library with a longer lock_timeout"
            ) from None
        except OSError as error:  # an unwritable or missing folder, not a busy library
            raise LibraryError(f"cannot create the library's lock file {self.path}: {error.strerror or error}") \
                from None
        try:
            yield
        finally:
            self._lock.release()


def connect_with_retry(db_path: Path, deadline: float) -> duckdb.DuckDBPyConnection:
    """Connect, retrying while a process that ignores our lock file (a DuckDB shell...) holds the file."""
    delay = 0.005
    while True:
        try:
            return duckdb.connect(str(db_path))
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() + delay > deadline:
                raise LibraryBusy(
                    f"the library {db_path} is open in another program that does not use the workbench's "
                    f"lock file (close it, e.g. a DuckDB shell): {error}"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
