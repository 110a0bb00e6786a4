"""A read-only review dashboard in a real browser: reviewers listen, heart and comment, but cannot
delete or edit albums."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import CHROMIUM, free_port
from dashboard_fixtures import (
    ARTIFACTS,
    deep_text,
    make_library,
    open_track,
    start_dashboard,
    stop,
    wait_for,
)

from workbench import Library

pytest_plugins = ["browser"]

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readonly")
    data = make_library(folder)

    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    proc = start_dashboard(folder / "library.duckdb", port, "--read-only", log=ARTIFACTS / "server-readonly.log")
    yield {**data, "url": f"http://127.0.0.1:{port}/", "db": folder / "library.duckdb"}
    stop(proc)


def test_read_only_dashboard_hides_edits_but_keeps_reviewing(chromium, served):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(served["url"])
        page.wait_for_selector(".wb-card", timeout=60_000)
        assert "read-only review" in deep_text(page, "body")
        track = served["tracks"][0]
        open_track(page, track.id)
        for hidden in (".wb-trash", ".wb-create-album", ".wb-new-album"):
            assert not page.locator(hidden).first.is_visible()
        page.locator(".wb-track-view .wb-comment-text").fill("lovely, keep it")
        page.locator(".wb-track-view button.wb-comment").click()
        lib = Library(served["db"])
        wait_for(lambda: any(c.text == "lovely, keep it" for c in lib.comments(track.id)), 15)
        assert not lib.get(track.id).trashed
        page.screenshot(path=str(ARTIFACTS / "read-only.png"), full_page=True)
    finally:
        context.close()
