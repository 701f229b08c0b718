"""Read a table drawn without ruling lines from one PDF page.

Nothing on the page delimits the cells, so the reading rests on how a table is laid out:

- Columns: text never crosses the white gap between two columns, so columns are the spans of
  the page where text lines stand side by side (a heading spanning several columns is the one
  line allowed over a gap). A gap narrower than usual (a large font) parts two columns where text
  starts on other lines too. A table continued from the previous page keeps its columns, except
  one whose text was all empty so far: its left edge came from its heading, and the first text
  aligned in it places it. A heading centred clear of a short column's text is no column.
- Rows: every row has one unit name in the first column, read by its form (pipeline/unitnames.py),
  not by the gap above it, since rows may abut without any space between them. A row's cells are
  either all top-aligned (each starts at the row's top) or all vertically centred (each centred
  on the row's middle); in both, the row's tallest cell spans the row. Cuts between rows are
  chosen by dynamic programming over the heights where no line is cut, scored by how well each
  row's cells keep one alignment, by item numbers (they restart at 1 in each cell and rise within
  it) and by paragraphs (a line that runs to its column's edge goes on below it).
- Page breaks: the last row of a page may be cut (its cells then start at its top); the first row
  of the next page may be the rest of it, with no unit name or the rest of a cut unit name. A cell
  whose last line was full goes on in that rest: at the top of the page when cells are top-aligned,
  anywhere in it when they are centred (the rest is centred on what is left of the row).
- A header row repeated at the top of a page is dropped here, where its layout is known, with
  a heading set vertically that overflows the repeated row over the text of the row below.

A reading that a close alternative explains almost as well, or whose best reading itself goes
against the numbering or a paragraph, is refused (`UnsureTable`), naming the page and the height:
a wrong table is worse than none.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from statistics import median
from typing import Callable

from pipeline.textnorm import normalize_key
from pipeline.unitnames import continues_unit_name, is_unit_name

ITEM = re.compile(r"^([0-9０-９]{1,2})\s*[.．、](?![0-9０-９])")
TERMINAL = tuple("。！？!?；;")
WORD_GAP = 0.8  # in characters: a wider gap inside a line of text is the white between two columns
NARROW_GAP = 0.5  # in characters: a gap this wide is between two columns when text starts there on other lines
SPACE_GAP = 0.2  # in characters: a wider gap inside a line is read as a space
SPREAD_MATCH = 0.05  # in characters: two gaps side by side this alike are a justified line's spread
LATIN_SPACE = 0.45  # in characters: at most a space's width in a Latin font (at least SPACE_GAP)
COLUMN_STARTS = 2  # lines starting at one left edge that make it a column's
EDGE_MATCH = 1.0  # points: the same left edge on two lines
SAME_LINE = 0.3  # in characters: glyphs whose tops differ less sit on one line
OVERLAP_SAME_TOP = 0.5  # points: characters drawn over each other at tops this close stand at one height
MARGIN_BAND = 0.1  # share of the page height where running heads and page numbers live
BLOCK_GAP = 1.5  # in characters: white this tall parts the table from text above or below it
COLUMN_TOLERANCE = 2.0  # points
EDGE = 1.5  # in characters: a line ending closer than this to its column's edge was wrapped
BREAK = 6.0  # cost of a cut that goes against an item number or through a paragraph
ODD_START = 0.5  # cost of a cell that starts at an item number other than 1, not going on from above
UNSURE = 1.0  # an alternative reading scoring within this of the best one makes the reading unsure


class UnsureTable(Exception):
    """The page holds a table that cannot be read with certainty."""


@dataclass
class TLine:
    """A line of text inside one column."""
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    col: int = -1
    span: int = 1
    overlap: str = ""  # two characters of the line's height drawn over each other
    # Gaps of NARROW_GAP characters or more inside the line, as (where in the text the piece after
    # it starts, the gap's left and right): a line that two columns' text make up parts at one.
    gaps: list[tuple[int, float, float]] = field(default_factory=list)
    parted: bool = False  # parted by height from characters drawn over it

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class UnruledState:
    """What the next page needs to know about a table read so far."""
    columns: list[float]
    header: list[str]  # each column's heading text (normalised), to drop a repeated header
    unit: str  # the unit name of the last row so far (it may go on over the page break)
    runs_on: dict[int, bool] = field(default_factory=dict)  # a column's last line goes on below
    last_item: dict[int, int] = field(default_factory=dict)  # a column's last item number
    edges: list[float] = field(default_factory=list)  # the furthest right a line of each column reached
    # Where the columns are read, and whether two lines or more started at each column's left edge
    # so far: a column whose text was all empty has its left edge from its heading alone, which a
    # centred heading puts too far right; the first page's text that starts at its edge places it.
    measured: list[float] = field(default_factory=list)
    anchored: list[bool] = field(default_factory=list)


@dataclass
class UnruledPage:
    top: float
    bottom: float
    columns: list[float]
    rows: list[list[tuple[int, int, list[TLine]]]]  # per row: (col, colspan, lines)
    state: UnruledState


# --------------------------------------------------------------------------- lines and columns

def _segments(chars: list[dict]) -> list[TLine]:
    """Text lines, split where a gap inside a line is as wide as the white between columns."""
    chars = sorted((c for c in chars if c["text"].strip()), key=lambda c: (c["top"], c["x0"]))
    rows: list[list[dict]] = []
    for c in chars:
        if rows and abs(c["top"] - rows[-1][0]["top"]) <= SAME_LINE * c["size"]:
            rows[-1].append(c)
        else:
            rows.append([c])
    rows = [part for row in rows for part in _apart(sorted(row, key=lambda c: c["x0"]))]
    alike = [_spread_alike(row) for row in rows]
    starts = _column_starts(rows, alike)
    out: list[TLine] = []
    for row, row_alike in zip(rows, alike):
        group = [row[0]]
        # Two characters drawn over each other at one height: which one a table's row holds cannot
        # be told. (At two heights the line was parted, and is checked against the others later.)
        over = _drawn_over(row)
        spread = _spread(row, row_alike, starts)
        for k, c in enumerate(row[1:], start=1):
            gap = c["x0"] - group[-1]["x1"]
            if k not in spread and (gap > WORD_GAP * c["size"]
                                    or (gap > NARROW_GAP * c["size"] and _starts_column(c["x0"], starts))):
                out.append(_tline(group, over))
                group = []
            elif gap > SPACE_GAP * c["size"]:
                # a space the producer did not write
                group.append({**c, "text": " " + c["text"],
                              "after_gap": gap > NARROW_GAP * c["size"] and k not in spread})
                continue
            group.append(c)
        out.append(_tline(group, over))
    return out


def _drawn_over(row: list[dict]) -> str:
    """Two characters of a line drawn over each other, as text ('' when none). (Squeezed
    punctuation only touches.)"""
    return next((a["text"] + b["text"] for a, b in zip(row, row[1:])
                 if b["x0"] < (a["x0"] + a["x1"]) / 2 and a["text"] != b["text"]), "")


def _apart(row: list[dict]) -> list[list[dict]]:
    """A line whose characters are drawn over each other, parted by height when they stand at
    different heights: text overflowing a cell of fixed height (a heading set vertically in a
    narrow column, in a repeated header row) over the text of the row below."""
    if not _drawn_over(row):
        return [row]
    tops: list[list[dict]] = []
    for c in sorted(row, key=lambda c: c["top"]):
        if tops and c["top"] - tops[-1][-1]["top"] <= OVERLAP_SAME_TOP:
            tops[-1].append(c)
        else:
            tops.append([c])
    if len(tops) == 1:
        # At one height: each character goes on the first line it is not drawn over.
        tops = []
        for c in row:
            home = next((part for part in tops if not _drawn_over([part[-1], c])), None)
            if home is None:
                tops.append([c])
            else:
                home.append(c)
    return [sorted(({**c, "parted": True} for c in part), key=lambda c: c["x0"]) for part in tops]


def _column_starts(rows: list[list[dict]], alike: list[set[int]]) -> list[float]:
    """Heights aside, where text starts after white: at a line's start or after a gap of
    NARROW_GAP characters. A column's cells are left-aligned, so its edge recurs; the text after a
    gap inside a line of prose or of a cell does not stand at one place line after line, nor does
    the text after a justified line's spread (`alike`: each row's, from `_spread_alike`)."""
    starts = []
    for row, spread in zip(rows, alike):
        starts += [c["x0"] for k, c in enumerate(row)
                   if k == 0 or (c["x0"] - row[k - 1]["x1"] > NARROW_GAP * c["size"] and k - 1 not in spread)]
    return sorted(starts)


def _gaps(row: list[dict]) -> list[float]:
    return [b["x0"] - a["x1"] for a, b in zip(row, row[1:])]


def _spread_alike(row: list[dict]) -> set[int]:
    """The gaps (indices) of a justified line's spread: justification spreads the characters of a
    line whose next word did not fit, every gap alike, and a gap can grow as wide as the white
    between two columns; the white between two columns is not like the gap beside it. Where it
    is by chance, the line beyond is set tighter: a run of alike gaps ends where its characters
    do, not one character into a line of Chinese set otherwise (并 逐 步 推 | 类辅助)."""
    gaps = _gaps(row)
    wide = [g > SPACE_GAP * c["size"] for g, c in zip(gaps, row[1:])]
    alike = {k for k in range(len(gaps)) if wide[k] and any(
        wide[j] and abs(gaps[k] - gaps[j]) <= SPREAD_MATCH * row[k + 1]["size"]
        for j in (k - 1, k + 1) if 0 <= j < len(gaps))}

    def tight(j: int) -> bool:  # between two Chinese characters (a number's are set tight in any line)
        return (0 <= j < len(gaps) and gaps[j] <= NARROW_GAP * row[j + 1]["size"]
                and not row[j]["text"].isascii() and not row[j + 1]["text"].isascii())
    for k in sorted(alike):
        if (k - 1 not in alike and tight(k - 1)) or (k + 1 not in alike and tight(k + 1)):
            alike.discard(k)
    return alike


def _spread(row: list[dict], alike: set[int], starts: list[float]) -> set[int]:
    """The characters (indices) after a gap of a justified line's spread (`alike`: the row's
    gaps from `_spread_alike`). A
    Latin run inside the line (12355, 6.26) is spread as one piece: the gaps at its ends take the
    spread, and a space's width besides where one is printed, when the line is spread alike on
    both sides and the run's ends stand at no column's edge (`starts`: where lines start); two
    columns' lines spread alike can part an item number from the line before it (关 | 1.开展)."""
    gaps = _gaps(row)
    out = {k + 1 for k in alike}
    k = 0
    while k < len(row):
        if not row[k]["text"].isascii():
            k += 1
            continue
        j = k  # the Latin run row[k..j]: gap k-1 before it, gap j after it
        while j + 1 < len(row) and row[j + 1]["text"].isascii() and gaps[j] <= SPACE_GAP * row[j]["size"]:
            j += 1
        before, after = k - 2, j + 1  # the line's gaps beyond the run's ends
        if before in alike and after in alike:
            size = row[k]["size"]
            spread = (gaps[before] + gaps[after]) / 2

            def spread_end(gap: float) -> bool:  # the spread alone, or on both sides of a space
                return (abs(gap - spread) <= SPREAD_MATCH * size
                        or 2 * spread + SPACE_GAP * size <= gap <= 2 * spread + LATIN_SPACE * size)
            if abs(gaps[before] - gaps[after]) <= SPREAD_MATCH * size and spread_end(gaps[k - 1]) \
                    and spread_end(gaps[j]) and not any(_starts_column(row[c]["x0"], starts) for c in (k, j + 1)):
                out |= {k, j + 1}
        k = j + 1
    return out


