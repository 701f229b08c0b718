"""Rebuild the annex table from text that PDF extraction broke.

Extraction of a ruled table page by page emits, for each row segment on a page, the unit column
(one character per line, as the column is one character wide), then every line of the first
phase column, then the second, and so on. Rows split across a page break continue on the next
page, column by column again; a page may end with a footer block; and lines of several columns at
the same height are sometimes merged into one line.

The rebuild inverts that layout without knowing the document:
1. page furniture (page-number footers) is removed and page starts are found;
2. the header gives the phases (a spanning heading is replaced by its sub-headings);
3. unit names are found by the form of a unit name, read down the one-character column;
4. each row segment is cut into column blocks by dynamic programming, scoring each cut by how
   well it fits a column: line widths (a wrapped line fills its column, a short line ends a
   paragraph), item numbering (1., 2., … restart per cell, never go backwards), and continuity
   with the same row's blocks on the previous page;
5. where a row goes on over a page break, the cut depends on the page length, which is not
   printed: each length that two pages of a first reading agree on (every length, when no two
   agree) is tried, and readings whose full pages disagree on their length cost a little more;
6. column widths are not known in advance: candidates come from the histogram of line widths and
   the assignment of widths to columns that explains the whole table best is kept.
"""

from __future__ import annotations

import gc
import itertools
import re
from bisect import bisect_left
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterator

from pipeline.annex.model import AnnexMeasure, AnnexTable, QualityIssue
from pipeline.errors import SourceError
from pipeline.records import Line
from pipeline.textnorm import NO_LINE_START, display_width, join_lines, normalize_key
from pipeline.unitnames import UNIT_START, is_unit_name

LABEL = re.compile(r"^([0-9０-９]{1,2})\s*[.．、](?![0-9０-９])\s*")
# An item number glued to the previous column's text inside a merged line.
MERGED_LABEL = re.compile(r"(?<=[^0-9０-９.．])(?=[0-9０-９]{1,2}[.．、](?![0-9０-９]))")
PAGE_NUMBER = re.compile(r"^[—–\-－]\s*\d{1,4}\s*[—–\-－]$|^第\s*\d+\s*页(\s*共\s*\d+\s*页)?$")
# A measure ends with a full stop; ；and ， only end clauses inside one.
TERMINAL = tuple("。！？!?")
CJK_CHAR = re.compile(r"^[\u3400-\u9fff]$")
CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
# A line that is an issuing office's name and nothing else (长宁市人民政府办公室): under a page
# number it heads the page, however few pages there are.
ISSUER = re.compile(r"[\u3400-\u9fff]{1,10}[省市县区州盟]人民政府(办公室|办公厅)?")
OFFICE_NAME = re.compile(r"(人民政府|政府办公室|办公厅|委员会)$")  # an issuer, as a running head names it
INF = float("inf")

# Tolerances in character cells: kinsoku rules can push a line one cell past or short of its width.
OVERFLOW = 1.0
FULL_SLACK = 1.5
PAGE_HEIGHT_COST = 0.01
PAGE_MISMATCH_COST = 0.05
TIE_BREAK = 0.001
FLUSH_END_COST = 0.5
FLUSH_ITEM_COST = 2.0
FOOTER_DEPTH = 4  # lines above a page number that can belong to its footer
ONE_LINE_UNIT_LIMIT = 8  # a unit column that fits a whole name: names wrap past this many
HEADER_DEPTH = 2  # lines after a page number that can be the next page's running head


def is_full(line: "TextLine", width: float) -> bool:
    """A wrapped line fills its column, give or take a cell (less in a narrow column). A line the
    typesetter spread to the column's width (justified) was wrapped, however short it reads."""
    return line.justified or line.width >= width - min(FULL_SLACK, 0.2 * width)


