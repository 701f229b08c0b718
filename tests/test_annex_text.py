"""The text rebuild of the annex: its pieces, and property tests against the layout simulator."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from annex_simulator import Layout, TidyTable, as_lines, layout, layouts, tidy_tables
from pipeline.annex.text import _split_merged, is_unit_name, rebuild_annex
from pipeline.errors import SourceError

SETTINGS = dict(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))


def rows_of(table) -> list[tuple[str, str, int, str, str]]:
    return [(m.unit, m.phase, m.seq, m.label, m.text) for m in table.measures]


@pytest.mark.parametrize("name", ["市公安局", "市委网信办", "团市委", "市政府妇儿工委办", "县民政局", "区妇联"])
def test_unit_names_are_recognised_by_form(name):
    assert is_unit_name(name)


@pytest.mark.parametrize("text", ["做好总结", "作市民政", "市人", "传等工作"])
def test_other_runs_are_not_unit_names(text):
    assert not is_unit_name(text)


def test_a_merged_line_splits_at_spaces_and_item_numbers():
    assert _split_merged_text("市 强化反拐和防性侵宣传1.组织市主要媒体，突1.配合市有关单位，持 做好总") == [
        "市", "强化反拐和防性侵宣传", "1.组织市主要媒体，突", "1.配合市有关单位，持", "做好总"]


def _split_merged_text(text: str) -> list[str]:
    from pipeline.annex.text import TextLine
    return _split_merged(TextLine(text, 1, None), 10.0)


SMALL = TidyTable(["重点任务", "2022", "2023-2029", "2030"], [
    ("市公安局", [[("1", "加强打击拐卖犯罪，依法严惩。"), ("2", "开展宣传。")],
                [("1", "落实团圆行动要求，全面排查。")],
                [("", "持续开展专项行动，维护妇女儿童权益。")],
                [("", "做好总结、宣传等工作")]]),
    ("市民政局", [[("1", "规范救助程序。")], [("1", "巩固提升救助管理机构服务质量。"), ("2", "依法收养。")],
                [("1", "深化改革。")], [("", "做好总结、宣传等工作")]]),
])


def test_rebuild_of_a_known_layout_with_a_page_break_and_a_footer():
    text = layout(SMALL, Layout([10.0, 10.0, 10.0, 3.0], page_height=6, first_page_room=3, footer_every=1,
                                merge_short_segments=False, blank_between=True))
    assert rows_of(rebuild_annex(as_lines(text), "sim")) == SMALL.measures()


# Simulated layouts that an earlier rebuild read wrong, kept with the reason (written by the simulator
# from a hypothesis example, then frozen).
LAYOUT_CASES = sorted((Path(__file__).parent / "fixtures" / "annex_layouts").glob("*.json"))


@pytest.mark.parametrize("path", LAYOUT_CASES, ids=[p.stem for p in LAYOUT_CASES])
def test_rebuild_of_a_layout_once_read_wrong(path):
    case = json.loads(path.read_text(encoding="utf-8"))
    table = TidyTable(case["phases"], [(unit, [[tuple(m) for m in cell] for cell in cells]) for unit, cells in case["rows"]])
    text = layout(table, Layout(**case["layout"]))
    assert rows_of(rebuild_annex(as_lines(text), "sim")) == table.measures(), case["why"]


def test_a_table_cut_off_mid_row_is_an_error_naming_the_place():
    text = layout(SMALL, Layout([10.0, 10.0, 10.0, 3.0], 40, 40, 0, False, False))
    cut = [t for t in text if t][:-3]  # lose the last lines of the last cell
    with pytest.raises(SourceError, match=r"sim: annex table ends mid-row at line \d+"):
        rebuild_annex(as_lines(cut), "sim")


def test_a_table_without_header_is_an_error():
    with pytest.raises(SourceError, match="sim: annex table header not recognised"):
        rebuild_annex(as_lines(["附件", "重点任务推进表"]), "sim")


@settings(max_examples=150, **SETTINGS)
@given(tidy_tables(), layouts())
def test_rebuild_inverts_a_one_page_layout(table, spec):
    """Without page breaks the layout is unambiguous: the rebuild returns the original table."""
    text = layout(table, replace(spec, page_height=1000, first_page_room=1000, footer_every=0))
    assert rows_of(rebuild_annex(as_lines(text), "sim")) == table.measures()


EXACT_SHARE = {"exact": 0, "total": 0}


@settings(max_examples=300, **SETTINGS)
@given(tidy_tables(), layouts())
def test_rebuild_of_paged_layouts(table, spec):
    """Page breaks, footers and merged lines: record whether the original table comes back.

    Over pages the text can be genuinely ambiguous (two cells that both end at the foot of a page
    and both go on), so this test records the share rebuilt exactly and the next test holds it to
    a floor; a rebuild that fails must fail with a SourceError naming the place.
    """
    EXACT_SHARE["total"] += 1
    try:
        rebuilt = rebuild_annex(as_lines(layout(table, spec)), "sim")
    except SourceError as error:
        assert str(error).startswith("sim: ")
        return
    EXACT_SHARE["exact"] += rows_of(rebuilt) == table.measures()


def test_share_of_paged_layouts_rebuilt_exactly():
    if EXACT_SHARE["total"] == 0:
        test_rebuild_of_paged_layouts()
    share = EXACT_SHARE["exact"] / EXACT_SHARE["total"]
    print(f"paged layouts rebuilt exactly: {EXACT_SHARE['exact']}/{EXACT_SHARE['total']} = {share:.1%}")
    assert share >= 0.85


# --------------------------------------------------------------------------- text copied out of real PDFs
# Small annexes rendered by LibreOffice and copied out in content-stream order (pypdfium2), each with
# the table it was drawn from: a two-character unit column with `— n —` footers and no page breaks
# marked; a one-character unit column with form feeds, `第 n 页 共 m 页` footers, a running head, other
# phases and half-width punctuation; justified lines (a space between characters) in a three-character
# unit column with long unit names. The row-by-row copy (pdfplumber) of the first must be refused.

TEXT_COPIES = Path(__file__).parent / "fixtures" / "annex_text"
CONTENT_ORDER = sorted(TEXT_COPIES.glob("pdfium-*.txt"))


@pytest.mark.parametrize("path", CONTENT_ORDER, ids=[p.stem for p in CONTENT_ORDER])
def test_rebuild_of_a_content_order_copy_of_a_real_pdf(path):
    from pipeline.sources import text_lines
    truth = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    table = TidyTable(truth["phases"], [(unit, [[tuple(m) for m in cell] for cell in cells]) for unit, cells in truth["rows"]])
    rebuilt = rebuild_annex(text_lines(path.read_text(encoding="utf-8")), path.name)
    assert rebuilt.phases == truth["phases"]
    assert rows_of(rebuilt) == table.measures()


# Whole notices from the render corpus (`scripts/render_corpus.py`), copied out in content-stream
# order, each with the table it was drawn from: column headings repeated on every page where the
# text marks no page break; a row cut by a page break above a last cell that ends flush with its
# column (做好总结、宣传等工作-like); headings repeated just under a page number, where they once
# read as a running head; a sub-heading wrapped in its narrow cell (2025- | 2031). Each was refused
# or read wrong before the rebuild learnt it.
CORPUS_COPIES = sorted((TEXT_COPIES / "corpus").glob("*.txt"))


@pytest.mark.parametrize("path", CORPUS_COPIES, ids=[p.stem for p in CORPUS_COPIES])
def test_rebuild_of_a_rendered_notice_copied_in_content_order(path):
    from pipeline.plan import split_plan
    from pipeline.records import plan_versions
    from pipeline.sources import read_source, split_documents
    from pipeline.textnorm import normalize_key
    truth = json.loads(path.with_name(path.stem + ".truth.json").read_text(encoding="utf-8"))
    doc = plan_versions(split_documents(read_source(path, path.parent)))[0]
    rebuilt = rebuild_annex(split_plan(doc).annex, path.name)
    assert rebuilt.phases == truth["phases"]
    assert [(m.unit, m.phase, m.label, normalize_key(m.text)) for m in rebuilt.measures] == \
        [(unit, phase, label, normalize_key(text)) for unit, phase, _, label, text in truth["measures"]]


def test_a_footer_block_keeps_the_table_text_between_a_running_head_and_the_page_number():
    from pipeline.annex.text import TextLine, _remove_footers
    lines = [TextLine(t, k, None) for k, t in enumerate(
        ["3.机制，康复机制群众服务。", "— 3 —", "长宁市人民政府办公室", "4.通报完善。", "— 4 —"], start=1)]
    kept, issues = _remove_footers(lines, widest=20.0)
    assert [ln.text for ln in kept] == ["3.机制，康复机制群众服务。", "4.通报完善。"]
    assert [i.text for i in issues] == ["— 3 — | 长宁市人民政府办公室", "— 4 —"]


def test_a_row_by_row_copy_is_refused_naming_its_shape():
    from pipeline.sources import text_lines
    path = TEXT_COPIES / "plumber-row-order.txt"
    with pytest.raises(SourceError, match=r"plumber-row-order.txt: annex table from line \d+ is copied row by row"):
        rebuild_annex(text_lines(path.read_text(encoding="utf-8")), path.name)


def test_text_lines_keep_editor_numbering_pages_from_form_feeds_and_unglue_furniture():
    from pipeline.sources import text_lines
    lines = text_lines("正文。\r\n附件：重点任务推进表附件\r\n重点任务推进表\f— 3 —续行\f第 4 页 共 9 页附件\n")
    assert [(ln.text, ln.lineno, ln.page) for ln in lines] == [
        ("正文。", 1, 1), ("附件：重点任务推进表", 2, 1), ("附件", 2, 1), ("重点任务推进表", 3, 1),
        ("— 3 —", 4, 2), ("续行", 4, 2), ("第 4 页 共 9 页", 5, 3), ("附件", 5, 3)]
    assert all(ln.page is None for ln in text_lines("a\nb\n"))


@pytest.mark.parametrize("text, pieces", [
    ("与 的 打 拐 工 作 机 制 ， 建", ["与的打拐工作机制，建"]),  # justified: spread characters
    ("3.严格落实侦办 拐 卖 儿 童 犯 罪", ["3.严格落实侦办拐卖儿童犯罪"]),
    ("2. 认 真 开 展 失 踪 人", ["2.认真开展失踪人"]),
    ("2.抓好 12355 青少年服", ["2.抓好 12355 青少年服"]),  # Latin text keeps its spaces
    ("市妇联 1.加强宣传", ["市妇联", "1.加强宣传"]),  # an item number opens a column line
    ("市 强化反拐和防性侵宣传", ["市强化反拐和防性侵宣传"]),  # a wide gap is cut only where needed
])
def test_line_pieces_drop_justification_and_cut_before_item_numbers(text, pieces):
    from pipeline.annex.text import _line_pieces
    assert [p for p, _, _ in _line_pieces(text)] == pieces


def test_a_justified_line_reads_as_wrapped():
    from pipeline.annex.text import TextLine, _compact, is_full
    line = _compact([TextLine("活 动 ， 结 合 “ 就 业 援 助", 1, None)])[0]
    assert line.text == "活动，结合“就业援助" and line.justified and is_full(line, 13.0)


@pytest.mark.parametrize("header, phases", [
    (["单位 重点任务 年度推进举措", "2022 2023-2029 2030"], ["重点任务", "2022", "2023-2029", "2030"]),
    (["责", "任", "单", "位", "主要任务 2024 年 2025—2027 年 2028 年"], ["主要任务", "2024年", "2025—2027年", "2028年"]),
    (["牵头单", "位", "重点任务", "年度推进举措", "2022 2023-2029 2030"], ["重点任务", "2022", "2023-2029", "2030"]),
    # A sub-heading wrapped in its narrow cell, the sub-headings over three lines.
    (["责任", "单位 主要任务", "年度推进举措", "2024 2025—", "2029", "2030 2031"],
     ["主要任务", "2024", "2025—2029", "2030", "2031"]),
])
def test_header_cells_sharing_lines_and_other_labels(header, phases):
    from pipeline.annex.text import _parse_header, _prepare
    lines = _prepare(as_lines(["附件", "重点任务推进表", *header, "市公", "安局", "1.加强。"]))
    assert _parse_header(lines, "sim") == (phases, 2 + len(header))


def test_linear_and_broken_layouts_are_told_apart_by_wrapped_lines():
    from pipeline.annex import is_broken_layout
    linear = ["附件", "重点任务推进表", "单位", "重点任务", "2022", "团市委", "1.加强宣传教育工作。",
              "2.开展专项行动。", "市妇联", "1.关爱留守儿童。", "做好总结、宣传等工作"]
    broken = ["附件", "重点任务推进表", "单位 重点任务 2022", "团市委", "1.加强宣传教育", "工作。",
              "2.开展专项行", "动。", "市妇联", "1.关爱留守儿", "童。", "做好总结、宣", "传等工作"]
    assert not is_broken_layout(as_lines(linear))
    assert is_broken_layout(as_lines(broken))


def test_column_headings_repeated_at_a_page_top_are_removed_with_the_running_head():
    from pipeline.annex.text import TextLine, _remove_repeated_headers
    from pipeline.textnorm import normalize_key
    header = normalize_key("单位重点任务20222023")
    texts = ["1.一行。", "某市人民政府办公室", "单位 重点任务", "2022 2023", "续行。", "单位 重点任务", "另一行。"]
    lines = [TextLine(t, k + 1, None, page_start=k in (1, 5)) for k, t in enumerate(texts)]
    kept, issues = _remove_repeated_headers(lines, header)
    # The second page-top block is not the whole heading: it is text and stays.
    assert [ln.text for ln in kept] == ["1.一行。", "续行。", "单位 重点任务", "另一行。"]
    assert kept[1].page_start
    assert [(i.kind, i.line_start, i.line_end) for i in issues] == [("footer_removed", 2, 4)]


def test_a_repeated_heading_row_whose_vertical_unit_heading_lost_its_tail_is_removed():
    # An office suite sets the repeated heading row shorter: 牵头单位 read down its column keeps
    # only 牵头单 on the pages after the first. The rest of the headings must read exactly.
    from pipeline.annex.text import TextLine, _remove_repeated_headers
    from pipeline.textnorm import normalize_key
    header = normalize_key("牵头单位重点任务年度目标20242025-2029")
    texts = ["1.一行，", "牵", "头", "单", "重点任务 年度目标", "2024 2025-2029", "续行。",
             "牵", "头", "重点任务 年度目标", "2024", "另一行。"]
    lines = [TextLine(t, k + 1, None) for k, t in enumerate(texts)]
    kept, issues = _remove_repeated_headers(lines, header)
    # The second block lacks a phase heading: it is not the headings, and stays.
    assert [ln.text for ln in kept] == ["1.一行，", "续行。", "牵", "头", "重点任务 年度目标", "2024", "另一行。"]
    assert kept[1].page_start
    assert [(i.line_start, i.line_end) for i in issues] == [(2, 6)]
