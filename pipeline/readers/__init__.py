"""Readers for published formats: each turns a file's bytes into the lines the stages read.

A reader returns `Line`s in reading order, with page numbers where the format has pages, and
tables read from the file's own structure tagged with their `CellRef`, so that the annex comes
straight from the table instead of being rebuilt from text. A reader raises `SourceError` with a
one-line reason when the file cannot be read.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import SourceError
from pipeline.records import Line


def read_lines(fmt: str, data: bytes, path: Path) -> list[Line]:
    if fmt == "pdf":
        from pipeline.readers.pdf import read_pdf
        lines = read_pdf(data, path)
    elif fmt == "docx":
        from pipeline.readers.docx import read_docx
        lines = read_docx(data, path)
    elif fmt == "html":
        from pipeline.readers.html import read_html
        lines = read_html(data, path)
    else:
        raise SourceError(path, f"unknown format {fmt!r}")
    if not any(ln.text.strip() for ln in lines):
        raise SourceError(path, f"{fmt.upper()} file holds no text")
    return lines
