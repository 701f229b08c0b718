"""Stage `site`: one static page, OUT/site/index.html, to look at what the pipeline published.

For every plan version the rebuilt annex is drawn as the printed table (units down, phases across,
numbered items in their cells), each measure citing its source file, lines and page with a link to
the source; beside it the unit × phase counts as a heat map. Then the quality report of the annex
rebuild and a link to every change report. The page reads only the published datasets (never the
sources), is self-contained (inline CSS, no script, no network) and opens by double-click; the same
datasets give the same bytes (everything sorted, no timestamps).
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pipeline.changes import version_order
from pipeline.errors import SourceError
from pipeline.records import PLAN_KINDS
from pipeline.tables import write_bytes_atomic

SITE_DIR = "site"
# Heat map colours: white to a dark blue, linear in the count; text turns white past half the maximum.
HEAT_LOW = (247, 251, 255)
HEAT_HIGH = (8, 81, 156)


@dataclass(frozen=True)
class Measure:
    unit: str
    phase: str
    seq: int
    label: str
    text: str
    source_file: str
    line_start: int
    line_end: int
    page_start: int | None
    page_end: int | None


@dataclass
class Version:
    doc: dict[str, Any]
    status: dict[str, Any] | None
    units: list[str] = field(default_factory=list)  # in printed order
    phases: list[str] = field(default_factory=list)  # in printed order
    measures: list[Measure] = field(default_factory=list)
    quality: dict[str, Any] | None = None

    @property
    def doc_id(self) -> str:
        return str(self.doc["doc_id"])

    def cell(self, unit: str, phase: str) -> list[Measure]:
        return sorted((m for m in self.measures if m.unit == unit and m.phase == phase), key=lambda m: m.seq)


# --------------------------------------------------------------------------- reading the datasets

def _read_table(out_dir: Path, name: str, required: bool = True) -> list[dict[str, Any]] | None:
    import pyarrow.parquet as pq

    path = out_dir / f"{name}.parquet"
    if not path.exists():
        if required:
            raise SourceError(path, "not found; run the stages before the site (make all)")
        return None
    return pq.read_table(path).to_pylist()


def _read_json(path: Path) -> Any:
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SourceError(path, f"not valid JSON (line {error.lineno}): rerun the stage that writes it") from error


def _ordered(rows: list[dict[str, Any]], name: str, order: str) -> list[str]:
    """Distinct values of `name` in the order of their `order` column, as printed."""
    first: dict[str, int] = {}
    for row in rows:
        first[row[name]] = min(first.get(row[name], row[order]), row[order])
    return sorted(first, key=lambda value: (first[value], value))


def load_versions(out_dir: Path) -> list[Version]:
    documents = _read_table(out_dir, "documents") or []
    measures = _read_table(out_dir, "annex_measures") or []
    statuses = {s["doc_id"]: s for s in _read_table(out_dir, "annex_status") or []}
    quality = _read_json(out_dir / "quality" / "annex_quality.json") or {}
    by_doc = {t["doc_id"]: t for t in quality.get("tables", [])}
    versions = []
    for doc in sorted((d for d in documents if d["kind"] in PLAN_KINDS), key=version_order):
        rows = [m for m in measures if m["doc_id"] == doc["doc_id"]]
        version = Version(doc, statuses.get(doc["doc_id"]), quality=by_doc.get(doc["doc_id"]))
        version.units = _ordered(rows, "unit", "unit_order")
        version.phases = _ordered(rows, "phase", "phase_order")
        if version.quality:  # phases with no measure still have their column, as printed
            version.phases += [p for p in version.quality.get("phases", []) if p not in version.phases]
            version.units += [u for u in version.quality.get("units", []) if u not in version.units]
        version.measures = [Measure(m["unit"], m["phase"], m["seq"], m["label"] or "", m["text"], m["source_file"],
                                    m["line_start"], m["line_end"], m["page_start"], m["page_end"]) for m in rows]
        versions.append(version)
    return versions


# --------------------------------------------------------------------------- rendering

def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def anchor(doc_id: str) -> str:
    """An id for a version's section: the doc_id with only characters safe in a fragment."""
    return "v-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in doc_id)


