"""The Library API on tmp_path libraries with real audio files."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np
import pytest
from filelock import FileLock

from workbench.audio import Audio
from workbench.errors import InvalidInput, LibraryBusy, LibraryError, TrackNotFound
from workbench.library import Album, Comment, Library, Track, default_library_path
from workbench.library.schema import _TRACKS, MIGRATIONS, Migration, apply_migrations, rebuild_table
from workbench.regions import Region


def tone(seconds=0.5, freq=440.0, rate=8000, channels=1, amplitude=0.5):
    t = np.arange(int(seconds * rate)) / rate
    wave = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return Audio(np.tile(wave, (channels, 1)), rate)


@pytest.fixture
def lib(tmp_path):
    return Library(tmp_path / "library.duckdb")


def test_add_writes_audio_and_row_with_everything(lib, tmp_path):
    audio = tone(channels=2, amplitude=1.3)  # peaks above 0 dBFS survive float WAV
    parent = lib.add(tone(), prompt="parent")
    track = lib.add(audio, prompt="lofi piano", seed=7, config={"weirdness": 1.2, "nested": {"a": [1, 2]}},
                    parent=parent, derivation="inpaint", region=(0.1, 0.3), tags=["lofi", " lofi", "piano"],
                    engine="sketch", model="tiny", extra={"bpm": 90})
    assert isinstance(track, Track) and len(track.id) == 15
    assert (tmp_path / "audio").is_dir() and not track.filepath.startswith("/")
    again = lib.get(track.id)
    assert again == track
    assert (track.duration, track.sample_rate, track.channels) == (0.5, 8000, 2)
    assert track.config == {"weirdness": 1.2, "nested": {"a": [1, 2]}} and track.extra == {"bpm": 90}
    assert track.region == Region(0.1, 0.3) and track.tags == ("lofi", "piano")
    assert track.parent_id == parent.id and track.derivation == "inpaint" and track.seed == 7
    assert track.created_at.tzinfo is not None and abs(datetime.now(UTC) - track.created_at) < timedelta(minutes=1)
    np.testing.assert_array_equal(lib.audio(track).samples, audio.samples)  # bit-exact round trip
    assert lib.lineage(track) == [parent] and lib.lineage(parent) == []


def test_add_validates_before_writing_anything(lib, tmp_path):
    bad = [dict(prompt="x" * 100_000), dict(seed="12"), dict(derivation="In Paint!"), dict(config={"a": float("nan")}),
           dict(config=[1, 2]), dict(region=(3, 1)), dict(tags=[1]), dict(parent="nope")]
    for kwargs in bad:
        with pytest.raises((InvalidInput, TrackNotFound)):
            lib.add(tone(), **kwargs)
    assert lib.count(include_trash=True) == 0
    assert not [p for p in (tmp_path / "audio").rglob("*") if p.is_file()]


def test_ids_sort_by_time_and_are_unique(lib):
    ids = [lib.add(tone(0.1)).id for _ in range(5)]
    assert len(set(ids)) == 5 and ids == sorted(ids)
    assert [t.id for t in lib.search(order="oldest")] == ids


def test_search_filters_order_and_paging(lib):
    old = datetime(2024, 1, 1, tzinfo=UTC)
    a = lib.add(tone(0.2), prompt="Lofi Piano in the rain", tags=["lofi", "keys"], created_at=old)
    b = lib.add(tone(0.4), prompt="synthwave 100% retro_drive", tags=["synth"])
    c = lib.add(tone(0.3), prompt="lofi drums", tags=["lofi"])
    lib.set_favorite(a.id)
    assert [t.id for t in lib.search()] == [c.id, b.id, a.id]
    assert [t.id for t in lib.search(text="LOFI")] == [c.id, a.id]
    assert [t.id for t in lib.search(text="piano lofi")] == [a.id]
    assert [t.id for t in lib.search(text="100%")] == [b.id] and lib.search(text="0%r") == []
    assert [t.id for t in lib.search(text="retro_drive")] == [b.id] and lib.search(text="retroxdrive") == []
    assert [t.id for t in lib.search(favorite=True)] == [a.id]
    assert {t.id for t in lib.search(favorite=False)} == {b.id, c.id}
    assert [t.id for t in lib.search(tags=["lofi", "keys"])] == [a.id]
    assert [t.id for t in lib.search(since=datetime(2025, 1, 1))] == [c.id, b.id]
    assert [t.id for t in lib.search(until="2025-01-01T00:00:00")] == [a.id]
    assert [t.id for t in lib.search(order="longest")] == [b.id, c.id, a.id]
    assert [t.id for t in lib.search(limit=1, offset=1)] == [b.id]
    assert lib.count() == 3 and lib.count(text="lofi") == 2 and lib.count(favorite=True) == 1
    for bad in (dict(order="random"), dict(limit=-1), dict(favorite="yes"), dict(include_trash="maybe")):
        with pytest.raises(InvalidInput):
            lib.search(**bad)


def test_flags_exclusive_idempotent_and_batched(lib):
    a, b = lib.add(tone(0.1)), lib.add(tone(0.1))
    assert lib.set_favorite(a.id).favorite
    assert lib.set_favorite(a.id, True).favorite  # a retried click never flips it back
    t = lib.set_disliked(a.id)
    assert t.disliked and not t.favorite
    assert lib.set_favorite(a.id, False).disliked  # clearing favourite leaves disliked alone
    assert lib.get(a.id).disliked
    both = lib.set_favorite([a.id, b.id])
    assert [t.favorite for t in both] == [True, True] and not any(t.disliked for t in both)
    with pytest.raises(TrackNotFound):
        lib.set_public([a.id, "missing"])  # one transaction: nothing changes
    assert not lib.get(a.id).public
    assert lib.set_public(a.id).public
    with pytest.raises(InvalidInput):
        lib.set_favorite(a.id, "yes")
    with duckdb.connect(str(lib.path)) as con:  # the schema itself refuses both flags
        with pytest.raises(duckdb.ConstraintException):
            con.execute("update tracks set disliked = true where id = ?", [a.id])


def test_comments(lib):
    t = lib.add(tone(2.0))
    c1 = lib.add_comment(t.id, at=1.5, text="  Fix the drums at 0:15 ", author="ana")
    c2 = lib.add_comment(t, at=0.25, end=1.0, text="<script>alert(1)</script>")
    assert isinstance(c1, Comment) and c1.text == "Fix the drums at 0:15"
    assert [c.id for c in lib.comments(t.id)] == [c2.id, c1.id]
    assert lib.comments(t.id)[0].text == "<script>alert(1)</script>" and lib.comments(t.id)[0].end == 1.0
    assert lib.search()[0].comment_count == 2 and lib.get(t.id).comment_count == 2
    lib.delete_comment(c2.id)
    assert [c.id for c in lib.comments(t.id)] == [c1.id]
    for kwargs in (dict(at=3.0, text="x"), dict(at=-1, text="x"), dict(at=1, text="   "),
                   dict(at=1, end=0.5, text="x"), dict(at=float("nan"), text="x")):
        with pytest.raises(InvalidInput):
            lib.add_comment(t.id, **kwargs)
    with pytest.raises(TrackNotFound):
        lib.add_comment("missing", at=0, text="x")
    with pytest.raises(TrackNotFound):
        lib.delete_comment(c2.id)


def test_albums(lib):
    a, b = lib.add(tone(0.1)), lib.add(tone(0.1))
    album = lib.create_album("Demos")
    assert isinstance(album, Album) and album.track_count == 0
    with pytest.raises(InvalidInput, match="exists already"):
        lib.create_album("Demos")
    assert lib.add_to_album(album.id, [a.id, b.id, a.id]).track_count == 2
    assert lib.add_to_album(album, [a]).track_count == 2
    assert {t.id for t in lib.search(album=album.id)} == {a.id, b.id}
    assert lib.remove_from_album(album.id, [a.id]).track_count == 1
    lib.trash(b.id)
    assert lib.albums()[0].track_count == 0  # trashed tracks do not count
    with pytest.raises(TrackNotFound):
        lib.add_to_album("nope", [a.id])
    lib.delete_album(album.id)
    assert lib.albums() == [] and lib.count(include_trash=True) == 2


def test_trash_restore_purge(lib):
    keep, gone = lib.add(tone(0.1)), lib.add(tone(0.1))
    lib.add_comment(gone, at=0, text="bye")
    album = lib.create_album("A")
    lib.add_to_album(album, [gone])
    assert lib.trash([gone.id]) == 1 and lib.trash([gone.id]) == 0
    assert [t.id for t in lib.search()] == [keep.id]
    assert [t.id for t in lib.search(include_trash="only")] == [gone.id]
    assert lib.count(include_trash=True) == 2
    assert lib.restore(gone.id) == 1 and lib.count() == 2
    lib.trash(gone.id)
    path = lib.path_of(gone)
    assert path.exists()
    assert lib.purge() == [gone.id]
    assert not path.exists() and lib.count(include_trash=True) == 1
    with pytest.raises(TrackNotFound):
        lib.get(gone.id)
    assert lib.check().ok


def test_sweep_tables(lib):
    t = lib.add(tone(0.1))
    sweep_id = lib.create_sweep({"prompt": "lofi", "loyalty": [0, 1], "seeds": [0]})
    assert lib.sweep(sweep_id).status == "running" and lib.sweep(sweep_id).definition["loyalty"] == [0, 1]
    lib.record_sweep_cell(sweep_id, {"loyalty": 0, "seed": 0}, t.id, {"chroma": 0.5})
    lib.record_sweep_cell(sweep_id, {"seed": 0, "loyalty": 0}, t.id, {"chroma": 0.7})  # same cell: replaced
    lib.record_sweep_cell(sweep_id, {"loyalty": 1, "seed": 0}, None, {})
    cells = lib.sweep_cells(sweep_id)
    assert [c.metrics for c in cells] == [{"chroma": 0.7}, {}] and cells[0].key == {"loyalty": 0, "seed": 0}
    assert lib.set_sweep_status(sweep_id, "done").cell_count == 2
    assert [s.id for s in lib.sweeps()] == [sweep_id]
    with pytest.raises(InvalidInput):
        lib.set_sweep_status(sweep_id, "finished")
    with pytest.raises(TrackNotFound):
        lib.record_sweep_cell(sweep_id, {"x": 1}, "missing", {})
    lib.trash(t)
    lib.purge()
    assert lib.sweep_cells(sweep_id)[0].track_id is None  # results outlive the track


def test_folder_can_move_and_reopen(tmp_path):
    lib = Library(tmp_path / "a" / "library.duckdb")
    t = lib.add(tone(0.2), prompt="moved")
    shutil.move(tmp_path / "a", tmp_path / "b")
    moved = Library(tmp_path / "b" / "library.duckdb")
    assert moved.get(t.id).prompt == "moved" and moved.audio(t.id).duration == 0.2


def test_flac_format_halves_files_but_keeps_hot_tracks_float(tmp_path):
    lib = Library(tmp_path / "library.duckdb", audio_format="flac")
    quiet, hot = lib.add(tone(0.5, amplitude=0.5)), lib.add(tone(0.5, amplitude=1.5))
    assert quiet.filepath.endswith(".flac") and hot.filepath.endswith(".wav")
    assert np.abs(lib.audio(quiet).samples - tone(0.5).samples).max() < 1e-6


def test_lock_timeout_raises_library_busy_naming_the_lock(lib):
    track = lib.add(tone(0.1))
    busy = Library(lib.path, lock_timeout=0.3)
    held, release = threading.Event(), threading.Event()

    def hold():
        with FileLock(str(lib.lock.path)):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    try:
        with pytest.raises(LibraryBusy, match=r"library.duckdb.lock.*|waited 0\.\d s") as error:
            busy.set_favorite(track.id)
        assert str(lib.lock.path) in str(error.value) and "waited" in str(error.value)
    finally:
        release.set()
        thread.join()
    assert busy.set_favorite(track.id).favorite


def test_default_library_path(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "x.duckdb"))
    assert default_library_path() == tmp_path / "x.duckdb"
    assert Library().path == tmp_path / "x.duckdb"
    monkeypatch.delenv("WORKBENCH_DB")
    monkeypatch.chdir(tmp_path)
    assert default_library_path() == tmp_path / "library.duckdb"


def test_migrations_recorded_and_rebuild_keeps_rows(lib):
    t = lib.add(tone(0.1), prompt="kept", tags=["a"])
    with duckdb.connect(str(lib.path)) as con:
        names = [r[0] for r in con.execute("select name from schema_migrations order by name").fetchall()]
    assert names == [m.name for m in MIGRATIONS]

    def drop_public(con):  # a non-additive change: a column goes away
        create = _TRACKS.split(";")[0].replace("    public boolean not null default false,\n", "")
        assert "public" not in create
        cols = [r[0] for r in con.execute("select column_name from information_schema.columns "
                                          "where table_name = 'tracks' and column_name <> 'public' "
                                          "order by ordinal_position").fetchall()]
        rebuild_table(con, "tracks", create, f"select {', '.join(cols)} from {{old}}")

    with duckdb.connect(str(lib.path)) as con:
        con.begin()
        assert apply_migrations(con, (*MIGRATIONS, Migration("9999_drop_public", drop_public))) == ["9999_drop_public"]
        con.commit()
        assert con.execute("select prompt, tags from tracks where id = ?", [t.id]).fetchone() == ("kept", ["a"])
        assert "public" not in [r[0] for r in con.execute("describe tracks").fetchall()]
    with pytest.raises(LibraryError, match="newer workbench"):
        Library(lib.path)


def test_unwritable_audio_folder_is_a_clear_error_with_nothing_half_written(tmp_path):
    (tmp_path / "audio").write_text("a file where the audio folder should be")
    lib = Library(tmp_path / "library.duckdb")
    with pytest.raises(LibraryError, match="cannot write the audio file"):
        lib.add(tone(0.1))
    assert lib.count(include_trash=True) == 0 and lib.check(min_age=0).ok
