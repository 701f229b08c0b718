"""The edge every parsing stage starts from: a raw folder -> its documents, twins marked.

`python -m pipeline all` runs several stages in one process, and each loads the folder: the
documents are kept by the names and SHA-256 of the folder's files (never by time stamps), so a
run reads and cuts each file once, and a folder whose files change is loaded again. The problems
met while loading are replayed to every stage that loads the folder, so that each stage's record
of problems stays what it would be if it ran alone.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path

from pipeline.errors import SourceError
from pipeline.problems import captured_problems, report_problem
from pipeline.records import Document
from pipeline.sources import read_source, source_paths, source_stems, split_documents
from pipeline.textnorm import normalize_key

Loaded = tuple[list[Document], list[tuple[SourceError, str]]]
_LOADED: OrderedDict[tuple, Loaded] = OrderedDict()
FOLDERS_KEPT = 4


def folder_key(raw_dir: Path, paths: list[Path]) -> tuple:
    """What a load depends on: each file's name and content."""
    return (str(raw_dir.resolve()),) + tuple((p.relative_to(raw_dir).as_posix(), hashlib.sha256(p.read_bytes()).hexdigest())
                                             for p in paths)


def load_documents(raw_dir: Path) -> list[Document]:
    """Every document in every source of `raw_dir`, the other files of one plan version marked.

    Duplicate copies of one file are read once; the same notice in several files (PDF and DOCX)
    is one plan version, published from its most structured reading, the others marked with
    `version_of` (see pipeline.versions); two files that claim the same document number for
    different notices are both kept and reported.
    """
    paths = source_paths(raw_dir)
    key = folder_key(raw_dir, paths)
    loaded = _LOADED.get(key)
    if loaded is None:
        with captured_problems() as problems:
            documents = _load(raw_dir, paths)
        loaded = (documents, problems)
        _LOADED[key] = loaded
        if len(_LOADED) > FOLDERS_KEPT:
            _LOADED.popitem(last=False)
    documents, problems = loaded
    for error, consequence in problems:
        report_problem(error, consequence)
    if not documents:
        raise SourceError(raw_dir, "no readable source in the raw folder")
    return list(documents)


def _load(raw_dir: Path, paths: list[Path]) -> list[Document]:
    from pipeline.versions import mark_twins

    documents: list[Document] = []
    seen_hashes: dict[str, str] = {}
    stems = source_stems([p.relative_to(raw_dir).as_posix() for p in paths])
    for path in paths:
        try:
            source = read_source(path, raw_dir, stems[path.relative_to(raw_dir).as_posix()])
            if source.sha256 in seen_hashes:
                raise SourceError(path, f"same bytes as {seen_hashes[source.sha256]}, a duplicate")
            seen_hashes[source.sha256] = source.name
            documents.extend(_unique_ids(split_documents(source), documents))
        except SourceError as error:
            report_problem(error)
    if documents:
        mark_twins(documents)
        _report_number_claims(documents)
    return documents


def _unique_ids(new: list[Document], earlier: list[Document]) -> list[Document]:
    """File ids never clash (source_stems); a page holding two texts of one kind would give one id
    twice: the second is reported and skipped rather than stopping the run."""
    taken = {d.doc_id.casefold() for d in earlier}
    kept = []
    for doc in new:
        if doc.doc_id.casefold() in taken:
            report_problem(SourceError(doc.source.name, f"{doc.kind} at line {doc.line_span[0]} gives the "
                                                        f"document id {doc.doc_id!r} a second time"))
            continue
        taken.add(doc.doc_id.casefold())
        kept.append(doc)
    return kept


def _report_number_claims(documents: list[Document]) -> None:
    """Two files of one notice are one version; two different notices claiming one number are a
    problem a person must look at."""
    by_number: dict[tuple[str, str], Document] = {}
    for doc in documents:
        if doc.doc_number and doc.kind == "issued_notice" and not doc.is_twin:
            key = (doc.kind, normalize_key(doc.doc_number))
            other = by_number.setdefault(key, doc)
            if other is not doc:
                report_problem(SourceError(doc.source.name, f"claims document number {doc.doc_number} "
                                                            f"like {other.source.name}"), "both kept")
