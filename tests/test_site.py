"""The site: one static page drawing every plan version's annex as the printed table, from the
published datasets only."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import pyarrow.parquet as pq
import pytest

from browser import colours, needs_chromium, screenshot
from pipeline.site import Measure, Version, render_annex, render_status, run, source_href

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The committed datasets copied beside a link to the sources, as in the repository; the site rebuilt."""
    if not (DATA / "annex_measures.parquet").exists():
        pytest.skip("no data/annex_measures.parquet: run `make all` first")
    base = tmp_path_factory.mktemp("site")
    shutil.copytree(DATA, base / "data", ignore=shutil.ignore_patterns("site"))
    (base / "raw").symlink_to(ROOT / "raw")
    run(base / "raw", base / "data")
    return base / "data"


@pytest.fixture(scope="module")
def page(built) -> str:
    return (built / "site" / "index.html").read_text(encoding="utf-8")


def sections(page: str) -> dict[str, str]:
    found = re.findall(r'<section id="(v-[^"]+)">(.*?)</section>', page, flags=re.S)
    return dict(found)


def test_the_committed_site_is_what_the_datasets_give(built):
    assert (built / "site" / "index.html").read_bytes() == (DATA / "site" / "index.html").read_bytes()


def test_same_datasets_same_bytes(built, tmp_path):
    first = (built / "site" / "index.html").read_bytes()
    run(built.parent / "raw", built)
    assert (built / "site" / "index.html").read_bytes() == first


def test_self_contained(page):
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


def test_every_version_every_measure_with_its_source(built, page):
    measures = pq.read_table(built / "annex_measures.parquet").to_pylist()
    by_section = sections(page)
    doc_ids = sorted({m["doc_id"] for m in measures})
    assert len(by_section) == len(doc_ids) >= 2
    for doc_id in doc_ids:
        section = next(s for s in by_section.values() if f"<code>{doc_id}</code>" in s)
        rows = [m for m in measures if m["doc_id"] == doc_id]
        links = re.findall(r'<a class="src" href="([^"]+)" title="([^"]+)">', section)
        assert len(links) == len(rows)
        for href, title in links:
            target = (built / "site" / unquote(href.split("#")[0])).resolve()
            assert target.is_file() and target.parent == (ROOT / "raw").resolve(), href
            assert re.fullmatch(r".+, lines \d+(–\d+)?(, pp?\. \d+(–\d+)?)?", title), title
        for m in rows:
            assert f"{m['text']}" in section.replace("&quot;", '"').replace("&#x27;", "'")


def test_units_down_phases_across_in_printed_order(built, page):
    measures = pq.read_table(built / "annex_measures.parquet").to_pylist()
    doc_id = measures[0]["doc_id"]
    section = next(s for s in sections(page).values() if f"<code>{doc_id}</code>" in s)
    annex = section[section.index('<table class="annex">'):section.index("</table>")]
    rows = [m for m in measures if m["doc_id"] == doc_id]
    phases = [p for _, p in sorted({(m["phase_order"], m["phase"]) for m in rows})]
    units = [u for _, u in sorted({(m["unit_order"], m["unit"]) for m in rows})]
    assert re.findall(r"<thead><tr><th[^>]*>单位</th>(.*?)</tr>", annex)[0] == "".join(f"<th>{p}</th>" for p in phases)
    assert re.findall(r'<th scope="row" class="unit">([^<]+)</th>', annex) == units


def test_heat_map_counts(built, page):
    measures = pq.read_table(built / "annex_measures.parquet").to_pylist()
    doc_id = measures[0]["doc_id"]
    section = next(s for s in sections(page).values() if f"<code>{doc_id}</code>" in s)
    heat = section[section.index('<table class="heat">'):]
    total = re.findall(r'<tr><th scope="row">total</th>.*?<td class="total">(\d+)</td></tr>', heat)[0]
    assert int(total) == sum(1 for m in measures if m["doc_id"] == doc_id)


def test_links_to_every_change_report(built, page):
    reports = sorted((built / "reports").glob("*.html"))
    assert reports
    for report in reports:
        href = f'href="../reports/{report.name}"'
        assert href in page
        assert (built / "site" / "../reports" / report.name).is_file()
    assert "Cross-checks" in page and "item 5 follows item 3 as printed" in page  # the quality report


def _measure(**kw) -> Measure:
    values = dict(unit="市甲局", phase="2022", seq=1, label="1", text="做好工作。", source_file="notice.pdf",
                  line_start=10, line_end=12, page_start=3, page_end=4)
    values.update(kw)
    return Measure(**values)


def test_a_pdf_measure_links_to_its_page():
    assert source_href("../../raw", _measure()) == "../../raw/notice.pdf#page=3"
    assert source_href("../../raw", _measure(source_file="a b.txt", page_start=None)) == "../../raw/a%20b.txt"


def test_a_version_not_read_completely_says_so():
    version = Version({"doc_id": "x", "kind": "issued_notice", "title": "t"},
                      {"status": "partial", "method": "rebuilt", "measures": 1, "source_file": "notice.pdf",
                       "missing_parts": "市乙局/2030", "detail": "notice.pdf: page 4: text in no measure"},
                      units=["市甲局", "市乙局"], phases=["2022", "2030"], measures=[_measure()])
    assert "Not read completely or for certain" in render_status(version) and "市乙局/2030" in render_status(version)
    table = render_annex(version, "../../raw")
    assert table.count("<td></td>") == 3  # the cells with nothing read stay empty: nothing is made up
    assert "pp. 3–4 · l. 10–12" in table


@needs_chromium
def test_legible_in_a_browser(built, tmp_path):
    shot = screenshot(built / "site" / "index.html", tmp_path / "site.png", tmp_path / "profile", (1400, 2000))
    from PIL import Image
    assert Image.open(shot).size == (1400, 2000)
    assert colours(shot) > 16
