"""Legacy MusicGen Studio import: messy folders, idempotent reruns, resume after a kill, auto-import, CLI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from workbench.audio import Audio
from workbench.cli import main as cli_main
from workbench.errors import LegacyImportError
from workbench.library import Library, migrate_legacy, sample_legacy_dir

ROOT = Path(__file__).resolve().parent.parent


def _wav(path: Path, seconds: float = 0.5, rate: int = 8000) -> None:
    t = np.arange(int(seconds * rate)) / rate
    Audio((0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), rate).save(path, subtype="PCM_16")


def _meta(folder: Path, name: str, data) -> None:
    text = data if isinstance(data, str) else json.dumps(data)
    (folder / "metadata" / name).write_text(text)


def messy_folder(root: Path) -> Path:
    """A legacy folder with every kind of mess the old app left behind."""
    (root / "metadata").mkdir(parents=True)
    (root / "outputs").mkdir()
    for name in ("good", "strseed", "epoch", "nodur", "extra", "dup", "moved", "both", "noid", "besidejson"):
        _wav(root / "outputs" / f"{name}.wav", seconds=0.75 if name == "nodur" else 0.5)
    (root / "elsewhere").mkdir()
    shutil.move(root / "outputs" / "moved.wav", root / "elsewhere" / "moved.wav")
    shutil.move(root / "outputs" / "besidejson.wav", root / "metadata" / "besidejson.wav")
    (root / "outputs" / "truncated.wav").write_bytes((root / "outputs" / "good.wav").read_bytes()[:3000])
    base = {"model": "facebook/musicgen-small", "duration": 0.5, "config": {"temperature": 1.0, "top_k": 250}}
    _meta(root, "good.json", {**base, "id": "good", "filename": "good.wav", "filepath": "outputs/good.wav",
                              "prompt": "lofi piano, rain", "seed": 1234, "created_at": "2024-06-11T14:22:33",
                              "favorite": True, "disliked": False, "tags": ["lofi"], "album": "Demos",
                              "comments": [{"time": 0.25, "text": "Fix the drums"}, {"time": 9, "text": "late"},
                                           "not a comment"]})
    _meta(root, "strseed.json", {**base, "id": "strseed", "filepath": "outputs/strseed.wav", "prompt": "a",
                                 "seed": "42", "tags": "synth, retro", "album": "Demos"})
    _meta(root, "epoch.json", {**base, "id": "epoch", "filepath": "outputs/epoch.wav", "prompt": "b",
                               "created_at": 1718115753, "seed": "not-a-seed"})
    _meta(root, "nodur.json", {"id": "nodur", "filename": "nodur.wav", "prompt": "c", "created_at": 1718115753000})
    _meta(root, "extra.json", {**base, "id": "extra", "filepath": "outputs/extra.wav", "prompt": "d",
                               "bpm": 120, "melody": {"path": "x.wav"}, "config": "cfg as text"})
    _meta(root, "dup_a.json", {**base, "id": "dup", "filepath": "outputs/dup.wav", "prompt": "e"})
    _meta(root, "dup_b.json", {**base, "id": "dup", "filepath": "outputs/dup.wav", "prompt": "e again"})
    _meta(root, "moved.json", {**base, "id": "moved", "filepath": "outputs/moved.wav", "prompt": "f"})
    _meta(root, "both.json", {**base, "id": "both", "filepath": "outputs/both.wav", "favorite": "true",
                              "disliked": True, "parent_id": "good"})
    _meta(root, "noid.json", {"filepath": "outputs/noid.wav", "prompt": 12345})
    _meta(root, "besidejson.json", {"id": "beside", "filename": "besidejson.wav", "created_at": "garbage"})
    _meta(root, "missing.json", {**base, "id": "missing", "filepath": "outputs/nowhere.wav"})
    _meta(root, "truncated.json", {**base, "id": "truncated", "filepath": "outputs/truncated.wav"})
    _meta(root, "cut.json", '{"id": "cut", "prompt": "half a fi')
    _meta(root, "empty.json", "")
    _meta(root, "list.json", "[1, 2, 3]")
    (root / "metadata" / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    return root / "metadata"


IMPORTED = {"good", "strseed", "epoch", "nodur", "extra", "dup_a", "moved", "both", "noid", "besidejson"}
SKIPPED = {"missing", "truncated", "cut", "empty", "list", "binary"}


def test_messy_folder_imports_what_it_can(tmp_path):
    metadata = messy_folder(tmp_path / "old")
    lib = Library(tmp_path / "lib" / "library.duckdb")
    report = lib.migrate_legacy(metadata)
    status = {r.file.removesuffix(".json"): r for r in report.results}
    assert {k for k, r in status.items() if r.status == "imported"} == IMPORTED
    assert {k for k, r in status.items() if r.status == "skipped"} == SKIPPED
    assert status["dup_b"].status == "duplicate" and "dup_a.json" in status["dup_b"].reason
    assert "audio not found" in status["missing"].reason and "nowhere.wav" in status["missing"].reason
    assert "truncated" in status["truncated"].reason and "invalid JSON" in status["cut"].reason
    assert any("found it at" in n for n in status["moved"].notes)
    assert any("not-a-seed" in n for n in status["epoch"].notes)
    assert str(report).count("skipped") >= len(SKIPPED)

    by_legacy = {t.extra.get("legacy_id", t.extra["legacy_file"]): t for t in lib.search(limit=100)}
    good = by_legacy["good"]
    assert (good.prompt, good.seed, good.favorite, good.tags) == ("lofi piano, rain", 1234, True, ("lofi",))
    assert good.config == {"temperature": 1.0, "top_k": 250} and good.derivation == "import"
    assert good.model == "facebook/musicgen-small"
    assert good.created_at == datetime(2024, 6, 11, 14, 22, 33).astimezone(UTC)  # naive = local time
    assert [(c.at, c.text) for c in lib.comments(good)] == [(0.25, "Fix the drums")]
    assert by_legacy["strseed"].seed == 42 and by_legacy["strseed"].tags == ("synth", "retro")
    assert by_legacy["epoch"].created_at == datetime.fromtimestamp(1718115753, UTC)
    assert by_legacy["epoch"].extra["legacy_seed"] == "not-a-seed"
    assert by_legacy["nodur"].duration == pytest.approx(0.75)  # read from the audio
    assert by_legacy["nodur"].created_at == datetime.fromtimestamp(1718115753, UTC)  # epoch milliseconds
    assert by_legacy["extra"].extra["bpm"] == 120 and by_legacy["extra"].extra["legacy_config"] == "cfg as text"
    assert by_legacy["both"].favorite and not by_legacy["both"].disliked
    assert by_legacy["both"].parent_id == good.id and lib.lineage(by_legacy["both"]) == [good]
    assert by_legacy["noid.json"].prompt == "12345"
    assert by_legacy["beside"].sample_rate == 8000
    demos = [a for a in lib.albums() if a.title == "Demos"]
    assert len(demos) == 1 and demos[0].track_count == 2
    # audio outside the library root is copied in, so the library stands alone
    assert all(not Path(t.filepath).is_absolute() and lib.path_of(t).exists() for t in by_legacy.values())
    assert lib.check(min_age=0).ok

    again = lib.migrate_legacy(metadata)  # idempotent
    assert again.imported == [] and {r.file for r in again.already} >= {f"{k}.json" for k in IMPORTED}
    assert lib.count() == len(IMPORTED)


def test_bad_folder_is_a_clear_error(tmp_path):
    lib = Library(tmp_path / "library.duckdb")
    with pytest.raises(LegacyImportError, match="not found"):
        migrate_legacy(lib, tmp_path / "nope")


def test_auto_import_on_first_open_references_audio_in_place(tmp_path):
    shutil.copytree(sample_legacy_dir(), tmp_path / "studio")
    lib = Library(tmp_path / "studio" / "library.duckdb")
    assert len(lib.legacy_report.imported) == 3 and lib.legacy_report.skipped == []
    assert sorted(t.filepath for t in lib.search()) == sorted(
        f"outputs/{p.name}" for p in (tmp_path / "studio" / "outputs").iterdir())
    assert not (tmp_path / "studio" / "audio").exists()  # nothing copied
    assert Library(lib.path).legacy_report is None  # only on first open
    assert lib.count() == 3 and lib.count(favorite=True) == 1 and lib.count(disliked=True) == 1


def test_killed_import_resumes_without_duplicates(tmp_path):
    metadata = tmp_path / "old" / "metadata"
    metadata.mkdir(parents=True)
    (tmp_path / "old" / "outputs").mkdir()
    n = 40
    for i in range(n):
        _wav(tmp_path / "old" / "outputs" / f"t{i}.wav", seconds=0.2)
        _meta(tmp_path / "old", f"t{i:03d}.json", {"id": f"t{i}", "filepath": f"outputs/t{i}.wav", "prompt": str(i)})
    db = tmp_path / "lib" / "library.duckdb"
    Library(db)
    code = "import sys; from workbench.library import Library; Library(sys.argv[1]).migrate_legacy(sys.argv[2])"
    proc = subprocess.Popen([sys.executable, "-c", code, str(db), str(metadata)],
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 60
    lib = Library(db)
    while lib.count() < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    partial = lib.count()
    assert 3 <= partial < n, "the import finished before the kill: raise n"
    report = lib.migrate_legacy(metadata)
    assert len(report.already) >= partial - 1 and len(report.imported) + len(report.already) == n
    assert lib.count() == n and sorted(int(t.prompt) for t in lib.search(limit=n)) == list(range(n))
    lib.check(repair=True, min_age=0)  # a copy orphaned by the kill is adopted or was reused
    assert lib.check(min_age=0).ok


def test_cli_migrate_and_check(tmp_path, capsys):
    db = tmp_path / "lib" / "library.duckdb"
    assert cli_main(["migrate", str(sample_legacy_dir() / "metadata"), "--db", str(db)]) == 0
    assert "3 imported" in capsys.readouterr().out
    assert cli_main(["migrate", str(sample_legacy_dir()), "--db", str(db), "--quiet"]) == 0
    assert "0 imported, 3 already imported" in capsys.readouterr().out
    assert cli_main(["check", "--db", str(db)]) == 0 and "consistent" in capsys.readouterr().out
    assert cli_main(["migrate", str(tmp_path / "nope"), "--db", str(db)]) == 1
    assert "not found" in capsys.readouterr().err
