"""Measure every annex reader on real renderings of notices it was never tuned on.

`make render-share` (not part of `make all` or CI) draws random notices (seeded), writes each as a
Word document with python-docx and as a web page, renders them to PDF with two real producers
(LibreOffice headless, ruled and unruled; headless Chromium), extracts the PDFs' text three ways
(content-stream order with pypdfium2, pdfplumber's text, poppler's `pdftotext -layout`), runs the
pipeline's corpus code
path on every form, and compares each published annex with the truth it was drawn from:

- exact: the phases and every measure (unit, phase, seq, label, normalised text) as drawn;
- wrong: something was published that differs (a partial or empty table without an error too);
- refused: the pipeline named the file in an error and published no annex for it;
- timeout: the reading took more than --timeout seconds of CPU and was stopped;
- crash: an exception that is not a pipeline error (corpus mode would stop the whole run on it).

Writes data/quality/render_share.json and prints a table. n=200 took 28 minutes on two cores shared
with other jobs (21 CPU minutes, rendering and reading about half each).
Dev tools (not needed by tests or CI):

    apt-get install -y libreoffice-writer-nogui chromium fonts-noto-cjk poppler-utils

    python scripts/render_corpus.py --n 200 --seed 1          # the measurement
    python scripts/render_corpus.py --n 10 --keep /tmp/r      # keep the corpus for inspection
    python scripts/render_corpus.py --fixtures tests/fixtures/rendered   # small test fixtures
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))

from docx import Document as new_docx  # noqa: E402
from docx.enum.section import WD_ORIENT, WD_SECTION  # noqa: E402
from docx.enum.table import WD_ALIGN_VERTICAL  # noqa: E402
from docx.enum.text import WD_ALIGN_PARAGRAPH  # noqa: E402
from docx.oxml import OxmlElement  # noqa: E402
from docx.oxml.ns import qn  # noqa: E402
from docx.shared import Cm, Pt  # noqa: E402

from annex_simulator import WORDS  # noqa: E402
from make_fixtures import CJK_FONT, _fixed_zip_times, _font, pdf_text_layout  # noqa: E402

from pipeline.textnorm import normalize_key  # noqa: E402

Item = tuple[str, str]  # (label as printed, '' when unnumbered; text)

# Forms the pipeline reads: the Word document, three PDFs, and two text extractions of each PDF.
# LibreOffice writes the ruled table twice: untagged (its default) and tagged, as Word's Save as PDF
# does by default. The tagged PDF's text is the untagged one's, so text is extracted from three.
EXTRACTED_FROM = ("lo-ruled", "lo-unruled", "browser")
EXTRACTORS = ("pdfium", "plumber", "layout")
PDF_FORMS = ("lo-ruled", "lo-tagged", "lo-unruled", "browser")
FORMS = ("docx",) + tuple(f"pdf-{p}" for p in PDF_FORMS) + tuple(
    f"txt-{how}-{p}" for how in EXTRACTORS for p in EXTRACTED_FROM)
TAGGED_EXPORT = 'pdf:writer_pdf_Export:{"UseTaggedPDF":{"type":"boolean","value":"true"}}'

# --------------------------------------------------------------------------- the drawn notice


@dataclass
class Annex:
    unit_label: str  # heading of the unit column: 单位, 责任单位, 牵头单位
    task_label: str  # heading of the first content column: 重点任务, 主要任务
    periods: list[str]  # yearly columns as printed
    spanning: str | None  # a heading spanning the yearly columns, or none
    rows: list[tuple[str, list[list[Item]]]]  # (unit, one cell per phase)

    @property
    def phases(self) -> list[str]:
        return [self.task_label] + self.periods

    def truth(self) -> dict[str, Any]:
        """What a correct reader publishes: phases as printed and every measure by its keys."""
        measures = [[unit, phase, seq, label, normalize_key(text)]
                    for unit, cells in self.rows for phase, cell in zip(self.phases, cells)
                    for seq, (label, text) in enumerate(cell, start=1)]
        return {"phases": self.phases, "measures": measures}


@dataclass
class Notice:
    id: str
    city: str
    issuer: str
    doc_number: str
    date: str  # as printed: 2024年3月12日
    recipients: str
    body: list[tuple[int, str]]  # (outline level, paragraph) of the plan body
    annex: Annex
    factors: dict[str, Any] = field(default_factory=dict)

    @property
    def plan_title(self) -> str:
        return f"{self.city}反对拐卖人口行动实施方案"


CITIES = ("青山", "云溪", "临江", "安平", "东湖", "北岭", "南川", "西泽", "金石", "白河", "松阳", "长宁",
          "丰城", "鹤岗", "兰溪", "宁远", "桃源", "永安", "清河", "江华")
RECIPIENTS = ("各县区人民政府，市开发区管委，市政府有关部门、有关直属机构：", "各县（区）人民政府，市政府各部门：",
              "各区人民政府，市政府各委、办、局，各直属机构：")
NUMBER_FORMS = ("{c}政办秘〔{y}〕{n}号", "{c}政办〔{y}〕{n}号", "{c}政办发〔{y}〕{n}号")
LONG_UNITS = ("市数据资源管理局", "市市场监督管理局", "市中级人民法院", "市人民检察院", "市农业农村局",
              "市住房城乡建设局", "市交通运输局", "市文化和旅游局", "市退役军人事务局", "市医疗保障局",
              "市委政法委", "市委组织部", "市总工会", "市妇女儿童工作委员会办公室", "县人力资源和社会保障局",
              "市发展和改革委员会", "市林业和园林局", "市城市管理行政执法局")
UNIT_MIDDLES = ("公安", "民政", "人社", "卫健", "教体", "司法", "财政", "商务", "文旅", "统计", "应急", "信访",
                "税务", "审计", "外事", "侨务", "科技", "水利", "自然资源", "生态环境")
UNIT_ENDS = ("局", "委", "办", "联", "部")
CLOSINGS = ("做好总结、宣传等工作", "做好总结、评估、考核、宣传等工作", "持续推进", "开展终期评估")


def _sentence(rng: random.Random) -> str:
    parts = ["".join(rng.choices(WORDS, k=rng.randint(1, 4))) for _ in range(rng.randint(1, 7))]
    seps = rng.choices("，、，；", k=len(parts) - 1) + ["。"]
    return "".join(p + s for p, s in zip(parts, seps))


def _unit_name(rng: random.Random) -> str:
    if rng.random() < 0.35:
        return rng.choice(LONG_UNITS)
    return rng.choice(("市", "市", "县", "区")) + rng.choice(UNIT_MIDDLES) + rng.choice(UNIT_ENDS)


def _numbered(texts: list[str], rng: random.Random, gap: bool) -> list[Item]:
    """Numbered items 1, 2, …; with a gap a deleted item leaves its number out, as printed."""
    skip = rng.randint(2, len(texts)) if gap and len(texts) >= 2 else None
    items, number = [], 1
    for text in texts:
        if number == skip:
            number += 1
        items.append((str(number), text))
        number += 1
    return items


def _periods(rng: random.Random, count: int) -> list[str]:
    start = rng.randint(2021, 2026)
    dash = rng.choice(["-", "—", "-"])
    suffix = rng.choice(["", "年"])
    spans = [1] * count
    spans[rng.randrange(1, count) if count > 1 else 0] = rng.randint(2, 7)
    out, year = [], start
    for span in spans:
        out.append(f"{year}{suffix}" if span == 1 else f"{year}{dash}{year + span - 1}{suffix}")
        year += span
    return out


def random_annex(rng: random.Random, factors: dict[str, Any], small: bool = False) -> Annex:
    periods = _periods(rng, rng.choice([2, 3, 3, 4]))
    units: list[str] = []
    target = rng.randint(1, 3) if small else rng.randint(2, 9)
    while len(units) < target:
        name = _unit_name(rng)
        if name not in units:
            units.append(name)
    rows = []
    closing = rng.choice(CLOSINGS)
    for unit in units:
        cells: list[list[Item]] = []
        for k in range(1 + len(periods)):
            last = k == len(periods) and rng.random() < 0.6
            if rng.random() < 0.03:
                cells.append([])  # an empty cell, rarely
            elif last:
                cells.append([("", closing)])
            else:
                texts = [_sentence(rng) for _ in range(rng.randint(1, 3 if small else 5))]
                if len(texts) == 1 and rng.random() < 0.4:
                    cells.append([("", texts[0])])
                else:
                    cells.append(_numbered(texts, rng, gap=rng.random() < 0.08))
        rows.append((unit, cells))
    factors["content"] = "random"
    return Annex("", "", periods, None, rows)


def real_annex(rng: random.Random, factors: dict[str, Any], real: Annex, small: bool = False) -> Annex:
    """The real annex with random edits: items deleted, inserted, reworded; units dropped or
    added; a cell renumbered after a deletion or left with the gap."""
    rows = [(unit, [list(cell) for cell in cells]) for unit, cells in real.rows]
    if small:  # a few units, a few items per cell: a fixture of one to three annex pages
        keep = sorted(rng.sample(range(len(rows)), rng.randint(1, 3)))
        rows = [(rows[k][0], [cell[:3] for cell in rows[k][1]]) for k in keep]
    edits: list[str] = []
    for _ in range(rng.randint(1, 6)):
        op = rng.choice(["delete", "insert", "reword", "drop_unit", "add_unit", "renumber"])
        unit_k = rng.randrange(len(rows))
        cells = rows[unit_k][1]
        col = rng.randrange(len(cells))
        cell = cells[col]
        if op == "delete" and len(cell) > 1:
            del cell[rng.randrange(len(cell))]  # the numbers are kept as printed: a gap
        elif op == "insert":
            at = rng.randint(0, len(cell))
            numbered = any(label for label, _ in cell)
            cell.insert(at, ("0" if numbered else "", _sentence(rng)))
            if numbered:
                cells[col] = [(str(k), t) for k, (_, t) in enumerate(cell, start=1)]
        elif op == "reword" and cell:
            k = rng.randrange(len(cell))
            label, text = cell[k]
            cut = rng.randrange(max(len(text) - 1, 1))
            cell[k] = (label, text[:cut] + "".join(rng.choices(WORDS, k=rng.randint(1, 3))) + text[cut:])
        elif op == "drop_unit" and len(rows) > 2:
            del rows[unit_k]
        elif op == "add_unit":
            name = _unit_name(rng)
            if name in [u for u, _ in rows]:
                continue
            new = [_numbered([_sentence(rng) for _ in range(rng.randint(1, 4))], rng, False) for _ in cells]
            rows.insert(rng.randint(0, len(rows)), (name, new))
        elif op == "renumber" and any(label for label, _ in cell):
            cells[col] = [(str(k), t) if label else (label, t) for k, (label, t) in enumerate(cell, start=1)]
        else:
            continue
        edits.append(op)
    factors["content"] = "real"
    factors["edits"] = edits
    return Annex("", "", list(real.periods), None, rows)


def load_real_annex() -> Annex:
    """The issued notice's annex in raw/, read by the pipeline itself."""
    from pipeline.annex import parse_annex
    from pipeline.load import load_documents
    from pipeline.records import plan_versions

    for doc in plan_versions(load_documents(ROOT / "raw")):
        parsed = parse_annex(doc) if doc.kind == "issued_notice" else None
        if parsed is None or not parsed.table.measures:
            continue
        table = parsed.table
        rows = [(unit, [[(m.label, m.text) for m in table.measures if m.unit == unit and m.phase == phase]
                        for phase in table.phases]) for unit in table.units]
        return Annex("", table.phases[0], table.phases[1:], None, rows)
    raise SystemExit("render_corpus: no issued notice with an annex in raw/")


