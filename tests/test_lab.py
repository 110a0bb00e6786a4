"""`make lab` starts JupyterLab on 127.0.0.1 and its API answers."""

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from browser import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_make_lab_serves_the_api(tmp_path):
    port = free_port()
    env = {**os.environ, "JUPYTER_TOKEN": "wb-test-token", "JUPYTER_RUNTIME_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        ["make", "-s", "lab", f"PORT={port}", f"DB={tmp_path / 'library.duckdb'}",
         "LAB_ARGS=--no-browser"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/status?token=wb-test-token"
        deadline = time.time() + 120
        status = None
        while time.time() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    status = response.status
                    break
            except OSError:
                time.sleep(0.5)
        assert status == 200, proc.stdout.read().decode(errors="replace") if proc.poll() is not None else status
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token=wb-test-token", timeout=5) as r:
            assert r.status == 200  # serving notebooks/
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