def _starts_column(x: float, starts: list[float]) -> bool:
    """Whether text after a narrower gap starts at a column's edge: where text starts on
    COLUMN_STARTS other lines (a font large for its table leaves less than WORD_GAP between columns)."""
    a = bisect_left(starts, x - EDGE_MATCH)
    b = bisect_left(starts, x + EDGE_MATCH)
    return b - a >= COLUMN_STARTS


def _tline(chars: list[dict], over: str) -> TLine:
    gaps: list[tuple[int, float, float]] = []
    at = 0
    for before, c in zip([None] + chars, chars):
        if before is not None and c.get("after_gap"):
            gaps.append((at, before["x1"], c["x0"]))
        at += len(c["text"])
    return TLine("".join(c["text"] for c in chars), chars[0]["x0"], max(c["x1"] for c in chars),
                 min(c["top"] for c in chars), max(c["bottom"] for c in chars), median(c["size"] for c in chars),
                 overlap=over, gaps=gaps, parted=any(c.get("parted") for c in chars))


def _split(lines: list[TLine], columns: list[float]) -> list[TLine]:
    """The lines parted where a gap inside one ends at a column's left edge: two columns' text
    that a narrow gap left as one line."""
    out: list[TLine] = []
    for ln in lines:
        cuts = [(at, left, right) for at, left, right in ln.gaps
                if any(abs(right - x) <= COLUMN_TOLERANCE for x in columns[1:-1])]
        if not cuts:
            out.append(ln)
            continue
        start, x0 = 0, ln.x0
        for at, left, right in cuts:
            out.append(TLine(ln.text[start:at], x0, left, ln.top, ln.bottom, ln.size, overlap=ln.overlap,
                             parted=ln.parted))
            start, x0 = at, right
        out.append(TLine(ln.text[start:].lstrip(), x0, ln.x1, ln.top, ln.bottom, ln.size, overlap=ln.overlap,
                         parted=ln.parted))
    return out


