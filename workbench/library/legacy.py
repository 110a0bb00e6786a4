"""Import the old "MusicGen Studio" layout: one JSON per track in `metadata/`, audio in `outputs/`.

Per file, in one transaction each: the track row, its comments, album membership, and a row in
`legacy_imports` keyed by the legacy id (or, without one, by the audio path). So a rerun imports nothing
twice and a run killed midway resumes where it stopped; nothing aborts the whole import.

Decisions for messy files:
- Audio inside the library's folder is referenced where it is; audio elsewhere is copied (atomically)
  into `audio/legacy/`. Audio is searched at `filepath`, then by `filename` in `outputs/`, beside the JSON
  and anywhere under the legacy folder (a moved file is found by name and the report says so).
- duration/sample rate/channels always come from the audio file (the JSON's duration, if different,
  is kept in extra as `legacy_duration`).
- `created_at`: ISO strings (naive ones are local time of this machine, as the old app wrote them),
  epoch seconds or milliseconds (numbers or digit strings); otherwise the JSON file's modification time.
- Seeds as strings are converted; unusable seeds, non-dict configs and unknown keys go to `extra`.
- favourite and disliked both set: favourite wins. Comments that are not {time, text} are skipped
  with a note.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..audio import Audio
from ..errors import LegacyImportError, WorkbenchError
from .check import AUDIO_SUFFIXES
from .models import check_seconds, id_for, new_id, utc_now
from .queries import naive_utc

__all__ = ["migrate_legacy", "LegacyReport", "LegacyFileResult", "sample_legacy_dir"]

_KNOWN = {"id", "filename", "filepath", "prompt", "model", "duration", "seed", "created_at", "config",
          "favorite", "favourite", "disliked", "public", "tags", "album", "comments", "parent_id"}


def sample_legacy_dir() -> Path:
    """The small legacy folder shipped with the workbench (metadata/ + outputs/) for notebooks and demos."""
    return Path(__file__).resolve().parent.parent / "data" / "legacy_sample"


@dataclass(frozen=True)
class LegacyFileResult:
    file: str
    status: str  # "imported", "already imported", "duplicate", "skipped"
    track_id: str | None = None
    reason: str = ""
    notes: tuple[str, ...] = ()


@dataclass
class LegacyReport:
    folder: str
    results: list[LegacyFileResult] = field(default_factory=list)

    def _with(self, status: str) -> list[LegacyFileResult]:
        return [r for r in self.results if r.status == status]

    @property
    def imported(self) -> list[LegacyFileResult]:
        return self._with("imported")

    @property
    def skipped(self) -> list[LegacyFileResult]:
        return self._with("skipped")

    @property
    def already(self) -> list[LegacyFileResult]:
        return self._with("already imported")

    @property
    def duplicates(self) -> list[LegacyFileResult]:
        return self._with("duplicate")

    def __str__(self) -> str:
        lines = [f"legacy import of {self.folder}: {len(self.imported)} imported, {len(self.already)} already "
                 f"imported, {len(self.duplicates)} duplicates, {len(self.skipped)} skipped"]
        for r in self.results:
            detail = f" ({r.reason})" if r.reason else ""
            notes = "".join(f"\n      note: {n}" for n in r.notes)
            lines.append(f"  {r.status:>16}  {r.file}{detail}{notes}")
        return "\n".join(lines)


class _Skip(Exception):
    """This file cannot be imported; the message says why."""


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
        value = float(value)
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) > 1e11 else value  # epoch milliseconds vs seconds
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed.astimezone(UTC)  # naive -> local time of this machine
    return None


def _parse_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "false", "no", "0", ""):
        return value.strip().lower() in ("true", "yes", "1")
    return None


def _parse_seed(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and -2**63 <= value < 2**63 else None


class _Importer:
    def __init__(self, lib, metadata_dir: Path):
        self.lib = lib
        self.metadata_dir = metadata_dir
        self.legacy_root = metadata_dir.parent
        self._index: dict[str, list[Path]] | None = None

    def find_audio(self, data: dict, json_path: Path, notes: list[str]) -> Path:
        names = [Path(str(v)).name for v in (data.get("filename"), data.get("filepath")) if v]
        names.append(json_path.stem + ".wav")
        candidates = []
        if data.get("filepath"):
            stored = Path(str(data["filepath"]))
            if stored.is_absolute():
                candidates.append(stored)
            else:  # a relative path must stay inside the legacy folder ("../../etc/passwd" does not)
                inside = [p for p in (self.legacy_root / stored, json_path.parent / stored)
                          if p.resolve().is_relative_to(self.legacy_root.resolve())]
                if not inside:
                    notes.append(f"filepath {str(stored)!r} points outside the legacy folder; ignored")
                candidates += inside
        for name in names:
            candidates += [self.legacy_root / "outputs" / name, json_path.parent / name, self.legacy_root / name]
        for path in candidates:
            if path.is_file():
                return path
        for name in names:  # moved: search the whole legacy folder by name
            found = self.index().get(name)
            if found:
                notes.append(f"audio was not where the JSON says; found it at {found[0]}")
                return found[0]
        raise _Skip(f"audio not found (looked for {', '.join(dict.fromkeys(names))} under {self.legacy_root})")

    def index(self) -> dict[str, list[Path]]:
        if self._index is None:
            self._index = {}
            for dirpath, _dirs, files in os.walk(self.legacy_root):
                for name in files:
                    if Path(name).suffix.lower() in AUDIO_SUFFIXES:
                        self._index.setdefault(name, []).append(Path(dirpath) / name)
        return self._index

    def place_audio(self, source: Path, track_id: str) -> str:
        """Stored path of the audio: in place when inside the library root, else an atomic copy."""
        try:
            return source.absolute().relative_to(self.lib.root).as_posix()
        except ValueError:
            pass
        target = self.lib.audio_dir / "legacy" / f"{track_id}{source.suffix.lower()}"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        return self.lib.relative(target)

    def fields(self, data: dict, json_path: Path, audio: Audio, notes: list[str]) -> dict[str, Any]:
        extra = {k: v for k, v in data.items() if k not in _KNOWN}
        extra["legacy_file"] = json_path.name
        if "id" in data:
            extra["legacy_id"] = data["id"]
        prompt = data.get("prompt")
        if prompt is None:
            prompt = ""
            notes.append("no prompt")
        elif not isinstance(prompt, str):
            prompt = json.dumps(prompt)
            notes.append("prompt was not text; stored as JSON text")
        limit = 10_000
        if len(prompt) > limit:
            extra["legacy_prompt"] = prompt
            prompt = prompt[:limit]
            notes.append(f"prompt cut to {limit} characters (the full one is in extra)")
        seed = _parse_seed(data.get("seed"))
        if data.get("seed") is not None and seed is None:
            extra["legacy_seed"] = data["seed"]
            notes.append(f"seed {data['seed']!r} is not an integer; kept in extra")
        created = _parse_time(data.get("created_at"))
        if created is None:
            created = datetime.fromtimestamp(json_path.stat().st_mtime, UTC)
            notes.append(f"created_at {data.get('created_at')!r} unusable; used the file's time")
        config = data.get("config")
        if config is not None and not isinstance(config, dict):
            extra["legacy_config"] = config
            notes.append("config is not an object; kept in extra")
            config = None
        duration = data.get("duration")
        if isinstance(duration, int | float) and not isinstance(duration, bool) and abs(duration - audio.duration) > 0.05:
            extra["legacy_duration"] = duration
        tags = data.get("tags") or []
        if isinstance(tags, str):
            tags = [t for t in tags.split(",")]
        tags = [str(t) for t in tags] if isinstance(tags, list) else []
        model = data.get("model")
        flags = {}
        for name in ("favorite", "disliked", "public"):
            raw = data.get("favourite" if name == "favorite" and "favourite" in data else name)
            flags[name] = bool(_parse_bool(raw))
            if raw is not None and _parse_bool(raw) is None:
                notes.append(f"{name} {raw!r} is not a yes/no; taken as no")
        if flags["favorite"] and flags["disliked"]:
            flags["disliked"] = False
            notes.append("marked both favourite and disliked; kept favourite")
        config, config_changed = _json_safe(config or {})
        extra, extra_changed = _json_safe(extra)
        if config_changed or extra_changed:
            notes.append("NaN or infinite numbers kept as text")
        fields = self.lib._track_fields(
            prompt=prompt, seed=seed, config=config, parent=None, derivation="import", region=None,
            tags=[t[:64] for t in tags], engine="musicgen", model=model if isinstance(model, str) else None,
            extra=extra, public=flags["public"], created_at=created)
        return fields | {"favorite": flags["favorite"], "disliked": flags["disliked"]}

    @staticmethod
    def comments(data: dict, duration: float, notes: list[str]) -> list[tuple]:
        raw = data.get("comments") or []
        out = []
        for i, c in enumerate(raw if isinstance(raw, list) else []):
            try:
                if not isinstance(c, dict) or not isinstance(c.get("text"), str) or not c["text"].strip():
                    raise ValueError("no text")
                at = check_seconds(c.get("time", c.get("at", 0.0)), "time", high=duration + 1e-3)
                end = c.get("end")
                end = None if end is None else check_seconds(end, "end", low=at + 1e-6, high=duration + 1e-3)
                author = c.get("author") if isinstance(c.get("author"), str) else None
                out.append((at, end, c["text"].strip()[:10_000], author))
            except (ValueError, WorkbenchError) as error:
                notes.append(f"comment {i} skipped: {error}")
        if raw and not isinstance(raw, list):
            notes.append("comments is not a list; skipped")
        return out


def migrate_legacy(lib, metadata_dir: str | os.PathLike, *, progress=None) -> LegacyReport:
    """Import every `*.json` of an old `metadata/` folder into `lib`; returns a per-file report.

    Also accepts the legacy folder holding `metadata/`. `progress(done, total)` is called per file.
    """
    folder = Path(metadata_dir).expanduser().absolute()
    if folder.is_dir() and not any(folder.glob("*.json")) and (folder / "metadata").is_dir():
        folder = folder / "metadata"
    if not folder.is_dir():
        raise LegacyImportError(f"legacy metadata folder not found: {folder}")
    files = sorted(folder.glob("*.json"))
    report = LegacyReport(str(folder))
    importer = _Importer(lib, folder)
    with lib._session("legacy import: read state") as con:
        done = {k: t for k, t in con.execute("select source_key, track_id from legacy_imports").fetchall()}
    seen: dict[str, str] = {}
    for n, json_path in enumerate(files, 1):
        try:
            report.results.append(_import_one(importer, json_path, done, seen))
        except Exception as error:  # one bad file never aborts the import (LibraryBusy included: rerun)
            report.results.append(LegacyFileResult(json_path.name, "skipped", reason=f"{type(error).__name__}: {error}"))
        if progress is not None:
            progress(n, len(files))
    _link_parents(lib)
    return report


def _link_parents(lib) -> None:
    """Point children at parents imported after them (files are read in name order, not lineage order)."""
    with lib._session("legacy import: link parents") as con:
        rows = con.execute("select id, extra from tracks where parent_id is null and derivation = 'import' "
                           "and extra like '%legacy_parent_id%'").fetchall()
        keys = dict(con.execute("select source_key, track_id from legacy_imports").fetchall())
        for track_id, extra in rows:
            parent = keys.get(f"id:{json.loads(extra).get('legacy_parent_id')}")
            if parent and parent != track_id:
                con.execute("update tracks set parent_id = ? where id = ?", [parent, track_id])


def _json_safe(value: Any) -> tuple[Any, bool]:
    """Replace NaN and infinities (which Python's json writes, but JSON cannot hold) by their text."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value), True
    if isinstance(value, dict):
        pairs = [(k, _json_safe(v)) for k, v in value.items()]
        return {k: v for k, (v, _) in pairs}, any(c for _, (_, c) in pairs)
    if isinstance(value, list):
        items = [_json_safe(v) for v in value]
        return [v for v, _ in items], any(c for _, c in items)
    return value, False


def _import_one(importer: _Importer, json_path: Path, done: dict[str, str], seen: dict[str, str]) -> LegacyFileResult:
    name, notes = json_path.name, []
    try:
        text = json_path.read_text(encoding="utf-8", errors="strict")
        data = json.loads(text) if text.strip() else None
    except UnicodeDecodeError:
        return LegacyFileResult(name, "skipped", reason="not UTF-8 text")
    except json.JSONDecodeError as error:
        return LegacyFileResult(name, "skipped", reason=f"invalid JSON: {error.msg} at line {error.lineno}")
    if data is None:
        return LegacyFileResult(name, "skipped", reason="empty file")
    if not isinstance(data, dict):
        return LegacyFileResult(name, "skipped", reason=f"not a JSON object but {type(data).__name__}")
    try:
        audio_path = importer.find_audio(data, json_path, notes)
    except _Skip as error:
        return LegacyFileResult(name, "skipped", reason=str(error), notes=tuple(notes))
    legacy_id = data.get("id")
    if isinstance(legacy_id, str | int) and not isinstance(legacy_id, bool) and str(legacy_id).strip():
        key = f"id:{str(legacy_id).strip()}"
    else:
        key = f"audio:{audio_path.absolute()}"
    if key in seen:
        return LegacyFileResult(name, "duplicate", track_id=done.get(key), reason=f"same track as {seen[key]}")
    if key in done:
        return LegacyFileResult(name, "already imported", track_id=done[key])
    seen[key] = name
    try:
        audio = Audio.load(audio_path)
    except WorkbenchError as error:
        return LegacyFileResult(name, "skipped", reason=f"audio unreadable: {error}", notes=tuple(notes))
    fields = importer.fields(data, json_path, audio, notes)
    comments = importer.comments(data, audio.duration, notes)
    track_id = id_for(key, fields["created_at"])
    stored = importer.place_audio(audio_path, track_id)
    albums = data.get("album")
    albums = [albums] if isinstance(albums, str) else [a for a in albums if isinstance(a, str)] \
        if isinstance(albums, list) else []
    parent = data.get("parent_id")
    lib = importer.lib
    now = naive_utc(utc_now())
    with lib._session("legacy import") as con:
        if parent is not None:
            row = con.execute("select track_id from legacy_imports where source_key = ?", [f"id:{parent}"]).fetchone()
            fields["parent_id"] = row[0] if row else None
            if row is None:
                notes.append(f"parent {parent!r} not imported (yet); kept in extra")
                fields["extra"] = json.dumps({**json.loads(fields["extra"]), "legacy_parent_id": parent},
                                             sort_keys=True)
        # A copy adopted by check() after a killed import is this very track: the import takes it over.
        con.execute("delete from tracks where id = ? and derivation = 'recovered' and filepath = ?",
                    [track_id, stored])
        lib._insert_track(con, track_id, stored, audio.duration, audio.sample_rate, audio.channels, fields,
                          favorite=fields["favorite"], disliked=fields["disliked"])
        for at, end, text, author in comments:
            con.execute("insert into comments values (?, ?, ?, ?, ?, ?, ?)",
                        [new_id(), track_id, at, end, text, author, now])
        for title in dict.fromkeys(t.strip()[:200] for t in albums if t.strip()):
            row = con.execute("select id from albums where title = ?", [title]).fetchone()
            album_id = row[0] if row else new_id()
            if row is None:
                con.execute("insert into albums values (?, ?, ?)", [album_id, title, now])
            con.execute("insert into album_tracks values (?, ?, ?) on conflict do nothing", [album_id, track_id, now])
        con.execute("insert into legacy_imports values (?, ?, ?, ?)", [key, str(json_path), track_id, now])
    done[key] = track_id
    return LegacyFileResult(name, "imported", track_id=track_id, notes=tuple(notes))
