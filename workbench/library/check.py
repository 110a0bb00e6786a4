"""`lib.check()`: find and repair drift between the library's rows and its files.

What it looks for, and what `repair=True` does (decided here, once):
- Rows whose audio file is missing: moved to the trash (out of every view; `purge()` removes them for
  good), so no visible row points at nothing while its comments stay readable until then.
- Audio files under the audio folder without a row (a process killed between writing the file and
  committing its row): adopted when the audio reads cleanly, as a track with derivation "recovered" and
  tag "recovered" (every take is kept, even one whose settings were lost); unreadable ones are moved to
  `quarantine/` beside the library, never deleted.
- Half-written temporary files (`.*.part`, left by a killed atomic write): removed.
- Comments, album entries and sweep cells pointing at tracks that no longer exist: removed (sweep cells
  keep their settings and metrics, with no track).
Files younger than `min_age` seconds are left alone: another process may be between its file write and
its row commit right now.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..audio import Audio
from ..errors import WorkbenchError
from .models import ID_PATTERN, new_id, utc_now

__all__ = ["CheckReport", "check_library", "AUDIO_SUFFIXES", "QUARANTINE"]

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif")
QUARANTINE = "quarantine"


@dataclass
class CheckReport:
    missing_files: list[tuple[str, str]] = field(default_factory=list)  # (track id, stored path)
    orphan_files: list[str] = field(default_factory=list)  # stored-style paths without a row
    adopted: list[str] = field(default_factory=list)  # track ids created for orphans
    quarantined: list[str] = field(default_factory=list)  # unreadable orphans moved away
    partial_files: list[str] = field(default_factory=list)  # .*.part temp files (removed on repair)
    dangling: dict[str, int] = field(default_factory=dict)  # table -> rows pointing at no track
    too_recent: list[str] = field(default_factory=list)  # left alone: younger than min_age
    repaired: bool = False

    @property
    def ok(self) -> bool:
        """True when nothing needed repair."""
        return not (self.missing_files or self.orphan_files or self.partial_files or any(self.dangling.values()))

    def __str__(self) -> str:
        if self.ok:
            return "library check: consistent" + (f" ({len(self.too_recent)} recent files left alone)"
                                                   if self.too_recent else "")
        verb = "repaired" if self.repaired else "found"
        lines = [f"library check ({verb}):"]
        lines += [f"  row {i} points at a missing file {p}" for i, p in self.missing_files]
        lines += [f"  file without a row: {p}" for p in self.orphan_files]
        lines += [f"  half-written temp file: {p}" for p in self.partial_files]
        lines += [f"  {n} {table} rows point at no track" for table, n in self.dangling.items() if n]
        if self.adopted:
            lines.append(f"  adopted {len(self.adopted)} files as 'recovered' tracks")
        if self.quarantined:
            lines.append(f"  moved {len(self.quarantined)} unreadable files to {QUARANTINE}/")
        return "\n".join(lines)


_DANGLING = {
    "comments": "select count(*) from comments where track_id not in (select id from tracks)",
    "album_tracks": "select count(*) from album_tracks where track_id not in (select id from tracks) "
                    "or album_id not in (select id from albums)",
    "sweep_cells": "select count(*) from sweep_cells where track_id is not null "
                   "and track_id not in (select id from tracks)",
}
_DANGLING_FIX = {
    "comments": "delete from comments where track_id not in (select id from tracks)",
    "album_tracks": "delete from album_tracks where track_id not in (select id from tracks) "
                    "or album_id not in (select id from albums)",
    "sweep_cells": "update sweep_cells set track_id = null where track_id is not null "
                   "and track_id not in (select id from tracks)",
}


def _scan(folder: Path) -> tuple[list[Path], list[Path]]:
    audio, partial = [], []
    if not folder.is_dir():
        return audio, partial
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(dirpath) / name
            if name.startswith(".") and name.endswith(".part"):
                partial.append(path)
            elif path.suffix.lower() in AUDIO_SUFFIXES and not name.startswith("."):
                audio.append(path)
    return audio, partial


def check_library(lib, repair: bool = False, min_age: float = 600.0) -> CheckReport:
    report = CheckReport(repaired=repair)
    audio_files, partial = _scan(lib.audio_dir)
    now = time.time()

    def old_enough(path: Path) -> bool:
        try:
            return now - path.stat().st_mtime >= min_age
        except FileNotFoundError:
            return False

    with lib._session("check: read") as con:
        rows = con.execute("select id, filepath, trashed_at from tracks").fetchall()
        report.dangling = {table: con.execute(sql).fetchone()[0] for table, sql in _DANGLING.items()}
    known = {lib.path_of_stored(p) for _, p, _ in rows}
    ids = {r[0] for r in rows}
    report.missing_files = [(i, p) for i, p, trashed in rows
                            if trashed is None and not lib.path_of_stored(p).exists()]

    orphans = []
    for path in audio_files:
        if path in known:
            continue
        (orphans if old_enough(path) else report.too_recent).append(path)
    report.orphan_files = [lib.relative(p) for p in orphans]
    for path in partial:
        if old_enough(path):
            report.partial_files.append(lib.relative(path))
        else:
            report.too_recent.append(path)
    report.too_recent = [lib.relative(p) for p in report.too_recent]
    if not repair:
        return report

    for stored in report.partial_files:
        lib.path_of_stored(stored).unlink(missing_ok=True)
    adoptions = []
    for path in orphans:
        try:
            audio = Audio.load(path)
        except WorkbenchError:
            target = lib.root / QUARANTINE / (lib.relative(path) if not Path(lib.relative(path)).is_absolute()
                                              else path.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), target)
            report.quarantined.append(lib.relative(target))
            continue
        stem = path.stem
        track_id = stem if ID_PATTERN.match(stem) and stem not in ids else new_id()
        ids.add(track_id)
        created = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        adoptions.append((track_id, lib.relative(path), audio, created))

    with lib._session("check: repair") as con:
        if report.missing_files:
            con.execute("update tracks set trashed_at = ? where trashed_at is null and id in (select unnest(?))",
                        [utc_now().replace(tzinfo=None), [i for i, _ in report.missing_files]])
        for table, count in report.dangling.items():
            if count:
                con.execute(_DANGLING_FIX[table])
        for track_id, stored, audio, created in adoptions:
            fields = lib._track_fields(prompt="", seed=None, config=None, parent=None, derivation="recovered",
                                       region=None, tags=["recovered"], engine=None, model=None,
                                       extra={"recovered_by": "check", "recovered_at": utc_now().isoformat()},
                                       public=False, created_at=created)
            lib._insert_track(con, track_id, stored, audio.duration, audio.sample_rate, audio.channels, fields)
            report.adopted.append(track_id)
    return report
