"""Text copied from a PDF with its layout kept (pipeline/readers/layout_text.py).

The copies here are set by a small typesetter of the extractor's output (`typeset`): columns at
fixed character offsets, cells wrapped to their column's width, top-aligned rows cut by page
breaks, a header row repeated or not, a page number at each page's foot. Real copies of rendered
notices are in tests/fixtures/rendered (test_rendered.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.annex.cells import parse_cell_annex
from pipeline.errors import SourceError
from pipeline.readers.layout_text import (Headings, UnreadablePage, _without_page_numbers, _without_repeated_headings,
                                          is_layout_text, offset_map, page_columns, read_layout_text)
from pipeline.readers.pdf import PAGE_NUMBER
from pipeline.textnorm import normalize_key

PATH = Path("notice-layout.txt")
WORDS = ["加强", "宣传", "救助", "安置", "排查", "协作", "机制", "妇女", "儿童", "网络", "平台", "线索"]
Row = tuple[str, list[list[str]]]  # unit name, each column's paragraphs


def _width(text: str) -> float:
    return sum(0.25 if ch in ".," else 0.5 if ch.isascii() else 1.0 for ch in text)


def _wrap(paragraph: str, width: int) -> list[str]:
    """Greedy wrapping by width, a closing mark kept on the line it closes."""
    lines, line = [], ""
    for ch in paragraph:
        if line and _width(line + ch) > width and ch not in "，。；、":
            lines.append(line)
            line = ""
        line += ch
    return lines + [line]


def _line(pieces: list[tuple[int, str]]) -> str:
    out = ""
    for offset, text in pieces:
        out += " " * (offset - len(out)) + text
    return out.rstrip()


def typeset(header: list[str], rows: list[Row], widths: list[int], page_lines: int = 0,
            repeat_header: bool = False) -> str:
    """The copy a layout-keeping extractor gives of a notice's annex page(s)."""
    starts = [0]
    for w in widths[:-1]:
        starts.append(starts[-1] + w + 3)
    head = [_line(list(zip(starts, header)))]
    body: list[str] = []
    for unit, cells in rows:
        columns = [[unit[k:k + widths[0]] for k in range(0, len(unit), widths[0])]]
        columns += [[ln for p in paragraphs for ln in _wrap(p, w)] for paragraphs, w in zip(cells, widths[1:])]
        for k in range(max(map(len, columns))):
            body.append(_line([(s, c[k]) for s, c in zip(starts, columns) if k < len(c)]))
    intro = ["附件：重点任务推进表", "\f附件", "", " " * 10 + "重点任务推进表"]
    if not page_lines:
        return "\n".join(intro + head + body + ["", " " * 20 + "— 2 —"]) + "\n"
    pages = [body[k:k + page_lines] for k in range(0, len(body), page_lines)]
    out = intro + head
    for n, page in enumerate(pages):
        if n:
            out += ["\f"] + (head if repeat_header else [])
        out += page + ["", " " * 20 + f"— {n + 2} —"]
    return "\n".join(out).replace("\n\f\n", "\n\f") + "\n"


def measures(text: str) -> list[tuple[str, str, str, str]]:
    table = parse_cell_annex(read_layout_text(text, PATH), PATH.name)
    return [(m.unit, normalize_key(m.phase), m.label, normalize_key(m.text)) for m in table.measures]


def expected(header: list[str], rows: list[Row]) -> list[tuple[str, str, str, str]]:
    out = []
    for unit, cells in rows:
        for phase, paragraphs in zip(header[1:], cells):
            for p in paragraphs:
                label = p.split(".", 1)[0] if p[0].isdigit() else ""
                out.append((unit, normalize_key(phase), label, normalize_key(p.split(".", 1)[1] if label else p)))
    return out


HEADER = ["单位", "重点任务", "2022年", "2023—2025年"]
ROWS: list[Row] = [
    ("市公安局", [["1.加强宣传救助安置工作。", "2.排查线索。"], ["1.协作机制妇女儿童网络平台。"], ["持续推进"]]),
    ("市妇联", [["1.关爱妇女儿童，加强宣传。"], ["1.宣传。", "2.平台线索救助。"], ["持续推进"]]),
]


