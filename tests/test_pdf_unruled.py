"""Tables drawn without ruling lines: columns, header and unit names read from the layout alone."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from pipeline.readers.pdf import read_pdf
from pipeline.readers.pdf_unruled import (TLine, UnruledState, UnsureTable, _drop_header, _find_columns, _header_rows,
                                          _place, _prepare, _read_rows, _segments, _side_by_side_in_column, _split,
                                          _still_over, _two_characters_spread)
from pipeline.records import Line
from pipeline.textnorm import normalize_key
from pipeline.unitnames import continues_unit_name, is_unit_name


def line(text: str, x0: float, top: float, size: float = 10.0) -> TLine:
    return TLine(text, x0, x0 + size * len(text), top, top + size, size)


def table_lines() -> list[TLine]:
    """A header (a heading centred over the two year columns, inside the first of them), two rows."""
    lines = [line("单位", 0, 0), line("重点任务", 40, 0), line("年度推进举措", 150, 0),
             line("2022", 150, 14), line("2023", 260, 14)]
    for top in (28, 42, 56):
        lines += [line("市公", 0, top), line("一二三四五六", 40, top), line("一二三四五六七八", 150, top),
                  line("一二三四五六七八", 260, top)]
    return lines


def test_columns_are_where_text_stands_side_by_side():
    columns = _find_columns(table_lines())
    assert [round(x) for x in columns] == [0, 40, 150, 260, 340]


def test_a_heading_over_two_columns_gives_way_to_the_headings_under_it():
    lines = table_lines()
    columns = _find_columns(lines)
    assert all(_place(ln, columns) for ln in lines)
    page = _prepare(lines, columns)
    header = _header_rows([ln for ln in lines if ln.top < 28], page)
    assert [[(col, "".join(ln.text for ln in cell)) for col, _, cell in row] for row in header] == [
        [(2, "年度推进举措")], [(0, "单位"), (1, "重点任务"), (2, "2022"), (3, "2023")]]


def test_a_heading_centred_inside_the_middle_column_gives_way_to_a_heading_that_wraps_itself():
    # 年度目标 over three year columns sits inside the middle one, whose own heading wraps over two
    # lines (2024-2029 | 年): centred in the row, it starts higher than its neighbours' one-line
    # headings, but is centred level with them.
    lines = [line("单位", 0, 12), line("年度目标", 200, 0), line("2023年", 100, 19),
             line("2024-2029", 200, 14), line("年", 220, 24), line("2030年", 300, 19)]
    for top in (40, 54):
        lines += [line("市公", 0, top), line("一二三四五六七", 100, top), line("一二三四五六七", 200, top),
                  line("一二三四五六七", 300, top)]
    columns = _find_columns(lines)
    assert all(_place(ln, columns) for ln in lines)
    header = _header_rows([ln for ln in lines if ln.top < 40], _prepare(lines, columns))
    assert [[(col, "".join(ln.text for ln in cell)) for col, _, cell in row] for row in header] == [
        [(2, "年度目标")], [(0, "单位"), (1, "2023年"), (2, "2024-2029年"), (3, "2030年")]]


def test_a_unit_name_cut_by_a_page_break_goes_on():
    assert not is_unit_name("团")
    assert continues_unit_name("团", "市委")
    assert continues_unit_name("市妇", "联")
    assert not continues_unit_name("市公安局", "市民政局")


# --------------------------------------------------------------------------- rendered pages

FIXTURES = Path(__file__).parent / "fixtures" / "unruled"
TRUTH = json.loads((FIXTURES / "truth.json").read_text(encoding="utf-8"))


def _rows(lines: list[Line]) -> list[dict[int, str]]:
    """The table's rows as each column's text (normalised), in reading order."""
    rows: dict[tuple[int, int], dict[int, str]] = {}
    for ln in lines:
        if ln.cell is not None:
            row = rows.setdefault((ln.cell.table, ln.cell.row), {})
            row[ln.cell.col] = row.get(ln.cell.col, "") + normalize_key(ln.text)
    return [rows[key] for key in sorted(rows)]


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_rendered_unruled_pages_are_read_cell_by_cell(name: str) -> None:
    """The first pages of LibreOffice notices whose annex has no rules (one per layout that was
    once refused or misread): every row is a heading row or one unit's, and each of a unit's
    measures stands in its phase's column. The last row may go on past the fixture's pages."""
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    path = FIXTURES / f"{name}.pdf"
    truth = TRUTH[name]
    rows = _rows(read_pdf(path.read_bytes(), path))
    units = {normalize_key(u) for u, *_ in truth["measures"]}
    body = [k for k, row in enumerate(rows) if is_unit_name(row.get(0, ""))]
    assert body and body[0] <= 2  # the headings, a spanning one above the others, then the units
    assert body == list(range(body[0], len(rows)))  # no heading repeated among the rows
    assert max(col for row in rows for col in row) == len(truth["phases"])  # a column per phase, no other
    for k in body[:-1]:
        row = rows[k]
        assert row[0] in units, row[0]
        for unit, phase, _, text in truth["measures"]:
            if normalize_key(unit) == row[0]:
                assert normalize_key(text) in row.get(1 + truth["phases"].index(phase), ""), (unit, phase, text)
    assert any(u.startswith(rows[body[-1]][0]) for u in units)


def char(text: str, x0: float, top: float, size: float = 12.0) -> dict:
    return {"text": text, "x0": x0, "x1": x0 + size, "top": top, "bottom": top + size, "size": size}


def test_a_vertical_heading_overflowing_over_the_rows_first_character_is_dropped_with_the_header():
    """A repeated header row keeps its height: the last character of a heading set vertically in
    a narrow column is drawn over the first character of the row below, at the same height."""
    chars = [char("责", 72.6, 70), char("任", 72.6, 90), char("单", 72.6, 110), char("重", 100, 70),
             char("儿", 71.0, 130), char("位", 72.6, 130.1), char("他", 100, 130), char("工", 71.0, 150)]
    lines = _segments(chars)
    assert {"位", "儿"} <= {ln.text for ln in lines if ln.parted}  # two lines at one height
    columns = [71.0, 99.0, 120.0]
    assert all(_place(ln, columns) for ln in lines)
    rest = _drop_header(lines, ["责任单位", "重"], 12.0)
    assert sorted(ln.text for ln in rest) == ["他", "儿", "工"]
    assert _still_over(rest) == ""
    # Not a heading's overflow: both characters are the table's, and which one a cell holds is unknown.
    assert _still_over(lines) != ""


def test_narrow_white_between_columns_parts_a_line_where_other_lines_start():
    """A large font leaves less than WORD_GAP of white between columns: two columns' text joins
    into one line unless the text after the gap starts where other lines start."""
    chars = []
    for k, top in enumerate((0, 20, 40)):
        chars += [char(c, 10 + 12 * i, top) for i, c in enumerate("一二三四")]
        chars += [char(c, 65 + 12 * i, top) for i, c in enumerate("五六七" if k else "五六")]
    lines = _segments(chars)  # 7 points of white: less than WORD_GAP at 12 points
    assert [(round(ln.x0), ln.text) for ln in lines[:2]] == [(10, "一二三四"), (65, "五六")]
    joined = _segments(chars[:4] + chars[4:6])  # one line alone: nothing says a column starts there
    assert [ln.text for ln in joined] == ["一二三四 五六"]
    assert [ln.text for ln in _split(joined, [10.0, 65.0, 100.0])] == ["一二三四", "五六"]


def test_a_justified_line_spread_wider_than_the_white_between_columns_stays_one_line():
    """Justification spreads a line whose next word did not fit (常态化开 | 展“2+Ｎ”): every gap
    alike, each wider than the white before the next column. The white between the columns is
    not like the gaps beside it."""
    chars = [char(c, 10 + 12 * i, 0) for i, c in enumerate("组织")]  # a column ending at 34
    chars += [char(c, 50 + 26 * i, 0) for i, c in enumerate("常态化开")]  # gaps of 14 points
    chars += [char(c, 50 + 12 * i, 20) for i, c in enumerate("展工作")]
    lines = _segments(chars)
    assert [(round(ln.x0), ln.text) for ln in lines] == [(10, "组织"), (50, "常 态 化 开"), (50, "展工作")]
    assert not any(ln.gaps for ln in lines)  # nor a place where the line could be parted at a column


def test_a_spread_as_wide_as_the_white_between_columns_ends_where_the_next_column_s_tighter_line_starts():
    """并 逐 步 推 spread by 11 points, and the next column's line, set tight, 11 points after it: the
    run of alike gaps ends with 推, and 类辅助 is another column's line. An item number set tight
    before a spread (2.持 续) is still the spread line's."""
    chars = [{**char(c, 50 + 23 * i, 0), "x1": 62 + 23 * i} for i, c in enumerate("并逐步推")]  # gaps of 11
    chars += [char(c, 142 + 12.5 * i, 0) for i, c in enumerate("类辅助生殖技")]  # 11 points after 推
    lines = _segments(chars)
    assert [(round(ln.x0), normalize_key(ln.text)) for ln in lines] == [(50, "并逐步推"), (142, "类辅助生殖技")]
    item = [{**char("2", 50, 0), "x1": 56}, {**char(".", 56, 0), "x1": 62}]
    item += [{**char(c, 73 + 23 * i, 0), "x1": 85 + 23 * i} for i, c in enumerate("持续开展")]
    assert [normalize_key(ln.text) for ln in _segments(item)] == ["2.持续开展"]


