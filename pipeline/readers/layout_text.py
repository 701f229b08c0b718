"""Read text copied out of a PDF with its layout kept (`pdftotext -layout`): every line holds the
text of all columns at that height, each column's text starting at one character offset line after
line, runs of spaces between them, and a form feed between pages.

Such a copy keeps the geometry that the PDF reader works from, counted in character cells instead
of points. So it is read as a PDF whose pages were drawn from the text: every character becomes a
box at its line and offset (a Chinese character one cell wide, a digit half, a period a quarter,
as a Chinese font sets them), and the pages go through the PDF reader's table reader for tables
without ruling lines (pipeline/readers/pdf_unruled.py) and its assembly (furniture, tables running
on over page breaks, cells tagged with their place in the grid). Everything that reader refuses is
refused here too.

What the copy changed is undone first, or the page is refused (`UnreadablePage`):
- Columns: the extractor places each page's columns by that page's own text, so a column can
  start at other offsets on other pages, and one cell off on some lines (a narrow character before
  it). A page is mapped onto the columns of the page the table starts on when it holds them all,
  or all but the unit column; a page lacking another column cannot be placed (the extractor closes
  up an empty column's white, and the columns after it then start where others would).
- Spaces: a single space inside a run of text is one the extractor wrote (2022 年, 6.26 国际), but
  between two runs of Chinese text, or before an item number, it is two columns come too close.
- Sizes: the annex's title is drawn larger, as printed, so that it is not read as a heading.
- Furniture: page numbers at a page's top or foot, and the headings a table repeats on later
  pages, are blanked before the table is read: the copy keeps too little white to part them.
- Heights: lines of a centred row set half a line apart come out on lines of their own, so the
  copy cannot always tell which row the text atop a page continues.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from pipeline.readers.pdf_unruled import ITEM, UnsureTable
from pipeline.records import Line
from pipeline.textnorm import display_width, normalize_key
from pipeline.unitnames import UNIT_START, is_unit_name

if TYPE_CHECKING:
    from pipeline.readers.pdf import PageTable

CELL = 10.0  # points per character cell of the copy: the size of every character drawn from it
# A text line's height and the pitch of lines. Lines of two columns set half a line apart come out
# on lines of their own, each column's lines then one line apart: the pitch is the most that keeps
# a cell's lines with one such line between them together (pdf_unruled._contiguous), and the white
# between two lines more than the height within which glyphs share a line (pdf_unruled.SAME_LINE).
PITCH = 0.95 * CELL
GLYPH = 0.5 * CELL
PIECE = re.compile(r"\S+(?: \S+)*")  # text parted from the rest of its line by two spaces or more
TOKEN = re.compile(r"\S+")
SPACE = 0.3  # in cells: the gap drawn for a single space inside a piece
MIN_COLUMN = 3  # in cells: a column one character wide and the two spaces after it
ALONE_LINES = 3  # lines holding one piece that start where a column does
DRIFT = 1  # in cells: how far the extractor can place a piece from its column's start
TABLE_LINES = 3  # lines of three pieces or more that make a copy a layout copy
# Set in a Latin font, a period or comma is narrower than a digit: the 1. of an item number takes
# three quarters of a Chinese character (a line opening with one holds as many characters as another).
NARROW_MARK = 0.25
FURNITURE_LINES = 3  # a page's first and last lines where its number can stand
TITLE_SIZE = 1.5  # a title's size, in cells
# A line where the table's body starts: an item number, or a unit name's first characters at the
# line's start. Above it, on a page the table starts or repeats its header on, stand the headings.
BODY_START = re.compile(rf"(^|\s){ITEM.pattern.removeprefix('^')}|{UNIT_START.pattern}")
ANNEX_HEADING = re.compile(r"^\s*附\s*件\s*[0-9０-９]*\s*$")
UNPLACED = ("the table's text on this page does not show which of the table's columns it stands in "
            "(the copy places each page's text by that page)")


def _body_start(lines: list[str]) -> int | None:
    """The line where the table's body starts on a page (below the headings), if one shows it."""
    return next((k for k, line in enumerate(lines) if BODY_START.search(line)), None)


def is_layout_text(text: str) -> bool:
    """Whether a text copy kept its layout: lines that hold three or more pieces side by side."""
    return sum(1 for line in text.splitlines() if len(PIECE.findall(line)) >= 3) >= TABLE_LINES


@dataclass
class DrawnPage:
    """A page drawn from the text copy, as much of a pdfplumber page as the table reader uses."""
    chars: list[dict]
    height: float
    crowded: list[int] = field(default_factory=list)  # lines where two columns may stand one space apart


