"""Responsibilities from the parenthetical assignments."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.outline.clauses import parse_outline
from pipeline.plan import split_plan
from pipeline.outline.responsibilities import parse_responsibilities, split_part


@pytest.fixture(scope="module")
def assignments(versions):
    out = {}
    for kind, doc in versions.items():
        out[kind] = parse_responsibilities(parse_outline(split_plan(doc)), doc.lines)
    return out


def test_lead_units_of_the_work_focus(assignments):
    leads = {(r.clause_id, r.unit) for r in assignments["issued_notice"] if r.role == "lead"}
    assert leads == {("3.1", "市公安局"), ("3.2", "市公安局")}


def test_shared_clauses_name_their_units(assignments):
    units = [r.unit for r in assignments["issued_notice"] if r.clause_id == "3.3" and r.role == "responsible"]
    assert units == ["市教体局", "市公安局", "市民政局", "市人社局", "市卫健委", "市妇联", "市残联", "市政府妇儿工委办"]


def test_county_governments_implement_every_focus_clause(assignments):
    implementing = [r.clause_id for r in assignments["issued_notice"] if r.role == "implementing"]
    assert implementing == ["3.1", "3.2", "3.3", "3.4"]
    assert {r.unit for r in assignments["issued_notice"] if r.role == "implementing"} == {"各县区人民政府"}


def test_same_assignments_in_every_version(assignments):
    def key(rows):
        return Counter((r.clause_id, r.unit, r.role) for r in rows)
    assert key(assignments["issued_notice"]) == key(assignments["final_text"]) == key(assignments["consultation_draft"])
    assert len(assignments["issued_notice"]) == 21


def test_provenance_points_at_the_bracket(assignments):
    first = assignments["issued_notice"][0]
    assert (first.line_start, first.line_end) == (88, 90)


@pytest.mark.parametrize("part,expected", [
    ("市公安局牵头", (["市公安局"], "lead", "牵头")),
    ("市委宣传部、团市委等按职责分工负责", (["市委宣传部", "团市委"], "responsible", "按职责分工负责")),
    ("各县区人民政府负责落实", (["各县区人民政府"], "implementing", "负责落实")),
    ("市民政局配合", (["市民政局"], "cooperate", "配合")),
    ("加强领导", None),
])
def test_split_part(part, expected):
    assert split_part(part) == expected