def source_href(raw_link: str, measure: Measure) -> str:
    href = f"{quote(raw_link)}/{quote(measure.source_file)}" if raw_link else quote(measure.source_file)
    # A PDF viewer opens at the page named in the fragment.
    if measure.page_start and measure.source_file.lower().endswith(".pdf"):
        href += f"#page={measure.page_start}"
    return href


def citation(measure: Measure) -> tuple[str, str]:
    """(short visible citation, full title) of where a measure is in its source."""
    lines = f"{measure.line_start}" if measure.line_start == measure.line_end else f"{measure.line_start}–{measure.line_end}"
    pages = ""
    if measure.page_start:
        pages = (f"p. {measure.page_start}" if measure.page_start == measure.page_end or not measure.page_end
                 else f"pp. {measure.page_start}–{measure.page_end}")
    short = f"{pages} · l. {lines}" if pages else f"l. {lines}"
    title = f"{measure.source_file}, lines {lines}" + (f", {pages}" if pages else "")
    return short, title


def render_measure(measure: Measure, raw_link: str) -> str:
    short, title = citation(measure)
    label = f'<span class="label">{esc(measure.label)}.</span>' if measure.label else ""
    return (f'<li>{label}{esc(measure.text)} '
            f'<a class="src" href="{esc(source_href(raw_link, measure))}" title="{esc(title)}">{esc(short)}</a></li>')


