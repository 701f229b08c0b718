"""A small layout simulator: lays a tidy annex table out on pages and emits its text the way PDF
extraction does, so that property tests can check that `rebuild_annex` inverts it.

The model, read off the issued notice's annex:
- every cell's paragraphs are wrapped greedily to the column width (narrow characters count half a
  cell); each measure starts on a new line; the unit column is one character wide;
- rows are laid out on pages of a fixed number of lines; a row that does not fit is cut: every
  column puts its first lines on this page and the rest on the next;
- for each page, for each row segment on it, the extraction emits the unit column's lines, then the
  first phase column's, then the second's, and so on;
- the first line of a page carries a leading space; some pages end with a footer block (an issuer
  line, a short ASCII line, a page number), after which the next page's first line has none;
- a row segment one line tall at the foot of a page comes out as one merged line (its pieces
  joined by a space, or by nothing before an item number).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from hypothesis import strategies as st

from pipeline.records import Line
from pipeline.textnorm import display_width

Cell = list[tuple[str, str]]  # (label, text); label '' for an unnumbered paragraph


@dataclass
class TidyTable:
    phases: list[str]
    rows: list[tuple[str, list[Cell]]]  # (unit, one cell per phase)

    def measures(self) -> list[tuple[str, str, int, str, str]]:
        return [(unit, phase, seq, label, text)
                for unit, cells in self.rows
                for phase, cell in zip(self.phases, cells)
                for seq, (label, text) in enumerate(cell, start=1)]


@dataclass
class Layout:
    widths: list[float]  # one per phase column
    page_height: int
    first_page_room: int
    footer_every: int  # a footer block after every n-th page (0: never)
    merge_short_segments: bool
    blank_between: bool
    seed: int = 0


# Chinese typesetting never starts a line with closing punctuation: it hangs at the end of the line.
NO_LINE_START = set("，。、；：！？）》」』”")


def wrap(text: str, width: float) -> list[str]:
    lines, current, used = [], "", 0.0
    for ch in text:
        w = display_width(ch)
        if current and used + w > width and ch not in NO_LINE_START:
            lines.append(current)
            current, used = "", 0.0
        current += ch
        used += w
    if current:
        lines.append(current)
    return lines


def cell_lines(cell: Cell, width: float) -> list[str]:
    return [line for label, text in cell for line in wrap(f"{label}.{text}" if label else text, width)]


def header_lines(phases: list[str]) -> list[str]:
    return ["附件", "重点任务推进表", "单", "位", phases[0], "年度推进举措", " ".join(phases[1:])]


def _merge(pieces: list[str], rng: random.Random) -> str:
    """Lines at one height, as the extractor merges them: a space where the gap between columns is
    wide, none where an item number sits close to the previous column (as on the real page)."""
    out = pieces[0]
    for piece in pieces[1:]:
        out += (rng.choice([" ", ""]) if piece[:1].isdigit() else " ") + piece
    return out


def layout(table: TidyTable, spec: Layout) -> list[str]:
    rng = random.Random(spec.seed)
    # Page plan: for each page, the row segments on it, each a list of column line lists.
    pages: list[list[list[list[str]]]] = [[]]
    room = spec.first_page_room
    for unit, cells in table.rows:
        columns = [list(unit)] + [cell_lines(c, w) for c, w in zip(cells, spec.widths)]
        while any(columns):
            if room == 0:
                pages.append([])
                room = spec.page_height
            height = max(len(c) for c in columns)
            take = min(height, room)
            pages[-1].append([c[:take] for c in columns])
            columns = [c[take:] for c in columns]
            room -= take
    out: list[str] = []
    footer_before = False
    for number, page in enumerate(pages, start=1):
        page_lines: list[str] = []
        for k, segment in enumerate(page):
            last_on_page = k == len(page) - 1 and number < len(pages)
            height = max(len(c) for c in segment)
            if spec.merge_short_segments and last_on_page and height == 1 and sum(1 for c in segment if c) > 1:
                page_lines.append(_merge([c[0] for c in segment if c], rng))
                continue
            for column in segment:
                page_lines.extend(column)
        if number == 1:
            page_lines = header_lines(table.phases) + page_lines
        if page_lines and not footer_before:
            page_lines[0] = " " + page_lines[0]
        out.extend(page_lines)
        footer_before = bool(spec.footer_every) and number % spec.footer_every == 0 and number < len(pages)
        if footer_before:
            out.extend(["某某市人民政府办公室行政规范性文件", ".X", "某某市人民政府办公室发布", f"— {number} —"])
    if spec.blank_between:
        out = [x for line in out for x in (line, "")]
    return out


def as_lines(texts: list[str], first_lineno: int = 1) -> list[Line]:
    return [Line(t, first_lineno + k) for k, t in enumerate(texts)]


# --------------------------------------------------------------------------- random tables

WORDS = ("加强", "开展", "宣传", "教育", "救助", "安置", "妇女", "儿童", "打击", "犯罪", "机制", "工作", "服务",
         "管理", "排查", "培训", "预防", "康复", "线索", "通报", "部门", "协作", "落实", "保障", "社会", "网络",
         "平台", "信息", "流动", "留守", "关爱", "健全", "完善", "专项", "行动", "法治", "意识", "能力", "群众")
UNIT_MIDDLE = "公安民政人社卫健教体司法财政商务文旅"
UNIT_START = ("市", "县", "区")
UNIT_END = ("局", "委", "办", "联")


@st.composite
def sentences(draw, max_parts: int = 6) -> str:
    parts = draw(st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map("".join),
                          min_size=1, max_size=max_parts))
    seps = draw(st.lists(st.sampled_from("，、，；"), min_size=len(parts), max_size=len(parts)))
    return "".join(p + s for p, s in zip(parts, seps))[:-1] + "。"


@st.composite
def cells(draw) -> Cell:
    texts = draw(st.lists(sentences(), min_size=1, max_size=5))
    if len(texts) == 1 and draw(st.booleans()):
        return [("", texts[0])]
    return [(str(k), t) for k, t in enumerate(texts, start=1)]


@st.composite
def unit_names(draw) -> str:
    middle = draw(st.text(alphabet=UNIT_MIDDLE, min_size=1, max_size=4))
    return draw(st.sampled_from(UNIT_START)) + middle + draw(st.sampled_from(UNIT_END))


@st.composite
def tidy_tables(draw) -> TidyTable:
    phases = ["重点任务", "2022", "2023-2029", "2030"]
    units = draw(st.lists(unit_names(), min_size=1, max_size=6, unique=True))
    closing = draw(st.sampled_from(["做好总结、宣传等工作", "做好总结、评估、考核、宣传等工作", "持续推进"]))
    rows = []
    for unit in units:
        row_cells = [draw(cells()) for _ in phases[:-1]] + [[("", closing)]]
        rows.append((unit, row_cells))
    return TidyTable(phases, rows)


@st.composite
def layouts(draw) -> Layout:
    wide = draw(st.sampled_from([8.0, 9.0, 10.0, 11.0, 12.0]))
    widths = [wide, wide, wide, draw(st.sampled_from([3.0, 4.0]))]
    return Layout(widths=widths, page_height=draw(st.integers(18, 30)), first_page_room=draw(st.integers(8, 20)),
                  footer_every=draw(st.sampled_from([0, 2, 3])), merge_short_segments=draw(st.booleans()),
                  blank_between=draw(st.booleans()), seed=draw(st.integers(0, 1000)))