def page_columns(lines: list[str]) -> list[int]:
    """Where the page's columns start: the offsets at which pieces start, below the headings, on
    lines that hold two pieces or more, or on ALONE_LINES lines of one piece (a line on its own can
    be a page number or a heading centred anywhere); the most frequent of any within DRIFT cells of
    each other (two columns are never that close)."""
    body = _body_start(lines) or 0  # no headings above a page's text unless its body starts below them
    counts = Counter(m.start() for line in lines[body:] if len(PIECE.findall(line)) >= 2
                     for m in PIECE.finditer(line))
    # A column whose lines stand between the others' (a centred cell half a line off) comes on
    # lines of its own: where such lines start again and again, a column starts.
    alone = Counter(m.start() for line in lines[body:] for m in PIECE.finditer(line) if len(PIECE.findall(line)) == 1)
    counts.update({o: n for o, n in alone.items() if n >= ALONE_LINES})
    kept: list[int] = []
    for offset in sorted(counts, key=lambda o: (-counts[o], o)):
        if all(abs(offset - k) > DRIFT for k in kept):
            kept.append(offset)
    return sorted(kept)


def offset_map(columns: list[int], canonical: list[int]) -> Callable[[float], float] | None:
    """Offsets of this page onto the copy's own: the extractor places each page's columns by the
    text of that page, so one column can start at other offsets on other pages. A page holding
    every column, or every column but the first (a continued row's unit column is empty), is
    matched in order. A page that lacks another column is not placed (None): the extractor closes
    up the white of an empty column, and the columns after it then start where others would."""
    if not columns or any(b - a < MIN_COLUMN for a, b in zip(columns, columns[1:])):
        return None  # two starts this close are one column's, placed apart by the copy: not placeable
    if len(columns) == len(canonical):
        best = list(range(len(canonical)))
    elif len(columns) == len(canonical) - 1 and columns[0] > canonical[0] + DRIFT:
        best = list(range(1, len(canonical)))
    else:
        return None
    return _through(columns, [canonical[j] for j in best])


def _through(offsets: list[int], onto: list[int]) -> Callable[[float], float]:
    """The piecewise linear map of this page's column starts onto the copy's (other offsets in
    between in proportion, before and after shifted with the nearest)."""
    knots = [(o, float(x)) for o, x in zip(offsets, onto)]

    def place(offset: float) -> float:
        if offset <= knots[0][0]:
            return offset + knots[0][1] - knots[0][0]
        for (a, x), (b, y) in zip(knots, knots[1:]):
            if offset <= b:
                return x + (offset - a) * (y - x) / (b - a)
        return offset + knots[-1][1] - knots[-1][0]
    return place


def _running_on(columns: list[int], canonical: list[int], carry: "PageTable | None") -> list[int] | None:
    """The table columns (indices) of a page that holds nothing but the rest of the row the page
    break cut, in the columns whose text ran on over the break: as many columns here as ran on, in
    order. Which ran on must be plain: the same whether judged by the line reaching its column's
    edge mid-sentence or by its being wrapped at all (a set phrase such as 做好总结工作 ends
    without a mark, short or full), and the row's unit name must be whole. None otherwise."""
    if carry is None or carry.unruled is None or not carry.rows or len(carry.unruled.columns) - 1 != len(canonical):
        return None
    state = carry.unruled
    if not is_unit_name(state.unit):
        return None  # the unit name's rest may stand here too
    running = sorted(k for k, on in state.runs_on.items() if on)
    wrapped = sorted(c.col for c in carry.rows[-1] if c.col > 0 and c.lines and c.lines[-1][1])
    return running if running and running == wrapped and len(running) == len(columns) else None


def _table_columns(pages: list[list[int]]) -> list[int]:
    """The copy's columns: those of the first page with the number of columns that most pages
    with three or more show (a page where a column's offset drifted by two shows one more)."""
    counts = Counter(len(c) for c in pages if len(c) >= 3)
    if not counts:
        return []
    n = max(counts, key=lambda k: (counts[k], k))
    return next(c for c in pages if len(c) == n)


