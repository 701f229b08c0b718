"""Table specs and the one place that writes datasets.

Every dataset is described once, as a `TableSpec`: its columns with types and descriptions and
its keys. From the spec come the explicit pyarrow schema, validation before writing, and the
data dictionary. Parquet is the canonical output, CSV (UTF-8 with BOM, so Excel on a Chinese
Windows desktop shows the text) is the convenience copy; both are written to temporary files and
renamed into place only once both are complete, so a failed run leaves earlier outputs intact.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from dataclasses import asdict, dataclass, is_dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import __version__
from pipeline.errors import PipelineError

ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int32(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string | integer | boolean | date
    description: str
    dictionary: bool = False  # dictionary-encode: few distinct values repeated many times
    required: bool = False


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    table: str
    reference: tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def arrow_schema(self, source: str = "") -> pa.Schema:
        fields = []
        for col in self.columns:
            typ = ARROW_TYPES[col.type]
            if col.dictionary:
                typ = pa.dictionary(pa.int32(), typ)
            fields.append(pa.field(col.name, typ, nullable=not col.required,
                                   metadata={"description": col.description}))
        return pa.schema(fields, metadata={"table": self.name, "description": self.description,
                                           "pipeline_version": __version__, "source": source,
                                           "primary_key": ",".join(self.primary_key)})


class ValidationError(Exception):
    pass


def as_dict(row: Any) -> dict[str, Any]:
    return asdict(row) if is_dataclass(row) else dict(row)


def validate(spec: TableSpec, rows: list[dict[str, Any]]) -> None:
    names = set(spec.column_names)
    for i, row in enumerate(rows):
        extra, missing = set(row) - names, names - set(row)
        if extra or missing:
            raise ValidationError(f"{spec.name} row {i}: unexpected columns {sorted(extra)}, missing {sorted(missing)}")
        for col in spec.columns:
            value = row[col.name]
            if value is None:
                if col.required:
                    raise ValidationError(f"{spec.name} row {i}: {col.name} is required")
                continue
            expected = {"string": str, "integer": int, "boolean": bool, "date": (str, dt.date)}[col.type]
            if not isinstance(value, expected) or (col.type == "integer" and isinstance(value, bool)):
                raise ValidationError(f"{spec.name} row {i}: {col.name}={value!r} is not {col.type}")
    if spec.primary_key:
        keys = [tuple(row[k] for k in spec.primary_key) for row in rows]
        if len(set(keys)) != len(keys):
            dup = next(k for k in keys if keys.count(k) > 1)
            raise ValidationError(f"{spec.name}: primary key {spec.primary_key} repeats {dup}")


def _arrow_value(col: Column, value: Any) -> Any:
    if value is not None and col.type == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def to_arrow(spec: TableSpec, rows: list[dict[str, Any]], source: str = "") -> pa.Table:
    schema = spec.arrow_schema(source)
    arrays = []
    for col, field in zip(spec.columns, schema):
        values = [_arrow_value(col, row[col.name]) for row in rows]
        array = pa.array(values, type=ARROW_TYPES[col.type])
        if col.dictionary:
            array = array.dictionary_encode()
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=schema)


def _csv_bytes(spec: TableSpec, rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = spec.column_names
    writer.writerow(names)
    # The values of a row in column order, taken at once (a table has thousands of rows).
    values_of = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    for row in rows:
        values = values_of(row)
        if None in values:
            values = ["" if v is None else v for v in values]
        writer.writerow(values)
    return buffer.getvalue().encode("utf-8-sig")


def current_umask() -> int:
    """The process umask. It can only be read by setting it, so set it back at once."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def give_umask_mode(path: Path, directory: bool = False) -> None:
    """Give a file or folder made by `tempfile` the mode a plain `open` or `mkdir` would have given it.

    `tempfile` makes its files 0600 and its folders 0700 (private on purpose), and a rename keeps
    that mode: the outputs would then be unreadable to the colleagues the user's umask lets read them.
    """
    base = 0o777 if directory else 0o666
    os.chmod(path, base & ~current_umask())


def _temp_path(target: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    give_umask_mode(Path(name))
    return Path(name)


def write_bytes_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_path(target)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_tables(out_dir: Path, tables: Iterable[tuple[TableSpec, Iterable[Any]]], source: str = "") -> list[Path]:
    """Validate every table, then write each as NAME.parquet and NAME.csv, all or nothing.

    Nothing is renamed into place until every table has been validated and written to its
    temporary file.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = list(tables)
    for spec, _ in tables:
        # Temporary files of a run that was killed are not outputs: clear them.
        for stale in out_dir.glob(f".{spec.name}.*.tmp"):
            stale.unlink(missing_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for spec, rows in tables:
            dict_rows = [as_dict(r) for r in rows]
            validate(spec, dict_rows)
            parquet_target, csv_target = out_dir / f"{spec.name}.parquet", out_dir / f"{spec.name}.csv"
            tmp = _temp_path(parquet_target)
            staged.append((tmp, parquet_target))
            pq.write_table(to_arrow(spec, dict_rows, source), tmp, compression="zstd")
            tmp = _temp_path(csv_target)
            staged.append((tmp, csv_target))
            tmp.write_bytes(_csv_bytes(spec, dict_rows))
        for tmp, target in staged:
            os.replace(tmp, target)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    return [target for _, target in staged]


def read_table(out_dir: Path, name: str) -> list[dict[str, Any]]:
    """The rows of a published table: how the derived stages read their inputs (never the sources)."""
    path = out_dir / f"{name}.parquet"
    if not path.exists():
        raise PipelineError(f"{path}: not found; run the stage that writes {name} first")
    return pq.read_table(path).to_pylist()
