"""Read a Word document: paragraphs and tables in document order.

A line is a non-empty paragraph; `lineno` counts every paragraph of the body in document order
(table cells included), so a row can be found again in the file. Table cells keep their place in
the grid: a horizontally merged cell is read once with its span, and a vertically merged cell
once, in the row where the merge starts.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from docx import Document as open_docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from pipeline.errors import SourceError
from pipeline.records import CellRef, Line


def _open(data: bytes, path: Path):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile as error:
        raise SourceError(path, f"is not a readable DOCX: the ZIP container is damaged ({error})") from None
    if "word/document.xml" not in names:
        raise SourceError(path, "is a ZIP file but not a Word document (no word/document.xml)")
    try:
        return open_docx(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise SourceError(path, f"is not a readable DOCX ({error})") from None
    except Exception as error:  # lxml raises its own errors for broken XML parts
        raise SourceError(path, f"is not a readable DOCX ({type(error).__name__}: {error})") from None


class _Numbering:
    def __init__(self) -> None:
        self.paragraphs = 0
        self.tables = 0


def _paragraph_lines(paragraphs: list[Paragraph], counter: _Numbering, cell: CellRef | None = None) -> list[Line]:
    lines = []
    for paragraph in paragraphs:
        counter.paragraphs += 1
        if paragraph.text.strip():
            lines.append(Line(paragraph.text, counter.paragraphs, None, cell))
    return lines


def _table_lines(table: Table, counter: _Numbering) -> list[Line]:
    index = counter.tables
    counter.tables += 1
    lines: list[Line] = []
    for r, tr in enumerate(table._tbl.tr_lst):
        col = tr.grid_before
        for tc in tr.tc_lst:
            span = tc.grid_span
            if tc.vMerge != "continue":
                cell = _Cell(tc, table)
                lines += _paragraph_lines(cell.paragraphs, counter, CellRef(index, r, col, span))
            col += span
    return lines


def read_docx(data: bytes, path: Path) -> list[Line]:
    document = _open(data, path)
    counter = _Numbering()
    lines: list[Line] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines += _table_lines(block, counter)
        else:
            lines += _paragraph_lines([block], counter)
    return lines