def _blocks(lines: list[TLine]) -> list[list[TLine]]:
    """Lines grouped into blocks parted by white taller than BLOCK_GAP characters."""
    blocks: list[list[TLine]] = []
    bottom = 0.0
    for ln in sorted(lines, key=lambda ln: ln.top):
        if blocks and ln.top - bottom <= BLOCK_GAP * ln.size:
            blocks[-1].append(ln)
            bottom = max(bottom, ln.bottom)
        else:
            blocks.append([ln])
            bottom = ln.bottom
    return blocks


def _side_by_side(lines: list[TLine]) -> list[list[TLine]]:
    """Groups of lines at one height holding two or more lines: where text stands in columns."""
    out: list[list[TLine]] = []
    for ln in sorted(lines, key=lambda ln: (ln.top, ln.x0)):
        if out and abs(ln.top - out[-1][0].top) <= SAME_LINE * ln.size:
            out[-1].append(ln)
        else:
            out.append([ln])
    return [row for row in out if len(row) >= 2]


def _find_columns(lines: list[TLine]) -> list[float]:
    """Left edges of the columns and the right edge of the last.

    Cells are left-aligned, so inside a column fewer lines cover a point the further right it is;
    white covered by at most one line and followed by a point covered by two or more is the gap
    between two columns, bridged at most by a heading that spans them."""
    if not lines:
        return []
    step = 0.5
    x_min = min(ln.x0 for ln in lines)
    n = int((max(ln.x1 for ln in lines) - x_min) / step) + 1
    cover = [0] * n
    for ln in lines:
        for k in range(int((ln.x0 - x_min) / step), min(n, int((ln.x1 - x_min) / step) + 1)):
            cover[k] += 1
    size = median(ln.size for ln in lines)
    gaps: list[tuple[int, int]] = []
    k = 0
    while k < n:
        if cover[k] <= 1:
            j = k
            while j < n and cover[j] <= 1:
                j += 1
            empty = [m for m in range(k, j) if cover[m] == 0]
            # A column starts after the gap: left-aligned, at least two of its lines start there,
            # or one below every line bridging the gap (a heading spanning it, over a column
            # whose cells on this page hold one line).
            edge = x_min + j * step
            starting = [ln for ln in lines if abs(ln.x0 - edge) <= COLUMN_TOLERANCE]
            bridging = [ln for ln in lines if ln.x0 < x_min + k * step and ln.x1 > edge]
            below = len(starting) == 1 and all(b.bottom < starting[0].top for b in bridging)
            if j < n and not empty and (j - k) * step >= 0.5 * size and k > 0 and (len(starting) >= 2 or below):
                gaps.append((k, j))  # a bridged gap
            else:
                m = k
                while m < j:  # the truly empty stretches
                    if cover[m] == 0:
                        e = m
                        while e < j and cover[e] == 0:
                            e += 1
                        gaps.append((m, e))
                        m = e
                    else:
                        m += 1
            k = j
        else:
            k += 1
    columns = [x_min]
    for a, b in gaps:
        columns.append(x_min + b * step)
    right = max(ln.x1 for ln in lines)
    return columns + [right]


