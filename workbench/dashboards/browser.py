"""`LibraryBrowser`: the dashboard's track list, as a grid of cards or a metadata-heavy list.

Filters: favourites only, album, date range, prompt text, tags, sort order, and paging. Each track has
instant heart / dislike toggles and an Open button (the `opened` parameter takes its id). `refresh()`
re-queries the page; cards are rebuilt only when the page's tracks change, otherwise their flags and
comment counts are updated in place (a periodic refresh must not flicker or steal focus).
"""

from __future__ import annotations

import datetime as dt

import panel as pn
import param

from .safety import text_html
from .session import LibraryAccess

__all__ = ["LibraryBrowser", "show_flag_state", "PAGE_SIZE", "ALL_ALBUMS"]

PAGE_SIZE = 24
ALL_ALBUMS = "(all albums)"
_ORDERS = ["newest", "oldest", "longest", "shortest", "prompt"]


def _when(track) -> str:
    return track.created_at.astimezone().strftime("%Y-%m-%d %H:%M")


def show_flag_state(toggle, on_style: str) -> None:
    """A flag toggle is coloured when set and pale when not (Panel's pressed look is too subtle)."""
    def paint(event=None):
        toggle.color = on_style if toggle.value else "default"
    toggle.param.watch(paint, "value")
    paint()


