"""`RegionPicker`: a waveform in the notebook where a region is picked, auditioned and acted on.

Python owns the state (traits); `static/region_picker.js` (built from js/src/) owns the page. The
same JS file runs under Panel's `AnyWidgetComponent`: `browser_payload()` gives the trait values a
Panel component needs, and every browser event (context-menu actions, comments) arrives through the
synced `action` trait, because Panel's model has no `send`.

The browser receives compressed audio (Ogg Vorbis, resampled to at most `PREVIEW_MAX_RATE`) and
peaks computed here, never raw samples: a 10-minute 48 kHz stereo track is ~3 MB and opens at once.
"""

from __future__ import annotations

import logging
import math
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from ..audio import Audio
from ..errors import InvalidInput, RegionError
from ..regions import Region
from .callbacks import register_callback

__all__ = [
    "RegionPicker",
    "browser_payload",
    "ACTIONS",
    "PICKER_ESM",
    "PREVIEW_MAX_RATE",
    "PREVIEW_QUALITY",
    "LONG_TRACK",
    "LONG_PREVIEW_RATE",
    "MAX_PEAKS",
]

log = logging.getLogger(__name__)

PICKER_ESM = Path(__file__).parent / "static" / "region_picker.js"
ACTIONS = ("regenerate", "delete", "loop")  # the region's context menu, in the order shown
PREVIEW_MAX_RATE = 32_000  # MusicGen's own rate; 48 kHz tracks are previewed at this rate
PREVIEW_QUALITY = 0.1  # libvorbis VBR quality 0..1: ~64 kbit/s stereo at 32 kHz
# Past LONG_TRACK seconds the preview drops to 24 kHz at the lowest quality (~32 kbit/s): a 10-minute
# track stays ~2.5 MB and encodes in about half the time (Vorbis encoding is most of the cost).
LONG_TRACK = 300.0
LONG_PREVIEW_RATE = 24_000
LONG_PREVIEW_QUALITY = 0.0
PEAKS_PER_SECOND = 50
MIN_PEAKS = 200
MAX_PEAKS = 20_000  # 160 KB of float32 for a stereo track, enough detail to zoom a long track
MAX_ZOOM = 5_000  # pixels per second

ActionCallback = Callable[[str, Region], Any]
CommentCallback = Callable[[float, str], Any]


def browser_payload(audio: Audio, *, max_rate: int | None = None, quality: float | None = None,
                    peaks_per_second: float = PEAKS_PER_SECOND, max_peaks: int = MAX_PEAKS) -> dict:
    """The trait values that show `audio` in the picker JS (in a notebook or a Panel component).

    Returns {audio_ogg, audio_mime, peaks, peaks_channels, duration}: peaks are the max |sample| of
    equal buckets per channel, little-endian float32, channel after channel (wavesurfer's `peaks`).
    The preview rate and quality default to 32 kHz / 0.1, or 24 kHz / 0.0 past `LONG_TRACK` seconds.
    """
    if not isinstance(audio, Audio):
        raise InvalidInput(f"expected an Audio, got {type(audio).__name__}")
    long_track = audio.duration > LONG_TRACK
    if max_rate is None:
        max_rate = LONG_PREVIEW_RATE if long_track else PREVIEW_MAX_RATE
    if quality is None:
        quality = LONG_PREVIEW_QUALITY if long_track else PREVIEW_QUALITY
    buckets = int(min(max_peaks, max(MIN_PEAKS, math.ceil(audio.duration * peaks_per_second))))
    bounds = audio.peaks(buckets)  # (channels, buckets, 2): min, max
    peaks = np.abs(bounds).max(axis=-1).astype("<f4")
    preview = audio.resample(max_rate, quality="HQ") if audio.sample_rate > max_rate else audio
    return {
        "audio_ogg": preview.to_ogg_bytes(quality),
        "audio_mime": "audio/ogg",
        "peaks": peaks.tobytes(),
        "peaks_channels": int(peaks.shape[0]),
        "duration": float(audio.duration),
    }


def _is_track(value) -> bool:
    return hasattr(value, "id") and hasattr(value, "duration") and not isinstance(value, Audio)