def test_a_number_inside_a_justified_line_is_spread_with_it_but_an_item_number_at_a_column_s_edge_is_not():
    """A Latin run inside a spread line (开展“12355 普法) takes the spread at its ends, and a space
    besides where one is printed; the line stays whole. Two columns' lines spread alike are still
    two lines where the second starts with an item number at its column's edge (关 | 1.开展)."""
    def run(text: str, x0: float, gap: float, top: float) -> list[dict]:
        out = []
        for ch in text:
            width = 6.0 if ch.isascii() else 12.0
            out.append({**char(ch, x0, top), "x1": x0 + width})
            x0 += width + (0.0 if ch.isascii() else gap)
        return out
    spread = 3.0
    line = run("开展“", 50, spread, 0)  # then 12355, a printed space, and 普法校园
    number = run("12355", line[-1]["x1"] + spread, 0, 0)
    line += number + run("普法校园", number[-1]["x1"] + 2 * spread + 3.5, spread, 0)
    lines = _segments(line)
    assert [ln.text for ln in lines] == ["开 展 “ 12355 普 法 校 园"]
    # Two columns whose lines are spread alike; the second column's lines start at x = 160, 13
    # points after the first's last character: twice the spread and a space.
    chars = run("一二三四五关", 50, 5.0, 0)
    chars += [c for top in (0, 20, 40) for c in run("1.开展工作", 160, 5.0, top)]
    chars += run("一二三四五六", 50, 5.0, 20)
    lines = _segments(chars)
    assert [(round(ln.x0), ln.top) for ln in lines][:2] == [(50, 0), (160, 0)]


