"""The review dashboard served by `workbench dashboard` (panel serve), used in headless Chromium.

One server per module on 127.0.0.1 and a free port, with basic auth (so the login is tested on the
way in), over a library this test prepares. A person's actions in the page are checked in the DuckDB
file; the library's changes from another process are checked in the page. Screenshots go to
test-artifacts/dashboard/.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from browser import CHROMIUM, free_port
from dashboard_fixtures import (
    ARTIFACTS,
    ROOT,
    XSS_IMG,
    XSS_SCRIPT,
    deep_text,
    make_library,
    open_track,
    start_dashboard,
    stop,
    wait_for,
)

from workbench import Library

USERS = {"reviewer": "s3cret-pass"}
pytest_plugins = ["browser"]

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("review")
    data = make_library(folder)
    users = folder / "users.json"
    users.write_text(json.dumps(USERS))
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    proc = start_dashboard(folder / "library.duckdb", port, "--basic-auth", str(users), "--cookie-secret",
                           "ab" * 32, log=ARTIFACTS / "server.log")
    yield {**data, "url": f"http://127.0.0.1:{port}/", "db": folder / "library.duckdb", "proc": proc}
    stop(proc)


@pytest.fixture(scope="module")
def browser(chromium):
    """The session's one Chromium (tests/browser.py): Playwright's sync API allows one per thread."""
    return chromium


@pytest.fixture(scope="module")
def page(browser, served):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.dialogs, page.outside_requests, page.errors = [], [], []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: page.outside_requests.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")) else None)
    log_in(page, served["url"], "reviewer", USERS["reviewer"])
    page.wait_for_selector(".wb-card", timeout=60_000)
    yield page
    context.close()


def log_in(page, url: str, user: str, password: str) -> None:
    page.goto(url)
    page.wait_for_selector("input[name=username]", timeout=30_000)
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_load_state()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_page_loads_offline_without_a_traceback(page, served):
    text = deep_text(page, "body")
    assert "Traceback" not in text and "Error" not in text
    assert page.locator(".wb-card").count() == 3 + 1 + 4 + 1  # tracks, html track, sweep cells, stray
    assert "calm piano take 0" in deep_text(page, ".wb-tracks")
    assert page.outside_requests == []  # offline: nothing but this server
    assert page.errors == []
    shot(page, "library-grid")


def test_user_text_is_shown_as_text_never_run(page, served):
    open_track(page, served["html_track"].id)
    comments = deep_text(page, ".wb-comments")
    assert XSS_SCRIPT in comments and XSS_IMG in comments
    title = deep_text(page, ".wb-track-title")
    assert "<b>bold</b> prompt <img src=x onerror=alert('xss-prompt')>" in title
    assert page.locator(".wb-track-title b").count() == 0  # the prompt's <b> is text, not an element
    assert page.locator(".wb-comments img, .wb-track-title img, .wb-tracks img").count() == 0
    options = page.locator(".wb-album-select select option").all_inner_texts()
    assert any("<img src=x onerror=alert('xss-album')>" in o for o in options)
    page.wait_for_timeout(500)
    assert page.dialogs == []
    shot(page, "track-with-html-comments")


def test_comment_typed_in_the_page_lands_in_duckdb(page, served):
    track = served["tracks"][1]
    open_track(page, track.id)
    page.locator(".wb-track-view .wb-comment-text").fill("needs more reverb <3")
    page.locator(".wb-track-view button.wb-comment").click()
    lib = Library(served["db"])
    stored = wait_for(lambda: [c for c in lib.comments(track.id) if c.text == "needs more reverb <3"])
    assert stored and 0.0 <= stored[0].at <= track.duration
    wait_for(lambda: "needs more reverb <3" in deep_text(page, ".wb-comments"), 10)
    assert "needs more reverb <3" in deep_text(page, ".wb-comments")
    shot(page, "comment-added")


def test_heart_toggles_the_flag_in_duckdb(page, served):
    track, lib = served["tracks"][2], Library(served["db"])
    heart = page.locator(f".wb-track-{track.id} .wb-heart button")
    heart.click()
    assert wait_for(lambda: lib.get(track.id).favorite)
    heart.click()
    assert wait_for(lambda: not lib.get(track.id).favorite)
    page.locator(f".wb-track-{track.id} .wb-dislike button").click()
    assert wait_for(lambda: lib.get(track.id).disliked)


def test_track_added_by_another_process_shows_up(page, served):
    code = ("import sys; sys.path.insert(0, 'tests'); from dashboard_fixtures import tone; "
            "from workbench import Library; "
            f"print(Library({str(served['db'])!r}).add(tone(660.0), prompt='fresh from the notebook').id)")
    new_id = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                            text=True).stdout.strip()
    assert wait_for(lambda: page.locator(f".wb-track-{new_id}").count() == 1, timeout=20)
    assert "fresh from the notebook" in deep_text(page, f".wb-track-{new_id}")
    shot(page, "new-track-from-another-process")


def test_a_busy_notebook_process_costs_no_clicks_and_shows_no_lock_error(page, served):
    """Another process writes continuously while a reviewer hearts tracks: every click lands."""
    code = ("import sys, time; sys.path.insert(0, 'tests'); from dashboard_fixtures import tone; "
            "from workbench import Library; "
            f"lib = Library({str(served['db'])!r}); t = lib.add(tone(770.0), prompt='busy writer'); "
            "end = time.monotonic() + 6\n"
            "while time.monotonic() < end: lib.add_comment(t, 0.5, 'tick')\n"
            "print(t.id, len(lib.comments(t)))")
    writer = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    lib = Library(served["db"])
    targets = [served["tracks"][0], served["html_track"]]
    for track in targets:
        page.locator(f".wb-track-{track.id} .wb-heart button").click()
        page.wait_for_timeout(400)
    out, _ = writer.communicate(timeout=90)
    assert writer.returncode == 0 and int(out.split()[1]) > 5
    assert wait_for(lambda: all(lib.get(t.id).favorite for t in targets), timeout=15)
    text = deep_text(page, "body")
    assert not any(word in text for word in ("Traceback", "LibraryBusy", "Conflicting lock", "Could not"))


def test_a_row_pointing_outside_the_library_is_refused_in_the_page(page, served):
    stray = served["stray"]
    page.locator(f".wb-track-{stray.id} .wb-open button").click()
    wait_for(lambda: "refused" in deep_text(page, ".wb-track-title"), 15)
    text = deep_text(page, ".wb-track-title")
    assert "Audio refused" in text and "outside the library folder" in text
    assert "Traceback" not in deep_text(page, "body")
    shot(page, "outside-root-refused")


def test_list_view_and_filters(page, served):
    page.locator(".wb-view-toggle button", has_text="list").click()
    wait_for(lambda: "Hz" in deep_text(page, ".wb-tracks"), 10)
    page.locator(".wb-filter-text input").fill("calm piano")
    page.locator(".wb-filter-text input").press("Enter")
    assert wait_for(lambda: page.locator(".wb-card").count() == 3, 10)
    shot(page, "library-list-filtered")
    page.locator(".wb-filter-text input").fill("")
    page.locator(".wb-filter-text input").press("Enter")
    page.locator(".wb-view-toggle button", has_text="grid").click()


def test_sweep_view_shows_heatmap_and_plays_cells(page, served):
    page.locator(".bk-tab", has_text="Sweeps").click()
    page.wait_for_selector(".wb-heatmap img", timeout=20_000)
    assert page.locator(".wb-sweep-cell").count() == 4
    page.locator(".wb-sweep-cell button").first.click()
    page.wait_for_selector(".wb-sweep-view .wb-picker[data-ready=true]", timeout=30_000)
    shot(page, "sweep-results")
    assert page.dialogs == [] and page.errors == []


def test_other_addresses_without_auth_are_refused(tmp_path):
    result = subprocess.run([sys.executable, "-m", "workbench.cli", "dashboard", "--db", str(tmp_path / "l.duckdb"),
                             "--address", "0.0.0.0"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "--basic-auth" in result.stderr and "OAuth" in result.stderr and "0.0.0.0" in result.stderr


def test_basic_auth_sends_strangers_to_the_login(served, browser):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(NoRedirect).open(served["url"], timeout=10)
    assert answer.value.code in (302, 303, 307) and "/login" in answer.value.headers["Location"]
    context = browser.new_context()
    page = context.new_page()
    page.goto(served["url"])
    assert "/login" in page.url
    shot(page, "login")
    log_in(page, served["url"], "reviewer", "wrong password")
    page.wait_for_timeout(1000)
    assert "/login" in page.url and page.locator(".wb-card").count() == 0
    context.close()
