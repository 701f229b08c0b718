"""The exploration notebook runs top to bottom on the built datasets.

Needs the `notebook` extra (duckdb, matplotlib, nbclient, ipykernel) and data/ from `make all`;
skipped with the reason otherwise. PIPELINE_DATA points the notebook at another output folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"


def test_notebook_is_committed_without_outputs():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_notebook_uses_no_absolute_paths():
    text = NOTEBOOK.read_text(encoding="utf-8")
    assert "/work/" not in text and "/tmp/" not in text


def test_notebook_runs():
    for module in ("nbclient", "nbformat", "duckdb", "matplotlib", "ipykernel"):
        pytest.importorskip(module, reason=f"{module} not installed: pip install -e '.[notebook]'")
    data = Path(os.environ.get("PIPELINE_DATA", ROOT / "data"))
    if not (data / "annex_measures.parquet").exists():
        pytest.skip(f"no {data}/annex_measures.parquet: run `make all` first")
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the heat map and the roles chart
    text = json.dumps([o.get("data", {}).get("text/plain", "") for o in outputs], ensure_ascii=False)
    assert "市公安局" in text