class _kept:
    """A property computed on first use and kept in the instance, like functools.cached_property
    without the lock that makes each first use of it cost several times the computation (the
    rebuild makes thousands of lines and reads each property once per line)."""

    def __init__(self, compute: Callable[[Any], Any]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.compute(obj)
        return value


@dataclass
class TextLine:
    text: str
    lineno: int
    page: int | None
    page_start: bool = False
    forced_break: bool = False  # a merged-line piece: the next piece opens the next column
    merged: bool = False  # a piece of a line that merged several column lines
    raw: str = ""  # the source line as printed, for a merged line's report
    cuts: tuple[int, ...] = ()  # wide gaps in the text, where a merged line may be cut
    justified: bool = False  # spread to its column's width: a wrapped line

    # Read a million times by the decoder; a line's text never changes once it is made.
    @_kept
    def width(self) -> float:
        return display_width(self.text)

    @_kept
    def label(self) -> int | None:
        m = LABEL.match(self.text)
        return int(normalize_key(m.group(1))) if m else None

    @_kept
    def is_page_number(self) -> bool:
        return bool(PAGE_NUMBER.match(normalize_key(self.text)))

    @_kept
    def terminal(self) -> bool:
        return self.text.endswith(TERMINAL)


@dataclass
class Segment:
    """The lines of one row on one page."""

    unit_lines: list[TextLine]
    lines: list[TextLine]
    new_row: bool
    page: int = 0
    # The decoder cuts the same segment again and again (each candidate width assignment, each
    # page length, each reading kept in the beam), mostly with the same column widths and column
    # states: what it computed is kept here, keyed by everything it depends on. The segment's lines
    # never change once the body is cut into segments, and a segment lives for one rebuild only.
    features: dict[float, "_LineFeatures"] = field(default_factory=dict, repr=False, compare=False)
    blocks: dict[tuple, list] = field(default_factory=dict, repr=False, compare=False)
    layers: dict[tuple, dict] = field(default_factory=dict, repr=False, compare=False)
    options: dict[tuple, list[tuple[float, list[list[TextLine]]]]] = field(default_factory=dict, repr=False,
                                                                           compare=False)

    @cached_property
    def first_layer(self) -> "_Layer":
        """Where a cut starts: no column yet, nothing but the segment's start reached."""
        n = len(self.lines)
        return [0.0] + [INF] * n, [-1] * (n + 1), [0]


@dataclass
class ColumnState:
    lines: list[TextLine] = field(default_factory=list)
    open: bool = False  # the last paragraph was cut by the page break
    last_label: int | None = None
    reached_bottom: bool = False  # filled its row to the foot of the last page: it may go on


def is_unit_piece(line: TextLine, limit: int = 1) -> bool:
    """A line that can be a piece of a unit name read down its column: Chinese characters only,
    no wider than the unit column. A piece followed by the next column on the same line (split
    from a merged line) is one too."""
    return bool(CJK_RUN.fullmatch(line.text)) and len(line.text) <= limit


def is_unit_char(line: TextLine) -> bool:
    return is_unit_piece(line, 1)


def _fits_unit_column(pieces: list[str]) -> bool:
    """A name wrapped in its column: every line but the last fills the column, the last no more."""
    return all(len(p) == len(pieces[0]) for p in pieces[:-1]) and len(pieces[-1]) <= len(pieces[0])


# --------------------------------------------------------------------------- furniture and header

def _prepare(lines: list[Line]) -> list[TextLine]:
    out: list[TextLine] = []
    page_break = True
    page = lines[0].page if lines else None
    for ln in lines:
        if not ln.text.strip():
            continue
        # A page opens after a form feed (the line carries its page), or with the extractor's leading space.
        turned = ln.page is not None and ln.page != page
        page = ln.page
        starts = page_break or turned or ln.text[:1] in (" ", "\u3000", "\f")
        page_break = False
        out.append(TextLine(ln.text.strip(), ln.lineno, ln.page, starts))
    return out


def _is_page_number(line: TextLine) -> bool:
    return line.is_page_number


def _remove_footers(lines: list[TextLine], widest: float,
                    header: str = "") -> tuple[list[TextLine], list[QualityIssue]]:
    """Drop page-number lines and the footer lines just above them; the next line opens a page.

    A footer line is wider than any column, has no Chinese text, or names an office above several
    page numbers; a running head repeats just after several page numbers, or names the issuing
    office just after one, unless it opens the column headings (`header`) that the table repeats
    on every page: those are removed whole, by `_remove_repeated_headers`.
    """
    above: dict[str, int] = {}
    below: dict[str, int] = {}
    for k, ln in enumerate(lines):
        if _is_page_number(ln):
            for prev in lines[max(0, k - FOOTER_DEPTH):k]:
                above[prev.text] = above.get(prev.text, 0) + 1
            for after in lines[k + 1:k + 1 + HEADER_DEPTH]:
                below[after.text] = below.get(after.text, 0) + 1

    def is_footer_line(ln: TextLine) -> bool:
        # Too wide for any column, yet not a merged line (those have spaces or item numbers).
        wide = (ln.width > widest + OVERFLOW and " " not in ln.text and not ln.cuts
                and not MERGED_LABEL.search(ln.text))
        # A narrow line above a page number is furniture when it names the issuing office (a
        # running head), or a unit above several; other text repeats there too: the last column of
        # the rows that end pages (做好总结、宣传等工作).
        office = bool(OFFICE_NAME.search(ln.text)) or (above.get(ln.text, 0) > 1 and is_unit_name(ln.text))
        return (wide or office or not re.search(r"[\u3400-\u9fff]", ln.text)) and not LABEL.match(ln.text)

    def is_header_line(ln: TextLine) -> bool:
        # A running head (an office name at the top of every page) opens the page after a page number.
        return ((below.get(ln.text, 0) > 1 or bool(ISSUER.fullmatch(ln.text))) and not LABEL.match(ln.text)
                and not (header and header.startswith(normalize_key(ln.text))))

    keep: list[TextLine] = []
    issues: list[QualityIssue] = []
    skip = 0
    for i, ln in enumerate(lines):
        if skip:
            skip -= 1
            continue
        if not _is_page_number(ln):
            keep.append(ln)
            continue
        heads = list(itertools.takewhile(is_header_line, lines[i + 1:i + 1 + HEADER_DEPTH]))
        skip = len(heads)
        # The footer block is the footer lines just above the page number: a line of table text
        # between them ends it (an item can sit between a running head and the page number).
        window = keep[-FOOTER_DEPTH:]
        start = len(window) - len(list(itertools.takewhile(is_footer_line, reversed(window))))
        block = window[start:] + [ln] + heads
        del keep[len(keep) - (len(window) - start):]
        issues.append(QualityIssue("footer_removed", "page footer removed from inside the table",
                                   block[0].lineno, block[-1].lineno, text=" | ".join(b.text for b in block)))
        if i + 1 + skip < len(lines):
            lines[i + 1 + skip].page_start = True
    return keep, issues


UNIT_LABEL = re.compile(r"[\u3400-\u9fff]{0,4}(单位|部门)")


def _header_tokens(text: str) -> list[str]:
    """The headings on one header line. The extractor spaces Latin text off Chinese (2024 年) and
    spreads a justified heading (重 点 任 务): neither space separates two headings."""
    out: list[str] = []
    single_before = False
    for token in text.split():
        glue = bool(out) and ((out[-1][-1:].isdigit() and not token[:1].isascii() and len(token) <= 2)
                              or (single_before and len(token) == 1 and not token.isascii()))
        single_before = len(token) == 1 and not token.isascii()
        if glue:
            out[-1] += token
        else:
            out.append(token)
    return out


def _starts_unit(lines: list[TextLine], i: int) -> bool:
    """Whether a unit name starts at line i: read down its column (perhaps cut by the page
    break), or whole on one line followed by the next column's first line."""
    tokens = lines[i].text.split()
    if not tokens or not CJK_RUN.fullmatch(tokens[0]) or not UNIT_START.match(tokens[0]):
        return False
    if len(tokens) > 1:
        return is_unit_name(tokens[0])
    return len(tokens[0]) <= ONE_LINE_UNIT_LIMIT


def _header_start(lines: list[TextLine]) -> int:
    """The first line of the column headings: after the 附件 heading and the title."""
    i = 0
    while i < len(lines) and re.fullmatch(r"附件\s*\d*", normalize_key(lines[i].text)):
        i += 1
    return i + 1  # the title


def _remove_repeated_headers(lines: list[TextLine], header: str) -> tuple[list[TextLine], list[QualityIssue]]:
    """Drop the column headings that a table repeats at the top of every page: the lines that
    read, together, exactly as the headings under the title did (with the running head above
    them, when a single page break left it unrecognised). Text copied without page furniture does
    not show where a page starts: the headings do, wherever they are.

    An office suite sets a repeated heading row no taller than its other headings: the unit
    column's heading, set one character a line, can lose its last characters there (牵头单 for
    牵头单位). Only that heading may be shorter; everything after it reads as under the title."""
    label = UNIT_LABEL.match(header)
    cut = label.end() if label else 0
    forms = [header] + [header[:k] + header[cut:] for k in range(cut - 1, 0, -1)]
    keep: list[TextLine] = []
    issues: list[QualityIssue] = []
    i = 0
    while i < len(lines):
        j = i
        if header:
            # A running head (the issuing office's name) can open the page above the headings.
            while lines[i].page_start and j < i + HEADER_DEPTH and j < len(lines) \
                    and OFFICE_NAME.search(lines[j].text) and not header.startswith(normalize_key(lines[j].text)):
                j += 1
        end = next((e for e in (_heading_end(lines, j, form) for form in forms) if e is not None), None) \
            if header else None
        if end is not None:
            issues.append(QualityIssue("footer_removed", "column headings repeated at the top of a page removed",
                                       lines[i].lineno, lines[end - 1].lineno,
                                       text=" | ".join(ln.text for ln in lines[i:end])))
            if end < len(lines):
                lines[end].page_start = True
            i = end
            continue
        keep.append(lines[i])
        i += 1
    return keep, issues


def _heading_end(lines: list[TextLine], start: int, heading: str) -> int | None:
    """Where the lines from `start` that read, together, exactly as `heading` end; None if they do not."""
    j, read = start, ""
    while j < len(lines) and len(read) < len(heading) and heading.startswith(read + normalize_key(lines[j].text)):
        read += normalize_key(lines[j].text)
        j += 1
    return j if j > start and read == heading else None


def _parse_header(lines: list[TextLine], source: str) -> tuple[list[str], int]:
    """Phases and the index of the first body line.

    After the 附件 heading and the title come the header cells, up to the first unit name: the
    unit column's heading (often set vertically, one character per line), then the phase
    headings; a heading over a last line of several headings spans them and is replaced by them.
    Cells at one height may share a line (单位 重点任务 年度推进举措).
    """
    first = i = _header_start(lines)
    while i < len(lines) and not _starts_unit(lines, i) and not LABEL.match(lines[i].text):
        i += 1
    groups = [_header_tokens(ln.text) for ln in lines[first:i]]
    flat = [t for g in groups for t in g]
    label = next((k for k in range(1, min(len(flat), 6) + 1) if UNIT_LABEL.fullmatch("".join(flat[:k]))), 0)
    for _ in range(label):  # the unit column's heading is no phase
        groups = [g for g in groups if g]
        groups[0] = groups[0][1:]
    groups = _join_wrapped_headings([g for g in groups if g])
    flat = [t for g in groups for t in g]
    dated = [bool(re.search(r"\d", t)) for t in flat]
    if len(flat) >= 3 and not dated[1] and all(dated[2:]):
        # Phases of a yearly plan carry their years: an undated heading before them spans them.
        phases = flat[:1] + flat[2:]
    else:
        if len(groups) >= 2 and len(groups[-1]) >= 2 and (len(groups) >= 3 or len(groups[-2]) >= 2):
            groups[-2] = groups[-2][:-1]  # the spanning heading
        phases = [t for g in groups for t in g]
    if len(phases) < 2 or i >= len(lines):
        line = lines[min(i, len(lines) - 1)].lineno if lines else 0
        raise SourceError(source, f"annex table header not recognised near line {line}")
    return phases, i


RANGE_JOINER = "—–-－~～至到"


def _join_wrapped_headings(groups: list[list[str]]) -> list[list[str]]:
    """A heading wrapped in its narrow cell (2025— | 2029) is one heading: a range is not cut."""
    out: list[list[str]] = []
    for group in groups:
        group = list(group)
        if out and (out[-1][-1][-1] in RANGE_JOINER or group[0][0] in RANGE_JOINER):
            out[-1][-1] += group.pop(0)
        if group:
            out.append(group)
    return out


# --------------------------------------------------------------------------- merged lines

QUOTES = "“”‘’"
JUSTIFIED_GAPS = 2  # spread characters that make a line justified


def _is_single(token: str | None) -> bool:
    return token is not None and len(token) == 1 and not token.isascii()


def _line_pieces(text: str) -> list[tuple[str, tuple[int, ...], bool]]:
    """The column lines a text line holds, each as printed without its justification spaces,
    with the places where it may hold more (offsets into the piece).

    Extractors put a space where the gap between two glyphs is wide. Four gaps are wide:
    - the gap before an item number: it opens a column line, the line is cut there;
    - the space set between Latin and Chinese text (2023 年, 12355 青少年): kept, as printed;
    - justification, which spreads a full line (打拐 工 作 机 制 ， 建): dropped;
    - the gap between two columns whose lines sit at one height, merged into one line. A wide
      gap between two words can be either this or justification: it is kept as a place where the
      line may be cut, which a line too wide for any column is (see `_split_merged`).
    """
    tokens = text.split()
    if len(tokens) == 1:
        return [(tokens[0], (), False)]  # no gap at all: most lines
    pieces: list[tuple[str, tuple[int, ...], bool]] = []
    current, cuts, spread = "", [], 0
    for k, token in enumerate(tokens):
        if not current:
            current = token
            continue
        prev = tokens[k - 1]
        if LABEL.match(token) and not LABEL.fullmatch(prev):
            gap = "cut"  # an item number opens a column line
        elif prev[-1:].isascii() and prev[-1:].isalnum() or token[:1].isascii() and token[:1].isalnum():
            gap = "keep"
        elif LABEL.fullmatch(prev) or prev[-1] in QUOTES or token[0] in QUOTES or token[0] in NO_LINE_START:
            gap = "glue"  # 2. 认 真 开 展; curly quotes are set in a Latin font, spaced off their text
        elif _is_single(token) or (_is_single(prev) and k > 1):
            gap = "glue"  # a spread character; a line opening with one is a unit column's piece (市 强化…)
            spread += 1
        else:
            gap = "maybe"
        if gap == "cut":
            pieces.append((current, tuple(cuts), spread >= JUSTIFIED_GAPS))
            current, cuts, spread = token, [], 0
            continue
        if gap == "maybe":
            cuts.append(len(current))
        current += (" " if gap == "keep" else "") + token
    if current:
        pieces.append((current, tuple(cuts), spread >= JUSTIFIED_GAPS))
    return pieces


def _split_merged(line: TextLine, widest: float, cut_gaps: bool = False) -> list[str]:
    """Cut a line too wide for any column (or any line, with `cut_gaps`) into the column lines it
    merged: at its wide gaps, its spaces and its item numbers, then at the column width."""
    parts = [(line.text, line.cuts, line.justified)] if line.raw else _line_pieces(line.text)
    pieces: list[str] = []
    for text, cuts, _ in parts:
        if display_width(text) <= widest + OVERFLOW and not (cut_gaps and cuts):
            pieces.append(text)
            continue
        bounds = [0, *cuts, len(text)]
        for a, b in zip(bounds, bounds[1:]):
            for token in text[a:b].split():
                # An item number glued to the previous column's text starts a new piece.
                for part in MERGED_LABEL.split(token):
                    while display_width(part) > widest + OVERFLOW:
                        cut = _cut_at_width(part, widest)
                        pieces.append(part[:cut])
                        part = part[cut:]
                    if part:
                        pieces.append(part)
    return pieces


def _cut_at_width(text: str, width: float) -> int:
    """Where a full line of `width` ends: closing punctuation hangs on the line it closes."""
    total = 0.0
    for k, ch in enumerate(text):
        total += display_width(ch)
        if total > width and ch not in NO_LINE_START:
            return max(k, 1)
    return len(text)


def _compact(lines: list[TextLine]) -> list[TextLine]:
    """Lines without their justification spaces; a line that merged column lines is cut into
    them, the next piece opening the next column."""
    out: list[TextLine] = []
    for ln in lines:
        pieces = [(ln.text, (), False)] if _is_page_number(ln) else _line_pieces(ln.text)
        for k, (piece, cuts, justified) in enumerate(pieces):
            out.append(TextLine(piece, ln.lineno, ln.page, ln.page_start and k == 0, forced_break=k < len(pieces) - 1,
                                merged=len(pieces) > 1, raw=ln.text, cuts=cuts, justified=justified))
    return out


def _expand_merged(lines: list[TextLine], widest: float,
                   cut_gaps: bool = False) -> tuple[list[TextLine], list[QualityIssue]]:
    """Lines too wide for any column are cut into the column lines they merged; with `cut_gaps`,
    every line is cut at its wide gaps."""
    out: list[TextLine] = []
    issues: list[QualityIssue] = []
    for ln in lines:
        if ln.width <= widest + OVERFLOW and not (cut_gaps and ln.cuts):
            out.append(ln)
            continue
        pieces = _split_merged(ln, widest, cut_gaps)
        for k, piece in enumerate(pieces):
            out.append(TextLine(piece, ln.lineno, ln.page, ln.page_start and k == 0,
                                forced_break=ln.forced_break or k < len(pieces) - 1, merged=True, raw=ln.raw))
    # Every source line that held several column lines is reported once, as printed.
    for lineno, group in itertools.groupby(out, key=lambda ln: ln.lineno):
        group = list(group)
        if len(group) > 1 and all(g.merged for g in group):
            issues.append(QualityIssue("merged_line_split", f"line held {len(group)} column lines; split",
                                       lineno, lineno, text=group[0].raw))
    return out, issues


# --------------------------------------------------------------------------- pages, rows, units

def _pages(lines: list[TextLine]) -> list[list[TextLine]]:
    pages: list[list[TextLine]] = []
    for ln in lines:
        if ln.page_start or not pages:
            pages.append([])
        pages[-1].append(ln)
    return pages


def _segments(lines: list[TextLine], unit_limit: int = 1) -> list[Segment]:
    """Cut the body into row segments: a new row starts where a unit name is read down the page.

    The unit column holds `unit_limit` characters a line: a name comes a piece a line."""
    segments: list[Segment] = []
    row_unit, unit_done = "", True
    for page_no, page in enumerate(_pages(lines)):
        current: Segment | None = None

        def content(chunk: list[TextLine]) -> None:
            nonlocal current
            if current is None:  # the page opens with the previous row's continuation
                current = Segment([], [], new_row=False, page=page_no)
                segments.append(current)
            current.lines.extend(chunk)

        i = 0
        while i < len(page):
            if not is_unit_piece(page[i], unit_limit):
                content(page[i:i + 1])
                i += 1
                continue
            j = i
            while j < len(page) and is_unit_piece(page[j], unit_limit):
                j += 1
                if page[j - 1].forced_break:
                    break  # the next piece opens the next column
            run = [ln.text for ln in page[i:j]]
            # A name that reads complete can still go on over the page (市司 | 法局): the page opens
            # with its tail when the run cannot start a name and the two together make one.
            extends = (current is None and unit_done and bool(row_unit) and _unit_start(run) != 0
                       and any(is_unit_name(row_unit + "".join(run[:t])) for t in range(1, len(run) + 1)))
            if current is None and (not unit_done or extends):
                # The unit name was cut by the page break: its tail opens this page.
                complete = [t for t in range(1, len(run) + 1) if is_unit_name(row_unit + "".join(run[:t]))]
                # Where the rest of the run holds the next unit's whole name, the name ends early.
                early = [t for t in complete if t < len(run) and _unit_start(run[t:]) is not None
                         and any(is_unit_name("".join(run[m:])) for m in range(t, len(run)))]
                take = early[0] if early else (complete[-1] if complete else len(run))
                current = Segment(page[i:i + take], [], new_row=False, page=page_no)
                segments.append(current)
                row_unit += "".join(run[:take])
                unit_done = is_unit_name(row_unit)
                i += take
                continue
            elif (start := _unit_start(run)) is not None:
                if start:
                    content(page[i:i + start])
                current = Segment(page[i + start:j], [], new_row=True, page=page_no)
                segments.append(current)
                row_unit = "".join(run[start:])
                unit_done = is_unit_name(row_unit)
            else:
                content(page[i:j])
            i = j
    return segments


def _unit_start(run: list[str]) -> int | None:
    """Where a unit name starts in a run of unit-column pieces (one per line).

    The longest suffix that is a whole unit name wins (a column's last line can be short, just
    before the next unit); failing that, a suffix that starts like a unit name is a name cut by
    the page break. A name wrapped over lines fills every line but its last.
    """
    whole = [k for k in range(len(run)) if is_unit_name("".join(run[k:])) and _fits_unit_column(run[k:])]
    if whole:
        return whole[0]
    starts = [k for k in range(len(run)) if UNIT_START.search(run[k]) and _fits_unit_column(run[k:])]
    return starts[0] if starts else None


def _unit_limit(body: list[TextLine]) -> int:
    """Characters per line of the unit column, from the first unit name (the body opens with it).
    A name on one line says only that the column is at least that wide."""
    pieces: list[str] = []
    for ln in body[:16]:
        if not CJK_RUN.fullmatch(ln.text):
            break
        pieces.append(ln.text)
        if is_unit_name("".join(pieces)) or ln.forced_break:
            break
    if len(pieces) > 1:
        return len(pieces[0])
    return max(len(pieces[0]), ONE_LINE_UNIT_LIMIT) if pieces else 1


# --------------------------------------------------------------------------- cutting a segment into columns

@dataclass(frozen=True)
class _LineFeatures:
    """What the cost of a block asks of each line of a segment in a column of one width, worked
    out once per segment and width instead of once per block that holds the line."""

    labels: list[int | None]
    terminal: list[bool]
    full: list[bool]  # fills the column (see `is_full`)
    ends_open: list[bool]  # fills the column mid-sentence (see `_ends_open`)
    too_wide: list[bool]  # wider than the column can hold
    hangs: list[bool]  # past the column's edge by more than punctuation
    forced_break: list[bool]
    # The first line from which one block can reach the segment's end: after the last line too
    # wide for the column, and after the last forced break before the end.
    tail_start: int

    @staticmethod
    def of(lines: list[TextLine], width: float) -> "_LineFeatures":
        full = [is_full(ln, width) for ln in lines]
        terminal = [ln.terminal for ln in lines]
        too_wide = [ln.width > width + OVERFLOW for ln in lines]
        forced = [ln.forced_break for ln in lines]
        n = len(lines)
        tail_start = max((k + 1 for k in range(n) if too_wide[k] or (forced[k] and k + 1 < n)), default=0)
        return _LineFeatures([ln.label for ln in lines], terminal, full,
                             [f and not t for f, t in zip(full, terminal)], too_wide,
                             [ln.width > width + 0.5 and ln.text[-1] not in NO_LINE_START for ln in lines],
                             forced, tail_start)


def _block_costs(f: _LineFeatures, start: int, state: ColumnState) -> tuple[tuple[int, float, float], ...]:
    """(end, cost, flush cost) for every block lines[start:end] read as the next lines of one column.

    Stops at the first end that cannot be part of the column. The cost says how unusual the
    reading is: short lines inside a paragraph, numbers that skip, cut paragraphs. The last is
    what it costs more when the block ends at the column's edge without a full stop (zero when it
    does not) and yet not at the page's foot (see `_cut_layer`).
    """
    out: list[tuple[int, float, float]] = []
    labels, terminal = f.labels, f.terminal
    if state.open and labels[start] is not None:
        return ()  # a cut paragraph continues with text, not with a new item
    if state.lines and not state.reached_bottom:
        return ()  # the cell ended above the foot of the previous page
    cost = 0.0
    if not state.open and state.lines and labels[start] is None:
        # A new paragraph in a cell that already has text: as unusual as inside a block.
        if state.last_label is not None:
            return ()  # a cell numbers all its paragraphs or none (see `_check_cells`)
        cost += 0.3 if state.lines[-1].terminal else 2.0
    last_label = state.last_label
    unnumbered_before = bool(state.lines) and state.last_label is None
    for k in range(start, len(labels)):
        label = labels[k]
        if f.too_wide[k]:
            break
        if f.hangs[k]:
            cost += 1.0  # only punctuation hangs past the column's edge
        if k > start:
            if label is None and not f.full[k - 1]:
                if terminal[k - 1] and last_label is not None:
                    break  # an unnumbered paragraph after numbered items
                cost += 0.3 if terminal[k - 1] else 2.0  # a short line ends its paragraph
            elif label is None and terminal[k - 1]:
                cost += 0.5  # a sentence that ends flush with the column and goes on: possible, rare
            elif label is not None and f.ends_open[k - 1]:
                cost += 1.0  # an item that stops mid-sentence at a full line
        if label is not None:
            if last_label is not None and label <= last_label:
                break
            if unnumbered_before:
                break  # numbered items after an unnumbered paragraph
            expected = 1 if last_label is None else last_label + 1
            if label != expected:
                if last_label is None:
                    break  # a cell numbers its items from 1
                cost += 0.5
            last_label = label
        elif k == start or labels[k - 1] is not None or last_label is None:
            unnumbered_before = unnumbered_before or last_label is None
        # A cut paragraph is what a page break does, not the usual end of a block.
        # Above the page's foot, a block that fills its last line was not cut: its paragraph ends
        # flush with the column without a full stop. A set phrase does (做好总结、宣传等工作), an
        # item rarely.
        flush = (FLUSH_ITEM_COST if last_label is not None else FLUSH_END_COST) if f.ends_open[k] else 0.0
        out.append((k + 1, cost + (0.25 if f.ends_open[k] else 0.0), flush))
        if f.forced_break[k]:
            break  # the next piece of a merged line belongs to the next column
    return tuple(out)


def _ends_open(line: TextLine, width: float) -> bool:
    return not line.terminal and is_full(line, width)


StateKey = tuple[bool, bool, bool, "int | None", bool]


def _state_key(state: ColumnState) -> StateKey:
    """What of a column's state a cut depends on (see `_block_costs` and `_cut_segment`)."""
    return (state.open, bool(state.lines), state.reached_bottom, state.last_label,
            bool(state.lines) and state.lines[-1].terminal)


def _block_table(segment: Segment, width: float, key: StateKey) -> list[tuple[tuple[int, float, float], ...] | None]:
    """The blocks of a column of this width and state from each line of the segment, filled in
    as the cut asks for them (see `_block_costs`)."""
    table = segment.blocks.get((width, key))
    if table is None:
        table = segment.blocks[(width, key)] = [None] * len(segment.lines)
    return table


def _features(segment: Segment, width: float) -> _LineFeatures:
    found = segment.features.get(width)
    if found is None:
        found = segment.features[width] = _LineFeatures.of(segment.lines, width)
    return found


def _cut_segment(segment: Segment, widths: list[float], states: list[ColumnState], keys: tuple[StateKey, ...],
                 final: bool, height: int | None = None) -> tuple[float, list[list[TextLine]]]:
    """Best cut of a segment into one block per column (`keys`: the states' `_state_key`).

    With `height` (a segment that the page break cuts), no block is taller than the page allows
    and every block that ends mid-paragraph fills the page: the break cut all columns at once.
    """
    lines = segment.lines
    n, k_cols = len(lines), len(widths)
    if height is not None and height * k_cols < n:
        return INF, []  # one block a column, none taller than the page: too few lines for the segment
    # Row c of the table depends on the first c columns' widths and states only: readings that
    # share those (one width changed in the last column, the same row on another page length)
    # share the rows, computed once per segment and kept in a tree, one level per column.
    node = segment.layers.get((final, height, k_cols))
    if node is None:
        node = segment.layers[(final, height, k_cols)] = {}
    layer = segment.first_layer
    layers = [layer]
    for c in range(k_cols):
        entry = node.get((widths[c], keys[c]))
        if entry is None:
            entry = node[(widths[c], keys[c])] = (
                _cut_layer(segment, layer, widths[c], states[c], keys[c],
                           _empty_cost(segment, states[c], final, k_cols - c), height, c + 1 == k_cols), {})
        layer, node = entry
        if not layer[2]:
            return INF, []  # no block of this column ends anywhere: no cut
        layers.append(layer)
    if layer[0][n] == INF:
        return INF, []
    blocks: list[list[TextLine]] = []
    j = n
    for c in range(k_cols, 0, -1):
        i = layers[c][1][j]
        blocks.append(lines[i:j])
        j = i
    return layer[0][n], blocks[::-1]


# One column step of a cut: the least cost of ending the column's block after each line, where
# that block starts, and the lines after which it can end at all (in order).
_Layer = tuple[list[float], list[int], list[int]]


def _empty_cost(segment: Segment, state: ColumnState, final: bool, columns_left: int) -> float:
    # Cells are set from the top of their row: a cell empty on the row's first page is empty.
    cost = INF if state.open else (3.0 if (final or segment.new_row) and not state.lines else 0.0)
    # Lines that two columns could both take go to the earlier one: text is emitted column by column.
    return cost + TIE_BREAK * columns_left


def _cut_layer(segment: Segment, before: _Layer, width: float, state: ColumnState, state_key: StateKey,
               empty_cost: float, height: int | None, last: bool) -> _Layer:
    """One step of the cut: the least cost of ending the next column's block after each line,
    from the least costs of ending the columns before it (`before`), and where that block starts.
    The last column's block must end the segment: only that end is worked out. Only the lines
    after which the columns before can end are visited (few of them)."""
    lines = segment.lines
    n = len(lines)
    best = [INF] * (n + 1)
    back = [-1] * (n + 1)
    table = _block_table(segment, width, state_key)
    features = _features(segment, width) if last else None
    # The last column's one block must reach the end: it cannot start before `tail_start`.
    tail_start = features.tail_start if features is not None else 0
    costs = before[0]
    reached: list[int] = []
    starts = before[2]
    # The relaxation (a cheaper way to reach line j: keep it, note j reached) is written out in
    # each of the three places below rather than called: this is the rebuild's innermost loop.
    for i in starts[bisect_left(starts, tail_start):] if tail_start else starts:
        base = costs[i]
        # An empty block: the column has nothing on this page. Not after a forced break.
        if (not last or i == n) and not (i > 0 and lines[i - 1].forced_break):
            total = base + empty_cost
            if total < best[i]:
                if back[i] < 0:
                    reached.append(i)
                best[i] = total
                back[i] = i
        if i == n:
            continue
        blocks = table[i]
        if blocks is None:
            features = features or _features(segment, width)
            blocks = table[i] = _block_costs(features, i, state)
        if last:  # blocks come by their end: only the last can end the segment
            if not blocks or blocks[-1][0] != n:
                continue
            blocks = blocks[-1:]
        if height is None:
            for j, cost, _ in blocks:
                total = base + cost
                if total < best[j]:
                    if back[j] < 0:
                        reached.append(j)
                    best[j] = total
                    back[j] = i
            continue
        # No block taller than the page; one cut mid-paragraph ends at the page's foot.
        foot = i + height
        for j, cost, flush in blocks:
            if j > foot:
                break
            total = base + cost + (flush if j != foot else 0.0)
            if total < best[j]:
                if back[j] < 0:
                    reached.append(j)
                best[j] = total
                back[j] = i
    reached.sort()
    return best, back, reached


def _cut_options(segment: Segment, widths: list[float], states: list[ColumnState],
                 final: bool, height: int | None = None) -> list[tuple[float, list[list[TextLine]]]]:
    """Plausible cuts of a segment. When the row goes on over the page break, the page height is
    unknown unless given: every height near a block height of the free cut is tried.

    The options depend on the widths, the columns' states (as `_state_key` tells them) and the
    height only, so each is worked out once per segment (callers only read them)."""
    keys = tuple(_state_key(st) for st in states)
    found = segment.options.get((tuple(widths), keys, final, height))
    if found is None:
        found = segment.options[(tuple(widths), keys, final, height)] = _find_options(segment, widths, states, keys,
                                                                                      final, height)
    return found


def _find_options(segment: Segment, widths: list[float], states: list[ColumnState], keys: tuple[StateKey, ...],
                  final: bool, height: int | None) -> list[tuple[float, list[list[TextLine]]]]:
    if height is not None and not final and height > 0:
        forced = _cut_segment(segment, widths, states, keys, final, height)
        if forced[0] < INF:
            return _page_ending_sooner([forced])
    cost, blocks = _cut_segment(segment, widths, states, keys, final)
    if cost == INF:
        # A page height only takes blocks away from the free cut (none taller than the page, one
        # cut mid-paragraph only at its foot): where the free cut finds no reading, no height does.
        return []
    if final:
        return [(cost, blocks)]
    lengths = {len(b) for b in blocks} | {len(segment.unit_lines)}
    heights = sorted({h + d for h in lengths for d in (-1, 0, 1) if h + d > 0})
    options = [(cost, blocks)]
    for h in heights:
        option = _cut_segment(segment, widths, states, keys, final, h)
        if option[0] < INF and all(option[1] != o[1] for o in options):
            options.append(option)
    return _page_ending_sooner(options)


def _page_ending_sooner(options: list[tuple[float, list[list[TextLine]]]]) -> list[tuple[float, list[list[TextLine]]]]:
    """Between equally good readings, the one that ends the page sooner wins: moving a column's
    first lines into the cut column before it is the typical misreading."""
    return [(c + PAGE_HEIGHT_COST * max(len(b) for b in blocks), blocks) for c, blocks in options]


def _next_state(state: ColumnState, block: list[TextLine], width: float, tallest: int,
                final: bool = False) -> ColumnState:
    """The column's state once `block` (perhaps empty) is added; `tallest`: the segment's height;
    `final`: the segment ends its row.

    States are never changed once made: a reading kept in the beam shares the states of the
    columns that the last segment left as they were, and the lines of the ones it did not."""
    if not block:
        if not state.reached_bottom:
            return state
        return ColumnState(state.lines, state.open, state.last_label, False)
    labels = [ln.label for ln in block if ln.label is not None]
    reached_bottom = len(block) == tallest
    # Where the row goes on, only a block that reaches the page's foot can have been cut by the
    # break. Where it ends, a cell that fills its last line without a full stop may be cut off
    # (the copy may stop mid-row): `_check_complete` asks.
    return ColumnState(state.lines + block, (reached_bottom or final) and _ends_open(block[-1], width),
                       labels[-1] if labels else state.last_label, reached_bottom)


@dataclass
class _Row:
    unit_lines: list[TextLine]
    columns: list[ColumnState]


BEAM = 6


def _decode(segments: list[Segment], widths: list[float],
            forced: dict[int, int] | None = None) -> tuple[float, list[_Row], list[int]]:
    """Read every row, segment by segment, keeping the few best readings of each row so far: a
    cut that looks fine on one page can be refuted by what the next page continues.

    Returns the cost, the rows, and the height each segment takes on its page. `forced` fixes the
    height of some segments cut by a page break (see `_page_heights`).
    """
    forced = forced or {}
    rows: list[_Row] = []
    heights: list[int] = []
    total = 0.0
    start = 0
    while start < len(segments):
        end = start + 1
        while end < len(segments) and not segments[end].new_row:
            end += 1
        beams: list[tuple[float, list[ColumnState], list[int]]] = [(0.0, [ColumnState() for _ in widths], [])]
        for s in range(start, end):
            final = s + 1 == end
            grown: list[tuple[float, list[ColumnState], list[int]]] = []
            for cost, states, seg_heights in beams:
                for option_cost, blocks in _cut_options(segments[s], widths, states, final, forced.get(s)):
                    tallest = max([len(b) for b in blocks] + [len(segments[s].unit_lines)])
                    new_states = [_next_state(state, block, width, tallest, final)
                                  for state, block, width in zip(states, blocks, widths)]
                    extra = sum(1.0 for st in new_states if st.open) if final else 0.0
                    grown.append((cost + option_cost + extra, new_states, seg_heights + [tallest]))
            if not grown:
                return INF, rows, heights
            grown.sort(key=lambda g: g[0])
            beams = grown[:BEAM]
        cost, states, seg_heights = beams[0]
        total += cost
        heights += seg_heights
        rows.append(_Row([ln for seg in segments[start:end] for ln in seg.unit_lines], states))
        start = end
    return total, rows, heights


def _full_pages(segments: list[Segment]) -> list[list[int]]:
    """The segments (by index) on each page between the first and the last: the pages filled to
    their length."""
    pages: dict[int, list[int]] = {}
    for k, seg in enumerate(segments):
        pages.setdefault(seg.page, []).append(k)
    return [pages[p] for p in sorted(pages)[1:-1]]


def _page_totals(segments: list[Segment], heights: list[int]) -> list[int]:
    """Lines on each full page, as a reading lays them out."""
    return [sum(heights[k] for k in page) for page in _full_pages(segments)]


def _page_mismatch(totals: list[int]) -> float:
    """Every full page holds the same number of lines: a reading whose pages disagree is less
    likely, by a little for each page off the most common length."""
    return PAGE_MISMATCH_COST * (len(totals) - max(map(totals.count, totals))) if totals else 0.0


def _likely_lengths(totals: list[int]) -> list[int]:
    repeated = sorted({t for t in totals if totals.count(t) > 1})
    return repeated or sorted(set(totals))


def _page_heights(segments: list[Segment], heights: list[int], length: int) -> dict[int, int]:
    """Heights that a page length implies for the segments cut by a page break: the segment a
    page break cuts takes what the other segments on its page leave."""
    forced = {}
    for page in _full_pages(segments):
        last = page[-1]
        if last + 1 < len(segments) and not segments[last + 1].new_row:  # the row goes on over the break
            forced[last] = length - sum(heights[k] for k in page[:-1])
    return forced


def _width_histogram(lines: list[TextLine], unit_limit: int = 1) -> dict[float, int]:
    counts: dict[float, int] = {}
    for ln in lines:
        # A merged line (spaces, or an item number inside) measures no single column, nor does a
        # piece of a unit name.
        if (not ln.terminal and ln.width >= 2 and " " not in ln.text and not ln.cuts and not MERGED_LABEL.search(ln.text)
                and not is_unit_piece(ln, unit_limit)):
            counts[ln.width] = counts.get(ln.width, 0) + 1
    return counts


def _width_candidates(lines: list[TextLine], unit_limit: int = 1, counts: dict[float, int] | None = None) -> list[float]:
    """Column widths suggested by the lines: the widths that wrapped lines pile up at (`counts`:
    their `_width_histogram`, when already made)."""
    counts = _width_histogram(lines, unit_limit) if counts is None else counts
    threshold = 1 if len(lines) < 100 else 2
    peaks = sorted(w for w, n in counts.items()
                   if n >= threshold and n >= counts.get(w - 0.5, 0) and n >= counts.get(w + 0.5, 0)
                   and n >= counts.get(w - 1, 0) and n >= counts.get(w + 1, 0))
    merged: list[float] = []
    for w in peaks:
        if merged and w - merged[-1] <= FULL_SLACK:
            merged[-1] = w
        else:
            merged.append(w)
    return merged


LOOSE_SHARE = 0.02
LOOSE_MAX = 6


def _loose_width_candidates(lines: list[TextLine], unit_limit: int,
                            counts: dict[float, int] | None = None) -> list[float]:
    """More column widths, for a table the first ones cannot read: a column one cell narrower
    than another hides in the other's lines that kinsoku left a cell short, so every width that
    a fair share of the lines reach is a candidate."""
    counts = _width_histogram(lines, unit_limit) if counts is None else counts
    floor = max(2, LOOSE_SHARE * sum(counts.values()))
    peaks = [w for w, n in counts.items()
             if n >= floor and n >= counts.get(w - 0.5, 0) and n >= counts.get(w + 0.5, 0)]
    return sorted(sorted(peaks, key=lambda w: -counts[w])[:LOOSE_MAX])


# --------------------------------------------------------------------------- measures

def _paragraphs(lines: list[TextLine], width: float) -> list[list[TextLine]]:
    paragraphs: list[list[TextLine]] = []
    for k, ln in enumerate(lines):
        prev = lines[k - 1] if k else None
        new = (ln.label is not None or prev is None
               or (prev.terminal and not is_full(prev, width)))
        if new:
            paragraphs.append([])
        paragraphs[-1].append(ln)
    return paragraphs


def _measures(rows: list[_Row], phases: list[str], widths: list[float]) -> tuple[list[AnnexMeasure], list[QualityIssue]]:
    measures: list[AnnexMeasure] = []
    issues: list[QualityIssue] = []
    for order, row in enumerate(rows, start=1):
        unit = "".join(ln.text for ln in row.unit_lines)
        for p, (phase, state, width) in enumerate(zip(phases, row.columns, widths), start=1):
            previous_label = None
            for seq, para in enumerate(_paragraphs(state.lines, width), start=1):
                m = LABEL.match(para[0].text)
                label = normalize_key(m.group(1)) if m else ""
                texts = [para[0].text[m.end():] if m else para[0].text] + [ln.text for ln in para[1:]]
                numbers = [ln.lineno for ln in para]
                pages = [ln.page for ln in para if ln.page is not None]
                measures.append(AnnexMeasure(unit, order, phase, p, seq, label, join_lines(texts),
                                             min(numbers), max(numbers),
                                             min(pages) if pages else None, max(pages) if pages else None))
                if label and previous_label is not None and int(label) != previous_label + 1:
                    issues.append(QualityIssue("numbering_gap", f"item {label} follows item {previous_label} as printed",
                                               min(numbers), max(numbers), unit, phase, para[0].text))
                previous_label = int(label) if label else previous_label
    return measures, issues


EXHAUSTIVE_LIMIT = 16


_Scored = tuple[float, list[float], list["_Row"]]


def _best_widths(segments: list[Segment], candidates: list[float], n_columns: int,
                 start: list[float] | None = None, seen: dict[tuple[float, ...], _Scored] | None = None) -> _Scored | None:
    """The assignment of candidate widths to columns that reads the table at least cost.

    Few combinations are tried exhaustively; many by coordinate descent from `start` (a reading
    already found), else from the widest reading. `seen` keeps the readings of the same segments
    already scored (a second search, on more candidates, meets many of the first one's again).
    """
    seen = {} if seen is None else seen

    def score(widths: tuple[float, ...]) -> tuple[float, list[float], list[_Row]]:
        if widths not in seen:
            seen[widths] = _score(widths)
        return seen[widths]

    def _score(widths: tuple[float, ...]) -> tuple[float, list[float], list[_Row]]:
        cost, rows, heights = _decode(segments, list(widths))
        if cost == INF:
            return cost, list(widths), rows
        totals = _page_totals(segments, heights)
        best = (cost + _page_mismatch(totals), rows)
        # The page length is unknown: each length a first reading shows on two pages or more (on
        # any page, when no two agree) is tried in turn.
        for length in _likely_lengths(totals):
            forced = _page_heights(segments, heights, length)
            if any(heights[k] != h for k, h in forced.items()):  # else it is the first reading again
                again, again_rows, again_heights = _decode(segments, list(widths), forced)
                if again == INF:  # this length leaves some page no reading
                    continue
                again += _page_mismatch(_page_totals(segments, again_heights))
                if again < best[0]:
                    best = (again, again_rows)
        return best[0], list(widths), best[1]

    if len(candidates) ** n_columns <= EXHAUSTIVE_LIMIT:
        scored = [score(w) for w in itertools.product(candidates, repeat=n_columns)]
    else:
        current = score(tuple(start) if start else tuple([max(candidates)] * n_columns))
        scored = [current]
        improved = True
        while improved:
            improved = False
            for c in reversed(range(n_columns)):
                for w in candidates:
                    trial = list(current[1])
                    trial[c] = w
                    result = score(tuple(trial))
                    scored.append(result)
                    if result[0] < current[0]:
                        current, improved = result, True
    finite = [s for s in scored if s[0] < INF]
    return min(finite, key=lambda s: s[0]) if finite else None


def rebuild_annex(lines: list[Line], source: str = "") -> AnnexTable:
    """The tidy unit x phase x measure table from the broken text of an annex."""
    with _no_cycle_collection():
        return _rebuild(lines, source)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The rebuild allocates a few hundred thousand small tuples and lists and no reference cycle:
    the cyclic garbage collector, which runs every few hundred allocations, would scan the
    decoder's tables over and over (a fifth of the rebuild's time) to free nothing. Reference
    counting frees everything the rebuild drops; the collector runs again once it returns."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _rebuild(lines: list[Line], source: str) -> AnnexTable:
    prepared = _prepare(lines)
    _refuse_row_order(prepared, source)
    phases, body_at = _parse_header(prepared, source)
    body = prepared[body_at:]
    if not body:
        raise SourceError(source, "annex table has a header but no rows")
    body = _compact(body)
    # Footer and running-head lines (around a page number) are wide, and merged lines measure no
    # single column: keep them out of the width estimate.
    near_footer = {k + d for k, ln in enumerate(body) if _is_page_number(ln)
                   for d in range(-FOOTER_DEPTH, HEADER_DEPTH + 1)}
    column_lines = [ln for k, ln in enumerate(body) if k not in near_footer and not ln.merged] or body
    unit_limit = _unit_limit(body)
    histogram = _width_histogram(column_lines, unit_limit)
    candidates = _width_candidates(column_lines, unit_limit, histogram) or [max(ln.width for ln in column_lines)]
    widest = max(candidates)
    header = normalize_key("".join(ln.text for ln in prepared[_header_start(prepared):body_at]))
    body, issues = _remove_footers(body, widest, header)
    body, repeated = _remove_repeated_headers(body, header)
    issues += repeated
    loose = _loose_width_candidates(column_lines, unit_limit, histogram)
    # A wide gap between two words is read as justification first; where no reading of the table
    # then exists, as the gap between two merged column lines.
    for cut_gaps in (False, True):
        expanded, merged = _expand_merged(body, widest, cut_gaps)
        if cut_gaps and not any(ln.cuts for ln in body):
            break
        segments = _segments(expanded, unit_limit)
        seen: dict[tuple[float, ...], _Scored] = {}
        best = _best_widths(segments, candidates, len(phases), seen=seen)
        if loose and loose != candidates:
            # The first candidates can read a table wrongly at a cost the right widths beat.
            other = _best_widths(segments, sorted(set(loose) | set(best[1] if best else [])), len(phases),
                                 start=best[1] if best else None, seen=seen)
            if other is not None and (best is None or other[0] < best[0] - TIE_BREAK):
                best = other
        if best is not None:
            break
    body = expanded
    issues += merged
    if best is None:
        where = segments[0].lines[0].lineno if segments and segments[0].lines else body[0].lineno
        raise SourceError(source, f"annex table from line {where} cannot be rebuilt into {len(phases)} columns")
    _, widths, rows = best
    for row in rows:
        unit = "".join(ln.text for ln in row.unit_lines)
        if not is_unit_name(unit):
            line = row.unit_lines[0].lineno if row.unit_lines else body[0].lineno
            raise SourceError(source, f"annex row at line {line}: {unit!r} does not read as a unit name")
    _check_complete(rows, phases, widths, source)
    _check_paragraph_ends(rows, phases, widths, source)
    _check_cell_ends(rows, phases, widths, source)
    measures, gaps = _measures(rows, phases, widths)
    _check_cells(measures, source)
    return AnnexTable(phases, measures, issues + gaps + _empty_cells(rows, phases))