def load_real_body() -> tuple[str, list[tuple[int, str]]]:
    """The issuing city and the plan outline of the real notice, each clause cut to its first
    sentence so that a notice stays short; the city's name is replaced by the drawn one."""
    from pipeline.outline.clauses import parse_outline
    from pipeline.plan import split_plan
    from pipeline.load import load_documents

    doc = next(d for d in load_documents(ROOT / "raw") if d.kind == "issued_notice")
    city = (doc.issuer or "").split("市")[0]
    body: list[tuple[int, str]] = []
    for clause in parse_outline(split_plan(doc)):
        first = clause.text.split("。")[0] + "。" if clause.text else ""
        if clause.level == 1:
            body.append((1, clause.number + clause.heading))
            if first and not first.startswith(clause.heading):
                body.append((0, first))
        else:
            body.append((clause.level, clause.number + first))
    return city, body


def draw_factors(rng: random.Random) -> dict[str, Any]:
    return {
        "orientation": rng.choice(["portrait", "landscape"]),
        "font_pt": rng.choice([9, 10, 10.5, 11, 12, 14]),
        "line_spacing": rng.choice([1.0, 1.15, 1.5]),
        "unit_chars": rng.choice([1, 2, 3]),
        "columns": rng.choice(["equal", "wide_task", "narrow_last"]),
        "header_repeat": rng.random() < 0.5,
        "valign": rng.choice(["top", "center"]),
        "browser_ruled": rng.random() < 0.5,
        "furniture": rng.choice(["none", "dash", "of_total", "office_dash", "office_of_total"]),
        "unit_label": rng.choice(["单位", "责任单位", "牵头单位"]),
        "task_label": rng.choice(["重点任务", "主要任务"]),
        "spanning": rng.choice([None, "年度推进举措", "年度目标"]),
        "label_mark": rng.choice([".", ".", "、"]),
    }


