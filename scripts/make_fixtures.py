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
from html import escape
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
from pipeline.outline.clauses import parse_outline  # noqa: E402
from pipeline.plan import split_plan  # noqa: E402
from pipeline.load import load_documents  # noqa: E402
from pipeline.records import Document, Source  # noqa: E402
from pipeline.sources import read_source, split_documents  # noqa: E402
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


def pdf_text_layout(pdf: Path) -> str:
    """The PDF's text as poppler copies it with its layout kept (pdftotext -layout, from
    poppler-utils): every line across all columns, spaced to their places, a form feed after every
    page; the form pipeline/readers/layout_text.py reads."""
    if shutil.which("pdftotext") is None:
        raise SystemExit("pdftotext not found; apt-get install -y poppler-utils")
    return subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"], check=True,
                          capture_output=True, timeout=60).stdout.decode("utf-8")


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


# --------------------------------------------------------------------------- the notice printed by a browser

NOTICE_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 12pt; margin: 0; }}
h1 {{ font-size: 18pt; text-align: center; }} .right {{ text-align: right; }} .center {{ text-align: center; }}
table {{ border-collapse: collapse; width: 100%; font-size: 10.5pt; }}
th, td {{ border: 1px solid #000; padding: 2pt 4pt; vertical-align: top; }}
td.unit {{ width: 2.5em; }} .annex {{ break-before: page; }} td p {{ margin: 0; }}
</style></head><body>
{body}
</body></html>
"""


def notice_html(doc: Document) -> str:
    """The issued notice as a government site shows it: paragraphs, then the annex as a table
    whose header row a browser repeats on every printed page (<thead>)."""
    parts = split_plan(doc)
    header = [ln.text.strip() for ln in parts.header if ln.text.strip()]
    body = [f"<p>{escape(t)}</p>" for t in header]
    body.append(f"<h1>{escape(join_lines([ln.text for ln in parts.title]))}</h1>")
    for clause in parse_outline(parts):
        if clause.text.startswith(clause.heading):
            body.append(f"<p>{escape(clause.number + clause.text)}</p>")
        else:
            body.append(f"<p>{escape(clause.number + clause.heading)}</p>")
            body += [f"<p>{escape(clause.text)}</p>"] if clause.text else []
    body += [f"<p>{escape(ln.text.strip())}</p>" for ln in parts.body if normalize_key(ln.text).startswith("附件")][-1:]
    parsed = parse_annex(doc)
    table = parsed.table
    heading = [ln.text.strip() for ln in parsed.lines if ln.text.strip()][:2]
    header, rows = _html_annex_rows(table, PERIOD_HEADING, ' class="unit"')
    body.append(f'<div class="annex"><p>{escape(heading[0])}</p><h1>{escape(heading[1])}</h1>'
                "<table><thead>" + "".join(header) + "</thead><tbody>" + "\n".join(rows) + "</tbody></table></div>")
    return NOTICE_PAGE.format(title=escape(header[0]), body="\n".join(body))


def print_with_browser(html: Path, out: Path) -> None:
    """Headless Chromium's print-to-PDF, as an analyst saves a web page."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        raise SystemExit("make_fixtures: Chromium not found; install Debian's chromium")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer",
                        f"--print-to-pdf={out}", html.resolve().as_uri()], check=True, capture_output=True)


# --------------------------------------------------------------------------- the consultation page