def _check_complete(rows: list[_Row], phases: list[str], widths: list[float], source: str) -> None:
    """The table's last row may stop mid-cell (a copy that lost its end): a last cell that fills
    its last line without a full stop is refused, unless its last paragraph reads as a whole
    measure printed elsewhere in the table (a set phrase: 做好总结、宣传等工作)."""
    last = rows[-1]

    def key(paragraph: list[TextLine]) -> str:
        return normalize_key(join_lines([ln.text for ln in paragraph]))

    whole = {key(para) for row in rows for st, width in zip(row.columns, widths)
             for para in _paragraphs(st.lines, width)[:-1 if st.open else None]}
    cut = [phase for phase, st, width in zip(phases, last.columns, widths)
           if st.open and key(_paragraphs(st.lines, width)[-1]) not in whole]
    if cut:
        line = max(st.lines[-1].lineno for st in last.columns if st.lines)
        raise SourceError(source, f"annex table ends mid-row at line {line} (column {cut[0]} is cut off)")
    for p, phase in enumerate(phases):
        if not any(row.columns[p].lines for row in rows):
            raise SourceError(source, f"annex column {phase} has no text in any row: a column is missing")


ROW_ORDER_SHARE = 0.25


def _column_gaps(line: TextLine) -> int:
    pieces = _line_pieces(line.text)
    return len(pieces) - 1 + sum(len(cuts) for _, cuts, _ in pieces)


