"""A listening grid for a sweep: mini players laid out by the two swept parameters."""

from __future__ import annotations

import ipywidgets as widgets

__all__ = ["SweepGrid"]


def _label(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class SweepGrid(widgets.VBox):
    """Rows: the first swept parameter; columns: the second (or one column); one seed at a time."""

    def __init__(self, sweep, seed: int | None = None, metric: str = "chroma_similarity"):
        table = sweep.table
        axes = sweep.axes
        seed = int(table["seed"].min()) if seed is None else seed
        table = table[table["seed"] == seed]
        rows_axis = axes[0]
        cols_axis = axes[1] if len(axes) > 1 else None
        row_values = sorted(table[rows_axis].unique())
        col_values = sorted(table[cols_axis].unique()) if cols_axis else [None]
        cells = [widgets.HTML(f"<b>{rows_axis} \\ {cols_axis or ''}</b>")]
        cells += [widgets.HTML(f"<b>{_label(c)}</b>" if c is not None else "") for c in col_values]
        library = sweep.library
        for r in row_values:
            cells.append(widgets.HTML(f"<b>{_label(r)}</b>"))
            for c in col_values:
                match = table[(table[rows_axis] == r) & ((table[cols_axis] == c) if cols_axis else True)]
                if match.empty or match.iloc[0]["track_id"] is None:
                    cells.append(widgets.Label("—"))
                    continue
                cell = match.iloc[0]
                audio = library.audio(cell["track_id"])
                player = widgets.Audio(value=audio.to_ogg_bytes(), format="ogg", autoplay=False, loop=False,
                                       layout=widgets.Layout(width="180px"))
                caption = f"{metric} {cell[metric]:.2f}" if metric in cell and cell[metric] is not None else ""
                cells.append(widgets.VBox([player, widgets.Label(caption)]))
        grid = widgets.GridBox(cells, layout=widgets.Layout(
            grid_template_columns=f"120px repeat({len(col_values)}, 190px)", grid_gap="4px"))
        super().__init__([widgets.HTML(f"Sweep {sweep.id}, seed {seed}"), grid])
