"""The library schema as named, ordered migrations, recorded in `schema_migrations`.

Rules (DuckDB 2.0 facts, see DESIGN.md): foreign keys cannot cascade, so none are declared (the Library
deletes dependants itself); explicit CREATE INDEX blocks later ALTERs, so there are none (columnar scans
are fast enough at 1M tracks, see bench/library.py); CHECK constraints are decided up front. A
non-additive change (drop/rename/retype a column, change a constraint) is a table rebuild with
`rebuild_table()`, inside the migration's transaction. Times are naive UTC TIMESTAMPs; JSON is VARCHAR.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from ..errors import LibraryError

__all__ = ["Migration", "MIGRATIONS", "apply_migrations", "applied_migrations", "rebuild_table"]

Step = str | Callable[[duckdb.DuckDBPyConnection], None]


@dataclass(frozen=True)
class Migration:
    name: str  # recorded in schema_migrations; never rename a shipped migration
    step: Step  # SQL (one or more statements) or a function of the open connection


_TRACKS = """
create table tracks (
    id varchar primary key,
    filepath varchar not null,
    duration double not null check (duration > 0),
    sample_rate integer not null check (sample_rate > 0),
    channels integer not null check (channels >= 1),
    prompt varchar not null default '',
    seed bigint,
    engine varchar,
    model varchar,
    config varchar not null default '{}',
    parent_id varchar,
    derivation varchar not null default 'generate',
    region_start double,
    region_end double,
    favorite boolean not null default false,
    disliked boolean not null default false,
    public boolean not null default false,
    tags varchar[] not null default [],
    extra varchar not null default '{}',
    created_at timestamp not null,
    trashed_at timestamp,
    check (not (favorite and disliked)),
    check ((region_start is null) = (region_end is null)),
    check (region_start is null or (region_start >= 0 and region_start < region_end))
);
create table comments (
    id varchar primary key,
    track_id varchar not null,
    at_s double not null check (at_s >= 0),
    end_s double,
    text varchar not null,
    author varchar,
    created_at timestamp not null,
    check (end_s is null or end_s > at_s)
);
create table albums (
    id varchar primary key,
    title varchar not null unique,
    created_at timestamp not null
);
create table album_tracks (
    album_id varchar not null,
    track_id varchar not null,
    added_at timestamp not null,
    primary key (album_id, track_id)
);
create table meta (key varchar primary key, value varchar);
"""

_SWEEPS = """
create table sweeps (
    id varchar primary key,
    definition varchar not null,
    created_at timestamp not null,
    status varchar not null default 'running'
        check (status in ('pending', 'running', 'done', 'failed', 'cancelled'))
);
create table sweep_cells (
    sweep_id varchar not null,
    cell_key varchar not null,
    track_id varchar,
    metrics varchar not null default '{}',
    created_at timestamp not null,
    primary key (sweep_id, cell_key)
);
"""

# One row per legacy metadata file imported: makes the import idempotent and restartable.
_LEGACY = """
create table legacy_imports (
    source_key varchar primary key,
    source_file varchar not null,
    track_id varchar not null,
    imported_at timestamp not null
);
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_tracks_comments_albums", _TRACKS),
    Migration("0002_sweeps", _SWEEPS),
    Migration("0003_legacy_imports", _LEGACY),
)


def applied_migrations(con: duckdb.DuckDBPyConnection) -> list[str]:
    con.execute("create table if not exists schema_migrations (name varchar primary key, applied_at timestamp)")
    return [row[0] for row in con.execute("select name from schema_migrations order by applied_at, name").fetchall()]


def apply_migrations(con: duckdb.DuckDBPyConnection, migrations: Sequence[Migration] = MIGRATIONS) -> list[str]:
    """Apply the pending migrations in order, in the caller's transaction; returns their names.

    A library written by a newer workbench (migrations this code does not know) is refused rather than
    half-understood.
    """
    done = applied_migrations(con)
    known = [m.name for m in migrations]
    unknown = [name for name in done if name not in known]
    if unknown:
        raise LibraryError(
            f"this library was written by a newer workbench (unknown migrations {unknown}); upgrade the workbench"
        )
    applied = []
    for migration in migrations:
        if migration.name in done:
            continue
        if callable(migration.step):
            migration.step(con)
        else:
            con.execute(migration.step)
        con.execute("insert into schema_migrations values (?, ?)", [migration.name, _utc_naive_now()])
        applied.append(migration.name)
    return applied


def _utc_naive_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def rebuild_table(con: duckdb.DuckDBPyConnection, table: str, create_sql: str, select_sql: str) -> None:
    """Replace `table` by a new definition and copy the rows over (a non-additive migration).

    `create_sql` is the new `create table {table} (...)`; `select_sql` selects the new columns from the
    old table, which is reachable as `{old}` (e.g. "select id, cast(seed as varchar) from {old}").
    Runs inside the migration's transaction, so a failure leaves the old table untouched.
    """
    old = f"{table}__old"
    con.execute(f"alter table {table} rename to {old}")
    con.execute(create_sql)
    con.execute(f"insert into {table} " + select_sql.format(old=old))
    con.execute(f"drop table {old}")
