"""Tables drawn without ruling lines: columns, header and unit names read from the layout alone."""

from __future__ import annotations

from pipeline.readers.pdf_unruled import TLine, _find_columns, _header_rows, _prepare, _place
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


def test_a_unit_name_cut_by_a_page_break_goes_on():
    assert not is_unit_name("团")
    assert continues_unit_name("团", "市委")
    assert continues_unit_name("市妇", "联")
    assert not continues_unit_name("市公安局", "市民政局")
