"""Read a PDF by its geometry: text lines and ruled tables, page by page.

Plain text from a PDF comes out in different shapes depending on the extractor, so this reader
works from positions instead (pdfplumber's characters, lines and table cells):

- Ruled tables are found from their ruling lines; every cell's text lines are tagged with the
  cell's place in the grid. A table without ruling lines is found from the alignment of its words
  (columns where words line up, a new row where the first column starts a new entry). A table that runs on from the foot of one page to the top of the next
  with the same columns is one table; a header row repeated at the top of the next page is dropped;
  a row whose first cell is empty on the new page continues the row cut at the page break.
- A cell line that does not end a sentence, or reaches the right edge of its column, was wrapped
  by the layout, and is marked so that the cell's paragraphs can be rebuilt.
- Page furniture is removed: lines at the top or bottom of the page that repeat (numbers aside) on
  at least half of the pages, and page numbers such as '— 3 —'.

`lineno` counts the text lines read, in page and reading order; `page` is the 1-based page number.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from itertools import takewhile
from pathlib import Path

import cjkfold
import pdfplumber
import pypdfium2
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.psexceptions import PSException
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from pipeline.errors import SourceError
from pipeline.readers.pdf_tagged import TaggedTable, header_copy, tagged_tables
from pipeline.readers.pdf_unruled import UnruledState, UnsureTable, read_unruled
from pipeline.records import CellRef, Line
from pipeline.textnorm import NO_LINE_START, display_width, normalize_key, without_spread_spaces
from pipeline.unitnames import continues_unit_name

# pdfminer warns about every font it cannot fully parse; the analyst's terminal is for our own
# one-line errors (`--debug` turns the library's messages back on).
if logging.getLogger("pdfminer").level == logging.NOTSET:
    logging.getLogger("pdfminer").setLevel(logging.ERROR)

PAGE_NUMBER = re.compile(r"^[—–\-－]?\s*(第\s*)?\d{1,4}\s*(页)?\s*[—–\-－]?$|^第\s*\d+\s*页\s*共\s*\d+\s*页$")
MARGIN_BAND = 0.1  # share of the page height at the top and at the bottom where furniture lives
# Line-breaking rules can pull characters down to the next line, so a line that stops short but
# does not end a sentence was still wrapped; one that ends a sentence short of the edge ends its
# paragraph.
PARAGRAPH_END = tuple("。！？!?；;")
EDGE_SLACK = 0.5  # in characters
FIT_SLACK = 0.1  # in characters: measured ends of lines are not exact to the point
# in characters: how far short of its column's edge a line must stop, beyond the next line's first
# piece, to end a paragraph without a closing mark (做好总结工作 followed by another paragraph)
UNPUNCTUATED_END_ROOM = 2.0
OPENING = set("“‘（《〈「『【〔(")
QUOTES = set("“”‘’\"'")
COLUMN_TOLERANCE = 2.0  # points: the same column on two pages
RULE_TOUCH = 1.0  # points: how far a character's box may reach over the rule above its cell
# CJK Radicals Supplement and Kangxi Radicals (look-alikes of ideographs), and General Punctuation
# (a horizontal bar for a dash): some producers, browsers printing to PDF among them, put these in
# the text layer and the real character in ActualText.
LOOKALIKE = re.compile("[\u2e80-\u2fdf\u2000-\u206f]")
RADICAL = re.compile("[\u2e80-\u2fdf]")
IDEOGRAPH = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


@dataclass
class TextRow:
    text: str
    top: float
    bottom: float


@dataclass
class CellText:
    row: int
    col: int
    colspan: int
    lines: list[tuple[str, bool]]  # (text, wrapped)


@dataclass
class PageTable:
    top: float
    bottom: float
    columns: list[float]  # x of every grid column's left edge, and the table's right edge last
    rows: list[list[CellText]]
    lost: str = ""  # characters inside the table that fell in none of its cells
    tagged: int | None = None  # the table's index among the tagged tables; rows are then its TR indices
    unruled: UnruledState | None = None  # how a table without ruling lines goes on to the next page


@dataclass
class PageContent:
    number: int
    height: float
    text: list[TextRow]
    tables: list[PageTable] = field(default_factory=list)


# --------------------------------------------------------------------------- opening

def _open(data: bytes, path: Path) -> pdfplumber.PDF:
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        _ = pdf.pages  # parses the page tree: a truncated file fails here
        return pdf
    except PdfminerException as error:
        cause = error.args[0] if error.args else error
        if isinstance(cause, PDFPasswordIncorrect) or "password" in str(cause).lower():
            raise SourceError(path, "PDF is password-protected; save an unprotected copy in raw/") from None
        raise SourceError(path, f"is not a readable PDF, damaged or truncated ({type(cause).__name__})") from None
    except Exception as error:  # pdfminer raises many kinds of errors on damaged files
        raise SourceError(path, f"is not a readable PDF, damaged or truncated ({type(error).__name__})") from None


# --------------------------------------------------------------------------- real characters

def _restore_ideographs(data: bytes, pdf: pdfplumber.PDF) -> None:
    """Give look-alike radicals back the ideograph the PDF means.

    pdfminer reads the glyph's ToUnicode entry, which for a glyph shared by a radical and an
    ideograph may name the radical; the producer then states the intended text in ActualText,
    which pdfium applies. Where no ActualText covers a character, the Unicode equivalence of
    radicals and unified ideographs (EquivalentUnifiedIdeograph, NFKC for the Kangxi block) is used.
    """
    document = None
    for k, page in enumerate(pdf.pages):
        lookalikes = [c for c in page.chars if LOOKALIKE.search(c["text"])]
        if not lookalikes:
            continue
        if document is None:
            document = pypdfium2.PdfDocument(data)
        text_page = document[k].get_textpage()
        for char in lookalikes:
            half = max(char["size"], 1.0) / 2
            x, y = (char["x0"] + char["x1"]) / 2, (char["y0"] + char["y1"]) / 2
            index = text_page.get_index(x, y, half, half)
            actual = text_page.get_text_range(index, 1) if index is not None and index >= 0 else ""
            if len(actual) == 1 and actual != char["text"] and _covers(text_page.get_charbox(index), x, y, half) \
                    and (IDEOGRAPH.match(actual) or not RADICAL.match(char["text"])) and actual.strip():
                char["text"] = actual
            else:
                char["text"] = cjkfold.fold(char["text"])


def _covers(box: tuple[float, float, float, float], x: float, y: float, half: float) -> bool:
    """Whether pdfium's character box is the one at (x, y): a dash's box is only as tall as its stroke."""
    left, bottom, right, top = box
    return left <= x <= right and bottom - half <= y <= top + half


# --------------------------------------------------------------------------- one page

def _inside(obj: dict, boxes: list[tuple[float, float, float, float]]) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


def _in_cell(char: dict, bbox: tuple[float, float, float, float]) -> bool:
    """A character belongs to the cell its glyph starts in: text runs down a cell, so a line that
    overflows a cell of fixed height (a clipped heading) crosses the rule below it, not above.
    A point just below its top, so that a character touching the rule above stays in its own cell."""
    x = (char["x0"] + char["x1"]) / 2
    y = char["top"] + RULE_TOUCH
    x0, top, x1, bottom = bbox
    return x0 <= x <= x1 and top <= y <= bottom


def _cell_lines(page, bbox: tuple[float, float, float, float]) -> list[dict]:
    # Filtered on the whole page, not cropped: cropping would clip the characters that touch a
    # ruling line and so count them in the cell above as well.
    if not any(_in_cell(c, bbox) for c in page.chars):
        return []
    return page.filter(lambda o: o.get("object_type") != "char" or _in_cell(o, bbox)).extract_text_lines()


def _grid(table) -> list[float]:
    xs = sorted({round(cell[0], 1) for cell in table.cells} | {round(table.bbox[2], 1)})
    merged: list[float] = []
    for x in xs:
        if not merged or x - merged[-1] > COLUMN_TOLERANCE:
            merged.append(x)
    return merged


def _read_table(page, table) -> PageTable:
    columns = _grid(table)
    cells: list[tuple[int, int, int, list[dict]]] = []
    for r, row in enumerate(table.rows):
        for bbox in row.cells:
            if bbox is None:
                continue
            col = min(range(len(columns) - 1), key=lambda k: abs(columns[k] - bbox[0]))
            span = max(1, sum(1 for x in columns[:-1] if bbox[0] - COLUMN_TOLERANCE <= x < bbox[2] - COLUMN_TOLERANCE))
            lines = [{"text": ln["text"], "x1": ln["x1"],
                      "size": max((c["x1"] - c["x0"] for c in ln["chars"]), default=10.0)}
                     for ln in _cell_lines(page, bbox)]
            cells.append((r, col, span, lines))
    read = _assemble(cells, columns, table.bbox[1], table.bbox[3])
    boxes = [bbox for row in table.rows for bbox in row.cells if bbox is not None]
    read.lost = "".join(c["text"] for c in page.chars if c["text"].strip() and _in_cell(c, table.bbox)
                        and not any(_in_cell(c, box) for box in boxes))
    return read


def _assemble(cells: list[tuple[int, int, int, list[dict]]], columns: list[float], top: float,
              bottom: float) -> PageTable:
    """A page's table from its cells' lines, each line marked wrapped or not."""
    # The full measure of a column is where most of its lines end; punctuation may hang beyond it.
    ends: dict[tuple[int, int], Counter[float]] = {}
    for _, col, span, lines in cells:
        ends.setdefault((col, span), Counter()).update(round(ln["x1"], 1) for ln in lines)
    right_edge = {key: counts.most_common(1)[0][0] for key, counts in ends.items() if counts}
    rows: list[list[CellText]] = []
    for r, col, span, lines in cells:
        while len(rows) <= r:
            rows.append([])
        edge = right_edge.get((col, span), 0.0)
        marked = [(ln["text"], _wrapped(ln, lines[k + 1] if k + 1 < len(lines) else None, edge))
                  for k, ln in enumerate(lines)]
        rows[r].append(CellText(r, col, span, marked))
    return PageTable(top, bottom, columns, rows)


def _wrapped(line: dict, following: dict | None, edge: float) -> bool:
    """Whether the layout broke this line (its paragraph goes on) rather than the author.

    The layout breaks a line only where the next line's first unbreakable piece would not fit at its
    end. A line that ends a sentence was broken by the layout when that piece would not have fitted
    (a half-width ';' leaves half a character of room that a full-width character does not fill).
    The last line of a cell on a page has no next line: it goes on unless it ends a sentence short
    of the edge."""
    if following is None:
        return not line["text"].rstrip().endswith(PARAGRAPH_END) or line["x1"] >= edge - EDGE_SLACK * line["size"]
    # Room left on this line after the next line's first unbreakable piece.
    spare = edge - line["x1"] - display_width(_unbreakable_head(following["text"].lstrip())) * line["size"]
    if line["text"].rstrip().endswith(PARAGRAPH_END):
        return spare < -FIT_SLACK * line["size"]
    # Line breakers keep more together than these rules know (LibreOffice keeps 日、12.4 on one
    # line): a line that stops short of a sentence end was broken by the layout unless the next
    # line's start, with a number glued to it, would have fitted with room to spare.
    start = following["text"].lstrip()
    kept = _unbreakable_head(start)
    kept += "".join(takewhile(_latin, start[len(kept):]))
    return edge - line["x1"] < (display_width(kept) + UNPUNCTUATED_END_ROOM) * line["size"]


def _latin(char: str) -> bool:
    """A letter, digit or symbol of a Latin word, in either width (2+Ｎ)."""
    folded = unicodedata.normalize("NFKC", char)
    return folded.isascii() and not folded.isspace()


def _unbreakable_head(text: str) -> str:
    """The start of a line that line breaking keeps in one piece: a character with the closing
    marks after it, what follows an opening bracket, a quotation mark with its neighbours (Unicode
    line breaking breaks on neither side of one), and a run of Latin letters and digits."""
    end = min(1, len(text))
    while end < len(text):
        before, char = text[end - 1], text[end]
        glued = (char in NO_LINE_START or before in OPENING or char in QUOTES or before in QUOTES
                 or (_latin(before) and _latin(char)))
        if not glued:
            break
        end += 1
    return text[:end]


def read_unruled_table(page, carry: PageTable | None, final: bool) -> PageTable | None:
    """A table drawn without ruling lines (pipeline/readers/pdf_unruled.py), in this reader's form;
    `final`: no page follows this one."""
    read = read_unruled(page, carry.unruled if carry is not None else None, final)
    if read is None:
        return None
    cells = [(r, col, span, [{"text": ln.text, "x1": ln.x1, "size": ln.size} for ln in lines])
             for r, row in enumerate(read.rows) for col, span, lines in row]
    table = _assemble(cells, read.columns, read.top, read.bottom)
    table.unruled = read.state
    return table


def _open_row_ends(page) -> list[float]:
    """Heights where the column rules of a table stop with no rule across: a row that a page break
    cut, which some producers (browsers) leave open at the foot of one page and the top of the
    next. A rule there closes the row so that its cells are read like any other."""
    # A rule drawn as a thin rectangle has short edges of its own across its ends: not a rule across.
    across = [e for e in page.edges if e["orientation"] == "h" and e["x1"] - e["x0"] > 2 * COLUMN_TOLERANCE]
    ends: set[float] = set()
    for rule in (e for e in page.edges if e["orientation"] == "v"):
        for y in (rule["top"], rule["bottom"]):
            closed = any(abs(h["top"] - y) <= COLUMN_TOLERANCE and h["x0"] - COLUMN_TOLERANCE <= rule["x0"]
                         <= h["x1"] + COLUMN_TOLERANCE for h in across)
            if not closed:
                ends.add(round(y, 1))
    return sorted(ends)


def _tagged_part(page, index: int, table: TaggedTable) -> PageTable | None:
    """The part of a tagged table on this page: its rows' lines, each cell's paragraphs as tagged."""
    number = page.page_number
    marks = {mcid for p, mcid in table.marks if p == number}
    ours = marks | {mcid for p, mcid in table.repeats if p == number}  # with the repeated header's copy
    chars = [c for c in page.chars if c.get("mcid") in ours]
    if not any(c.get("mcid") in marks for c in chars):
        return None
    copy = header_copy(page, table)  # the header drawn again outside the structure
    chars += copy
    copied = {id(c) for c in copy}
    rows: dict[int, list[CellText]] = {}
    for cell in table.cells:
        lines: list[tuple[str, bool]] = []
        for paragraph in cell.paragraphs:
            here = {mcid for p, mcid in paragraph if p == number}
            if not here:
                continue
            ends_here = max(p for p, _ in paragraph) == number
            found = page.filter(lambda o, here=here: o.get("object_type") != "char" or o.get("mcid") in here)
            texts = [ln["text"] for ln in found.extract_text_lines()]
            lines += [(text, k < len(texts) - 1 or not ends_here) for k, text in enumerate(texts)]
        if lines:
            rows.setdefault(cell.row, []).append(CellText(cell.row, cell.col, cell.colspan, lines))
    top, bottom = min(c["top"] for c in chars), max(c["bottom"] for c in chars)
    left, right = min(c["x0"] for c in chars), max(c["x1"] for c in chars)
    lost = "".join(c["text"] for c in page.chars if c["text"].strip() and c.get("mcid") not in ours
                   and id(c) not in copied and _inside(c, [(left, top, right, bottom)]))
    columns = list(range(1 + max(c.col + c.colspan for c in table.cells)))
    return PageTable(top, bottom, [float(x) for x in columns], [rows[r] for r in sorted(rows)], lost, index)


def _read_page(page, number: int, carry: PageTable | None, tagged: list[TaggedTable], final: bool) -> PageContent:
    """The page's text lines and tables; `carry` is the table the previous page ended with, `final`
    says no page follows. Tables the PDF tags are read from its structure; others from their ruling lines, or else
    from the alignment of their words."""
    parts = [_tagged_part(page, k, t) for k, t in enumerate(tagged) if number in t.pages]
    tables = [t for t in parts if t is not None]
    if not tables:
        settings = {"explicit_horizontal_lines": _open_row_ends(page)}
        tables = [_read_table(page, t) for t in page.find_tables(settings) if len(_grid(t)) >= 3]
    if not tables:
        unruled = read_unruled_table(page, carry, final)
        tables = [unruled] if unruled is not None else []
    boxes = [(0, t.top - 1, page.width, t.bottom + 1) for t in tables]
    outside = page.filter(lambda o: o.get("object_type") != "char" or not _inside(o, boxes))
    text = [TextRow(ln["text"], ln["top"], ln["bottom"]) for ln in outside.extract_text_lines()]
    return PageContent(number, page.height, text, tables)


def ends_in_table(page: PageContent) -> PageTable | None:
    if not page.tables:
        return None
    last = max(page.tables, key=lambda t: t.bottom)
    below = [r for r in page.text if last.bottom < r.top < page.height * (1 - MARGIN_BAND)]
    return None if below else last


# --------------------------------------------------------------------------- furniture

def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", normalize_key(text))


def _remove_furniture(pages: list[PageContent]) -> None:
    def in_margin(row: TextRow, page: PageContent) -> bool:
        return row.bottom < page.height * MARGIN_BAND or row.top > page.height * (1 - MARGIN_BAND)

    counts = Counter(key for page in pages for key in {_furniture_key(r.text) for r in page.text if in_margin(r, page)})
    repeated = {key for key, n in counts.items() if n >= 2 and n >= len(pages) / 2}
    for page in pages:
        page.text = [r for r in page.text if not (in_margin(r, page) and (
            _furniture_key(r.text) in repeated or PAGE_NUMBER.fullmatch(normalize_key(r.text))))]


# --------------------------------------------------------------------------- whole document

def _same_columns(a: PageTable, b: PageTable) -> bool:
    return len(a.columns) == len(b.columns) and all(abs(x - y) <= COLUMN_TOLERANCE for x, y in zip(a.columns, b.columns))


def _row_key(row: list[CellText]) -> list[tuple[int, str]]:
    return [(c.col, normalize_key("".join(t for t, _ in c.lines))) for c in row]


def _is_header_copy(row: list[CellText], header: list[list[tuple[int, str]]]) -> bool:
    """A row repeating a header row, or a clipped copy of one: a repeated header row keeps its
    height, so a heading set vertically in a narrow column can lose its last characters."""
    cells = [(c.col, normalize_key("".join(t for t, _ in c.lines))) for c in row]
    def copies(col: int, text: str, head: list[tuple[int, str]]) -> bool:
        return any(col == hc and (key == text or (col == 0 and text and key.startswith(text))) for hc, key in head)

    return any(text for _, text in cells) and any(all(copies(col, text, head) for col, text in cells if text)
                                                  for head in header)


def _drop_repeated_header(rows: list[list[CellText]], header: list[list[tuple[int, str]]]) -> list[list[CellText]]:
    """The rows of a continued table without the header rows repeated at the top of the page.

    Characters of a clipped heading that the producer still wrote below the header rows (their
    top within the header, their middle below it) come out in the first cell of the next row: they
    are dropped with the header when, read after the clipped heading, they still spell it."""
    dropped: dict[int, str] = {}
    while rows and header and _is_header_copy(rows[0], header):
        for c in rows[0]:
            dropped[c.col] = dropped.get(c.col, "") + normalize_key("".join(t for t, _ in c.lines))
        rows = rows[1:]
    if rows and dropped:
        first = next((c for c in rows[0] if c.col == 0), None)
        if first is not None and first.lines:
            text = normalize_key("".join(t for t, _ in first.lines))
            headings = [key for head in header for col, key in head if col == 0]
            if dropped.get(0) and any(key.startswith(dropped[0] + text) and key != dropped[0] for key in headings):
                first.lines = []
    return rows


def read_pdf(data: bytes, path: Path) -> list[Line]:
    with _open(data, path) as pdf:
        try:
            _restore_ideographs(data, pdf)
            tagged = tagged_tables(pdf)
            pages: list[PageContent] = []
            for k, page in enumerate(pdf.pages, start=1):
                pages.append(_read_page(page, k, ends_in_table(pages[-1]) if pages else None, tagged,
                                        k == len(pdf.pages)))
        except UnsureTable as error:
            raise SourceError(path, f"page {k}: {error}") from None
        except (PSException, PdfminerException, MalformedPDFException) as error:
            # A damaged content stream surfaces only when its page is read.
            raise SourceError(path, f"is not a readable PDF, a page is damaged ({type(error).__name__})") from None
        if not any(p.text or p.tables for p in pages):
            if any(page.images for page in pdf.pages):
                raise SourceError(path, "PDF has no text layer (scanned pages?); run OCR on it first, "
                                        "e.g. ocrmypdf, and put the result in raw/")
            raise SourceError(path, "PDF holds no text")
    return lines_of_pages(pages, path)


def lines_of_pages(pages: list[PageContent], path: Path) -> list[Line]:
    """The document's lines from its pages' text and tables: furniture removed, a table that runs
    on over a page break read as one, its rows' cells tagged with their place in the grid."""
    _remove_furniture(pages)
    for page in pages:
        for table in page.tables:
            if table.lost:
                raise SourceError(path, f"page {page.number}: {len(table.lost)} characters inside a table lie in none "
                                        f"of its cells ({table.lost[:12]!r}); the table cannot be read completely")

    lines: list[Line] = []
    table_no = -1
    header: list[list[tuple[int, str]]] = []
    row_no = -1
    row_first = ""  # the first cell's text of the current row, over page breaks
    previous: PageTable | None = None  # the table the last page ended with
    tagged_no: int | None = None  # the tagged table the last table lines came from
    for page in pages:
        items: list[tuple[float, object]] = [(r.top, r) for r in page.text] + [(t.top, t) for t in page.tables]
        items.sort(key=lambda item: item[0])
        for k, (_, item) in enumerate(items):
            if isinstance(item, TextRow):
                lines.append(Line(item.text, len(lines) + 1, page.number))
                previous = None
                continue
            if item.tagged is not None:
                # Structure gives the rows: a tagged table goes on wherever its rows do.
                if tagged_no != item.tagged:
                    table_no, tagged_no = table_no + 1, item.tagged
                for row in item.rows:
                    for cell in row:
                        ref = CellRef(table_no, cell.row, cell.col, cell.colspan)
                        lines += [Line(without_spread_spaces(text), len(lines) + k + 1, page.number, ref, wrapped)
                                  for k, (text, wrapped) in enumerate(cell.lines)]
                previous = None
                continue
            continues = k == 0 and previous is not None and _same_columns(previous, item)
            rows = item.rows
            if continues:
                rows = _drop_repeated_header(rows, header)
            else:
                table_no, row_no, header = table_no + 1, -1, []
            for r, row in enumerate(rows):
                first = next((c for c in row if c.col == 0), None)
                first_text = normalize_key("".join(t for t, _ in first.lines)) if first else ""
                # A row cut by the page break goes on at the top of the next page with an empty
                # first cell, or with the rest of a first cell (a unit name) the break cut.
                carried = continues and r == 0 and (not first_text or continues_unit_name(row_first, first_text))
                if carried:
                    row_first += first_text
                else:
                    row_no += 1
                    row_first = first_text
                if not continues and row_no < 2:
                    # A header repeated on the next page is known by being one of the first rows.
                    header.append(_row_key(row))
                for cell in row:
                    ref = CellRef(table_no, row_no, cell.col, cell.colspan)
                    for text, wrapped in cell.lines:
                        lines.append(Line(without_spread_spaces(text), len(lines) + 1, page.number, ref, wrapped,
                                          wrap_judged=True))
            previous = item
    return lines
