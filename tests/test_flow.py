"""The data flows one way, and each source is read once per run.

- Module imports form no cycle, and the derived stages (tags, changes, site, the data dictionary)
  cannot reach the code that reads sources: they read the published datasets.
- `python -m pipeline all` reads and parses every source file once, whatever number of stages
  load the folder; what is kept follows the files' content, so a changed source is read again.
"""

from __future__ import annotations

import ast
import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline.sources as sources
from pipeline.__main__ import INPUTS, main, with_downstream
from pipeline.load import load_documents

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pipeline"
# The modules that read the sources; a derived stage must not import any of them.
SOURCE_READING = {"pipeline.sources", "pipeline.load", "pipeline.readers"}
DERIVED = ("pipeline.tags", "pipeline.changes", "pipeline.site", "pipeline.datadict")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports() -> dict[str, set[str]]:
    """Module -> pipeline modules it imports when it is imported (imports inside functions, which
    run only when the function does, are left out)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in modules)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("pipeline"))
        # Importing `a.b.c` runs the packages `a` and `a.b` first: their imports are reached too.
        found.update(parent for m in list(found) for parent in parent_packages(m))
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def parent_packages(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_module_imports_form_no_cycle():
    graph = top_level_imports()
    # Every package is in the graph, its modules too.
    assert {"pipeline.readers.pdf", "pipeline.annex", "pipeline.annex.stage", "pipeline.outline.clauses"} <= set(graph)
    cycles = sorted(name for name in graph if name in reachable(graph, name))
    assert cycles == []


# The annex readers are pure: lines in, a table out. Only the stage loads the sources.
ANNEX_CORE = ("pipeline.annex", "pipeline.annex.model", "pipeline.annex.cells", "pipeline.annex.text",
              "pipeline.annex.linear", "pipeline.annex.status")


@pytest.mark.parametrize("module", ANNEX_CORE)
def test_annex_readers_cannot_reach_the_sources(module):
    assert reachable(top_level_imports(), module) & SOURCE_READING == set()


def test_annex_package_exports_resolve():
    import pipeline.annex as annex
    for name in annex.__all__:
        assert getattr(annex, name) is getattr(importlib.import_module(f"pipeline.annex.{annex.EXPORTS[name]}"), name)


def test_derived_stages_load_no_source_reading_module():
    """What is imported when the derived stages are (parent packages included), in a fresh process."""
    code = ("import sys; import pipeline.tags, pipeline.changes, pipeline.site, pipeline.datadict; "
            "print('\\n'.join(sorted(sys.modules)))")
    loaded = set(subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                                text=True).stdout.split())
    assert "pipeline.annex.status" in loaded
    assert loaded & (SOURCE_READING | {"pipeline.annex.stage"}) == set()


def test_records_and_readers_do_not_reach_back_into_the_stages():
    graph = top_level_imports()
    assert reachable(graph, "pipeline.records") == set()
    readers = sorted(name for name in graph if name.startswith("pipeline.readers"))
    assert "pipeline.readers.pdf_unruled" in readers
    for reader in readers:
        assert "pipeline.sources" not in reachable(graph, reader) | {reader}
    assert "pipeline.outline.clauses" not in reachable(graph, "pipeline.outline.responsibilities")


@pytest.mark.parametrize("stage", DERIVED)
def test_derived_stages_cannot_reach_the_sources(stage):
    assert reachable(top_level_imports(), stage) & SOURCE_READING == set()


def test_tags_read_the_datasets_not_the_sources(tmp_path):
    out = tmp_path / "data"
    assert main(["all", "--raw", str(ROOT / "raw"), "--out", str(out)]) == 0
    expected = (out / "tags.parquet").read_bytes()
    (out / "tags.parquet").unlink()
    # No raw folder at all: the stage can only have read clauses and annex_measures.
    assert main(["tags", "--raw", str(tmp_path / "nowhere"), "--out", str(out)]) == 0
    assert (out / "tags.parquet").read_bytes() == expected


def test_every_source_is_read_once_per_run(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "raw", raw)
    reads: list[str] = []
    original = sources.sniff_format

    def counting(data: bytes) -> str:
        reads.append(sources.hashlib.sha256(data).hexdigest())
        return original(data)

    monkeypatch.setattr(sources, "sniff_format", counting)
    sources._LINES.clear()
    assert main(["all", "--raw", str(raw), "--out", str(tmp_path / "data")]) == 0
    assert len(reads) == len(set(reads)) == len(sources.source_paths(raw))


def test_a_changed_source_is_read_again(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    notice = raw / "notice.txt"
    shutil.copy(ROOT / "raw" / "luan-2022-49-issued-notice.txt", notice)
    first = load_documents(raw)
    assert load_documents(raw)[0] is first[0]  # unchanged: kept
    text = notice.read_text(encoding="utf-8")
    notice.write_text(text.replace("六安市", "合肥市", 1), encoding="utf-8")
    second = load_documents(raw)
    assert second[0] is not first[0]
    assert second[0].source.sha256 != first[0].source.sha256
    assert "合肥市" in "".join(ln.text for ln in second[0].lines)


# --------------------------------------------------------------------------- the Makefile says the same

MAKE_GROUPS = {"DOCUMENTS": "documents", "CLAUSES": "clauses", "ANNEX": "annex", "CONSULTATION": "consultation",
               "TAGS": "tags", "CHANGES": "changes", "DATAPACKAGE": "datadict", "SITE": "site"}


def makefile_inputs() -> dict[str, set[str]]:
    """Stage -> what its Makefile rule reads: 'raw' (the source files) or the stages whose outputs
    are among its prerequisites."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    variables = dict(re.findall(r"^([A-Z_]+) :?= (.*)$", text, flags=re.M))
    writes = {f: MAKE_GROUPS[v] for v in MAKE_GROUPS for f in variables[v].split()}
    inputs: dict[str, set[str]] = {}
    for group, prereqs in re.findall(r"^\$\(([A-Z]+)\) &: (.*)$", text, flags=re.M):
        found: set[str] = set()
        for word in prereqs.split("|")[0].split():
            if word in ("$(STAGE_INPUTS)", "$(RAW_FILES)"):
                found.add("raw")
            elif word.startswith("$(") and word[2:-1] in MAKE_GROUPS:
                found.add(MAKE_GROUPS[word[2:-1]])
            elif word in writes:
                found.add(writes[word])
        inputs[MAKE_GROUPS[group]] = found
    return inputs


def test_the_makefile_declares_the_real_flow():
    assert makefile_inputs() == {stage: set(reads) for stage, reads in INPUTS.items()}


def test_run_takes_the_stages_downstream():
    assert with_downstream(["clauses"]) == ["clauses", "tags", "changes", "site"]
    assert with_downstream(["tags"]) == ["tags"]
    assert with_downstream(["documents", "datadict"]) == ["documents", "changes", "datadict", "site"]


def test_run_refuses_an_unknown_stage_and_clears_the_marks(tmp_path, capsys):
    due = tmp_path / ".due"
    due.write_text("nonsense\n", encoding="utf-8")
    assert main(["run", "--due", str(due), "--raw", str(ROOT / "raw"), "--out", str(tmp_path)]) == 2
    assert "unknown stage(s) nonsense" in capsys.readouterr().err
    assert not due.exists()