def draw_notice(k: int, rng: random.Random, real: Annex, real_city: str, body: list[tuple[int, str]],
                small: bool = False) -> Notice:
    factors = draw_factors(rng)
    annex = random_annex(rng, factors, small) if k % 2 == 0 else real_annex(rng, factors, real, small)
    annex.unit_label, annex.task_label, annex.spanning = (factors["unit_label"], factors["task_label"],
                                                          factors["spanning"])
    if factors["content"] == "real" and rng.random() < 0.5:
        annex.periods = _periods(rng, len(annex.periods))  # other years, same number of columns
    factors["phases"] = annex.phases
    factors["units"] = len(annex.rows)
    factors["measures"] = sum(len(c) for _, cells in annex.rows for c in cells)
    city = rng.choice(CITIES) + "市"
    year = rng.randint(2021, 2026)
    number = rng.choice(NUMBER_FORMS).format(c=city[0], y=year, n=rng.randint(1, 120))
    # Justified text (两端对齐, the default of Chinese Word's Normal style) stretches every line a
    # layout broke to the edge. Drawn apart from the main stream, so that every corpus drawn
    # before this factor existed keeps its other factors and contents.
    factors["justify"] = random.Random(f"justify:{k}:{number}").random() < 0.5
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    renamed = [(level, text.replace(real_city, city[:-1])) for level, text in body]
    return Notice(f"notice-{k:04d}", city, f"{city}人民政府办公室", number, f"{year}年{month}月{day}日",
                  rng.choice(RECIPIENTS), renamed, annex, factors)


# --------------------------------------------------------------------------- Word


def _field(paragraph, instr: str, size: float) -> None:
    run = paragraph.add_run("1")
    _font(run, size)
    begin, end = OxmlElement("w:fldSimple"), run._r
    begin.set(qn("w:instr"), instr)
    end.addprevious(begin)
    begin.append(end)


def _furniture(section, notice: Notice) -> None:
    style = notice.factors["furniture"]
    if style.startswith("office"):
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(header.add_run(notice.issuer), 9)
    if style == "none":
        return
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if style.endswith("dash"):
        pieces = [("— ", None), (None, "PAGE"), (" —", None)]
    else:
        pieces = [("第 ", None), (None, "PAGE"), (" 页 共 ", None), (None, "NUMPAGES"), (" 页", None)]
    for text, instr in pieces:
        if text:
            _font(footer.add_run(text), 10)
        else:
            _field(footer, instr, 10)


def _para(container, text: str, size: float = 14, bold: bool = False, align=None):
    paragraph = container.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    _font(paragraph.add_run(text), size, bold)
    return paragraph


def column_widths(notice: Notice, text_width_pt: float) -> list[float]:
    """Points per column: the unit column holds 1–3 characters, the rest share the page."""
    f = notice.factors
    unit = f["unit_chars"] * f["font_pt"] + 14  # cell margins and ruling
    n = len(notice.annex.phases)
    weights = [1.0] * n
    if f["columns"] == "wide_task":
        weights[0] = 1.5
    elif f["columns"] == "narrow_last":
        weights[-1] = 0.6
    rest = text_width_pt - unit
    return [unit] + [rest * w / sum(weights) for w in weights]


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    tr_pr.append(element)


def _cell_text(cell, items: list[Item], notice: Notice) -> None:
    f = notice.factors
    for k, (label, text) in enumerate(items):
        paragraph = cell.paragraphs[0] if k == 0 else cell.add_paragraph()
        paragraph.paragraph_format.line_spacing = f["line_spacing"]
        if f["justify"]:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph.paragraph_format.space_after = Pt(0)
        _font(paragraph.add_run(f"{label}{f['label_mark']}{text}" if label else text), f["font_pt"])


