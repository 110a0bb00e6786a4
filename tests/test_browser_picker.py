"""The region picker in a real JupyterLab, driven by headless Chromium (Debian's, through playwright).

A notebook shows a RegionPicker and writes what the kernel sees (region changes, actions) to JSON
files; the test drags on the waveform, uses the context menu and Play loop, and reads those files.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import nbformat
import pytest
from browser import (
    ARTIFACTS,
    ROOT,
    drag,
    free_port,
    open_notebook,
    port_open,
    read_json,
    stop_process,
    wait_for,
)

pytest_plugins = ["browser"]  # the session's one JupyterLab server and Chromium
pytestmark = pytest.mark.browser

NOTEBOOK_CELL = """
import json, pathlib
import numpy as np
from workbench.audio import Audio
from workbench.ui import Recorder, RegionPicker

out = pathlib.Path({out!r})
rate = 32000
t = np.arange(rate * 8) / rate
audio = Audio(0.4 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 0.5 * t)) / 2, rate)
picker = RegionPicker(audio, comments=[{{"at": 6.0, "text": "<b>not bold</b> marker"}}])

def on_region(change):
    (out / "region.json").write_text(json.dumps(change["new"]))

actions = []
def on_action(name, region):
    actions.append([name, region.start, region.end])
    (out / "actions.json").write_text(json.dumps(actions))
    if name == "loop":
        picker.region = (1.0, 2.0)  # Python -> browser
    if name == "regenerate":
        raise RuntimeError("no engine in this test")

def on_comment(at, text):
    (out / "comment.json").write_text(json.dumps([at, text]))

picker.observe(on_region, "region")
picker.on_action(on_action)
picker.on_comment(on_comment)
picker
"""

RECORDER_CELL = """
recorder = Recorder(max_seconds=5)
def on_recorded(audio):
    (out / "recorded.json").write_text(json.dumps(
        [audio.sample_rate, audio.channels, audio.duration, audio.peak(), recorder.recorded_mime]))
recorder.on_recorded(on_recorded)
recorder
"""


# The same ES module under Panel's AnyWidgetComponent: the review dashboard's own player component.
PANEL_APP = """import json, os, pathlib
import numpy as np
import panel as pn
from workbench.audio import Audio
from workbench.dashboards.player import WaveformPlayer
from workbench.ui.region_picker import browser_payload

pn.extension()
OUT = pathlib.Path(os.environ["PICKER_OUT"])

rate = 32000
t = np.arange(rate * 8) / rate
audio = Audio(0.4 * np.sin(2 * np.pi * 220 * t), rate)
picker = WaveformPlayer()
picker.show(browser_payload(audio), comments=[{"at": 6.0, "end": None, "text": "marker"}])
picker.param.watch(lambda e: (OUT / "region.json").write_text(json.dumps(e.new)), "region")
picker.param.watch(lambda e: (OUT / "action.json").write_text(json.dumps(e.new)), "action")
picker.servable()
"""


@pytest.fixture(scope="module")
def lab(lab_server):
    """picker.ipynb in the shared server's root; the kernel writes what it sees to out/."""
    out = lab_server.root / "picker_out"
    out.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(NOTEBOOK_CELL.format(out=str(out))), nbformat.v4.new_code_cell(RECORDER_CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab_server.root / "picker.ipynb")
    return {"out": out, "work": lab_server.root}


@pytest.fixture(scope="module")
def page(lab, lab_server, chromium):
    page = open_notebook(chromium, lab_server, "picker.ipynb")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(".wb-picker[data-ready='true']", timeout=120_000)
    yield page
    page.screenshot(path=str(ARTIFACTS / "picker_final.png"))
    page.context.close()


def wave_box(page):
    box = page.locator(".wb-picker .wb-wave").bounding_box()
    assert box and box["width"] > 200, box
    return box


def test_drag_selects_a_region_the_kernel_sees(page, lab):
    drag(page, wave_box(page), 0.25, 0.5)
    region = wait_for(lambda: read_json(lab["out"] / "region.json"), 20, what="the kernel to see the region")
    assert region[0] == pytest.approx(2.0, abs=0.2) and region[1] == pytest.approx(4.0, abs=0.2)
    assert page.locator(".wb-picker .wb-sel").inner_text().startswith(f"{region[0]:.2f}")
    page.screenshot(path=str(ARTIFACTS / "picker_region.png"))


