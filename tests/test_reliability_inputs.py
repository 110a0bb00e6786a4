"""A corpus of bad inputs at every entry point: each gets a clear WorkbenchError naming the problem, and the
library (every table's rows and every file under its root) is exactly as before.

Entry points: audio files imported into the library, regions of the edit operations, slider values,
prompts, upscaling targets, remix input, engine names, track ids, the dashboard's form fields (at the
Library API the dashboard calls) and legacy metadata JSON (which the import skips with a reason, never
aborting). Valid-but-odd inputs (an empty prompt, RTL text, emoji, combining marks) must work instead.
"""

from __future__ import annotations

import json
import math
import re
import struct
from pathlib import Path

import numpy as np
import pytest
from reliability import library_state

from workbench.audio import Audio
from workbench.errors import (
    AudioFileError,
    EngineError,
    InvalidInput,
    ParameterError,
    RegionError,
    TrackNotFound,
    WorkbenchError,
)
from workbench.library import Library
from workbench.studio import Studio

SR = 32000


def _float_wav(rate: int, samples: np.ndarray) -> bytes:
    """A float32 mono WAV written by hand, so rates and values libsndfile would refuse to write can exist."""
    data = np.asarray(samples, "<f4").tobytes()
    fmt = struct.pack("<IHHIIHH", 16, 3, 1, rate, rate * 4, 4, 32)
    return b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + fmt + b"data" + \
        struct.pack("<I", len(data)) + data


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A library with content (tracks, a comment, an album) and a folder of bad files beside it."""
    root = tmp_path_factory.mktemp("inputs")
    studio = Studio(Library(root / "lib" / "library.duckdb"), engine="sketch")
    lib = studio.library
    take = studio.generate("bad input target, 110 bpm", duration=8.0, seed=3)
    silent = lib.add(Audio(np.zeros((1, SR * 2), np.float32), SR), prompt="silence")
    rng = np.random.default_rng(0)
    long = lib.add(Audio(rng.standard_normal((1, 8000 * 40)).astype(np.float32) * 0.1, 8000), prompt="long")
    lib.add_comment(take, at=1.0, text="existing comment")
    lib.add_to_album(lib.create_album("Existing album"), take)

    bad = root / "bad"
    bad.mkdir()
    good = Audio(rng.standard_normal((1, SR)).astype(np.float32) * 0.1, SR)
    (bad / "empty.wav").write_bytes(b"")
    wav = good.to_bytes("WAV", "FLOAT")
    (bad / "truncated.wav").write_bytes(wav[: len(wav) // 2])
    flac = good.to_bytes("FLAC", "PCM_24")
    (bad / "truncated.flac").write_bytes(flac[: len(flac) // 2])
    for suffix in ("wav", "flac", "ogg"):
        (bad / f"text.{suffix}").write_text("these are not the samples you are looking for\n" * 20)
    (bad / "folder.wav").mkdir()
    (bad / "nan.wav").write_bytes(_float_wav(8000, np.r_[np.zeros(100), np.nan, np.zeros(100)]))
    (bad / "inf.wav").write_bytes(_float_wav(8000, np.r_[np.zeros(100), np.inf]))
    (bad / "one_hz.wav").write_bytes(_float_wav(1, np.zeros(10)))
    (bad / "header_only.wav").write_bytes(_float_wav(8000, np.zeros(0)))
    return {"studio": studio, "lib": lib, "take": take.id, "silent": silent.id, "long": long.id, "bad": bad,
            "root": root}


def _file(name):
    return lambda w: w["lib"].add(w["bad"] / name, prompt="import")


def _gen(**kw):
    return lambda w: w["studio"].generate(kw.pop("prompt", "ok"), **{"duration": 2.0, "seed": 1, **kw})


def _inpaint(start, end, track="take", **kw):
    return lambda w: w["studio"].inpaint(w[track], start, end, seed=1, candidates=1, **kw)


def _comment(**kw):
    return lambda w: w["lib"].add_comment(w["take"], **{"at": 1.0, "text": "fine", **kw})


CORPUS = [
    # ---- audio files imported into the library
    ("empty wav", _file("empty.wav"), AudioFileError, r"empty \(0 bytes\)"),
    ("truncated wav", _file("truncated.wav"), AudioFileError, r"WAV file is truncated"),
    ("truncated flac", _file("truncated.flac"), AudioFileError, r"cannot decode audio file .*truncated\.flac"),
    ("text as .wav", _file("text.wav"), AudioFileError, r"cannot decode audio file .*text\.wav"),
    ("text as .flac", _file("text.flac"), AudioFileError, r"cannot decode audio file .*text\.flac"),
    ("text as .ogg", _file("text.ogg"), AudioFileError, r"cannot decode audio file .*text\.ogg"),
    ("directory", _file("folder.wav"), AudioFileError, r"not a regular file"),
    ("NaN samples", _file("nan.wav"), AudioFileError, r"1 NaN or infinite samples \(first at sample 100\)"),
    ("infinite samples", _file("inf.wav"), AudioFileError, r"NaN or infinite samples"),
    ("1 Hz sample rate", _file("one_hz.wav"), AudioFileError, r"sample rate 1 Hz is outside 1000\.\.768000"),
    ("header only", _file("header_only.wav"), AudioFileError, r"holds no samples"),
    ("missing file", _file("missing.wav"), AudioFileError, r"audio file not found"),
    # ---- regions
    ("region start == end", _inpaint(3.0, 3.0), RegionError, r"start 3\.000 s must be before its end 3\.000"),
    ("region start > end", _inpaint(5.0, 2.0), RegionError, r"must be before its end"),
    ("region negative", _inpaint(-1.0, 2.0), RegionError, r"start -1\.000 s is negative"),
    ("region past the end", _inpaint(6.0, 12.0), RegionError, r"ends past the audio's duration 8\.000"),
    ("region shorter than crossfade", _inpaint(2.0, 2.05), RegionError, r"at least 0\.100 s is needed"),
    ("region longer than engine window", _inpaint(1.0, 39.0, track="long"), ParameterError,
     r"renders at most 30 s"),
    ("region NaN", _inpaint(math.nan, 2.0), RegionError, r"start must be a finite number.*nan"),
    ("region as text", _inpaint("1", 2.0), RegionError, r"start must be a finite number.*'1'"),
    ("delete whole track", lambda w: w["studio"].delete_region(w["take"], 0.0, 8.0), RegionError,
     r"covers the whole"),
    ("loop once", lambda w: w["studio"].loop_region(w["take"], 1.0, 2.0, times=1), RegionError,
     r"loop times must be a whole number in 2\.\.64"),
    ("candidates 0", lambda w: w["studio"].inpaint(w["take"], 1.0, 3.0, candidates=0), ParameterError,
     r"candidates must be a whole number in 1\.\.16"),
    # ---- sliders and settings
    ("weirdness too high", _gen(weirdness=5), ParameterError, r"weirdness = 5 is out of range: allowed 0\.1\.\.1\.5"),
    ("loyalty NaN", _gen(loyalty=math.nan), ParameterError, r"loyalty must be a finite number, got nan"),
    ("genre_shift text", _gen(genre_shift="high"), ParameterError, r"genre_shift must be a finite number.*'high'"),
    ("structure bool", _gen(structure=True), ParameterError, r"structure must be a finite number, got True"),
    ("top_k fraction", _gen(top_k=1.5), ParameterError, r"top_k must be a whole number"),
    ("unknown slider", _gen(tempo=120), ParameterError, r"unknown setting\(s\) tempo"),
    ("duration 0", _gen(duration=0), ParameterError, r"duration = 0 is out of range"),
    ("duration past window", _gen(duration=31.0), ParameterError, r"longer than sketch's window of 30 s"),
    ("seed negative", _gen(seed=-1), ParameterError, r"seed must be an integer in 0\.\."),
    ("n = 0", _gen(n=0), ParameterError, r"n must be a whole number in 1\.\.64"),
    ("structure out of range on edit", lambda w: w["studio"].delete_region(w["take"], 1.0, 2.0, structure=2),
     ParameterError, r"structure = 2 is out of range"),
    # ---- prompts
    ("prompt of 100,000 chars", _gen(prompt="x" * 100_000), ParameterError,
     r"prompt is 100000 characters long; the limit is 2000"),
    ("prompt with NUL", _gen(prompt="lofi\x00piano"), ParameterError, r"control character '\\x00'"),
    ("prompt with ESC", _gen(prompt="lofi \x1b[31m red"), ParameterError, r"control character '\\x1b'"),
    ("prompt not text", _gen(prompt=42), ParameterError, r"prompt must be text, got int"),
    # ---- upscaling, remix, engines
    ("upscale below source", lambda w: w["studio"].upscale(w["take"], 16000), ParameterError,
     r"needs a target above the track's 32000 Hz, got 16000"),
    ("upscale to same rate", lambda w: w["studio"].upscale(w["take"], 32000), ParameterError,
     r"target above the track's 32000 Hz"),
    ("upscale rate as text", lambda w: w["studio"].upscale(w["take"], "48k"), ParameterError,
     r"sample_rate must be a whole number of Hz.*'48k'"),
    ("unknown upscaler", lambda w: w["studio"].upscale(w["take"], 48000, method="magic").result(30), EngineError,
     r"unknown upscaler 'magic'"),
    ("remix of silence", lambda w: w["studio"].remix(w["silent"], n=1), InvalidInput, r"is silent"),
    ("unknown engine", _gen(engine="musicgen-huge"), EngineError, r"unknown generator 'musicgen-huge'"),
    ("unknown in-painting engine", _inpaint(1.0, 3.0, engine="nope"), EngineError, r"unknown generator 'nope'"),
    ("unknown background operation", lambda w: w["studio"].submit("format_disk"), InvalidInput,
     r"cannot run 'format_disk' in the background"),
    # ---- track ids
    ("unknown track id", lambda w: w["studio"].inpaint("0000000000nope0", 1.0, 2.0), TrackNotFound,
     r"no track with id '0000000000nope0'"),
    ("empty track id", lambda w: w["lib"].get(""), InvalidInput, r"track ids must be non-empty strings"),
    ("unknown melody track", _gen(melody="not-a-track"), TrackNotFound, r"no track with id 'not-a-track'"),
    ("unknown parent", lambda w: w["lib"].add(Audio(np.ones(800, np.float32) * 0.1, 8000), parent="ghost"),
     TrackNotFound, r"no track with id 'ghost'"),
    # ---- dashboard form fields, at the Library API
    ("comment of 100k chars", _comment(text="y" * 100_000), InvalidInput,
     r"comment text is 100000 characters long; the limit is 10000"),
    ("comment at -1", _comment(at=-1), InvalidInput, r"comment time = -1 s is out of range"),
    ("comment at NaN", _comment(at=math.nan), InvalidInput, r"comment time must be a finite number.*nan"),
    ("comment past the end", _comment(at=100.0), InvalidInput, r"comment time 100\.000 s lies outside .*8\.000"),
    ("comment at as text", _comment(at="3"), InvalidInput, r"comment time must be a finite number.*'3'"),
    ("comment blank", _comment(text="   "), InvalidInput, r"comment text is empty"),
    ("comment with NUL", _comment(text="a\x00b"), InvalidInput, r"comment text holds a NUL"),
    ("comment span backwards", _comment(at=3.0, end=2.0), InvalidInput, r"end 2\.000 s must be after its start"),
    ("comment on unknown track", lambda w: w["lib"].add_comment("ghost", at=0.0, text="hi"), TrackNotFound,
     r"no track with id 'ghost'"),
    ("album title empty", lambda w: w["lib"].create_album(""), InvalidInput, r"album title is empty"),
    ("album title huge", lambda w: w["lib"].create_album("z" * 100_000), InvalidInput,
     r"album title is 100000 characters long; the limit is 200"),
    ("album title taken", lambda w: w["lib"].create_album("Existing album"), InvalidInput, r"exists already"),
    ("heart with a string", lambda w: w["lib"].set_favorite(w["take"], "yes"), InvalidInput,
     r"favorite must be True or False, got 'yes'"),
    ("file into unknown album", lambda w: w["lib"].add_to_album("ghost-album", w["take"]), TrackNotFound,
     r"no album with id 'ghost-album'"),
]


@pytest.mark.parametrize(("case", "call", "error", "message"), CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_input_is_refused_and_changes_nothing(world, case, call, error, message):
    before = library_state(world["lib"].path)
    with pytest.raises(error, match=message) as raised:
        call(world)
    assert isinstance(raised.value, WorkbenchError)
    assert library_state(world["lib"].path) == before


# Bad track ids of the wrong type reach `list(ids)` in models.track_ids and escape as TypeError.
WRONG_TYPE_IDS = [("track id as int", 123), ("track id None", None), ("track id float", 1.5)]


@pytest.mark.parametrize(("case", "bad_id"), WRONG_TYPE_IDS, ids=[c[0] for c in WRONG_TYPE_IDS])
def test_track_id_of_the_wrong_type_is_refused(world, case, bad_id):
    before = library_state(world["lib"].path)
    with pytest.raises(InvalidInput, match=r"track ids must be"):
        world["studio"].upscale(bad_id, 48000)
    assert library_state(world["lib"].path) == before


# ---- legacy metadata: a bad file is skipped with a reason, never imported, never aborting the import
def _legacy(folder: Path, name: str, content: str | bytes, audio: bool = False) -> Path:
    (folder / "metadata").mkdir(parents=True)
    path = folder / "metadata" / f"{name}.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    if audio:
        (folder / "outputs").mkdir()
        Audio(np.ones(800, np.float32) * 0.1, 8000).save(folder / "outputs" / f"{name}.wav")
    return folder


LEGACY_CORPUS = [
    ("broken JSON", '{"id": "a", "prompt": "x",', True, r"invalid JSON: Expecting"),
    ("JSON list", '[1, 2, 3]', True, r"not a JSON object but list"),
    ("JSON string", '"just text"', True, r"not a JSON object but str"),
    ("empty JSON file", "", True, r"empty file"),
    ("not UTF-8", b'{"prompt": "\xff\xfe"}', True, r"not UTF-8 text"),
    ("path traversal", json.dumps({"id": "t", "filepath": "../" * 30 + "etc/passwd"}), False,
     r"audio not found"),  # a relative path escaping the legacy folder is never followed
    ("traversal in filename", json.dumps({"id": "f", "filename": "../../../etc/shadow.wav"}), False,
     r"audio not found \(looked for shadow\.wav"),
    ("absolute path to a non-audio file", json.dumps({"id": "p", "filepath": "/etc/passwd"}), False,
     r"audio unreadable: cannot decode audio file /etc/passwd"),
    ("no audio at all", json.dumps({"id": "n", "prompt": "lost take"}), False, r"audio not found"),
]


@pytest.mark.parametrize(("case", "content", "audio", "reason"), LEGACY_CORPUS, ids=[c[0] for c in LEGACY_CORPUS])
def test_bad_legacy_json_is_skipped_with_a_reason(world, tmp_path, case, content, audio, reason):
    before = library_state(world["lib"].path)
    report = world["lib"].migrate_legacy(_legacy(tmp_path / "legacy", "take", content, audio))
    assert [r.status for r in report.results] == ["skipped"], str(report)
    assert re.search(reason, report.results[0].reason), report.results[0].reason
    assert library_state(world["lib"].path) == before


def test_legacy_wrong_types_and_huge_numbers_import_with_notes(tmp_path):
    """Not refused (the old app wrote messy files): unusable values are set aside in `extra` with a note."""
    lib = Library(tmp_path / "lib" / "library.duckdb")
    data = {"id": "w", "prompt": 42, "seed": 10**30, "created_at": 1e30, "duration": 1e308,
            "favorite": "maybe", "tags": 7, "config": [1, 2],
            "comments": [{"time": 1e300, "text": "far away"}, {"time": 0.01, "text": "kept"}, "junk"]}
    report = lib.migrate_legacy(_legacy(tmp_path / "legacy", "w", json.dumps(data), audio=True))
    (result,) = report.results
    assert result.status == "imported", str(report)
    notes = " | ".join(result.notes)
    for expected in ("prompt was not text", f"seed {10**30} is not an integer", "created_at 1e+30 unusable",
                     "favorite 'maybe' is not a yes/no", "config is not an object", "comment 0 skipped",
                     "comment 2 skipped"):
        assert expected in notes, notes
    track = lib.get(result.track_id)
    assert track.prompt == "42" and track.seed is None and track.duration == pytest.approx(0.1)
    assert track.extra["legacy_seed"] == 10**30 and track.extra["legacy_duration"] == 1e308
    assert track.extra["legacy_config"] == [1, 2]
    assert [c.text for c in lib.comments(track)] == ["kept"]
    assert lib.check(min_age=0).ok


NON_FINITE = [("seed NaN", '"seed": NaN'), ("seed 1e400", '"seed": 1e400'), ("unknown key Infinity",
                                                                              '"loudness": -Infinity')]


@pytest.mark.parametrize(("case", "field"), NON_FINITE, ids=[c[0] for c in NON_FINITE])
def test_legacy_non_finite_numbers_import_with_a_note(tmp_path, case, field):
    """Python's json.dumps writes NaN and Infinity by default, so an old app's files can hold them."""
    lib = Library(tmp_path / "lib" / "library.duckdb")
    text = '{"id": "nf", "prompt": "take", ' + field + "}"
    report = lib.migrate_legacy(_legacy(tmp_path / "legacy", "nf", text, audio=True))
    assert [r.status for r in report.results] == ["imported"], str(report)
    assert lib.get(report.results[0].track_id).prompt == "take"


ODD_PROMPTS = [
    ("empty prompt", ""),
    ("right to left", "موسيقى هادئة עם פסנתר"),
    ("bidi override", "\u202elofi piano\u202c"),
    ("emoji", "🎹🎷 lofi 👩‍👩‍👧 family jam"),
    ("combining marks", "cafe\u0301 Z\u0351\u0308\u0336a\u0353lgo"),
    ("2000 chars, the limit", "ambient " * 250),
]


@pytest.mark.parametrize(("case", "prompt"), ODD_PROMPTS, ids=[c[0] for c in ODD_PROMPTS])
def test_valid_odd_prompts_generate_and_round_trip(world, case, prompt):
    track = world["studio"].generate(prompt, duration=1.0, seed=2)
    stored = world["lib"].get(track.id)
    assert stored.prompt == prompt and stored.config["params"]["prompt"] == prompt
    assert world["lib"].audio(stored).peak() > 0.01  # unconditional generation still makes music
    if prompt.strip():
        assert track.id in {t.id for t in world["lib"].search(text=prompt.split()[0], limit=100)}


def test_corpus_size():
    tried = len(CORPUS) + len(WRONG_TYPE_IDS) + len(LEGACY_CORPUS) + len(NON_FINITE) + 1
    print(f"\nreliability: {tried} bad inputs tried, {len(ODD_PROMPTS)} odd valid prompts")
    assert tried >= 30
