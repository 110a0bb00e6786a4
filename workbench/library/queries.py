"""SQL text and row conversion for tracks: the search filters, the page query, rows -> `Track`.

The page query selects the page first and joins comment counts for those ids only (DESIGN.md: twice as
fast as a correlated count at 1M tracks).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ..errors import InvalidInput
from ..regions import Region
from .models import Track, clean_tags, from_json, to_utc

__all__ = ["TRACK_COLUMNS", "ORDERS", "track_filters", "page_sql", "count_sql", "row_to_track", "naive_utc"]

TRACK_COLUMNS = (
    "id, filepath, duration, sample_rate, channels, created_at, prompt, seed, engine, model, config, "
    "parent_id, derivation, region_start, region_end, favorite, disliked, public, tags, extra, trashed_at"
)
_QUALIFIED = ", ".join(f"t.{c.strip()}" for c in TRACK_COLUMNS.split(","))

ORDERS = {
    "newest": "created_at desc, id desc",
    "oldest": "created_at asc, id asc",
    "longest": "duration desc, id desc",
    "shortest": "duration asc, id asc",
    "prompt": "prompt asc, id asc",
}
MAX_PAGE = 10_000


def naive_utc(value: datetime | None) -> datetime | None:
    """DuckDB TIMESTAMP parameter: naive, in UTC."""
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _optional_bool(value: Any, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise InvalidInput(f"{name} filter must be True, False or None, got {value!r}")


def track_filters(
    text: str | None = None,
    favorite: bool | None = None,
    disliked: bool | None = None,
    album: Any = None,
    tags: Iterable[str] | str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    include_trash: bool | str = False,
    public: bool | None = None,
    derivation: str | None = None,
    parent: str | None = None,
) -> tuple[str, list[Any]]:
    """The WHERE clause (on alias t) and its parameters for the search filters.

    `text` matches every whitespace-separated word in the prompt, case-insensitively. `tags` requires
    all of them. `album` is an album id or `Album`. `include_trash` is False (hide trashed), True, or
    "only" (the trash view). `since` is inclusive, `until` exclusive.
    """
    where, params = [], []
    if text is not None:
        if not isinstance(text, str):
            raise InvalidInput(f"text filter must be a string, got {type(text).__name__}")
        for word in text.split():
            where.append("t.prompt ilike ? escape '\\'")
            params.append(_like_pattern(word))
    for name, value in (("favorite", favorite), ("disliked", disliked), ("public", public)):
        if _optional_bool(value, name) is not None:
            where.append(f"t.{name} = ?")
            params.append(value)
    if album is not None:
        album_id = getattr(album, "id", album)
        if not isinstance(album_id, str):
            raise InvalidInput(f"album filter must be an album id or Album, got {album!r}")
        where.append("t.id in (select track_id from album_tracks where album_id = ?)")
        params.append(album_id)
    wanted = clean_tags(tags)
    if wanted:
        where.append("list_has_all(t.tags, ?::varchar[])")
        params.append(list(wanted))
    for op, value, name in ((">=", since, "since"), ("<", until, "until")):
        if value is not None:
            where.append(f"t.created_at {op} ?")
            params.append(naive_utc(to_utc(value, name)))
    if include_trash == "only":
        where.append("t.trashed_at is not null")
    elif include_trash is False:
        where.append("t.trashed_at is null")
    elif include_trash is not True:
        raise InvalidInput(f"include_trash must be False, True or 'only', got {include_trash!r}")
    for column, value in (("derivation", derivation), ("parent_id", parent)):
        if value is not None:
            where.append(f"t.{column} = ?")
            params.append(getattr(value, "id", value))
    return (" where " + " and ".join(where)) if where else "", params


def page_sql(where: str, order: str, limit: int, offset: int) -> tuple[str, list[Any]]:
    if order not in ORDERS:
        raise InvalidInput(f"order {order!r} is unknown: use one of {', '.join(ORDERS)}")
    for name, value, high in (("limit", limit, MAX_PAGE), ("offset", offset, 2**62)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
            raise InvalidInput(f"{name} must be a whole number in 0..{high}, got {value!r}")
    sort = ORDERS[order]
    sql = (
        f"with page as (select {_QUALIFIED} from tracks t{where} order by {sort} limit {limit} offset {offset}), "
        "counts as (select track_id, count(*) as n from comments "
        "where track_id in (select id from page) group by track_id) "
        f"select page.*, coalesce(counts.n, 0) from page left join counts on counts.track_id = page.id "
        f"order by {sort}"
    )
    return sql, []


def count_sql(where: str) -> str:
    return f"select count(*) from tracks t{where}"


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


def row_to_track(row: tuple) -> Track:
    """A row of TRACK_COLUMNS (plus, optionally, a comment count) as a Track."""
    (id_, filepath, duration, sample_rate, channels, created_at, prompt, seed, engine, model, config,
     parent_id, derivation, region_start, region_end, favorite, disliked, public, tags, extra,
     trashed_at) = row[:21]
    return Track(
        id=id_, filepath=filepath, duration=duration, sample_rate=sample_rate, channels=channels,
        created_at=_aware(created_at), prompt=prompt, seed=seed, engine=engine, model=model,
        config=from_json(config, {}), parent_id=parent_id, derivation=derivation,
        region=None if region_start is None else Region(region_start, region_end),
        favorite=favorite, disliked=disliked, public=public, tags=tuple(tags or ()),
        extra=from_json(extra, {}), trashed_at=_aware(trashed_at),
        comment_count=int(row[21]) if len(row) > 21 else 0,
    )
