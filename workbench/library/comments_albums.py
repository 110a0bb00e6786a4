"""Comments and albums of the `Library` (a mixin: the Library supplies `_session` and `_require_tracks`)."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidInput, TrackNotFound
from .models import Album, Comment, IdList, Track, check_seconds, new_id, track_ids, utc_now
from .queries import naive_utc

__all__ = ["CommentsAlbumsMixin", "MAX_COMMENT_CHARS", "MAX_TITLE_CHARS"]

MAX_COMMENT_CHARS = 10_000
MAX_TITLE_CHARS = 200
_DURATION_TOLERANCE = 1e-3  # a playhead may sit a hair past the last sample


def _text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text, got {type(value).__name__}")
    value = value.strip()
    if not value:
        raise InvalidInput(f"{name} is empty")
    if len(value) > limit:
        raise InvalidInput(f"{name} is {len(value)} characters long; the limit is {limit}")
    if "\x00" in value:
        raise InvalidInput(f"{name} holds a NUL character")
    return value


def _id_of(value: Any, kind: str) -> str:
    value = getattr(value, "id", value)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{kind} id must be a non-empty string, got {value!r}")
    return value


def _comment(row: tuple) -> Comment:
    id_, track_id, at, end, text, author, created_at = row
    return Comment(id=id_, track_id=track_id, at=at, end=end, text=text, author=author,
                   created_at=created_at.replace(tzinfo=utc_now().tzinfo))


def _album(row: tuple) -> Album:
    id_, title, created_at, count = row
    return Album(id=id_, title=title, created_at=created_at.replace(tzinfo=utc_now().tzinfo), track_count=count)


_ALBUM_SQL = ("select a.id, a.title, a.created_at, count(t.id) from albums a "
              "left join album_tracks at2 on at2.album_id = a.id "
              "left join tracks t on t.id = at2.track_id and t.trashed_at is null ")


class CommentsAlbumsMixin:
    # ----------------------------------------------------------------- comments
    def add_comment(self, track_id: str | Track, at: float = 0.0, text: str = "", end: float | None = None,
                    author: str | None = None) -> Comment:
        """A note at `at` seconds (or on the span at..end) of a track; both must lie within its duration."""
        track_id = _id_of(track_id, "track")
        text = _text(text, "comment text", MAX_COMMENT_CHARS)
        at = check_seconds(at, "comment time")
        end = None if end is None else check_seconds(end, "comment end")
        if end is not None and end <= at:
            raise InvalidInput(f"comment end {end:.3f} s must be after its start {at:.3f} s")
        author = None if author is None else _text(author, "author", MAX_TITLE_CHARS)
        comment = Comment(id=new_id(), track_id=track_id, at=at, end=end, text=text, author=author,
                          created_at=utc_now())
        with self._session("add comment") as con:
            row = con.execute("select duration from tracks where id = ?", [track_id]).fetchone()
            if row is None:
                raise TrackNotFound(f"no track with id {track_id!r} to comment on")
            limit = row[0] + _DURATION_TOLERANCE
            if at > limit or (end is not None and end > limit):
                span = f"{at:.3f}" if end is None else f"{at:.3f}-{end:.3f}"
                raise InvalidInput(f"comment time {span} s lies outside the track's 0..{row[0]:.3f} s")
            con.execute("insert into comments values (?, ?, ?, ?, ?, ?, ?)",
                        [comment.id, track_id, at, end, text, author, naive_utc(comment.created_at)])
        return comment

    def comments(self, track_id: str | Track) -> list[Comment]:
        """A track's comments in time order."""
        track_id = _id_of(track_id, "track")
        with self._session("comments") as con:
            self._require_tracks(con, [track_id])
            rows = con.execute("select id, track_id, at_s, end_s, text, author, created_at from comments "
                               "where track_id = ? order by at_s, created_at, id", [track_id]).fetchall()
        return [_comment(r) for r in rows]

    def delete_comment(self, comment_id: str | Comment) -> None:
        comment_id = _id_of(comment_id, "comment")
        with self._session("delete comment") as con:
            if not con.execute("delete from comments where id = ?", [comment_id]).fetchone()[0]:
                raise TrackNotFound(f"no comment with id {comment_id!r}")

    # ----------------------------------------------------------------- albums
    def create_album(self, title: str) -> Album:
        """A new, empty album. Titles are unique (InvalidInput names the existing album)."""
        title = _text(title, "album title", MAX_TITLE_CHARS)
        album = Album(id=new_id(), title=title, created_at=utc_now())
        with self._session("create album") as con:
            existing = con.execute("select id from albums where title = ?", [title]).fetchone()
            if existing:
                raise InvalidInput(f"an album titled {title!r} exists already (id {existing[0]})")
            con.execute("insert into albums values (?, ?, ?)", [album.id, title, naive_utc(album.created_at)])
        return album

    def album(self, album_id: str | Album) -> Album:
        album_id = _id_of(album_id, "album")
        with self._session("album") as con:
            row = con.execute(_ALBUM_SQL + "where a.id = ? group by all", [album_id]).fetchone()
        if row is None:
            raise TrackNotFound(f"no album with id {album_id!r}")
        return _album(row)

    def albums(self) -> list[Album]:
        """All albums by title, each with its number of (untrashed) tracks."""
        with self._session("albums") as con:
            rows = con.execute(_ALBUM_SQL + "group by all order by a.title, a.id").fetchall()
        return [_album(r) for r in rows]

    def _album_members(self, album_id: Any, ids: IdList):
        return _id_of(album_id, "album"), track_ids(ids)

    def _require_album(self, con, album_id: str) -> None:
        if not con.execute("select count(*) from albums where id = ?", [album_id]).fetchone()[0]:
            raise TrackNotFound(f"no album with id {album_id!r}")

    def add_to_album(self, album_id: str | Album, ids: IdList) -> Album:
        """Add tracks to an album (ones already in it stay once); one transaction."""
        album_id, id_list = self._album_members(album_id, ids)
        with self._session("add to album") as con:
            self._require_album(con, album_id)
            self._require_tracks(con, id_list)
            con.execute("insert into album_tracks select ?, unnest(?), ? on conflict do nothing",
                        [album_id, id_list, naive_utc(utc_now())])
        return self.album(album_id)

    def remove_from_album(self, album_id: str | Album, ids: IdList) -> Album:
        album_id, id_list = self._album_members(album_id, ids)
        with self._session("remove from album") as con:
            self._require_album(con, album_id)
            con.execute("delete from album_tracks where album_id = ? and track_id in (select unnest(?))",
                        [album_id, id_list])
        return self.album(album_id)

    def delete_album(self, album_id: str | Album) -> None:
        """Delete an album (its tracks stay in the library)."""
        album_id = _id_of(album_id, "album")
        with self._session("delete album") as con:
            self._require_album(con, album_id)
            con.execute("delete from album_tracks where album_id = ?", [album_id])
            con.execute("delete from albums where id = ?", [album_id])
