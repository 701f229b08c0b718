"""Bad input: each problem is named in one line, the right exit status, the other sources processed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
NOTICE = (ROOT / "raw" / "luan-2022-49-issued-notice.txt").read_text(encoding="utf-8")
PAGE = (ROOT / "raw" / "luan-2022-consultation-page.txt").read_text(encoding="utf-8")


def run_all(raw: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "all", "--raw", str(raw), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True)


def test_a_notice_without_an_annex_still_gives_its_clauses(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    # The notice still says 附件：重点任务推进表, so its annex is missing, not absent: named, exit status 1.
    (raw / "no-annex.txt").write_text(NOTICE[:NOTICE.index(" 附件\n")], encoding="utf-8")
    result = run_all(raw, tmp_path / "out")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: no-annex.txt: issued_notice at line 176 (附件：重点任务推进表)")
    assert len(pd.read_parquet(tmp_path / "out" / "clauses.parquet")) == 11
    assert len(pd.read_parquet(tmp_path / "out" / "annex_measures.parquet")) == 0


def test_a_notice_that_refers_to_no_annex_is_read_in_full(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    text = NOTICE[:NOTICE.index(" 附件\n")].replace("附件：重点任务推进表\n", "")
    (raw / "plain.txt").write_text(text, encoding="utf-8")
    result = run_all(raw, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert list(pd.read_parquet(tmp_path / "out" / "annex_status.parquet")["status"]) == ["none"]


def test_an_annex_with_a_column_missing_is_named_and_the_rest_processed(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    lines = PAGE.splitlines()
    # The 2030 column says 做好总结… in every row: without it the rows have three cells for four columns.
    (raw / "page.txt").write_text("\n".join(ln for ln in lines if not ln.startswith("做好总结")), encoding="utf-8")
    (raw / "notice.txt").write_text(NOTICE, encoding="utf-8")
    result = run_all(raw, tmp_path / "out")
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    page_errors = [e for e in errors if e.startswith("error: page.txt: ")]
    assert len(page_errors) == 2 and all(e.startswith("error: page.txt: annex row 市公安局 at line") for e in page_errors)
    assert "3 cells for 4 columns" in page_errors[0]
    # With the page's tables unread, nothing confirms the table rebuilt from the notice's broken text.
    assert [e for e in errors if e not in page_errors] == [
        "error: notice.txt: annex of the issued_notice is text extracted from a PDF, whose table can only be rebuilt "
        "by inference, and no clean copy of the table (a PDF, DOCX or web page of it) confirms the rebuilt table: "
        "put the PDF or DOCX in the raw folder (skipped)"]
    assert len(pd.read_parquet(tmp_path / "out" / "annex_measures.parquet")) == 0
    clauses = pd.read_parquet(tmp_path / "out" / "clauses.parquet")
    assert "notice" in set(clauses["doc_id"])  # the rest of the notice is still processed


def test_two_files_claiming_one_document_number_are_both_kept_and_named(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(NOTICE, encoding="utf-8")
    (raw / "b.txt").write_text(NOTICE.replace("2022 年 4 月 6 日", "2022 年 4 月 8 日"), encoding="utf-8")
    result = run_all(raw, tmp_path / "out")
    assert result.returncode == 1
    assert "error: b.txt: claims document number 六政办秘〔2022〕49号 like a.txt (both kept)" in result.stderr.splitlines()
    documents = pd.read_parquet(tmp_path / "out" / "documents.parquet")
    assert list(documents["doc_id"]) == ["a", "b"]


def test_a_table_cut_off_mid_row_is_named_with_its_line(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    lines = NOTICE.splitlines()
    (raw / "cut.txt").write_text("\n".join(lines[:lines.index("年人员。") + 1]), encoding="utf-8")
    result = run_all(raw, tmp_path / "out")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: cut.txt: annex table ends mid-row at line")
    assert "Traceback" not in result.stderr
    assert len(pd.read_parquet(tmp_path / "out" / "clauses.parquet")) == 11
