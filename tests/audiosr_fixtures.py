"""Where the AudioSR parity fixtures live, and a skip when they are absent.

`$WORKBENCH_FIXTURES/audiosr` if that variable is set, else `<repo>/../shared/fixtures/audiosr`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import parity_fixtures

__all__ = ["fixture_dir", "load", "require_fixtures"]


def fixture_dir() -> Path:
    return parity_fixtures.fixture_dir("audiosr")


def require_fixtures() -> Path:
    return parity_fixtures.require_fixture_dir("audiosr", "AudioSR")


def load(name: str) -> dict[str, np.ndarray]:
    path = require_fixtures() / f"{name}.npz"
    with np.load(path) as data:
        return {key: data[key] for key in data.files}