def render_annex(version: Version, raw_link: str) -> str:
    if not version.measures:
        return '<p class="empty">No annex measure was read for this version.</p>'
    head = "".join(f"<th>{esc(p)}</th>" for p in version.phases)
    rows = []
    for unit in version.units:
        cells = []
        for phase in version.phases:
            items = version.cell(unit, phase)
            inner = "<ol>" + "".join(render_measure(m, raw_link) for m in items) + "</ol>" if items else ""
            cells.append(f"<td>{inner}</td>")
        rows.append(f'<tr><th scope="row" class="unit">{esc(unit)}</th>{"".join(cells)}</tr>')
    return (f'<table class="annex"><thead><tr><th class="unit">单位</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def heat_colour(count: int, most: int) -> tuple[str, str]:
    share = count / most if most else 0.0
    rgb = tuple(round(lo + (hi - lo) * share) for lo, hi in zip(HEAT_LOW, HEAT_HIGH))
    return f"rgb({rgb[0]},{rgb[1]},{rgb[2]})", ("#fff" if share > 0.5 else "#222")


def render_heat_map(version: Version) -> str:
    if not version.measures:
        return ""
    counts = {(u, p): len(version.cell(u, p)) for u in version.units for p in version.phases}
    most = max(counts.values())
    head = "".join(f"<th>{esc(p)}</th>" for p in version.phases) + "<th>total</th>"
    rows = []
    for unit in version.units:
        cells = []
        for phase in version.phases:
            background, colour = heat_colour(counts[(unit, phase)], most)
            cells.append(f'<td style="background:{background};color:{colour}">{counts[(unit, phase)]}</td>')
        total = sum(counts[(unit, p)] for p in version.phases)
        rows.append(f'<tr><th scope="row">{esc(unit)}</th>{"".join(cells)}<td class="total">{total}</td></tr>')
    totals = "".join(f'<td class="total">{sum(counts[(u, p)] for u in version.units)}</td>' for p in version.phases)
    rows.append(f'<tr><th scope="row">total</th>{totals}<td class="total">{len(version.measures)}</td></tr>')
    return (f'<table class="heat"><caption>Measures per unit and phase</caption><thead><tr><th></th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def render_status(version: Version) -> str:
    status = version.status
    if status is None:
        return '<p class="banner">Annex not read: no status recorded for this version.</p>'
    line = (f'<p class="status">Annex <b>{esc(status["status"])}</b>, read by {esc(status["method"])} from '
            f'<code>{esc(status["source_file"])}</code>: {esc(status["measures"])} measures.</p>')
    if status["status"] != "complete" and status["status"] != "none":
        detail = "; ".join(esc(x) for x in (status.get("missing_parts"), status.get("detail")) if x)
        # A partial annex may be whole but with cells in doubt: the detail says which.
        line += (f'<p class="banner">未完整或未确定 Not read completely or for certain: '
                 f'{detail or esc(status["status"])}</p>')
    return line


def render_quality(version: Version) -> str:
    quality = version.quality
    if not quality:
        return ""
    chars = quality.get("characters", {})
    facts = [f"method: {esc(quality.get('method'))}", f"measures: {esc(quality.get('measures'))}"]
    if chars:
        facts.append(f"characters in the annex region: {esc(chars.get('region_chars'))}; in measures and unit "
                     f"names: {esc(chars.get('in_measures_or_units'))}; header: {esc(chars.get('header_chars'))}; "
                     f"in this report: {esc(chars.get('in_report'))}; unplaced: {esc(chars.get('unplaced') or 'none')}; "
                     f"invented: {esc(chars.get('invented') or 'none')}")
    issues = quality.get("issues", [])
    rows = "".join(
        f"<tr><td>{esc(i.get('kind'))}</td><td>{esc(i.get('unit'))}</td><td>{esc(i.get('phase'))}</td>"
        f"<td>{esc(i.get('line_start'))}–{esc(i.get('line_end'))}</td><td>{esc(i.get('detail'))}</td>"
        f"<td>{esc(i.get('text'))}</td></tr>" for i in issues)
    table = (f'<table class="issues"><thead><tr><th>issue</th><th>unit</th><th>phase</th><th>lines</th>'
             f'<th>detail</th><th>text</th></tr></thead><tbody>{rows}</tbody></table>' if issues
             else "<p>No issue recorded.</p>")
    return (f'<details open><summary>Quality of the annex reading</summary><p>{"<br>".join(facts)}</p>'
            f"{table}</details>")


def render_version(number: int, version: Version, raw_link: str) -> str:
    doc = version.doc
    facts = [esc(doc["kind"])] + [esc(doc[k]) for k in ("label", "doc_number", "issuer", "issue_date") if doc.get(k)]
    return (f'<section id="{anchor(version.doc_id)}"><h2>{number}. {esc(doc["title"])}</h2>'
            f'<p class="doc"><code>{esc(version.doc_id)}</code> · {" · ".join(facts)}</p>'
            f"{render_status(version)}"
            f'<div class="pair">{render_annex(version, raw_link)}{render_heat_map(version)}</div>'
            f"{render_quality(version)}</section>")


def render_cross_checks(checks: list[dict[str, Any]]) -> str:
    if not checks:
        return "<p>No clean copy of an annex to check a rebuilt one against.</p>"
    rows = []
    for check in sorted(checks, key=lambda c: (c["rebuilt_doc"], c["clean_doc"])):
        differences = [("punctuation only", d) for d in check.get("punctuation_only", [])] + \
                      [("different", d) for d in check.get("different", [])]
        detail = "".join(
            f"<li>{esc(kind)}: {esc(d.get('unit'))} / {esc(d.get('phase'))} / {esc(d.get('label'))}: "
            f"rebuilt «{esc(d.get('rebuilt'))}», clean «{esc(d.get('clean'))}»</li>" for kind, d in differences)
        rows.append(f"<tr><td><code>{esc(check['rebuilt_doc'])}</code></td><td><code>{esc(check['clean_doc'])}</code></td>"
                    f"<td>{esc(check.get('rebuilt_measures'))} / {esc(check.get('clean_measures'))}</td>"
                    f"<td>{esc(check.get('exact'))}</td><td><ul>{detail}</ul></td></tr>")
    return ('<table class="issues"><thead><tr><th>rebuilt</th><th>checked against</th><th>measures</th>'
            f'<th>exact</th><th>differences</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def render_reports(out_dir: Path, comparisons: list[dict[str, Any]] | None) -> str:
    reports = sorted((out_dir / "reports").glob("*.html")) if (out_dir / "reports").is_dir() else []
    if not reports:
        return "<p>No change report (fewer than two plan versions, or the changes stage has not run).</p>"
    items = []
    for report in reports:
        summary = _read_json(report.with_suffix(".json")) or {}
        pair = (summary.get("from_doc"), summary.get("to_doc"))
        scopes = [c for c in comparisons or [] if (c["from_doc"], c["to_doc"]) == pair]
        facts = ", ".join(
            f"{esc(c['scope'])}{'' if c['part'] == 'all' else ' / ' + esc(c['part'])}: "
            + (f"{c['changes']} change(s)" if c["status"] == "compared" else "<b>未比对 not compared</b>")
            for c in sorted(scopes, key=lambda c: (c["scope"], c["part"])))
        title = f"{esc(pair[0])} → {esc(pair[1])}" if pair[0] else esc(report.stem)
        items.append(f'<li><a href="../reports/{quote(report.name)}">{title}</a>'
                     + (f" <span class=\"facts\">({facts})</span>" if facts else "") + "</li>")
    return f'<ul class="reports">{"".join(items)}</ul>'


STYLE = """
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
       "WenQuanYi Micro Hei", sans-serif; margin: 1.5em 2em; color: #222; font-size: 14px; line-height: 1.5; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { font-size: 1.3em; border-bottom: 2px solid #08519c; }
code { font-size: .9em; color: #444; }
nav ol { columns: 2; }
table { border-collapse: collapse; }
th, td { border: 1px solid #555; padding: 4px 6px; vertical-align: top; }
thead th { background: #eef3f8; text-align: center; }
.pair { display: flex; gap: 1.5em; align-items: flex-start; }
table.annex { flex: 1 1 auto; table-layout: fixed; min-width: 60em; }
table.annex th.unit { width: 5.5em; text-align: center; vertical-align: middle; }
table.annex ol { list-style: none; margin: 0; padding: 0; }
table.annex li { margin: 0 0 .35em 0; }
.label { font-weight: bold; margin-right: .15em; }
a.src { font-size: .8em; color: #08519c; text-decoration: none; white-space: nowrap; }
a.src:hover { text-decoration: underline; }
table.heat { flex: 0 0 auto; }
table.heat td { text-align: center; min-width: 3em; font-variant-numeric: tabular-nums; }
table.heat td.total { background: #f4f4f4; font-weight: bold; }
table.heat caption { font-weight: bold; margin-bottom: .3em; }
table.issues td { font-size: .9em; }
.banner { background: #fde0dd; border: 2px solid #c51b8a; padding: .5em; font-weight: bold; }
.status { margin: .2em 0 .6em; }
details { margin: .8em 0 2em; } summary { font-weight: bold; cursor: pointer; }
"""


def render_site(out_dir: Path, versions: list[Version], raw_link: str) -> str:
    quality = _read_json(out_dir / "quality" / "annex_quality.json") or {}
    comparisons = _read_table(out_dir, "comparisons", required=False)
    nav = "".join(f'<li><a href="#{anchor(v.doc_id)}">{esc(v.doc["title"])}</a> <code>{esc(v.doc_id)}</code></li>'
                  for v in versions)
    sections = "".join(render_version(k, v, raw_link) for k, v in enumerate(versions, start=1))
    return f"""<!DOCTYPE html>
<html lang="zh-Hans">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Plan versions and their annex</title>
<style>{STYLE}</style>
</head>
<body>
<h1>Plan versions and their annex</h1>
<p>Every plan version the pipeline read, its annex drawn as the printed table (units down, phases across);
each measure cites its source file, lines and page, and links to the source. Counts per unit and phase beside it;
the quality of the reading below it. <a href="#quality">Cross-checks</a> · <a href="#changes">Change reports</a></p>
<nav><ol>{nav}</ol></nav>
{sections}
<section id="quality"><h2>Cross-checks of rebuilt annexes against clean copies</h2>{render_cross_checks(quality.get("cross_checks", []))}</section>
<section id="changes"><h2>Change reports</h2>{render_reports(out_dir, comparisons)}</section>
</body>
</html>
"""


def raw_link(raw_dir: Path, out_dir: Path) -> str:
    """The raw folder as seen from the site folder, so that links work wherever the two are copied together."""
    try:
        return Path(os.path.relpath(os.path.abspath(raw_dir), os.path.abspath(out_dir / SITE_DIR))).as_posix()
    except ValueError:  # another drive: no relative path exists
        return Path(os.path.abspath(raw_dir)).as_uri()


def run(raw_dir: Path, out_dir: Path) -> None:
    """Stage form: reads the datasets in OUT (the raw folder is only linked to), writes OUT/site/index.html."""
    versions = load_versions(out_dir)
    page = render_site(out_dir, versions, raw_link(raw_dir, out_dir))
    write_bytes_atomic(out_dir / SITE_DIR / "index.html", page.encode("utf-8"))
