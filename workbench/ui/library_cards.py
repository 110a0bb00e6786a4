"""One track in the library browser: a grid card (mini waveform, player, heart/dislike, comments) or a
list row (metadata-heavy). Every text from the library is escaped before it is shown as HTML.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as widgets
import numpy as np

from ..audio import Audio

__all__ = ["TrackCard", "waveform_svg", "player_preview", "PREVIEW_RATE", "EAGER_PLAYER_SECONDS"]

PREVIEW_RATE = 16_000  # a card's player is a quick listen, not the master
EAGER_PLAYER_SECONDS = 60.0  # longer tracks get their player on request ("Load player")
WAVE_BARS = 80


def waveform_svg(audio: Audio, width: int = 200, height: int = 36, bars: int = WAVE_BARS) -> str:
    """A mini waveform as inline SVG: one bar per bucket, the max |sample| over all channels."""
    peaks = np.abs(audio.peaks(bars)).max(axis=(0, 2))
    top = float(peaks.max()) or 1.0
    step = width / len(peaks)
    rects = "".join(
        f"<rect x='{i * step:.1f}' y='{(height - h) / 2:.1f}' width='{max(step - 1, 1):.1f}' height='{h:.1f}'/>"
        for i, h in enumerate(np.maximum(peaks / top * height, 1.0)))
    return (f"<svg class='wb-mini-wave' width='{width}' height='{height}' viewBox='0 0 {width} {height}' "
            f"fill='#3b6fd8' xmlns='http://www.w3.org/2000/svg'>{rects}</svg>")


def player_preview(audio: Audio) -> bytes:
    """Small Ogg bytes for a card's player: mono at 16 kHz."""
    mono = audio.to_mono()
    if mono.sample_rate > PREVIEW_RATE:
        mono = mono.resample(PREVIEW_RATE, quality="HQ")
    return mono.to_ogg_bytes(0.1)


def _when(track) -> str:
    return track.created_at.strftime("%Y-%m-%d %H:%M")


def _text(value, limit: int | None = None) -> str:
    text = "" if value is None else str(value)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text)