def test_a_justified_line_of_two_characters_spread_to_its_column_s_edges_is_one_line():
    """普 at the column's left edge and 法 where the column's full lines end: a line of two
    characters spread by justification, not two columns (which the test below refuses)."""
    lines = [line("市公", 0, 0), line("一二三四五六", 50, 0), line("普", 50, 14), line("法", 100, 14),
             line("一二三四五六", 50, 28)]
    columns = [0.0, 50.0, 130.0]
    assert all(_place(ln, columns) for ln in lines)
    joined = _two_characters_spread(lines, columns)
    assert sorted((ln.top, ln.text) for ln in joined if ln.col == 1) == [(0, "一二三四五六"), (14, "普法"), (28, "一二三四五六")]
    assert _side_by_side_in_column(joined) == ""
    # Not where the second character stops short of the column's full lines.
    short = [ln for ln in lines if ln.text != "法"] + [line("法", 90, 14)]
    assert all(_place(ln, columns) for ln in short)
    assert _side_by_side_in_column(_two_characters_spread(short, columns)) == "普 | 法"


def test_two_lines_side_by_side_in_one_column_are_a_column_not_found():
    """Columns found too few put two lines at one height in one column: refused, not joined."""
    lines = [line("市公安局", 0, 0), line("一二三", 50, 0), line("四五", 90, 0), line("市民政局", 0, 14)]
    assert all(_place(ln, [0.0, 50.0, 130.0]) for ln in lines)
    assert _side_by_side_in_column(lines) == "一二三 | 四五"
    assert all(_place(ln, [0.0, 50.0, 90.0, 130.0]) for ln in lines)
    assert _side_by_side_in_column(lines) == ""


