"""The change audit: a synthetic revision with known edits, the real sources, and the HTML report."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.changes import Item, Version, audit, redline, render_report, summary, change_rows

ROOT = Path(__file__).resolve().parents[1]


def clause(cid: str, text: str) -> Item:
    return Item("body", (cid,), cid, text, f"x.txt:{cid}")


def measure(unit: str, phase: str, label: str, text: str) -> Item:
    return Item("annex", (unit, phase), label, text, "x.txt:1-1")


OLD = Version("v1", {}, [
    Item("header", ("doc_number",), "doc_number", "某政办〔2022〕1号"),
    clause("1", "进一步完善反拐工作机制。"),
    clause("2", "加强统筹协调。"),
    clause("3", "开展宣传教育，营造全民反拐氛围。提高群众意识。"),
    measure("市公安局", "2022", "1", "落实团圆行动要求。"),
    measure("市公安局", "2022", "2", "重点打击拐卖妇女儿童案件。"),
    measure("市公安局", "2022", "3", "做好年终宣传工作"),
    measure("市民政局", "2022", "1", "规范救助程序。"),
    measure("市民政局", "2022", "2", "加强关爱。"),
    measure("市妇联", "2030", "", "做好总结、宣传等工作"),
])

NEW = Version("v2", {}, [
    Item("header", ("doc_number",), "doc_number", "某政办〔2022〕1号"),
    clause("1", "进一步健全反拐工作长效机制。"),                      # reworded
    clause("2", "加强统筹协调。"),
    clause("3", "开展宣传教育，营造全民反拐氛围。"),                  # split into 3 and 4
    clause("4", "提高群众意识。"),
    measure("市公安局", "2022", "1", "重点打击拐卖妇女儿童案件。"),   # renumbered 2 -> 1
    measure("市公安局", "2022", "2", "做好年终宣传工作。"),           # punctuation fix (and renumbered)
    measure("市民政局", "2022", "1", "规范救助程序。"),
    measure("市民政局", "2022", "2", "落实团圆行动要求。"),           # moved from 市公安局
    measure("市民政局", "2022", "3", "培育发展儿童类社会组织。"),      # added
    # 市民政局 2 加强关爱。 deleted; 市妇联 2030 unchanged below
    measure("市妇联", "2030", "", "做好总结、宣传等工作"),
])


def test_synthetic_revision_is_audited_exactly():
    result = audit(OLD, NEW)
    found = sorted((c.scope, c.change_type, (c.old or c.new).text) for c in result.changes)
    assert found == sorted([
        ("body", "reworded", "进一步完善反拐工作机制。"),
        ("body", "split", "开展宣传教育，营造全民反拐氛围。提高群众意识。"),
        ("annex", "renumbered", "重点打击拐卖妇女儿童案件。"),
        ("annex", "punctuation", "做好年终宣传工作"),
        ("annex", "moved", "落实团圆行动要求。"),
        ("annex", "added", "培育发展儿童类社会组织。"),
        ("annex", "deleted", "加强关爱。"),
    ])
    assert result.unchanged == {"header": 1, "body": 1, "annex": 2}


def test_a_merge_is_the_reverse_of_a_split():
    result = audit(NEW, OLD)
    assert [(c.scope, c.change_type) for c in result.changes if c.scope == "body"] == [
        ("body", "merged"), ("body", "reworded")]


def test_redline_reads_as_words():
    assert redline("进一步完善反拐工作机制。", "进一步健全反拐工作长效机制。") == \
        "进一步[-完善-]{+健全+}反拐工作[-机制-]{+长效机制+}。"
    assert redline("严格落实一长三包责任制。", "严格落实一长三包责任制和团圆行动。") == \
        "严格落实一长三包责任制{+和团圆行动+}。"
    # Full- and half-width marks are the same mark.
    assert redline("宣扬正气,营造氛围", "宣扬正气，营造氛围。") == "宣扬正气，营造氛围{+。+}"


@pytest.fixture(scope="module")
def real_changes():
    rows = pq.read_table(ROOT / "data" / "changes.parquet").to_pylist()
    return rows


def test_draft_to_final_reports_only_the_header(real_changes):
    rows = [r for r in real_changes if r["from_doc"].endswith("consultation_draft")]
    assert {r["scope"] for r in rows} == {"header"}
    assert {(r["key"], r["change_type"]) for r in rows} == {
        ("title", "reworded"), ("label", "deleted"), ("issuer", "added"), ("issue_date", "added"), ("recipients", "added")}


def test_final_text_to_issued_notice_reports_the_number_and_a_punctuation_mark(real_changes):
    rows = [r for r in real_changes if r["to_doc"] == "luan-2022-49-issued-notice"]
    assert [(r["scope"], r["key"], r["change_type"]) for r in rows] == [
        ("header", "doc_number", "added"), ("annex", "市公安局/2022/4", "punctuation")]
    assert rows[1]["redline"].endswith("营造全民反拐氛围{+。+}")
    assert rows[1]["new_source"] == "luan-2022-49-issued-notice.txt:331-335"


def test_report_is_html_with_a_side_by_side_table():
    result = audit(OLD, NEW)
    text = render_report(summary(OLD, NEW, result), change_rows(OLD, NEW, result))
    assert text.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in text
    assert "<del>完善</del>" in text and "<ins>健全</ins>" in text and "对照表" in text


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed (CI installs it)")
def test_report_renders_in_a_real_browser(tmp_path):
    report = sorted((ROOT / "data" / "reports").glob("*.html"))[-1]
    shot = tmp_path / "shot.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1280,1600",
                    report.as_uri()], check=True, capture_output=True, timeout=120)
    from PIL import Image
    image = Image.open(shot)
    assert image.size == (1280, 1600)
    assert len(image.convert("L").getcolors(256) or []) > 16  # text, tables and colours, not a blank page