def _refuse_row_order(lines: list[TextLine], source: str) -> None:
    """Text copied line by line across the page (each line runs through every column, as a copy
    of the visible lines gives) is not the column-after-column text this rebuild inverts: where a
    column has no line at some height nothing marks it, so the cells cannot be told apart."""
    across = [ln for ln in lines if _column_gaps(ln) >= 2]
    if len(lines) >= 10 and len(across) > ROW_ORDER_SHARE * len(lines):
        raise SourceError(source, f"annex table from line {across[0].lineno} is copied row by row, each line "
                                  "across all columns: its cells cannot be told apart in text; put the PDF or DOCX "
                                  "in the raw folder, or copy the PDF's text keeping its layout "
                                  "(pdftotext -layout)")


def _check_cell_ends(rows: list[_Row], phases: list[str], widths: list[float], source: str) -> None:
    """Nothing marks an empty cell in text copied column after column, so the cut between its
    neighbours is not sure; nor is a cell whose numbered item stops mid-sentence at the column's
    edge (the rest went to another cell)."""
    for row in rows:
        unit = "".join(ln.text for ln in row.unit_lines)
        line = row.unit_lines[0].lineno if row.unit_lines else 0
        for phase, state, width in zip(phases, row.columns, widths):
            if not state.lines:
                raise SourceError(source, f"annex cell {unit} / {phase} at line {line} reads empty: where its "
                                          "neighbours are cut is not sure")
            if state.last_label is not None and _ends_open(state.lines[-1], width):
                raise SourceError(source, f"annex cell {unit} / {phase} at line {state.lines[-1].lineno} ends "
                                          "mid-sentence at the column's edge: where it is cut is not sure")