def test_a_layout_copy_is_told_from_other_text() -> None:
    assert is_layout_text(typeset(HEADER, ROWS, [2, 8, 7, 6]))
    content_order = "\n".join(["市公安局", "1.加强宣传救助", "安置工作。", "1.协作机制妇女", "持续推进"] * 3)
    assert not is_layout_text(content_order)
    assert not is_layout_text("一、工作目标\n  以习近平新时代中国特色社会主义思想为指导。\n")


def test_a_one_page_copy_is_read_exactly() -> None:
    assert measures(typeset(HEADER, ROWS, [2, 8, 7, 6])) == expected(HEADER, ROWS)


LONG: list[Row] = [
    ("市公安局", [["1.加强宣传救助安置工作，排查线索。", "2.协作机制。"], ["1.协作机制妇女儿童网络平台宣传。"],
              ["做好总结、评估、考核、宣传等工作"]]),
    ("市数据资源管理局", [["1.关爱妇女儿童，加强宣传网络平台。"], ["1.宣传。", "2.平台线索救助安置排查。"],
                   ["做好总结、评估、考核、宣传等工作"]]),
]


@pytest.mark.parametrize("repeat", [True, False])
def test_rows_and_unit_names_cut_by_page_breaks_are_read_exactly(repeat: bool) -> None:
    text = typeset(HEADER, LONG, [2, 8, 7, 6], page_lines=4, repeat_header=repeat)
    assert "据资" in text.split("\f")[2].splitlines()[int(repeat)]  # the second row and its unit name go on
    assert measures(text) == expected(HEADER, LONG)


TAIL: list[Row] = [("市公安局", [["1.加强宣传救助安置工作排查线索协作机制妇女儿童网络。"], ["1.协作机制妇女儿童网络平台宣传救助安置排查线索工作，加强协作机制妇女儿童网络平台宣传救助安置。"],
                            ["做好总结、评估、考核、宣传等工作。"]])]


def test_a_page_holding_only_the_rest_of_a_column_that_ran_on_is_that_column_s() -> None:
    text = typeset(HEADER, TAIL, [2, 8, 7, 6], page_lines=4)
    assert [ln.strip() for ln in text.split("\f")[2].splitlines()[:3]] == ["协作机制妇女儿", "童网络平台宣传", "救助安置。"]
    assert measures(text) == expected(HEADER, TAIL)
    # A new item there may be any column's that ended at the foot: not placed.
    with pytest.raises(SourceError, match="page 3: the table's text on this page does not show which"):
        measures(text.replace(" " * 16 + "协作机制妇女儿", " " * 16 + "2.协作机制妇女儿"))


def test_a_page_where_a_column_other_than_the_unit_s_is_empty_is_refused() -> None:
    # The extractor closes up an empty column's white: the columns after it start where others would.
    text = typeset(HEADER, ROWS, [2, 8, 7, 6], page_lines=2, repeat_header=True)
    with pytest.raises(SourceError, match="page 4: the table's text on this page does not show which"):
        measures(text)


def test_columns_one_space_apart_are_refused_naming_the_file_and_page() -> None:
    text = typeset(HEADER, ROWS, [2, 8, 7, 6]).replace("1.宣传。     持续推进", "1.宣传。 持续推进")
    with pytest.raises(SourceError) as error:
        measures(text)
    assert "notice-layout.txt" in str(error.value) and "page 2" in str(error.value)


def test_a_column_start_that_drifted_by_one_cell_is_its_column() -> None:
    lines = [_line([(0, "市公"), (5, "1.加强宣传"), (18, "1.协作")]), _line([(0, "安局"), (5, "救助安置。"), (17, "机制。")]),
             _line([(5, "2.排查。"), (18, "2.平台。")])]
    assert page_columns(lines) == [0, 5, 18]  # 17 is 18 drifted: the offset more lines share wins


def test_a_page_without_a_column_but_the_unit_column_is_not_placed() -> None:
    canonical = [0, 5, 19, 35]
    assert offset_map([0, 5, 19, 35], canonical) is not None
    assert offset_map([6, 21, 37], canonical)(21) == 19  # the unit column is empty here: matched in order
    assert offset_map([0, 5, 19], canonical) is None  # another column is empty: the copy closed up its white
    assert offset_map([0, 5, 7, 19], canonical) is None  # two starts too close: one column placed apart


