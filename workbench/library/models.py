"""The library's values: `Track`, `Comment`, `Album`, `Sweep`, `SweepCell` (frozen), and their ids.

Values are snapshots: changing the library returns new values, it never mutates old ones. Times are
timezone-aware UTC datetimes (stored as naive UTC TIMESTAMPs in DuckDB).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import InvalidInput
from ..regions import Region

__all__ = [
    "Track", "Comment", "Album", "Sweep", "SweepCell", "new_id", "id_for", "utc_now", "to_utc",
    "to_json", "from_json", "clean_tags", "track_ids", "IdList", "check_seconds", "as_region", "ID_PATTERN",
]

# Crockford base32: ids sort by time as plain strings and read unambiguously.
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_PATTERN = re.compile(r"^[0-9a-hjkmnp-tv-z]{15}$")
MAX_TAG_CHARS = 64


def _b32(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def new_id(at: datetime | None = None) -> str:
    """A 15-character id: 9 chars of milliseconds since 1970 + 6 random chars (30 bits).

    Sorts by creation time as a string; unique across processes without coordination (two ids in the
    same millisecond collide with probability 1e-9).
    """
    millis = int((at.timestamp() if at else time.time()) * 1000)
    return _b32(millis, 9) + _b32(int.from_bytes(os.urandom(4), "big") & (2**30 - 1), 6)


def id_for(key: str, at: datetime) -> str:
    """A deterministic id for `key` created at `at` (imports use it, so a rerun reuses the same id)."""
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") & (2**30 - 1)
    return _b32(max(0, int(at.timestamp() * 1000)), 9) + _b32(digest, 6)


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_utc(value: datetime | str | None, name: str = "time") -> datetime | None:
    """Aware UTC datetime from a datetime or ISO string; naive values are taken as UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{name} {value!r} is not an ISO date/time such as 2024-06-11T14:22:33") from None
    if not isinstance(value, datetime):
        raise InvalidInput(f"{name} must be a datetime or ISO string, got {type(value).__name__}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_json(value: Any, name: str) -> str:
    """Canonical JSON (sorted keys) of a JSON-able value; objects with `to_dict()` are converted."""
    if hasattr(value, "to_dict") and callable(value.to_dict):
        value = value.to_dict()
    try:
        return json.dumps(value, sort_keys=True, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"{name} must be JSON-serialisable (finite numbers, str keys): {error}") from None


def from_json(text: str | None, default: Any = None) -> Any:
    return default if text is None else json.loads(text)


def clean_tags(tags: str | Iterable[str] | None) -> tuple[str, ...]:
    """Strip, drop empties and duplicates (keeping order); one string is one tag."""
    if tags is None:
        return ()
    if isinstance(tags, str):
        tags = [tags]
    out: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise InvalidInput(f"tags must be strings, got {tag!r}")
        tag = tag.strip()
        if len(tag) > MAX_TAG_CHARS:
            raise InvalidInput(f"tag {tag[:20]!r}... is {len(tag)} characters; the limit is {MAX_TAG_CHARS}")
        if tag and tag not in out:
            out.append(tag)
    return tuple(out)


@dataclass(frozen=True)
class Track:
    """One take: an audio file (path relative to the library root) and everything that made it."""

    id: str
    filepath: str
    duration: float
    sample_rate: int
    channels: int
    created_at: datetime
    prompt: str = ""
    seed: int | None = None
    engine: str | None = None
    model: str | None = None
    config: dict[str, Any] = field(default_factory=dict, hash=False)
    parent_id: str | None = None
    derivation: str = "generate"
    region: Region | None = None
    favorite: bool = False
    disliked: bool = False
    public: bool = False
    tags: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, hash=False)
    trashed_at: datetime | None = None
    comment_count: int = 0

    @property
    def trashed(self) -> bool:
        return self.trashed_at is not None

    def __repr__(self) -> str:
        flags = "".join(c for c, on in (("♥", self.favorite), ("✗", self.disliked), ("T", self.trashed)) if on)
        return f"Track({self.id} {self.derivation} {self.duration:.2f} s {self.prompt[:40]!r} {flags})"


@dataclass(frozen=True)
class Comment:
    """A time-stamped note on a track: at `at` seconds (or the span at..end)."""

    id: str
    track_id: str
    at: float
    text: str
    created_at: datetime
    end: float | None = None
    author: str | None = None


@dataclass(frozen=True)
class Album:
    id: str
    title: str
    created_at: datetime
    track_count: int = 0


@dataclass(frozen=True)
class Sweep:
    """A parameter sweep: its definition (JSON-able dict), status and number of recorded cells."""

    id: str
    definition: dict[str, Any] = field(hash=False)
    created_at: datetime
    status: str
    cell_count: int = 0


@dataclass(frozen=True)
class SweepCell:
    """One rendered cell of a sweep: the settings that identify it, its track and its metrics."""

    sweep_id: str
    key: dict[str, Any] = field(hash=False)
    track_id: str | None
    metrics: dict[str, Any] = field(hash=False)
    created_at: datetime


def check_seconds(value: Any, name: str, *, low: float = 0.0, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number of seconds, got {value!r}")
    if not low <= value <= high:
        raise InvalidInput(f"{name} = {value!r} s is out of range: allowed {low:g}..{high:g} s")
    return float(value)


def as_region(region: Region | tuple[float, float] | Mapping | None) -> Region | None:
    if region is None or isinstance(region, Region):
        return region
    if isinstance(region, Mapping):
        return Region(region["start"], region["end"])
    try:
        start, end = region
    except (TypeError, ValueError):
        raise InvalidInput(f"region must be a Region, (start, end) or None, got {region!r}") from None
    return Region(start, end)


IdList = str | Track | Sequence[str | Track]


def track_ids(ids: IdList) -> list[str]:
    """One id, a Track, or a list of them -> a list of distinct ids in the order given."""
    if isinstance(ids, str | Track):
        items = [ids]
    elif isinstance(ids, list | tuple | set | frozenset):
        items = list(ids)
    else:
        raise InvalidInput(f"track ids must be an id string, a Track or a list of them, got {ids!r}")
    out: dict[str, None] = {}
    for item in items:
        value = item.id if isinstance(item, Track) else item
        if not isinstance(value, str) or not value:
            raise InvalidInput(f"track ids must be non-empty strings, got {value!r}")
        out[value] = None
    return list(out)
