"""Tables a PDF tags as tables: read from the document's structure, not from its drawing.

A tagged PDF (browsers printing to PDF, Word saving as PDF, any producer writing for
accessibility) says which characters form which table cell: the structure tree holds
Table → TR → TH/TD elements, each cell's paragraphs (P), and for each of them the marked-content
ids (MCIDs) of its characters on each page. Read that way, a table needs no ruling lines, a row
cut by a page break is still one row, a header the browser repeats on every page is still one
header, and a paragraph ends where its P ends rather than where a line happens to stop short.
A header that a producer repeats outside the structure, as an artifact (LibreOffice), is known
as the header's copy by its drawing (see `header_copy`).

pdfplumber's own structure reader keeps one page per element, and a cell's characters on the
next page are then lost; the tree is therefore walked here with pdfminer's objects, keeping the
page of every marked-content reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterator

import pdfplumber.page
from pdfminer.pdftypes import PDFObjRef, resolve1
from pdfminer.psparser import PSLiteral

class _NestedMarkedContent(pdfplumber.page.PDFPageAggregatorWithMarkedContent):
    """pdfplumber's aggregator forgets the enclosing MCID when a nested marked-content sequence
    ends (a /Span carrying ActualText inside a paragraph's /P with its MCID), so the rest of the
    paragraph loses its MCID. This one keeps the stack: a character belongs to the innermost
    enclosing sequence that has an MCID."""

    def begin_tag(self, tag: PSLiteral, props: Any = None) -> None:
        stack = self.__dict__.setdefault("_marks", [])
        mcid = props["MCID"] if isinstance(props, dict) and "MCID" in props else (stack[-1][1] if stack else None)
        stack.append((tag, mcid))
        super().begin_tag(tag, props)
        self.cur_mcid = mcid

    def end_tag(self) -> None:
        stack = self.__dict__.setdefault("_marks", [])
        if stack:
            stack.pop()
        super().end_tag()
        if stack:
            self.cur_tag = str(stack[-1][0].name) if isinstance(stack[-1][0], PSLiteral) else None
            self.cur_mcid = stack[-1][1]


# pdfplumber builds a page's objects with this aggregator, looked up by name when a page is read.
pdfplumber.page.PDFPageAggregatorWithMarkedContent = _NestedMarkedContent

CELL_TYPES = ("TH", "TD")
ROW_GROUPS = ("THead", "TBody", "TFoot")
MAX_DEPTH = 64  # a malformed tree can refer to itself

Mark = tuple[int, int]  # (page number, MCID)


@dataclass
class TaggedCell:
    row: int  # index of its TR in the table
    col: int
    colspan: int
    header: bool  # a TH
    paragraphs: list[list[Mark]]  # the marks of each paragraph, in reading order
    named: bool = False  # its column comes from the headers it names
    rowspan: int = 1


@dataclass
class HeaderDrawing:
    page: int  # where the header cells are read
    glyphs: list[tuple[str, float, float]]  # (text, x0, top) of each character, in reading order
    height: float  # from its first character's top to its last one's bottom


@dataclass
class TaggedTable:
    cells: list[TaggedCell] = field(default_factory=list)
    repeats: set[Mark] = field(default_factory=set)  # copies of the header on later pages
    # How its header is drawn, to know a copy the producer repeats outside the structure (see header_copy).
    header_drawing: HeaderDrawing | None = None

    # Asked for on every page of the document; a table is complete once it is read.
    @cached_property
    def marks(self) -> frozenset[Mark]:
        return frozenset(m for c in self.cells for p in c.paragraphs for m in p)

    @cached_property
    def pages(self) -> frozenset[int]:
        return frozenset(page for page, _ in self.marks)


def _name(value: Any) -> str:
    value = resolve1(value)
    if isinstance(value, PSLiteral):
        return str(value.name)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value) if value is not None else ""


def _attribute(element: dict, key: str) -> Any:
    attrs = resolve1(element.get("A"))
    for attr in attrs if isinstance(attrs, list) else [attrs]:
        attr = resolve1(attr)
        if isinstance(attr, dict) and key in attr:
            return resolve1(attr[key])
    return None


def _span(element: dict, key: str) -> int:
    try:
        return max(1, int(_attribute(element, key) or 1))
    except (TypeError, ValueError):
        return 1


def _headers(element: dict) -> list[str]:
    value = _attribute(element, "Headers")
    return [_name(v) for v in value] if isinstance(value, list) else []


class _Tree:
    def __init__(self, pdf: Any) -> None:
        self.page_of = {page.page_obj.pageid: page.page_number for page in pdf.pages}
        root = resolve1(pdf.doc.catalog.get("StructTreeRoot"))
        self.root = root if isinstance(root, dict) else None
        rolemap = resolve1(self.root.get("RoleMap")) if self.root else None
        self.rolemap = {str(k): _name(v) for k, v in rolemap.items()} if isinstance(rolemap, dict) else {}

    def kind(self, element: dict) -> str:
        kind = _name(element.get("S"))
        seen = set()
        while kind in self.rolemap and kind not in seen:  # a custom type mapped to a standard one
            seen.add(kind)
            kind = self.rolemap[kind]
        return kind

    def page(self, obj: dict, inherited: int | None) -> int | None:
        ref = obj.get("Pg")
        return self.page_of.get(ref.objid, inherited) if isinstance(ref, PDFObjRef) else inherited

    def kids(self, element: dict, page: int | None) -> Iterator[tuple[str, Any, int | None]]:
        """('mark', (page, mcid), page) or ('element', element, page) for each kid in order."""
        kids = element.get("K")
        for kid in kids if isinstance(resolve1(kids), list) and not isinstance(kids, PDFObjRef) else [kids]:
            kid_obj = resolve1(kid)
            if isinstance(kid_obj, list):
                for nested in kid_obj:
                    yield from self.kids({"K": nested}, page)
            elif isinstance(kid_obj, int):
                if page is not None:
                    yield "mark", (page, kid_obj), page
            elif isinstance(kid_obj, dict):
                if "MCID" in kid_obj:  # a marked-content reference, perhaps on another page
                    where = self.page(kid_obj, page)
                    if where is not None:
                        yield "mark", (where, int(resolve1(kid_obj["MCID"]))), where
                elif "S" in kid_obj:
                    yield "element", kid_obj, self.page(kid_obj, page)

    def marks(self, element: dict, page: int | None, depth: int = 0) -> list[Mark]:
        if depth > MAX_DEPTH:
            return []
        out: list[Mark] = []
        for what, value, where in self.kids(element, page):
            out += [value] if what == "mark" else self.marks(value, where, depth + 1)
        return out

    def elements(self, element: dict, page: int | None, depth: int = 0) -> Iterator[tuple[dict, int | None]]:
        if depth > MAX_DEPTH:
            return
        yield element, page
        for what, value, where in self.kids(element, page):
            if what == "element":
                yield from self.elements(value, where, depth + 1)


def _paragraphs(tree: _Tree, cell: dict, page: int | None) -> list[list[Mark]]:
    """A cell's paragraphs: each block element under it (P, …) is one; marks directly in the cell
    form one of their own."""
    paragraphs: list[list[Mark]] = []
    loose: list[Mark] = []
    for what, value, where in tree.kids(cell, page):
        if what == "mark":
            loose.append(value)
            continue
        if loose:
            paragraphs.append(loose)
            loose = []
        marks = tree.marks(value, where)
        if marks:
            paragraphs.append(marks)
    if loose:
        paragraphs.append(loose)
    return paragraphs


def _read_table(tree: _Tree, table: dict, page: int | None) -> TaggedTable:
    rows: list[tuple[dict, int | None]] = []
    for what, value, where in tree.kids(table, page):
        if what != "element":
            continue
        kind = tree.kind(value)
        if kind == "TR":
            rows.append((value, where))
        elif kind in ROW_GROUPS:
            rows += [(v, w) for t, v, w in tree.kids(value, where) if t == "element" and tree.kind(v) == "TR"]
    out = TaggedTable()
    taken: set[tuple[int, int]] = set()  # grid places covered by cells above that span rows
    header_place: dict[str, tuple[int, int]] = {}  # a TH's ID -> (col, colspan)
    for r, (row, where) in enumerate(rows):
        col = 0
        for what, cell, cell_page in tree.kids(row, where):
            if what != "element" or tree.kind(cell) not in CELL_TYPES:
                continue
            while (r, col) in taken:
                col += 1
            colspan, rowspan = _span(cell, "ColSpan"), _span(cell, "RowSpan")
            # A producer may leave an empty cell out of the tree; the headers a cell names say
            # which column it is in, whatever was left out before it.
            named = [header_place[h] for h in _headers(cell) if h in header_place]
            if named:
                col = min(named, key=lambda place: place[1])[0]
            if tree.kind(cell) == "TH" and cell.get("ID") is not None:
                header_place[_name(cell.get("ID"))] = (col, colspan)
            taken |= {(r + dr, col + dc) for dr in range(rowspan) for dc in range(colspan)}
            header = tree.kind(cell) == "TH"
            paragraphs = _paragraphs(tree, cell, cell_page)
            if header and paragraphs:
                # A header row repeated on every page refers to the same cell from each page:
                # it is read where it first appears, and its copies are known for what they are.
                first = min(page for paragraph in paragraphs for page, _ in paragraph)
                out.repeats |= {m for paragraph in paragraphs for m in paragraph if m[0] != first}
                paragraphs = [[m for m in paragraph if m[0] == first] for paragraph in paragraphs]
            out.cells.append(TaggedCell(r, col, colspan, header, [pg for pg in paragraphs if pg], bool(named), rowspan))
            col += colspan
    return out


def _places_known(table: TaggedTable) -> bool:
    """Every cell's column is certain: its row is complete (counting the cells above that span
    rows down into it), or it names its headers."""
    width = max((c.col + c.colspan for c in table.cells), default=0)
    for r in {c.row for c in table.cells}:
        row = [c for c in table.cells if c.row == r]
        covered = {c.col + k for c in table.cells if c.row <= r < c.row + c.rowspan for k in range(c.colspan)}
        if len(covered) < width and not all(c.named or c.header for c in row):
            return False
    return True


def tagged_tables(pdf: Any) -> list[TaggedTable]:
    """Every table of the structure tree with at least one row of three cells, in document order;
    a table whose cells cannot all be placed in their columns is left to the geometric readers."""
    tree = _Tree(pdf)
    if tree.root is None:
        return []
    tables = []
    for element, page in tree.elements(tree.root, None):
        if tree.kind(element) == "Table":
            table = _read_table(tree, element, page)
            widest = max((sum(c.colspan for c in table.cells if c.row == r) for r in {c.row for c in table.cells}),
                         default=0)
            if widest >= 3 and _places_known(table):
                table.header_drawing = _header_drawing(pdf, table)
                tables.append(table)
    return tables


# --------------------------------------------------------------------------- repeated header drawn as artifact

COPY_TOLERANCE = 1.0  # points: a repeated header keeps its columns, so its characters keep their x


def _header_drawing(pdf: Any, table: TaggedTable) -> HeaderDrawing | None:
    marks = [m for c in table.cells if c.header for p in c.paragraphs for m in p]
    if not marks:
        return None
    first = min(page for page, _ in marks)
    ids = {mcid for page, mcid in marks if page == first}
    chars = [c for c in pdf.pages[first - 1].chars if c.get("mcid") in ids and c["text"].strip()]
    if not chars:
        return None
    height = max(c["bottom"] for c in chars) - min(c["top"] for c in chars)
    return HeaderDrawing(first, [(c["text"], c["x0"], c["top"]) for c in chars], height)


def header_copy(page: Any, table: TaggedTable) -> list[dict]:
    """Characters of the header that a producer repeats at the top of each page a table goes on to,
    drawn as an artifact outside the structure (LibreOffice): no text of the page.

    The copy keeps the header's columns but not always its row heights (rows are laid out again; a
    heading set vertically is clipped to the repeated row's height), nor its distance to the first
    row (a row cut by the page break may start its text lower down). It is found from the header's
    first character, the top one at the left, which a clipped copy keeps, above the table's first
    text on this page: from there down, as far as the header reaches on its own page (a clipped
    character can still be drawn where the first row's text starts), each character that is one of
    the header's at the same x, each of those used once, is the copy. A
    character there that is none of the header's is left alone, so the table's check of characters
    that lie in none of its cells refuses the table rather than guess."""
    drawing = table.header_drawing
    number = page.page_number
    if drawing is None or number <= drawing.page:
        return []
    ids = {mcid for p, mcid in table.marks if p == number}
    body = min((c["top"] for c in page.chars if c.get("mcid") in ids), default=None)
    if body is None:
        return []
    # Outside any marked content with an id: an artifact, not text of the structure.
    artifacts = sorted((c for c in page.chars if c.get("mcid") is None and c["text"].strip()),
                       key=lambda c: (c["top"], c["x0"]))
    text, x0, _ = min(drawing.glyphs, key=lambda g: (g[2], g[1]))

    def copy_from(anchor: dict) -> list[dict]:
        unused = list(drawing.glyphs)
        copy = []
        for char in artifacts:
            if not anchor["top"] - COPY_TOLERANCE <= char["top"] <= anchor["top"] + drawing.height + COPY_TOLERANCE:
                continue
            glyph = next((g for g in unused if g[0] == char["text"] and abs(g[1] - char["x0"]) <= COPY_TOLERANCE), None)
            if glyph is not None:
                unused.remove(glyph)
                copy.append(char)
        return copy

    anchors = [c for c in artifacts if c["text"] == text and abs(c["x0"] - x0) <= COPY_TOLERANCE and c["top"] < body]
    # The fullest copy; of equals, the one nearest the table.
    return max((copy_from(a) for a in anchors), key=lambda copy: (len(copy), copy[0]["top"]), default=[])
