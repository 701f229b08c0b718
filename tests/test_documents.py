"""Reading sources and cutting them into documents; the command line's handling of bad input."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import SourceError
from pipeline.load import load_documents
from pipeline.sources import read_source

ROOT = Path(__file__).resolve().parents[1]


def run_pipeline(*args: str, cwd: Path = ROOT, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True, env=env)


def test_eight_documents_with_their_kinds(real_documents):
    assert [d.kind for d in real_documents] == [
        "issued_notice", "consultation_announcement", "drafting_explanation", "consultation_draft",
        "consultation_channels", "feedback_summary", "final_text", "interpretation"]


def test_issued_notice_header(real_documents):
    notice = real_documents[0]
    assert notice.title == "六安市人民政府办公室关于印发六安市反对拐卖人口行动实施方案的通知"
    assert (notice.doc_number, notice.issuer, notice.issue_date) == ("六政办秘〔2022〕49号", "六安市人民政府办公室", "2022-04-06")
    assert notice.recipients == "各县区人民政府，市开发区管委，市政府有关部门、有关直属机构"


def test_embedded_documents(real_documents):
    kinds = {d.kind: d for d in real_documents}
    assert kinds["consultation_draft"].label == "征求意见稿"
    assert kinds["final_text"].doc_number is None  # the page does not print it
    assert kinds["final_text"].issue_date == "2022-04-06"
    assert kinds["interpretation"].title == "关于《六安市反对拐卖人口行动实施方案》的政策解读"
    assert kinds["consultation_announcement"].issuer == "市公安局"


@pytest.fixture()
def raw_copy(tmp_path) -> Path:
    raw = tmp_path / "raw 原始"  # spaces and Chinese characters in the path
    shutil.copytree(ROOT / "raw", raw)
    return raw


def test_stage_writes_parquet_and_csv_with_the_same_rows(raw_copy, tmp_path):
    out = tmp_path / "out"
    result = run_pipeline("documents", "--raw", str(raw_copy), "--out", str(out))
    assert result.returncode == 0, result.stderr
    parquet = pd.read_parquet(out / "documents.parquet")
    csv = pd.read_csv(out / "documents.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(parquet) == len(csv) == 8
    assert list(parquet["doc_id"]) == list(csv["doc_id"])
    assert (out / "documents.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_a_gbk_copy_is_read_not_rejected(tmp_path):
    text = (ROOT / "raw" / "luan-2022-49-issued-notice.txt").read_text(encoding="utf-8")
    gbk = tmp_path / "notice-gbk.txt"
    gbk.write_bytes(text.encode("gb18030"))
    source = read_source(gbk)
    assert [ln.text for ln in source.lines] == text.splitlines()


@pytest.mark.parametrize("name,content,message", [
    ("empty.txt", b"", "file is empty"),
    ("junk.bin", bytes(range(256)) * 8, "not a text, PDF, DOCX or HTML file"),
])
def test_a_bad_source_is_named_and_skipped(raw_copy, tmp_path, name, content, message):
    (raw_copy / name).write_bytes(content)
    out = tmp_path / "out"
    result = run_pipeline("documents", "--raw", str(raw_copy), "--out", str(out))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and message in lines[0] and "Traceback" not in result.stderr
    assert len(pd.read_parquet(out / "documents.parquet")) == 8  # the other sources were processed


def test_missing_raw_folder_leaves_outputs_untouched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "documents.csv").write_text("earlier output")
    result = run_pipeline("all", "--raw", str(tmp_path / "nowhere"), "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nowhere'}: raw folder not found"
    assert (out / "documents.csv").read_text() == "earlier output"
    assert sorted(p.name for p in out.iterdir()) == ["documents.csv"]


def test_duplicate_copy_is_skipped(raw_copy):
    shutil.copy(raw_copy / "luan-2022-49-issued-notice.txt", raw_copy / "zz-copy.txt")
    with pytest.raises(SourceError, match="zz-copy.txt: same bytes as luan-2022-49-issued-notice.txt"):
        load_documents(raw_copy)