def _anchored(lines: list[TLine], columns: list[float]) -> list[bool]:
    """Whether two lines or more start at each column's left edge (where its text is aligned)."""
    return [sum(1 for ln in lines if abs(ln.x0 - x) <= COLUMN_TOLERANCE) >= 2 for x in columns[:-1]]


def _measured(state: UnruledState, lines: list[TLine]) -> list[float]:
    """The columns to read a continued page with: the table's, except that a column no text was
    aligned on so far moves left to where this page's text starts, when that is one edge between
    it and the column before (its left edge came from a heading, which is never left of the text)."""
    columns = list(state.measured or state.columns)
    anchored = state.anchored or [True] * (len(columns) - 1)
    if all(anchored):
        return columns
    own = _find_columns(lines)
    starts = _anchored(lines, own)
    for k in range(1, len(columns) - 1):
        if anchored[k]:
            continue
        found = [x for x, aligned in zip(own[:-1], starts) if aligned
                 and columns[k - 1] + COLUMN_TOLERANCE < x < columns[k] - COLUMN_TOLERANCE]
        if len(found) == 1:
            columns[k] = found[0]
    return columns


def _place(ln: TLine, columns: list[float]) -> bool:
    """Give a line its column (and how many columns it spans); False when it fits no column."""
    tol = COLUMN_TOLERANCE
    lefts = columns[:-1]
    if ln.x0 < lefts[0] - tol:  # (the last column's right edge is only known from the lines in it)
        return False
    first = max(k for k, x in enumerate(lefts) if k == 0 or x - tol <= ln.x0)
    last = max(k for k, x in enumerate(lefts) if k == 0 or x + tol < ln.x1 - ln.size / 2)
    ln.col, ln.span = first, max(1, last - first + 1)
    return True


# --------------------------------------------------------------------------- the table's lines

def _in_margin(block: list[TLine], height: float) -> bool:
    return all(ln.bottom < height * MARGIN_BAND or ln.top > height * (1 - MARGIN_BAND) for ln in block)


def _first_page_lines(lines: list[TLine]) -> tuple[list[float], list[TLine]] | None:
    """The columns and lines of a table that starts on this page: the block of text holding the
    most lines side by side, from its first such line (a title above lines up by chance)."""
    rows = _side_by_side(lines)
    if len(rows) < 2:
        return None
    in_rows = {id(ln) for row in rows for ln in row}
    block = max(_blocks(lines), key=lambda b: sum(id(ln) in in_rows for ln in b))
    start = min(ln.top for ln in block if id(ln) in in_rows)
    size = median(ln.size for ln in block)
    body = [ln for ln in block if ln.top >= start - SAME_LINE * size]
    columns = _find_columns(body)
    if len(columns) < 4:
        return None  # prose lines up on its margins only
    body = _split(body, columns)
    block = _split(block, columns)
    # Lines just above the first side-by-side line belong to the header when they are set like
    # it and sit in one column (a label set vertically in a narrow column starts higher up).
    above = sorted((ln for ln in block if ln.top < start - SAME_LINE * size), key=lambda ln: -ln.top)
    for ln in above:
        if abs(ln.size - size) > 0.1 * size or not _place(ln, columns) or ln.span > 1:
            break
        body.append(ln)
    if not all(_place(ln, columns) for ln in body):
        return None
    return columns, body


def _continued_lines(lines: list[TLine], columns: list[float], height: float) -> list[TLine] | None:
    """The lines of a table going on from the previous page: the first block of text below the
    running head, if it fits the table's columns."""
    blocks = [b for b in _blocks(lines) if not _in_margin(b, height)]
    if not blocks:
        return None
    block = _split(blocks[0], columns)
    if not all(_place(ln, columns) for ln in block):
        return None
    return block


# --------------------------------------------------------------------------- rows

@dataclass
class _Page:
    """The table's lines on one page, by column, with the heights where a row may start."""
    by_col: list[list[TLine]]
    tops: list[list[float]]
    cuts: list[float]
    size: float
    gap: float  # white between two lines of one cell
    edges: list[float]  # right edge of each column
    columns: list[float]
    final: bool = False  # no page follows: a row cannot go on over a page break

    def band(self, col: int, a: float, b: float) -> list[TLine]:
        tol = SAME_LINE * self.size
        return self.by_col[col][bisect_left(self.tops[col], a - tol):bisect_left(self.tops[col], b - tol)]

    def runs_on(self, ln: TLine) -> bool:
        """A line that reaches its column's edge without ending a sentence goes on below."""
        return ln.x1 >= self.edges[ln.col] - EDGE * ln.size and not ln.text.rstrip().endswith(TERMINAL)


