"""`WaveformPlayer`: the notebook's region-picker JS (wavesurfer.js, bundled, offline) inside Panel.

The same built ES module as `workbench.ui.RegionPicker` runs through `pn.custom.AnyWidgetComponent`.
Panel's model has no `send`, so the browser reports what the user did (a comment at the playhead, a
context-menu action) through the synced `action` parameter; `on_action` subscribes to it.

Audio reaches the browser as an Ogg preview plus peaks computed here (`browser_payload`), read only
through `safe_audio_path`, so a track row pointing outside the library root is never served.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import panel as pn
import param

from ..audio import Audio
from ..ui.region_picker import PICKER_ESM, browser_payload
from .safety import safe_audio_path

__all__ = ["WaveformPlayer", "track_payload", "PICKER_ESM"]

_CACHE_SIZE = 32
_cache: OrderedDict[tuple, dict] = OrderedDict()
_cache_lock = threading.Lock()


def track_payload(library, track) -> dict:
    """The player's audio values for a library track (checked path; cached by file path, size, mtime)."""
    path = safe_audio_path(library, track)
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    payload = browser_payload(Audio.load(path))
    with _cache_lock:
        _cache[key] = payload
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return payload


class WaveformPlayer(pn.custom.AnyWidgetComponent):
    """Waveform, play/pause, zoom, comment markers and "Comment at cursor" for one track."""

    _esm = Path(PICKER_ESM)

    audio_ogg = param.Bytes(default=b"")
    audio_mime = param.String(default="audio/ogg")
    peaks = param.Bytes(default=b"")
    peaks_channels = param.Integer(default=1)
    duration = param.Number(default=0.0)
    revision = param.Integer(default=0)
    track_id = param.String(default=None, allow_None=True)
    comments = param.List(default=[])
    height = param.Integer(default=110)
    busy = param.Boolean(default=False)
    region = param.List(default=None, allow_None=True)
    zoom = param.Number(default=0.0)
    error = param.String(default="")
    action = param.Dict(default={})

    def __init__(self, **params):
        params.setdefault("sizing_mode", "stretch_width")
        super().__init__(**params)
        self._callbacks: list[Callable[[dict], Any]] = []
        self.param.watch(self._dispatch, "action")

    def show(self, payload: dict, *, track_id: str | None = None, comments: list[dict] | None = None) -> None:
        """Load new audio (a `browser_payload`/`track_payload` dict) with its comment markers."""
        values = dict(payload, track_id=track_id, comments=list(comments or []), region=None, error="")
        self.param.update(**values)
        # Separately and last: the JS reloads on `revision` and draws the markers once the waveform is
        # ready; comments arriving while it loads would be drawn before it knows the duration.
        self.revision += 1

    def clear(self) -> None:
        self.show({"audio_ogg": b"", "peaks": b"", "peaks_channels": 1, "duration": 0.0})

    def on_action(self, callback: Callable[[dict], Any]) -> None:
        """Call `callback(message)` for each browser action: {"name": "comment", "at", "text"} or a
        context-menu {"name", "start", "end"}."""
        self._callbacks.append(callback)

    def _dispatch(self, event) -> None:
        message = event.new or {}
        if not message.get("name"):
            return
        for callback in list(self._callbacks):
            callback(dict(message))
