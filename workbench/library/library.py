"""`Library`: every take, findable and never lost, in one DuckDB file plus its audio files.

Each operation is lock -> connect -> one transaction -> close -> unlock (DuckDB lets one process open
the file at a time; see locking.py). Audio is written first (atomically), the row second, so a crash
leaves at worst an audio file without a row, which `check()` adopts.

Audio is stored as 32-bit float WAV by default: what an engine produced is exactly what every later
edit, metric and comparison reads back, and peaks above 0 dBFS (gain, upscaling, in-painting seams)
survive. `audio_format="flac"` stores 24-bit FLAC at about half the size (tracks that peak above
0 dBFS are still stored as float WAV, since FLAC would clip them).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from ..audio import Audio
from ..errors import InvalidInput, LibraryError, TrackNotFound
from .comments_albums import CommentsAlbumsMixin
from .locking import DEFAULT_LOCK_TIMEOUT, LibraryLock, connect_with_retry
from .models import IdList as _IdList
from .models import Track, as_region, clean_tags, from_json, new_id, to_json, to_utc, track_ids, utc_now
from .queries import TRACK_COLUMNS, count_sql, naive_utc, page_sql, row_to_track, track_filters
from .schema import applied_migrations, apply_migrations
from .sweep_store import SweepStoreMixin

__all__ = ["Library", "default_library_path", "MAX_LIBRARY_PROMPT_CHARS"]

MAX_LIBRARY_PROMPT_CHARS = 10_000
_DERIVATION = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_AUDIO_FORMATS = ("wav", "flac")


def default_library_path() -> Path:
    """The notebooks' library: $WORKBENCH_DB if set, else ./library.duckdb."""
    return Path(os.environ.get("WORKBENCH_DB") or "library.duckdb").expanduser().absolute()


