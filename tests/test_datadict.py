"""Data dictionary: frictionless validates the Data Package and its CSVs, and the Markdown and the
README section say the same as the specs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.datadict import (END_MARKER, START_MARKER, collect_specs, datapackage, datapackage_json,
                               render_markdown, replace_between_markers, run, update_readme)
from pipeline.errors import PipelineError
from pipeline.tables import Column, ForeignKey, TableSpec, write_tables

frictionless = pytest.importorskip("frictionless", reason="frictionless not installed: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PIPELINE_DATA", ROOT / "data"))


@pytest.fixture(scope="module")
def package():
    return json.loads(datapackage_json())


def test_collects_the_stage_specs():
    collected = collect_specs()
    names = [s.name for s in collected.specs]
    assert {"documents", "annex_measures", "tags"} <= set(names)
    assert len(names) == len(set(names))
    assert names.index("documents") < names.index("annex_measures")


def _errors(report) -> list[str]:
    return [f"{task.name}: {error.message}" for task in report.tasks for error in task.errors] + \
        [error.message for error in report.errors]


def test_the_descriptor_is_a_valid_data_package(package):
    report = frictionless.Package.validate_descriptor(package)
    assert report.valid, _errors(report)


def test_the_published_package_and_its_csvs_are_valid():
    """Schema types, required cells, primary and foreign keys, over every row of every CSV."""
    if not (DATA / "datapackage.json").exists():
        pytest.skip(f"no {DATA}/datapackage.json: run `make all` first")
    report = frictionless.validate(DATA / "datapackage.json")
    assert report.valid, _errors(report)[:20]
    assert report.stats["tasks"] == len(collect_specs().specs)


def _toy_package(out: Path, rows: list[dict]) -> Path:
    spec = TableSpec("items", "toy", (Column("id", "string", "id", required=True),
                                      Column("label", "string", "label as printed", required=True),
                                      Column("n", "integer", "count")), ("id",))
    write_tables(out, [(spec, rows)])
    (out / "datapackage.json").write_text(json.dumps(datapackage([spec]), ensure_ascii=False), encoding="utf-8")
    return out / "datapackage.json"


def test_an_empty_required_text_is_a_value_and_an_empty_number_is_missing(tmp_path):
    path = _toy_package(tmp_path, [{"id": "a", "label": "", "n": None}, {"id": "b", "label": "2", "n": 3}])
    report = frictionless.validate(path)
    assert report.valid, _errors(report)


def test_the_validator_sees_a_broken_key(tmp_path):
    # The same checks fail on a CSV that breaks the schema: a repeated primary key.
    path = _toy_package(tmp_path, [{"id": "a", "label": "1", "n": 1}])
    csv = tmp_path / "items.csv"
    csv.write_bytes(csv.read_bytes() + "a,1,2\n".encode("utf-8"))
    report = frictionless.validate(path)
    assert not report.valid
    assert "primary-key" in {e.type for task in report.tasks for e in task.errors}


def test_resources_match_the_specs(package):
    for spec, res in zip(collect_specs().specs, package["resources"]):
        assert res["name"] == spec.name
        assert [f["name"] for f in res["schema"]["fields"]] == spec.column_names
        assert res["schema"].get("primaryKey", []) == list(spec.primary_key)
        required = [f["name"] for f in res["schema"]["fields"] if f.get("constraints", {}).get("required")]
        assert required == [c.name for c in spec.columns if c.required]


def test_self_reference_uses_the_empty_resource_name():
    spec = TableSpec("nodes", "a tree", (Column("id", "string", "id"), Column("parent", "string", "parent")),
                     ("id",), (ForeignKey(("parent",), "nodes", ("id",)),))
    res = datapackage([spec])["resources"][0]
    assert res["schema"]["foreignKeys"] == [{"fields": ["parent"], "reference": {"resource": "", "fields": ["id"]}}]


def test_markdown_lists_every_table_and_column():
    text = render_markdown()
    for spec in collect_specs().specs:
        assert f"### `{spec.name}`" in text
        for col in spec.columns:
            assert f"| `{col.name}` | {col.type} |" in text
    assert "Primary key: `doc_id`, `unit`, `phase`, `seq`." in text


def test_update_readme_replaces_only_between_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# T\n\nbefore\n\n{START_MARKER}\nSTALE-DICTIONARY\n{END_MARKER}\n\nafter\n", encoding="utf-8")
    assert update_readme(readme)
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# T\n\nbefore\n\n" + START_MARKER + "\n") and text.endswith(END_MARKER + "\n\nafter\n")
    assert "STALE-DICTIONARY" not in text and "### `documents`" in text
    assert not update_readme(readme)  # idempotent
    with pytest.raises(PipelineError, match="markers"):
        replace_between_markers("no markers here", "x")


def test_the_project_readme_has_the_markers():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.index(START_MARKER) < text.index(END_MARKER)


def test_run_writes_the_package(tmp_path):
    run(ROOT / "raw", tmp_path)
    written = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert written == json.loads(datapackage_json())