def _draw_page(lines: list[str], columns: list[int], place: Callable[[float], float],
               titles: frozenset[int] = frozenset()) -> DrawnPage:
    """The page's characters as boxes; `columns`: the page's column starts (`page_columns`).
    `titles`: lines that are the annex's title, drawn larger as they are printed (the copy has
    lost the sizes; the table reader tells a title by its size)."""

    def column_at(offset: int) -> int | None:
        return next((c for c in columns if abs(c - offset) <= DRIFT), None)

    # How wide each column's text runs: a piece is cut where a word starts at another column's start
    # (two columns one space apart).
    widest: dict[int, float] = dict.fromkeys(columns, 0.0)
    for line in lines:
        for piece in PIECE.finditer(line):
            starts = [t.start() for t in TOKEN.finditer(piece.group()) if column_at(piece.start() + t.start()) is not None]
            for a, b in zip(starts, starts[1:] + [len(piece.group())]):
                column = column_at(piece.start() + a)
                if column is not None:
                    widest[column] = max(widest[column], _drawn(piece.group()[a:b].rstrip()))

    def centred(offset: int, length: float) -> float:
        """Where a piece set apart from every column start stands: a heading centred in its column,
        which the copy placed by the text of its own line, is centred again in the column nearest."""
        if len(columns) < 3:
            return offset
        middle = min(columns, key=lambda c: abs(c + widest[c] / 2 - (offset + length / 2)))
        return middle + (widest[middle] - length) / 2

    body = _body_start(lines) or 0
    chars: list[dict] = []
    crowded: list[int] = []
    for row, line in enumerate(lines):
        top = row * PITCH
        size = TITLE_SIZE * CELL if row in titles else CELL
        pieces = list(PIECE.finditer(line))
        line_start = len(chars)
        for piece in pieces:
            x = 0.0
            start: float = piece.start()
            if row < body and column_at(piece.start()) is None:
                moved = centred(piece.start(), _drawn(piece.group()))
                # Only into white: never over another piece of the line.
                if all(moved + _drawn(piece.group()) < o.start() or o.start() + _drawn(o.group()) < moved
                       for o in pieces if o is not piece):
                    start = moved
            tokens = list(TOKEN.finditer(piece.group()))
            for k, token in enumerate(tokens):
                at = piece.start() + token.start()
                column = column_at(at)
                if k == 0:
                    x = place(column if column is not None else start) * CELL
                elif column is not None:
                    x = max(x + SPACE * CELL, place(column) * CELL)  # the next column, one space away
                else:
                    if _columns_one_space_apart(tokens[k - 1].group(), token.group()):
                        crowded.append(row)
                    x += SPACE * CELL
                for ch in token.group():
                    width = _width(ch) * CELL
                    chars.append({"text": ch, "x0": x, "x1": x + width, "top": top,
                                  "bottom": top + GLYPH, "size": size})
                    x += width
        _check_apart(chars, line_start, row)
    return DrawnPage(chars, len(lines) * PITCH, crowded)


def _width(ch: str) -> float:
    """A character's width in cells, as a Chinese font sets it."""
    return NARROW_MARK if ch in ".,:;'!()" else display_width(ch)


def _drawn(piece: str) -> float:
    """A piece's width in cells as drawn (its single spaces as SPACE)."""
    return sum(SPACE if ch == " " else _width(ch) for ch in piece)


def _columns_one_space_apart(before: str, after: str) -> bool:
    """A single space between two runs of Chinese text of two characters or more, or before an
    item number: no line of a cell holds one (the extractor spaces Latin text off Chinese, and a
    justified line's every character), so it is the white between two columns that came as close
    as one space."""
    if len(before) < 2 or before[-1].isascii():
        return False
    return bool(ITEM.match(after)) or (len(after) >= 2 and not after[0].isascii())


class UnreadablePage(Exception):
    """A page of the copy that cannot be read surely; the message says why."""


def _check_apart(chars: list[dict], start: int, row: int) -> None:
    """Two pieces of one line placed over each other: the copy set a column's text at an offset
    that is not that column's (it only keeps one space between columns where they come close)."""
    placed = sorted(chars[start:], key=lambda c: c["x0"])
    for a, b in zip(placed, placed[1:]):
        if b["x0"] < a["x1"] - 0.05 * CELL:
            raise UnreadablePage(f"line {row + 1} of the page: {a['text']}{b['text']!r} placed over each other "
                               "(the copy keeps too little space between two columns to tell them apart)")


def _title_lines(lines: list[str]) -> frozenset[int]:
    """The annex's title: the first line after the 附件 heading."""
    out: set[int] = set()
    heading = False
    for k, line in enumerate(lines):
        if not line.strip():
            continue
        if heading:
            out.add(k)
        heading = bool(ANNEX_HEADING.match(line))
    return frozenset(out)