def _prepare(lines: list[TLine], columns: list[float]) -> _Page:
    ncols = len(columns) - 1
    size = median(ln.size for ln in lines)
    by_col: list[list[TLine]] = [[] for _ in range(ncols)]
    for ln in lines:
        by_col[ln.col].append(ln)
    for col in by_col:
        col.sort(key=lambda ln: ln.top)
    gaps = [b.top - a.bottom for col in by_col for a, b in zip(col, col[1:]) if b.top - a.bottom > 0]
    gap = median(gaps) if gaps else 0.3 * size
    tol = SAME_LINE * size
    tops = sorted(ln.top for ln in lines)
    cuts: list[float] = []
    for y in tops:
        if cuts and y - cuts[-1] <= tol:
            continue
        if not any(ln.top < y - tol and ln.bottom > y + tol for ln in lines):
            cuts.append(y)
    cuts.append(max(ln.bottom for ln in lines) + 2 * tol)
    edges = [max((ln.x1 for ln in col if ln.span == 1), default=0.0) for col in by_col]
    return _Page(by_col, [[ln.top for ln in col] for col in by_col], cuts, size, gap, edges, columns)


def _text(lines: list[TLine]) -> str:
    return normalize_key("".join(ln.text for ln in lines))


def _item(ln: TLine) -> int | None:
    m = ITEM.match(normalize_key(ln.text))
    return int(m.group(1)) if m else None


def _contiguous(p: _Page, lines: list[TLine]) -> bool:
    return all(b.top - a.bottom <= p.gap + 1.0 * p.size for a, b in zip(lines, lines[1:]))


def _residual(cells: list[list[TLine]], align: str) -> float:
    top = min(c[0].top for c in cells)
    bottom = max(c[-1].bottom for c in cells)
    if align == "top":
        return sum(abs(c[0].top - top) for c in cells)
    return sum(abs((c[0].top + c[-1].bottom) / 2 - (top + bottom) / 2) for c in cells)


def _item_above(p: _Page, col: int, y: float, first: TLine, state: UnruledState | None) -> int:
    """The last item number of the column's text that a cut at height y parts from the cell
    starting with line `first` (on the page before when the cell starts the page), 0 when there is
    none. A cell's lines follow each other: text above with white between, or with a row of this
    page between where the column is empty, is another cell's whatever the cut."""
    above = p.band(col, 0.0, y)
    if not above:
        if state is None or y > p.cuts[0] + SAME_LINE * p.size:
            return 0
        return state.last_item.get(col, 0)
    run = [first]
    for ln in reversed(above):
        if not _contiguous(p, [ln, run[0]]):
            break
        run.insert(0, ln)
    numbers = [n for n in map(_item, run[:-1]) if n is not None]
    return numbers[-1] if numbers else 0


def _band_cost(p: _Page, a: float, b: float, kind: str, align: str, state: UnruledState | None,
               last: bool) -> float | None:
    """The cost of reading the lines between heights a and b as one row of kind 'header', 'rest'
    (the rest of the row the previous page cut) or 'row'; None when they cannot be one."""
    cells = {k: p.band(k, a, b) for k in range(len(p.by_col))}
    cells = {k: v for k, v in cells.items() if v}
    if not cells:
        return None
    unit = _text(cells.get(0, []))
    if kind == "header":
        if len(cells) < 2 or is_unit_name(unit) or any(_item(ln) is not None for c in cells.values() for ln in c):
            return None
    elif kind == "rest":
        if unit and not (state and continues_unit_name(state.unit, unit)):
            return None
    elif not unit or (not is_unit_name(unit) and (not last or p.final)):
        return None  # (the page's last row may hold a unit name the page break cut, if a page follows)
    if kind != "header" and not all(_contiguous(p, c) for c in cells.values()):
        return None
    cost = 0.0
    if kind != "header":
        fits = [_residual(list(cells.values()), al) for al in {align, "top"}] if last else \
               [_residual(list(cells.values()), al) for al in ((align,) if kind == "row" else ("top", "centre"))]
        cost += min(fits) / p.size
        if kind == "row" and not is_unit_name(unit):
            cost += 0.5  # a unit name the page break cut
    for k, c in cells.items():
        numbers = [n for n in map(_item, c) if n is not None]
        first = _item(c[0])
        if kind == "row" and first is not None and first != 1:
            # A cell may start at another number than 1 (an item dropped from a list); the cut is
            # gone against only when the number goes on from the column's text above.
            cost += BREAK if first == _item_above(p, k, a, c[0], state) + 1 else ODD_START
        if kind == "rest" and first is not None and state and k in state.last_item and first <= state.last_item[k]:
            cost += BREAK
        if any(y <= x for x, y in zip(numbers, numbers[1:])):
            cost += BREAK  # numbering starts again: a cell ends inside
        # (A unit name fills its narrow column: its end is told by its form, not its width.)
        below = p.band(k, b, c[-1].bottom + p.gap + 0.5 * p.size) if k > 0 and kind != "header" else []
        if below and p.runs_on(c[-1]):
            cost += BREAK
    return cost


