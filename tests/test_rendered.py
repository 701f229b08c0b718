"""Real renderings, every form, through the pipeline: the annex comes back exactly, or the file is
refused with an error naming it. Never a wrong table.

tests/fixtures/rendered/ holds small notices (one to three units, one to three annex pages) drawn
at random and rendered by real producers: python-docx writes the Word document, and one PDF of it
comes with it, the producers taking turns (LibreOffice headless, ruled; the same unruled; headless
Chromium printing the notice as a web page); the PDF's text is extracted in content-stream order
(pypdfium2), by pdfplumber, and with its layout kept (poppler's `pdftotext -layout`). Every fixture
is read in its five forms.
Together they cover every factor `scripts/render_corpus.py` varies (orientation, font size, line
spacing, column widths, repeated header row, vertical alignment, justified or left-aligned text,
rules, page furniture, phases, header labels, item marks; random and edited real content). Each `NAME.truth.json` holds the
phases and measures the notice was drawn with; `manifest.json` its factors. They are written by
`python scripts/render_corpus.py --fixtures tests/fixtures/rendered` (needs LibreOffice, Chromium
and poppler-utils) and committed, so this test needs none of them.

Every (fixture, form) is expected to come back exactly, unless listed below:

- REFUSED: the readers cannot read it yet and say so; the test checks they keep saying so (a
  refusal must name the file and publish nothing).
- WRONG_TODAY: the readers publish a wrong table today. These run as strict expected failures:
  the assertion is "exact or refused", so the day a reader gets one right (or learns to refuse
  it) the test reports XPASS and fails, and the pair moves out of this table. A wrong result is
  never accepted as a pass.

Tighten the tables as the readers improve; never add a pair to WRONG_TODAY to make a test pass.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from pipeline.corpus import published_annex
from pipeline.textnorm import normalize_key

FIXTURES = Path(__file__).parent / "fixtures" / "rendered"
MANIFEST: dict[str, Any] = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))

# Pairs (fixture, form) the readers refuse today, with an error naming the file. Every content-order
# and pdfplumber text copy is among them: a table rebuilt from broken text is published only when a
# clean copy of it confirms it, and a fixture folder holds none (see README, *How the broken annex is
# rebuilt*). So are the layout-keeping copies whose pages the copy does not let the reader place surely.
REFUSED: set[tuple[str, str]] = {
    ("rendered-01", "txt-pdfium-lo-ruled"),
    ("rendered-01", "txt-plumber-lo-ruled"),
    ("rendered-02", "txt-pdfium-lo-unruled"),
    ("rendered-02", "txt-plumber-lo-unruled"),
    ("rendered-02", "txt-layout-lo-unruled"),
    ("rendered-03", "txt-pdfium-browser"),
    ("rendered-03", "txt-plumber-browser"),
    ("rendered-04", "txt-pdfium-lo-ruled"),
    ("rendered-04", "txt-plumber-lo-ruled"),
    ("rendered-04", "txt-layout-lo-ruled"),
    ("rendered-05", "txt-pdfium-lo-unruled"),
    ("rendered-05", "txt-plumber-lo-unruled"),
    ("rendered-06", "txt-layout-browser"),
    ("rendered-06", "txt-pdfium-browser"),
    ("rendered-06", "txt-plumber-browser"),
    ("rendered-07", "txt-pdfium-lo-ruled"),
    ("rendered-07", "txt-plumber-lo-ruled"),
    ("rendered-07", "txt-layout-lo-ruled"),
    ("rendered-08", "txt-pdfium-lo-unruled"),
    ("rendered-08", "txt-plumber-lo-unruled"),
    ("rendered-09", "txt-layout-browser"),
    ("rendered-09", "txt-pdfium-browser"),
    ("rendered-09", "txt-plumber-browser"),
    ("rendered-10", "txt-pdfium-lo-ruled"),
    ("rendered-10", "txt-plumber-lo-ruled"),
    ("rendered-10", "txt-layout-lo-ruled"),
    ("rendered-11", "txt-pdfium-lo-unruled"),
    ("rendered-11", "txt-plumber-lo-unruled"),
    ("rendered-12", "txt-layout-browser"),
    ("rendered-12", "txt-pdfium-browser"),
    ("rendered-12", "txt-plumber-browser"),
    ("rendered-13", "txt-pdfium-lo-ruled"),
    ("rendered-13", "txt-plumber-lo-ruled"),
    ("rendered-13", "txt-layout-lo-ruled"),
    ("rendered-14", "txt-pdfium-lo-unruled"),
    ("rendered-14", "txt-plumber-lo-unruled"),
    ("rendered-14", "txt-layout-lo-unruled"),
    ("rendered-15", "txt-layout-browser"),
    ("rendered-15", "txt-pdfium-browser"),
    ("rendered-15", "txt-plumber-browser"),
    ("rendered-16", "txt-pdfium-lo-ruled"),
    ("rendered-16", "txt-plumber-lo-ruled"),
    ("rendered-16", "txt-layout-lo-ruled"),
    ("rendered-17", "txt-pdfium-lo-unruled"),
    ("rendered-17", "txt-plumber-lo-unruled"),
    ("rendered-18", "txt-pdfium-browser"),
    ("rendered-18", "txt-plumber-browser"),
    ("rendered-19", "txt-pdfium-lo-ruled"),
    ("rendered-19", "txt-plumber-lo-ruled"),
    ("rendered-20", "txt-pdfium-lo-unruled"),
    ("rendered-20", "txt-plumber-lo-unruled"),
    ("rendered-21", "txt-layout-browser"),
    ("rendered-21", "txt-pdfium-browser"),
    ("rendered-21", "txt-plumber-browser"),
    ("rendered-22", "txt-pdfium-lo-ruled"),
    ("rendered-22", "txt-plumber-lo-ruled"),
    ("rendered-22", "txt-layout-lo-ruled"),
    ("rendered-23", "txt-pdfium-lo-unruled"),
    ("rendered-23", "txt-plumber-lo-unruled"),
    ("rendered-24", "txt-layout-browser"),
    ("rendered-24", "txt-pdfium-browser"),
    ("rendered-24", "txt-plumber-browser"),
    ("rendered-25", "txt-pdfium-lo-ruled"),
    ("rendered-25", "txt-plumber-lo-ruled"),
}

# Pairs (fixture, form) the readers get wrong today: strict expected failures (see above). None today.
WRONG_TODAY: set[tuple[str, str]] = set()


def form_file(form: str, stem: str) -> str:
    """rendered-01.docx, rendered-01-lo-ruled.pdf, rendered-01-pdfium-browser.txt, …"""
    if form == "docx":
        return f"{stem}.docx"
    kind, rest = form.split("-", 1)
    return f"{stem}-{rest}.{kind}"


def _cases() -> list[Any]:
    cases = []
    for stem, entry in sorted(MANIFEST["fixtures"].items()):
        for form in entry["forms"]:
            marks = []
            if (stem, form) in WRONG_TODAY:
                marks.append(pytest.mark.xfail(strict=True, reason="wrong table today; must become exact or refused"))
            cases.append(pytest.param(stem, form, marks=marks, id=f"{stem}-{form}"))
    return cases


def _key(unit: str, phase: str, seq: int, label: str, text_key: str) -> tuple[str, str, int, str, str]:
    # Justified PDF text can space out a name; the published text is compared on its key.
    return normalize_key(unit), normalize_key(phase), seq, label, text_key


def test_fixtures_cover_both_producers_and_every_form() -> None:
    assert len(MANIFEST["fixtures"]) >= 25
    forms = set()
    for stem, entry in MANIFEST["fixtures"].items():
        for form in entry["forms"]:
            assert (FIXTURES / form_file(form, stem)).is_file(), form_file(form, stem)
        assert (FIXTURES / f"{stem}.truth.json").is_file()
        forms |= set(entry["forms"])
    assert forms == {"docx"} | {f"{kind}-{producer}" for kind in ("pdf", "txt-pdfium", "txt-plumber", "txt-layout")
                                for producer in ("lo-ruled", "lo-unruled", "browser")}
    assert not REFUSED & WRONG_TODAY
    listed = {(stem, form) for stem, entry in MANIFEST["fixtures"].items() for form in entry["forms"]}
    assert REFUSED | WRONG_TODAY <= listed


@pytest.mark.parametrize(("stem", "form"), _cases())
def test_rendered_annex_is_exact_or_refused(stem: str, form: str) -> None:
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    path = FIXTURES / form_file(form, stem)
    truth = json.loads((FIXTURES / f"{stem}.truth.json").read_text(encoding="utf-8"))
    read = published_annex(path, FIXTURES)
    rows, error = read.rows, read.error
    assert read.trace is None, read.trace
    rows = sorted(rows, key=lambda r: (r["unit_order"], r["phase_order"], r["seq"]))
    published = [_key(r["unit"], r["phase"], r["seq"], r["label"], r["text_key"]) for r in rows]
    expected = [_key(*m) for m in truth["measures"]]
    refused = not rows and error is not None and path.name in error
    if (stem, form) in REFUSED:
        assert refused, f"expected a refusal naming {path.name}; got error {error!r} and {len(rows)} measures"
    elif (stem, form) in WRONG_TODAY:
        assert refused or published == expected
    else:
        assert rows, error
        assert published == expected
