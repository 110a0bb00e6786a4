"""Where the VampNet parity fixtures live: $WORKBENCH_FIXTURES/vampnet, else <repo>/../shared/fixtures/vampnet.

Parity tests skip (naming the path) when the folder is missing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent


def fixture_dir() -> Path:
    root = os.environ.get("WORKBENCH_FIXTURES")
    return (Path(root) if root else REPO.parent / "shared" / "fixtures") / "vampnet"


def require_fixtures() -> Path:
    folder = fixture_dir()
    if not (folder / "MANIFEST.md").is_file():
        pytest.skip(f"VampNet parity fixtures not found at {folder} (set WORKBENCH_FIXTURES)")
    return folder


def npz(name: str) -> dict[str, np.ndarray]:
    with np.load(require_fixtures() / name) as data:
        return {k: data[k] for k in data.files}


def js(name: str) -> dict:
    return json.loads((require_fixtures() / name).read_text())


def weights(name: str) -> dict:
    from safetensors.torch import load_file

    return load_file(require_fixtures() / f"{name}.safetensors")