def _check_paragraph_ends(rows: list[_Row], phases: list[str], widths: list[float], source: str) -> None:
    """In a cell of unnumbered paragraphs, a sentence that ends at the column's edge may end its
    paragraph or go on with the next sentence: the text cannot tell, so the rebuild does not guess."""
    for row in rows:
        for phase, state, width in zip(phases, row.columns, widths):
            if any(ln.label is not None for ln in state.lines):
                continue  # a numbered cell opens every paragraph with its number
            for a, b in zip(state.lines, state.lines[1:]):
                if a.terminal and is_full(a, width):
                    unit = "".join(ln.text for ln in row.unit_lines)
                    raise SourceError(source, f"annex cell {unit} / {phase} at line {a.lineno}: a sentence ends at "
                                              "the column's edge; whether a new paragraph starts there is not sure")


def _check_cells(measures: list[AnnexMeasure], source: str) -> None:
    """A cell numbers its items from 1, or holds unnumbered paragraphs only. A rebuilt cell that
    does neither has text from the next or the previous cell: the column cut is not sure."""
    for _, group in itertools.groupby(measures, key=lambda m: (m.unit_order, m.phase_order)):
        cell = list(group)
        labels = [m.label for m in cell]
        where = f"annex cell {cell[0].unit} / {cell[0].phase} at line {cell[0].line_start}"
        if any(labels) and not all(labels):
            raise SourceError(source, f"{where} mixes numbered and unnumbered paragraphs: "
                                      "where its column ends is not sure")
        if labels[0] and int(labels[0]) != 1:
            raise SourceError(source, f"{where} starts at item {labels[0]}: where its column starts is not sure")


def _empty_cells(rows: list[_Row], phases: list[str]) -> list[QualityIssue]:
    issues = []
    for row in rows:
        unit = "".join(ln.text for ln in row.unit_lines)
        line = row.unit_lines[0].lineno if row.unit_lines else 0
        for phase, st in zip(phases, row.columns):
            if not st.lines:
                issues.append(QualityIssue("empty_cell", "cell has no text", line, line, unit, phase))
    return issues
