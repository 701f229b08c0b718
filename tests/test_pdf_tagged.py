"""Tagged PDFs as LibreOffice (and Word) save them: the table comes from the structure tree, and the
header row the producer repeats on each page the table goes on to is drawn there as an artifact,
outside the structure.

tests/fixtures/tagged/ holds two rendered notices whose annex table breaks across a page:
`header-repeated.pdf` repeats its two header rows whole; `header-repeated-clipped.pdf` repeats
them with a heading set vertically in a narrow column, clipped to the repeated row's height (only
its first characters appear). `truth.json` holds the phases and measures each was drawn with.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pdfplumber
import pytest

from pipeline.corpus import published_annex
from pipeline.readers.pdf import read_pdf
from pipeline.readers.pdf_tagged import HeaderDrawing, TaggedCell, TaggedTable, _places_known, header_copy, tagged_tables
from pipeline.textnorm import normalize_key

FIXTURES = Path(__file__).parent / "fixtures" / "tagged"
TRUTH = json.loads((FIXTURES / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _quiet_pdfminer() -> None:
    logging.getLogger("pdfminer").setLevel(logging.ERROR)


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_tagged_annex_is_exact(name: str) -> None:
    path = FIXTURES / f"{name}.pdf"
    read = published_annex(path, FIXTURES)
    assert read.rows, read.error
    rows = sorted(read.rows, key=lambda r: (r["unit_order"], r["phase_order"], r["seq"]))
    published = [(normalize_key(r["unit"]), normalize_key(r["phase"]), r["seq"], r["label"], r["text_key"])
                 for r in rows]
    expected = [(normalize_key(u), normalize_key(p), seq, label, text) for u, p, seq, label, text in TRUTH[name]["measures"]]
    assert published == expected
    assert read.error is None


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_repeated_header_is_no_text_of_the_page(name: str) -> None:
    path = FIXTURES / f"{name}.pdf"
    lines = read_pdf(path.read_bytes(), path)
    with pdfplumber.open(path) as pdf:
        (table,) = tagged_tables(pdf)
        first, last = min(table.pages), max(table.pages)
        copy = header_copy(pdf.pages[last - 1], table)
        headers = normalize_key("".join(c["text"] for c in pdf.pages[first - 1].chars
                                        if (first, c.get("mcid")) in {m for cell in table.cells if cell.header
                                                                      for p in cell.paragraphs for m in p}))
    assert copy, "the header's copy on the page the table goes on to"
    # Every character of the copy is one of the header's (the clipped one shows only a part).
    assert not set(normalize_key("".join(c["text"] for c in copy))) - set(headers)
    # Outside the table on its later page there is no line left of the header.
    later = [ln for ln in lines if ln.page == last and ln.cell is None]
    assert not any(set(normalize_key(ln.text)) & set(headers) == set(normalize_key(ln.text)) and ln.text.strip()
                   for ln in later), [ln.text for ln in later]


def _char(text: str, x0: float, top: float, mcid: int | None = None) -> dict:
    return {"text": text, "x0": x0, "x1": x0 + 9, "top": top, "bottom": top + 9, "mcid": mcid, "object_type": "char"}


def _table_on_two_pages() -> TaggedTable:
    table = TaggedTable([TaggedCell(0, 0, 1, True, [[(1, 0)]]), TaggedCell(1, 0, 1, False, [[(2, 5)]])])
    table.header_drawing = HeaderDrawing(1, [("单", 72.0, 140.0), ("位", 81.0, 140.0)], 20.0)
    return table


def test_header_copy_takes_only_the_headers_characters() -> None:
    body = _char("市", 72.0, 100.0, mcid=5)
    page = SimpleNamespace(page_number=2, pdf=None, chars=[
        _char("单", 72.2, 85.0), _char("位", 81.0, 85.0),  # the header again, higher up the page
        _char("注", 120.0, 85.0),  # an artifact that is none of the header's characters
        _char("位", 81.0, 30.0),  # the header's character, but far above the band the header can take
        body])
    copy = header_copy(page, _table_on_two_pages())
    assert [(c["text"], c["top"]) for c in copy] == [("单", 85.0), ("位", 85.0)]


def test_header_copy_is_used_once_per_character() -> None:
    page = SimpleNamespace(page_number=2, pdf=None, chars=[
        _char("单", 72.0, 80.0), _char("单", 72.0, 90.0), _char("市", 72.0, 100.0, mcid=5)])
    assert len(header_copy(page, _table_on_two_pages())) == 1


def test_clipped_header_character_drawn_where_the_first_row_starts_is_the_copys() -> None:
    # A heading set vertically, clipped to the repeated row's height: its last character is still
    # drawn, level with the first row's text.
    page = SimpleNamespace(page_number=2, pdf=None, chars=[
        _char("单", 72.0, 80.0), _char("位", 72.0, 100.0), _char("市", 120.0, 100.0, mcid=5)])
    table = _table_on_two_pages()
    table.header_drawing = HeaderDrawing(1, [("单", 72.0, 140.0), ("位", 72.0, 160.0)], 29.0)
    assert [c["text"] for c in header_copy(page, table)] == ["单", "位"]


def test_no_copy_without_the_headers_first_character_above_the_table() -> None:
    page = SimpleNamespace(page_number=2, pdf=None, chars=[_char("位", 81.0, 85.0), _char("市", 72.0, 100.0, mcid=5)])
    assert header_copy(page, _table_on_two_pages()) == []


def test_no_copy_on_the_headers_own_page() -> None:
    page = SimpleNamespace(page_number=1, pdf=None, chars=[_char("单", 72.0, 80.0), _char("市", 72.0, 100.0, mcid=0)])
    assert header_copy(page, _table_on_two_pages()) == []


def test_row_completed_by_cells_spanning_down_is_placed() -> None:
    # Unit and task headings span two rows; the second row holds only the phase headings.
    cells = [TaggedCell(0, 0, 1, False, [], rowspan=2), TaggedCell(0, 1, 1, False, [], rowspan=2),
             TaggedCell(0, 2, 2, False, []),
             TaggedCell(1, 2, 1, False, []), TaggedCell(1, 3, 1, False, []),
             TaggedCell(2, 0, 1, False, []), TaggedCell(2, 1, 1, False, []), TaggedCell(2, 2, 1, False, []),
             TaggedCell(2, 3, 1, False, [])]
    assert _places_known(TaggedTable(cells))
    # A row short of a cell that nothing spans into: its cells' columns are not certain.
    short = cells[:-1]
    assert not _places_known(TaggedTable(short))
