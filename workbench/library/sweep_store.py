"""Sweep definitions and results of the `Library` (a mixin: the Library supplies `_session`).

A sweep is a JSON definition plus one row per rendered cell, keyed by the cell's settings (canonical
JSON), so an interrupted sweep can skip the cells it has and a dashboard can reload the table.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidInput, TrackNotFound
from .models import Sweep, SweepCell, Track, from_json, new_id, to_json, utc_now
from .queries import naive_utc

__all__ = ["SweepStoreMixin", "SWEEP_STATUSES"]

SWEEP_STATUSES = ("pending", "running", "done", "failed", "cancelled")


def _check_status(status: str) -> str:
    if status not in SWEEP_STATUSES:
        raise InvalidInput(f"sweep status {status!r} is unknown: use one of {', '.join(SWEEP_STATUSES)}")
    return status


def _dict_json(value: Any, name: str) -> str:
    text = to_json(value, name)
    if not text.startswith("{"):
        raise InvalidInput(f"{name} must be a dict, got {type(value).__name__}")
    return text


_SWEEP_SQL = ("select s.id, s.definition, s.created_at, s.status, "
              "(select count(*) from sweep_cells c where c.sweep_id = s.id) from sweeps s ")


def _sweep(row: tuple) -> Sweep:
    id_, definition, created_at, status, cells = row
    return Sweep(id=id_, definition=from_json(definition), created_at=created_at.replace(tzinfo=utc_now().tzinfo),
                 status=status, cell_count=cells)


class SweepStoreMixin:
    def create_sweep(self, definition: dict[str, Any], status: str = "running") -> str:
        """Record a sweep's definition (a JSON-able dict); returns its id."""
        definition_json = _dict_json(definition, "sweep definition")
        sweep_id = new_id()
        with self._session("create sweep") as con:
            con.execute("insert into sweeps values (?, ?, ?, ?)",
                        [sweep_id, definition_json, naive_utc(utc_now()), _check_status(status)])
        return sweep_id

    def sweep(self, sweep_id: str) -> Sweep:
        with self._session("sweep") as con:
            row = con.execute(_SWEEP_SQL + "where s.id = ?", [sweep_id]).fetchone()
        if row is None:
            raise TrackNotFound(f"no sweep with id {sweep_id!r}")
        return _sweep(row)

    def sweeps(self) -> list[Sweep]:
        """All sweeps, newest first."""
        with self._session("sweeps") as con:
            return [_sweep(r) for r in con.execute(_SWEEP_SQL + "order by s.created_at desc, s.id desc").fetchall()]

    def set_sweep_status(self, sweep_id: str, status: str) -> Sweep:
        status = _check_status(status)
        with self._session("set sweep status") as con:
            if not con.execute("update sweeps set status = ? where id = ?", [status, sweep_id]).fetchone()[0]:
                raise TrackNotFound(f"no sweep with id {sweep_id!r}")
        return self.sweep(sweep_id)

    def record_sweep_cell(self, sweep_id: str, key: dict[str, Any], track_id: str | Track | None,
                          metrics: dict[str, Any] | None = None) -> SweepCell:
        """Record (or replace) the result of one cell, identified by its settings `key`."""
        key_json = _dict_json(key, "sweep cell key")
        metrics_json = _dict_json(metrics or {}, "sweep cell metrics")
        track_id = track_id.id if isinstance(track_id, Track) else track_id
        created = utc_now()
        with self._session("record sweep cell") as con:
            if not con.execute("select count(*) from sweeps where id = ?", [sweep_id]).fetchone()[0]:
                raise TrackNotFound(f"no sweep with id {sweep_id!r}")
            if track_id is not None:
                self._require_tracks(con, [track_id])
            con.execute("insert or replace into sweep_cells values (?, ?, ?, ?, ?)",
                        [sweep_id, key_json, track_id, metrics_json, naive_utc(created)])
        return SweepCell(sweep_id=sweep_id, key=from_json(key_json), track_id=track_id,
                         metrics=from_json(metrics_json), created_at=created)

    def sweep_cells(self, sweep_id: str) -> list[SweepCell]:
        """A sweep's recorded cells, in the order they were recorded."""
        with self._session("sweep cells") as con:
            if not con.execute("select count(*) from sweeps where id = ?", [sweep_id]).fetchone()[0]:
                raise TrackNotFound(f"no sweep with id {sweep_id!r}")
            rows = con.execute("select sweep_id, cell_key, track_id, metrics, created_at from sweep_cells "
                               "where sweep_id = ? order by created_at, cell_key", [sweep_id]).fetchall()
        return [SweepCell(sweep_id=r[0], key=from_json(r[1]), track_id=r[2], metrics=from_json(r[3]),
                          created_at=r[4].replace(tzinfo=utc_now().tzinfo)) for r in rows]