def _write_table(word, notice: Notice, ruled: bool, widths_pt: list[float]) -> None:
    annex, f = notice.annex, notice.factors
    spanning = annex.spanning is not None and len(annex.periods) > 1
    header_rows = 2 if spanning else 1
    grid = word.add_table(rows=header_rows, cols=1 + len(annex.phases))
    grid.style = "Table Grid" if ruled else "Normal Table"
    grid.autofit = False
    top = grid.rows[0]
    if spanning:
        sub = grid.rows[1]
        for k in (0, 1):
            top.cells[k].merge(sub.cells[k])
        top.cells[2].merge(top.cells[len(annex.phases)])
        labels = [(top.cells[0], annex.unit_label), (top.cells[1], annex.task_label), (top.cells[2], annex.spanning)]
        labels += [(sub.cells[k], p) for k, p in enumerate(annex.periods, start=2)]
    else:
        labels = [(top.cells[k], p) for k, p in enumerate([annex.unit_label] + annex.phases)]
    for cell, label in labels:
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(cell.paragraphs[0].add_run(label), f["font_pt"], bold=True)
    if f["header_repeat"]:
        for row in grid.rows[:header_rows]:
            _repeat_header(row)
    for unit, cells in annex.rows:
        row = grid.add_row()
        _cell_text(row.cells[0], [("", unit)], notice)
        for cell, items in zip(row.cells[1:], cells):
            _cell_text(cell, items, notice)
    align = WD_ALIGN_VERTICAL.CENTER if f["valign"] == "center" else WD_ALIGN_VERTICAL.TOP
    for column, width in zip(grid.columns, widths_pt):
        column.width = Pt(width)  # LibreOffice lays out by the grid, Word by the cells
    for row in grid.rows:
        for cell, width in zip(row.cells, widths_pt):
            cell.width = Pt(width)
            cell.vertical_alignment = align


PORTRAIT = (Cm(21.0), Cm(29.7))
MARGINS = {"portrait": (Cm(2.6), Cm(3.0)), "landscape": (Cm(2.5), Cm(2.6))}  # (left/right, top/bottom)


def _page(section, orientation: str) -> None:
    width, height = PORTRAIT
    section.orientation = WD_ORIENT.LANDSCAPE if orientation == "landscape" else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (height, width) if orientation == "landscape" else (width, height)
    side, top = MARGINS[orientation]
    section.left_margin = section.right_margin = side
    section.top_margin = section.bottom_margin = top


def build_docx(notice: Notice, ruled: bool) -> bytes:
    word = new_docx()
    first = word.sections[0]
    _page(first, "portrait")
    _furniture(first, notice)
    center, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    _para(word, f"{notice.issuer}关于印发", 20, True, center)
    _para(word, f"{notice.plan_title}的通知", 20, True, center)
    _para(word, notice.doc_number, 14, align=center)
    prose = WD_ALIGN_PARAGRAPH.JUSTIFY if notice.factors["justify"] else None
    _para(word, notice.recipients)
    _para(word, f"《{notice.plan_title}》已经市政府同意，现印发给你们，请认真组织实施。", align=prose)
    _para(word, notice.issuer, align=right)
    _para(word, notice.date, align=right)
    word.add_page_break()
    _para(word, notice.plan_title, 20, True, center)
    for level, text in notice.body:
        _para(word, text, 14, bold=level == 1, align=prose)
    _para(word, "附件：重点任务推进表")
    section = word.add_section(WD_SECTION.NEW_PAGE)
    _page(section, notice.factors["orientation"])
    _para(word, "附件", 16, True)
    _para(word, "重点任务推进表", 20, True, center)
    text_width = (section.page_width - section.left_margin - section.right_margin) / 12700  # EMU → pt
    _write_table(word, notice, ruled, column_widths(notice, text_width))
    # python-docx stamps the current time; fixed properties keep the bytes reproducible.
    word.core_properties.author = "render corpus"
    word.core_properties.revision = 1
    word.core_properties.created = word.core_properties.modified = datetime(2024, 1, 1)
    buffer = io.BytesIO()
    word.save(buffer)
    return _fixed_zip_times(buffer.getvalue())


# --------------------------------------------------------------------------- web page

def _margin_boxes(notice: Notice) -> str:
    style = notice.factors["furniture"]
    font = f'font-family: "{CJK_FONT}"'  # margin boxes do not inherit the body's font
    boxes = ""
    if style.startswith("office"):
        boxes += f'@top-center {{ content: "{notice.issuer}"; font-size: 9pt; {font}; }} '
    if style.endswith("dash"):
        boxes += '@bottom-center { content: "— " counter(page) " —"; font-size: 10pt; ' + font + '; } '
    elif style.endswith("of_total"):
        boxes += '@bottom-center { content: "第 " counter(page) " 页 共 " counter(pages) " 页"; font-size: 10pt; ' + font + '; } '
    return boxes


