"""The editing and library notebooks in a real JupyterLab, as a person uses them (headless Chromium).

02_edit_regions.ipynb is run top to bottom; then a region is dragged on the waveform (the kernel sees
it), the context menu's Delete makes a new track without that region (read back from the DuckDB file)
which the picker then shows, and Play loop plays the selection. In 04_library.ipynb a heart click in
the library browser reaches the DuckDB file, and both views are shown. Screenshots: test-artifacts/.
"""

from __future__ import annotations

import ast
import shutil
import time

import pytest
from browser import ARTIFACTS, ROOT, drag, kernel_eval, open_notebook, run_all, wait_for

from workbench.library import Library

pytest_plugins = ["browser"]  # the session's one JupyterLab server and Chromium
pytestmark = pytest.mark.browser


def copy_notebook(lab_server, name: str) -> str:
    shutil.copy(ROOT / "notebooks" / name, lab_server.root / name)
    return name


@pytest.fixture(scope="module")
def editor(lab_server, chromium):
    page = open_notebook(chromium, lab_server, copy_notebook(lab_server, "02_edit_regions.ipynb"))
    run_all(page)
    page.locator(".wb-editor").scroll_into_view_if_needed()
    page.wait_for_selector(".wb-editor .wb-picker[data-ready='true']", timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "editor_view.png"))
    yield page
    page.context.close()


def wave_box(page):
    box = page.locator(".wb-editor .wb-picker .wb-wave").bounding_box()
    assert box and box["width"] > 200, box
    return box


def test_drag_delete_and_the_new_track_in_the_library(editor, lab_server):
    page = editor
    original_id = kernel_eval(page, "print(view.track.id)")
    assert original_id == kernel_eval(page, "print(track.id)")  # the notebook ends on the original take
    duration = float(kernel_eval(page, "print(view.track.duration)"))

    box = wave_box(page)
    drag(page, box, 0.25, 0.5)
    region = wait_for(lambda: ast.literal_eval(kernel_eval(page, "print(view.picker.region)")), 20,
                      what="the kernel to see the dragged region")
    assert region[0] == pytest.approx(0.25 * duration, abs=0.3)
    assert region[1] == pytest.approx(0.5 * duration, abs=0.3)

    page.mouse.click(box["x"] + box["width"] * 0.37, box["y"] + box["height"] / 2, button="right")
    menu = page.locator(".wb-editor .wb-picker .wb-menu")
    assert "wb-show" in menu.get_attribute("class")
    page.screenshot(path=str(ARTIFACTS / "editor_menu.png"))
    menu.locator("button[data-action='delete']").click()

    library = Library(lab_server.db)

    def deleted_track():
        found = [t for t in library.search(derivation="delete", parent=original_id, limit=10)]
        return found[0] if found else None

    new = wait_for(deleted_track, 60, interval=0.5, what="a delete track in the DuckDB file")
    assert new.region.start == pytest.approx(region[0], abs=0.15)  # snapped only with structure > 0
    assert new.duration == pytest.approx(duration - (region[1] - region[0]), abs=0.2)
    # the picker shows the new track once the background job is done
    wait_for(lambda: kernel_eval(page, "print(view.track.id)") == new.id, 60, what="the picker to show it")
    page.wait_for_selector(".wb-editor .wb-picker[data-ready='true']", timeout=30_000)
    assert "delete_region: done" in page.locator(".wb-editor .wb-panel-status").inner_text()
    page.screenshot(path=str(ARTIFACTS / "editor_after_delete.png"))


def test_play_loop_plays_the_selection(editor):
    page = editor
    kernel_eval(page, "view.picker.region = (0.5, 1.5)")
    page.wait_for_function("document.querySelector('.wb-editor .wb-picker').dataset.region === '0.5,1.5'",
                           timeout=20_000)
    root = page.locator(".wb-editor .wb-picker")
    root.locator(".wb-loop").click()
    page.wait_for_function("document.querySelector('.wb-editor .wb-picker').dataset.playing === 'true'",
                           timeout=10_000)
    assert root.get_attribute("data-looping") == "true"
    time.sleep(1.5)  # longer than the 1 s selection: playback wrapped around inside it
    minutes, seconds = root.locator(".wb-time").inner_text().split(" / ")[0].split(":")
    assert 0.4 <= int(minutes) * 60 + float(seconds) <= 1.6
    root.locator(".wb-loop").click()
    page.wait_for_function("document.querySelector('.wb-editor .wb-picker').dataset.playing === 'false'",
                           timeout=10_000)
    assert page.errors == []


def test_heart_in_the_library_browser_reaches_the_duckdb_file(lab_server, chromium):
    page = open_notebook(chromium, lab_server, copy_notebook(lab_server, "04_library.ipynb"))
    try:
        run_all(page)
        library = Library(lab_server.db)
        target = next(t for t in library.search(limit=12) if not t.favorite and not t.disliked)
        card = page.locator(f".wb-library-browser .wb-track-{target.id}")
        card.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "library_grid.png"))
        card.locator(".wb-heart").click()
        wait_for(lambda: library.get(target.id).favorite, 20, interval=0.3, what="the heart in the DuckDB file")
        assert "mod-active" in card.locator(".wb-heart").get_attribute("class")
        page.locator(".wb-library-browser .widget-toggle-button", has_text="List").first.click()
        page.locator(f".wb-library-browser .wb-list-item.wb-track-{target.id}").wait_for(timeout=20_000)
        page.screenshot(path=str(ARTIFACTS / "library_list.png"))
        assert page.errors == []
    finally:
        page.context.close()