@dataclass
class Headings:
    """The table's headings as the page it starts on prints them."""
    keys: set[str]  # every piece of the heading lines, as a key
    unit_label: str  # the unit column's heading, read down its column (牵头单位)


def _headings(pages: list[list[str]]) -> tuple[int | None, Headings]:
    """The page the table starts on (the first holding three columns or more), and its headings:
    the lines between the annex's title and the first line of the table's body."""
    for index, lines in enumerate(pages):
        if len(page_columns(lines)) < 3:
            continue
        titles = _title_lines(lines)
        top = max(titles) + 1 if titles else 0
        body = _body_start(lines)
        body = len(lines) if body is None else body
        pieces = [m for line in lines[top:body] for m in PIECE.finditer(line)]
        return index, Headings({normalize_key(m.group()) for m in pieces},
                               "".join(normalize_key(m.group()) for m in pieces if m.start() <= DRIFT))
    return None, Headings(set(), "")


def _without_repeated_headings(lines: list[str], headings: Headings) -> list[str]:
    """The page with the headings it repeats above its body blanked (blank, so that the lines
    keep their heights). A heading set down the unit column can run on into the body's first
    lines: what goes on spelling it there is blanked too. Headings left among the body's text are
    refused: the table reader would read them as cells."""
    body = _body_start(lines)
    body = len(lines) if body is None else body
    out = list(lines)
    seen, spelled, after = False, "", 0
    for k in range(body):
        pieces = PIECE.findall(lines[k])
        if not pieces:
            continue
        if all(normalize_key(p) in headings.keys for p in pieces):
            seen = True
            spelled += "".join(normalize_key(m.group()) for m in PIECE.finditer(lines[k]) if m.start() <= DRIFT)
            out[k] = ""
            after = k + 1
        elif seen:
            break
    left = next((p for line in out[:body] for p in PIECE.findall(line)
                 if len(normalize_key(p)) >= 2 and normalize_key(p) in headings.keys), None)
    if left is not None:
        raise UnreadablePage(f"the table's headings repeated here ({left}) stand among its text")
    if seen and spelled and spelled != headings.unit_label and headings.unit_label.startswith(spelled):
        for k in range(after, len(out)):
            first = next(PIECE.finditer(out[k]), None)
            if first is None or first.start() > DRIFT:
                continue
            key = normalize_key(first.group())
            if not headings.unit_label.startswith(spelled + key):
                break
            spelled += key
            out[k] = " " * first.end() + out[k][first.end():]
            if spelled == headings.unit_label:
                break
    return out


def _without_page_numbers(lines: list[str], page_number: re.Pattern[str]) -> list[str]:
    """The page with its page number blanked: it is no text of the table, however few blank lines
    the copy kept between them. A page number stands among the page's first or last lines, a bare
    number (3) on its first or last."""
    filled = [k for k, line in enumerate(lines) if line.strip()]
    ends = set(filled[:FURNITURE_LINES] + filled[-FURNITURE_LINES:])
    edges = set(filled[:1] + filled[-1:])  # a bare number (a year's heading can be one) only here

    def numbered(k: int, line: str) -> bool:
        key = normalize_key(line)
        return k in (edges if key.isdigit() else ends) and bool(page_number.fullmatch(key))
    return ["" if numbered(k, line) else line for k, line in enumerate(lines)]


def _unsure_rest(table: "PageTable | None", carry: "PageTable | None") -> int | None:
    """A column (index) whose text atop the page was read as the rest of the row cut at the page
    break, though that column's cell numbered its items and its last paragraph ended above the
    break (a short line closing a sentence), and the text here starts no item. A numbered cell
    goes on with an item; a paragraph of its own atop a page is the next row's, set lower than the
    copy shows (the copy loses the heights that tell a centred row's cells apart). None if none."""
    if table is None or carry is None or carry.unruled is None or not table.rows or not carry.rows:
        return None
    first = table.rows[0]
    if any(c.col == 0 and c.lines and is_unit_name(normalize_key("".join(t for t, _ in c.lines))) for c in first):
        return None  # a row of its own
    ended = {c.col for c in carry.rows[-1] if c.lines and not c.lines[-1][1]}
    for cell in first:
        if cell.col in ended and cell.col in carry.unruled.last_item and cell.lines \
                and not ITEM.match(cell.lines[0][0].strip()):
            return cell.col
    return None


