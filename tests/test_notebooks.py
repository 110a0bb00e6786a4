"""Every numbered notebook runs top to bottom headless, on engine="auto" (offline: the sketch engine),
against a library in a tmp folder, and is committed without outputs.

review.ipynb is served by `panel serve` and tested with the dashboards.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if p.name != "review.ipynb")

pytestmark = pytest.mark.slow


def test_the_numbered_notebooks_are_all_here():
    names = [p.name for p in NOTEBOOKS]
    assert names == ["01_generate.ipynb", "02_edit_regions.ipynb", "03_upscale_and_remix.ipynb",
                     "04_library.ipynb", "05_record_melody.ipynb", "06_sweeps.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} holds outputs"
    assert "widgets" not in nb.metadata  # no stored widget state either


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    db = tmp_path / "lib" / "library.duckdb"
    monkeypatch.setenv("WORKBENCH_DB", str(db))  # the kernel inherits it
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the traceback, on the first failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    # the notebook used the library it was pointed at, not ./library.duckdb
    assert db.exists() and not (tmp_path / "library.duckdb").exists()
    from workbench.library import Library
    assert Library(db).count(include_trash=True) >= 1
