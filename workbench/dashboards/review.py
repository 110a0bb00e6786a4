"""`ReviewDashboard`: the served review page: library browser, track player, sweep results.

`review_dashboard()` builds it for the library named by $WORKBENCH_DB (read-only when
$WORKBENCH_READ_ONLY is set), which is how `workbench dashboard` hands its settings to the served
notebook. While served, a periodic callback (every `REFRESH_MS`) retries writes that found the library
busy and re-queries the page, so tracks made in a notebook appear within a few seconds.
"""

from __future__ import annotations

import panel as pn

from ..errors import WorkbenchError
from .browser import LibraryBrowser
from .safety import text_html
from .session import LibraryAccess
from .sweep_view import SweepView
from .track_view import TrackView

__all__ = ["ReviewDashboard", "review_dashboard", "REFRESH_MS"]

REFRESH_MS = 2000


class ReviewDashboard:
    """The review page for one library (`library`: a Library or a path; default $WORKBENCH_DB)."""

    def __init__(self, library=None, *, read_only: bool | None = None, refresh_ms: int = REFRESH_MS):
        self.access = LibraryAccess(library, read_only=read_only)
        self.browser = LibraryBrowser(self.access)
        self.track_view = TrackView(self.access, on_change=self._changed)
        self.sweeps = SweepView(self.access)
        self.track_view.set_albums(self.browser._album_ids)
        self.browser.param.watch(self._open, "opened")
        self.sweeps.player.on_action(self._sweep_comment)
        lib = self.access.library
        mode = "read-only review" if self.access.read_only else "review"
        self.header = pn.pane.HTML(
            f'<div style="font-size:20px;font-weight:700">Pro Studio {mode}</div>'
            f'<div style="font-size:12px;color:#666">library {text_html(lib.path)}</div>',
            sizing_mode="stretch_width", css_classes=["wb-header"])
        self.tabs = pn.Tabs(("Library", pn.Column(self.track_view, self.browser, sizing_mode="stretch_width")),
                            ("Sweeps", self.sweeps), dynamic=False, sizing_mode="stretch_width")
        self.layout = pn.Column(self.header, self.access.status, self.tabs, sizing_mode="stretch_width",
                                css_classes=["wb-review"])
        self.periodic = None
        if refresh_ms and pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            self.periodic = pn.state.add_periodic_callback(self.tick, period=int(refresh_ms))

    def __panel__(self):
        return self.layout

    def servable(self, title: str = "Pro Studio review", **kwargs):
        return self.layout.servable(title=title, **kwargs)

    @property
    def read_only(self) -> bool:
        return self.access.read_only

    # ----------------------------------------------------------------- updates
    def tick(self) -> None:
        """One refresh: retry queued writes, then re-read the page, albums, comments and sweeps."""
        try:
            self.access.retry_pending()
            self.browser.refresh_albums()
            self.track_view.set_albums(self.browser._album_ids)
            self.browser.refresh()
            self.track_view.refresh_comments()
            self.sweeps.refresh()
        except WorkbenchError as error:  # a periodic callback must never die on one bad read
            self.access.note(f"Refreshing failed (will retry): {error}", "error")

    def _changed(self) -> None:
        self.browser.refresh_albums()
        self.track_view.set_albums(self.browser._album_ids)
        self.browser.refresh()

    def _open(self, event) -> None:
        if event.new:
            self.track_view.open(event.new)

    def _sweep_comment(self, message: dict) -> None:
        track_id = self.sweeps.player.track_id
        if message.get("name") != "comment" or not track_id:
            self.sweeps.player.error = "The sweep player is for listening and comments; edit tracks in the notebook."
            return
        text = str(message.get("text", "")).strip()
        duration = self.sweeps.player.duration
        try:
            at = min(max(0.0, float(message.get("at", 0.0))), duration)
        except (TypeError, ValueError):
            at = 0.0
        author = getattr(pn.state, "user", None) or None
        self.access.write("add the comment", lambda: self.access.library.add_comment(
            track_id, at=at, text=text, author=author), lambda _c: self.access.note("Comment saved."))


def review_dashboard(library=None, *, read_only: bool | None = None) -> ReviewDashboard:
    """The review dashboard for `library` (default: $WORKBENCH_DB, else ./library.duckdb)."""
    return ReviewDashboard(library, read_only=read_only)