# --------------------------------------------------------------------------- a row the page break cut

def column_lines(texts: list[str], x0: float, top: float, pitch: float = 14.0) -> list[TLine]:
    return [line(text, x0, top + k * pitch) for k, text in enumerate(texts)]


def test_the_rest_of_a_centred_row_is_read_where_it_stands():
    """Cells centred on their row: the rest of a row the page break cut is centred on what is left
    of it, so the text owed by the previous page's full lines stands lower than the page's top.
    The unit column holds the rest of a cut unit name, which is no name of its own."""
    columns = [0.0, 30.0, 130.0, 230.0, 330.0]
    lines = (column_lines(list("政府办"), 0, 35)  # 市 | 政府办, centred
             + column_lines(["一二三四五六七八九", "一二三四五六七八九", "一二三四五六七八九", "一二三四五六七八九",
                             "一二三四五六七八九", "一二三四五六七八九", "一二三四五六七八九", "一二三四五。"], 30, 0)
             + column_lines(["一二三四五六七八九", "一二三四五六七八九", "一二三。"], 130, 35)
             + column_lines(["作"], 230, 49))
    assert all(_place(ln, columns) for ln in lines)
    state = UnruledState(columns, ["", "", "", ""], "市", runs_on={1: False, 2: True, 3: True},
                         edges=[10.0, 120.0, 220.0, 320.0])
    p, path = _read_rows(lines, columns, state, False)
    assert [kind for _, kind in path] == ["rest"]


def test_a_full_last_line_does_not_hold_a_row_whose_items_start_again():
    """The previous page's last row ended on a full line (a cell of one line that fills its column);
    the page starts, top-aligned, with a unit name whose first character could end the cut one (团
    both starts and ends names), but below it every column's items start again at 1 under cells
    that reached 2: no rest can be read here, and the line ended its cell."""
    columns = [0.0, 30.0, 130.0, 230.0, 330.0]
    lines = (column_lines(list("团市委"), 0, 0) + column_lines(list("市残联"), 0, 56)
             + column_lines(["1.一二三四五六七", "二三四五。", "2.一二三四五六七", "二三。"], 30, 0)
             + column_lines(["1.一二三四五六七", "二三。"], 30, 56)
             + column_lines(["1.一二三四五六七", "二三四五。"], 130, 0)
             + column_lines(["1.一二三四五六七", "二三四五。"], 130, 56)
             + column_lines(["做好总结工作"], 230, 0) + column_lines(["做好总结工作"], 230, 56))
    assert all(_place(ln, columns) for ln in lines)
    state = UnruledState(columns, ["", "", "", ""], "市教体局", runs_on={1: False, 2: False, 3: True},
                         last_item={1: 2, 2: 2}, edges=[10.0, 120.0, 220.0, 290.0])
    p, path = _read_rows(lines, columns, state, False)
    assert [(round(p.cuts[end]), kind) for end, kind in path] == [(56, "row"), (round(p.cuts[-1]), "row")]


def numbered_rows(top: float) -> list[TLine]:
    """A row starting at height `top`: a unit name, and cells whose items start at 1, 2 and 1."""
    return (column_lines(list("市人社局"), 0, top)
            + column_lines(["1.一二三四五六七", "二三。", "2.一二三四五六七", "二三。"], 30, top)
            + column_lines(["2.一二三四五六七", "二三。", "3.一二三四五六七", "二三。"], 130, top)
            + column_lines(["1.一二三四五六七", "二三。", "2.一二三四五六七", "二三。"], 230, top))


def test_a_cell_starting_at_item_2_below_another_cells_item_1_is_no_cut_gone_against():
    """The page starts with the rest of a row the page break cut, with nothing in the second
    year's column; the next row's cell there starts at item 2 (an item dropped), and the column's
    last item, on the page before, was 1. That cell's text ended there: a cell's lines follow each
    other, so the numbering going on says nothing of the cut between them."""
    columns = [0.0, 30.0, 130.0, 230.0, 330.0]
    lines = column_lines(["识。"], 30, 0) + numbered_rows(28)  # the rest of the row the page break cut, a row
    assert all(_place(ln, columns) for ln in lines)
    state = UnruledState(columns, ["", "", "", ""], "市民政局", runs_on={1: True, 2: False, 3: False},
                         last_item={1: 2, 2: 1, 3: 2}, edges=[10.0, 120.0, 220.0, 320.0])
    p, path = _read_rows(lines, columns, state, False)
    assert [(round(p.cuts[end]), kind) for end, kind in path] == [(28, "rest"), (round(p.cuts[-1]), "row")]


