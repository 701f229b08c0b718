"""Write the DOCX and PDF test fixtures from the project's own text source.

The issued notice in raw/ is read by the pipeline itself (header, outline, annex) and written back
out the way a government office publishes it: a Word document with the annex as a real table
(two header rows with merged cells, a unit column so narrow that names wrap, a page-number
footer), then converted to PDF by LibreOffice, which breaks long rows across pages and draws the
table's ruling lines; a second PDF draws the same table without ruling lines. Two more PDFs stand for bad input a user will meet: a scanned notice (page
images, no text layer) and a password-protected one. All are committed, so tests and CI never
need LibreOffice.

    python scripts/make_fixtures.py            # needs Debian's libreoffice-writer-nogui and a CJK font
    python scripts/make_fixtures.py --no-pdf   # DOCX only
"""

from __future__ import annotations

import argparse
import io
import zipfile
from datetime import datetime
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from docx import Document as new_docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.annex import parse_annex  # noqa: E402
from pipeline.clauses import parse_outline  # noqa: E402
from pipeline.plan import split_plan  # noqa: E402
from pipeline.sources import Document, load_documents  # noqa: E402
from pipeline.textnorm import join_lines, normalize_key  # noqa: E402

CJK_FONT = "WenQuanYi Micro Hei"
PERIOD_HEADING = "年度推进举措"  # the spanning heading over the yearly columns
UNIT_COLUMN = Cm(1.2)  # about two characters: unit names wrap over several lines
FIXTURE_STEM = "luan-2022-49-issued-notice"


def _font(run, size: float = 12, bold: bool = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = CJK_FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), CJK_FONT)


def _paragraph(container, text: str, size: float = 12, bold: bool = False, center: bool = False):
    paragraph = container.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run(text), size, bold)
    return paragraph


def _page_number_footer(section) -> None:
    """A centred '— n —' footer, the furniture a PDF reader has to remove."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run("— "), 10)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    _font(paragraph.add_run(" —"), 10)


def _write_notice_header(word, doc: Document) -> None:
    header = [ln.text.strip() for ln in split_plan(doc).header if ln.text.strip()]
    number_at = next(i for i, t in enumerate(header) if normalize_key(t) == normalize_key(doc.doc_number or ""))
    recipients_end = next(i for i, t in enumerate(header) if t.endswith(("：", ":")))
    issuer_at = next(i for i, t in enumerate(header) if normalize_key(t) == normalize_key(doc.issuer or ""))
    for title_line in header[:number_at]:
        _paragraph(word, title_line, 18, bold=True, center=True)
    _paragraph(word, header[number_at], center=True)
    _paragraph(word, join_lines(header[number_at + 1:recipients_end + 1]))
    _paragraph(word, join_lines(header[recipients_end + 1:issuer_at]))
    for closing in header[issuer_at:]:
        _paragraph(word, closing).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    word.add_page_break()


def _write_plan_body(word, doc: Document) -> None:
    parts = split_plan(doc)
    _paragraph(word, join_lines([ln.text for ln in parts.title]), 18, bold=True, center=True)
    for clause in parse_outline(parts):
        if clause.text.startswith(clause.heading):
            _paragraph(word, clause.number + clause.text)
        else:
            _paragraph(word, clause.number + clause.heading, bold=clause.level == 1)
            if clause.text:
                _paragraph(word, clause.text)
    reference = [ln.text.strip() for ln in parts.body if normalize_key(ln.text).startswith("附件")]
    if reference:
        _paragraph(word, reference[-1])


def _write_annex(word, doc: Document, ruled: bool) -> None:
    parsed = parse_annex(doc)
    table = parsed.table
    heading = [ln.text.strip() for ln in parsed.lines if ln.text.strip()][:2]
    word.add_page_break()
    _paragraph(word, heading[0], 14, bold=True)
    _paragraph(word, heading[1], 16, bold=True, center=True)

    periods = [p for p in table.phases if p[:1].isdigit()]
    tasks = [p for p in table.phases if p not in periods]
    grid = word.add_table(rows=2, cols=1 + len(table.phases))
    grid.style = "Table Grid" if ruled else "Normal Table"
    grid.autofit = False
    widths = [UNIT_COLUMN] + [Cm(15.0 / len(table.phases))] * len(table.phases)
    top, sub = grid.rows
    for k, label in enumerate(["单位"] + tasks):
        top.cells[k].merge(sub.cells[k])
        top.cells[k].paragraphs[0].add_run(label)
    span = top.cells[1 + len(tasks)].merge(top.cells[len(table.phases)])
    span.paragraphs[0].add_run(PERIOD_HEADING)
    for k, label in enumerate(periods, start=1 + len(tasks)):
        sub.cells[k].paragraphs[0].add_run(label)
    for unit in table.units:
        cells = grid.add_row().cells
        cells[0].paragraphs[0].add_run(unit)
        for p, phase in enumerate(table.phases, start=1):
            items = [m for m in table.measures if m.unit == unit and m.phase == phase]
            for k, m in enumerate(items):
                paragraph = cells[p].paragraphs[0] if k == 0 else cells[p].add_paragraph()
                paragraph.add_run(f"{m.label}.{m.text}" if m.label else m.text)
    for column, width in zip(grid.columns, widths):
        column.width = width  # LibreOffice lays out by the grid, Word by the cells
    for row in grid.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = width
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    _font(run, 10.5)


def build_docx(doc: Document, out: Path, ruled: bool = True) -> None:
    word = new_docx()
    section = word.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin = section.bottom_margin = Cm(3.0)
    _page_number_footer(section)
    _write_notice_header(word, doc)
    _write_plan_body(word, doc)
    _write_annex(word, doc, ruled)
    # python-docx stamps the current time; fixed properties keep the fixture reproducible.
    word.core_properties.author = "pipeline fixtures"
    word.core_properties.revision = 1
    word.core_properties.created = word.core_properties.modified = datetime(2022, 4, 6)
    buffer = io.BytesIO()
    word.save(buffer)
    out.write_bytes(_fixed_zip_times(buffer.getvalue()))


def _fixed_zip_times(data: bytes) -> bytes:
    """The same archive with every member dated 2022-04-06: the fixture's bytes depend on its content only."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2022, 4, 6, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info))
    return out.getvalue()


