"""Corpus mode: every notice in a folder, on all cores, into one partitioned Parquet dataset.

`python -m pipeline corpus DIR --out OUT` reads each source file of DIR in a worker process and
writes OUT/annex_measures/ (and OUT/clauses/ when the clauses stage is installed) partitioned by
document: pandas, polars and DuckDB read each folder as one table
(`duckdb.sql("select * from 'OUT/annex_measures/**/*.parquet'")`).

A corpus never stops for one document: a file that cannot be read, or whose reading fails in any
way, is named in one line on stderr and skipped, the datasets of the rest are written, and the exit
status is 1 (2 only when nothing can be written). As in `python -m pipeline all`, the files of one
plan version (the same notice as PDF and DOCX) are one version, published from the most structured
reading and cross-checked against each other in OUT/quality/twins.{json,md} (see pipeline.versions).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
import tempfile
import threading
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from tqdm import tqdm

from pipeline.errors import PipelineError
from pipeline.tables import TableSpec

EXIT_SKIPPED = 1
EXIT_FAILED = 2


@dataclass
class FileResult:
    name: str
    # Every plan text of the file; the annex rows come from the readings' measures (see `_rows`).
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    readings: list[Any] = field(default_factory=list)  # pipeline.versions.Reading, one per plan text
    error: str | None = None  # the whole file was skipped
    trace: str | None = None  # the traceback of an unexpected failure, shown with --debug


@dataclass
class CorpusRun:
    results: list[FileResult]
    problems: list[str] = field(default_factory=list)  # one line each, naming the file
    versions: int = 0
    twins: list[dict[str, Any]] = field(default_factory=list)

    @property
    def traces(self) -> list[str]:
        return [r.trace for r in self.results if r.trace]


def _specs() -> dict[str, TableSpec]:
    from pipeline.annex.stage import ANNEX_MEASURES
    specs = {ANNEX_MEASURES.name: ANNEX_MEASURES}
    try:
        from pipeline.outline.clauses import CLAUSES
        specs[CLAUSES.name] = CLAUSES
    except ImportError:
        pass
    return specs


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if isinstance(error, PipelineError) else f"{type(error).__name__}: {text}" if text else type(error).__name__


def _flat_dict(record: Any) -> dict[str, Any]:
    """A record of plain values as a dict: what dataclasses.asdict gives, without its deep copy."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


def process_file(path: Path, root: Path, stem: str | None = None) -> FileResult:
    """The readings and rows of every plan text of one source file; a file that cannot be read
    gives its error instead. Nothing escapes: a worker's failure is this file's failure."""
    from pipeline.records import plan_versions
    from pipeline.sources import read_source, split_documents
    from pipeline.versions import read_plan

    result = FileResult(path.relative_to(root).as_posix())
    try:
        documents = split_documents(read_source(path, root, stem))
        # The annex rows are made from the readings' measures by the main process, for the versions
        # it publishes only (see `_rows`): a worker does not make, nor send back, them twice.
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in _specs() if name != "annex_measures"}
        for doc in plan_versions(documents):
            plan = read_plan(doc)
            result.readings.append(plan.reading)
            if plan.clauses is not None and "clauses" in rows:
                rows["clauses"] += [_flat_dict(c) for c in plan.clauses]
        result.rows = rows
    except Exception as error:  # noqa: BLE001 - one document must never stop the corpus
        result.error = f"{result.name}: {_one_line(error)}" if not isinstance(error, PipelineError) else str(error)
        if not isinstance(error, PipelineError):
            result.trace = traceback.format_exc()
    return result


