"""The outline parser on the real sources and on small inputs."""

from __future__ import annotations

import pytest

from pipeline.outline.clauses import outline_number, parse_outline
from pipeline.plan import split_plan
from pipeline.records import Document, Line, Source


@pytest.fixture(scope="module")
def outlines(versions):
    return {kind: parse_outline(split_plan(doc)) for kind, doc in versions.items()}


def test_four_top_level_clauses_in_every_version(outlines):
    for clauses in outlines.values():
        assert [(c.number, c.heading) for c in clauses if c.level == 1] == [
            ("一、", "工作目标"), ("二、", "组织领导"), ("三、", "工作重点"), ("四、", "保障措施")]


def test_four_work_focus_clauses(outlines):
    focus = [c for c in outlines["issued_notice"] if c.parent_id == "3"]
    assert [c.clause_id for c in focus] == ["3.1", "3.2", "3.3", "3.4"]
    assert [c.number for c in focus] == ["（一）", "（二）", "（三）", "（四）"]
    assert focus[0].heading == "持续开展打击拐卖人口犯罪专项行动。"
    assert (focus[0].line_start, focus[0].line_end) == (68, 90)


def test_wrapped_lines_are_joined_without_spaces(outlines):
    goal = next(c for c in outlines["issued_notice"] if c.clause_id == "1")
    assert goal.text.startswith("以习近平新时代中国特色社会主义思想为指导，进一步完善集预防、打击、救助、安置、康复于一体的反拐工作长效机制")
    assert "\n" not in goal.text
    # The page-start space of the PDF text does not survive either.
    organisation = next(c for c in outlines["issued_notice"] if c.clause_id == "2")
    assert "（详见 “附件 ”），制定有效措施" in organisation.text


def test_the_preamble_is_clause_zero(outlines):
    preamble = outlines["issued_notice"][0]
    assert (preamble.clause_id, preamble.level, preamble.number) == ("0", 0, "")
    assert preamble.text.endswith("结合我市实际，制定本方案。")


def test_issued_notice_and_final_text_bodies_match_on_the_key(outlines):
    issued = [(c.clause_id, c.text_key) for c in outlines["issued_notice"]]
    final = [(c.clause_id, c.text_key) for c in outlines["final_text"]]
    assert issued == final


def test_draft_body_equals_final_body(outlines):
    draft = [(c.clause_id, c.number, c.text_key) for c in outlines["consultation_draft"]]
    final = [(c.clause_id, c.number, c.text_key) for c in outlines["final_text"]]
    assert draft == final


def test_the_annex_reference_is_not_clause_text(outlines):
    last = outlines["issued_notice"][-1]
    assert "附件" not in last.text and last.text.endswith("一票否决。")


@pytest.mark.parametrize("line,expected", [
    ("一、工作目标", (1, "一、")), ("（二）严格考核", (2, "（二）")), ("(三)做好", (2, "(三)")),
    ("3.严格落实", (3, "3.")), ("（1）开展", (4, "（1）")), ("6.26 国际禁毒日", None), ("以习近平", None),
])
def test_outline_numbers(line, expected):
    assert outline_number(line) == expected


def test_page_numbers_inside_a_clause_are_dropped():
    lines = [Line(t, i) for i, t in enumerate(["方案", "一、目标", "第一句话", "— 3 —", "第二句话。", "附件：表"], 1)]
    source = Source(path=None, name="x.txt", sha256="", format="txt", lines=lines)
    doc = Document("x", "issued_notice", source, lines)
    clauses = parse_outline(split_plan(doc))
    assert [(c.clause_id, c.text) for c in clauses] == [("1", "第一句话第二句话。")]
