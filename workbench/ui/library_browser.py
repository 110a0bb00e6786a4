"""`LibraryBrowser`: find, listen to, judge and organise the library's tracks in a notebook.

Grid view (cards with a mini waveform and a player) or list view (metadata-heavy); filters for
favourites, album, date range, prompt text, tags and the trash; heart / dislike toggles that write at
once; comments; multi-select with Add to album, Delete (to trash) and Restore. Each library call is one
short locked transaction, so a served review dashboard can share the file.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import ipywidgets as widgets

from ..audio import Audio
from ..errors import InvalidInput
from .library_cards import TrackCard

__all__ = ["LibraryBrowser", "PAGE_SIZE"]

log = logging.getLogger(__name__)

PAGE_SIZE = 12
_MAX_CACHE = 256


class LibraryBrowser(widgets.VBox):
    """`LibraryBrowser(lib)`: one page of tracks at a time, newest first.

    Filters are widgets (`text`, `tags`, `favorites`, `album`, `since`, `until`, `show_trash`, `view`)
    and each change refreshes the page. `browser.tracks` is the page shown; `browser.selected` the
    selected ids (kept across pages). `on_open(f)` adds an Open button calling `f(track)`.
    """

    def __init__(self, library, *, page_size: int = PAGE_SIZE, view: str = "grid",
                 on_open: Callable[[Any], Any] | None = None):
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 200:
            raise InvalidInput(f"page_size must be a whole number in 1..200, got {page_size!r}")
        self.library = library
        self.page_size = page_size
        self.page = 0
        self.total = 0
        self.tracks: list = []
        self.cards: dict[str, TrackCard] = {}
        self._selected: dict[str, None] = {}
        self._audio_cache: dict[str, Audio] = {}
        self._on_open = on_open
        self.last_exception: BaseException | None = None

        self.text = widgets.Text(placeholder="words in the prompt", description="Search",
                                 continuous_update=False)
        self.tags = widgets.Text(placeholder="tag, tag", description="Tags", continuous_update=False)
        self.favorites = widgets.ToggleButton(description="Favourites", icon="heart")
        self.album = widgets.Dropdown(description="Album")
        self.since = widgets.DatePicker(description="From")
        self.until = widgets.DatePicker(description="To")
        self.show_trash = widgets.ToggleButton(description="Trash", icon="trash",
                                               tooltip="Show the trash instead of the library")
        self.view = widgets.ToggleButtons(options=[("Grid", "grid"), ("List", "list")], value=view,
                                          style={"button_width": "5em"})
        self.album_title = widgets.Combobox(placeholder="album title (new or existing)", ensure_option=False,
                                            layout=widgets.Layout(width="16em"))
        self.add_button = widgets.Button(description="Add to album", icon="folder-plus")
        self.delete_button = widgets.Button(description="Delete", icon="trash", button_style="warning",
                                            tooltip="Move the selected tracks to the trash")
        self.restore_button = widgets.Button(description="Restore", icon="undo",
                                             tooltip="Bring the selected tracks back from the trash")
        self.select_page = widgets.Button(description="Select page")
        self.clear_selection = widgets.Button(description="Clear selection")
        self.prev_button = widgets.Button(icon="chevron-left", layout=widgets.Layout(width="3em"))
        self.next_button = widgets.Button(icon="chevron-right", layout=widgets.Layout(width="3em"))
        self.page_label = widgets.HTML("")
        self.status = widgets.HTML("")
        self.error = widgets.HTML("")
        self.body = widgets.VBox(layout=widgets.Layout(width="100%"))
        for widget, css in ((self.add_button, "wb-add-album"), (self.delete_button, "wb-delete"),
                            (self.restore_button, "wb-restore"), (self.error, "wb-browser-error"),
                            (self.favorites, "wb-filter-favorites"), (self.show_trash, "wb-filter-trash")):
            widget.add_class(css)

        for widget in (self.text, self.tags, self.favorites, self.album, self.since, self.until, self.show_trash,
                       self.view):
            widget.observe(lambda _c: self._guard(self._filters_changed), "value")
        self.add_button.on_click(lambda _b: self._guard(lambda: self.add_selected_to_album(self.album_title.value)))
        self.delete_button.on_click(lambda _b: self._guard(self.delete_selected))
        self.restore_button.on_click(lambda _b: self._guard(self.restore_selected))
        self.select_page.on_click(lambda _b: self.select([t.id for t in self.tracks]))
        self.clear_selection.on_click(lambda _b: self.select(list(self._selected), False))
        self.prev_button.on_click(lambda _b: self._guard(lambda: self.go_to(self.page - 1)))
        self.next_button.on_click(lambda _b: self._guard(lambda: self.go_to(self.page + 1)))

        super().__init__([
            widgets.HBox([self.text, self.tags, self.favorites, self.show_trash]),
            widgets.HBox([self.album, self.since, self.until, self.view]),
            widgets.HBox([self.select_page, self.clear_selection, self.album_title, self.add_button,
                          self.delete_button, self.restore_button]),
            widgets.HBox([self.prev_button, self.page_label, self.next_button, self.status]),
            self.error,
            self.body,
        ])
        self.add_class("wb-library-browser")
        self._guard(self.refresh_albums)
        self._guard(self.refresh)

    # ------------------------------------------------------------------ reading the filters
    def filters(self) -> dict[str, Any]:
        """The current filters as `Library.search` keyword arguments."""
        tags = [t for t in (part.strip() for part in self.tags.value.split(",")) if t]
        return {
            "text": self.text.value.strip() or None,
            "tags": tags or None,
            "favorite": True if self.favorites.value else None,
            "album": self.album.value,
            "since": _day_start(self.since.value),
            "until": None if self.until.value is None else _day_start(self.until.value) + timedelta(days=1),
            "include_trash": "only" if self.show_trash.value else False,
        }

    @property
    def selected(self) -> list[str]:
        return list(self._selected)

    # ------------------------------------------------------------------ refreshing
    def refresh(self) -> None:
        """Read the page again with the current filters (keeps the page number where it still exists)."""
        filters = self.filters()
        self.total = self.library.count(**filters)
        pages = max(1, -(-self.total // self.page_size))
        self.page = min(self.page, pages - 1)
        self.tracks = self.library.search(**filters, limit=self.page_size, offset=self.page * self.page_size)
        layout = self.view.value
        self.cards = {t.id: TrackCard(t, lambda t=t: self._audio(t), layout=layout, selected=t.id in self._selected,
                                      on_select=self._on_select, on_flag=self._on_flag, on_comment=self._on_comment,
                                      on_open_comments=self._load_comments, on_open=self._on_open)
                      for t in self.tracks}
        boxes = [card.box for card in self.cards.values()]
        if not boxes:
            boxes = [widgets.HTML("<i>No tracks match these filters.</i>")]
        if layout == "grid":
            self.body.children = [widgets.GridBox(boxes, layout=widgets.Layout(
                grid_template_columns="repeat(auto-fill, 250px)", grid_gap="8px", width="100%"))]
        else:
            self.body.children = [widgets.VBox(boxes)]
        self.page_label.value = f"page {self.page + 1} of {pages} · {self.total} track(s)"
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= pages - 1
        self.delete_button.disabled = bool(self.show_trash.value)
        self.restore_button.disabled = not self.show_trash.value
        self._show_selection()

    def refresh_albums(self) -> None:
        albums = self.library.albums()
        current = self.album.value
        self.album.options = [("All tracks", None)] + [(f"{a.title} ({a.track_count})", a.id) for a in albums]
        self.album.value = current if current in {a.id for a in albums} else None
        self.album_title.options = tuple(a.title for a in albums)

    def go_to(self, page: int) -> None:
        if not isinstance(page, int) or page < 0:
            raise InvalidInput(f"page must be a whole number >= 0, got {page!r}")
        self.page = page
        self.refresh()

    def _filters_changed(self) -> None:
        self.page = 0
        self.refresh()

    def _audio(self, track) -> Audio:
        if track.id not in self._audio_cache:  # tracks never change in place, so the cache stays true
            if len(self._audio_cache) >= _MAX_CACHE:
                self._audio_cache.pop(next(iter(self._audio_cache)))
            self._audio_cache[track.id] = self.library.audio(track)
        return self._audio_cache[track.id]

    # ------------------------------------------------------------------ actions
    def select(self, ids, value: bool = True) -> None:
        for track_id in [ids] if isinstance(ids, str) else list(ids):
            if track_id in self.cards:
                self.cards[track_id].select.value = value  # its observer updates the selection
            else:
                self._on_select(track_id, value)

    def set_favorite(self, track_id: str, value: bool = True) -> None:
        """What the heart toggle does: write at once, then show the library's answer."""
        self._write_flag(track_id, "favorite", value)

    def set_disliked(self, track_id: str, value: bool = True) -> None:
        self._write_flag(track_id, "disliked", value)

    def add_selected_to_album(self, title_or_id: str) -> None:
        """Add the selected tracks to the album with this title (created if new) or id."""
        ids = self._require_selection("add to an album")
        name = (title_or_id or "").strip()
        if not name:
            raise InvalidInput("type an album title first (a new title creates the album)")
        albums = self.library.albums()
        album = next((a for a in albums if a.title == name or a.id == name), None) or self.library.create_album(name)
        album = self.library.add_to_album(album, ids)
        self.refresh_albums()
        self._say(f"{len(ids)} track(s) added to {html.escape(album.title)} ({album.track_count} in it)")

    def delete_selected(self) -> None:
        """Move the selected tracks to the trash (Restore brings them back)."""
        ids = self._require_selection("delete")
        moved = self.library.trash(ids)
        self._selected.clear()
        self.refresh()
        self._say(f"{moved} track(s) moved to the trash")

    def restore_selected(self) -> None:
        ids = self._require_selection("restore")
        restored = self.library.restore(ids)
        self._selected.clear()
        self.refresh()
        self._say(f"{restored} track(s) restored")

    def add_comment(self, track_id: str, at: float, text: str):
        comment = self.library.add_comment(track_id, at, text)
        card = self.cards.get(track_id)
        if card is not None:
            card.comment_text.value = ""
            self._load_comments(card)
        return comment

    # ------------------------------------------------------------------ callbacks from cards
    def _on_select(self, track_id: str, value: bool) -> None:
        if value:
            self._selected[track_id] = None
        else:
            self._selected.pop(track_id, None)
        self._show_selection()

    def _on_flag(self, card: TrackCard, column: str, value: bool) -> None:
        self._guard(lambda: self._write_flag(card.track.id, column, value))

    def _write_flag(self, track_id: str, column: str, value: bool) -> None:
        setter = self.library.set_favorite if column == "favorite" else self.library.set_disliked
        card = self.cards.get(track_id)
        try:
            track = setter(track_id, value)
        except Exception:
            if card is not None:  # show what the library holds, not what was clicked
                current = self.library.get(track_id)
                card.show_flags(current.favorite, current.disliked)
            raise
        if card is not None:
            card.track = track
            card.show_flags(track.favorite, track.disliked)

    def _on_comment(self, track_id: str, at: float, text: str) -> None:
        self._guard(lambda: self.add_comment(track_id, at, text))

    def _load_comments(self, card: TrackCard) -> None:
        self._guard(lambda: card.show_comments(self.library.comments(card.track.id)))

    # ------------------------------------------------------------------ messages
    def _require_selection(self, what: str) -> list[str]:
        if not self._selected:
            raise InvalidInput(f"select one or more tracks to {what}")
        return list(self._selected)

    def _show_selection(self) -> None:
        n = len(self._selected)
        self.status.value = f"{n} selected" if n else ""

    def _say(self, message: str) -> None:
        self.status.value = message

    def _guard(self, action: Callable[[], Any]) -> None:
        """Run a UI action; its error is shown in the browser (escaped), not lost in a log."""
        self.error.value = ""
        try:
            action()
        except Exception as error:
            self.last_exception = error
            log.debug("library browser action failed", exc_info=True)
            self.error.value = (f"<div style='color:#b00020'><b>{html.escape(type(error).__name__)}</b>: "
                                f"{html.escape(str(error))}</div>")


def _day_start(day) -> datetime | None:
    """A picked date as the start of that day in UTC (the library stores UTC)."""
    return None if day is None else datetime.combine(day, time.min, tzinfo=UTC)