def read_corpus(corpus_dir: Path, workers: int | None = None) -> list[FileResult]:
    from pipeline.sources import source_paths, source_stems

    # What the workers need and this process needs afterwards (to resolve the versions) is
    # imported once, before the workers start: forked, they inherit it instead of importing it.
    _specs()
    importlib.import_module("pipeline.versions")
    paths = source_paths(corpus_dir)
    names = [p.relative_to(corpus_dir).as_posix() for p in paths]
    stems = source_stems(names)
    workers = workers or os.cpu_count() or 1
    results: list[FileResult] = []
    # The bar draws on a terminal only (disable=None); a log gets the one closing line below.
    with ProcessPoolExecutor(max_workers=workers) as pool, \
            tqdm(total=len(paths), desc="documents", unit="doc", file=sys.stderr, disable=None) as bar:
        futures = [pool.submit(process_file, p, corpus_dir, stems[n]) for p, n in zip(paths, names)]
        # The workers have started (a pool of forked workers starts them all with the first task):
        # the dataset writer, needed once they are done, loads meanwhile.
        _import_in_background("pyarrow.dataset")
        failed = 0
        for future, name in zip(futures, names):
            try:
                results.append(future.result())
            except Exception as error:  # noqa: BLE001 - a worker that died takes only its file with it
                results.append(FileResult(name, error=f"{name}: worker failed ({_one_line(error)})",
                                          trace=traceback.format_exc()))
            failed += bool(results[-1].error)  # counted as they come: a corpus can hold many thousands
            bar.set_postfix(failed=failed, refresh=False)
            bar.update()
    if not sys.stderr.isatty():
        print(f"{len(results)} documents, {sum(1 for r in results if r.error)} failed", file=sys.stderr, flush=True)
    return results


def _import_in_background(module: str) -> None:
    """Import `module` in a thread of this process, which only waits for the workers meanwhile."""
    def load() -> None:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 - the import where the module is used reports the error
            pass
    threading.Thread(target=load, name=f"import {module}", daemon=True).start()


@dataclass(frozen=True)
class PublishedAnnex:
    """What corpus mode publishes of one file's annex on its own."""

    rows: list[dict[str, Any]]
    error: str | None  # the problems that name the file (why nothing, or not everything, is certain)
    trace: str | None = None  # the traceback of an unexpected failure
    doubtful: tuple[str, ...] = ()  # cells published but flagged as not certain (unit/phase)


def published_annex(path: Path, root: Path) -> PublishedAnnex:
    """What corpus mode publishes of one file's annex when the file is the whole corpus."""
    result = process_file(path, root)
    if result.error:
        return PublishedAnnex([], result.error, result.trace)
    run = CorpusRun([result])
    published = resolve_versions(run)
    rows = _rows(result, "annex_measures", published)
    doubtful = tuple(part for r in result.readings if r.doc_id in published for part in r.annex.doubtful_parts)
    return PublishedAnnex(rows, "; ".join(run.problems) or None, None, doubtful)


def _rows(result: FileResult, name: str, published: set[str]) -> list[dict[str, Any]]:
    """The rows of table `name` that a file gives for its published versions."""
    if name == "annex_measures":
        from pipeline.annex.stage import rows_of_measures
        return [row for reading in result.readings if reading.doc_id in published
                for row in rows_of_measures(reading.doc_id, reading.source_file, reading.measures)]
    return [r for r in result.rows.get(name, []) if r["doc_id"] in published]


def resolve_versions(run: CorpusRun) -> set[str]:
    """Group the readings into plan versions; return the doc ids whose rows are published.

    A version comes from its best reading; its other files are cross-checked against it. A
    version whose best reading failed is skipped and named; a file of a version that failed while
    another was published is named too."""
    from pipeline.versions import choose, group_readings, twin_entry, unread_twins

    from pipeline.annex.stage import confirmed_by, unconfirmed
    from pipeline.versions import METHOD_ORDER

    published: set[str] = set()
    readings = [r for res in run.results if not res.error for r in res.readings]
    rebuilt = METHOD_ORDER.index("rebuilt")
    clean = [list(r.measures) for r in readings if r.structure[0] < rebuilt and r.annex.status == "complete"]
    for members in group_readings(readings):
        best = choose(members)
        if best.structure[0] == rebuilt and best.annex.status == "complete":
            error = unconfirmed(best.source_file, best.kind, best.measures, clean)
            if error is not None:
                run.problems.append(f"{error} (skipped)")
                continue
        if len(members) > 1:
            entry = twin_entry(members, best)
            run.twins.append(entry.as_dict())
            run.problems += [f"{error} ({consequence})" for error, consequence in unread_twins(entry)]
        if best.outline_error or best.annex.status == "refused":
            run.problems.append(f"{best.problem} (skipped)")
            continue
        settled = best.annex.only_in_doubt and confirmed_by(best.measures, clean)
        if best.annex.status in ("partial", "missing") and not settled:
            run.problems.append(f"{best.annex.detail} ({best.annex.consequence})")
        published.add(best.doc_id)
        run.versions += 1
    return published


