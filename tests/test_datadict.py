"""Data dictionary: the Data Package is valid by the rules that can be checked without a validator
library, and the Markdown and the README section say the same as the specs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.datadict import (END_MARKER, START_MARKER, collect_specs, datapackage, datapackage_json,
                               render_markdown, replace_between_markers, run, update_readme)
from pipeline.errors import PipelineError
from pipeline.tables import Column, ForeignKey, TableSpec

ROOT = Path(__file__).resolve().parents[1]
# https://specs.frictionlessdata.io/table-schema/#types-and-formats
TABLE_SCHEMA_TYPES = {"string", "number", "integer", "boolean", "object", "array", "date", "time", "datetime",
                      "year", "yearmonth", "duration", "geopoint", "geojson", "any"}
NAME = re.compile(r"^[a-z0-9._-]+$")  # package and resource names: lower case, '.', '_', '-'


@pytest.fixture(scope="module")
def package():
    return json.loads(datapackage_json())


def test_collects_the_stage_specs():
    collected = collect_specs()
    names = [s.name for s in collected.specs]
    assert {"documents", "annex_measures", "tags"} <= set(names)
    assert len(names) == len(set(names))
    assert names.index("documents") < names.index("annex_measures")


def test_package_descriptor(package):
    assert NAME.match(package["name"])
    assert package["profile"] == "tabular-data-package"
    assert isinstance(package["resources"], list) and package["resources"]


def test_every_resource_follows_the_data_package_rules(package):
    names = [r["name"] for r in package["resources"]]
    assert len(names) == len(set(names))
    by_name = {r["name"]: r for r in package["resources"]}
    for res in package["resources"]:
        assert NAME.match(res["name"])
        assert res["path"] == f"{res['name']}.csv" and not res["path"].startswith(("/", "../"))
        assert (res["format"], res["encoding"], res["profile"]) == ("csv", "utf-8-sig", "tabular-data-resource")
        schema = res["schema"]
        fields = [f["name"] for f in schema["fields"]]
        assert fields and len(fields) == len(set(fields))
        for f in schema["fields"]:
            assert set(f) <= {"name", "type", "description", "constraints", "format"}
            assert f["type"] in TABLE_SCHEMA_TYPES
            assert f["description"]
        assert set(schema.get("primaryKey", [])) <= set(fields)
        for fk in schema["foreignKeys"]:
            assert fk["fields"] and set(fk["fields"]) <= set(fields)
            ref = fk["reference"]
            target = res if ref["resource"] == "" else by_name.get(ref["resource"])
            assert target is not None, f"{res['name']}: foreign key to missing resource {ref['resource']}"
            assert len(ref["fields"]) == len(fk["fields"])
            assert set(ref["fields"]) <= {f["name"] for f in target["schema"]["fields"]}


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
