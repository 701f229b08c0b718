"""The annex stage on the real sources: rebuilt table, clean table, cross-check, quality report."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.annex import cross_check, parse_annex, quality_report
from pipeline.errors import SourceError
from pipeline.load import load_documents
from pipeline.records import plan_versions
from pipeline.textnorm import phase_key

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def parsed():
    return {p.document.kind: p for d in plan_versions(load_documents(ROOT / "raw")) if (p := parse_annex(d))}


def test_the_issued_notice_is_rebuilt_and_the_page_is_read_clean(parsed):
    assert parsed["issued_notice"].method == "rebuilt"
    assert parsed["final_text"].method == "linear"
    assert parsed["consultation_draft"].method == "linear"


def test_rebuilt_table_shape(parsed):
    table = parsed["issued_notice"].table
    assert table.phases == ["重点任务", "2022", "2023-2029", "2030"]
    assert table.units[:3] == ["市公安局", "市民政局", "市人社局"]
    assert table.units[-1] == "市政府妇儿工委办"
    assert len(table.units) == 12
    assert len(table.measures) == 117


def test_rebuilt_cells_hold_real_values(parsed):
    measures = parsed["issued_notice"].table.measures
    police_tasks = [m for m in measures if m.unit == "市公安局" and m.phase == "重点任务"]
    assert [m.label for m in police_tasks] == ["1", "2", "3", "4", "5"]
    # Item 3 runs over the page break (lines 220-226, then 299).
    assert police_tasks[2].text == "严格落实侦办拐卖儿童犯罪的“一长三包责任制”、儿童失踪快速查找机制，快速查找失踪被拐儿童。"
    assert (police_tasks[2].line_start, police_tasks[2].line_end) == (220, 299)
    police_2030 = [m for m in measures if m.unit == "市公安局" and m.phase == "2030"]
    assert [(m.label, m.text) for m in police_2030] == [("", "做好总结、评估、考核、宣传等工作")]
    # The unit name 市人社局 is itself cut by a page break.
    assert any(m.unit == "市人社局" for m in measures)
    # The merged line gave the 市委宣传部 row its first line in every column.
    propaganda = {m.phase: m.text for m in measures if m.unit == "市委宣传部" and m.seq == 1}
    assert propaganda["重点任务"] == "强化反拐和防性侵宣传舆论引导。"
    assert propaganda["2022"].startswith("组织市主要媒体，突出报道重点")


def test_numbering_is_kept_as_printed_and_flagged(parsed):
    for kind in ("issued_notice", "final_text"):
        table = parsed[kind].table
        labels = [m.label for m in table.measures if m.unit == "市卫健委" and m.phase == "2022"]
        assert labels == ["1", "2", "3", "5"]
        gaps = [i for i in table.issues if i.kind == "numbering_gap"]
        assert [(g.unit, g.phase) for g in gaps] == [("市卫健委", "2022")]


def test_page_furniture_is_reported(parsed):
    issues = parsed["issued_notice"].table.issues
    footers = [i for i in issues if i.kind == "footer_removed"]
    assert len(footers) == 1 and "— 12 —" in footers[0].text
    merged = [i for i in issues if i.kind == "merged_line_split"]
    assert [i.line_start for i in merged] == [1032, 1041]


def test_cross_check_finds_only_the_true_punctuation_difference(parsed):
    check = cross_check(parsed["issued_notice"], parsed["final_text"])
    assert (check["rebuilt_measures"], check["clean_measures"], check["exact"]) == (117, 117, 116)
    assert check["different"] == []
    [diff] = check["punctuation_only"]
    assert (diff["unit"], diff["phase"], diff["label"]) == ("市公安局", "2022", "4")
    assert diff["rebuilt"].endswith("氛围。") and diff["clean"].endswith("氛围")


def test_every_character_is_placed_or_reported(parsed):
    report = quality_report(list(parsed.values()))
    for table in report["tables"]:
        assert table["characters"]["unplaced"] == "", table["doc_id"]
        assert table["characters"]["invented"] == "", table["doc_id"]


@pytest.mark.parametrize("printed, key", [
    ("2025—2027年", "2025-2027"), ("2025年～2027年", "2025-2027"), ("2023-2029", "2023-2029"),
    ("2022年", "2022"), ("2030", "2030"), ("重点任务", "重点任务"), ("主要 任务", "主要任务"), ("截至2025", "截至2025"),
])
def test_a_phase_is_compared_on_its_key_and_published_as_printed(printed, key):
    assert phase_key(printed) == key


# ----------------------------------------------------------------- paragraph ends a PDF does not show

def _cell_lines(cells: dict[tuple[int, int], list[tuple[str, bool]]], judged: bool = True) -> list:
    """Lines of a cell table: a header row, then rows of (unit, cells); `cells` maps (row, col) to
    (text, wrapped) lines, row 0 being the header."""
    from pipeline.records import CellRef, Line
    lines = []
    for (row, col), texts in sorted(cells.items()):
        for text, wrapped in texts:
            lines.append(Line(text, len(lines) + 1, 1, CellRef(0, row, col), wrapped, wrap_judged=judged))
    return lines


def _table(second_cell: list[tuple[str, bool]], judged: bool = True):
    from pipeline.annex.cells import parse_cell_annex
    cells = {(0, 0): [("单位", False)], (0, 1): [("重点任务", False)], (0, 2): [("2024年", False)],
             (1, 0): [("市数据资源管理局", False)],
             # A paragraph that ends on a short line with 。 and another after it: this table
             # prints cells of several unnumbered paragraphs.
             (1, 1): [("建立健全数据共享机制。", False), ("开展专项排查。", False)],
             (1, 2): second_cell}
    return parse_cell_annex(_cell_lines(cells, judged), "plan.pdf")


def test_a_full_line_ending_a_sentence_is_flagged_where_the_table_shows_such_paragraphs():
    table = _table([("完善信息通报机制。", True), ("做好总结工作。", False)])
    # Read as one measure (the line is taken as wrapped), and flagged: the PDF cannot show whether
    # the paragraph ends at the full line.
    assert [m.text for m in table.measures if m.phase == "2024年"] == ["完善信息通报机制。做好总结工作。"]
    doubt = [i for i in table.issues if i.kind == "paragraph_end_unsure"]
    assert [(i.unit, i.phase, i.text) for i in doubt] == [("市数据资源管理局", "2024年", "完善信息通报机制。")]


def test_a_full_line_is_not_in_doubt_when_no_paragraph_of_the_table_ends_that_way():
    # The table shows paragraphs ending with 。 only: a full line ending with ； goes on.
    table = _table([("完善信息通报机制；", True), ("做好总结工作。", False)])
    assert not [i for i in table.issues if i.kind == "paragraph_end_unsure"]


def test_numbered_cells_and_files_that_carry_paragraphs_raise_no_doubt():
    numbered = _table([("1.完善信息通报机制。", True), ("做好总结工作。", False)])
    docx_like = _table([("完善信息通报机制。", True), ("做好总结工作。", False)], judged=False)
    for table in (numbered, docx_like):
        assert not [i for i in table.issues if i.kind == "paragraph_end_unsure"]


def test_a_short_line_of_a_numbered_item_that_ends_no_sentence_goes_on_in_an_unnumbered_line():
    # LibreOffice keeps a quotation with its neighbours: 开 | 展“2+Ｎ”招聘 leaves a line of one
    # character mid-sentence. A cell numbers all its paragraphs or none: the item goes on.
    table = _table([("1.完善通报机制。", False), ("2.常态化开", False), ("展“2+Ｎ”招聘活动。", False)])
    assert [(m.label, m.text) for m in table.measures if m.phase == "2024年"] == [
        ("1", "完善通报机制。"), ("2", "常态化开展“2+Ｎ”招聘活动。")]
    assert not [i for i in table.issues if i.kind == "paragraph_end_unsure"]
    # After a sentence's end (a page break can cut an item there too) the item goes on as well,
    # and the cell is named in doubt. A file that carries paragraphs is read as it says.
    ended = _table([("1.完善通报机制；", False), ("做好总结工作。", False)])
    docx_like = _table([("1.常态化开", False), ("展招聘活动。", False)], judged=False)
    assert [(m.label, m.text) for m in ended.measures if m.phase == "2024年"] == [("1", "完善通报机制；做好总结工作。")]
    assert [(i.unit, i.phase, i.text) for i in ended.issues if i.kind == "paragraph_end_unsure"] == [
        ("市数据资源管理局", "2024年", "1.完善通报机制；")]
    assert [m.label for m in docx_like.measures if m.phase == "2024年"] == ["1", ""]


def test_a_full_line_completing_a_measure_printed_elsewhere_is_in_doubt():
    from pipeline.annex.cells import parse_cell_annex
    cells = {(0, 0): [("单位", False)], (0, 1): [("2024年", False)], (0, 2): [("2025年", False)],
             (1, 0): [("市民政局", False)], (1, 1): [("开展专项排查。", False)], (1, 2): [("做好总结工作", False)],
             # No cell shows unnumbered paragraphs, but 做好总结工作 fills its line here and is a whole
             # measure of the cell above: its paragraph may end there.
             (2, 0): [("市妇联", False)], (2, 1): [("开展专项排查。", False)],
             (2, 2): [("做好总结工作", True), ("开展宣传活动。", False)]}
    table = parse_cell_annex(_cell_lines(cells), "plan.pdf")
    doubt = [(i.unit, i.phase, i.text) for i in table.issues if i.kind == "paragraph_end_unsure"]
    assert doubt == [("市妇联", "2025年", "做好总结工作")]


@pytest.mark.parametrize(("headings", "reason"), [
    (["单位", "重点任务", "2023年", "年度目标2024-2029年", "2030年"], "heading over several columns run into one"),
    (["单位", "重点任务", "2026 年2027—2030 年", "2031年"], "two columns' headings"),
    (["单位", "单位", "2023年", "2024年"], "reads as the unit column's heading"),
])
def test_a_header_read_into_the_wrong_columns_is_refused(headings, reason):
    # How a misplaced header shows in a table read from a page's geometry.
    from pipeline.annex.cells import parse_cell_annex
    cells = {(0, k): [(h, False)] for k, h in enumerate(headings)}
    cells.update({(1, 0): [("市民政局", False)]} | {(1, k): [("开展专项排查。", False)] for k in range(1, len(headings))})
    with pytest.raises(SourceError, match=reason):
        parse_cell_annex(_cell_lines(cells), "plan.pdf")
