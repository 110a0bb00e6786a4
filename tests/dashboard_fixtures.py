"""Shared by the dashboard tests: a small real library, a served dashboard, page helpers
(the browser itself is the session's one Chromium from tests/browser.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
from browser import stop_process

from workbench import Library
from workbench.audio import Audio

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "dashboard"
XSS_SCRIPT = "<script>alert('xss-script')</script>"
XSS_IMG = "<img src=x onerror=alert('xss-img')>"


def tone(freq: float = 440.0, seconds: float = 2.0, rate: int = 32_000) -> Audio:
    t = np.arange(int(seconds * rate)) / rate
    return Audio((0.3 * np.sin(2 * np.pi * freq * t))[None].astype("float32"), rate)


def make_library(folder: Path) -> dict:
    """Tracks (one with HTML in its prompt), comments incl. XSS ones, an album, a sweep, and a track whose
    row points outside the library folder."""
    lib = Library(folder / "library.duckdb")
    tracks = [lib.add(tone(220.0 * (i + 1)), prompt=f"calm piano take {i}", tags=["calm"], seed=i) for i in range(3)]
    html_track = lib.add(tone(330.0), prompt="<b>bold</b> prompt <img src=x onerror=alert('xss-prompt')>",
                         tags=["xss"])
    lib.add_comment(html_track, 0.5, XSS_SCRIPT)
    lib.add_comment(html_track, 1.0, XSS_IMG)
    album = lib.create_album("Best <i>takes</i> <img src=x onerror=alert('xss-album')>")
    lib.add_to_album(album, tracks[0])
    sweep_id = lib.create_sweep({"prompt": "sweep <u>prompt</u>", "axes": {"weirdness": [0.5, 1.0],
                                 "genre_shift": [1.0, 3.0]}, "seeds": [0], "engine": "sketch"}, status="done")
    for w in (0.5, 1.0):
        for g in (1.0, 3.0):
            cell = lib.add(tone(200 + 100 * w + 50 * g, 1.0), prompt="sweep cell", derivation="sweep")
            lib.record_sweep_cell(sweep_id, {"weirdness": w, "genre_shift": g, "seed": 0}, cell.id,
                                  {"chroma_similarity": w * g / 3, "lufs": -14.0 - w})
    outside = Library(folder / "library.duckdb", audio_dir=folder.parent / f"{folder.name}-outside")
    stray = outside.add(tone(550.0), prompt="stray file outside the library")
    return {"lib": lib, "tracks": tracks, "html_track": html_track, "album": album, "sweep_id": sweep_id,
            "stray": stray}


def start_dashboard(db: Path, port: int, *extra: str, log: Path) -> subprocess.Popen:
    """`workbench dashboard` as a user runs it; waits until the page answers."""
    handle = open(log, "w")  # noqa: SIM115 (the server outlives this function)
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", "dashboard", "--db", str(db), "--port",
                             str(port), *extra], cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT,
                            env=dict(os.environ, BOKEH_LOG_LEVEL="info"))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the dashboard exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/liveness", timeout=2)
            return proc
        except urllib.error.HTTPError:
            return proc  # it answers (e.g. 302 to a login, 404 without a liveness endpoint)
        except OSError:
            time.sleep(0.5)
    stop(proc)
    raise RuntimeError(f"the dashboard did not answer within 90 s: {log.read_text()[-2000:]}")


def stop(proc: subprocess.Popen) -> None:
    stop_process(proc, timeout=10)


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.3):
    """Poll `predicate` until it returns something truthy; returns that value (or the last one)."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


_DEEP_TEXT = """(selector) => {
  const found = [];
  const collect = (root) => {
    root.querySelectorAll(selector).forEach((e) => found.push(e));
    root.querySelectorAll("*").forEach((e) => e.shadowRoot && collect(e.shadowRoot));
  };
  collect(document);
  const text = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return node.textContent;
    if (node.nodeName === "STYLE" || node.nodeName === "SCRIPT") return "";
    let out = node.shadowRoot ? text(node.shadowRoot) : "";
    for (const child of node.childNodes) out += text(child);
    return out + " ";
  };
  return found.map(text).join("\\n");
}"""


def deep_text(page, selector: str = "body") -> str:
    """The text under every element matching `selector`, shadow roots included (Panel renders in them)."""
    return " ".join(page.evaluate(_DEEP_TEXT, selector).split())


def open_track(page, track_id: str) -> None:
    page.locator(f".wb-track-{track_id} .wb-open button").click()
    page.wait_for_selector(".wb-track-view .wb-picker[data-ready=true]", timeout=30_000)
    wait_for(lambda: track_id in deep_text(page, ".wb-track-title") and "Comments (" in deep_text(page, ".wb-comments"),
             10)