def test_a_page_number_is_blanked_only_where_page_numbers_stand() -> None:
    lines = ["3", "附件", "2030", "x", "y", "z", "w", "— 4 —", "办公室", ""]
    # A bare number is a page number only as the page's first or last line; a heading 2030 stays.
    assert _without_page_numbers(lines, PAGE_NUMBER) == ["", "附件", "2030", "x", "y", "z", "w", "", "办公室", ""]


def test_repeated_headings_are_blanked_and_a_vertical_heading_running_into_the_body_too() -> None:
    headings = Headings({"责", "任", "单", "位", "重点任务", "2022年"}, "责任单位")
    lines = ["责     重点任务     2022 年", "任", "单", "位     1.加强宣传。   1.宣传。", "市妇   2.排查。"]
    out = _without_repeated_headings(lines, headings)
    assert [ln.strip() for ln in out[:3]] == ["", "", ""]
    assert out[3].strip() == "1.加强宣传。   1.宣传。"
    assert out[4] == lines[4]
    with pytest.raises(UnreadablePage):
        _without_repeated_headings(["续行。     重点任务", "1.加强。"], headings)


sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(lambda ws: "".join(ws) + "。")


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[Row], list[int], int, bool]:
    n_phases = draw(st.integers(2, 3))
    header = ["单位", "重点任务"] + [f"{2022 + k}年" for k in range(n_phases)]
    units = draw(st.lists(st.sampled_from(["市公安局", "市妇联", "市民政局", "团市委", "市数据资源管理局"]),
                          min_size=1, max_size=3, unique=True))
    rows: list[Row] = []
    for unit in units:
        cells = []
        for _ in range(n_phases + 1):
            items = draw(st.lists(sentence, min_size=1, max_size=3))
            numbered = draw(st.booleans()) or len(items) > 1
            cells.append([f"{k}.{t}" for k, t in enumerate(items, start=1)] if numbered else items)
        rows.append((unit, cells))
    widths = [draw(st.integers(2, 4))] + [draw(st.integers(7, 14)) for _ in range(n_phases + 1)]
    return header, rows, widths, draw(st.sampled_from([0, 4, 7])), draw(st.booleans())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_a_layout_copy_is_read_exactly_or_refused_never_wrong(table: tuple) -> None:
    header, rows, widths, page_lines, repeat = table
    text = typeset(header, rows, widths, page_lines, repeat)
    try:
        read = measures(text)
    except SourceError as error:
        assert PATH.name in str(error)
        return
    assert read == expected(header, rows)


def test_text_atop_a_page_that_starts_no_item_below_a_numbered_cell_that_ended_is_not_its_rest() -> None:
    from pipeline.readers.layout_text import _unsure_rest
    from pipeline.readers.pdf import CellText, PageTable
    from pipeline.readers.pdf_unruled import UnruledState

    def page(rows: list[list[CellText]], items: dict[int, int] | None = None) -> PageTable:
        state = UnruledState([0.0, 50.0, 150.0], [], "团市委", last_item=items or {})
        return PageTable(0.0, 100.0, [0.0, 50.0, 150.0, 250.0], rows, unruled=state)

    before = page([[CellText(0, 0, 1, [("团市委", False)]),
                    CellText(0, 1, 1, [("1.加强宣传。", False)]),  # ended: a short line closing a sentence
                    CellText(0, 2, 1, [("1.关爱帮扶，落实", True)])]], {1: 1, 2: 1})
    paragraph = page([[CellText(0, 1, 1, [("做好救助管理工作。", False)])]])
    going_on = page([[CellText(0, 2, 1, [("救助工作。", False)])]])
    next_item = page([[CellText(0, 1, 1, [("2.排查线索。", False)])]])
    assert _unsure_rest(paragraph, before) == 1
    assert _unsure_rest(going_on, before) is None  # the cut paragraph goes on
    assert _unsure_rest(next_item, before) is None  # the cell goes on with its next item


def test_a_copy_without_its_page_breaks_is_refused_when_it_shows_more_pages() -> None:
    # Its page numbers and repeated headings would stand inside the table.
    text = typeset(HEADER, LONG, [2, 8, 7, 6], page_lines=4, repeat_header=True)
    with pytest.raises(SourceError, match="not its page breaks"):
        measures(text.replace("\f", "\n"))
    one_page = typeset(HEADER, ROWS, [2, 8, 7, 6])
    assert measures(one_page.replace("\f", "\n")) == expected(HEADER, ROWS)