PAGE_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{title}_六安市人民政府</title>
<link rel="stylesheet" href="/css/common.css">
<style>.tab-menu li {{ display: inline-block; }} .tab-pane {{ margin: 1em 0; }}</style>
<script>var _hmt = _hmt || []; var siteName = "六安市人民政府"; function share() {{ alert("分享"); }}</script>
</head>
<body>
<header class="site-header"><div class="logo">六安市人民政府</div><div class="topbar">无障碍 | 长者模式</div></header>
<nav class="site-nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/hdjl/">互动交流</a></li><li><a href="/zwfw/">政务服务</a></li></ul></nav>
<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="/hdjl/">互动交流</a> &gt; 意见征集</div>
<div class="search-box"><form action="/search"><input name="q" placeholder="请输入关键词"><button>搜索</button></form></div>
<div class="main">
<h1>{title}</h1>
<div class="info">{facts}</div>
<ul class="tab-menu">
{menu}
</ul>
{panes}
</div>
<div class="share-bar">分享到：微信 微博 QQ空间</div>
<footer class="site-footer"><p>主办单位：六安市人民政府办公室</p><p>皖ICP备00000000号 网站标识码：0000000000</p></footer>
<script>document.querySelectorAll(".tab-menu li").forEach(function (li) {{ li.onclick = share; }});</script>
</body>
</html>
"""


def _annex_table(parsed) -> str:
    """The annex as a real HTML table: two header rows, then one row per unit."""
    table = parsed.table
    first_unit = min(m.line_start for m in table.measures) if table.measures else 0
    header = [ln.text.strip() for ln in parsed.lines if ln.text.strip() and ln.lineno < first_unit]
    spanning = [h for h in header[2:] if h not in table.phases and "单位" not in h and not h.startswith(table.units[0])]
    head, rows = _html_annex_rows(table, spanning[0] if spanning else "")
    return '<table class="annex" border="1">\n' + "\n".join(head + rows) + "\n</table>"


def _html_annex_rows(table, spanning: str, unit_attributes: str = "") -> tuple[list[str], list[str]]:
    """The two header rows (a spanning heading over the years) and one row per unit of an annex."""
    periods = [p for p in table.phases if p[:1].isdigit()]
    tasks = [p for p in table.phases if p not in periods]
    top = "".join(f'<th rowspan="2">{escape(h)}</th>' for h in ["单位"] + tasks)
    top += f'<th colspan="{len(periods)}">{escape(spanning)}</th>'
    sub = "".join(f"<th>{escape(p)}</th>" for p in periods)
    rows = []
    for unit in table.units:
        cells = [f"<td{unit_attributes}>{escape(unit)}</td>"]
        for phase in table.phases:
            items = [m for m in table.measures if m.unit == unit and m.phase == phase]
            cells.append("<td>" + "".join(f"<p>{escape(m.label + '.' if m.label else '')}{escape(m.text)}</p>"
                                          for m in items) + "</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return [f"<tr>{top}</tr>", f"<tr>{sub}</tr>"], rows


def build_html(source: Source, out: Path) -> None:
    """The consultation page as a browser saves it, built from its text copy: the same tabs and
    paragraphs, the annex as a real table, inside the site's usual furniture."""
    lines = source.lines
    nonblank = [ln for ln in lines if ln.text.strip()]
    menu = [ln.text.strip().lstrip("•").strip() for ln in lines if ln.text.strip().startswith("•")]
    panes = []
    for doc in split_documents(source):
        annex_from = None
        parsed = None
        if doc.is_plan_version:
            parsed = parse_annex(doc)
            annex_from = parsed.lines[0].lineno if parsed else None
        body = []
        for ln in doc.lines:
            if annex_from is not None and ln.lineno >= annex_from:
                break
            if ln.text.strip():
                body.append(f"<p>{escape(ln.text.strip())}</p>")
        if parsed is not None:
            first_unit = min(m.line_start for m in parsed.table.measures)
            heading = [ln.text.strip() for ln in parsed.lines if ln.text.strip() and ln.lineno < first_unit][:2]
            body += [f"<h3>{escape(h)}</h3>" for h in heading] + [_annex_table(parsed)]
        panes.append(f'<div class="tab-pane" id="{doc.kind}">\n' + "\n".join(body) + "\n</div>")
    page = PAGE_TEMPLATE.format(title=escape(nonblank[0].text.strip()), facts=escape(nonblank[1].text.strip()),
                                menu="\n".join(f"<li>{escape(m)}</li>" for m in menu), panes="\n".join(panes))
    out.write_text(page, encoding="utf-8")


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
    pages = [p for p in sorted(args.raw.glob("*.txt")) if any(d.kind == "final_text" for d in split_documents(read_source(p)))]
    if pages:
        html = args.out / f"{pages[0].stem}.html"
        build_html(read_source(pages[0]), html)
        print(f"wrote {html} ({html.stat().st_size:,} bytes)")
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
        browser = args.out / f"{FIXTURE_STEM}-browser.pdf"
        with tempfile.TemporaryDirectory() as tmp:
            page = Path(tmp) / f"{FIXTURE_STEM}.html"
            page.write_text(notice_html(notices[0]), encoding="utf-8")
            print_with_browser(page, browser)
        layout = args.out / f"{FIXTURE_STEM}-unruled-layout.txt"
        layout.write_text(pdf_text_layout(unruled), encoding="utf-8")
        build_scanned_pdf(pdf, args.out / "scanned-notice.pdf")
        build_protected_pdf(args.out / "password-protected.pdf")
        for written in (pdf, unruled, layout, browser, args.out / "scanned-notice.pdf", args.out / "password-protected.pdf"):
            print(f"wrote {written} ({written.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
