"""Python side of the control panel, the editor view and the library browser, on a real Studio with the
offline sketch engine and a tmp_path library (short audio, so each test takes about a second)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from workbench.audio import Audio
from workbench.errors import Cancelled, EngineError, InvalidInput, WorkbenchError
from workbench.params import SLIDERS, slider_spec
from workbench.studio import Studio
from workbench.ui import ControlPanel, EditorView, LibraryBrowser
from workbench.ui.library_cards import waveform_svg


@pytest.fixture
def studio(tmp_path):
    return Studio(tmp_path / "lib.duckdb", engine="auto")


@pytest.fixture
def track(studio):
    return studio.generate("lofi piano", duration=2.0, seed=1)


def tone(seconds=2.0, rate=32_000) -> Audio:
    t = np.arange(int(seconds * rate)) / rate
    return Audio(0.3 * np.sin(2 * np.pi * 330 * t), rate)


# --------------------------------------------------------------------- control panel
def test_sliders_come_from_the_parameter_metadata(studio):
    panel = ControlPanel(studio)
    assert list(panel.sliders) == list(SLIDERS)
    for name, slider in panel.sliders.items():
        spec = slider_spec(name)
        assert (slider.min, slider.max, slider.step, slider.value) == (spec["min"], spec["max"], spec["step"],
                                                                       spec["default"])
        assert slider.description == spec["label"] and slider.tooltip == spec["help"]
    panel.sliders["weirdness"].value = 0.4
    assert panel.current_params() == {"loyalty": 1.0, "weirdness": 0.4, "genre_shift": 3.0, "structure": 0.0}


def test_set_params_checks_names_and_ranges(studio):
    panel = ControlPanel(studio)
    with pytest.raises(InvalidInput, match="weirdness = 3"):
        panel.set_params(weirdness=3)
    with pytest.raises(InvalidInput, match="not a slider"):
        panel.set_params(temperature=1.0)
    panel.set_params(structure=0.5)
    assert panel.current_params()["structure"] == 0.5


def test_panel_shows_the_engine_auto_picks_and_why(studio):
    panel = ControlPanel(studio)
    assert "sketch" in panel.engine_info.value and "no MusicGen weights" in panel.engine_info.value
    panel.engine.value = "sketch"
    assert "chosen by the user" in panel.engine_info.value


def test_generate_runs_in_the_background_and_records_the_sliders(studio):
    panel = ControlPanel(studio, prompt="dub techno", duration=1.5, seed=7)
    panel.set_params(weirdness=0.6, genre_shift=5.0)
    got = []
    panel.on_result(lambda tracks, op: got.append((op, [t.id for t in tracks])))
    panel.generate_button.click()
    track = panel.wait(60)
    assert panel.error.value == "" and panel.progress.value == 1.0 and panel.progress.bar_style == "success"
    assert got == [("generate", [track.id])] and panel.track == track
    params = studio.library.get(track).config["params"]
    assert (params["seed"], params["weirdness"], params["genre_shift"], params["duration"]) == (7, 0.6, 5.0, 1.5)
    assert not panel.remix_button.disabled and not panel.upscale_button.disabled and panel.cancel_button.disabled


def test_batch_toggle_makes_count_variations(studio):
    panel = ControlPanel(studio, prompt="ambient pad", duration=1.0, seed=10)
    assert panel.batch_count.disabled
    panel.batch.value = True
    panel.batch_count.value = 3
    panel.generate()
    tracks = panel.wait(60)
    assert [t.seed for t in tracks] == [10, 11, 12] and panel.results == tracks


def test_remix_and_upscale_work_on_the_current_track(studio, track):
    panel = ControlPanel(studio, duration=1.0)
    panel.remix_button.click()  # no track yet: the error shows in the panel
    assert "Remix needs a track" in panel.error.value
    panel.use(track)
    remixed = panel.remix(n=1)
    (remix,) = panel.wait(60)
    assert remixed.status == "done" and remix.derivation == "remix" and remix.parent_id == track.id
    panel.use(track)
    panel.upscale()
    up = panel.wait(120)
    assert up.sample_rate == 48_000 and up.parent_id == track.id and panel.track == up


def test_errors_appear_in_the_panel_escaped(studio):
    panel = ControlPanel(studio)
    panel.run("generate", "x", 1.0, engine="<b>nope</b>")  # a real failure inside the job
    with pytest.raises(EngineError):
        panel.wait(30)
    assert "&lt;b&gt;nope&lt;/b&gt;" in panel.error.value and "<b>nope" not in panel.error.value
    assert panel.progress.bar_style == "danger" and "failed" in panel.status.value
    assert isinstance(panel.last_exception, EngineError)


def test_cancel_stops_a_running_job(studio):
    panel = ControlPanel(studio)
    running = threading.Event()
    panel.run("sweep", "lofi", loyalty=[0.0, 0.5, 1.0], weirdness=[0.3, 0.7, 1.1, 1.5], seeds=list(range(6)),
              duration=4.0)
    panel.job.on_change(lambda job: running.set() if job.total_steps else None)
    with pytest.raises(InvalidInput, match="still running"):
        panel.generate()
    assert not panel.cancel_button.disabled and panel.generate_button.disabled
    assert running.wait(120)
    panel.cancel_button.click()
    with pytest.raises(Cancelled):
        panel.wait(120)
    assert "cancelled" in panel.status.value and panel.job.status == "cancelled"
    assert panel.cancel_button.disabled and not panel.generate_button.disabled


# --------------------------------------------------------------------- editor view
def test_editor_actions_run_as_jobs_and_show_the_new_track(studio, track):
    view = EditorView(studio, track, inpaint_candidates=1)
    assert view.picker.track == track and view.panel.track == track
    view.picker.region = (0.5, 1.0)
    # the picker's context menu arrives through its synced `action` trait
    view.picker.action = {"name": "delete", "start": 0.5, "end": 1.0, "nonce": 1}
    deleted = view.wait(60)
    assert view.picker.error == ""
    assert deleted.derivation == "delete" and deleted.parent_id == track.id
    assert deleted.duration == pytest.approx(track.duration - 0.5, abs=0.15)
    assert view.track == deleted and view.picker.track_id == deleted.id and view.picker.region is None
    view.edit("loop", 0.25, 0.75)
    looped = view.wait(60)
    assert looped.derivation == "loop" and looped.duration > deleted.duration
    view.edit("regenerate", 0.5, 1.0)
    inpainted = view.wait(120)
    assert inpainted.derivation == "inpaint" and inpainted.parent_id == looped.id and not view.picker.busy
    assert [t.id for t in view.history] == [track.id, deleted.id, looped.id, inpainted.id]
    view.history_list.value = track.id  # back to the original
    assert view.track.id == track.id


def test_editor_errors_show_next_to_the_waveform(studio, track):
    view = EditorView(studio, track)
    view.picker.action = {"name": "delete", "start": 0.0, "end": 2.0, "nonce": 1}  # would leave nothing
    with pytest.raises(WorkbenchError):
        view.wait(30)
    assert "Error" in view.panel.error.value  # shown in the panel
    with pytest.raises(InvalidInput, match="unknown edit"):
        view.edit("explode", 0, 1)


def test_comments_from_the_picker_are_stored_on_the_track(studio, track):
    view = EditorView(studio, track)
    view.picker.action = {"name": "comment", "at": 1.25, "text": "hat too loud", "nonce": 2}
    (comment,) = studio.library.comments(track)
    assert (comment.at, comment.text) == (1.25, "hat too loud")
    assert view.picker.comments == [{"at": 1.25, "end": None, "text": "hat too loud"}]


# --------------------------------------------------------------------- library browser
@pytest.fixture
def filled(studio):
    lib = studio.library
    a = lib.add(tone(), prompt="rainy <b>lofi</b> piano", tags=["lofi", "keep"])
    b = lib.add(tone(1.0), prompt="dub techno", tags=["techno"])
    c = lib.add(tone(1.5), prompt="lofi beat", tags=["lofi"], created_at="2020-01-02T10:00:00")
    return lib, a, b, c


def test_browser_grid_cards_escape_text_and_draw_waveforms(filled):
    lib, a, b, c = filled
    browser = LibraryBrowser(lib)
    assert [t.id for t in browser.tracks] == [b.id, a.id, c.id]  # newest first
    card = browser.cards[a.id].box
    html = "".join(getattr(w, "value", "") for w in _walk(card) if w.__class__.__name__ == "HTML")
    assert "rainy &lt;b&gt;lofi&lt;/b&gt; piano" in html and "<b>lofi</b>" not in html
    assert "<svg class='wb-mini-wave'" in html
    players = [w for w in _walk(card) if w.__class__.__name__ == "Audio"]
    assert len(players) == 1 and players[0].value[:4] == b"OggS" and len(players[0].value) < 40_000
    browser.view.value = "list"
    assert set(browser.cards) == {a.id, b.id, c.id}
    assert not [w for w in _walk(browser.cards[a.id].box) if w.__class__.__name__ == "Audio"]


def test_browser_filters(filled):
    lib, a, b, c = filled
    browser = LibraryBrowser(lib)
    browser.text.value = "lofi"
    assert {t.id for t in browser.tracks} == {a.id, c.id}
    browser.tags.value = "lofi, keep"
    assert [t.id for t in browser.tracks] == [a.id]
    browser.text.value, browser.tags.value = "", ""
    import datetime as dt
    browser.until.value = dt.date(2020, 1, 2)  # inclusive day
    assert [t.id for t in browser.tracks] == [c.id]
    browser.until.value, browser.since.value = None, dt.date(2021, 1, 1)
    assert {t.id for t in browser.tracks} == {a.id, b.id}
    browser.since.value = None
    browser.set_favorite(b.id)
    browser.favorites.value = True
    assert [t.id for t in browser.tracks] == [b.id]
    assert "1 track(s)" in browser.page_label.value


def test_heart_and_dislike_write_at_once_and_exclude_each_other(filled):
    lib, a, b, c = filled
    browser = LibraryBrowser(lib)
    card = browser.cards[a.id]
    card.heart.value = True
    assert lib.get(a.id).favorite and card.heart.button_style == "danger"
    card.dislike.value = True
    now = lib.get(a.id)
    assert now.disliked and not now.favorite and not card.heart.value
    card.dislike.value = False
    assert not lib.get(a.id).disliked


def test_select_add_to_album_delete_and_restore(filled):
    lib, a, b, c = filled
    browser = LibraryBrowser(lib, page_size=2)
    assert browser.total == 3 and len(browser.tracks) == 2 and not browser.next_button.disabled
    browser.cards[b.id].select.value = True
    browser.next_button.click()
    assert [t.id for t in browser.tracks] == [c.id]
    browser.cards[c.id].select.value = True
    assert browser.selected == [b.id, c.id] and "2 selected" in browser.status.value
    browser.album_title.value = "Night <set>"
    browser.add_button.click()
    (album,) = lib.albums()
    assert album.title == "Night <set>" and album.track_count == 2 and "Night &lt;set&gt;" in browser.status.value
    browser.album.value = album.id
    assert {t.id for t in browser.tracks} == {b.id, c.id}
    browser.select([b.id, c.id])
    browser.delete_button.click()
    assert lib.get(b.id).trashed and lib.get(c.id).trashed and browser.total == 0
    browser.album.value = None
    browser.show_trash.value = True
    assert {t.id for t in browser.tracks} == {b.id, c.id} and browser.delete_button.disabled
    browser.select(b.id)
    browser.restore_button.click()
    assert not lib.get(b.id).trashed and lib.get(c.id).trashed


def test_browser_errors_are_shown(filled):
    lib, a, b, c = filled
    browser = LibraryBrowser(lib)
    browser.delete_button.click()
    assert "select one or more tracks" in browser.error.value
    browser.select(a.id)
    browser.album_title.value = ""
    browser.add_button.click()
    assert "album title" in browser.error.value


def test_comments_in_the_browser(filled):
    lib, a, b, c = filled
    browser = LibraryBrowser(lib)
    card = browser.cards[a.id]
    card.toggle_comments(True)
    assert "no comments yet" in card.comment_list.value
    card.comment_at.value = 1.0
    card.comment_text.value = "<i>great</i> bridge"
    card.comment_add.click()
    assert [x.text for x in lib.comments(a.id)] == ["<i>great</i> bridge"]
    assert "&lt;i&gt;great&lt;/i&gt; bridge" in card.comment_list.value and card.comments_button.description == "1"
    card.comment_text.value = "   "
    card.comment_add.click()
    assert "comment text is empty" in browser.error.value


def test_waveform_svg_is_small_and_scaled():
    svg = waveform_svg(tone(600.0, 8000))
    assert svg.count("<rect") == 80 and len(svg) < 8_000


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)
