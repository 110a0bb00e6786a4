"""Where the VampNet parity fixtures live: $WORKBENCH_FIXTURES/vampnet, else <repo>/../shared/fixtures/vampnet.

Parity tests skip (naming the path) when the folder is missing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import parity_fixtures


def fixture_dir() -> Path:
    return parity_fixtures.fixture_dir("vampnet")


def require_fixtures() -> Path:
    return parity_fixtures.require_fixture_dir("vampnet", "VampNet")


def npz(name: str) -> dict[str, np.ndarray]:
    with np.load(require_fixtures() / name) as data:
        return {k: data[k] for k in data.files}


def js(name: str) -> dict:
    return json.loads((require_fixtures() / name).read_text())


def weights(name: str) -> dict:
    from safetensors.torch import load_file

    return load_file(require_fixtures() / f"{name}.safetensors")