def build_html(notice: Notice) -> str:
    """The same notice as a web page printed by a browser: <thead> repeats the header row on every
    page when the notice repeats it, CSS draws the rules, @page margin boxes the furniture."""
    annex, f = notice.annex, notice.factors
    orientation = f["orientation"]
    width_cm = 29.7 - 5.0 if orientation == "landscape" else 21.0 - 5.2
    widths = column_widths(notice, width_cm / 2.54 * 72)
    border = "1px solid #000" if f["browser_ruled"] else "none"
    valign = "middle" if f["valign"] == "center" else "top"
    css = f"""
@page {{ size: A4 portrait; margin: 3cm 2.6cm; {_margin_boxes(notice)}}}
@page annex {{ size: A4 landscape; margin: 2.6cm 2.5cm; {_margin_boxes(notice)}}}
body {{ font-family: "{CJK_FONT}", "Noto Sans CJK SC", sans-serif; font-size: 14pt; }}
/* The CJK fonts have no bold face: a synthetic bold makes Chromium embed every glyph as a Type 3
   font, ten times the size; offices set titles in a larger size, not bold. */
h1, th, b {{ font-size: 20pt; text-align: center; font-weight: normal; }}
th {{ font-size: {f["font_pt"]}pt; }}
.center {{ text-align: center; }} .right {{ text-align: right; }}
.annex {{ break-before: page; {"page: annex;" if orientation == "landscape" else ""} }}
table {{ border-collapse: collapse; table-layout: fixed; width: {sum(widths):.1f}pt; }}
th, td {{ border: {border}; vertical-align: {valign}; font-size: {f["font_pt"]}pt;
          line-height: {1.25 * f["line_spacing"]:.2f}; padding: 1pt 5pt; }}
td p {{ margin: 0; }}
{"p, td { text-align: justify; }" if f["justify"] else ""}
"""
    cols = "".join(f'<col style="width: {w:.1f}pt">' for w in widths)
    spanning = annex.spanning is not None and len(annex.periods) > 1
    if spanning:
        head = (f'<tr><th rowspan="2">{escape(annex.unit_label)}</th><th rowspan="2">{escape(annex.task_label)}</th>'
                f'<th colspan="{len(annex.periods)}">{escape(annex.spanning or "")}</th></tr>'
                "<tr>" + "".join(f"<th>{escape(p)}</th>" for p in annex.periods) + "</tr>")
    else:
        head = "<tr>" + "".join(f"<th>{escape(p)}</th>" for p in [annex.unit_label] + annex.phases) + "</tr>"
    body = []
    for unit, cells in annex.rows:
        tds = [f"<td>{escape(unit)}</td>"]
        for items in cells:
            tds.append("<td>" + "".join(f"<p>{escape(label + f['label_mark'] if label else '')}{escape(text)}</p>"
                                        for label, text in items) + "</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    rows = (f"<thead>{head}</thead><tbody>" if f["header_repeat"] else f"<tbody>{head}") + "".join(body) + "</tbody>"
    outline = "\n".join(f"<p>{escape(text)}</p>" for level, text in notice.body)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(notice.plan_title)}</title><style>{css}</style></head>
<body>
<h1>{escape(notice.issuer)}关于印发<br>{escape(notice.plan_title)}的通知</h1>
<p class="center">{escape(notice.doc_number)}</p>
<p>{escape(notice.recipients)}</p>
<p>《{escape(notice.plan_title)}》已经市政府同意，现印发给你们，请认真组织实施。</p>
<p class="right">{escape(notice.issuer)}</p>
<p class="right">{escape(notice.date)}</p>
<h1 style="break-before: page">{escape(notice.plan_title)}</h1>
{outline}
<p>附件：重点任务推进表</p>
<div class="annex">
<p>附件</p>
<h1>重点任务推进表</h1>
<table><colgroup>{cols}</colgroup>{rows}</table>
</div>
</body></html>
"""


# --------------------------------------------------------------------------- renderers


def _soffice() -> str:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise SystemExit("render_corpus: LibreOffice not found; apt-get install -y libreoffice-writer-nogui")
    return office


def _chromium() -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        raise SystemExit("render_corpus: Chromium not found; apt-get install -y chromium")
    return browser


def libreoffice_to_pdf(docx_files: list[Path], out_dir: Path, tagged: bool = False) -> None:
    """Every file in one soffice call (starting LibreOffice costs more than converting a notice),
    with a private profile so that a desktop LibreOffice does not interfere."""
    if not docx_files:
        return
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([_soffice(), f"-env:UserInstallation=file://{profile}/profile", "--headless",
                        "--convert-to", TAGGED_EXPORT if tagged else "pdf", "--outdir", str(out_dir),
                        *map(str, docx_files)],
                       check=True, capture_output=True, timeout=60 + 10 * len(docx_files))


def chromium_to_pdf(html: Path, pdf: Path, profile: Path) -> None:
    subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                    html.resolve().as_uri()], check=True, capture_output=True, timeout=120)


def render_browser(pages: list[tuple[Path, Path]], workers: int = 2) -> None:
    """Chromium two at a time, each worker with its own profile."""
    with tempfile.TemporaryDirectory() as tmp:
        profiles = [Path(tmp) / f"p{k}" for k in range(workers)]

        def run(k: int) -> None:
            for html, pdf in pages[k::workers]:
                chromium_to_pdf(html, pdf, profiles[k])

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, range(workers)))


def pdfium_pages(pdf: Path) -> list[str]:
    """Each page's text in content-stream order, as a copy-paste from a PDF viewer gives it."""
    import pypdfium2
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        pages = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()
    return [p.replace("\r\n", "\n").replace("\r", "\n") for p in pages]


def pdf_text_pdfium(pdf: Path) -> str:
    return "\n".join(pdfium_pages(pdf)) + "\n"


def pdf_text_plumber(pdf: Path) -> str:
    import pdfplumber
    with pdfplumber.open(pdf) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages) + "\n"


def quiet_pdfminer() -> None:
    """pdfminer logs a warning per glyph for the Type 3 fonts of browser PDFs; the text is fine."""
    logging.getLogger("pdfminer").setLevel(logging.ERROR)


def _extract(job: tuple[Path, Path, str]) -> None:
    pdf, out, how = job
    text = {"pdfium": pdf_text_pdfium, "plumber": pdf_text_plumber, "layout": pdf_text_layout}[how](pdf)
    out.write_text(text, encoding="utf-8")


def extract(notices: list[Notice], work: Path, workers: int, missing_only: bool = False) -> None:
    """Every PDF's text, each way (with `missing_only`, only the copies a kept corpus lacks)."""
    jobs = [(work / f"pdf-{p}" / f"{n.id}.pdf", work / f"txt-{how}-{p}" / f"{n.id}.txt", how)
            for n in notices for p in EXTRACTED_FROM for how in EXTRACTORS]
    jobs = [job for job in jobs if not (missing_only and job[1].is_file())]
    for _, out, _ in jobs:
        out.parent.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(workers, initializer=quiet_pdfminer) as pool:
        list(pool.map(_extract, jobs, chunksize=8))


