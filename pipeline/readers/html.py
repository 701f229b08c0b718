"""Read a web page as a browser saved it: its text as a browser renders it, furniture left out.

Block elements (paragraphs, headings, list items, table cells, …) start new lines; a list item is
rendered with a bullet, as a browser's text view does, which is how a consultation page's tab menu
is recognised. Scripts, styles and the site's furniture (navigation bars, breadcrumbs, headers and
footers, share buttons) are not part of any document and are skipped. Table cells are read one per
line and tagged with their place in the grid (colspan and rowspan respected), so an annex published
as an HTML table is read cell by cell.

`lineno` counts the rendered lines, blank lines between blocks included.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from pipeline.errors import SourceError
from pipeline.consultation_page import is_consultation_page
from pipeline.records import CellRef, Line, Source

# Elements whose content is never text of the page.
SKIPPED_TAGS = {"script", "style", "noscript", "template", "head", "nav", "header", "footer", "aside",
                "form", "iframe", "svg", "button", "select", "object"}
# Site furniture marked by class or id, as government CMS templates name it. Kept narrow on purpose:
# a tab menu ("tab-menu") or the article body must not match.
FURNITURE = re.compile(r"(^|[-_])(nav|navbar|breadcrumbs?|crumbs?|footer|header|sidebar|share|copyright|"
                       r"toolbar|topbar|search)([-_]|$)", re.IGNORECASE)
BLOCK_TAGS = {"address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
              "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre", "section", "table",
              "tbody", "thead", "tfoot", "tr", "td", "th", "ul", "caption"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.IGNORECASE)
OUTLINE = re.compile(r"^\s*[一二三四五六七八九十]+、")
BULLET = "  • "


@dataclass
class _Table:
    index: int
    row: int = -1
    col: int = 0
    occupied: set[tuple[int, int]] = field(default_factory=set)


class _Renderer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[str, CellRef | None]] = []
        self.buffer: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.tables: list[_Table] = []
        self.table_count = 0
        self.cell: CellRef | None = None
        self.bullet = False

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def _flush(self, blank_after: bool = True) -> None:
        text = re.sub(r"\s+", " ", "".join(self.buffer)).strip()
        self.buffer = []
        if text:
            self.lines.append(((BULLET if self.bullet else "") + text, self.cell))
            if blank_after and not self.bullet:
                self.lines.append(("", None))
        self.bullet = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = " ".join(v or "" for k, v in attrs if k in ("class", "id")).split()
        skipped = self.skipping or tag in SKIPPED_TAGS or any(FURNITURE.search(n) for n in names)
        if tag not in VOID_TAGS:
            self.stack.append((tag, skipped))
        if skipped:
            return
        if tag in BLOCK_TAGS:
            self._flush()
        if tag == "li":
            self.bullet = True
        elif tag == "table":
            self.tables.append(_Table(self.table_count))
            self.table_count += 1
        elif tag == "tr" and self.tables:
            self.tables[-1].row += 1
            self.tables[-1].col = 0
        elif tag in ("td", "th") and self.tables:
            self._open_cell(self.tables[-1], dict(attrs))

    def _open_cell(self, table: _Table, attrs: dict[str, str | None]) -> None:
        def span(name: str) -> int:
            value = (attrs.get(name) or "1").strip()
            return max(1, int(value)) if value.isdigit() else 1

        colspan, rowspan = span("colspan"), span("rowspan")
        row = max(table.row, 0)
        while (row, table.col) in table.occupied:
            table.col += 1
        self.cell = CellRef(table.index, row, table.col, colspan)
        table.occupied |= {(row + r, table.col + c) for r in range(rowspan) for c in range(colspan)}
        table.col += colspan

    def handle_endtag(self, tag: str) -> None:
        if not any(t == tag for t, _ in self.stack):
            return  # a stray end tag: browsers ignore it too
        while self.stack:
            open_tag, skipped = self.stack.pop()
            if not skipped and open_tag in BLOCK_TAGS:
                self._flush()
            if not skipped and open_tag in ("td", "th"):
                self.cell = None
            if not skipped and open_tag == "table" and self.tables:
                self.tables.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.buffer.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def decode_html(data: bytes, path: Path) -> str:
    declared = META_CHARSET.search(data[:4096])
    candidates = ["utf-8-sig"] if data.startswith(codecs.BOM_UTF8) else []
    if declared:
        candidates.append(declared.group(1).decode("ascii").lower())
    candidates += ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return data.decode("gb18030" if encoding in ("gb2312", "gbk") else encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise SourceError(path, "HTML page cannot be decoded (tried its declared charset, UTF-8 and GB18030)")


def render_html(text: str) -> list[tuple[str, CellRef | None]]:
    renderer = _Renderer()
    renderer.feed(text)
    renderer.close()
    while renderer.lines and not renderer.lines[-1][0]:
        renderer.lines.pop()
    return renderer.lines


def read_html(data: bytes, path: Path) -> list[Line]:
    rendered = render_html(decode_html(data, path))
    lines = [Line(text, k, None, cell) for k, (text, cell) in enumerate(rendered, start=1)]
    if not any(ln.text.strip() for ln in lines):
        raise SourceError(path, "HTML page has no text outside scripts and page furniture")
    probe = Source(path, path.name, "", "html", lines)
    if not is_consultation_page(probe) and not any(OUTLINE.match(ln.text) for ln in lines):
        raise SourceError(path, "HTML page has none of the expected sections: neither a consultation page "
                                "(title, tab menu, tabs) nor a plan with an outline (一、…)")
    return lines
