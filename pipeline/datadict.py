"""The data dictionary: every TableSpec as a Frictionless Data Package and as Markdown.

The specs are collected from the stage modules (those of the CLI's STAGES, plus the ones listed in
EXTRA_MODULES), so a stage that is added shows up here without a second description to keep in
step. A stage module that cannot be imported is left out and named in `skipped`.

- `datapackage()` returns the Data Package (https://specs.frictionlessdata.io/data-package/): one
  tabular resource per table, `NAME.csv` (UTF-8 with BOM), with its Table Schema (fields with
  type and description, primaryKey, foreignKeys). The Parquet twin of each CSV has the same columns.
- `render_markdown()` returns the same dictionary as Markdown, and `update_readme(path)` puts it
  between the README markers <!-- datadict:start --> and <!-- datadict:end -->.

`python -m pipeline.datadict --out data [--readme README.md]` writes data/datapackage.json (and
updates the README).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.errors import PipelineError
from pipeline.tables import TableSpec, write_bytes_atomic

# Stage modules that hold specs but are not (yet) CLI stages.
EXTRA_MODULES = ("pipeline.tags",)
START_MARKER = "<!-- datadict:start -->"
END_MARKER = "<!-- datadict:end -->"
PACKAGE_NAME = "luan-anti-trafficking-action-plan"
# Table Schema field types (https://specs.frictionlessdata.io/table-schema/#types-and-formats).
SCHEMA_TYPES = {"string": "string", "integer": "integer", "boolean": "boolean", "date": "date"}


@dataclass
class Collected:
    specs: list[TableSpec] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # module -> why it was left out


def stage_modules() -> list[str]:
    from pipeline.__main__ import STAGES
    return list(dict.fromkeys([module for module, _ in STAGES.values()] + list(EXTRA_MODULES)))


def collect_specs(modules: list[str] | None = None) -> Collected:
    """Every TableSpec defined at module level in the stage modules, in stage order, each once."""
    found = Collected()
    seen: set[str] = set()
    for name in modules if modules is not None else stage_modules():
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the module exists but one of its imports is missing
                found.skipped[name] = f"cannot import: {exc}"
            continue
        except Exception as exc:  # a stage being written may not import yet; the rest still document
            found.skipped[name] = f"cannot import: {type(exc).__name__}: {exc}"
            continue
        for value in vars(module).values():
            if isinstance(value, TableSpec) and value.name not in seen:
                seen.add(value.name)
                found.specs.append(value)
    return found


# --------------------------------------------------------------------------- Data Package

def field_descriptor(spec: TableSpec, column_name: str) -> dict[str, Any]:
    col = next(c for c in spec.columns if c.name == column_name)
    out: dict[str, Any] = {"name": col.name, "type": SCHEMA_TYPES[col.type], "description": col.description}
    if col.required:
        out["constraints"] = {"required": True}
        if col.type == "string":
            # A required text can be the empty string (an unnumbered item's label): in the CSV that is
            # an empty cell, which for this field is a value, not a missing one (field-level
            # missingValues, Table Schema v2).
            out["missingValues"] = []
    return out


def resource(spec: TableSpec) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "fields": [field_descriptor(spec, c.name) for c in spec.columns],
        "missingValues": [""],  # the CSV writer prints None as an empty cell
    }
    if spec.primary_key:
        schema["primaryKey"] = list(spec.primary_key)
    schema["foreignKeys"] = [{
        "fields": list(fk.fields),
        # A reference to the table itself is written as the empty resource name, as the spec asks.
        "reference": {"resource": "" if fk.table == spec.name else fk.table, "fields": list(fk.reference)},
    } for fk in spec.foreign_keys]
    return {
        "profile": "tabular-data-resource",
        "name": spec.name,
        "path": f"{spec.name}.csv",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8-sig",
        "description": spec.description,
        "dialect": {"delimiter": ",", "lineTerminator": "\n", "quoteChar": "\"", "doubleQuote": True, "header": True},
        "schema": schema,
    }


def datapackage(specs: list[TableSpec] | None = None) -> dict[str, Any]:
    specs = collect_specs().specs if specs is None else specs
    return {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": "六安市反对拐卖人口行动实施方案 (六政办秘〔2022〕49号) as tidy datasets",
        "description": "The Lu'an anti-human-trafficking action plan, its consultation draft and final text, "
                       "extracted from the sources in raw/. Each resource is also published as NAME.parquet "
                       "with the same columns (the canonical copy).",
        "version": __version__,
        "resources": [resource(s) for s in specs],
    }


def datapackage_json(specs: list[TableSpec] | None = None) -> str:
    return json.dumps(datapackage(specs), ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- Markdown

def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(specs: list[TableSpec] | None = None) -> str:
    specs = collect_specs().specs if specs is None else specs
    out = [f"Generated from the table specs by `python -m pipeline.datadict`; machine-readable as "
           f"`data/datapackage.json` (Frictionless Data Package). Every table is `data/NAME.parquet` and "
           f"`data/NAME.csv` (UTF-8 with BOM); empty CSV cells are nulls, except in a required text column "
           f"(an unnumbered item's `label`), where they are the empty string. "
           f"`frictionless validate data/datapackage.json` checks every CSV against it.", ""]
    for spec in specs:
        out += [f"### `{spec.name}`", "", _cell(spec.description), ""]
        if spec.primary_key:
            out.append(f"Primary key: {', '.join(f'`{k}`' for k in spec.primary_key)}.")
        for fk in spec.foreign_keys:
            out.append(f"Foreign key: {', '.join(f'`{k}`' for k in fk.fields)} → "
                       f"`{fk.table}` ({', '.join(f'`{k}`' for k in fk.reference)}).")
        if spec.primary_key or spec.foreign_keys:
            out.append("")
        out += ["| column | type | required | description |", "|---|---|---|---|"]
        for col in spec.columns:
            out.append(f"| `{col.name}` | {col.type} | {'yes' if col.required else ''} | {_cell(col.description)} |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def replace_between_markers(text: str, body: str, where: str = "README") -> str:
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start < 0 or end < start:
        raise PipelineError(f"{where}: markers {START_MARKER} … {END_MARKER} not found (in that order)")
    return text[:start + len(START_MARKER)] + "\n" + body.rstrip("\n") + "\n" + text[end:]


def update_readme(path: Path | str, specs: list[TableSpec] | None = None) -> bool:
    """Put the dictionary between the README markers; True when the file changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    new = replace_between_markers(text, render_markdown(specs), str(path))
    if new == text:
        return False
    write_bytes_atomic(path, new.encode("utf-8"))
    return True


def run(raw_dir: Path, out_dir: Path) -> None:
    """Stage form: writes OUT/datapackage.json (raw_dir is not read)."""
    collected = collect_specs()
    for module, why in collected.skipped.items():
        print(f"warning: data dictionary leaves out {module}: {why}", file=sys.stderr)
    write_bytes_atomic(out_dir / "datapackage.json", datapackage_json(collected.specs).encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.datadict",
                                     description="Write the data dictionary: OUT/datapackage.json, and the README section.")
    parser.add_argument("--out", type=Path, default=Path("data"), help="output folder (default: data)")
    parser.add_argument("--readme", type=Path, help="README whose datadict markers get the Markdown dictionary")
    args = parser.parse_args(argv)
    try:
        run(Path("raw"), args.out)
        if args.readme:
            update_readme(args.readme)
    except (PipelineError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
