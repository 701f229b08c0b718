"""Who does what: the parenthetical assignments that close the plan's clauses.

A clause of a Chinese action plan ends with its assignment in brackets, e.g.
（市公安局牵头，市反拐联席会议其他成员单位按职责分工负责，各县区人民政府负责落实）: comma-separated
parts, each a list of units (joined by 、, optionally closed by 等) followed by a role verb phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pipeline.records import Clause, Line
from pipeline.tables import Column, ForeignKey, TableSpec

ASSIGNMENT = re.compile(r"[（(]([^（）()]*?(?:牵头|负责|配合|协助|参与)[^（）()]*)[)）]\s*$")
# Verb phrases, most specific first, and the role each names.
ROLES = (
    ("负责落实", "implementing"),
    ("按职责分工负责", "responsible"),
    ("牵头", "lead"),
    ("配合", "cooperate"),
    ("协助", "cooperate"),
    ("参与", "participate"),
    ("负责", "responsible"),
)


@dataclass(frozen=True)
class Responsibility:
    doc_id: str
    clause_id: str
    seq: int
    unit: str
    role: str
    role_text: str
    source_file: str
    line_start: int
    line_end: int
    page_start: int | None
    page_end: int | None


RESPONSIBILITIES = TableSpec(
    name="responsibilities",
    description="One row per (clause, unit, role) from the parenthetical assignments that close clauses.",
    primary_key=("doc_id", "clause_id", "seq"),
    foreign_keys=(ForeignKey(("doc_id", "clause_id"), "clauses", ("doc_id", "clause_id")),),
    columns=(
        Column("doc_id", "string", "Plan version (documents.doc_id).", dictionary=True, required=True),
        Column("clause_id", "string", "Clause the assignment closes (clauses.clause_id).", required=True),
        Column("seq", "integer", "1-based order of the unit in the assignment.", required=True),
        Column("unit", "string", "Unit as printed (a trailing 等 removed), e.g. 市公安局.", dictionary=True, required=True),
        Column("role", "string", "lead (牵头), responsible (负责, 按职责分工负责), implementing (负责落实), cooperate (配合, 协助), participate (参与).", dictionary=True, required=True),
        Column("role_text", "string", "The verb phrase as printed, e.g. 按职责分工负责.", dictionary=True, required=True),
        Column("source_file", "string", "Source file, relative to the raw folder.", dictionary=True, required=True),
        Column("line_start", "integer", "First source line of the assignment.", required=True),
        Column("line_end", "integer", "Last source line of the assignment.", required=True),
        Column("page_start", "integer", "First page, where the source has pages."),
        Column("page_end", "integer", "Last page, where the source has pages."),
    ),
)


def split_part(part: str) -> tuple[list[str], str, str] | None:
    """('市教体局、市公安局等按职责分工负责') -> (['市教体局', '市公安局'], 'responsible', '按职责分工负责')."""
    for phrase, role in ROLES:
        at = part.rfind(phrase)
        if at > 0 and part[at:].strip() == phrase:
            units = re.sub(r"等$", "", part[:at].strip())
            return [u.strip() for u in re.split(r"[、,，]", units) if u.strip()], role, phrase
    return None


def _span(clause: Clause, lines: list[Line]) -> list[Line]:
    """The lines of a clause that hold its closing assignment (from the opening bracket on)."""
    own = [ln for ln in lines if clause.line_start <= ln.lineno <= clause.line_end and ln.text.strip()]
    for k in range(len(own) - 1, -1, -1):
        if "（" in own[k].text or "(" in own[k].text:
            return own[k:]
    return own[-1:]


def parse_responsibilities(clauses: list[Clause], lines: list[Line]) -> list[Responsibility]:
    out: list[Responsibility] = []
    for clause in clauses:
        m = ASSIGNMENT.search(clause.text)
        if not m:
            continue
        span = _span(clause, lines)
        pages = [ln.page for ln in span if ln.page is not None]
        seq = 0
        for part in re.split(r"[，,；;]", m.group(1)):
            parsed = split_part(part.strip())
            if parsed is None:
                continue
            units, role, phrase = parsed
            for unit in units:
                seq += 1
                out.append(Responsibility(clause.doc_id, clause.clause_id, seq, unit, role, phrase,
                                          clause.source_file, span[0].lineno, span[-1].lineno,
                                          min(pages) if pages else None, max(pages) if pages else None))
    return out
