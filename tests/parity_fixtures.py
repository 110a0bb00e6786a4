"""Where the parity fixtures (made by running the original VampNet and AudioSR code) live.

`$WORKBENCH_FIXTURES/<name>` if that variable is set, else `<repo>/../shared/fixtures/<name>`; tests
that need them skip, naming the path, when the folder is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def fixture_dir(name: str) -> Path:
    root = os.environ.get("WORKBENCH_FIXTURES")
    return (Path(root) if root else REPO.parent / "shared" / "fixtures") / name


def require_fixture_dir(name: str, label: str) -> Path:
    folder = fixture_dir(name)
    if not (folder / "MANIFEST.md").is_file():
        pytest.skip(f"{label} parity fixtures not found at {folder} (set WORKBENCH_FIXTURES)")
    return folder