def _more_pages(lines: list[str], headings: Headings, page_number: re.Pattern[str]) -> bool:
    """Whether a copy without form feeds shows more than one page: a page number (not a bare one)
    before its last lines, or its headings printed again. Without the breaks, a page's number and
    headings would stand inside the table."""
    filled = [k for k, line in enumerate(lines) if line.strip()]
    numbers = [k for k in filled[:-FURNITURE_LINES]
               if page_number.fullmatch(normalize_key(lines[k])) and not normalize_key(lines[k]).isdigit()]
    body = _body_start(lines) or 0
    repeated = [k for k in filled if k > body and len(PIECE.findall(lines[k])) >= 2
                and all(normalize_key(p) in headings.keys for p in PIECE.findall(lines[k]))]
    return bool(numbers or repeated)


def read_layout_text(text: str, path: Path) -> list[Line]:
    from pipeline.errors import SourceError
    from pipeline.readers.pdf import PAGE_NUMBER, PageContent, lines_of_pages

    chunks = [_without_page_numbers(chunk.split("\n"), PAGE_NUMBER)
              for chunk in text.replace("\r\n", "\n").split("\f")]
    while chunks and not any(line.strip() for line in chunks[-1]):
        chunks.pop()
    canonical = _table_columns([page_columns(lines) for lines in chunks])
    first, headings = _headings(chunks)
    if len(chunks) == 1 and _more_pages(chunks[0], headings, PAGE_NUMBER):
        raise SourceError(path, "the copy keeps its columns but not its page breaks (no form feed between its pages, "
                                "which its page numbers or repeated headings show): copy it again with them, as "
                                "pdftotext -layout does")
    pages: list[PageContent] = []
    for number, lines in enumerate(chunks, start=1):
        try:
            if first is not None and number - 1 > first:
                lines = _without_repeated_headings(lines, headings)
            pages.append(_read_page(number, lines, canonical, pages[-1] if pages else None, number == len(chunks)))
        except (UnsureTable, UnreadablePage) as error:
            raise SourceError(path, f"page {number}: {error}") from None
    if not any(p.text or p.tables for p in pages):
        raise SourceError(path, "text file holds no text")
    return lines_of_pages(pages, path)


def _only_the_rest(table: "PageTable", running: list[int]) -> bool:
    """Whether a page's table is one row, the rest of the row cut before it, whose text stands in
    the columns that ran on and goes on mid-paragraph in each (no item starts it)."""
    if len(table.rows) != 1:
        return False
    cells = [c for c in table.rows[0] if c.lines]
    return (all(c.col in running for c in cells) and {c.col for c in cells} == set(running)
            and not any(ITEM.match(c.lines[0][0].strip()) for c in cells))


def _read_page(number: int, lines: list[str], canonical: list[int], before: "PageContent | None",
               final: bool) -> "PageContent":
    """One page's text lines and table, drawn and read as a PDF page."""
    from pipeline.readers.pdf import PageContent, TextRow, ends_in_table, read_unruled_table

    columns = page_columns(lines)
    place = offset_map(columns, canonical)
    carry = ends_in_table(before) if before is not None else None
    running = _running_on(columns, canonical, carry) if place is None else None
    if running is not None:
        place = _through(columns, [canonical[k] for k in running])
    page = _draw_page(lines, columns, place or float, _title_lines(lines))
    try:
        table = read_unruled_table(page, carry, final)
    except UnsureTable:
        if place is None:  # drawn at the copy's own offsets, the text was bound to misread
            raise UnreadablePage(UNPLACED) from None
        raise
    if table is not None and running is not None and not _only_the_rest(table, running):
        raise UnreadablePage(UNPLACED)
    if table is not None:
        crowded = [k for k in page.crowded if table.top - 1 <= k * PITCH <= table.bottom + 1]
        if crowded:
            raise UnreadablePage(f"line {crowded[0] + 1} of the page holds two runs of text one space apart, "
                                 "which may be two columns: the copy keeps too little space between columns "
                                 "to read the table")
        column = _unsure_rest(table, carry)
        if column is not None:
            raise UnreadablePage(f"the text atop column {column + 1} reads as the rest of the row the page break "
                                 "cut, but that column's numbered cell ended above the break, and the text starts "
                                 "no item: which row it belongs to is not sure")
        if place is None:
            raise UnreadablePage(UNPLACED)
    rows = [TextRow(" ".join(PIECE.findall(line)), k * PITCH, k * PITCH + GLYPH)
            for k, line in enumerate(lines) if line.strip()
            and not (table is not None and table.top - 1 <= k * PITCH <= table.bottom + 1)]
    return PageContent(number, page.height, rows, [table] if table is not None else [])
