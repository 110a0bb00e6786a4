import threading
import time

import pytest

from workbench import Cancelled
from workbench.jobs import JobRunner


def slow(steps, *, progress=None, cancel=None, fail=False):
    for i in range(steps):
        if cancel.is_set():
            raise Cancelled("stopped")
        time.sleep(0.01)
        progress(i + 1, steps)
    if fail:
        raise RuntimeError("engine exploded")
    return "finished"


def test_job_returns_at_once_and_reports_progress():
    runner = JobRunner()
    seen = []
    job = runner.submit("work", slow, 20)
    job.on_change(lambda j: seen.append(j.progress))
    assert job.status in ("queued", "running")
    assert job.result(timeout=10) == "finished"
    assert job.status == "done" and job.progress == 1.0
    assert seen and seen == sorted(seen)
    assert runner.jobs() == [job]


def test_cancel_running_and_queued_jobs():
    runner = JobRunner()
    started = threading.Event()

    def wait(*, progress=None, cancel=None):
        started.set()
        cancel.wait(10)
        raise Cancelled("stopped")

    first = runner.submit("first", wait)
    second = runner.submit("second", slow, 5)
    started.wait(5)
    first.cancel()
    second.cancel()
    with pytest.raises(Cancelled):
        first.result(timeout=10)
    with pytest.raises(Cancelled):
        second.result(timeout=10)
    assert first.status == "cancelled" and second.status == "cancelled"


def test_failed_job_reports_its_error():
    job = JobRunner().submit("bad", slow, 2, fail=True)
    with pytest.raises(RuntimeError, match="exploded"):
        job.result(timeout=10)
    assert job.status == "failed" and "exploded" in str(job.error)
