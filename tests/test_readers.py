"""PDF and DOCX sources: the same datasets as the text source, and bad files named, not half-read.

The fixtures in tests/fixtures are written by scripts/make_fixtures.py from the issued notice in
raw/: a Word document with the annex as a real table, LibreOffice's PDF of it, and a PDF of the
same table drawn without ruling lines.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest

from pipeline.annex import measure_rows, parse_all
from pipeline.outline.clauses import parse_outline
from pipeline.documents import document_rows
from pipeline.errors import SourceError
from pipeline.plan import split_plan
from pipeline.outline.responsibilities import parse_responsibilities
from pipeline.load import load_documents
from pipeline.sources import read_source, sniff_format
from pipeline.textnorm import normalize_key, without_spread_spaces

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
NOTICE = "luan-2022-49-issued-notice"
PROVENANCE = {"doc_id", "source_file", "source_sha256", "source_format", "line_start", "line_end",
              "page_start", "page_end", "text_key"}


def datasets(raw: Path) -> dict[str, list[tuple]]:
    """Every dataset of a raw folder's issued notice, on the normalised key, provenance left out."""
    every = load_documents(raw)
    documents = [d for d in every if d.kind == "issued_notice"]
    notices = {d.doc_id for d in documents}
    clauses = [parse_outline(split_plan(d)) for d in documents]
    tables = {"documents": document_rows(documents),
              "clauses": [asdict(c) for cs in clauses for c in cs],
              "responsibilities": [asdict(r) for d, cs in zip(documents, clauses)
                                   for r in parse_responsibilities(cs, d.lines)],
              "annex_measures": [r for p in parse_all(every) if p.document.doc_id in notices for r in measure_rows(p)]}
    return {name: sorted(tuple((k, normalize_key(str(v))) for k, v in sorted(row.items()) if k not in PROVENANCE)
                         for row in rows)
            for name, rows in tables.items()}


