"""Background jobs: long work runs on a thread so the kernel (and the notebook UI) stays responsive.

A job's function is called with `progress(done, total)` and `cancel` (a threading.Event) keyword
arguments. Progress is kept on the job and forwarded to listeners (a notebook progress bar);
`job.cancel()` sets the event and the engine stops at its next step with `Cancelled`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from typing import Any

from .errors import Cancelled

__all__ = ["Job", "JobRunner"]

_ids = itertools.count(1)


class Job:
    """A handle on background work: progress, status, cancel, result."""

    def __init__(self, name: str):
        self.id = next(_ids)
        self.name = name
        self.created = time.time()
        self.done_steps = 0
        self.total_steps = 0
        self._cancel = threading.Event()
        self._future: Future | None = None
        self._listeners: list[Callable[[Job], None]] = []
        self._lock = threading.Lock()

    # called from the worker thread
    def _progress(self, done: int, total: int) -> None:
        self.done_steps, self.total_steps = int(done), int(total)
        self._notify()

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener(self)
            except Exception:  # a broken progress bar must not break the job
                pass

    @property
    def progress(self) -> float:
        """Fraction done, 0..1."""
        if self.status == "done":
            return 1.0
        return self.done_steps / self.total_steps if self.total_steps else 0.0

    @property
    def status(self) -> str:
        """queued, running, done, failed or cancelled."""
        f = self._future
        if f is None or (not f.running() and not f.done()):
            return "cancelled" if self._cancel.is_set() else "queued"
        if f.running():
            return "running"
        if f.cancelled():
            return "cancelled"
        error = f.exception()
        if error is None:
            return "done"
        return "cancelled" if isinstance(error, Cancelled) else "failed"

    @property
    def error(self) -> BaseException | None:
        f = self._future
        if f is None or not f.done() or f.cancelled():
            return None
        return f.exception()

    def done(self) -> bool:
        return self._future is not None and self._future.done()

    def cancel(self) -> None:
        """Ask the job to stop; a queued job never starts."""
        self._cancel.set()
        if self._future is not None:
            self._future.cancel()

    def result(self, timeout: float | None = None) -> Any:
        """Wait for the result; re-raises the job's error (Cancelled if it was cancelled)."""
        try:
            return self._future.result(timeout)
        except CancelledError:
            raise Cancelled(f"job {self.name!r} was cancelled") from None

    def on_change(self, listener: Callable[[Job], None]) -> None:
        """Call `listener(job)` on every progress report and when the job ends."""
        self._listeners.append(listener)
        if self.done():
            listener(self)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.name!r} {self.status} {self.progress:.0%}>"


class JobRunner:
    """A small thread pool of jobs (one worker by default: models are not re-entrant)."""

    def __init__(self, max_workers: int = 1):
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="workbench-job")
        self._jobs: list[Job] = []

    def submit(self, name: str, fn: Callable[..., Any], *args, **kwargs) -> Job:
        job = Job(name)

        def run():
            if job._cancel.is_set():
                raise Cancelled(f"job {name!r} was cancelled before it started")
            return fn(*args, progress=job._progress, cancel=job._cancel, **kwargs)

        job._future = self._pool.submit(run)
        job._future.add_done_callback(lambda _f: job._notify())
        self._jobs.append(job)
        return job

    def jobs(self) -> list[Job]:
        return list(self._jobs)

    def shutdown(self, cancel: bool = True) -> None:
        if cancel:
            for job in self._jobs:
                job.cancel()
        self._pool.shutdown(wait=True, cancel_futures=cancel)