class LibraryBrowser(param.Parameterized):
    opened = param.String(default=None, allow_None=True, doc="id of the track the user opened")
    view = param.Selector(default="grid", objects=["grid", "list"])

    def __init__(self, access: LibraryAccess, **params):
        super().__init__(**params)
        self.access = access
        self.favourites = pn.widgets.Checkbox(label="Favourites only", css_classes=["wb-filter-fav"])
        self.album = pn.widgets.Select(label="Album", options=[ALL_ALBUMS], width=180)
        self.since = pn.widgets.DatePicker(label="From", width=130)
        self.until = pn.widgets.DatePicker(label="Until", width=130)
        self.text = pn.widgets.TextInput(label="Prompt contains", placeholder="words...", width=200,
                                         css_classes=["wb-filter-text"])
        self.tags = pn.widgets.TextInput(label="Tags (comma separated)", placeholder="tag, tag", width=180)
        self.order = pn.widgets.Select(label="Sort", options=_ORDERS, width=110)
        self.view_toggle = pn.widgets.RadioButtonGroup(options=["grid", "list"], value=self.view,
                                                       css_classes=["wb-view-toggle"])
        self.prev_page = pn.widgets.Button(label="< Prev", width=70, disabled=True)
        self.next_page = pn.widgets.Button(label="Next >", width=70, disabled=True)
        self.page_label = pn.pane.HTML("", css_classes=["wb-page-label"])
        self.page = 0
        self.items = pn.FlexBox(css_classes=["wb-tracks"], sizing_mode="stretch_width")
        self._cards: dict[str, dict] = {}
        self._ids: list[str] = []
        self._syncing = False
        self._album_ids: dict[str, str] = {}
        for widget in (self.favourites, self.album, self.since, self.until, self.text, self.tags, self.order):
            widget.param.watch(self._filters_changed, "value")
        self.view_toggle.param.watch(lambda e: setattr(self, "view", e.new), "value")
        self.param.watch(lambda e: self.refresh(rebuild=True), "view")
        self.prev_page.on_click(lambda e: self._turn(-1))
        self.next_page.on_click(lambda e: self._turn(+1))
        self.layout = pn.Column(
            pn.Row(self.favourites, self.album, self.since, self.until, self.text, self.tags, self.order,
                   sizing_mode="stretch_width", styles={"flex-wrap": "wrap"}),
            pn.Row(self.view_toggle, self.prev_page, self.page_label, self.next_page),
            self.items, sizing_mode="stretch_width")
        self.refresh_albums()
        self.refresh(rebuild=True)

    def __panel__(self):
        return self.layout

    # ----------------------------------------------------------------- queries
    def filters(self) -> dict:
        """The library.search filters the widgets describe."""
        until = self.until.value
        return dict(
            text=self.text.value.strip() or None,
            favorite=True if self.favourites.value else None,
            album=self._album_ids.get(self.album.value),
            tags=[t for t in self.tags.value.split(",") if t.strip()] or None,
            since=dt.datetime.combine(self.since.value, dt.time()).astimezone() if self.since.value else None,
            # the picker names a day; include all of it
            until=dt.datetime.combine(until + dt.timedelta(days=1), dt.time()).astimezone() if until else None,
        )

    def refresh_albums(self) -> None:
        albums = self.access.read("list albums", self.access.library.albums, None)
        if albums is None:
            return
        labels: dict[str, str] = {}
        for album in albums:  # Select options are text, never HTML; equal titles cannot exist
            labels[f"{album.title} ({album.track_count})"] = album.id
        if labels == self._album_ids:
            return  # unchanged: do not touch a dropdown someone may have open
        chosen = self._album_ids.get(self.album.value)
        self._album_ids = labels
        self.album.options = [ALL_ALBUMS, *labels]
        by_id = {v: k for k, v in labels.items()}
        self.album.value = by_id.get(chosen, ALL_ALBUMS)

    def _filters_changed(self, event) -> None:
        self.page = 0
        self.refresh()

    def _turn(self, step: int) -> None:
        self.page = max(0, self.page + step)
        self.refresh()

    def refresh(self, rebuild: bool = False) -> None:
        """Re-query the page; rebuild the cards only when its tracks changed."""
        lib, filters = self.access.library, self.filters()
        found = self.access.read("load the track list", lambda: (
            lib.search(**filters, order=self.order.value, limit=PAGE_SIZE, offset=self.page * PAGE_SIZE),
            lib.count(**filters)))
        if found is None:
            return
        tracks, total = found
        pages = max(1, -(-total // PAGE_SIZE))
        self.page_label.object = f"page {self.page + 1} of {pages} &middot; {total} tracks"
        self.prev_page.disabled = self.page == 0
        self.next_page.disabled = self.page + 1 >= pages
        ids = [t.id for t in tracks]
        if rebuild or ids != self._ids:
            self._ids = ids
            self._cards = {t.id: self._card(t) for t in tracks}
            self.items.objects = [c["layout"] for c in self._cards.values()] or [
                pn.pane.HTML("<i>No tracks match these filters.</i>", css_classes=["wb-empty"])]
        else:
            for track in tracks:
                self._update_card(track)

    # ----------------------------------------------------------------- cards
    def _card(self, track) -> dict:
        heart = pn.widgets.Toggle(label="\u2665", value=track.favorite, width=44,
                                  css_classes=["wb-heart"])
        dislike = pn.widgets.Toggle(label="\u2717", value=track.disliked, width=44,
                                    css_classes=["wb-dislike"])
        open_button = pn.widgets.Button(label="Open", width=64, css_classes=["wb-open"])
        text = pn.pane.HTML(self._card_html(track), sizing_mode="stretch_width", margin=(0, 4))
        show_flag_state(heart, "danger")
        show_flag_state(dislike, "warning")
        heart.param.watch(lambda e, tid=track.id: self._flag(tid, "favorite", e.new), "value")
        dislike.param.watch(lambda e, tid=track.id: self._flag(tid, "disliked", e.new), "value")
        open_button.on_click(lambda e, tid=track.id: setattr(self, "opened", tid) if self.opened != tid
                             else self.param.trigger("opened"))
        buttons = pn.Row(heart, dislike, open_button, margin=0)
        classes = ["wb-card", f"wb-track-{track.id}"]
        styles = {"border": "1px solid #ddd", "border-radius": "6px", "padding": "4px"}
        if self.view == "grid":
            layout = pn.Column(text, buttons, width=250, css_classes=classes, styles=styles)
        else:
            layout = pn.Row(buttons, text, sizing_mode="stretch_width", css_classes=classes, styles=styles)
        return {"layout": layout, "heart": heart, "dislike": dislike, "text": text, "track": track}

    def _card_html(self, track) -> str:
        prompt = track.prompt or "(no prompt)"
        tags = ", ".join(track.tags)
        meta = f"{track.duration:.1f} s &middot; {text_html(track.derivation)} &middot; {_when(track)}"
        if self.view == "list":
            seed = "-" if track.seed is None else track.seed
            meta += (f" &middot; {track.sample_rate} Hz &middot; seed {text_html(seed)} &middot; "
                     f"{text_html(track.engine or '-')} &middot; id {text_html(track.id)}")
        comments = f"{track.comment_count} comment{'s' if track.comment_count != 1 else ''}"
        return (f'<div class="wb-prompt" style="font-weight:600;overflow-wrap:anywhere">{text_html(prompt)}</div>'
                f'<div class="wb-meta" style="font-size:12px;color:#555">{meta} &middot; '
                f'<span class="wb-comment-count">{comments}</span></div>'
                + (f'<div class="wb-tags" style="font-size:12px;color:#2a5">{text_html(tags)}</div>' if tags else ""))

    def _update_card(self, track) -> None:
        card = self._cards.get(track.id)
        if card is None:
            return
        self._syncing = True
        try:
            card["heart"].value, card["dislike"].value = track.favorite, track.disliked
        finally:
            self._syncing = False
        if card["track"] != track:
            card["track"] = track
            card["text"].object = self._card_html(track)

    def _flag(self, track_id: str, column: str, value: bool) -> None:
        if self._syncing:
            return
        lib = self.access.library
        setter = lib.set_favorite if column == "favorite" else lib.set_disliked
        self.access.write(f"set {'favourite' if column == 'favorite' else 'dislike'} on {track_id}",
                          lambda: setter(track_id, value), self._update_card)
