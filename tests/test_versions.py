"""One notice in several files: ids that never clash, one plan version, twins cross-checked."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from pipeline.load import load_documents
from pipeline.problems import collect_problems
from pipeline.records import plan_versions
from pipeline.sources import source_stems
from pipeline.versions import twin_report

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
NOTICE = "luan-2022-49-issued-notice"
TEXT = (ROOT / "raw" / f"{NOTICE}.txt").read_text(encoding="utf-8")


def folder(path: Path, files: dict[str, Path | str]) -> Path:
    """A raw folder holding fixture copies (Path) or texts (str) under the given names."""
    path.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy(content, target)
        else:
            target.write_text(content, encoding="utf-8")
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True)


# --------------------------------------------------------------------------- ids

def test_a_name_without_clash_keeps_its_stem():
    assert source_stems(["luan-2022-49-issued-notice.txt", "luan-2022-consultation-page.txt"]) == {
        "luan-2022-49-issued-notice.txt": "luan-2022-49-issued-notice",
        "luan-2022-consultation-page.txt": "luan-2022-consultation-page"}


def test_names_that_differ_by_extension_case_or_folder_never_share_an_id():
    names = ["rev.pdf", "rev.docx", "Notice.txt", "notice.txt", "a/x.txt", "a-x.txt", "b/x.txt", "solo.txt"]
    stems = source_stems(names)
    assert stems["rev.pdf"] == "rev.pdf" and stems["rev.docx"] == "rev.docx"
    assert stems["solo.txt"] == "solo" and stems["b/x.txt"] == "b-x"
    assert len({s.casefold() for s in stems.values()}) == len(names)
    assert stems == source_stems(list(reversed(names)))  # the order files are listed in does not matter


# --------------------------------------------------------------------------- grouping

def test_pdf_and_docx_of_one_notice_are_one_version_with_no_difference(tmp_path):
    # The PDF alone leaves one cell in doubt (a paragraph may end at a full line); the Word table
    # reads it the same way, which settles it: no problem is reported (one would raise here).
    raw = folder(tmp_path / "raw", {f"{NOTICE}.pdf": FIXTURES / f"{NOTICE}.pdf",
                                    f"{NOTICE}.docx": FIXTURES / f"{NOTICE}.docx"})
    documents = load_documents(raw)
    assert [d.doc_id for d in plan_versions(documents)] == [f"{NOTICE}.docx"]  # the Word table is published
    assert [(d.doc_id, d.version_of) for d in documents if d.is_twin] == [(f"{NOTICE}.pdf", f"{NOTICE}.docx")]
    [entry] = twin_report(documents)
    assert entry["differences"] == 0 and len(entry["checks"]) == 1
    check = entry["checks"][0]
    assert check["measures"]["exact"] == 117 and check["clauses"]["exact"] == 11 and check["header"] == []


def test_an_altered_twin_gives_the_difference_with_both_readings(tmp_path):
    altered = TEXT.replace("出生人口监测，规范出", "出生人口统计，规范出").replace("切实做好我市", "切实抓好我市")
    assert altered.count("统计，规范出") == 1 and altered.count("切实抓好我市") == 1
    raw = folder(tmp_path / "raw", {"rev.docx": FIXTURES / f"{NOTICE}.docx", "rev.txt": altered})
    documents = load_documents(raw)
    assert [d.doc_id for d in plan_versions(documents)] == ["rev.docx"]
    [entry] = twin_report(documents)
    check = entry["checks"][0]
    [measure] = check["measures"]["different"]
    assert "出生人口监测" in measure["a"] and "出生人口统计" in measure["b"]
    [clause] = check["clauses"]["different"]
    assert clause["clause_id"] == "0" and "切实做好" in clause["a"] and "切实抓好" in clause["b"]
    assert entry["differences"] == 2


def test_same_stem_files_of_different_notices_are_two_versions(tmp_path):
    other = TEXT.replace("2022 年 4 月 6 日", "2022 年 5 月 6 日").replace("〕49号", "〕50号")
    raw = folder(tmp_path / "raw", {"rev.docx": FIXTURES / f"{NOTICE}.docx", "rev.txt": other})
    with collect_problems() as problems:
        documents = load_documents(raw)
    assert problems == []
    assert sorted(d.doc_id for d in plan_versions(documents)) == ["rev.docx", "rev.txt"]
    assert not any(d.is_twin for d in documents) and twin_report(documents) == []


def test_a_twin_that_cannot_be_read_leaves_the_version_to_the_other(tmp_path):
    lines = TEXT.splitlines()
    cut = "\n".join(lines[:lines.index("年人员。") + 1])  # the annex table ends mid-row
    raw = folder(tmp_path / "raw", {"rev.txt": cut, "rev.pdf": FIXTURES / f"{NOTICE}.pdf"})
    with collect_problems() as problems:
        documents = load_documents(raw)
        [entry] = twin_report(documents)
    assert [d.doc_id for d in plan_versions(documents)] == ["rev.pdf"]
    [problem] = problems
    assert problem.startswith("rev.txt: annex table ends mid-row at line")
    assert problem.endswith("(version rev.pdf read from rev.pdf)")
    # The PDF's annex is whole, but one cell is in doubt: in 市政府妇儿工委办's unnumbered 重点任务
    # cell a sentence ends where its line is full, and nothing else in the run settles it.
    assert [r["annex"] for r in entry["readings"]] == ["partial", "refused"]
    assert "not_compared" in entry["checks"][0]["measures"] and entry["checks"][0]["clauses"]["exact"] == 11


# --------------------------------------------------------------------------- the command line

def test_text_docx_and_pdf_of_the_notice_are_one_version_with_a_three_way_check(tmp_path):
    raw = folder(tmp_path / "raw", {f"{NOTICE}.txt": ROOT / "raw" / f"{NOTICE}.txt",
                                    f"{NOTICE}.docx": FIXTURES / f"{NOTICE}.docx",
                                    f"{NOTICE}.pdf": FIXTURES / f"{NOTICE}.pdf"})
    out = tmp_path / "out"
    result = run("all", "--raw", str(raw), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "plan versions: 1\n" in result.stdout and "no differences" in result.stdout
    documents = pd.read_parquet(out / "documents.parquet")
    assert len(documents) == 3 and documents["version_of"].notna().sum() == 2
    measures = pd.read_parquet(out / "annex_measures.parquet")
    assert len(measures) == 117 and set(measures["doc_id"]) == {f"{NOTICE}.docx"}
    assert len(pd.read_parquet(out / "comparisons.parquet")) == 0  # a version is never audited against its twin
    [entry] = json.loads((out / "quality" / "annex_quality.json").read_text(encoding="utf-8"))["twins"]
    assert entry["doc_number"] == "六政办秘〔2022〕49号" and len(entry["checks"]) == 3 and entry["differences"] == 0
    assert "one issued_notice in 3 files" in (out / "quality" / "annex_quality.md").read_text(encoding="utf-8")


def test_corpus_mode_with_same_stem_twins_and_a_broken_file_writes_the_rest(tmp_path):
    corpus = folder(tmp_path / "corpus", {f"{NOTICE}.txt": ROOT / "raw" / f"{NOTICE}.txt",
                                          f"{NOTICE}.docx": FIXTURES / f"{NOTICE}.docx",
                                          f"{NOTICE}.pdf": FIXTURES / f"{NOTICE}.pdf",
                                          "broken.pdf": "%PDF-1.4 truncated"})
    out = tmp_path / "out"
    result = run("corpus", str(corpus), "--out", str(out), "--workers", "2")
    assert result.returncode == 1
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "broken.pdf" in errors[0] and errors[0].endswith("(skipped)")
    assert "Traceback" not in result.stderr
    measures = pd.read_parquet(out / "annex_measures")
    assert len(measures) == 117 and set(measures["doc_id"].astype(str)) == {f"{NOTICE}.docx"}
    [entry] = json.loads((out / "quality" / "twins.json").read_text(encoding="utf-8"))
    assert len(entry["readings"]) == 3 and len(entry["checks"]) == 3 and entry["differences"] == 0


def test_corpus_mode_with_only_good_twins_exits_zero(tmp_path):
    corpus = folder(tmp_path / "corpus", {"x.docx": FIXTURES / f"{NOTICE}.docx", "x.pdf": FIXTURES / f"{NOTICE}.pdf"})
    result = run("corpus", str(corpus), "--out", str(tmp_path / "out"), "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert "1 plan versions published, 1 of them held by several files" in result.stdout


def test_an_unexpected_failure_of_one_file_is_one_line(tmp_path, monkeypatch):
    """Not a SourceError but a bug: the file is named and skipped, the others written."""
    from pipeline import corpus, versions

    corpus_dir = folder(tmp_path / "corpus", {"a.docx": FIXTURES / f"{NOTICE}.docx", "b.txt": TEXT.replace("〕49号", "〕51号")})
    original = versions.read_plan

    def flaky(doc, key=None):
        if doc.source.name == "b.txt":
            raise ZeroDivisionError("division by zero")
        return original(doc, key)

    monkeypatch.setattr(versions, "read_plan", flaky)
    results = [corpus.process_file(corpus_dir / name, corpus_dir) for name in ("a.docx", "b.txt")]
    run_ = corpus.CorpusRun(results)
    run_.problems += [f"{r.error} (skipped)" for r in results if r.error]
    corpus.write_corpus(run_, corpus.resolve_versions(run_), tmp_path / "out", corpus_dir)
    assert run_.problems == ["b.txt: ZeroDivisionError: division by zero (skipped)"]
    assert results[1].trace and "Traceback" in results[1].trace
    assert set(pd.read_parquet(tmp_path / "out" / "annex_measures")["doc_id"].astype(str)) == {"a"}
