"""How the annex of each plan version was read: completely, in part, refused, missing, or none.

The change audit must never report as deleted what it could not read. It reads datasets, not
sources, so the annex stage records here, per plan version, whether its annex came through whole:

- complete: the table was read and every character of its region is in a measure, the header or
  the quality report;
- partial: the table was read, but some of its text is not in any measure, or the file does not
  show where some measures end (an untagged PDF where a paragraph may end at a full line); the
  cells are listed in `missing_parts` when known, else the part is unknown (null);
- refused: the reader could not read the table and said so (the error names the file and the place);
- missing: the plan refers to its annex (附件：…) or prints the annex heading, but no table follows
  (e.g. a scanned attachment, or an annex replaced by a placeholder);
- none: the plan neither refers to an annex nor has one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pipeline.errors import SourceError
from pipeline.plan import split_plan
from pipeline.problems import report_problem
from pipeline.records import Document, Line
from pipeline.tables import Column, ForeignKey, TableSpec
from pipeline.textnorm import normalize_key

READ_STATUSES = ("complete", "partial", "refused", "missing", "none")
# Statuses whose measures can be compared with another version's (a partial one, except its missing part).
COMPARABLE = ("complete", "none")
PART_SEPARATOR = "；"
# A reference to the annex in the plan text: 附件：重点任务推进表, 附件1:…
ANNEX_REFERENCE = re.compile(r"附件\d*[:：].+")

ANNEX_STATUS = TableSpec(
    name="annex_status",
    description="How the annex of each plan version was read: one row per plan version. The change audit "
                "compares only what was read completely.",
    primary_key=("doc_id",),
    foreign_keys=(ForeignKey(("doc_id",), "documents", ("doc_id",)),),
    columns=(
        Column("doc_id", "string", "Plan version (documents.doc_id).", dictionary=True, required=True),
        Column("status", "string", "complete, partial (some text of the table is in no measure, or the file does not "
                                   "show where some measures end), refused (the reader "
                                   "could not read the table), missing (the plan refers to an annex but no table "
                                   "follows) or none (no annex referred to or found).", dictionary=True, required=True),
        Column("method", "string", "How the table was read: table (cells of the file's own table), rebuilt (from "
                                   "broken PDF text) or linear (a clean linearisation); empty when not read.",
               dictionary=True),
        Column("measures", "integer", "Number of measures read (annex_measures rows of the version).", required=True),
        Column("missing_parts", "string", "For a partial annex: the cells not read completely or for certain (published "
                                          "but not compared), as unit/phase (or unit "
                                          "for a whole row), separated by '；'; empty when the part is unknown."),
        Column("source_file", "string", "Source file, relative to the raw folder.", dictionary=True, required=True),
        Column("detail", "string", "Why the annex was not read completely: the file, the place and the problem."),
    ),
)


@dataclass(frozen=True)
class AnnexRead:
    doc_id: str
    status: str
    source_file: str
    measures: int = 0
    method: str | None = None
    missing_parts: tuple[str, ...] | None = ()  # None: some part is missing, which one is not known
    detail: str | None = None
    doubtful_parts: tuple[str, ...] = ()  # of missing_parts, the cells read whole but not for certain

    @property
    def only_in_doubt(self) -> bool:
        """Partial only because the file does not show where some measures end."""
        return self.status == "partial" and bool(self.doubtful_parts) and self.missing_parts == self.doubtful_parts

    @property
    def consequence(self) -> str:
        """What a run does about a missing or partial annex, as its problem line says."""
        if self.status == "missing":
            return "annex not read"
        return "cells in doubt not compared" if self.only_in_doubt else "missing part not compared"

    def row(self) -> dict[str, Any]:
        parts = PART_SEPARATOR.join(self.missing_parts) if self.missing_parts else None
        return {"doc_id": self.doc_id, "status": self.status, "method": self.method, "measures": self.measures,
                "missing_parts": parts, "source_file": self.source_file, "detail": self.detail}


def annex_reference(doc: Document) -> Line | None:
    """The line of the plan body that refers to its annex, if any."""
    return next((ln for ln in split_plan(doc).body if ANNEX_REFERENCE.fullmatch(normalize_key(ln.text))), None)


def refused(doc: Document, error: SourceError) -> AnnexRead:
    return AnnexRead(doc.doc_id, "refused", doc.source.name, detail=str(error))


def absent(doc: Document) -> AnnexRead:
    """No table came through: missing when the plan says it has an annex, else none. A missing
    annex is reported like a skipped source, so that the run ends with exit status 1."""
    heading = next((ln for ln in split_plan(doc).annex if ln.text.strip()), None)
    reference = annex_reference(doc)
    if heading is None and reference is None:
        return AnnexRead(doc.doc_id, "none", doc.source.name)
    said = heading or reference
    assert said is not None
    error = SourceError(doc.source.name, f"{doc.kind} at line {said.lineno} ({said.text.strip()}) refers to an annex "
                                         f"but no annex table follows")
    read = AnnexRead(doc.doc_id, "missing", doc.source.name, detail=str(error))
    report_problem(error, read.consequence)
    return read


def read_fully(doc: Document, method: str, measures: int, unplaced_parts: list[tuple[str | None, str | None]],
               unplaced_chars: str, unsure_parts: list[tuple[str, str, int | None]] = ()) -> AnnexRead:
    """complete, or partial when text of the annex region is in no measure, or when the file does
    not show where some of its measures end.

    `unplaced_parts` are the (unit, phase) cells of text the reader reported as not placed;
    `unplaced_chars` are characters the accounting could not find anywhere. Text that cannot be
    placed in a cell makes the missing part unknown: the whole annex is then not compared.
    `unsure_parts` are (unit, phase, page) of cells whose measures may be cut otherwise than read
    (a paragraph that may end where a line fills its column): they are published but not compared."""
    if not unplaced_parts and not unplaced_chars and not unsure_parts:
        return AnnexRead(doc.doc_id, "complete", doc.source.name, measures, method)
    known = not unplaced_chars and all(unit for unit, _ in unplaced_parts)
    unplaced = tuple(dict.fromkeys(f"{unit}/{phase}" if phase else str(unit) for unit, phase in unplaced_parts))
    doubtful = tuple(dict.fromkeys(f"{unit}/{phase}" for unit, phase, _ in unsure_parts))
    parts = tuple(dict.fromkeys(unplaced + doubtful))
    why = []
    if unplaced_parts or unplaced_chars:
        where = PART_SEPARATOR.join(unplaced) if known else "a part that cannot be located"
        why.append(f"annex read in part, text not placed in any measure ({where})")
    if unsure_parts:
        cells = dict.fromkeys(f"{unit}/{phase}" + (f" page {page}" if page else "") for unit, phase, page in unsure_parts)
        why.append(f"where {len(cells)} cell(s) of unnumbered paragraphs end is not shown by the file: a line fills "
                   f"its column where a paragraph may end ({PART_SEPARATOR.join(cells)}); put the DOCX or a tagged "
                   "PDF in the raw folder to read them for certain")
    error = SourceError(doc.source.name, f"{doc.kind}: " + "; ".join(why))
    read = AnnexRead(doc.doc_id, "partial", doc.source.name, measures, method, parts if known else None, str(error),
                     doubtful)
    report_problem(error, read.consequence)
    return read