def raw_with(tmp_path: Path, *files: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copy(f, raw / f.name)
    return raw


@pytest.fixture(scope="module")
def from_text(tmp_path_factory) -> dict[str, list[tuple]]:
    # The consultation page's clean table confirms the table rebuilt from the notice's broken text.
    return datasets(raw_with(tmp_path_factory.mktemp("text"), ROOT / "raw" / f"{NOTICE}.txt",
                             ROOT / "raw" / "luan-2022-consultation-page.txt"))


@pytest.mark.parametrize("fixture", [f"{NOTICE}.docx", f"{NOTICE}.pdf", f"{NOTICE}-unruled.pdf", f"{NOTICE}-browser.pdf",
                                     f"{NOTICE}-unruled-layout.txt"])
def test_the_datasets_equal_those_from_the_text_source(fixture, from_text, tmp_path):
    from_file = datasets(raw_with(tmp_path, FIXTURES / fixture))
    for name, rows in from_text.items():
        assert from_file[name] == rows, name
    assert len(from_file["annex_measures"]) == 117 and len(from_file["clauses"]) == 11


def test_a_browser_printed_pdf_publishes_real_ideographs_and_no_library_noise(tmp_path):
    """Chromium's print-to-PDF leaves rows cut by a page break open (no rule at the cut), puts
    look-alike radicals (⼈ ⺠) in the text layer with the real characters in ActualText, and uses
    fonts pdfminer warns about."""
    raw = raw_with(tmp_path, FIXTURES / f"{NOTICE}-browser.pdf")
    run = subprocess.run([sys.executable, "-m", "pipeline", "all", "--raw", str(raw), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    measures = pd.read_parquet(tmp_path / "out" / "annex_measures.parquet")
    assert len(measures) == 117 and measures["unit"].nunique() == 12
    for csv in (tmp_path / "out").glob("*.csv"):
        text = csv.read_text(encoding="utf-8-sig")
        assert not any(0x2E80 <= ord(ch) <= 0x2FDF for ch in text), csv.name
    clauses = pd.read_parquet(tmp_path / "out" / "clauses.parquet")
    assert "2021—2030" in clauses["text"].iloc[0]  # the dash from ActualText, not U+2015


def test_the_format_comes_from_the_bytes_not_the_name(tmp_path):
    disguised = tmp_path / "notice.txt"
    shutil.copy(FIXTURES / f"{NOTICE}.pdf", disguised)
    assert read_source(disguised).format == "pdf"
    assert sniff_format((FIXTURES / f"{NOTICE}.docx").read_bytes()) == "docx"


@pytest.fixture(scope="module")
def pdf_source():
    return read_source(FIXTURES / f"{NOTICE}.pdf")


def test_pdf_lines_keep_their_pages_and_lose_the_page_numbers(pdf_source):
    pages = {ln.page for ln in pdf_source.lines}
    assert pages == set(range(1, 10))
    assert not any(normalize_key(ln.text).startswith("—") for ln in pdf_source.lines)
    assert [ln.lineno for ln in pdf_source.lines] == list(range(1, len(pdf_source.lines) + 1))


def test_pdf_table_cells_have_their_grid_place(pdf_source):
    cells = [ln for ln in pdf_source.lines if ln.cell is not None]
    header = [ln.text for ln in cells if ln.cell.row == 0]
    assert header == ["单位", "重点任务", "年度推进举措"]
    spanning = next(ln.cell for ln in cells if ln.text == "年度推进举措")
    assert (spanning.col, spanning.colspan) == (2, 3)
    # The unit column is so narrow that names wrap: 市公安局 is read over two lines of one cell.
    unit = [ln.text for ln in cells if ln.cell.row == 2 and ln.cell.col == 0]
    assert "".join(unit) == "市公安局" and len(unit) == 2


@pytest.mark.parametrize("fixture", [f"{NOTICE}.pdf", f"{NOTICE}-unruled.pdf"])
def test_a_measure_cut_by_a_page_break_is_one_measure_with_both_pages(fixture, tmp_path):
    documents = load_documents(raw_with(tmp_path, FIXTURES / fixture))
    measures = [m for p in parse_all(documents) for m in p.table.measures]
    across = [m for m in measures if m.page_start != m.page_end]
    assert across and all(m.page_end == m.page_start + 1 for m in across)
    assert all(m.page_start is not None for m in measures)


def test_docx_lines_count_paragraphs_and_carry_no_pages(tmp_path):
    source = read_source(FIXTURES / f"{NOTICE}.docx")
    assert source.format == "docx" and all(ln.page is None for ln in source.lines)
    linenos = [ln.lineno for ln in source.lines]
    assert linenos == sorted(linenos) and len(set(linenos)) == len(linenos)
    merged = [ln for ln in source.lines if ln.cell is not None and ln.text in ("单位", "年度推进举措")]
    assert [(ln.cell.row, ln.cell.col, ln.cell.colspan) for ln in merged] == [(0, 0, 1), (0, 2, 3)]


# --------------------------------------------------------------------------- bad files

def _truncated_pdf() -> bytes:
    data = (FIXTURES / f"{NOTICE}.pdf").read_bytes()
    return data[:len(data) // 3]


def _zip_of(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


BAD_FILES = {
    "corrupt.pdf": (b"%PDF-1.7\n" + bytes(range(256)) * 40, "is not a readable PDF"),
    "truncated.pdf": (_truncated_pdf(), "is not a readable PDF"),
    "password-protected.pdf": ((FIXTURES / "password-protected.pdf").read_bytes(), "PDF is password-protected"),
    "scanned-notice.pdf": ((FIXTURES / "scanned-notice.pdf").read_bytes(), "PDF has no text layer (scanned pages?); run OCR"),
    "fake.docx": (_zip_of("data/records.csv", b"a,b\n1,2\n"), "is a ZIP file but not a Word document"),
    "broken.docx": ((FIXTURES / f"{NOTICE}.docx").read_bytes()[:5000], "is not a readable DOCX"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_is_a_one_line_error_naming_it(name, tmp_path):
    data, message = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SourceError) as error:
        read_source(path)
    assert str(error.value).startswith(f"{path}: ") and message in str(error.value)
    assert "\n" not in str(error.value)


def test_bad_files_are_skipped_and_the_other_sources_processed(tmp_path):
    raw = raw_with(tmp_path, FIXTURES / f"{NOTICE}.docx")
    for name, (data, _) in BAD_FILES.items():
        (raw / name).write_bytes(data)
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "pipeline", "all", "--raw", str(raw), "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    errors = result.stderr.strip().splitlines()
    assert sorted(Path(e.split(":")[1].strip()).name for e in errors) == sorted(BAD_FILES)
    assert all(e.startswith("error: ") and e.endswith("(skipped)") for e in errors)
    assert "Traceback" not in result.stderr
    assert set(pd.read_parquet(out / "documents.parquet")["doc_id"]) == {NOTICE}
    assert len(pd.read_parquet(out / "annex_measures.parquet")) == 117
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]


# --------------------------------------------------------------------------- HTML

PAGE = "luan-2022-consultation-page"


def page_datasets(raw: Path) -> dict[str, list[tuple]]:
    """Every dataset of a raw folder's consultation page on the normalised key, provenance left out
    (document ids lose the file stem; notes that cite line numbers are left out)."""
    from pipeline.consultation import consultation_facts
    documents = load_documents(raw)
    plans = [d for d in documents if d.is_plan_version]
    clauses = [parse_outline(split_plan(d)) for d in plans]
    tables = {"documents": document_rows(documents),
              "clauses": [asdict(c) for cs in clauses for c in cs],
              "responsibilities": [asdict(r) for d, cs in zip(plans, clauses) for r in parse_responsibilities(cs, d.lines)],
              "annex_measures": [r for p in parse_all(plans) for r in measure_rows(p)],
              "consultation": [asdict(f) for f in consultation_facts(documents)]}
    return {name: sorted(tuple((k, normalize_key(str(v).split("/")[-1] if k == "doc_id" else str(v)))
                               for k, v in sorted(row.items()) if k not in PROVENANCE | {"note"})
                         for row in rows)
            for name, rows in tables.items()}


def test_the_saved_page_gives_the_datasets_of_its_text_copy(tmp_path):
    from_text = page_datasets(raw_with(tmp_path / "text", ROOT / "raw" / f"{PAGE}.txt"))
    from_html = page_datasets(raw_with(tmp_path / "html", FIXTURES / f"{PAGE}.html"))
    for name, rows in from_text.items():
        assert from_html[name] == rows, name
    kinds = [row for row in from_html["documents"] if ("kind", "final_text") in row]
    assert len(kinds) == 1 and len(from_html["annex_measures"]) == 2 * 117


def test_page_furniture_is_not_read(tmp_path):
    source = read_source(FIXTURES / f"{PAGE}.html")
    text = "\n".join(ln.text for ln in source.lines)
    for furniture in ("政务公开", "当前位置", "分享到", "皖ICP备", "siteName", "请输入关键词", "无障碍"):
        assert furniture not in text
    assert [ln.text for ln in source.lines if ln.text.startswith("  • ")][:2] == ["  • 征集公告", "  • 征集渠道"]


def test_an_html_table_is_read_cell_by_cell_with_its_spans():
    source = read_source(FIXTURES / f"{PAGE}.html")
    spanning = next(ln.cell for ln in source.lines if ln.cell is not None and ln.text == "年度推进举措")
    first_period = next(ln.cell for ln in source.lines if ln.cell is not None and ln.text == "2022")
    assert (spanning.col, spanning.colspan) == (2, 3)
    assert (first_period.row, first_period.col) == (1, 2)  # 单位 and 重点任务 span two rows


def test_a_gb18030_page_with_its_charset_declared_is_read(tmp_path):
    html = (FIXTURES / f"{PAGE}.html").read_text(encoding="utf-8").replace('charset="utf-8"', 'charset="gb2312"')
    path = tmp_path / "page.html"
    path.write_bytes(html.encode("gb18030"))
    assert [ln.text for ln in read_source(path).lines] == [ln.text for ln in read_source(FIXTURES / f"{PAGE}.html").lines]


@pytest.mark.parametrize("body,message", [
    ("<h1>六安市人民政府</h1><p>欢迎访问</p>", "HTML page has none of the expected sections"),
    ("<script>var a = '一、工作目标';</script>", "HTML page has no text outside scripts and page furniture"),
])
def test_a_page_without_the_expected_sections_is_named(body, message, tmp_path):
    path = tmp_path / "page.html"
    path.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>", encoding="utf-8")
    with pytest.raises(SourceError, match=f"^{path}: {message}"):
        read_source(path)


def test_an_unpunctuated_line_stopping_well_short_of_the_edge_ends_its_paragraph():
    from pipeline.readers.pdf import _wrapped
    size, edge = 10.0, 100.0  # a column ten characters wide
    short = {"text": "做好总结工作", "x1": 60.0, "size": size}
    full = {"text": "做好总结、宣传等工", "x1": 95.0, "size": size}
    assert _wrapped(short, {"text": "开展专项行动。"}, edge) is False
    assert _wrapped(full, {"text": "作"}, edge) is True
    # A line breaker keeps a number with the mark before it (日、12.4): not a paragraph end.
    assert _wrapped({"text": "截至3月31", "x1": 60.0, "size": size}, {"text": "日、12.4万人次"}, edge) is True


def test_a_pdf_cell_whose_paragraph_end_cannot_be_seen_is_published_flagged_not_guessed():
    """A LibreOffice PDF (no structure tags) of a generated notice: in 市妇联's last cell a paragraph
    ends with 。 exactly where its line is full, and another unnumbered paragraph follows. The file
    cannot show that; the table elsewhere prints such cells, so the cell is flagged in doubt: the
    annex is partial (that cell not compared) and the run names the file, the cell and the page."""
    import json
    from pipeline.corpus import published_annex
    path = FIXTURES / "paragraph-end-in-doubt.pdf"
    truth = json.loads((FIXTURES / "paragraph-end-in-doubt.truth.json").read_text(encoding="utf-8"))
    read = published_annex(path, FIXTURES)
    assert read.doubtful == ("市妇联/2025—2030年",)
    assert read.error.startswith(f"{path.name}: issued_notice: where 1 cell(s) of unnumbered paragraphs end is not shown")
    assert "市妇联/2025—2030年 page 4" in read.error and read.error.endswith("(cells in doubt not compared)")
    cells = lambda ms: {(normalize_key(u), normalize_key(p)): [] for u, p, *_ in ms}
    published, printed = cells([]), cells([])
    for r in sorted(read.rows, key=lambda r: (r["unit_order"], r["phase_order"], r["seq"])):
        published.setdefault((normalize_key(r["unit"]), normalize_key(r["phase"])), []).append((r["label"], r["text_key"]))
    for u, p, _, label, key in truth["measures"]:
        printed.setdefault((normalize_key(u), normalize_key(p)), []).append((label, key))
    differing = {cell for cell in published.keys() | printed.keys() if published.get(cell) != printed.get(cell)}
    assert differing == {("市妇联", normalize_key("2025—2030年"))}


def test_a_cell_in_doubt_is_settled_by_a_clean_reading_of_the_same_table_in_the_run(tmp_path):
    """The LibreOffice PDF of the notice leaves one cell in doubt (市政府妇儿工委办 · 重点任务: a
    sentence ends where its line is full). Alone it is published partial and reported; beside the
    consultation page, whose final text prints the same table cell by cell (punctuation aside),
    the doubt is settled and the annex is complete."""
    from pipeline.problems import collect_problems
    alone = raw_with(tmp_path / "alone", FIXTURES / f"{NOTICE}.pdf")
    with_page = raw_with(tmp_path / "page", FIXTURES / f"{NOTICE}.pdf", ROOT / "raw" / f"{PAGE}.txt")
    for raw, status, problems_expected in ((alone, "partial", 1), (with_page, "complete", 0)):
        statuses = []
        with collect_problems() as problems:
            parse_all(load_documents(raw), statuses)
        [notice] = [s for s in statuses if s.source_file == f"{NOTICE}.pdf"]
        assert notice.status == status and len(problems) == problems_expected, problems
        if status == "partial":
            assert notice.missing_parts == notice.doubtful_parts == ("市政府妇儿工委办/重点任务",)
            assert "(市政府妇儿工委办/重点任务 page 8)" in problems[0]


def test_spaces_a_reader_put_between_chinese_characters_are_not_published():
    """Justified cells spread their characters, and the white reads as spaces; Chinese text has
    none between two wide characters, but a space beside a number or a Latin word stays."""
    assert without_spread_spaces("常 态 化 开展“2+Ｎ”招聘") == "常态化开展“2+Ｎ”招聘"
    assert without_spread_spaces("送岗进社区 ， 帮 您 来 就业”等") == "送岗进社区，帮您来就业”等"
    assert without_spread_spaces("抓 好 “ 童 心 港湾”") == "抓好“童心港湾”"
    assert without_spread_spaces("依托 12355 青少年服务台，2022 年") == "依托 12355 青少年服务台，2022 年"
