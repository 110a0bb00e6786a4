"""`EditorView`: the region picker and the control panel wired to a `Studio`.

Right-click a region -> Regenerate (in-paint with the panel's sliders), Delete or Loop: each runs as a
background job through the panel (progress bar, Cancel, errors in the panel), so the kernel stays free;
when it ends, the picker shows the new track. Generate / Remix / Upscale results show there too.
Comments added at the cursor are stored on the shown track.
"""

from __future__ import annotations

import logging

import ipywidgets as widgets

from ..errors import InvalidInput
from ..jobs import Job
from ..regions import Region
from .control_panel import ControlPanel
from .region_picker import ACTIONS, RegionPicker

__all__ = ["EditorView"]

log = logging.getLogger(__name__)


class EditorView(widgets.VBox):
    """`EditorView(studio, track=None)`: panel on top, waveform below, a history of what was shown.

    `view.edit("delete", start, end)` does what the context menu does and returns the Job;
    `view.track` is the track shown; `view.history` every track shown, oldest first;
    `view.wait()` waits for the running job (handy in a notebook run top to bottom).
    """

    def __init__(self, studio, track=None, *, panel: ControlPanel | None = None, inpaint_candidates: int = 3,
                 loop_times: int = 2):
        self.studio = studio
        self.library = studio.library
        self.panel = panel if panel is not None else ControlPanel(studio)
        self.picker = RegionPicker(library=self.library)
        self.inpaint_candidates = inpaint_candidates
        self.loop_times = loop_times
        self.history: list = []
        self.history_list = widgets.Dropdown(description="History", options=[], layout=widgets.Layout(width="44em"))
        self.history_list.add_class("wb-history")
        self._showing_history = False
        self.history_list.observe(self._history_picked, "value")
        self.picker.on_action(self._on_action)
        self.picker.on_comment(self._on_comment)
        self.panel.on_result(self._on_result)
        super().__init__([self.panel, self.picker, self.history_list])
        self.add_class("wb-editor")
        if track is not None:
            self.show(track)

    @property
    def track(self):
        return self.picker.track

    def show(self, track) -> EditorView:
        """Show a library track (Track or id) in the picker and make it the panel's current track."""
        track = self.library.get(track)
        self.picker.show(track, comments=self.library.comments(track))
        self.panel.use(track)
        if not self.history or self.history[-1].id != track.id:
            self.history.append(track)
        self._showing_history = True
        try:
            self.history_list.options = [(_history_label(i, t), t.id) for i, t in enumerate(self.history)]
            self.history_list.value = track.id
        finally:
            self._showing_history = False
        return self

    def edit(self, action: str, start: float, end: float) -> Job:
        """Run a context-menu action ("regenerate", "delete", "loop") on [start, end] of the shown track."""
        if action not in ACTIONS:
            raise InvalidInput(f"unknown edit {action!r}; choose one of {', '.join(ACTIONS)}")
        track = self.track
        if track is None:
            raise InvalidInput("nothing to edit: show a track first (view.show(track))")
        region = Region(start, end)
        params = self.panel.current_params()
        if action == "regenerate":
            job = self.panel.run("inpaint", track, region.start, region.end, candidates=self.inpaint_candidates,
                                 prompt=self.panel.prompt.value or None, **params)
        elif action == "delete":
            job = self.panel.run("delete_region", track, region.start, region.end, structure=params["structure"])
        else:
            job = self.panel.run("loop_region", track, region.start, region.end, self.loop_times,
                                 structure=params["structure"])
        # "working..." on the waveform (its menu disabled) while the job reports progress, cleared at the end
        job.on_change(lambda j: setattr(self.picker, "busy", not j.done()))
        return job

    def wait(self, timeout: float | None = None):
        """The running (or last) job's result, once the picker shows it; raises the job's error."""
        return self.panel.wait(timeout)

    # ------------------------------------------------------------------ callbacks
    def _on_action(self, action: str, region: Region) -> None:
        self.edit(action, region.start, region.end)  # errors reach the picker's error line

    def _on_comment(self, at: float, text: str) -> None:
        if self.track is None:
            raise InvalidInput("comments belong to library tracks: show a track, not bare audio")
        self.library.add_comment(self.track, at, text)
        self.picker.comments = self.library.comments(self.track)

    def _on_result(self, tracks: list, operation: str) -> None:
        self.show(tracks[0])

    def _history_picked(self, change) -> None:
        if self._showing_history or change["new"] is None or (self.track and change["new"] == self.track.id):
            return
        try:
            self.show(change["new"])
        except Exception as error:  # a track purged meanwhile: say so next to the waveform
            log.debug("history pick failed", exc_info=True)
            self.picker.error = f"{type(error).__name__}: {error}"


def _history_label(index: int, track) -> str:
    region = f" {track.region.start:.2f}-{track.region.end:.2f} s" if track.region else ""
    return f"{index + 1}. {track.id} {track.derivation}{region} ({track.duration:.1f} s)"
