"""Unit names by form: what a page break may cut, and what it may not join."""

from __future__ import annotations

import pytest

from pipeline.unitnames import continues_unit_name, is_unit_name


@pytest.mark.parametrize("before, after", [
    ("市妇", "联"), ("市委网信", "办"), ("市市", "场监管局"), ("市司", "法局"), ("市", "数据资源管理局"),
    ("县", "妇联"),
])
def test_the_rest_of_a_cut_name_continues_it(before, after):
    assert continues_unit_name(before, after)


@pytest.mark.parametrize("before, after", [
    ("市公安局", "市民政局"),  # two whole names: a new row
    ("市妇联", ""),  # nothing to continue
    ("", "市民政局"),
    ("市妇", "1.开展宣传"),  # not a name at all
])
def test_two_names_or_no_name_do_not_join(before, after):
    assert not continues_unit_name(before, after)


@pytest.mark.parametrize("name", ["市数据资源管理局", "中共市委宣传部", "团市委", "县人民检察院", "市政府妇儿工委办"])
def test_names_of_any_length_are_recognised_by_form(name):
    assert is_unit_name(name)
