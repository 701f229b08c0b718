"""Read an annex table whose cells the source itself delimits (a Word table, a ruled PDF table).

The readers tag every line of a table with its `CellRef`, so nothing has to be inferred about
where a cell ends. What is left to read is the table's form: header rows come before the first
row whose first cell is a unit name; each later column's phase is the lowest header cell above
it (a spanning heading such as 年度推进举措 gives way to the years under it); a row with an empty
unit cell continues the row above (a vertically merged unit); and a cell's lines are cut into
measures at paragraphs and at item numbers (1., 2., …), which rise within a cell.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from pipeline.annex.model import AnnexMeasure, AnnexTable, QualityIssue
from pipeline.annex.text import LABEL, UNIT_LABEL, is_unit_name
from pipeline.errors import SourceError
from pipeline.records import CellRef, Line
from pipeline.textnorm import join_lines, normalize_key


@dataclass
class GridCell:
    ref: CellRef
    lines: list[Line]

    @property
    def text(self) -> str:
        return join_lines([ln.text for ln in self.lines])


def _cells(lines: list[Line]) -> tuple[int, dict[int, list[GridCell]]]:
    """The cells of the first table in `lines`, grouped by row."""
    table = next(ln.cell.table for ln in lines if ln.cell is not None)
    by_ref: dict[CellRef, GridCell] = {}
    for ln in lines:
        if ln.cell is not None and ln.cell.table == table:
            by_ref.setdefault(ln.cell, GridCell(ln.cell, [])).lines.append(ln)
    rows: dict[int, list[GridCell]] = defaultdict(list)
    for cell in by_ref.values():
        rows[cell.ref.row].append(cell)
    for row in rows.values():
        row.sort(key=lambda c: c.ref.col)
    return table, dict(sorted(rows.items()))


def _unit_cell(row: list[GridCell]) -> GridCell | None:
    return next((c for c in row if c.ref.col == 0), None)


def _is_unit_row(row: list[GridCell]) -> bool:
    unit = _unit_cell(row)
    return unit is not None and is_unit_name(normalize_key(unit.text)) and not LABEL.match(unit.text)


def _phases(header: list[list[GridCell]], columns: int) -> list[str]:
    phases = []
    for col in range(1, columns):
        covering = [c for row in header for c in row if c.ref.col <= col < c.ref.col + c.ref.colspan]
        phases.append(covering[-1].text.strip() if covering else "")
    return phases


def _measures(cell: GridCell) -> tuple[list[tuple[str, list[Line]]], list[Line]]:
    """(label, lines) per measure: a paragraph opens a measure, and so does a line whose item
    number rises (a PDF cannot always tell a wrapped line from a paragraph's last one); and the
    lines after which a paragraph may have ended though the item was read as going on.

    A cell numbers all its paragraphs or none. Where the page, not the file, says a paragraph
    ended (a PDF's geometry), a line of a numbered item followed by a line with no item number was
    wrapped after all: line breaking can leave a line short (开 | 展“2+Ｎ”招聘, where the quotation
    keeps its neighbours together), and a page break cuts an item anywhere. Where that line ends a
    sentence or a clause, the file does not show which it is: it is returned, to be named in doubt."""
    items: list[tuple[str, list[Line]]] = []
    unsure: list[Line] = []
    previous: int | None = None
    wrapped = False
    for k, ln in enumerate(cell.lines):
        m = LABEL.match(ln.text.strip())
        number = int(normalize_key(m.group(1))) if m else None
        rises = number is not None and (previous is None or number > previous)
        before = cell.lines[k - 1] if k else None
        goes_on = before is not None and before.wrap_judged and number is None and items[-1][0] != ""
        if goes_on and not wrapped and _ending(before) != "none":
            unsure.append(before)
        if not items or rises or not (wrapped or goes_on):
            items.append((normalize_key(m.group(1)) if m else "", []))
            previous = number if number is not None else previous
        items[-1][1].append(ln)
        wrapped = ln.wrapped
    return items, unsure


# How a paragraph can end, by its last mark: a sentence (。), a clause of a list (；), or no mark.
_ENDINGS = {**dict.fromkeys("。！？!?", "sentence"), **dict.fromkeys("；;", "clause")}


def _ending(line: Line) -> str:
    text = line.text.rstrip()
    return _ENDINGS.get(text[-1:], "none")


def _unsure_breaks(cells: list[tuple[str, str, list[list[Line]]]], printed: set[str]) -> list[tuple[str, str, Line]]:
    """(unit, phase, line) of the lines of unnumbered cells where a paragraph may end although the
    reader went on; `cells` are the unnumbered cells as (unit, phase, paragraphs), `printed` the
    keys of every measure of the table.

    Where a PDF carries no paragraphs, a line that fills its column was read as wrapped. It may
    as well end a paragraph that happens to end at the edge, and in a cell of unnumbered
    paragraphs that would start another measure. The table itself says whether that can happen:
    a line that fills its column is in doubt when the table somewhere shows, on a short line, an
    unnumbered cell's paragraph ending the same way (with 。, with ；, or with no mark) and another
    paragraph following it; or when the paragraph up to that line reads, on the key, as a whole
    measure printed elsewhere in the table (a set phrase such as 做好总结、宣传等工作 that ends
    without a mark, repeated from cell to cell)."""
    # In an unnumbered cell a paragraph ends only where a line was read as not wrapped.
    seen = {_ending(lines[-1]) for _, _, paragraphs in cells for lines in paragraphs[:-1] if lines[-1].wrap_judged}
    return [(unit, phase, line) for unit, phase, paragraphs in cells for lines in paragraphs
            for k, line in enumerate(lines[:-1]) if line.wrap_judged and line.wrapped
            and (_ending(line) in seen or normalize_key(join_lines([ln.text for ln in lines[:k + 1]])) in printed)]


# A year's heading ends at 年: another year right after it is the next column's heading, read into
# this column (2026 年2027—2030 年).
GLUED_HEADINGS = re.compile(r"年[0-9]")


def _misread_heading(phases: list[str]) -> str | None:
    """Why a column's heading shows the header read into the wrong columns (None when none does):
    - two years' headings run together (2026 年2027—2030 年);
    - a year's heading with words before its year where the other years' headings have none: a
      heading centred over the year columns (年度目标), read into the middle one's;
    - the unit column's heading over a column of measures (a heading set down a narrow column,
      parted by a heading beside it)."""
    glued = next((p for p in phases if GLUED_HEADINGS.search(normalize_key(p))), None)
    if glued is not None:
        return f"the heading {glued!r} reads as two columns' headings"
    dated = [normalize_key(p) for p in phases if re.search(r"[0-9]", p)]
    worded = [p for p in dated if not p[:1].isdigit()]
    if len(worded) == 1 and len(dated) >= 3:
        return f"the heading {worded[0]!r} reads as a heading over several columns run into one column's"
    labelled = next((p for p in phases if UNIT_LABEL.fullmatch(normalize_key(p))), None)
    if labelled is not None:
        return f"the heading {labelled!r} of a column of measures reads as the unit column's heading"
    return None


def parse_cell_annex(lines: list[Line], source: str = "") -> AnnexTable:
    table, rows = _cells(lines)
    ordered = list(rows.values())
    first_unit = next((k for k, row in enumerate(ordered) if _is_unit_row(row)), None)
    if first_unit is None:
        raise SourceError(source, f"annex table {table + 1} has no row whose first cell is a unit name")
    header, body = ordered[:first_unit], ordered[first_unit:]
    columns = max(c.ref.col + c.ref.colspan for row in ordered for c in row)
    phases = _phases(header, columns)
    if not all(phases):
        raise SourceError(source, f"annex table {table + 1}: a column has no heading")
    misread = _misread_heading(phases)
    if misread is not None:
        raise SourceError(source, f"annex table {table + 1}: {misread}")

    measures: list[AnnexMeasure] = []
    issues: list[QualityIssue] = []
    unnumbered: list[tuple[str, str, list[list[Line]]]] = []  # (unit, phase, paragraphs) of cells without item numbers
    unit, order, seq_in = "", 0, defaultdict(int)
    last_label: dict[int, int] = {}
    for row in body:
        unit_cell = _unit_cell(row)
        if unit_cell is not None and unit_cell.text.strip():
            if not _is_unit_row(row):
                raise SourceError(source, f"annex row at line {unit_cell.lines[0].lineno}: "
                                          f"{unit_cell.text!r} is not a unit name")
            unit, order, seq_in, last_label = unit_cell.text.strip(), order + 1, defaultdict(int), {}
        for cell in row:
            if cell.ref.col == 0:
                continue
            p = cell.ref.col
            phase = phases[p - 1]
            if cell.ref.colspan > 1:
                issues.append(QualityIssue("cells_merged", f"one cell spans {cell.ref.colspan} columns; "
                                           f"its measures are given to {phase}", cell.lines[0].lineno,
                                           cell.lines[-1].lineno, unit, phase, cell.text))
            items, unsure = _measures(cell)
            for line in unsure:
                issues.append(QualityIssue("paragraph_end_unsure", f"a line of {unit} under {phase} ends a sentence "
                                           f"(page {line.page}) and the next has no item number: whether the item "
                                           "ends there, the file does not show; read as going on", line.lineno,
                                           line.lineno, unit, phase, line.text))
            if not any(LABEL.match(ln.text.strip()) for ln in cell.lines):
                unnumbered.append((unit, phase, [item for _, item in items]))
            for label, item in items:
                seq_in[p] += 1
                text = join_lines([ln.text for ln in item])
                m = LABEL.match(text)
                measures.append(AnnexMeasure(unit, order, phase, p, seq_in[p], label,
                                             text[m.end():] if label and m else text,
                                             item[0].lineno, item[-1].lineno, item[0].page, item[-1].page))
                if label:
                    number = int(label)
                    if p in last_label and number != last_label[p] + 1:
                        issues.append(QualityIssue("numbering_gap", f"item {label} follows item {last_label[p]} "
                                                   "as printed", item[0].lineno, item[-1].lineno, unit, phase, text))
                    last_label[p] = number
    for cell_unit, phase, line in _unsure_breaks(unnumbered, {normalize_key(m.text) for m in measures}):
        issues.append(QualityIssue("paragraph_end_unsure", f"a line of {cell_unit} under {phase} fills its "
                                   f"column (page {line.page}): whether its paragraph ends there, which would start "
                                   "another measure, the file does not show; read as going on", line.lineno,
                                   line.lineno, cell_unit, phase, line.text))
    return AnnexTable(phases, measures, issues)
