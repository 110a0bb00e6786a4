"""`SweepView`: the results of a parameter sweep: a heatmap of a metric over the grid, and a player
for every cell (click a cell to hear its track with its waveform).

The view re-reads the sweep when its number of recorded cells changes, so a sweep running in a
notebook fills in while a reviewer watches.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import panel as pn

from ..errors import AudioFileError, WorkbenchError
from ..sweeps import SweepResult
from .player import WaveformPlayer, track_payload
from .safety import text_html
from .session import LibraryAccess

__all__ = ["SweepView"]

NO_SWEEP = "(no sweeps yet)"
_NOT_METRICS = {"seed", "track_id"}


def _value(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class SweepView:
    def __init__(self, access: LibraryAccess):
        self.access = access
        self._sweeps: dict[str, str] = {}
        self._shown: tuple | None = None
        self._result: SweepResult | None = None
        self._table = None
        self.sweep = pn.widgets.Select(label="Sweep", options=[NO_SWEEP], width=420, css_classes=["wb-sweep-select"])
        self.metric = pn.widgets.Select(label="Metric", options=[], width=200, css_classes=["wb-sweep-metric"])
        self.seed = pn.widgets.Select(label="Seed", options=[], width=100)
        self.summary = pn.pane.HTML("", sizing_mode="stretch_width")
        self.heatmap = pn.pane.Matplotlib(None, dpi=80, tight=True, css_classes=["wb-heatmap"])
        self.cells = pn.Column(css_classes=["wb-sweep-cells"])
        self.cell_title = pn.pane.HTML("", sizing_mode="stretch_width")
        self.player = WaveformPlayer(min_height=170, visible=False)
        self.sweep.param.watch(lambda e: self.show(force=True), "value")
        self.metric.param.watch(lambda e: self._draw(), "value")
        self.seed.param.watch(lambda e: self._draw_cells(), "value")
        self.layout = pn.Column(pn.Row(self.sweep, self.metric, self.seed), self.summary,
                                pn.Row(self.heatmap, self.cells), self.cell_title, self.player,
                                sizing_mode="stretch_width", css_classes=["wb-sweep-view"])
        self.refresh()

    def __panel__(self):
        return self.layout

    def refresh(self) -> None:
        """Re-list the sweeps; redraw the chosen one when its cell count or status changed."""
        sweeps = self.access.read("list sweeps", self.access.library.sweeps)
        if sweeps is None:
            return
        labels = {}
        for s in sweeps:
            axes = " x ".join(s.definition.get("axes", {})) or "-"
            prompt = str(s.definition.get("prompt", ""))[:50]
            labels[f"{s.created_at.astimezone():%Y-%m-%d %H:%M} {prompt!r} over {axes} ({s.status}, "
                   f"{s.cell_count} cells) [{s.id}]"] = s.id
        by_id = {v: k for k, v in labels.items()}
        chosen = self._sweeps.get(self.sweep.value)
        if labels != self._sweeps:
            self._sweeps = labels
            self.sweep.options = list(labels) or [NO_SWEEP]
            self.sweep.value = by_id.get(chosen) or (next(iter(labels)) if labels else NO_SWEEP)
        self.show()

    def show(self, force: bool = False) -> None:
        sweep_id = self._sweeps.get(self.sweep.value)
        if sweep_id is None:
            self.summary.object = "<i>No sweeps in this library yet (run one with studio.sweep(...)).</i>"
            return
        sweep = self.access.read("read the sweep", lambda: self.access.library.sweep(sweep_id))
        if sweep is None:
            return
        state = (sweep.id, sweep.cell_count, sweep.status)
        if state == self._shown and not force:
            return
        result = SweepResult(self.access.library, sweep_id)
        table = self.access.read("read the sweep results", lambda: result.table)
        if table is None:
            return
        self._shown, self._result, self._table = state, result, table
        definition = sweep.definition
        self.summary.object = (f"<b>{text_html(definition.get('prompt', ''))}</b> &middot; "
                               f"{text_html(sweep.status)} &middot; {sweep.cell_count} cells &middot; "
                               f"engine {text_html(definition.get('engine', '-'))}")
        axes = set(definition.get("axes", {}))
        metrics = [c for c in table.columns if c not in axes | _NOT_METRICS
                   and table[c].dtype.kind in "fi" and table[c].notna().any()]
        seeds = sorted(table["seed"].unique().tolist()) if "seed" in table else []
        self.metric.options = metrics
        if metrics and self.metric.value not in metrics:
            self.metric.value = "chroma_similarity" if "chroma_similarity" in metrics else metrics[0]
        self.seed.options = seeds
        if seeds and self.seed.value not in seeds:
            self.seed.value = seeds[0]
        self._draw()

    def _draw(self) -> None:
        if self._result is None or not self.metric.value:
            self.heatmap.object = None
            self._draw_cells()
            return
        try:
            figure = self._result.plot(self.metric.value)
        except (WorkbenchError, KeyError, ValueError) as error:
            self.access.note(f"Cannot draw the heatmap: {error}", "error")
            figure = None
        self.heatmap.object = figure
        if figure is not None:
            plt.close(figure)  # the pane keeps the Figure; pyplot must not
        self._draw_cells()

    def _draw_cells(self) -> None:
        table, result = self._table, self._result
        if table is None or result is None or not len(table):
            self.cells.objects = []
            return
        axes, metric = result.axes if "axes" in result.definition else [], self.metric.value
        rows = table[table["seed"] == self.seed.value] if self.seed.value is not None else table
        buttons = []
        for _, row in rows.iterrows():
            label = ", ".join(f"{a}={_value(row[a])}" for a in axes)
            value = row.get(metric) if metric else None
            if isinstance(value, float) and math.isfinite(value):
                label += f" : {value:.3f}"
            track_id = row.get("track_id")
            button = pn.widgets.Button(label=label, width=260, css_classes=["wb-sweep-cell"],
                                       disabled=not isinstance(track_id, str))
            button.on_click(lambda e, tid=track_id, text=label: self.play(tid, text))
            buttons.append(button)
        columns = max(1, len(set(rows[axes[1]]))) if len(axes) > 1 else 1
        self.cells.objects = [pn.pane.HTML("<b>Cells</b> (click to listen)"),
                              pn.GridBox(*buttons, ncols=min(columns, 4))]

    def play(self, track_id: str, label: str) -> None:
        lib = self.access.library
        track = self.access.read("open the cell's track", lambda: lib.get(track_id))
        if track is None:
            return
        try:
            payload = track_payload(lib, track)
        except (AudioFileError, OSError) as error:
            self.access.note(f"Cannot play track {track_id}: {error}", "error")
            return
        self.cell_title.object = f"<b>{text_html(label)}</b> &middot; track {text_html(track_id)}"
        comments = self.access.read("load comments", lambda: lib.comments(track_id), []) or []
        self.player.show(payload, track_id=track_id,
                         comments=[{"at": min(c.at, track.duration), "end": None, "text": c.text} for c in comments])
        self.player.visible = True