def _owed(p: _Page, align: str, state: UnruledState | None) -> Callable[[float], int]:
    """How many columns' text the page break cut, for a first row here ending at height b that
    is read as a row of its own (then their text ends on a full line on the page before).

    A row that went on below the previous page but whose rest no band here can be (the page
    starts with another unit's name, or each column's items start again at 1 below a cell that
    reached 2) owes nothing: its last line was full, and ended there.

    Top-aligned, the rest of a cut cell stands at the top of the page: a column whose first line
    here stands lower starts a cell of its own, and its last line on the page before was full.
    Centred, the rest is centred on what is left of the row, so it stands anywhere in the first
    row: a column that goes on and has text there owes it, wherever it starts."""
    if state is None:
        return lambda b: 0
    n = len(p.cuts)
    rests = (_band_cost(p, p.cuts[0], p.cuts[i], "rest", align, state, i == n - 1) for i in range(1, n))
    if not any(cost is not None and cost < BREAK for cost in rests):
        return lambda b: 0
    going_on = [k for k, on in state.runs_on.items() if on and p.by_col[k]]
    if align == "top":
        owed = sum(1 for k in going_on if p.by_col[k][0].top <= p.cuts[0] + SAME_LINE * p.size)
        return lambda b: owed
    return lambda b: sum(1 for k in going_on if p.band(k, p.cuts[0], b))


def _row_cost(p: _Page, j: int, i: int, kind: str, align: str, state: UnruledState | None,
              owed: Callable[[float], int]) -> float | None:
    """The cost of the band between cuts j and i read as a row of this kind."""
    cost = _band_cost(p, p.cuts[j], p.cuts[i], kind, align, state, i == len(p.cuts) - 1)
    if cost is not None and j == 0 and kind != "rest" and state:
        # a row goes on from the previous page but no rest of it is read here
        cost += BREAK * owed(p.cuts[i])
    return cost


def _rows(p: _Page, align: str, state: UnruledState | None, header: bool
          ) -> list[tuple[float, list[tuple[int, str]]]]:
    """Up to two best readings of the page: (cost, [(cut index, band kind)...])."""
    n = len(p.cuts)
    owed = _owed(p, align, state)
    best: list[list[tuple[float, list[tuple[int, str]]]]] = [[] for _ in range(n)]
    best[0] = [(0.0, [])]
    for i in range(1, n):
        found: list[tuple[float, list[tuple[int, str]]]] = []
        for j in range(i):
            if not best[j]:
                continue
            kinds = ["header"] if j == 0 and header else (["rest", "row"] if j == 0 and state else ["row"])
            for kind in kinds:
                cost = _row_cost(p, j, i, kind, align, state, owed)
                if cost is None:
                    continue
                for c, path in best[j]:
                    found.append((c + cost, path + [(i, kind)]))
        found.sort(key=lambda t: t[0])
        best[i] = found[:2]
    return best[n - 1]


# --------------------------------------------------------------------------- one page

def _header_rows(lines: list[TLine], p: "_Page") -> list[list[tuple[int, int, list[TLine]]]]:
    """The header as rows: headings spanning several columns first, then each column's heading,
    so that a spanning heading gives way to the headings under it.

    A heading centred over an odd number of columns can sit inside the middle one: it is told from
    a heading wrapped over two lines by the heading under it, which starts level with the headings
    of other columns, or is centred level with them when it wraps itself (all of them below the
    spanning heading)."""
    spanning = [ln for ln in lines if ln.span > 1]
    own: dict[int, list[TLine]] = {}
    for ln in sorted((ln for ln in lines if ln.span == 1), key=lambda ln: ln.top):
        own.setdefault(ln.col, []).append(ln)
    tol = SAME_LINE * p.size
    for col, col_lines in own.items():
        if col == 0:
            continue
        for cut in range(len(col_lines) - 1, 0, -1):
            level = [c for c, other in own.items() if c not in (0, col)
                     and (abs(min(ln.top for ln in other) - col_lines[cut].top) <= tol
                          or abs(_middle(other) - _middle(col_lines[cut:])) <= tol)
                     and all(ln.top > col_lines[cut - 1].bottom - tol for ln in other)]
            if level:
                spanning.extend(col_lines[:cut])
                own[col] = col_lines[cut:]
                break
    spanning.sort(key=lambda ln: (ln.top, ln.col))
    rows = [[(ln.col, ln.span, [ln]) for ln in spanning]] if spanning else []
    return rows + [[(col, 1, own[col]) for col in sorted(own)]]


def _middle(lines: list[TLine]) -> float:
    return (min(ln.top for ln in lines) + max(ln.bottom for ln in lines)) / 2


def _header_keys(lines: list[TLine], ncols: int) -> list[str]:
    """Each column's heading. A heading spanning columns is left out: above a table's first page
    it may have been read as a title, and a repeated header is known by its columns' headings."""
    return [_text(sorted((ln for ln in lines if ln.col == k and ln.span == 1), key=lambda ln: ln.top))
            for k in range(ncols)]


def _without_spanning(header: list[str], spanning: set[str]) -> list[str]:
    """The columns' headings as the table's first page read them, without a heading that spans
    columns here: there it may have stood inside one column, whose left edge came from its own
    centred heading (no text of that page started at the column's edge)."""
    return [next((h[len(s):] for s in spanning if h.startswith(s) and h != s), h) for h in header]