class RegionPicker(anywidget.AnyWidget):
    """Waveform with a draggable region, Play loop, zoom, comment markers and a region context menu.

    `RegionPicker(audio)` or `RegionPicker(track, library=lib)` (the audio comes from `lib.audio(track)`).
    `picker.region` is `(start, end)` seconds or None: observable (`picker.observe(f, "region")`) and
    settable. `picker.on_action(f)` calls `f(action, Region)` for Regenerate/Delete/Loop;
    `picker.on_comment(f)` calls `f(at_seconds, text)`. Errors raised by callbacks are shown in the widget.
    """

    _esm = PICKER_ESM

    # Python -> browser: what to draw (set together by show(); `revision` tells the JS to reload)
    audio_ogg = traitlets.Bytes(b"").tag(sync=True)
    audio_mime = traitlets.Unicode("audio/ogg").tag(sync=True)
    peaks = traitlets.Bytes(b"").tag(sync=True)
    peaks_channels = traitlets.Int(1).tag(sync=True)
    duration = traitlets.Float(0.0).tag(sync=True)
    revision = traitlets.Int(0).tag(sync=True)
    track_id = traitlets.Any(None, allow_none=True).tag(sync=True)
    comments = traitlets.List().tag(sync=True)  # [{at, end, text}]; _check_comments converts and checks
    height = traitlets.Int(128).tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)
    # both ways
    # (start, end) seconds or None; Any, so that every bad value reaches _check_region and raises RegionError
    region = traitlets.Any(None, allow_none=True).tag(sync=True)
    zoom = traitlets.Float(0.0).tag(sync=True)  # pixels per second; 0 fits the whole track
    error = traitlets.Unicode("").tag(sync=True)
    # browser -> Python: {"name", "start", "end"} or {"name": "comment", "at", "text"}, plus a nonce
    action = traitlets.Dict().tag(sync=True)

    def __init__(self, source: Audio | Any | None = None, *, library=None, region=None, comments=None,
                 **kwargs):
        super().__init__(**kwargs)
        self._library = library
        self._audio: Audio | None = None
        self._track = None
        self._action_callbacks: list[ActionCallback] = []
        self._comment_callbacks: list[CommentCallback] = []
        self.last_exception: BaseException | None = None
        self.last_traceback: str = ""
        if source is not None:
            self.show(source, region=region, comments=comments)

    # ------------------------------------------------------------------ showing audio
    @property
    def audio(self) -> Audio | None:
        """The audio shown now (full quality; the browser gets a compressed preview)."""
        return self._audio

    @property
    def track(self):
        """The library track shown now, or None when an `Audio` was given."""
        return self._track

    @property
    def selection(self) -> Region | None:
        """`region` as a `Region`, or None when nothing is selected."""
        return None if self.region is None else Region(*self.region)

    def show(self, source, *, region=None, comments=None, library=None) -> RegionPicker:
        """Show an `Audio` or a library track (read with `library.audio(track)`); clears the selection."""
        if library is not None:
            self._library = library
        track = None
        if isinstance(source, Audio):
            audio = source
        elif _is_track(source):
            if self._library is None:
                raise InvalidInput(
                    f"cannot show track {source.id!r} without its library: "
                    "use RegionPicker(track, library=lib) or picker.show(track, library=lib)"
                )
            audio, track = self._library.audio(source), source
            if not isinstance(audio, Audio):
                raise InvalidInput(f"library.audio({source.id!r}) returned {type(audio).__name__}, not Audio")
        else:
            raise InvalidInput(f"RegionPicker shows an Audio or a library Track, got {type(source).__name__}")
        payload = browser_payload(audio)
        with self.hold_sync():
            self._audio, self._track = audio, track
            self.region = None
            for name, value in payload.items():
                setattr(self, name, value)
            self.track_id = None if track is None else track.id
            self.comments = [] if comments is None else comments
            self.region = region
            self.error = ""
            self.revision += 1  # last: the JS reloads once, with every trait above in place
        return self

    # ------------------------------------------------------------------ callbacks
    def on_action(self, callback: ActionCallback, remove: bool = False) -> ActionCallback:
        """Call `callback(action, region)` when the user picks Regenerate/Delete/Loop on a region."""
        return register_callback(self._action_callbacks, callback, remove)

    def on_comment(self, callback: CommentCallback, remove: bool = False) -> CommentCallback:
        """Call `callback(at_seconds, text)` when the user adds a comment at the play cursor."""
        return register_callback(self._comment_callbacks, callback, remove)

    @traitlets.observe("action")
    def _on_action_trait(self, change):
        message = change["new"] or {}
        name = message.get("name")
        if not name:
            return
        self.error = ""
        self.busy = True
        try:
            if name == "comment":
                self._dispatch_comment(message)
            elif name in ACTIONS:
                region = Region(float(message["start"]), float(message["end"]))
                region.check_within(self.duration)
                for callback in list(self._action_callbacks):
                    callback(name, region)
            else:
                raise InvalidInput(f"unknown picker action {name!r}; expected one of {ACTIONS + ('comment',)}")
        except Exception as error:  # shown next to the widget: a log line in a notebook is easily lost
            self.last_exception = error
            self.last_traceback = traceback.format_exc()
            log.exception("region picker %s failed", name)
            self.error = f"{name.capitalize()} failed: {type(error).__name__}: {error}"
        finally:
            self.busy = False

    def _dispatch_comment(self, message: dict) -> None:
        at = float(message.get("at", 0.0))
        text = str(message.get("text", "")).strip()
        if not text:
            raise InvalidInput("a comment needs some text")
        before = self.comments
        for callback in list(self._comment_callbacks):
            callback(at, text)
        if self.comments is before:  # a callback that reloaded the comments already shows this one
            self.comments = [*before, {"at": at, "end": None, "text": text}]

    # ------------------------------------------------------------------ validation
    @traitlets.validate("region")
    def _check_region(self, proposal):
        value = proposal["value"]
        if value is None:
            return None
        if isinstance(value, Region):
            start, end = value.start, value.end
        elif isinstance(value, str | bytes | dict):
            raise RegionError(f"a region is (start, end) in seconds or None, got {value!r}")
        else:
            try:
                start, end = value
            except (TypeError, ValueError):
                raise RegionError(f"a region is (start, end) in seconds or None, got {value!r}") from None
        region = Region(start, end)
        if self._audio is None:
            raise RegionError(f"cannot select {region}: no audio is shown")
        if region.end > self.duration:  # the browser rounds to 0.1 ms; clip what rounding pushed past the end
            if region.end - self.duration < 1e-3:
                region = Region(region.start, self.duration)
        region.check_within(self.duration)
        return (region.start, region.end)

    @traitlets.validate("comments")
    def _check_comments(self, proposal):
        return [_comment_dict(item, self.duration) for item in proposal["value"]]

    @traitlets.validate("zoom")
    def _check_zoom(self, proposal):
        value = float(proposal["value"])
        if not 0.0 <= value <= MAX_ZOOM:
            raise InvalidInput(f"zoom is {value} pixels per second; allowed 0 (fit) to {MAX_ZOOM}")
        return value

    @traitlets.validate("height")
    def _check_height(self, proposal):
        value = int(proposal["value"])
        if not 32 <= value <= 2000:
            raise InvalidInput(f"waveform height {value} px is outside 32..2000")
        return value


def _comment_dict(item, duration: float) -> dict:
    """A marker {at, end, text} from a dict or an object with those attributes (a library comment)."""
    get = item.get if isinstance(item, dict) else lambda key, default=None: getattr(item, key, default)
    try:
        at = float(get("at"))
    except (TypeError, ValueError):
        raise InvalidInput(f"a comment marker needs a time `at` in seconds, got {get('at')!r}") from None
    end = get("end", None)
    end = None if end is None else float(end)
    if not (math.isfinite(at) and 0.0 <= at <= duration + 1e-3):
        raise InvalidInput(f"comment at {at} s is outside the track (0..{duration:.3f} s)")
    if end is not None and not (math.isfinite(end) and at < end <= duration + 1e-3):
        raise InvalidInput(f"comment span {at}-{end} s must end after it starts and within {duration:.3f} s")
    return {"at": at, "end": end, "text": str(get("text", "") or "")}
