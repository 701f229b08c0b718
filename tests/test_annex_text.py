"""The text rebuild of the annex: its pieces, and property tests against the layout simulator."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from annex_simulator import Layout, TidyTable, as_lines, layout, layouts, tidy_tables
from pipeline.annex_text import _split_merged, is_unit_name, rebuild_annex
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
    from pipeline.annex_text import TextLine
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
