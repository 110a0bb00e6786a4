"""`TrackView`: one track: waveform player with comment markers, comments, flags and albums.

"Comment at cursor" in the waveform stores a comment at the playhead. Heart / dislike act at once.
Albums: add the track to one (or, unless read-only, create albums and remove the track from one).
Deleting (trash the track, delete a comment) is offered only on a dashboard that is not read-only.
"""

from __future__ import annotations

import panel as pn

from ..errors import AudioFileError
from .browser import show_flag_state
from .player import WaveformPlayer, track_payload
from .safety import text_html
from .session import LibraryAccess

__all__ = ["TrackView"]

NO_ALBUM = "(choose an album)"


def _stamp(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:05.2f}"


class TrackView:
    def __init__(self, access: LibraryAccess, on_change=None):
        self.access = access
        self.on_change = on_change or (lambda: None)  # tells the browser that flags/counts changed
        self.track = None
        self._comments: list = []
        self._album_ids: dict[str, str] = {}
        self._syncing = False
        self.title = pn.pane.HTML("<i>Open a track from the library.</i>", sizing_mode="stretch_width",
                                  css_classes=["wb-track-title"])
        self.player = WaveformPlayer(min_height=170, visible=False)
        self.player.on_action(self._on_player_action)
        self.heart = pn.widgets.Toggle(label="\u2665 Favourite", width=120,
                                       css_classes=["wb-track-heart"])
        self.dislike = pn.widgets.Toggle(label="\u2717 Dislike", width=100,
                                         css_classes=["wb-track-dislike"])
        self.heart.param.watch(lambda e: self._flag("favorite", e.new), "value")
        self.dislike.param.watch(lambda e: self._flag("disliked", e.new), "value")
        show_flag_state(self.heart, "danger")
        show_flag_state(self.dislike, "warning")
        self.album = pn.widgets.Select(options=[NO_ALBUM], width=200, css_classes=["wb-album-select"])
        self.add_album = pn.widgets.Button(label="Add to album", width=110, css_classes=["wb-add-album"])
        self.add_album.on_click(lambda e: self._album_edit("add"))
        edits = not access.read_only
        self.remove_album = pn.widgets.Button(label="Remove from album", width=150, visible=edits)
        self.remove_album.on_click(lambda e: self._album_edit("remove"))
        self.new_album = pn.widgets.TextInput(placeholder="New album title", width=180, visible=edits,
                                              css_classes=["wb-new-album"])
        self.create_album = pn.widgets.Button(label="Create album", width=110, visible=edits,
                                              css_classes=["wb-create-album"])
        self.create_album.on_click(lambda e: self._create_album())
        self.trash = pn.widgets.Button(label="Move to trash", color="default", width=120, visible=edits,
                                       css_classes=["wb-trash"])
        self.trash.on_click(lambda e: self._trash())
        self.comment_list = pn.Column(sizing_mode="stretch_width", css_classes=["wb-comments"])
        self.controls = pn.Row(self.heart, self.dislike, self.album, self.add_album, self.remove_album,
                               self.new_album, self.create_album, self.trash, visible=False,
                               styles={"flex-wrap": "wrap"})
        self.layout = pn.Column(self.title, self.player, self.controls, self.comment_list,
                                sizing_mode="stretch_width", css_classes=["wb-track-view"])

    def __panel__(self):
        return self.layout

    # ----------------------------------------------------------------- showing a track
    def open(self, track_id: str) -> None:
        lib = self.access.library
        track = self.access.read("open the track", lambda: lib.get(track_id))
        if track is None:
            return
        self.track = track
        self._show_meta(track)
        self.controls.visible = True
        try:
            payload = track_payload(lib, track)
        except (AudioFileError, OSError) as error:  # a row pointing outside the library, a missing file
            self.player.visible = False
            self.player.clear()
            self.access.note(f"Cannot play track {track.id}: {error}", "error")
            self.title.object += (f'<div class="wb-refused" role="alert" style="color:#8a1c1c">'
                                  f"Audio refused: {text_html(error)}</div>")
            self._comments = self.access.read("load comments", lambda: lib.comments(track.id), []) or []
            self._render_comments()
            return
        self.access.note("")
        comments = self.access.read("load comments", lambda: lib.comments(track.id), []) or []
        self._comments = comments
        self.player.show(payload, track_id=track.id, comments=self._markers(comments, track.duration))
        self.player.visible = True
        self._render_comments()

    def _show_meta(self, track) -> None:
        tags, seed = ", ".join(track.tags) or "-", "-" if track.seed is None else track.seed
        self.title.object = (
            f'<div class="wb-track-prompt" style="font-size:16px;font-weight:600;overflow-wrap:anywhere">'
            f"{text_html(track.prompt or '(no prompt)')}</div>"
            f'<div style="font-size:12px;color:#555">{track.duration:.2f} s &middot; {track.sample_rate} Hz '
            f"&middot; {text_html(track.derivation)} &middot; seed {text_html(seed)} &middot; "
            f"engine {text_html(track.engine or '-')} &middot; tags {text_html(tags)} &middot; "
            f"id {text_html(track.id)}</div>")
        self._syncing = True
        try:
            self.heart.value, self.dislike.value = track.favorite, track.disliked
        finally:
            self._syncing = False

    @staticmethod
    def _markers(comments, duration: float) -> list[dict]:
        return [{"at": min(c.at, duration), "end": None if c.end is None else min(c.end, duration),
                 "text": c.text} for c in comments]

    def refresh_comments(self) -> None:
        """Re-read the open track's comments (another reviewer or the notebook may have added some)."""
        if self.track is None:
            return
        comments = self.access.read("load comments", lambda: self.access.library.comments(self.track.id))
        if comments is None or [c.id for c in comments] == [c.id for c in self._comments]:
            return
        self._comments = comments
        if self.player.visible:
            self.player.comments = self._markers(comments, self.track.duration)
        self._render_comments()

    def _render_comments(self) -> None:
        rows = []
        for comment in self._comments:
            who = f" &middot; {text_html(comment.author)}" if comment.author else ""
            text = pn.pane.HTML(
                f'<span class="wb-comment-time" style="color:#b46b00;font-family:monospace">{_stamp(comment.at)}'
                f'</span> <span class="wb-comment-body">{text_html(comment.text)}</span>'
                f'<span style="color:#888;font-size:11px">{who}</span>', sizing_mode="stretch_width", margin=(2, 5))
            row = [text]
            if not self.access.read_only:
                delete = pn.widgets.Button(label="Delete", color="default", width=70, height=28,
                                           css_classes=["wb-delete-comment"])
                delete.on_click(lambda e, cid=comment.id: self._delete_comment(cid))
                row.append(delete)
            rows.append(pn.Row(*row, sizing_mode="stretch_width", css_classes=["wb-comment-row"]))
        heading = pn.pane.HTML(f"<b>Comments ({len(self._comments)})</b>")
        self.comment_list.objects = [heading, *rows] if self.track is not None else []

    def set_albums(self, labels: dict[str, str]) -> None:
        """Album choices as {label: album id} (the browser reads them once per refresh)."""
        if labels == self._album_ids:
            return
        chosen = self._album_ids.get(self.album.value)
        self._album_ids = dict(labels)
        self.album.options = [NO_ALBUM, *labels]
        self.album.value = {v: k for k, v in labels.items()}.get(chosen, NO_ALBUM)

    # ----------------------------------------------------------------- actions
    def _on_player_action(self, message: dict) -> None:
        if self.track is None:
            return
        if message.get("name") != "comment":
            self.player.error = (f"{message.get('name', '?').capitalize()} is an editing action: open the track "
                                 "in the notebook to edit it; this dashboard is for listening and comments.")
            return
        track, text = self.track, str(message.get("text", "")).strip()
        try:
            at = min(max(0.0, float(message.get("at", 0.0))), track.duration)
        except (TypeError, ValueError):
            at = 0.0
        author = getattr(pn.state, "user", None) or None
        self.access.write("add the comment", lambda: self.access.library.add_comment(
            track.id, at=at, text=text, author=author), lambda _c: self._after_change(comments=True))

    def _flag(self, column: str, value: bool) -> None:
        if self._syncing or self.track is None:
            return
        lib, track_id = self.access.library, self.track.id
        setter = lib.set_favorite if column == "favorite" else lib.set_disliked
        self.access.write(f"set {'favourite' if column == 'favorite' else 'dislike'}",
                          lambda: setter(track_id, value), self._flags_changed)

    def _flags_changed(self, track) -> None:
        if self.track is not None and track.id == self.track.id:
            self.track = track
            self._show_meta(track)
        self.on_change()

    def _album_edit(self, how: str) -> None:
        if self.track is None:
            return
        album_id = self._album_ids.get(self.album.value)
        if album_id is None:
            self.access.note("Choose an album first.", "error")
            return
        lib, track_id = self.access.library, self.track.id
        if how == "add":
            self.access.write("add the track to the album", lambda: lib.add_to_album(album_id, track_id),
                              lambda album: self._after_change(note=f"Added to the album {album.title}."))
        else:
            self.access.write("remove the track from the album",
                              lambda: lib.remove_from_album(album_id, track_id),
                              lambda album: self._after_change(note=f"Removed from the album {album.title}."),
                              edit=True)

    def _create_album(self) -> None:
        title = self.new_album.value
        self.access.write("create the album", lambda: self.access.library.create_album(title),
                          lambda album: self._after_change(note=f"Created the album {album.title}."), edit=True)
        self.new_album.value = ""

    def _delete_comment(self, comment_id: str) -> None:
        self.access.write("delete the comment", lambda: self.access.library.delete_comment(comment_id),
                          lambda _r: self._after_change(comments=True), edit=True)

    def _trash(self) -> None:
        if self.track is None:
            return
        track_id = self.track.id
        self.access.write("move the track to the trash", lambda: self.access.library.trash(track_id),
                          lambda _n: self._after_change(note=f"Track {track_id} moved to the trash."), edit=True)

    def _after_change(self, *, comments: bool = False, note: str = "") -> None:
        if note:
            self.access.note(note)
        if comments:
            self.refresh_comments()
        self.on_change()
