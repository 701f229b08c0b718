"""Facts of the public consultation, from the real consultation page."""

from __future__ import annotations

import pytest

from pipeline.consultation import consultation_facts


@pytest.fixture(scope="module")
def facts(real_documents):
    return consultation_facts(real_documents)


def by_id(facts, doc_suffix: str, fact_id: str):
    return next(f for f in facts if f.doc_id.endswith(doc_suffix) and f.fact_id == fact_id)


def test_organiser_period_and_status(facts):
    assert by_id(facts, "announcement", "organizer").value == "市公安局"
    start, end = by_id(facts, "announcement", "period_start"), by_id(facts, "announcement", "period_end")
    assert (start.value_date, end.value_date) == ("2022-02-01", "2022-03-03")
    assert start.flag is None and "agrees with the announcement" in start.note
    assert by_id(facts, "announcement", "status").value == "已结束"


def test_channels_and_contacts(facts):
    channels = {f.name: f.contact for f in facts if f.category == "channel" and f.doc_id.endswith("announcement")}
    assert channels == {"网站留言": None, "信函": "六安市公安局刑事侦查支队", "传真": "0564-3378035",
                        "电子邮件": "xjzdxjzd@163.com", "电话": "0564-3132119"}
    tab = {f.name: f.contact for f in facts if f.category == "channel" and f.doc_id.endswith("channels")}
    assert tab["电话渠道"] == "0564-3132119"
    assert tab["来信来访渠道"].startswith("六安市佛子岭中路169号")


def test_no_feedback_was_received(facts):
    received = [f for f in facts if f.fact_id == "feedback-received"]
    assert received and all(f.value_number == 0 for f in received)
    assert by_id(facts, "feedback_summary", "feedback-date").value_date == "2022-04-01"


def test_drafting_timeline_in_order(facts):
    timeline = [(f.name, f.value_date, f.flag) for f in facts if f.doc_id.endswith("drafting_explanation") and f.category == "timeline"]
    assert [t[0] for t in timeline][2:] == ["启动相关工作", "在市行政中心召开市反对拐卖人口行动联席会议成员单位座谈会",
                                            "送市司法局进行合法性审查", "形成《六安市反对拐卖人口行动实施方案》送审稿"]
    assert timeline[2][1:] == (None, "date_incomplete")  # 2022年1: the month survives, the day does not
    assert timeline[3][1:] == (None, "year_missing")
    assert timeline[5][1:] == ("2022-04-05", None)


def test_damaged_dates_are_resolved_only_where_confirmed(facts):
    interpretation = [f for f in facts if f.doc_id.endswith("interpretation") and f.category == "timeline"]
    issue = next(f for f in interpretation if f.value == "202246日")
    assert (issue.value_date, issue.flag) == ("2022-04-06", "date_resolved")
    assert issue.note.endswith("is dated 2022-04-06")
    plan = next(f for f in interpretation if f.value == "202149日")
    assert (plan.value_date, plan.flag) == ("2021-04-09", "date_resolved")
    assert "drafting_explanation line 41" in plan.note
    started = next(f for f in interpretation if f.value == "20221")
    assert (started.value_date, started.flag) == (None, "date_incomplete")


def test_interpretation_figures(facts):
    figures = {(f.name, f.value_number, f.unit_of_measure) for f in facts if f.doc_id.endswith("interpretation") and f.category == "figure"}
    assert {("找回历年失踪被拐儿童", 15, "名"), ("失踪被拐少女", 12, "名"), ("市直相关单位", 12, "个")} <= figures