def test_a_page_whose_best_reading_goes_against_its_numbering_is_refused_naming_the_row():
    """The page starts with a row of its own whose cell starts at item 2 right after the page before
    ended the column at item 1 (so the cut there is gone against), and no rest of that row can be
    read here: the best reading goes against the numbering, and the refusal names that row."""
    columns = [0.0, 30.0, 130.0, 230.0, 330.0]
    lines = numbered_rows(0)
    assert all(_place(ln, columns) for ln in lines)
    state = UnruledState(columns, ["", "", "", ""], "市民政局", runs_on={1: False, 2: False, 3: False},
                         last_item={1: 2, 2: 1, 3: 2}, edges=[10.0, 120.0, 220.0, 320.0])
    with pytest.raises(UnsureTable, match="goes against its numbering or paragraphs .the row 0 pt from the top"):
        _read_rows(lines, columns, state, False)


def test_a_column_with_one_line_on_the_page_is_found_under_a_heading_spanning_its_edge():
    """年度目标 spans the two year columns and bridges the white between them; the second year's
    cells hold one line on this page. That line starts where the white ends, below the heading:
    a column's edge, not prose the heading runs over."""
    lines = [line("单位", 0, 0), line("重点任务", 40, 0), line("年度目标", 210, 0),
             line("2024年", 150, 14), line("2025年", 265, 14), line("做好总结工作", 250, 28)]
    for top in (28, 42, 56):
        lines += [line("市公", 0, top), line("一二三四五六", 40, top), line("一二三四五六七八", 150, top)]
    assert [round(x) for x in _find_columns(lines)] == [0, 40, 150, 250, 315]


def test_a_repeated_header_is_dropped_where_a_heading_spans_columns_it_stood_inside_of_on_the_first_page():
    """On the table's first page the third year's column had no text at its edge, so its edge came
    from its centred heading, and 年度目标 stood inside the column before: that column's heading
    was read as 年度目标2025年. On the next page the column's text places its edge, and 年度目标
    spans both columns: the header it repeats is the same header."""
    columns = [0.0, 40.0, 150.0, 260.0, 370.0, 450.0]
    lines = [line("单位", 0, 0), line("重点任务", 40, 0), line("年度目标", 345, 0),
             line("2024年", 150, 14), line("2025年", 260, 14), line("2026年", 370, 14),
             line("市公", 0, 28), line("一二三四五六", 40, 28), line("一二三四五六", 150, 28),
             line("一二三四五六", 260, 28), line("一二三四五。", 370, 28)]
    assert all(_place(ln, columns) for ln in lines)
    kept = _drop_header(lines, ["单位", "重点任务", "2024年", "年度目标2025年", "2026年"], 10.0)
    assert [ln.top for ln in kept] == [28.0] * 5


def test_on_the_last_page_the_last_row_needs_a_whole_unit_name():
    """A row set top-aligned whose unit name, one character a line, ends a line above its task
    cell. Read as two rows, the second (the unit name's last character, 办, and a paragraph of the
    task cell) would be a row whose unit name the page break cut; no page follows the last."""
    columns = [0.0, 30.0, 130.0, 230.0, 330.0]
    lines = (column_lines(list("市政府妇儿工委办"), 0, 0)
             + column_lines(["一二三四五六七八九"] * 6 + ["一二三四五。", "一二三四五六七八九", "一二三。"], 30, 0)
             + column_lines(["1.一二三四五六七", "二三。"], 130, 0) + column_lines(["做好总结工作"], 230, 0))
    assert all(_place(ln, columns) for ln in lines)
    state = UnruledState(columns, ["", "", "", ""], "市民政局", edges=[10.0, 120.0, 220.0, 320.0])
    with pytest.raises(UnsureTable, match="read two ways"):
        _read_rows(lines, columns, state, False)
    p, path = _read_rows(lines, columns, state, True)
    assert [kind for _, kind in path] == ["row"]