def _drop_header(lines: list[TLine], header: list[str], size: float) -> list[TLine]:
    """The lines without a copy of the header at their top (its first column may be clipped)."""
    tol = SAME_LINE * size
    end = None  # the lowest height down to which the lines copy the header
    for y in sorted({ln.bottom for ln in lines}):
        above = [ln for ln in lines if ln.top < y + tol]
        if any(ln.bottom > y + tol for ln in above):
            continue
        keys = _header_keys(above, len(header))
        heads = _without_spanning(header, {_text([ln]) for ln in above if ln.span > 1})
        if any(key and not head.startswith(key) for key, head in zip(keys, heads)):
            break
        if keys[1:] == heads[1:] and keys[0] and heads[0].startswith(keys[0]):
            end = y
    if end is None:
        return lines
    rest = [ln for ln in lines if ln.top >= end + tol]
    # A heading set vertically in a narrow column may overflow the repeated header row's height
    # into the row below: characters that go on spelling it are the header's, not the row's.
    first = [ln for ln in lines if ln.col == 0 and ln.top < end + tol]
    # (Drawn over the row's own first characters, it shares their height: of the lines at one
    # height, the one that goes on spelling it.)
    spelled = _text(sorted(first, key=lambda ln: ln.top))
    column = sorted((ln for ln in rest if ln.col == 0), key=lambda ln: ln.top)
    while column and spelled and spelled != header[0]:
        level = [ln for ln in column if ln.top - column[0].top <= tol]
        ln = next((ln for ln in level if header[0].startswith(spelled + _text([ln]))), None)
        if ln is None:
            break
        spelled += _text([ln])
        rest.remove(ln)
        column.remove(ln)
    return rest


def _state_after(rows: list[list[tuple[int, int, list[TLine]]]], p: _Page, columns: list[float], header: list[str],
                 before: UnruledState | None, last_kind: str, table: list[TLine]) -> UnruledState:
    last = rows[-1] if rows else []
    unit = _text(next((c[2] for c in last if c[0] == 0), []))
    if last_kind == "rest" and before is not None:
        unit = before.unit + unit
    runs_on = {col: p.runs_on(lines[-1]) for col, _, lines in last if col > 0}  # a unit name: by its form
    items: dict[int, int] = {}
    for col, _, lines in last:
        numbers = [n for n in map(_item, lines) if n is not None]
        if numbers:
            items[col] = numbers[-1]
        elif last_kind == "rest" and before is not None and col in before.last_item:
            items[col] = before.last_item[col]
    anchored = _anchored(table, columns)
    if before is not None and before.anchored:
        anchored = [a or b for a, b in zip(anchored, before.anchored)]
    # The table keeps the columns its first page found: they name it to the pages after.
    named = before.columns if before is not None else columns
    return UnruledState(named, header, unit, runs_on, items, p.edges, columns, anchored)


def read_unruled(page, state: UnruledState | None, final: bool) -> UnruledPage | None:
    """The page's table drawn without ruling lines; `state` is that of a table the previous page
    ended with; `final`: no page follows. None when the page holds no such table; UnsureTable when
    it cannot be read surely."""
    lines = _segments(page.chars)
    if not lines:
        return None
    header_keys: list[str] = []
    continued: list[TLine] = []
    if state is None:
        found = _first_page_lines(lines)
        if found is None:
            return None
        columns, table = found
    else:
        continued = _continued_lines(lines, state.measured or state.columns, page.height)
        if continued is None:
            return None
        columns = _measured(state, continued)
        continued = _split(continued, columns)
        if not all(_place(ln, columns) for ln in continued):
            return None
        table = _drop_header(continued, state.header, median(ln.size for ln in continued))
        header_keys = state.header
        if not table:
            return None
    ncols = len(columns) - 1
    drawn_over = next((ln.overlap for ln in table if ln.overlap), "") or _still_over(table)
    if drawn_over:
        raise UnsureTable(f"two characters drawn over each other ({drawn_over})")
    table = _two_characters_spread(table, columns)
    side = _side_by_side_in_column(table)
    if side:
        raise UnsureTable(f"two lines side by side in one column of a table without ruling lines ({side}): "
                          "a column between them was not found")
    p, path = _read_rows(table, columns, state, final)
    merged = _heading_only(p, path) if state is None else []
    if merged:
        columns = [x for k, x in enumerate(columns) if k not in merged]
        if not all(_place(ln, columns) for ln in table):
            return None
        ncols = len(columns) - 1
        p, path = _read_rows(table, columns, state, final)
    rows: list[list[tuple[int, int, list[TLine]]]] = []
    start = 0
    for end, kind in path:
        a, b = p.cuts[start], p.cuts[end]
        band = [ln for k in range(ncols) for ln in p.band(k, a, b)]
        if kind == "header":
            rows.extend(_header_rows(band, p))
            header_keys = _header_keys(band, ncols)
        else:
            cells: dict[tuple[int, int], list[TLine]] = {}
            for ln in sorted(band, key=lambda ln: ln.top):
                cells.setdefault((ln.col, ln.span), []).append(ln)
            covered = [k for col, span in cells for k in range(col, col + span)]
            if len(covered) != len(set(covered)):
                # A line running over into a column that has lines of its own in the row: two
                # cells' text read as one line, or a cell wider than its column.
                raise UnsureTable(f"a line of a table without ruling lines runs into the next column "
                                  f"({a:.0f} pt from the top)")
            rows.append([(col, span, cl) for (col, span), cl in sorted(cells.items())])
        start = end
    # The region includes a repeated header, whose lines are dropped, not left as page text.
    top = min(ln.top for ln in (table if state is None else continued))
    bottom = max(ln.bottom for ln in table)
    last_kind = path[-1][1] if path else "row"
    if len(path) == 1 and last_kind == "header":
        last_kind = "header"
    after = _state_after(rows, p, columns, header_keys, state, last_kind, table)
    return UnruledPage(top, bottom, after.columns, rows, after)


