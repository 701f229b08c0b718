"""The records every layer shares: lines of a source, the source, the documents cut from it.

Readers (bytes -> lines), parsers (lines -> records) and stages all speak these types, so this
module imports nothing from the pipeline: any module may import it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class CellRef:
    """Where a line sits in a table read from the source's structure (a Word or ruled PDF table).

    `row` counts logical rows (a row continued across a page break is one row); `col` is the first
    grid column the cell covers and `colspan` how many it covers.
    """
    table: int
    row: int
    col: int
    colspan: int = 1


@dataclass(frozen=True)
class Line:
    """One line of a source. For a text file `lineno` is the line number; for a PDF it counts the
    text lines read off the pages in order; for a DOCX it counts paragraphs in document order."""
    text: str
    lineno: int
    page: int | None = None
    cell: CellRef | None = None
    wrapped: bool = False  # broken by the layout, not by the author: the paragraph goes on
    # `wrapped` was judged from where the line stops (a PDF table without structure tags): a line
    # that fills its column may as well end a paragraph there, which no geometry can show.
    wrap_judged: bool = False


@dataclass
class Source:
    path: Path
    name: str  # file name relative to the raw folder, as published in `source_file`
    sha256: str
    format: str  # txt | pdf | docx | html
    lines: list[Line]
    stem: str = ""  # the document id the file gives (see source_stems)


@dataclass
class Document:
    doc_id: str
    kind: str
    source: Source
    lines: list[Line]
    title: str = ""
    doc_number: str | None = None
    issuer: str | None = None
    issue_date: str | None = None  # ISO date
    recipients: str | None = None
    label: str | None = None  # a printed status label such as 征求意见稿
    extra: dict[str, str] = field(default_factory=dict)
    # Another file of the same plan version (the same notice as PDF and DOCX): the doc_id of the
    # reading published as the version (see pipeline.versions); None for a published reading.
    version_of: str | None = None

    @property
    def is_plan_version(self) -> bool:
        return self.kind in PLAN_KINDS

    @property
    def is_twin(self) -> bool:
        return self.version_of is not None

    @property
    def line_span(self) -> tuple[int, int]:
        return (self.lines[0].lineno, self.lines[-1].lineno) if self.lines else (0, 0)


PLAN_KINDS = ("consultation_draft", "final_text", "issued_notice")


@dataclass(frozen=True)
class Clause:
    """One clause of a plan's outline (see pipeline.outline.clauses)."""
    doc_id: str
    clause_id: str
    parent_id: str | None
    level: int
    seq: int
    number: str
    heading: str
    text: str
    text_key: str
    source_file: str
    line_start: int
    line_end: int
    page_start: int | None
    page_end: int | None


def plan_versions(documents: list[Document]) -> list[Document]:
    """Versions of the plan text, oldest first (drafts before finals on the same date); another
    file of a version (marked by `load_documents`) is not a version of its own."""
    order = {kind: i for i, kind in enumerate(PLAN_KINDS)}
    versions = [d for d in documents if d.is_plan_version and not d.is_twin]
    return sorted(versions, key=lambda d: (d.issue_date or "", order[d.kind], d.doc_id))
