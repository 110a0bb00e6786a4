"""Python side of the notebook widgets: traits, payload sizes, validation, event dispatch, the JS bundle.

Browser events are fed through ipywidgets' real message handler (`_handle_msg`), the same path a
message from JupyterLab takes, buffers included.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from workbench.audio import Audio
from workbench.errors import AudioFileError, InvalidInput, RegionError
from workbench.regions import Region
from workbench.ui import Recorder, RegionPicker, browser_payload
from workbench.ui.recorder import RECORDER_ESM, pcm_to_audio
from workbench.ui.region_picker import LONG_PREVIEW_RATE, MAX_PEAKS, PICKER_ESM, PREVIEW_MAX_RATE

ROOT = Path(__file__).resolve().parents[1]


def tone(seconds=3.0, rate=48_000, channels=2, seed=0) -> Audio:
    """Chords changing every half second plus noise bursts: compresses like music, not like silence."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    steps = max(1, int(np.ceil(seconds * 2)))
    freqs = np.repeat(220 * 2 ** (rng.integers(0, 12, steps) / 12), rate // 2)[:n]
    freqs = np.pad(freqs, (0, n - freqs.size), mode="edge")
    phase = 2 * np.pi * np.cumsum(freqs) / rate
    x = 0.2 * (np.sin(phase) + 0.5 * np.sin(2 * phase) + 0.3 * np.sin(3 * phase))
    x += 0.15 * np.exp(-(t % 0.5) * 20) * rng.standard_normal(n)
    left = x.astype(np.float32)
    data = np.stack([left, 0.5 * np.roll(left, 100)]) if channels == 2 else left
    return Audio(data, rate)


def browser_update(widget, state: dict, buffers: dict | None = None) -> None:
    """Deliver a state update as the browser sends it (bytes travel as binary buffers)."""
    state = dict(state)
    paths, blobs = [], []
    for name, data in (buffers or {}).items():
        state[name] = None
        paths.append([name])
        blobs.append(memoryview(data))
    widget._handle_msg({"content": {"data": {"method": "update", "state": state, "buffer_paths": paths}},
                        "buffers": blobs})


# --------------------------------------------------------------------- payload
def test_ten_minute_48k_stereo_payload_is_small(capsys):
    ten_seconds = tone(10.0, 48_000, 2).samples
    audio = Audio(np.tile(ten_seconds, 60), 48_000)
    started = time.perf_counter()
    payload = browser_payload(audio)
    elapsed = time.perf_counter() - started
    ogg, peaks = payload["audio_ogg"], payload["peaks"]
    with capsys.disabled():
        print(f"\n10 min 48 kHz stereo -> Ogg {len(ogg) / 1e6:.2f} MB + peaks {len(peaks) / 1e3:.0f} KB "
              f"prepared in {elapsed:.1f} s")
    assert len(ogg) < 3_000_000
    assert len(peaks) == 2 * MAX_PEAKS * 4
    assert payload["peaks_channels"] == 2 and payload["duration"] == pytest.approx(600.0)
    info = sf.info(io.BytesIO(ogg))
    assert (info.samplerate, info.channels, info.format) == (LONG_PREVIEW_RATE, 2, "OGG")
    assert info.duration == pytest.approx(600.0, abs=0.05)


def test_peaks_are_max_abs_per_bucket_channel_after_channel():
    rate = 8_000
    left = np.zeros(rate * 4, np.float32)
    left[: rate * 2] = 0.5  # loud first half, silent second half
    right = np.zeros_like(left)
    right[rate * 2:] = -0.25  # negative samples count by magnitude
    payload = browser_payload(Audio(np.stack([left, right]), rate))
    peaks = np.frombuffer(payload["peaks"], "<f4").reshape(payload["peaks_channels"], -1)
    half = peaks.shape[1] // 2
    assert peaks.shape == (2, 200)  # 4 s at 50 buckets/s is below the 200-bucket minimum
    np.testing.assert_allclose(peaks[0, :half], 0.5)
    np.testing.assert_allclose(peaks[0, half:], 0.0)
    np.testing.assert_allclose(peaks[1, half:], 0.25)


def test_preview_rate_is_capped_never_raised_and_mono_stays_mono():
    payload = browser_payload(tone(2.0, 16_000, 1))
    info = sf.info(io.BytesIO(payload["audio_ogg"]))
    assert (info.samplerate, info.channels, payload["peaks_channels"]) == (16_000, 1, 1)
    info = sf.info(io.BytesIO(browser_payload(tone(2.0, 48_000, 2))["audio_ogg"]))
    assert (info.samplerate, info.channels) == (PREVIEW_MAX_RATE, 2)


# --------------------------------------------------------------------- region
@pytest.fixture
def picker():
    return RegionPicker(tone(3.0, 48_000, 2))


def test_picker_traits_after_show(picker):
    assert picker.duration == pytest.approx(3.0)
    assert picker.revision == 1 and picker.region is None and picker.track_id is None
    assert picker.audio_mime == "audio/ogg" and picker.audio_ogg[:4] == b"OggS"
    first = picker.audio_ogg
    picker.region = (1.0, 2.0)
    picker.show(tone(5.0, 32_000, 1, seed=1), comments=[{"at": 1.5, "text": "nice"}])
    assert picker.revision == 2 and picker.region is None  # a new track clears the selection
    assert picker.duration == pytest.approx(5.0) and picker.audio_ogg != first
    assert picker.comments == [{"at": 1.5, "end": None, "text": "nice"}]


def test_region_set_get_and_observe(picker):
    seen = []
    picker.observe(lambda change: seen.append(change["new"]), "region")
    picker.region = (0.5, 1.25)
    assert picker.region == (0.5, 1.25) and picker.selection == Region(0.5, 1.25)
    picker.region = Region(1.0, 3.0)  # up to the very end is allowed
    picker.region = [0.25, 0.75]
    picker.region = None
    assert seen == [(0.5, 1.25), (1.0, 3.0), (0.25, 0.75), None]
    assert picker.selection is None


@pytest.mark.parametrize("bad", [(2.0, 3.5), (2.0, 1.0), (1.0, 1.0), (-0.5, 1.0), (0.0, float("nan")),
                                 (1.0,), "0-1", (True, 2.0)])
def test_impossible_regions_raise_region_error(picker, bad):
    picker.region = (0.5, 1.0)
    with pytest.raises(RegionError):
        picker.region = bad
    assert picker.region == (0.5, 1.0)


def test_region_without_audio_is_refused():
    with pytest.raises(RegionError, match="no audio"):
        RegionPicker().region = (0.0, 1.0)


def test_region_from_the_browser_is_a_tuple_and_rounding_past_the_end_is_clipped(picker):
    seen = []
    picker.observe(lambda change: seen.append(change["new"]), "region")
    browser_update(picker, {"region": [0.5, 2.0]})
    browser_update(picker, {"region": [2.5, 3.0004]})
    assert seen == [(0.5, 2.0), (2.5, 3.0)]


def test_zoom_height_and_comment_validation(picker):
    picker.zoom = 120
    assert picker.zoom == 120.0
    with pytest.raises(InvalidInput, match="zoom"):
        picker.zoom = -1
    with pytest.raises(InvalidInput, match="height"):
        picker.height = 5
    with pytest.raises(InvalidInput, match="outside the track"):
        picker.comments = [{"at": 9.0, "text": "late"}]
    with pytest.raises(InvalidInput, match="end after it starts"):
        picker.comments = [{"at": 2.0, "end": 1.0, "text": "backwards"}]

    @dataclass
    class LibraryComment:  # comments from the library arrive as objects with at/end/text
        at: float
        text: str
        end: float | None = None

    picker.comments = [LibraryComment(0.5, "<b>kick</b>", 1.0)]
    assert picker.comments == [{"at": 0.5, "end": 1.0, "text": "<b>kick</b>"}]


# --------------------------------------------------------------------- tracks
@dataclass(frozen=True)
class Track:
    id: str
    duration: float


class OneTrackLibrary:
    """The one Library method the picker uses, `audio(track)`, over an in-memory dict."""

    def __init__(self, audio_by_id):
        self.audio_by_id = audio_by_id
        self.calls = []

    def audio(self, track):
        self.calls.append(track.id)
        return self.audio_by_id[track.id]


def test_track_is_loaded_through_the_library():
    audio = tone(2.0, 32_000, 2)
    library = OneTrackLibrary({"t1": audio})
    picker = RegionPicker(Track("t1", 2.0), library=library)
    assert library.calls == ["t1"] and picker.track_id == "t1" and picker.audio is audio
    assert picker.track == Track("t1", 2.0)
    picker.show(tone(1.0))
    assert picker.track_id is None and picker.track is None
    with pytest.raises(InvalidInput, match="library"):
        RegionPicker(Track("t1", 2.0))
    with pytest.raises(InvalidInput, match="Audio or a library Track"):
        RegionPicker(np.zeros(10))


# --------------------------------------------------------------------- actions
def test_context_menu_actions_reach_callbacks_through_the_synced_trait(picker):
    calls = []
    picker.on_action(lambda action, region: calls.append((action, region, picker.busy)))
    for name in ("regenerate", "delete", "loop"):
        browser_update(picker, {"action": {"name": name, "start": 0.5, "end": 1.5, "nonce": name}})
    # the same action twice differs only by its nonce and must still be delivered
    browser_update(picker, {"action": {"name": "loop", "start": 0.5, "end": 1.5, "nonce": "again"}})
    assert [c[0] for c in calls] == ["regenerate", "delete", "loop", "loop"]
    assert all(region == Region(0.5, 1.5) and busy for _, region, busy in calls)
    assert picker.busy is False and picker.error == ""


def test_callback_errors_are_shown_in_the_widget(picker):
    def broken(action, region):
        raise RuntimeError("engine exploded")

    picker.on_action(broken)
    browser_update(picker, {"action": {"name": "regenerate", "start": 0.0, "end": 1.0, "nonce": "1"}})
    assert picker.error == "Regenerate failed: RuntimeError: engine exploded"
    assert isinstance(picker.last_exception, RuntimeError) and "engine exploded" in picker.last_traceback
    assert picker.busy is False
    picker.on_action(broken, remove=True)
    browser_update(picker, {"action": {"name": "regenerate", "start": 0.0, "end": 1.0, "nonce": "2"}})
    assert picker.error == ""  # a successful action clears the last error
    browser_update(picker, {"action": {"name": "explode", "nonce": "3"}})
    assert "unknown picker action 'explode'" in picker.error
    browser_update(picker, {"action": {"name": "delete", "start": 2.0, "end": 9.0, "nonce": "4"}})
    assert picker.error.startswith("Delete failed: RegionError")


def test_comment_at_cursor(picker):
    received = []
    picker.on_comment(lambda at, text: received.append((at, text)))
    browser_update(picker, {"action": {"name": "comment", "at": 1.25, "text": " drums too loud ", "nonce": "a"}})
    assert received == [(1.25, "drums too loud")]
    assert picker.comments == [{"at": 1.25, "end": None, "text": "drums too loud"}]

    def reload_from_library(at, text):  # a callback that reloads the markers itself: no duplicate
        picker.comments = [{"at": at, "text": f"stored: {text}"}]

    picker.on_comment(reload_from_library)
    browser_update(picker, {"action": {"name": "comment", "at": 2.0, "text": "x", "nonce": "b"}})
    assert picker.comments == [{"at": 2.0, "end": None, "text": "stored: x"}]
    browser_update(picker, {"action": {"name": "comment", "at": 2.0, "text": "  ", "nonce": "c"}})
    assert "needs some text" in picker.error


def test_callbacks_must_be_callable(picker):
    with pytest.raises(InvalidInput):
        picker.on_action("regenerate")


# --------------------------------------------------------------------- recorder
def test_recorder_turns_browser_pcm_into_audio():
    recorder = Recorder()
    assert recorder.audio is None
    got = []
    recorder.on_recorded(got.append)
    wave = (np.sin(np.arange(16_000) / 16_000 * 2 * np.pi * 440) * 0.5 * 32767).astype("<i2")
    browser_update(recorder, {"pcm_rate": 16_000, "pcm_channels": 1, "recorded_mime": "audio/webm;codecs=opus",
                              "revision": 1}, {"pcm": wave.tobytes(), "recorded": b"\x1aE\xdf\xa3webm"})
    audio = recorder.audio
    assert (audio.sample_rate, audio.channels, audio.num_samples) == (16_000, 1, 16_000)
    np.testing.assert_allclose(audio.samples[0], wave / 32768.0, atol=1e-6)
    assert len(got) == 1 and got[0].num_samples == 16_000 and recorder.error == ""


def test_recorder_falls_back_to_ogg_and_explains_webm():
    recorder = Recorder()
    ogg = tone(1.0, 32_000, 1).to_bytes("OGG", "VORBIS")
    browser_update(recorder, {"recorded_mime": "audio/ogg;codecs=vorbis"}, {"recorded": ogg})
    assert recorder.audio.sample_rate == 32_000
    browser_update(recorder, {"recorded_mime": "audio/webm;codecs=opus"}, {"recorded": b"\x1aE\xdf\xa3webm"})
    with pytest.raises(AudioFileError, match="webm"):
        _ = recorder.audio


def test_recorder_errors_are_shown_and_bad_pcm_refused():
    recorder = Recorder()
    recorder.on_recorded(lambda audio: 1 / 0)
    browser_update(recorder, {"pcm_rate": 8_000, "pcm_channels": 1, "revision": 1}, {"pcm": b"\x00\x01" * 800})
    assert recorder.error.startswith("ZeroDivisionError")
    with pytest.raises(AudioFileError, match="whole 16-bit frames"):
        pcm_to_audio(b"\x00\x01\x02", 8_000, 1)
    with pytest.raises(InvalidInput):
        recorder.max_seconds = 0


# --------------------------------------------------------------------- the JS bundle
@pytest.mark.parametrize("path", [PICKER_ESM, RECORDER_ESM], ids=lambda p: p.name)
def test_bundle_is_one_offline_es_module(path):
    code = path.read_text(encoding="utf-8")
    assert "export" in code and "render" in code
    assert not re.search(r"https?://", code), "the widget JS must not reference any network URL"
    assert not re.search(r"\bimport\s*[(\"'{*]", code), "the widget JS must not import anything"
    assert not re.search(r"\bfrom\s*[\"']\.{0,2}/", code), "no relative imports in the bundle"


def test_bundle_suppresses_jupyterlab_context_menu():
    code = PICKER_ESM.read_text(encoding="utf-8")
    assert "data-jp-suppress-context-menu" in code and "stopPropagation" in code


@pytest.mark.parametrize("widget, source", [(RegionPicker, "region_picker.js"), (Recorder, "recorder.js")])
def test_js_uses_only_traits_that_python_syncs(widget, source):
    code = (ROOT / "js" / "src" / source).read_text(encoding="utf-8")
    names = set(re.findall(r"model\.get\(\"(\w+)\"\)", code))
    for block in re.findall(r"save\(model, \{(.*?)\}\);", code, re.S):
        while re.search(r"\{[^{}]*\}", block):  # keep the top-level keys only
            block = re.sub(r"\{[^{}]*\}", "", block)
        names |= set(re.findall(r"(\w+):", block))
    listened = re.search(r"listen\(model, \{(.*?)\n  \}\);", code, re.S)
    if listened:
        names |= set(re.findall(r"^\s{4}(\w+):", listened.group(1), re.M))
    synced = set(widget.class_own_traits(sync=True)) | set(widget.class_traits(sync=True))
    assert names, "the source should read some traits"
    assert names <= synced, f"JS uses traits Python does not sync: {names - synced}"
