"""Stage `clauses`: the outline of each plan version, and who is responsible for what.

The plan body follows the standard outline of Chinese official documents: 一、 → （一） → 1. → （1）.
A line that starts with an outline number opens a clause; every other line continues the clause
before it (PDF line breaks inside a paragraph are joined without spaces). The text before the
first 一、 is the preamble, clause "0". Page numbers such as '— 12 —' and the closing reference
to the annex (附件：…) are page furniture, not clause text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pipeline.errors import SourceError
from pipeline.load import load_documents
from pipeline.memo import by_content
from pipeline.plan import PlanParts, split_plan
from pipeline.problems import report_problem
from pipeline.records import Clause, Document, Line, plan_versions
from pipeline.outline.responsibilities import RESPONSIBILITIES, parse_responsibilities
from pipeline.tables import Column, ForeignKey, TableSpec, write_tables
from pipeline.textnorm import join_lines, normalize_key

# (level, pattern) in NFKC form: full-width brackets and digits are folded before matching.
OUTLINE = (
    (1, re.compile(r"^([一二三四五六七八九十]+)、")),
    (2, re.compile(r"^\(([一二三四五六七八九十]+)\)")),
    (3, re.compile(r"^(\d{1,2})[.、](?!\d)")),
    (4, re.compile(r"^\((\d{1,2})\)")),
)
PAGE_FURNITURE = re.compile(r"^[—–\-]\s*\d{1,4}\s*[—–\-]$|^第\s*\d+\s*页")
ANNEX_REFERENCE = re.compile(r"^附件\s*\d*\s*[:：]")


CLAUSES = TableSpec(
    name="clauses",
    description="The outline of the plan body of each version: one row per clause (一、 → （一） → 1.).",
    primary_key=("doc_id", "clause_id"),
    foreign_keys=(ForeignKey(("doc_id",), "documents", ("doc_id",)),),
    columns=(
        Column("doc_id", "string", "Plan version (documents.doc_id).", dictionary=True, required=True),
        Column("clause_id", "string", "Hierarchical id by position: '0' preamble, '3', '3.2', '3.2.1'.", required=True),
        Column("parent_id", "string", "clause_id of the enclosing clause; empty at the top level."),
        Column("level", "integer", "Outline level: 0 preamble, 1 一、, 2 （一）, 3 1., 4 （1）.", required=True),
        Column("seq", "integer", "1-based order of the clause in the document.", required=True),
        Column("number", "string", "Outline number as printed, e.g. 三、 or （二）.", required=True),
        Column("heading", "string", "Heading: the title of a 一、 clause, the first sentence of a lower one."),
        Column("text", "string", "Full text as one paragraph, number removed, line breaks and page furniture removed.", required=True),
        Column("text_key", "string", "Comparison key: text NFKC-normalised with whitespace removed.", required=True),
        Column("source_file", "string", "Source file, relative to the raw folder.", dictionary=True, required=True),
        Column("line_start", "integer", "First source line of the clause (1-based).", required=True),
        Column("line_end", "integer", "Last source line of the clause.", required=True),
        Column("page_start", "integer", "First page, where the source has pages."),
        Column("page_end", "integer", "Last page, where the source has pages."),
    ),
)


def outline_number(text: str) -> tuple[int, str] | None:
    """(level, number as printed) when a line opens an outline clause."""
    folded = normalize_key(text[:8])
    for level, pattern in OUTLINE:
        m = pattern.match(folded)
        if m:
            printed = text.lstrip()
            # Map the folded match length back onto the printed text, spaces included.
            taken, count = 0, 0
            while count < len(m.group(0)) and taken < len(printed):
                if not printed[taken].isspace():
                    count += 1
                taken += 1
            return level, printed[:taken]
    return None


def _content_lines(lines: list[Line]) -> list[Line]:
    out = []
    for ln in lines:
        key = normalize_key(ln.text)
        if not key or PAGE_FURNITURE.match(key) or ANNEX_REFERENCE.match(key):
            continue
        out.append(ln)
    return out


def _heading(level: int, first_line_rest: str, text: str) -> str:
    if level == 1:
        return first_line_rest.strip()
    m = re.match(r"^(.*?[。；;])", text)
    return m.group(1) if m else text


def parse_outline(parts: PlanParts) -> list[Clause]:
    doc = parts.document
    groups: list[tuple[int, str, list[Line]]] = []  # level, number, lines
    for ln in _content_lines(parts.body):
        opened = outline_number(ln.text)
        if opened:
            groups.append((opened[0], opened[1], [ln]))
        elif groups:
            groups[-1][2].append(ln)
        else:
            groups.append((0, "", [ln]))
    clauses: list[Clause] = []
    stack: list[tuple[int, str]] = []  # (level, clause_id) of open ancestors
    children: dict[str | None, int] = {}
    for seq, (level, number, lines) in enumerate(groups, start=1):
        while stack and stack[-1][0] >= level:
            stack.pop()
        parent = stack[-1][1] if stack and level > 0 else None
        if level == 0:
            clause_id = "0"
        else:
            children[parent] = children.get(parent, 0) + 1
            clause_id = f"{parent}.{children[parent]}" if parent else str(children[parent])
            stack.append((level, clause_id))
        first = lines[0].text.strip()[len(number):] if number else lines[0].text.strip()
        if level == 1 and len(lines) > 1:
            body = join_lines([ln.text for ln in lines[1:]])
        else:
            body = join_lines([first] + [ln.text for ln in lines[1:]])
        heading = _heading(level, first, body)
        text = body if level != 1 or len(lines) > 1 else ""
        numbers = [ln.lineno for ln in lines]
        pages = [ln.page for ln in lines if ln.page is not None]
        clauses.append(Clause(doc.doc_id, clause_id, parent, level, seq, number, heading, text,
                              normalize_key(text), doc.source.name, min(numbers), max(numbers),
                              min(pages) if pages else None, max(pages) if pages else None))
    return clauses


@by_content
def _outline_of(doc: Document) -> list[Clause]:
    return parse_outline(split_plan(doc))


def outline_of(doc: Document) -> list[Clause]:
    """The clauses of a plan version, read once per process (see pipeline.memo)."""
    return list(_outline_of(doc))


def clause_rows(versions: list[Document]) -> list[dict[str, Any]]:
    from dataclasses import asdict
    return [asdict(c) for doc in versions for c in outline_of(doc)]


def run(raw_dir: Path, out_dir: Path) -> None:
    clauses: list[Clause] = []
    responsibilities = []
    for doc in plan_versions(load_documents(raw_dir)):
        try:
            parsed = outline_of(doc)
        except SourceError as error:
            report_problem(error)
            continue
        clauses.extend(parsed)
        responsibilities.extend(parse_responsibilities(parsed, doc.lines))
    write_tables(out_dir, [(CLAUSES, clauses), (RESPONSIBILITIES, responsibilities)])