def _valid_rows(spec: TableSpec, rows: list[dict[str, Any]], run: CorpusRun, dropped: set[str]) -> None:
    """Validate each document's rows on its own, so that one bad document is named and dropped
    instead of failing the dataset of the whole corpus."""
    from pipeline.tables import ValidationError, validate

    by_doc: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_doc.setdefault(row["doc_id"], []).append(row)
    for doc_id, doc_rows in by_doc.items():
        try:
            validate(spec, doc_rows)
        except ValidationError as error:
            run.problems.append(f"{doc_rows[0]['source_file']}: {doc_id}: {error} (skipped)")
            dropped.add(doc_id)


def write_corpus(run: CorpusRun, published: set[str], out_dir: Path, corpus_dir: Path) -> None:
    import pyarrow.dataset as ds

    from pipeline.tables import as_dict, give_umask_mode, to_arrow, write_bytes_atomic
    from pipeline.versions import render_twins

    out_dir.mkdir(parents=True, exist_ok=True)
    tables = {name: [as_dict(r) for res in run.results if not res.error for r in _rows(res, name, published)]
              for name in _specs()}
    dropped: set[str] = set()
    for name, spec in _specs().items():
        _valid_rows(spec, tables[name], run, dropped)
    for name, spec in _specs().items():
        rows = [r for r in tables[name] if r["doc_id"] not in dropped]
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
    quality = out_dir / "quality"
    write_bytes_atomic(quality / "twins.json",
                       (json.dumps(run.twins, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    markdown = render_twins(run.twins) or "No plan version of the corpus is held by more than one file."
    write_bytes_atomic(quality / "twins.md", ("# Plan versions read from several files\n\n" + markdown + "\n").encode("utf-8"))


def run_corpus(corpus_dir: Path, out_dir: Path, workers: int | None = None) -> CorpusRun:
    run = CorpusRun(read_corpus(corpus_dir, workers))
    run.problems += [f"{r.error} (skipped)" for r in run.results if r.error]
    published = resolve_versions(run)
    write_corpus(run, published, out_dir, corpus_dir)
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline corpus",
                                     description="Run every notice in a folder on all cores into one "
                                                 "Parquet dataset partitioned by document.",
                                     epilog="Exit status: 0 every document read; 1 some were skipped (each named "
                                            "on stderr), the rest written; 2 nothing written.")
    parser.add_argument("corpus", type=Path, help="folder of source files")
    parser.add_argument("--out", type=Path, default=Path("corpus-out"), help="output folder (default: corpus-out)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--debug", action="store_true", help="show the traceback of unexpected failures")
    args = parser.parse_args(argv)
    try:
        run = run_corpus(args.corpus, args.out, args.workers)
    except Exception as error:  # noqa: BLE001 - one line, never a traceback without --debug
        if args.debug:
            traceback.print_exc()
        print(f"error: {_one_line(error)}", file=sys.stderr)
        return EXIT_FAILED
    if args.debug:
        for trace in run.traces:
            print(trace, file=sys.stderr)
    for problem in dict.fromkeys(run.problems):
        print(f"error: {problem}", file=sys.stderr)
    read = sum(1 for r in run.results if not r.error)
    print(f"corpus: {read} of {len(run.results)} files read; {run.versions} plan versions published"
          + (f", {len(run.twins)} of them held by several files (cross-check: {args.out / 'quality' / 'twins.md'})"
             if run.twins else ""))
    return EXIT_SKIPPED if run.problems else 0