class TrackCard:
    """The widgets of one track. `box` is what the browser lays out; the browser wires the callbacks."""

    def __init__(self, track, audio_loader: Callable[[], Audio], *, layout: str, selected: bool,
                 on_select: Callable, on_flag: Callable, on_comment: Callable, on_open_comments: Callable,
                 on_open: Callable | None = None):
        self.track = track
        self._syncing = False
        self._audio_loader = audio_loader
        self._on_open_comments = on_open_comments
        self.select = widgets.Checkbox(value=selected, indent=False, layout=widgets.Layout(width="1.8em"))
        self.heart = widgets.ToggleButton(value=track.favorite, icon="heart", tooltip="Favourite",
                                          layout=widgets.Layout(width="3.4em"))
        self.dislike = widgets.ToggleButton(value=track.disliked, icon="thumbs-down", tooltip="Dislike",
                                            layout=widgets.Layout(width="3.4em"))
        self._style_flags()
        self.comments_button = widgets.Button(description=str(track.comment_count), icon="comment",
                                              tooltip="Comments", layout=widgets.Layout(width="4.5em"))
        self.comment_list = widgets.HTML("")
        self.comment_at = widgets.BoundedFloatText(value=0.0, min=0.0, max=max(track.duration, 0.0), step=0.5,
                                                   description="at (s)", layout=widgets.Layout(width="10em"))
        self.comment_text = widgets.Text(placeholder="add a comment", layout=widgets.Layout(width="14em"))
        self.comment_add = widgets.Button(description="Add", layout=widgets.Layout(width="4em"))
        self.comment_box = widgets.VBox([self.comment_list,
                                         widgets.HBox([self.comment_at, self.comment_text, self.comment_add])],
                                        layout=widgets.Layout(display="none"))
        for widget, css in ((self.heart, "wb-heart"), (self.dislike, "wb-dislike"), (self.select, "wb-select"),
                            (self.comments_button, "wb-comments"), (self.comment_text, "wb-comment-input"),
                            (self.comment_add, "wb-comment-add")):
            widget.add_class(css)

        self.select.observe(lambda c: on_select(track.id, c["new"]), "value")
        self.heart.observe(lambda c: self._flag(on_flag, "favorite", c["new"]), "value")
        self.dislike.observe(lambda c: self._flag(on_flag, "disliked", c["new"]), "value")
        self.comments_button.on_click(lambda _b: self.toggle_comments())
        self.comment_add.on_click(lambda _b: on_comment(track.id, float(self.comment_at.value),
                                                        self.comment_text.value))
        self.open_button = None
        if on_open is not None:
            self.open_button = widgets.Button(description="Open", icon="edit", tooltip="Open in the editor",
                                              layout=widgets.Layout(width="5em"))
            self.open_button.add_class("wb-open")
            self.open_button.on_click(lambda _b: on_open(track))
        self.box = self._grid_card() if layout == "grid" else self._list_row()
        self.box.add_class("wb-track")
        self.box.add_class(f"wb-{layout}-item")
        self.box.add_class(f"wb-track-{track.id}")

    # ------------------------------------------------------------------ layouts
    def _flags_row(self) -> list:
        row = [self.select, self.heart, self.dislike, self.comments_button]
        return row + ([self.open_button] if self.open_button else [])

    def _grid_card(self) -> widgets.VBox:
        t = self.track
        audio = self._audio_loader()
        title = widgets.HTML(f"<div title='{_text(t.prompt)}' style='font-weight:600;overflow:hidden;"
                             f"white-space:nowrap;text-overflow:ellipsis;width:210px'>"
                             f"{_text(t.prompt or '(no prompt)', 60)}</div>"
                             f"<div style='color:#666;font-size:11px'>{_text(t.derivation)} · "
                             f"{t.duration:.1f} s · {_text(_when(t))}{' · in trash' if t.trashed else ''}</div>")
        wave = widgets.HTML(waveform_svg(audio))
        player = self._player(audio)
        tags = widgets.HTML(" ".join(f"<code>{_text(tag)}</code>" for tag in t.tags))
        return widgets.VBox([title, wave, player, tags, widgets.HBox(self._flags_row()), self.comment_box],
                            layout=widgets.Layout(border="1px solid #ddd", padding="6px", width="236px"))

    def _player(self, audio: Audio) -> widgets.Widget:
        if audio.duration <= EAGER_PLAYER_SECONDS:
            return widgets.Audio(value=player_preview(audio), format="ogg", autoplay=False,
                                 layout=widgets.Layout(width="220px"))
        holder = widgets.VBox()
        load = widgets.Button(description="Load player", icon="play", layout=widgets.Layout(width="10em"))
        load.on_click(lambda _b: setattr(holder, "children", [
            widgets.Audio(value=player_preview(self._audio_loader()), format="ogg", autoplay=False,
                          layout=widgets.Layout(width="220px"))]))
        holder.children = [load]
        return holder

    def _list_row(self) -> widgets.VBox:
        t = self.track
        cells = [(t.id, 9), (_when(t), 9), (t.derivation, 5), (f"{t.duration:.1f} s", 4),
                 (f"{t.sample_rate} Hz", 5), (t.engine or "", 5), ("" if t.seed is None else t.seed, 6),
                 (", ".join(t.tags), 7), (t.parent_id or "", 9)]
        meta = "".join(f"<span style='display:inline-block;width:{w}em;overflow:hidden;white-space:nowrap;"
                       f"text-overflow:ellipsis;vertical-align:middle'>{_text(v)}</span>" for v, w in cells)
        prompt = (f"<span title='{_text(t.prompt)}' style='display:inline-block;width:16em;overflow:hidden;"
                  f"white-space:nowrap;text-overflow:ellipsis;vertical-align:middle'>{_text(t.prompt, 200)}</span>")
        trash = " <i>(trash)</i>" if t.trashed else ""
        info = widgets.HTML(prompt + meta + trash, layout=widgets.Layout(flex="1 1 0%", min_width="0"))
        return widgets.VBox([widgets.HBox([*self._flags_row(), info]),
                             self.comment_box], layout=widgets.Layout(border_bottom="1px solid #eee"))

    # ------------------------------------------------------------------ state
    def _style_flags(self) -> None:
        self.heart.button_style = "danger" if self.heart.value else ""
        self.dislike.button_style = "info" if self.dislike.value else ""

    def _flag(self, on_flag: Callable, column: str, value: bool) -> None:
        if self._syncing:
            return
        on_flag(self, column, value)

    def show_flags(self, favorite: bool, disliked: bool) -> None:
        """Set the toggles without writing to the library again."""
        self._syncing = True
        try:
            self.heart.value, self.dislike.value = favorite, disliked
        finally:
            self._syncing = False
        self._style_flags()

    def toggle_comments(self, show: bool | None = None) -> None:
        show = self.comment_box.layout.display == "none" if show is None else show
        self.comment_box.layout.display = None if show else "none"
        if show:
            self._on_open_comments(self)

    def show_comments(self, comments) -> None:
        items = "".join(f"<li><b>{c.at:.1f} s</b> {_text(c.text)}"
                        f"{' <i>' + _text(c.author) + '</i>' if c.author else ''}</li>" for c in comments)
        self.comment_list.value = f"<ul style='margin:2px 0 2px 1em;padding:0'>{items}</ul>" if items else \
            "<i>no comments yet</i>"
        self.comments_button.description = str(len(comments))