class Library(CommentsAlbumsMixin, SweepStoreMixin):
    """A library file `path` (created with its schema on first use) and its audio folder.

    `audio_dir` defaults to `audio/` beside the file; stored paths are relative to the library root
    (the file's folder) so the whole folder can move. `lock_timeout` bounds every wait for another
    process (`LibraryBusy` after it). On the first open of a new library with a `metadata/` folder
    beside it, the old MusicGen Studio tracks are imported (`legacy_report` holds the report).
    """

    def __init__(self, path: str | os.PathLike | None = None, audio_dir: str | os.PathLike | None = None, *,
                 lock_timeout: float = DEFAULT_LOCK_TIMEOUT, audio_format: str = "wav",
                 import_legacy: bool = True):
        self.path = Path(path if path is not None else default_library_path()).expanduser().absolute()
        if self.path.is_dir():
            raise InvalidInput(f"library path {self.path} is a folder; give the .duckdb file inside it")
        if audio_format not in _AUDIO_FORMATS:
            raise InvalidInput(f"audio_format {audio_format!r} is unknown: use one of {_AUDIO_FORMATS}")
        if isinstance(lock_timeout, bool) or not isinstance(lock_timeout, int | float) or not lock_timeout >= 0:
            raise InvalidInput(f"lock_timeout must be a number of seconds >= 0, got {lock_timeout!r}")
        self.root = self.path.parent
        self.audio_dir = Path(audio_dir).expanduser().absolute() if audio_dir else self.root / "audio"
        self.audio_format = audio_format
        self.lock = LibraryLock(self.path, lock_timeout)
        self.legacy_report = None
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LibraryError(f"cannot create the library folder {self.root}: {error.strerror}") from None
        with self._session("open") as con:
            fresh = not applied_migrations(con)
            apply_migrations(con)
            if fresh and import_legacy and (self.root / "metadata").is_dir():
                con.execute("insert or replace into meta values ('legacy_auto_import', 'pending')")
            pending = con.execute("select value from meta where key = 'legacy_auto_import'").fetchone()
        if pending and pending[0] == "pending":  # also resumes an auto-import that was killed midway
            from .legacy import migrate_legacy

            self.legacy_report = migrate_legacy(self, self.root / "metadata")
            with self._session("legacy import done") as con:
                con.execute("update meta set value = 'done' where key = 'legacy_auto_import'")

    def __repr__(self) -> str:
        return f"Library({str(self.path)!r})"

    # ----------------------------------------------------------------- plumbing
    @contextmanager
    def _session(self, purpose: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """Lock, connect, one transaction, close, unlock. Never nest two sessions in one thread."""
        with self.lock.hold(purpose):
            con = connect_with_retry(self.path, time.monotonic() + self.lock.timeout)
            try:
                con.begin()
                yield con
                con.commit()
            except BaseException as error:
                try:
                    con.rollback()
                except duckdb.Error:
                    pass  # the transaction was already aborted by the error
                # disk full, unwritable folder... (a failed commit arrives as a TransactionException)
                if isinstance(error, duckdb.IOException | duckdb.TransactionException):
                    raise LibraryError(f"the library {self.path} could not be written: {error}") from error
                raise
            finally:
                con.close()

    def _require_tracks(self, con: duckdb.DuckDBPyConnection, ids: list[str]) -> None:
        if not ids:
            return
        found = {r[0] for r in con.execute("select id from tracks where id in (select unnest(?))", [ids]).fetchall()}
        missing = [i for i in ids if i not in found]
        if missing:
            raise TrackNotFound(f"no track with id {missing[0]!r} in {self.path.name}"
                                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))

    def _fetch_tracks(self, con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[Track]:
        rows = con.execute(
            f"select {TRACK_COLUMNS}, (select count(*) from comments c where c.track_id = tracks.id) "
            "from tracks where id in (select unnest(?))", [ids]).fetchall()
        by_id = {row[0]: row_to_track(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    def path_of(self, track: Track | str) -> Path:
        """Absolute path of a track's audio file (stored paths are relative to the library root)."""
        return self.path_of_stored(track.filepath if isinstance(track, Track) else self.get(track).filepath)

    def path_of_stored(self, filepath: str) -> Path:
        """Absolute path of a stored (root-relative or absolute) file path."""
        path = Path(filepath)
        return path if path.is_absolute() else self.root / path

    def relative(self, path: Path) -> str:
        """How a file path is stored: relative to the root (POSIX) when inside it, else absolute."""
        path = Path(path).absolute()
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    # ----------------------------------------------------------------- tracks
    def add(self, audio: Audio | str | os.PathLike, *, prompt: str = "", seed: int | None = None,
            config: dict | Any | None = None, parent: str | Track | None = None, derivation: str = "generate",
            region: Any = None, tags: Sequence[str] | str | None = None, engine: str | None = None,
            model: str | None = None, extra: dict | None = None, public: bool = False,
            created_at: datetime | str | None = None) -> Track:
        """Write the audio file atomically, then its row; returns the new Track.

        `audio` is an `Audio` or a path to an audio file to import. `config` is the full settings
        snapshot (a JSON-able dict, or anything with `to_dict()`, e.g. GenerationParams).
        """
        if not isinstance(audio, Audio):
            audio = Audio.load(audio)
        fields = self._track_fields(prompt=prompt, seed=seed, config=config, parent=parent,
                                    derivation=derivation, region=region, tags=tags, engine=engine,
                                    model=model, extra=extra, public=public, created_at=created_at)
        track_id = new_id(fields["created_at"])
        file = self._audio_path(track_id, fields["created_at"], audio)
        try:
            audio.save(file)
        except OSError as error:  # disk full, read-only folder...: nothing half-written stays (atomic save)
            raise LibraryError(f"cannot write the audio file {file}: {error.strerror or error}") from None
        try:
            with self._session("add track") as con:
                if fields["parent_id"]:
                    self._require_tracks(con, [fields["parent_id"]])
                self._insert_track(con, track_id, self.relative(file), audio.duration, audio.sample_rate,
                                   audio.channels, fields)
        except BaseException:
            file.unlink(missing_ok=True)  # no file without its row, where we can help it
            raise
        region = fields["region"]
        return Track(id=track_id, filepath=self.relative(file), duration=audio.duration,
                     sample_rate=audio.sample_rate, channels=audio.channels,
                     created_at=fields["created_at"],
                     prompt=fields["prompt"], seed=fields["seed"], engine=fields["engine"], model=fields["model"],
                     config=from_json(fields["config"]), parent_id=fields["parent_id"],
                     derivation=fields["derivation"], region=region, public=fields["public"],
                     tags=tuple(fields["tags"]), extra=from_json(fields["extra"]))

    def _audio_path(self, track_id: str, created_at: datetime, audio: Audio) -> Path:
        suffix = ".flac" if self.audio_format == "flac" and audio.peak() <= 1.0 else ".wav"
        return self.audio_dir / created_at.strftime("%Y-%m") / f"{track_id}{suffix}"

    @staticmethod
    def _track_fields(*, prompt, seed, config, parent, derivation, region, tags, engine, model, extra,
                      public, created_at) -> dict[str, Any]:
        """Validate everything a row needs before any file is written."""
        if not isinstance(prompt, str):
            raise InvalidInput(f"prompt must be text, got {type(prompt).__name__}")
        if len(prompt) > MAX_LIBRARY_PROMPT_CHARS:
            raise InvalidInput(f"prompt is {len(prompt)} characters long; the limit is {MAX_LIBRARY_PROMPT_CHARS}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not -2**63 <= seed < 2**63):
            raise InvalidInput(f"seed must be a 64-bit integer or None, got {seed!r}")
        if not isinstance(derivation, str) or not _DERIVATION.match(derivation):
            raise InvalidInput(f"derivation must be a lowercase word like 'generate' or 'inpaint', got {derivation!r}")
        for name, value in (("engine", engine), ("model", model)):
            if value is not None and (not isinstance(value, str) or len(value) > 200):
                raise InvalidInput(f"{name} must be a string of at most 200 characters or None, got {value!r}")
        if not isinstance(public, bool):
            raise InvalidInput(f"public must be True or False, got {public!r}")
        config_json = to_json(config if config is not None else {}, "config")
        extra_json = to_json(extra if extra is not None else {}, "extra")
        if not config_json.startswith("{") or not extra_json.startswith("{"):
            raise InvalidInput("config and extra must be dicts")
        parent_id = parent.id if isinstance(parent, Track) else parent
        if parent_id is not None and not isinstance(parent_id, str):
            raise InvalidInput(f"parent must be a track id, Track or None, got {parent!r}")
        return dict(prompt=prompt, seed=seed, config=config_json, parent_id=parent_id, derivation=derivation,
                    region=as_region(region), tags=list(clean_tags(tags)), engine=engine, model=model,
                    extra=extra_json, public=public, created_at=to_utc(created_at, "created_at") or utc_now())

    @staticmethod
    def _insert_track(con, track_id: str, filepath: str, duration: float, sample_rate: int, channels: int,
                      f: dict[str, Any], favorite: bool = False, disliked: bool = False) -> None:
        region = f["region"]
        con.execute(
            "insert into tracks (id, filepath, duration, sample_rate, channels, prompt, seed, engine, model, "
            "config, parent_id, derivation, region_start, region_end, favorite, disliked, public, tags, extra, "
            "created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [track_id, filepath, float(duration), int(sample_rate), int(channels), f["prompt"], f["seed"],
             f["engine"], f["model"], f["config"], f["parent_id"], f["derivation"],
             region.start if region else None, region.end if region else None, favorite and not disliked,
             disliked, f["public"], f["tags"], f["extra"], naive_utc(f["created_at"])])

    def get(self, track_id: str | Track) -> Track:
        ids = track_ids(track_id)
        with self._session("get track") as con:
            found = self._fetch_tracks(con, ids)
        if not found:
            raise TrackNotFound(f"no track with id {ids[0]!r} in {self.path.name}")
        return found[0]

    def get_many(self, ids: _IdList) -> list[Track]:
        """The tracks with these ids, in the order given (unknown ids raise TrackNotFound)."""
        ids = track_ids(ids)
        with self._session("get tracks") as con:
            self._require_tracks(con, ids)
            return self._fetch_tracks(con, ids)

    def audio(self, track: Track | str) -> Audio:
        return Audio.load(self.path_of(track))

    def search(self, text: str | None = None, favorite: bool | None = None, disliked: bool | None = None,
               album: Any = None, tags: Sequence[str] | str | None = None, since: datetime | str | None = None,
               until: datetime | str | None = None, include_trash: bool | str = False, order: str = "newest",
               limit: int = 50, offset: int = 0, *, public: bool | None = None, derivation: str | None = None,
               parent: str | Track | None = None) -> list[Track]:
        """One page of tracks with their comment counts. Filters are documented in `track_filters`."""
        where, params = track_filters(text, favorite, disliked, album, tags, since, until, include_trash,
                                      public, derivation, parent)
        sql, _ = page_sql(where, order, limit, offset)
        with self._session("search") as con:
            return [row_to_track(r) for r in con.execute(sql, params).fetchall()]

    def count(self, text: str | None = None, favorite: bool | None = None, disliked: bool | None = None,
              album: Any = None, tags: Sequence[str] | str | None = None, since: datetime | str | None = None,
              until: datetime | str | None = None, include_trash: bool | str = False, *,
              public: bool | None = None, derivation: str | None = None, parent: str | Track | None = None) -> int:
        where, params = track_filters(text, favorite, disliked, album, tags, since, until, include_trash,
                                      public, derivation, parent)
        with self._session("count") as con:
            return int(con.execute(count_sql(where), params).fetchone()[0])

    # ----------------------------------------------------------------- flags
    def _set_flag(self, ids: _IdList, column: str, value: bool) -> Track | list[Track]:
        if not isinstance(value, bool):
            raise InvalidInput(f"{column} must be True or False, got {value!r}")
        single = isinstance(ids, str | Track)
        id_list = track_ids(ids)
        other = {"favorite": "disliked", "disliked": "favorite"}.get(column)
        # Only rows whose value differs change: a retried click is a no-op, never a flip back.
        clear = f", {other} = false" if other and value else ""
        with self._session(f"set {column}") as con:
            self._require_tracks(con, id_list)
            con.execute(f"update tracks set {column} = ?{clear} where {column} <> ? and id in (select unnest(?))",
                        [value, value, id_list])
            tracks = self._fetch_tracks(con, id_list)
        return tracks[0] if single else tracks

    def set_favorite(self, ids: _IdList, value: bool = True) -> Track | list[Track]:
        """Set (or clear) the favourite flag; setting it clears `disliked`. Returns the updated track(s)."""
        return self._set_flag(ids, "favorite", value)

    def set_disliked(self, ids: _IdList, value: bool = True) -> Track | list[Track]:
        """Set (or clear) the disliked flag; setting it clears `favorite`."""
        return self._set_flag(ids, "disliked", value)

    def set_public(self, ids: _IdList, value: bool = True) -> Track | list[Track]:
        return self._set_flag(ids, "public", value)

    def set_tags(self, ids: _IdList, tags: Sequence[str] | str) -> list[Track]:
        id_list, clean = track_ids(ids), list(clean_tags(tags))
        with self._session("set tags") as con:
            self._require_tracks(con, id_list)
            con.execute("update tracks set tags = ?::varchar[] where id in (select unnest(?))", [clean, id_list])
            return self._fetch_tracks(con, id_list)

    # ----------------------------------------------------------------- trash
    def trash(self, ids: _IdList) -> int:
        """Move tracks to the trash (hidden from search; `restore` brings them back). Returns how many moved."""
        id_list = track_ids(ids)
        with self._session("trash") as con:
            self._require_tracks(con, id_list)
            return con.execute("update tracks set trashed_at = ? where trashed_at is null and id in "
                               "(select unnest(?))", [naive_utc(utc_now()), id_list]).fetchone()[0]

    def restore(self, ids: _IdList) -> int:
        id_list = track_ids(ids)
        with self._session("restore") as con:
            self._require_tracks(con, id_list)
            return con.execute("update tracks set trashed_at = null where trashed_at is not null and id in "
                               "(select unnest(?))", [id_list]).fetchone()[0]

    def purge(self, ids: _IdList | None = None) -> list[str]:
        """Delete trashed tracks (all, or these) with their comments, album entries and audio files.

        Rows go first, in one transaction; files after the commit (a crash in between leaves files without
        rows, which `check()` cleans). Sweep cells keep their settings and metrics with no track.
        Returns the purged ids.
        """
        id_list = None if ids is None else track_ids(ids)
        with self._session("purge") as con:
            sql = "select id, filepath from tracks where trashed_at is not null"
            rows = con.execute(sql + (" and id in (select unnest(?))" if id_list is not None else ""),
                               [id_list] if id_list is not None else []).fetchall()
            doomed = [r[0] for r in rows]
            if doomed:
                for statement in ("delete from comments where track_id in (select unnest(?))",
                                  "delete from album_tracks where track_id in (select unnest(?))",
                                  "update sweep_cells set track_id = null where track_id in (select unnest(?))",
                                  "delete from tracks where id in (select unnest(?))"):
                    con.execute(statement, [doomed])
        for _, filepath in rows:
            self.path_of_stored(filepath).unlink(missing_ok=True)
        return doomed

    # ----------------------------------------------------------------- lineage
    def lineage(self, track_id: str | Track) -> list[Track]:
        """The ancestors of a track (parent, grandparent...), oldest first; the track itself excluded."""
        start = track_ids(track_id)[0]
        with self._session("lineage") as con:
            self._require_tracks(con, [start])
            rows = con.execute(
                "with recursive chain(id, parent_id, depth) as ("
                " select id, parent_id, 0 from tracks where id = ?"
                " union all select t.id, t.parent_id, chain.depth + 1 from tracks t"
                " join chain on t.id = chain.parent_id where chain.depth < 10000)"
                " select id from chain where depth > 0 order by depth desc", [start]).fetchall()
            ids = list(dict.fromkeys(r[0] for r in rows))
            return self._fetch_tracks(con, ids)

    # ----------------------------------------------------------------- maintenance
    def check(self, repair: bool = False, min_age: float = 600.0):
        """Find (and with repair=True fix) drift between rows and files; see `check.check_library`."""
        from .check import check_library

        return check_library(self, repair=repair, min_age=min_age)

    def migrate_legacy(self, metadata_dir: str | os.PathLike, **options):
        """Import an old MusicGen Studio `metadata/` folder; see `legacy.migrate_legacy`."""
        from .legacy import migrate_legacy

        return migrate_legacy(self, metadata_dir, **options)
