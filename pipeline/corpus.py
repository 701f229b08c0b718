"""Corpus mode: every notice in a folder, on all cores, into one partitioned Parquet dataset.

`python -m pipeline corpus DIR --out OUT` reads each source file of DIR in a worker process, so one
failing document stops nothing but itself, and writes OUT/annex_measures/ (and OUT/clauses/ when the
clauses stage is installed) partitioned by document: pandas, polars and DuckDB read each folder as one
table (`duckdb.sql("select * from 'OUT/annex_measures/**/*.parquet'")`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from pipeline.errors import PipelineError, SourceError
from pipeline.tables import TableSpec


@dataclass
class FileResult:
    name: str
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    error: str | None = None


def _specs() -> dict[str, TableSpec]:
    from pipeline.annex import ANNEX_MEASURES
    specs = {ANNEX_MEASURES.name: ANNEX_MEASURES}
    try:
        from pipeline.clauses import CLAUSES
        specs[CLAUSES.name] = CLAUSES
    except ImportError:
        pass
    return specs


def process_file(path: Path, root: Path) -> FileResult:
    """All rows of one source file; a bad file gives its error instead."""
    from pipeline.annex import measure_rows, parse_annex
    from pipeline.sources import plan_versions, read_source, split_documents

    result = FileResult(path.relative_to(root).as_posix())
    try:
        documents = split_documents(read_source(path, root))
        versions = plan_versions(documents)
        result.rows["annex_measures"] = [r for d in versions if (p := parse_annex(d)) for r in measure_rows(p)]
        if "clauses" in _specs():
            from pipeline import clauses
            result.rows["clauses"] = clauses.clause_rows(versions)
    except (PipelineError, SourceError) as error:
        result.error = str(error)
    return result


def run_corpus(corpus_dir: Path, out_dir: Path, workers: int | None = None) -> list[FileResult]:
    import pyarrow.dataset as ds

    from pipeline.sources import source_paths
    from pipeline.tables import as_dict, give_umask_mode, to_arrow, validate

    paths = source_paths(corpus_dir)
    workers = workers or os.cpu_count() or 1
    results: list[FileResult] = []
    # The bar draws on a terminal only (disable=None); a log gets the one closing line below.
    with ProcessPoolExecutor(max_workers=workers) as pool, \
            tqdm(total=len(paths), desc="documents", unit="doc", file=sys.stderr, disable=None) as bar:
        futures = [pool.submit(process_file, p, corpus_dir) for p in paths]
        for future in futures:
            results.append(future.result())
            bar.set_postfix(failed=sum(1 for r in results if r.error), refresh=False)
            bar.update()
    if not sys.stderr.isatty():
        print(f"{len(results)} documents, {sum(1 for r in results if r.error)} failed", file=sys.stderr, flush=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, spec in _specs().items():
        rows = [as_dict(r) for res in results for r in res.rows.get(name, [])]
        validate(spec, rows)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=out_dir))
        give_umask_mode(staging, directory=True)
        try:
            ds.write_dataset(to_arrow(spec, rows, source=str(corpus_dir)), staging, format="parquet",
                             partitioning=["doc_id"], partitioning_flavor="hive",
                             existing_data_behavior="overwrite_or_ignore")
            target = out_dir / name
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline corpus",
                                     description="Run every notice in a folder on all cores into one "
                                                 "Parquet dataset partitioned by document.")
    parser.add_argument("corpus", type=Path, help="folder of source files")
    parser.add_argument("--out", type=Path, default=Path("corpus-out"), help="output folder (default: corpus-out)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    args = parser.parse_args(argv)
    try:
        results = run_corpus(args.corpus, args.out, args.workers)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for res in results:
        if res.error:
            print(f"error: {res.error} (skipped)", file=sys.stderr)
    return 1 if any(r.error for r in results) else 0