def render(notices: list[Notice], work: Path, workers: int = 2) -> None:
    """Write every notice in all its forms under work/FORM/ID.*."""
    source = work / "source"
    for d in ["source", *FORMS]:
        (work / d).mkdir(parents=True, exist_ok=True)
    for n in notices:
        (work / "docx" / f"{n.id}.docx").write_bytes(build_docx(n, ruled=True))
        (source / f"{n.id}-unruled.docx").write_bytes(build_docx(n, ruled=False))
        (source / f"{n.id}.html").write_text(build_html(n), encoding="utf-8")
    started = time.monotonic()
    # LibreOffice (ruled, ruled tagged and unruled, one call each), Chromium two-wide after it.
    ruled = sorted((work / "docx").glob("*.docx"))
    unruled = sorted(source.glob("*-unruled.docx"))
    with ThreadPoolExecutor(2) as pool:
        jobs = [pool.submit(libreoffice_to_pdf, ruled, work / "pdf-lo-ruled"),
                pool.submit(libreoffice_to_pdf, ruled, work / "pdf-lo-tagged", True),
                pool.submit(libreoffice_to_pdf, unruled, source)]
        for job in jobs:
            job.result()
    for pdf in source.glob("*-unruled.pdf"):
        pdf.replace(work / "pdf-lo-unruled" / pdf.name.replace("-unruled", ""))
    print(f"LibreOffice: {2 * len(ruled) + len(unruled)} PDFs in {time.monotonic() - started:.0f} s", file=sys.stderr)
    started = time.monotonic()
    render_browser([(source / f"{n.id}.html", work / "pdf-browser" / f"{n.id}.pdf") for n in notices], workers)
    print(f"Chromium: {len(notices)} PDFs in {time.monotonic() - started:.0f} s", file=sys.stderr)
    extract(notices, work, workers)


# --------------------------------------------------------------------------- reading and judging

Published = list[tuple[str, int, str, int, int, str, str]]  # unit, unit_order, phase, phase_order, seq, label, key


@dataclass
class Reading:
    form: str
    id: str
    rows: Published
    error: str | None
    timed_out: bool = False
    crash: str | None = None  # an exception other than the pipeline's own errors
    doubtful: tuple[str, ...] = ()  # cells published but flagged as not certain (unit/phase)


class ReadingTimeout(BaseException):
    """Not an Exception: corpus mode names and skips a document that raises one, and a reading
    stopped for time must be counted as a timeout, not as that document's crash."""


def _out_of_time(signum: int, frame: Any) -> None:
    raise ReadingTimeout()


def read_form(job: tuple[str, Path, Path, int]) -> Reading:
    """One file through corpus mode's per-document path (the rows it publishes, or its error);
    rows the publisher would reject (schema, primary key) count as an error of the whole run.
    A reading that takes more than `timeout` seconds of CPU is stopped and counted apart: on a few
    pages of annex it is a defect of its own, and it would make the run take hours."""
    from pipeline.annex import ANNEX_MEASURES
    from pipeline.corpus import published_annex
    from pipeline.tables import validate

    form, path, root, timeout = job
    quiet_pdfminer()
    # CPU time, not wall time: the verdict must not depend on what else the machine is doing.
    signal.signal(signal.SIGVTALRM, _out_of_time)
    signal.setitimer(signal.ITIMER_VIRTUAL, timeout)
    try:
        read = published_annex(path, root)
    except ReadingTimeout:
        return Reading(form, path.stem, [], None, timed_out=True)
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
    if read.trace:  # not a pipeline error but a bug; corpus mode names the file and goes on
        return Reading(form, path.stem, [], None, crash=read.error)
    try:
        validate(ANNEX_MEASURES, read.rows)
    except Exception as error:  # a rejected table publishes nothing, but names no file either
        return Reading(form, path.stem, [], f"rows rejected by the publisher: {error}")
    published = sorted((r["unit"], r["unit_order"], r["phase"], r["phase_order"], r["seq"], r["label"], r["text_key"])
                       for r in read.rows)
    published.sort(key=lambda r: (r[1], r[3], r[4]))
    return Reading(form, path.stem, published, read.error, doubtful=read.doubtful)


def read_all(work: Path, ids: list[str], workers: int, timeout: int) -> list[Reading]:
    suffix = {"docx": ".docx", **{f"pdf-{p}": ".pdf" for p in PDF_FORMS}}
    jobs = [(form, work / form / f"{i}{suffix.get(form, '.txt')}", work / form, timeout) for form in FORMS for i in ids]
    with ProcessPoolExecutor(workers, initializer=quiet_pdfminer) as pool:
        return list(pool.map(read_form, jobs, chunksize=4))


def first_difference(truth: dict[str, Any], rows: Published) -> str | None:
    """None when the published annex is the truth; else the first place where they differ."""
    phases = truth["phases"]
    for _, _, phase, order, *_ in rows:
        if order > len(phases) or normalize_key(phase) != normalize_key(phases[order - 1]):
            printed = phases[order - 1] if order <= len(phases) else None
            return f"phase {order} published as {phase!r}, printed {printed!r}"
    got = [(normalize_key(u), normalize_key(p), seq, label, key) for u, _, p, _, seq, label, key in rows]
    want = [(normalize_key(u), normalize_key(p), seq, label, key) for u, p, seq, label, key in truth["measures"]]
    for k, (a, b) in enumerate(zip(got, want)):
        if a != b:
            at = _first_mismatch(a[4], b[4]) if a[:4] == b[:4] else 0
            return f"measure {k + 1}: published {_show(a, at)}, printed {_show(b, at)}"
    if len(got) != len(want):
        extra = got[len(want)] if len(got) > len(want) else want[len(got)]
        what = "published beyond the table" if len(got) > len(want) else "missing"
        return f"{len(got)} measures published, {len(want)} printed; first {what}: {_show(extra)}"
    return None