def _two_characters_spread(table: list[TLine], columns: list[float]) -> list[TLine]:
    """The lines with a justified line of two characters made whole: spread to both edges of its
    column (普 | 法, before a word that did not fit), its characters stand apart as two lines, one
    where the column's lines start, one where other full lines of the column end."""
    out = list(table)
    for row in _side_by_side(table):
        for a, b in zip(row, row[1:]):
            if not (a.col == b.col and a.span == b.span == 1 and len(a.text) == len(b.text) == 1):
                continue
            ends = [ln.x1 for ln in table if ln.col == a.col and ln.span == 1 and ln is not b and ln.top != b.top]
            if abs(a.x0 - columns[a.col]) <= COLUMN_TOLERANCE and any(abs(x - b.x1) <= COLUMN_TOLERANCE for x in ends):
                out = [ln for ln in out if ln is not a and ln is not b]
                out.append(TLine(a.text + b.text, a.x0, b.x1, min(a.top, b.top), max(a.bottom, b.bottom), a.size,
                                 a.col, 1, parted=a.parted or b.parted))
    return out


def _side_by_side_in_column(table: list[TLine]) -> str:
    """Two lines of one column at one height, as text ('' when none): a column holds one line at
    a height, so there is a column between them that the white on the page did not show."""
    for row in _side_by_side(table):
        for a, b in zip(row, row[1:]):
            if a.col == b.col and a.span == b.span == 1:
                return f"{a.text[:4]} | {b.text[:4]}"
    return ""


def _boxes_meet(a: TLine, b: TLine) -> bool:
    """Whether two lines' boxes overlap by more than a touch (text drawn over text)."""
    slack = 0.25 * min(a.size, b.size)
    return (a.x0 + slack < b.x1 and b.x0 + slack < a.x1
            and a.top + slack < b.bottom and b.top + slack < a.bottom)


def _still_over(table: list[TLine]) -> str:
    """Two lines parted by height that are both the table's (neither a repeated heading's
    overflow): their characters drawn over each other, as text ('' when none)."""
    for ln in (ln for ln in table if ln.parted):
        other = next((o for o in table if o is not ln and _boxes_meet(ln, o)), None)
        if other is not None:
            return "".join(sorted((ln.text[:1], other.text[:1]), key=lambda t: t))
    return ""


def _read_rows(table: list[TLine], columns: list[float], state: UnruledState | None, final: bool
               ) -> tuple[_Page, list[tuple[int, str]]]:
    """The page's lines and the one reading of its rows that no other comes close to."""
    p = _prepare(table, columns)
    p.final = final
    if state is not None:
        p.edges = [max(a, b) for a, b in zip(p.edges, state.edges)]
    readings = []
    for align in ("top", "centre"):
        for cost, path in _rows(p, align, state, state is None):
            readings.append((cost, align, path))
    readings.sort(key=lambda r: r[0])
    if not readings:
        raise UnsureTable("a table without ruling lines whose rows cannot be told apart")
    cost, align, path = readings[0]
    rival = next((r for r in readings[1:] if r[2] != path), None)
    if rival is not None and rival[0] - cost < UNSURE:
        raise UnsureTable(f"a table without ruling lines read two ways (row cuts at {_where(p, path, rival[2])})")
    if cost >= BREAK:
        raise UnsureTable("a table without ruling lines whose best reading goes against its numbering or "
                          f"paragraphs (the row {_against(p, path, align, state):.0f} pt from the top)")
    return p, path


def _against(p: _Page, path: list[tuple[int, str]], align: str, state: UnruledState | None) -> float:
    """The top of the costliest row of a reading: where it goes against the page's numbering or
    paragraphs (or the page before's)."""
    owed = _owed(p, align, state)
    starts = [0] + [end for end, _ in path[:-1]]
    costs = [(_row_cost(p, j, i, kind, align, state, owed) or 0.0, -p.cuts[j])
             for j, (i, kind) in zip(starts, path)]
    return -max(costs)[1]


def _heading_only(p: _Page, path: list[tuple[int, str]]) -> list[int]:
    """Columns found from a heading alone that are the right part of the column before them:
    a heading centred in a column whose text is short stands clear of it, with white between.
    Such a column has no text below the header, and the column before it no heading."""
    if not path or path[0][1] != "header":
        return []
    a, b = p.cuts[0], p.cuts[path[0][0]]
    found = []
    for k in range(2, len(p.by_col)):
        own_heading = [ln for ln in p.band(k, a, b) if ln.span == 1]
        before_heading = [ln for ln in p.band(k - 1, a, b) if ln.span == 1]
        text = [ln for ln in p.by_col[k] if ln.top >= b - SAME_LINE * p.size]
        before_text = [ln for ln in p.by_col[k - 1] if ln.top >= b - SAME_LINE * p.size]
        if own_heading and not text and before_text and not before_heading:
            found.append(k)
    return found


def _where(p: _Page, path: list[tuple[int, str]], other: list[tuple[int, str]]) -> str:
    a = {p.cuts[i] for i, _ in path}
    b = {p.cuts[i] for i, _ in other}
    differ = sorted(a ^ b) or sorted(a)
    return f"{differ[0]:.0f} pt from the top"