def test_context_menu_sends_actions_and_python_updates_the_region(page, lab):
    box = wave_box(page)
    page.mouse.click(box["x"] + box["width"] * 0.37, box["y"] + box["height"] / 2, button="right")
    menu = page.locator(".wb-picker .wb-menu")
    assert "wb-show" in menu.get_attribute("class")
    picker_box, menu_box = page.locator(".wb-picker").bounding_box(), menu.bounding_box()
    assert menu_box["y"] + menu_box["height"] <= picker_box["y"] + picker_box["height"] + 1  # not clipped
    page.screenshot(path=str(ARTIFACTS / "picker_menu.png"))
    menu.locator("button[data-action='delete']").click()
    actions = wait_for(lambda: read_json(lab["out"] / "actions.json"), 20, what="the delete action")
    assert actions[0][0] == "delete" and actions[0][1] == pytest.approx(2.0, abs=0.2)

    page.mouse.click(box["x"] + box["width"] * 0.37, box["y"] + box["height"] / 2, button="right")
    menu.locator("button[data-action='loop']").click()
    # the notebook's callback sets picker.region = (1.0, 2.0): the drawn region follows
    page.wait_for_function("document.querySelector('.wb-picker').dataset.region === '1,2'", timeout=20_000)

    page.mouse.click(box["x"] + box["width"] * 0.19, box["y"] + box["height"] / 2, button="right")
    menu.locator("button[data-action='regenerate']").click()
    error = page.locator(".wb-picker .wb-error")
    error.wait_for(state="visible", timeout=20_000)
    assert "no engine in this test" in error.inner_text()
    page.screenshot(path=str(ARTIFACTS / "picker_error.png"))
    page.locator(".wb-picker .wb-error-close").click()
    error.wait_for(state="hidden", timeout=10_000)


def test_play_loop_plays_inside_the_selection(page):
    page.locator(".wb-picker .wb-loop").click()
    root = page.locator(".wb-picker")
    page.wait_for_function("document.querySelector('.wb-picker').dataset.playing === 'true'", timeout=10_000)
    assert root.get_attribute("data-looping") == "true"
    time.sleep(1.5)  # longer than the 1 s selection: playback must have wrapped around to its start
    label = page.locator(".wb-picker .wb-time").inner_text()
    minutes, seconds = label.split(" / ")[0].split(":")
    assert 0.9 <= int(minutes) * 60 + float(seconds) <= 2.1, label
    page.locator(".wb-picker .wb-loop").click()
    page.wait_for_function("document.querySelector('.wb-picker').dataset.playing === 'false'", timeout=10_000)


def test_comment_at_cursor_reaches_the_kernel_and_shows_a_marker(page, lab):
    box = wave_box(page)
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)  # moves the cursor to ~6 s
    page.locator(".wb-picker .wb-comment-text").fill("snare too loud")
    page.locator(".wb-picker .wb-comment").click()
    at, text = wait_for(lambda: read_json(lab["out"] / "comment.json"), 20, what="the comment")
    assert text == "snare too loud" and at == pytest.approx(6.0, abs=0.3)
    page.locator(".wb-picker .wb-wave").locator("text=snare too loud").wait_for(timeout=10_000)
    # comment text is shown as text, never parsed as HTML
    assert page.locator(".wb-picker .wb-wave").locator("text=<b>not bold</b> marker").count() == 1


def test_recorder_records_the_fake_microphone_into_audio(page, lab):
    button = page.locator(".wb-recorder .wb-record")
    button.click()
    page.wait_for_selector(".wb-recorder[data-recording='true']", timeout=10_000)
    time.sleep(1.5)
    button.click()
    rate, channels, duration, peak, mime = wait_for(lambda: read_json(lab["out"] / "recorded.json"), 30,
                                                    what="the recording to reach the kernel")
    assert rate == 32_000 and channels in (1, 2) and 1.0 <= duration <= 3.0, (rate, channels, duration)
    assert peak > 0.01 and mime.startswith("audio/")  # the fake device plays a beep, not silence
    page.screenshot(path=str(ARTIFACTS / "recorder.png"))


def test_no_errors_on_the_page(page):
    assert page.errors == []


def test_same_js_works_under_panel_anywidget_component(tmp_path, chromium):
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "app.py").write_text(PANEL_APP)
    port = free_port()
    log = open(tmp_path / "panel.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "panel", "serve", str(tmp_path / "app.py"), "--address", "127.0.0.1",
         "--port", str(port), f"--allow-websocket-origin=127.0.0.1:{port}"],
        cwd=tmp_path, env={**os.environ, "PICKER_OUT": str(out), "PYTHONPATH": str(ROOT)},
        stdout=log, stderr=subprocess.STDOUT)
    context = chromium.new_context(viewport={"width": 1200, "height": 500})
    try:
        wait_for(lambda: port_open(port) or server.poll() is not None, 90, what="panel serve to listen")
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"http://127.0.0.1:{port}/app", timeout=90_000)
        # Panel renders in shadow DOM: playwright's CSS locators pierce it
        page.locator(".wb-picker[data-ready='true']").wait_for(timeout=90_000)
        box = wave_box(page)
        y = box["y"] + box["height"] / 2
        drag(page, box, 0.25, 0.5)
        region = wait_for(lambda: read_json(out / "region.json"), 20, what="Panel to see the region")
        assert region[0] == pytest.approx(2.0, abs=0.2) and region[1] == pytest.approx(4.0, abs=0.2)
        page.mouse.click(box["x"] + box["width"] * 0.37, y, button="right")
        page.locator(".wb-picker .wb-menu button[data-action='delete']").click()
        action = wait_for(lambda: read_json(out / "action.json"), 20, what="the action param")
        assert action["name"] == "delete" and action["start"] == pytest.approx(region[0])
        page.screenshot(path=str(ARTIFACTS / "panel_picker.png"))
        assert errors == []
    finally:
        context.close()
        stop_process(server)
        log.close()
