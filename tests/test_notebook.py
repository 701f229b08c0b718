"""The exploration notebook runs top to bottom on the built datasets, and its charts draw their
Chinese labels with no CJK font installed on the machine.

Needs the `notebook` extra (duckdb, matplotlib, nbclient, ipykernel, nbconvert, the font package) and
data/ from `make all`; skipped with the reason otherwise. PIPELINE_DATA points the notebook at another
output folder. The machine running the tests may have CJK fonts installed (CI installs one for the
browser tests): matplotlib is given a fresh configuration folder whose font list leaves out every
font that can draw a Chinese character, so only the font the notebook brings can draw the labels.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from browser import colours, needs_chromium, screenshot

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


MISSING_GLYPH = "missing from font"
PROBE = "市公安局"

# Run in the fresh configuration folder: build matplotlib's font list from the system, drop every
# font that can draw the probe, and save it where matplotlib (and so the notebook's kernel) reads it.
HIDE_CJK = f"""
import json, warnings
import matplotlib
matplotlib.use("Agg")
from matplotlib import font_manager as fm
from matplotlib.ft2font import FT2Font
import matplotlib.pyplot as plt

def draws_chinese(path):
    try:
        return all(ord(c) in FT2Font(path).get_charmap() for c in {PROBE!r})
    except Exception:
        return True  # a font that cannot be opened is not kept either

manager = fm.FontManager()
hidden = sorted({{f.fname for f in manager.ttflist if draws_chinese(f.fname)}})
manager.ttflist = [f for f in manager.ttflist if f.fname not in hidden]
fm.json_dump(manager, f"{{matplotlib.get_cachedir()}}/fontlist-v{{fm.FontManager.__version__}}.json")
fm.fontManager = fm._load_fontmanager()
left = [f.fname for f in fm.fontManager.ttflist if draws_chinese(f.fname)]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    fig, ax = plt.subplots()
    ax.set_title({PROBE!r})
    fig.canvas.draw()
print(json.dumps({{"hidden": hidden, "left": left,
                  "control_warns": any({MISSING_GLYPH!r} in str(w.message) for w in caught)}}))
"""


@pytest.fixture(scope="module")
def no_cjk_env(tmp_path_factory):
    """Environment for a kernel whose matplotlib sees no system font able to draw Chinese."""
    pytest.importorskip("matplotlib")
    config = tmp_path_factory.mktemp("mplconfig")
    env = {**os.environ, "MPLCONFIGDIR": str(config)}
    out = subprocess.run([sys.executable, "-c", HIDE_CJK], env=env, check=True, capture_output=True, text=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["left"] == []
    # The control: without the notebook's font the probe cannot be drawn, so the check below can fail.
    assert report["control_warns"]
    return env


@pytest.fixture(scope="module")
def executed(no_cjk_env):
    for module in ("nbclient", "nbformat", "duckdb", "matplotlib", "ipykernel", "pylopdf_fonts_zh_cn"):
        pytest.importorskip(module, reason=f"{module} not installed: pip install -e '.[notebook]'")
    data = Path(os.environ.get("PIPELINE_DATA", ROOT / "data"))
    if not (data / "annex_measures.parquet").exists():
        pytest.skip(f"no {data}/annex_measures.parquet: run `make all` first")
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    # The kernel inherits the environment of the process that starts it.
    saved = os.environ.get("MPLCONFIGDIR")
    os.environ["MPLCONFIGDIR"] = no_cjk_env["MPLCONFIGDIR"]
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    finally:
        if saved is None:
            os.environ.pop("MPLCONFIGDIR")
        else:
            os.environ["MPLCONFIGDIR"] = saved
    return nb


def _outputs(nb):
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


def test_notebook_runs(executed):
    outputs = _outputs(executed)
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2  # the heat map and the roles chart
    text = json.dumps([o.get("data", {}).get("text/plain", "") for o in outputs], ensure_ascii=False)
    assert "市公安局" in text


def test_charts_draw_chinese_labels_without_a_system_cjk_font(executed):
    streams = "".join(o.get("text", "") for o in _outputs(executed) if o.output_type == "stream")
    assert MISSING_GLYPH not in streams, streams[:2000]
    text = json.dumps([o.get("data", {}).get("text/plain", "") for o in _outputs(executed)], ensure_ascii=False)
    assert "Noto Sans SC" in text  # the font the charts were drawn with


@needs_chromium
def test_executed_notebook_as_html_in_a_browser(executed, tmp_path):
    pytest.importorskip("nbconvert", reason="nbconvert not installed: pip install -e '.[notebook]'")
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(executed)
    assert body.count("data:image/png;base64,") >= 2
    page = tmp_path / "explore.html"
    page.write_text(body, encoding="utf-8")
    shot = screenshot(page, tmp_path / "notebook.png", tmp_path / "profile", (1400, 6000))
    assert colours(shot) > 16