def convert_to_pdf(docx: Path, out: Path, password: str | None = None) -> None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise SystemExit("make_fixtures: LibreOffice not found; install Debian's libreoffice-writer-nogui")
    target = "pdf"
    if password:
        target += (':writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
                   f'"DocumentOpenPassword":{{"type":"string","value":"{password}"}}}}')
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([office, f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                        "--convert-to", target, "--outdir", tmp, str(docx)], check=True, capture_output=True)
        shutil.move(Path(tmp) / (docx.stem + ".pdf"), out)


def build_scanned_pdf(pdf: Path, out: Path) -> None:
    """The first page of `pdf` as a picture only, the way a scanner delivers it."""
    import pdfplumber
    with tempfile.TemporaryDirectory() as tmp, pdfplumber.open(pdf) as source:
        picture = Path(tmp) / "page.png"
        source.pages[0].to_image(resolution=40).original.convert("L").save(picture)
        word = new_docx()
        word.add_picture(str(picture), width=Cm(15))
        docx = Path(tmp) / out.with_suffix(".docx").name
        word.save(str(docx))
        convert_to_pdf(docx, out)


def build_protected_pdf(out: Path, password: str = "secret") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        word = new_docx()
        _paragraph(word, "六安市反对拐卖人口行动实施方案")
        docx = Path(tmp) / out.with_suffix(".docx").name
        word.save(str(docx))
        convert_to_pdf(docx, out, password)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw", type=Path, default=ROOT / "raw", help="raw folder holding the issued notice")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures", help="folder for the fixtures")
    parser.add_argument("--no-pdf", action="store_true", help="write the DOCX only")
    args = parser.parse_args(argv)
    notices = [d for d in load_documents(args.raw) if d.kind == "issued_notice"]
    if not notices:
        raise SystemExit(f"make_fixtures: no issued notice in {args.raw}")
    args.out.mkdir(parents=True, exist_ok=True)
    docx = args.out / f"{FIXTURE_STEM}.docx"
    build_docx(notices[0], docx)
    print(f"wrote {docx} ({docx.stat().st_size:,} bytes)")
    if not args.no_pdf:
        pdf = args.out / f"{FIXTURE_STEM}.pdf"
        convert_to_pdf(docx, pdf)
        unruled = args.out / f"{FIXTURE_STEM}-unruled.pdf"
        with tempfile.TemporaryDirectory() as tmp:
            unruled_docx = Path(tmp) / unruled.with_suffix(".docx").name
            build_docx(notices[0], unruled_docx, ruled=False)
            convert_to_pdf(unruled_docx, unruled)
        build_scanned_pdf(pdf, args.out / "scanned-notice.pdf")
        build_protected_pdf(args.out / "password-protected.pdf")
        for written in (pdf, unruled, args.out / "scanned-notice.pdf", args.out / "password-protected.pdf"):
            print(f"wrote {written} ({written.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
