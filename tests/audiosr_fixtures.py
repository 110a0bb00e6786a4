"""Where the AudioSR parity fixtures live, and a skip when they are absent.

`$WORKBENCH_FIXTURES/audiosr` if that variable is set, else `<repo>/../shared/fixtures/audiosr`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

__all__ = ["fixture_dir", "load", "require_fixtures"]


def fixture_dir() -> Path:
    root = os.environ.get("WORKBENCH_FIXTURES")
    if root:
        return Path(root) / "audiosr"
    return Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "audiosr"


def require_fixtures() -> Path:
    path = fixture_dir()
    if not (path / "MANIFEST.md").exists():
        pytest.skip(f"AudioSR parity fixtures not found at {path} (set WORKBENCH_FIXTURES)")
    return path


def load(name: str) -> dict[str, np.ndarray]:
    path = require_fixtures() / f"{name}.npz"
    with np.load(path) as data:
        return {key: data[key] for key in data.files}
