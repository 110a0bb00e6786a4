"""The review dashboard's Python side, without a browser: safety rules, serving settings, read-only,
busy-library retries, and the page's objects acting on a real tmp library."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import nbformat
import pytest
from dashboard_fixtures import ROOT, XSS_IMG, XSS_SCRIPT, make_library, tone

from workbench import Library
from workbench.cli import build_parser
from workbench.dashboards import (
    LibraryAccess,
    ReviewDashboard,
    ServeSettings,
    check_exposure,
    is_loopback,
    panel_serve_command,
    safe_audio_path,
    text_html,
)
from workbench.dashboards.serving import LOGIN_TEMPLATE
from workbench.errors import AudioFileError, InvalidInput


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_library(tmp_path_factory.mktemp("dash"))


# ----------------------------------------------------------------- safety
def test_text_html_escapes_everything_that_could_become_markup():
    assert text_html(XSS_SCRIPT) == "&lt;script&gt;alert(&#x27;xss-script&#x27;)&lt;/script&gt;"
    assert "<" not in text_html(XSS_IMG) and '"' not in text_html('a "b"')
    assert text_html(None) == ""


def test_audio_outside_the_library_root_is_refused(data, tmp_path):
    lib = data["lib"]
    inside = safe_audio_path(lib, data["tracks"][0])
    assert inside.is_relative_to(lib.root.resolve())
    with pytest.raises(AudioFileError, match="outside the library folder"):
        safe_audio_path(lib, data["stray"])
    # a link inside the folder that leads out of it is refused as well
    secret = tmp_path / "secret.wav"
    tone().save(secret)
    link = lib.root / "audio" / "link.wav"
    link.symlink_to(secret)
    linked = lib.add(tone(), prompt="linked")
    fake = type(linked)(**{**linked.__dict__, "filepath": "audio/link.wav"})
    with pytest.raises(AudioFileError, match="outside the library folder"):
        safe_audio_path(lib, fake)


@pytest.mark.parametrize("address, local", [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True),
                                            ("localhost", True), ("0.0.0.0", False), ("192.168.1.4", False),
                                            ("::", False), ("example.org", False)])
def test_loopback_addresses(address, local):
    assert is_loopback(address) is local


def test_other_addresses_need_authentication():
    check_exposure("127.0.0.1")
    with pytest.raises(InvalidInput, match="--basic-auth") as error:
        check_exposure("0.0.0.0")
    assert "OAuth" in str(error.value) and "0.0.0.0" in str(error.value)
    check_exposure("0.0.0.0", basic_auth="users.json")
    check_exposure("0.0.0.0", oauth=True)


# ----------------------------------------------------------------- serving
def test_default_command_serves_the_review_notebook_on_loopback(tmp_path):
    argv, env = panel_serve_command(ServeSettings(db=str(tmp_path / "lib.duckdb"), port=5123))
    assert argv[:4] == [sys.executable, "-m", "panel", "serve"]
    assert argv[4] == str(ROOT / "notebooks" / "review.ipynb")
    assert argv[argv.index("--address") + 1] == "127.0.0.1" and argv[argv.index("--port") + 1] == "5123"
    assert "--basic-auth" not in argv and "--allow-websocket-origin" not in argv
    assert env["WORKBENCH_DB"] == str(tmp_path / "lib.duckdb") and env["WORKBENCH_READ_ONLY"] == ""
    assert (tmp_path / "lib.duckdb").exists()  # created before serving, so its errors show here


def test_basic_auth_command(tmp_path):
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"ann": "pw"}))
    settings = ServeSettings(db=str(tmp_path / "l.duckdb"), address="0.0.0.0", basic_auth=str(users),
                             cookie_secret="0f" * 16, read_only=True, allow_origins=["studio.lan:5006"])
    argv, env = panel_serve_command(settings)
    assert argv[argv.index("--basic-auth") + 1] == str(users)
    assert argv[argv.index("--cookie-secret") + 1] == "0f" * 16
    assert argv[argv.index("--basic-login-template") + 1] == str(LOGIN_TEMPLATE)
    assert argv[argv.index("--allow-websocket-origin") + 1] == "studio.lan:5006"
    assert env["WORKBENCH_READ_ONLY"] == "1"
    generated = panel_serve_command(ServeSettings(db=str(tmp_path / "l.duckdb"), basic_auth=str(users)))[0]
    assert len(generated[generated.index("--cookie-secret") + 1]) == 64


@pytest.mark.parametrize("content, message", [(None, "is not a file"), ("not json", "not readable JSON"),
                                              ("[]", "JSON object"), ('{"ann": ""}', "JSON object")])
def test_bad_basic_auth_files_are_refused(tmp_path, content, message):
    users = tmp_path / "users.json"
    if content is not None:
        users.write_text(content)
    with pytest.raises(InvalidInput, match=message):
        ServeSettings(basic_auth=str(users)).check()


@pytest.mark.parametrize("settings, message", [
    (dict(cookie_secret="short"), "hex digits"), (dict(port=70000), "0..65535"),
    (dict(address="10.0.0.5"), "--basic-auth"), (dict(allow_origins=["a b"]), "HOST"),
])
def test_bad_settings_are_refused(settings, message):
    with pytest.raises(InvalidInput, match=message):
        ServeSettings(**settings).check()


def test_cli_dashboard_arguments():
    args = build_parser().parse_args(["dashboard", "--db", "x.duckdb"])
    assert (args.port, args.address, args.basic_auth, args.cookie_secret, args.read_only) == (
        5006, "127.0.0.1", None, None, False)


def test_review_notebook_is_thin_and_has_no_outputs():
    notebook = nbformat.read(ROOT / "notebooks" / "review.ipynb", as_version=4)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "from workbench.dashboards import review_dashboard" in code and ".servable(" in code
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in notebook.cells if c.cell_type == "code")


# ----------------------------------------------------------------- the page's objects
def test_dashboard_acts_on_the_library(data):
    lib = data["lib"]
    board = ReviewDashboard(lib, read_only=False)
    assert len(board.browser._cards) == lib.count()
    track = data["html_track"]
    board.browser.opened = track.id
    view = board.track_view
    assert view.player.track_id == track.id and view.player.duration == pytest.approx(track.duration)
    assert [c["text"] for c in view.player.comments] == [XSS_SCRIPT, XSS_IMG]
    assert "&lt;b&gt;bold&lt;/b&gt;" in view.title.object and "<b>bold" not in view.title.object
    rendered = " ".join(r[0].object for r in view.comment_list.objects[1:])
    assert "&lt;script&gt;" in rendered and "<script>" not in rendered and "<img" not in rendered

    view.heart.value = True
    assert lib.get(track.id).favorite
    assert board.browser._cards[track.id]["heart"].value  # the card follows
    view.dislike.value = True
    assert lib.get(track.id).disliked and not lib.get(track.id).favorite and not view.heart.value

    view.player.action = {"name": "comment", "at": 1.25, "text": "lovely <b>bass</b>", "nonce": "n1"}
    assert any(c.text == "lovely <b>bass</b>" and c.at == 1.25 for c in lib.comments(track.id))
    assert len(view.player.comments) == 3

    album_label = next(iter(view._album_ids))
    album_id = view._album_ids[album_label]
    view.album.value = album_label
    view.add_album.clicks += 1
    assert track.id in [t.id for t in lib.search(album=album_id)]
    assert view._album_ids[view.album.value] == album_id  # still chosen, with its new count

    view.player.action = {"name": "delete", "start": 0.1, "end": 0.5, "nonce": "n2"}
    assert "notebook" in view.player.error  # editing belongs to the notebook


def test_new_tracks_from_elsewhere_appear_on_the_next_tick(data):
    board = ReviewDashboard(data["lib"])
    fresh = Library(data["lib"].path).add(tone(880.0), prompt="made in the notebook")
    assert fresh.id not in board.browser._cards
    board.tick()
    assert fresh.id in board.browser._cards


def test_a_refused_track_says_so_in_the_page(data):
    board = ReviewDashboard(data["lib"])
    board.browser.opened = data["stray"].id
    assert "Audio refused" in board.track_view.title.object and not board.track_view.player.visible
    assert "outside the library folder" in board.access.status.object


def test_read_only_hides_and_refuses_deletes_and_album_edits(data):
    lib = data["lib"]
    board = ReviewDashboard(lib, read_only=True)
    view = board.track_view
    assert not any(w.visible for w in (view.trash, view.create_album, view.new_album, view.remove_album))
    assert "read-only" in board.header.object
    track = data["tracks"][1]
    board.browser.opened = track.id
    assert all(len(row.objects) == 1 for row in view.comment_list.objects[1:])  # no Delete buttons
    view._trash()
    assert not lib.get(track.id).trashed and "read-only" in board.access.status.object
    view.new_album.value = "sneaky"
    view._create_album()
    assert "sneaky" not in [a.title for a in lib.albums()]
    view.heart.value = True  # reviewers still heart and comment
    assert lib.get(track.id).favorite


def test_read_only_comes_from_the_environment(data, monkeypatch):
    monkeypatch.setenv("WORKBENCH_READ_ONLY", "1")
    monkeypatch.setenv("WORKBENCH_DB", str(data["lib"].path))
    access = LibraryAccess()
    assert access.read_only and access.library.path == data["lib"].path


def test_a_busy_library_queues_the_change_and_retries_it(data):
    lib = data["lib"]
    access = LibraryAccess(Library(lib.path, lock_timeout=0.1))
    track = data["tracks"][0]
    held, release = threading.Event(), threading.Event()

    def hold_lock():  # another "process": the lock is per thread
        with lib.lock.hold("test holds the lock"):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    held.wait(5)
    try:
        assert access.write("set favourite", lambda: access.library.set_favorite(track.id, True)) is False
        assert "busy" in access.status.object and "Traceback" not in access.status.object
        assert access.read("list", access.library.albums, "nothing") == "nothing"
        access.retry_pending()
        assert access.pending  # still busy
    finally:
        release.set()
        holder.join()
    access.retry_pending()
    assert not access.pending and lib.get(track.id).favorite and "Done" in access.status.object


def test_dashboard_module_is_light_to_import():
    # `workbench dashboard` checks its settings before Panel loads
    import subprocess
    code = "import sys, workbench.dashboards.serving; print('panel' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_review_app_script_matches_the_notebook():
    script = (Path(__file__).resolve().parents[1] / "workbench" / "dashboards" / "review_app.py").read_text()
    assert "review_dashboard().servable(" in script
