"""Read an annex table that was linearised cleanly, cell by cell (as on a consultation web page).

Each unit's row is its name on a line of its own, then the paragraphs of its cells in column
order. Cell boundaries are not marked, so they are inferred: item numbers restart in every cell,
and an unnumbered paragraph next to numbered items is a cell of its own. When a row has more such
groups than there are columns, adjacent unnumbered paragraphs share a cell.
"""

from __future__ import annotations

import re

from pipeline.annex.model import AnnexMeasure, AnnexTable, QualityIssue
from pipeline.annex.text import LABEL, is_unit_name
from pipeline.errors import SourceError
from pipeline.records import Line
from pipeline.textnorm import normalize_key

PERIOD = re.compile(r"\d{4}(\s*[-—–至]\s*\d{4})?(年)?")


def _phases(cells: list[str]) -> list[str]:
    """Column headings: the unit column's heading is dropped, and a heading followed by period
    headings (2022, 2023-2029, …) spans them."""
    cells = [c for c in cells if "单位" not in c]
    phases = []
    for k, cell in enumerate(cells):
        spans = not PERIOD.fullmatch(cell) and k + 1 < len(cells) and PERIOD.fullmatch(cells[k + 1])
        if not spans:
            phases.append(cell)
    return phases


def _groups(paragraphs: list[tuple[str, Line]]) -> list[list[tuple[str, Line]]]:
    groups: list[list[tuple[str, Line]]] = []
    last_label: int | None = None
    for text, line in paragraphs:
        m = LABEL.match(text)
        label = int(normalize_key(m.group(1))) if m else None
        if label is None or last_label is None or label <= last_label or not groups:
            groups.append([])
        groups[-1].append((text, line))
        last_label = label
    return groups


def parse_linear_annex(lines: list[Line], source: str = "") -> AnnexTable:
    content = [ln for ln in lines if normalize_key(ln.text)]
    first_unit = next((k for k, ln in enumerate(content) if is_unit_name(normalize_key(ln.text))
                       and len(normalize_key(ln.text)) <= 16 and not LABEL.match(ln.text.strip())), None)
    if first_unit is None:
        raise SourceError(source, "annex table has no unit rows")
    header = [ln.text.strip() for ln in content[:first_unit]]
    # 附件 heading and the table title come before the column headings.
    cells = header[2:] if len(header) > 2 else header
    phases = _phases(cells)
    rows: list[tuple[Line, list[tuple[str, Line]]]] = []
    for ln in content[first_unit:]:
        key = normalize_key(ln.text)
        if is_unit_name(key) and len(key) <= 16 and not LABEL.match(ln.text.strip()):
            rows.append((ln, []))
        else:
            rows[-1][1].append((ln.text.strip(), ln))
    measures: list[AnnexMeasure] = []
    issues: list[QualityIssue] = []
    for order, (unit_line, paragraphs) in enumerate(rows, start=1):
        unit = unit_line.text.strip()
        groups = _groups(paragraphs)
        while len(groups) > len(phases):
            pair = next((k for k in range(len(groups) - 1)
                         if not LABEL.match(groups[k][0][0]) and not LABEL.match(groups[k + 1][0][0])), None)
            if pair is None:
                break
            groups[pair:pair + 2] = [groups[pair] + groups[pair + 1]]
        if len(groups) != len(phases):
            raise SourceError(source, f"annex row {unit} at line {unit_line.lineno}: {len(groups)} cells "
                                      f"for {len(phases)} columns")
        for p, (phase, group) in enumerate(zip(phases, groups), start=1):
            previous: int | None = None
            for seq, (text, line) in enumerate(group, start=1):
                m = LABEL.match(text)
                label = normalize_key(m.group(1)) if m else ""
                measures.append(AnnexMeasure(unit, order, phase, p, seq, label, text[m.end():] if m else text,
                                             line.lineno, line.lineno, line.page, line.page))
                if label and previous is not None and int(label) != previous + 1:
                    issues.append(QualityIssue("numbering_gap", f"item {label} follows item {previous} as printed",
                                               line.lineno, line.lineno, unit, phase, text))
                previous = int(label) if label else previous
    return AnnexTable(phases, measures, issues)