def differing_cells(truth: dict[str, Any], rows: Published) -> set[str]:
    """The cells (unit/phase, on the key) whose measures differ between the truth and the rows."""
    def cells(measures: list[tuple[str, str, str, str]]) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for unit, phase, label, key in measures:
            out.setdefault(normalize_key(f"{unit}/{phase}"), []).append((label, key))
        return out
    got = cells([(u, p, label, key) for u, _, p, _, _, label, key in rows])
    want = cells([(u, p, label, key) for u, p, _, label, key in truth["measures"]])
    return {cell for cell in got.keys() | want.keys() if got.get(cell) != want.get(cell)}


def _first_mismatch(a: str, b: str) -> int:
    return next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def _show(measure: tuple, at: int = 0) -> str:
    """A measure in one line; its text from a little before `at`, where two texts part."""
    unit, phase, seq, label, key = measure
    start = max(at - 8, 0)
    text = ("…" if start else "") + key[start:start + 24] + ("…" if len(key) > start + 24 else "")
    return f"{unit}/{phase}/{seq} label {label!r} 「{text}」"


def judge(truth: dict[str, Any], reading: Reading) -> tuple[str, str]:
    """(verdict, detail): exact, flagged (published with a difference that lies only in cells the
    run names as in doubt), wrong, refused (an error naming the file, nothing published), or
    timeout (stopped after the time limit, nothing published), or crash (an exception that is not
    a pipeline error: corpus mode would stop the whole run on it)."""
    if reading.timed_out:
        return "timeout", "no result within the time limit"
    if reading.crash:
        return "crash", reading.crash
    if reading.rows or not reading.error:
        difference = first_difference(truth, reading.rows)
        if difference is None:
            return "exact", ""
        if not reading.rows:
            difference = "no annex published and no error"
        elif reading.doubtful and differing_cells(truth, reading.rows) <= {normalize_key(c) for c in reading.doubtful}:
            return "flagged", f"{difference} (in a cell flagged in doubt: {reading.error})"
        return "wrong", difference
    if f"{reading.id}." in reading.error.split(":")[0]:
        return "refused", reading.error
    return "wrong", f"error that names no file: {reading.error}"


VERDICTS = ("exact", "flagged", "wrong", "refused", "timeout", "crash")


def summarise(notices: list[Notice], readings: list[Reading], seed: int, timeout: int) -> dict[str, Any]:
    by_id = {n.id: n for n in notices}
    forms: dict[str, dict[str, Any]] = {f: {v: 0 for v in VERDICTS} for f in FORMS}
    failures: dict[str, dict[str, Any]] = {}
    by_factor: dict[str, dict[str, dict[str, list[int]]]] = {}
    for reading in readings:
        notice = by_id[reading.id]
        verdict, detail = judge(notice.annex.truth(), reading)
        forms[reading.form][verdict] += 1
        # Right, but with cells the run could not be sure of (a false alarm: exit status 1).
        forms[reading.form]["exact_in_doubt"] = forms[reading.form].get("exact_in_doubt", 0) + (
            verdict == "exact" and bool(reading.doubtful))
        if verdict != "exact":
            entry = failures.setdefault(notice.id, {"id": notice.id, "factors": notice.factors, "forms": {}})
            entry["forms"][reading.form] = f"{verdict}: {detail}"
        for name, value in notice.factors.items():
            if name in FACTOR_AXES:
                counts = by_factor.setdefault(name, {}).setdefault(str(value), {}).setdefault(reading.form, [0, 0])
                counts[0] += verdict == "exact"
                counts[1] += 1
    for counts in forms.values():
        total = sum(counts[v] for v in VERDICTS)
        counts["n"] = total
        for v in VERDICTS:
            counts[f"{v}_share"] = round(counts[v] / total, 4) if total else 0.0
    exact_by_factor = {name: {value: {form: f"{c[0]}/{c[1]}" for form, c in sorted(per_form.items())}
                              for value, per_form in sorted(values.items())}
                       for name, values in sorted(by_factor.items())}
    return {"seed": seed, "n": len(notices), "timeout_seconds": timeout, "forms": forms, "exact_by_factor": exact_by_factor,
            "not_exact": [failures[k] for k in sorted(failures)]}


# Factors worth a breakdown of the exact share (the others are recorded per notice).
FACTOR_AXES = ("orientation", "font_pt", "line_spacing", "unit_chars", "columns", "header_repeat", "valign",
               "browser_ruled", "furniture", "unit_label", "task_label", "spanning", "label_mark", "content",
               "justify")


def print_table(summary: dict[str, Any]) -> None:
    print(f"{'form':<24}{'n':>5}" + "".join(f"{v:>9}" for v in VERDICTS) + "   exact share")
    for form, c in summary["forms"].items():
        print(f"{form:<24}{c['n']:>5}" + "".join(f"{c[v]:>9}" for v in VERDICTS) + f"   {c['exact_share']:.1%}")


# --------------------------------------------------------------------------- test fixtures

FIXTURE_CANDIDATES = 48
FIXTURE_COUNT = 25
MAX_ANNEX_PAGES = 3


def form_file(form: str, stem: str) -> str:
    """File name of one form of a notice, in the corpus (FORM/ID.ext) or as a fixture (stem-form.ext)."""
    if form == "docx":
        return f"{stem}.docx"
    kind, rest = form.split("-", 1)
    return f"{stem}-{rest}.{kind}"


def annex_pages(pdf: Path) -> int:
    """Pages from the one whose first lines hold the 附件 heading to the end."""
    pages = pdfium_pages(pdf)
    first = next((k for k, page in enumerate(pages) if "附件" in [ln.strip() for ln in page.splitlines()[:4]]),
                 len(pages))
    return len(pages) - first


