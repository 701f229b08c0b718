"""The honest audit: what could not be read is never reported as deleted, measures keep one identity
across versions, and a run that skipped anything says so and ends with exit status 1."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from pipeline.changes import Item, Version, audit, change_rows, measure_history, render_report, summary

ROOT = Path(__file__).resolve().parents[1]
NOTICE = (ROOT / "raw" / "luan-2022-49-issued-notice.txt").read_text(encoding="utf-8")


def m(unit: str, phase: str, label: str, text: str) -> Item:
    return Item("annex", (unit, phase), label, text, f"x.txt:{unit}{label}")


def version(doc_id: str, date: str, items: list[Item]) -> Version:
    return Version(doc_id, {"issue_date": date, "kind": "issued_notice", "doc_number": "某政办〔2022〕1号"}, items)


V1 = version("v1", "2022-01-01", [
    m("市公安局", "2022", "1", "落实团圆行动要求。"),
    m("市公安局", "2022", "2", "重点打击拐卖妇女儿童案件。"),
    m("市公安局", "2022", "3", "做好年终宣传工作"),
    m("市民政局", "2022", "1", "规范救助程序。"),
    m("市民政局", "2022", "2", "加强关爱。"),
    m("市妇联", "2030", "", "做好总结、宣传等工作"),
    m("市教体局", "2022", "1", "开展宣传教育，营造全民反拐氛围。"),
    m("市教体局", "2022", "2", "提高群众意识。"),
])
V2 = version("v2", "2023-01-01", [
    m("市公安局", "2022", "1", "重点打击拐卖妇女儿童案件。"),              # renumbered 2 -> 1
    m("市公安局", "2022", "2", "做好年终宣传工作。"),                      # punctuation
    m("市民政局", "2022", "1", "规范救助程序。"),
    m("市民政局", "2022", "2", "落实团圆行动要求。"),                      # moved from 市公安局
    m("市民政局", "2022", "3", "培育发展儿童类社会组织。"),                 # added
    m("市妇联", "2030", "", "做好总结、宣传等工作"),                       # 加强关爱 deleted
    m("市教体局", "2022", "1", "开展宣传教育，营造全民反拐氛围。提高群众意识。"),  # merged
])
V3 = version("v3", "2024-01-01", [
    m("市公安局", "2022", "1", "依法重点打击拐卖妇女儿童犯罪案件。"),        # reworded
    m("市公安局", "2022", "2", "做好年终宣传工作。"),
    m("市民政局", "2022", "1", "规范救助程序。"),
    m("市民政局", "2022", "2", "落实团圆行动要求。"),                      # 培育… deleted
    m("市妇联", "2030", "", "做好总结、宣传等工作"),
    m("市教体局", "2022", "1", "开展宣传教育，营造全民反拐氛围。"),         # split again
    m("市教体局", "2022", "2", "提高群众意识。"),
])


def history_of(rows: list[dict], first_text: str) -> list[tuple]:
    """(present, change_type, text) per version of the measure whose first text is `first_text`."""
    measure_id = next(r["measure_id"] for r in rows if r["text"] == first_text)
    return [(r["present"], r["change_type"], r["text"]) for r in rows if r["measure_id"] == measure_id]


# --------------------------------------------------------------------------- lineage

def test_a_chain_of_three_versions_gives_the_expected_lineage():
    rows = measure_history([V1, V2, V3])
    assert len({r["measure_id"] for r in rows}) == 12  # 8 + added + merged + two split parts
    assert len(rows) == 12 * 3  # one row per measure per version
    assert history_of(rows, "重点打击拐卖妇女儿童案件。") == [
        (True, None, "重点打击拐卖妇女儿童案件。"), (True, "renumbered", "重点打击拐卖妇女儿童案件。"),
        (True, "reworded", "依法重点打击拐卖妇女儿童犯罪案件。")]
    moved = history_of(rows, "落实团圆行动要求。")
    assert [c for _, c, _ in moved] == [None, "moved", "unchanged"]
    assert [c for _, c, _ in history_of(rows, "做好年终宣传工作")] == [None, "punctuation", "unchanged"]
    assert history_of(rows, "加强关爱。") == [(True, None, "加强关爱。"), (False, "deleted", None), (False, None, None)]
    assert history_of(rows, "培育发展儿童类社会组织。") == [
        (False, None, None), (True, "added", "培育发展儿童类社会组织。"), (False, "deleted", None)]


def test_split_and_merge_give_new_ids_linked_to_their_parents():
    rows = measure_history([V1, V2, V3])
    by_id: dict[str, list[dict]] = {}
    for r in rows:
        by_id.setdefault(r["measure_id"], []).append(r)
    merged = next(i for i, rs in by_id.items() if rs[1]["text"] == "开展宣传教育，营造全民反拐氛围。提高群众意识。")
    parents = by_id[merged][1]["linked_ids"].split("；")
    assert [by_id[p][0]["text"] for p in parents] == ["开展宣传教育，营造全民反拐氛围。", "提高群众意识。"]
    for p in parents:
        assert (by_id[p][1]["present"], by_id[p][1]["change_type"], by_id[p][1]["linked_ids"]) == (False, "merged", merged)
    assert (by_id[merged][2]["present"], by_id[merged][2]["change_type"]) == (False, "split")
    children = by_id[merged][2]["linked_ids"].split("；")
    assert len(children) == 2 and not set(children) & set(parents)  # a split gives new ids, not the old ones
    assert [(by_id[c][2]["change_type"], by_id[c][2]["linked_ids"]) for c in children] == [("split", merged)] * 2


def test_ids_are_deterministic_and_do_not_depend_on_file_names():
    renamed = [replace(v, doc_id=f"other-name-{k}",
                       items=[replace(i, source=i.source.replace("x.txt", "y.txt")) for i in v.items])
               for k, v in enumerate([V1, V2, V3])]
    ids = [r["measure_id"] for r in measure_history([V1, V2, V3])]
    assert ids == [r["measure_id"] for r in measure_history([V1, V2, V3])]
    assert ids == [r["measure_id"] for r in measure_history(renamed)]


def test_the_seeds_keep_one_id_per_measure_across_versions():
    history = pd.read_parquet(ROOT / "data" / "measure_history.parquet")
    measures = pd.read_parquet(ROOT / "data" / "annex_measures.parquet")
    assert history.measure_id.nunique() == 117 and history.present.all()
    joined = measures.merge(history, on=["doc_id", "unit", "phase", "seq"], how="left")
    assert joined.measure_id.notna().all()  # every annex measure has its id
    assert sorted(history.change_type.dropna().unique()) == ["punctuation", "unchanged"]


# --------------------------------------------------------------------------- not compared is not deleted

def test_an_unreadable_annex_is_not_compared_and_nothing_is_deleted():
    unread = replace(V2, items=[], unread={"annex": "v2.txt: annex table header not recognised near line 9"})
    result = audit(V1, unread)
    assert [c for c in result.changes if c.scope == "annex"] == []
    annex = [c for c in result.comparisons if c.scope == "annex"]
    assert [(c.part, c.status) for c in annex] == [("all", "not_compared")]
    assert "v2.txt" in annex[0].reason and "line 9" in annex[0].reason
    html = render_report(summary(V1, unread, result), change_rows(V1, unread, result))
    assert "未比对 Not compared" in html and "v2.txt: annex table header not recognised" in html
    # The lineage goes on across the unread version: same ids, unknown presence there.
    rows = measure_history([V1, unread, V3])
    assert [p for p, _, _ in history_of(rows, "规范救助程序。")] == [True, None, True]
    assert history_of(rows, "加强关爱。")[1] == (None, "not_compared", None)


def test_a_partial_annex_gives_no_deletions_for_the_missing_part():
    read = [i for i in V1.items if i.place[0] != "市公安局" and i.text != "加强关爱。"]
    partial = replace(V1, doc_id="v1p", items=read, missing_parts=("市公安局",),
                      partial_reason="v1p.txt: annex read in part (市公安局)")
    result = audit(V1, partial)
    assert [(c.change_type, c.old.text) for c in result.changes] == [("deleted", "加强关爱。")]  # the part read
    assert [(c.part, c.status) for c in result.comparisons if c.scope == "annex"] == [
        ("all", "compared"), ("市公安局", "not_compared")]
    # The other way round, nothing in the missing part is reported as added.
    assert [c.change_type for c in audit(partial, V1).changes] == ["added"]
    rows = measure_history([V1, partial])
    assert history_of(rows, "落实团圆行动要求。")[1] == (None, "not_compared", None)
    # Read again in full: the measures of the missing part come back with their ids.
    rows = measure_history([V1, partial, replace(V1, doc_id="v1again")])
    assert history_of(rows, "落实团圆行动要求。") == [
        (True, None, "落实团圆行动要求。"), (None, "not_compared", None), (True, "unchanged", "落实团圆行动要求。")]
    # A measure first seen in a part that the version before could not read is not called added.
    grown = replace(V1, doc_id="v3", items=V1.items + [m("市公安局", "2022", "4", "新增措施。")])
    assert history_of(measure_history([V1, partial, grown]), "新增措施。")[2] == (True, "not_compared", "新增措施。")


# --------------------------------------------------------------------------- the whole run

def run_all(raw: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "all", "--raw", str(raw), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True)


@pytest.fixture(scope="module")
def placeholder_run(tmp_path_factory):
    """The issued notice and a copy whose annex is replaced by a placeholder line."""
    raw = tmp_path_factory.mktemp("raw")
    # The notice as its Word file: a table rebuilt from broken text alone is not published.
    shutil.copy(ROOT / "tests" / "fixtures" / "luan-2022-49-issued-notice.docx", raw / "notice.docx")
    # Another number: a file of the same number and date would be the same version, read from the notice.
    head = NOTICE[:NOTICE.index(" 附件\n")].replace("〕49号", "〕50号")
    (raw / "revision.txt").write_text(head + " 附件\n（重点任务推进表另见扫描件）\n", encoding="utf-8")
    out = raw.parent / "out"
    return run_all(raw, out), out


def test_a_placeholder_annex_is_not_compared_and_the_run_says_so(placeholder_run):
    result, out = placeholder_run
    assert result.returncode == 1
    changes = pd.read_parquet(out / "changes.parquet")
    assert not ((changes.scope == "annex") & changes.change_type.isin(["deleted", "added"])).any()
    comparisons = pd.read_parquet(out / "comparisons.parquet")
    annex = comparisons[comparisons.scope == "annex"]
    assert list(annex.status) == ["not_compared"] and annex.reason.iloc[0].startswith("revision.txt: ")
    status = pd.read_parquet(out / "annex_status.parquet").set_index("doc_id")
    assert status.loc["revision", "status"] == "refused" and status.loc["notice", "status"] == "complete"
    assert "== summary" in result.stdout and "not compared:" in result.stdout and "exit status 1" in result.stdout
    assert "revision (issued_notice, 2022-04-06): annex refused, 0 measures" in result.stdout
    report = next((out / "reports").glob("*.html")).read_text(encoding="utf-8")
    assert report.index("class=banner") < report.index("Summary 汇总")


def test_a_missing_annex_is_named_with_its_reference(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "notice.txt").write_text(NOTICE, encoding="utf-8")
    # 附件：… but no table; another number, else it would be a file of the notice's own version.
    (raw / "scanned.txt").write_text(NOTICE[:NOTICE.index(" 附件\n")].replace("〕49号", "〕50号"), encoding="utf-8")
    result = run_all(raw, tmp_path / "out")
    assert result.returncode == 1
    assert "error: scanned.txt: issued_notice at line 176 (附件：重点任务推进表) refers to an annex but no annex " \
           "table follows (annex not read)" in result.stderr
    status = pd.read_parquet(tmp_path / "out" / "annex_status.parquet").set_index("doc_id")
    assert status.loc["scanned", "status"] == "missing"
    changes = pd.read_parquet(tmp_path / "out" / "changes.parquet")
    assert (changes.scope != "annex").all()


def test_the_summary_of_the_seeds_exits_zero():
    result = subprocess.run([sys.executable, "-m", "pipeline", "summary", "--raw", "raw", "--out", "data"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sources: 2 of 2 read" in result.stdout and "problems: none" in result.stdout
    assert "luan-2022-49-issued-notice (issued_notice, 2022-04-06): annex complete, 117 measures" in result.stdout


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed (CI installs it)")
def test_the_banner_shows_at_the_top_in_a_real_browser(placeholder_run, tmp_path):
    _, out = placeholder_run
    report = next((out / "reports").glob("*.html"))
    shot = tmp_path / "shot.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,1600",
                    report.as_uri()], check=True, capture_output=True, timeout=120)
    from PIL import Image
    top = Image.open(shot).convert("RGB").crop((0, 0, 1200, 400))
    colours = dict((c, n) for n, c in top.getcolors(1200 * 400))
    assert colours.get((0xff, 0xf3, 0xcd), 0) > 50_000  # the banner's background fills the top of the page
