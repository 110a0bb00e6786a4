"""Shared browser-test machinery: ONE JupyterLab server and ONE headless Chromium for the whole session.

Load it from a test module with `pytest_plugins = ["browser"]` (registered once, so session fixtures
are really shared between modules; importing the fixtures instead would start one server per module).

- `lab_server`: `jupyter lab` on 127.0.0.1 and a free port, rooted in a tmp folder, with $WORKBENCH_DB
  pointing at a tmp library (`lab_server.db`) that every kernel it starts inherits.
- `chromium`: Debian's chromium driven by playwright (never `playwright install`).
- `open_notebook(chromium, lab_server, "x.ipynb")`: a page with the notebook open and its kernel idle;
  `run_all(page)` runs every cell and waits for the last one; `kernel_eval(page, code)` runs code in
  that notebook's kernel and returns what it printed.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--autoplay-policy=no-user-gesture-required",
                  "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate, timeout=30.0, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def stop_process(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """Terminate a server we started; kill it if it does not stop within `timeout` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


def read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def require_browser_tools() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    if shutil.which("jupyter") is None and not (Path(sys.executable).parent / "jupyter").exists():
        pytest.skip("jupyter lab is not installed")


@dataclass
class LabServer:
    root: Path
    port: int
    token: str
    db: Path

    def url(self, path: str) -> str:
        """The notebook in a fresh workspace of its own: pages opened one after another share the
        server, and a restored default workspace would put an earlier notebook in front."""
        workspace = "".join(ch if ch.isalnum() else "-" for ch in path)
        return f"http://127.0.0.1:{self.port}/lab/workspaces/{workspace}/tree/{path}?reset&token={self.token}"


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    require_browser_tools()
    work = tmp_path_factory.mktemp("lab")
    db = work / "library" / "library.duckdb"
    port, token = free_port(), secrets.token_hex(16)
    settings = work / ".settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    # Render every cell: with windowing, cells scrolled out of view leave the DOM and their widgets stall
    notebook_settings = work / ".settings" / "@jupyterlab" / "notebook-extension"
    notebook_settings.mkdir(parents=True)
    (notebook_settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(work / ".config"), "JUPYTER_RUNTIME_DIR": str(work / ".runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(work / ".settings"), "JUPYTERLAB_WORKSPACES_DIR": str(work / ".ws"),
           "PYTHONPATH": str(ROOT), "WORKBENCH_DB": str(db), "MPLBACKEND": "Agg"}
    log = open(work / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         "--ServerApp.allow_root=True", "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={work}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: port_open(port) or server.poll() is not None, 90, what="jupyter lab to listen")
        if server.poll() is not None:
            pytest.fail(f"jupyter lab exited: {(work / 'lab.log').read_text()[-2000:]}")
        yield LabServer(work, port, token, db)
    finally:
        stop_process(server)
        log.close()


@pytest.fixture(scope="session")
def chromium():
    require_browser_tools()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


def open_notebook(browser, lab: LabServer, path: str, *, width: int = 1400, height: int = 900):
    """A new page (own context) with `path` open in JupyterLab and its kernel idle. `page.errors`
    collects uncaught page errors."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(lab.url(path), timeout=90_000)
    page.wait_for_function("(path) => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext "
                           "&& window.jupyterapp.shell.currentWidget.context?.path === path",
                           arg=path, timeout=90_000)
    page.wait_for_function(
        "window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel?.status === 'idle'",
        timeout=120_000)
    return page


_ALL_RAN = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  const cells = nb.content.widgets.filter(c => c.model.type === 'code');
  const errors = [];
  for (const c of cells) for (const o of c.model.outputs.toJSON())
    if (o.output_type === 'error') errors.push(o.ename + ': ' + o.evalue);
  if (errors.length) return {errors};
  const done = cells.every(c => c.model.executionCount !== null)
    && nb.sessionContext.session.kernel.status === 'idle';
  return done ? {errors: []} : null;
}"""


def run_all(page, timeout: float = 240.0) -> None:
    """Run every cell and wait until the last one has run; a cell error fails with its message."""
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    result = page.wait_for_function(_ALL_RAN, timeout=timeout * 1000).json_value()
    assert result["errors"] == [], result["errors"]


_EVAL = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, silent: false, store_history: false});
  let out = '';
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') out += msg.content.text;
    if (msg.header.msg_type === 'error') out += 'ERROR ' + msg.content.ename + ': ' + msg.content.evalue;
  };
  await future.done;
  return out;
}"""


def kernel_eval(page, code: str) -> str:
    """Run `code` in the open notebook's kernel (as the user could in a new cell); returns its output."""
    out = page.evaluate(_EVAL, code)
    assert not out.startswith("ERROR"), out
    return out.strip()


def drag(page, box: dict, start: float, end: float) -> None:
    """Drag across the middle of `box` from fraction `start` to `end` of its width, in small steps."""
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * start, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(box["x"] + box["width"] * (start + (end - start) * step / 10), y)
    page.mouse.up()