def cover(candidates: list[Notice], count: int) -> list[Notice]:
    """Greedy cover: the notice that brings the most factor values not yet covered, until every
    value of every varied factor is in; then the next candidates in order up to `count`."""
    def values(n: Notice) -> set[tuple[str, str]]:
        return {(axis, str(n.factors[axis])) for axis in FACTOR_AXES}

    wanted = set().union(*(values(n) for n in candidates))
    chosen: list[Notice] = []
    covered: set[tuple[str, str]] = set()
    while covered != wanted:
        best = max((n for n in candidates if n not in chosen), key=lambda n: len(values(n) - covered))
        chosen.append(best)
        covered |= values(best)
    chosen += [n for n in candidates if n not in chosen][:max(count - len(chosen), 0)]
    return sorted(chosen, key=lambda n: n.id)


def make_fixtures(out: Path, seed: int, workers: int, timeout: int) -> None:
    """Small notices (a few units, one to three annex pages) that together cover every varied
    factor; every form of each, its truth, and what the readers did with it when written."""
    candidates = draw_corpus(FIXTURE_CANDIDATES, seed, small=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        render(candidates, work, workers)
        readings = read_all(work, [n.id for n in candidates], workers, timeout)
        verdicts: dict[str, dict[str, str]] = {}
        for reading in readings:
            notice = next(n for n in candidates if n.id == reading.id)
            verdicts.setdefault(reading.id, {})[reading.form] = judge(notice.annex.truth(), reading)[0]
        # A fixture must read quickly in the test suite and stay small.
        usable = [n for n in candidates if not {"timeout", "crash"} & set(verdicts[n.id].values())
                  and max(annex_pages(work / f"pdf-{p}" / f"{n.id}.pdf") for p in EXTRACTED_FROM) <= MAX_ANNEX_PAGES]
        chosen = cover(usable, FIXTURE_COUNT)
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        manifest: dict[str, Any] = {"seed": seed, "fixtures": {}}
        for k, notice in enumerate(chosen, start=1):
            stem = f"rendered-{k:02d}"
            forms = fixture_forms(k)
            for form in forms:
                shutil.copyfile(work / form / form_file_in_corpus(form, notice.id), out / form_file(form, stem))
            (out / f"{stem}.truth.json").write_text(
                json.dumps(notice.annex.truth(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            manifest["fixtures"][stem] = {"drawn_as": notice.id, "factors": notice.factors, "forms": forms,
                                          "measured": {f: verdicts[notice.id][f] for f in forms}}
        (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                           encoding="utf-8")
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {len(chosen)} fixtures ({size / 1e6:.1f} MB) to {out}")
    for stem, entry in manifest["fixtures"].items():
        print(stem, " ".join(f"{form}={v}" for form, v in entry["measured"].items() if v != "exact"))


def fixture_forms(k: int) -> list[str]:
    """The Word document and one PDF with its text extractions: the producers take turns
    (LibreOffice ruled, unruled, Chromium), which keeps the folder small (a PDF embeds its font)."""
    producer = EXTRACTED_FROM[(k - 1) % len(EXTRACTED_FROM)]
    return ["docx", f"pdf-{producer}", *(f"txt-{how}-{producer}" for how in EXTRACTORS)]


def form_file_in_corpus(form: str, notice_id: str) -> str:
    return f"{notice_id}.{'docx' if form == 'docx' else form.split('-', 1)[0]}"


# --------------------------------------------------------------------------- main


def draw_corpus(n: int, seed: int, small: bool = False) -> list[Notice]:
    rng = random.Random(seed)
    real = load_real_annex()
    city, body = load_real_body()
    return [draw_notice(k, rng, real, city, body, small) for k in range(n)]


def write_manifest(notices: list[Notice], out: Path, seed: int) -> None:
    manifest = {"seed": seed, "n": len(notices),
                "notices": {n.id: {"factors": n.factors, "truth": n.annex.truth()} for n in notices}}
    out.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _same_corpus(manifest: Path, seed: int, n: int) -> bool:
    if not manifest.is_file():
        return False
    kept = json.loads(manifest.read_text(encoding="utf-8"))
    return kept.get("seed") == seed and kept.get("n") == n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="number of notices (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--keep", type=Path, help="keep the rendered corpus in this folder")
    parser.add_argument("--workers", type=int, default=2, help="parallel renderers and readers (default 2)")
    parser.add_argument("--reuse", action="store_true",
                        help="with --keep: read the corpus already rendered there (same --n and --seed) again")
    parser.add_argument("--timeout", type=int, default=2,
                        help="CPU seconds one reading may take before it is stopped and counted as a timeout (default 2)")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "quality" / "render_share.json",
                        help="where to write the counts (default data/quality/render_share.json)")
    parser.add_argument("--fixtures", type=Path, help="write the small test fixtures into this folder instead")
    args = parser.parse_args(argv)
    quiet_pdfminer()
    if args.fixtures:
        make_fixtures(args.fixtures, args.seed, args.workers, args.timeout)
        return 0
    notices = draw_corpus(args.n, args.seed)
    work = args.keep or Path(tempfile.mkdtemp(prefix="render-corpus-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if not (args.reuse and args.keep and _same_corpus(work / "manifest.json", args.seed, args.n)):
            write_manifest(notices, work / "manifest.json", args.seed)
            render(notices, work, args.workers)
        else:
            extract(notices, work, args.workers, missing_only=True)  # a kept corpus from before a new extractor
        started = time.monotonic()
        readings = read_all(work, [n.id for n in notices], args.workers, args.timeout)
        print(f"pipeline: {len(readings)} readings in {time.monotonic() - started:.0f} s", file=sys.stderr)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    from pipeline.tables import write_bytes_atomic
    summary = summarise(notices, readings, args.seed, args.timeout)
    write_bytes_atomic(args.out, (json.dumps(summary, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode())
    print_table(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
