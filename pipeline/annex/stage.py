"""Stage `annex`: the 重点任务推进表 of every plan version as unit x phase x measure.

An annex read from a table in the file itself (DOCX, ruled PDF) is read cell by cell by
`pipeline.annex.cells.parse_cell_annex`. An annex laid out as broken PDF text (the unit column read one character per line) is rebuilt by
`pipeline.annex.text.rebuild_annex`; a clean cell-by-cell linearisation is read by
`pipeline.annex.linear.parse_linear_annex`. Every rebuilt table is cross-checked against every clean
one: the measures must agree on their normalised text, and the true differences are reported.
Every character of the annex region ends up in a measure, the header, or the quality report.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.annex.model import AnnexMeasure, AnnexTable
from pipeline.annex.status import ANNEX_STATUS, AnnexRead, absent, read_fully, refused
from pipeline.plan import split_plan
from pipeline.errors import SourceError
from pipeline.load import load_documents
from pipeline.memo import by_content
from pipeline.problems import report_problem
from pipeline.records import Document, Line, plan_versions
from pipeline.tables import Column, ForeignKey, TableSpec, write_bytes_atomic, write_tables
from pipeline.textnorm import normalize_key, phase_key, strip_punctuation

ANNEX_MEASURES = TableSpec(
    name="annex_measures",
    description="The annex 重点任务推进表 of each plan version: one row per measure (unit x phase x item).",
    primary_key=("doc_id", "unit", "phase", "seq"),
    foreign_keys=(ForeignKey(("doc_id",), "documents", ("doc_id",)),),
    columns=(
        Column("doc_id", "string", "Plan version the measure belongs to (documents.doc_id).", dictionary=True, required=True),
        Column("unit", "string", "Responsible unit as printed, e.g. 市公安局.", dictionary=True, required=True),
        Column("unit_order", "integer", "1-based order of the unit's row in the table.", required=True),
        Column("phase", "string", "Column heading as printed, e.g. 重点任务, 2022, 2023-2029, 2025—2027年.", dictionary=True, required=True),
        Column("phase_key", "string", "Phase for comparisons across versions: digits and ranges normalised, 年 dropped "
               "(2025—2027年 -> 2025-2027); other headings NFKC-normalised without spaces.", dictionary=True, required=True),
        Column("phase_order", "integer", "1-based order of the column.", required=True),
        Column("seq", "integer", "1-based order of the measure within its cell.", required=True),
        Column("label", "string", "Item number as printed ('3'); empty for an unnumbered paragraph.", required=True),
        Column("text", "string", "Measure text as printed, one paragraph, item number removed.", required=True),
        Column("text_key", "string", "Comparison key: text NFKC-normalised with whitespace removed.", required=True),
        Column("source_file", "string", "Source file, relative to the raw folder.", dictionary=True, required=True),
        Column("page_start", "integer", "First page of the measure, where the source has pages."),
        Column("page_end", "integer", "Last page of the measure, where the source has pages."),
        Column("line_start", "integer", "First source line of the measure (1-based).", required=True),
        Column("line_end", "integer", "Last source line of the measure.", required=True),
    ),
)



LABEL_MARKS = ".．、"  # normalised: NFKC folds ． into .


@dataclass
class ParsedAnnex:
    document: Document
    method: str  # table (cells from the file's structure) | rebuilt (from broken text) | linear
    table: AnnexTable
    lines: list[Line]
    # The character accounting of the table and its lines (neither changes once parsed), asked for
    # by the completeness check, the annex status and the quality report: counted once.
    accounting: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)


def is_broken_layout(lines: list[Line]) -> bool:
    """A clean linearisation prints each unit name, and each paragraph, on a line of its own;
    broken PDF text wraps every paragraph at its column's width, so most of its lines stop
    mid-sentence, and reads a narrow unit column a piece of a name per line."""
    from pipeline.annex.text import TERMINAL, is_unit_name
    keys = [normalize_key(ln.text) for ln in lines if ln.text.strip()]
    whole_names = sum(1 for k in keys if len(k) >= 2 and is_unit_name(k))
    wrapped = sum(1 for k in keys if len(k) >= 4 and not k.endswith(TERMINAL))
    return whole_names < 2 or wrapped > len(keys) / 2


def parse_annex(doc: Document) -> ParsedAnnex | None:
    """The annex of a plan version, read once per process (see pipeline.memo); None when it has none."""
    parsed = _read_annex(doc)
    return parsed if parsed is None or parsed.document is doc else replace(parsed, document=doc)


@by_content
def _read_annex(doc: Document) -> ParsedAnnex | None:
    lines = split_plan(doc).annex
    if not any(ln.text.strip() for ln in lines):
        return None
    if any(ln.cell is not None for ln in lines):
        from pipeline.annex.cells import parse_cell_annex
        parsed = ParsedAnnex(doc, "table", parse_cell_annex(lines, doc.source.name), lines)
    elif is_broken_layout(lines):
        from pipeline.annex.text import rebuild_annex
        parsed = ParsedAnnex(doc, "rebuilt", rebuild_annex(lines, doc.source.name), lines)
    else:
        from pipeline.annex.linear import parse_linear_annex
        parsed = ParsedAnnex(doc, "linear", parse_linear_annex(lines, doc.source.name), lines)
    _require_complete(parsed)
    return parsed


def _require_complete(parsed: ParsedAnnex) -> None:
    """A table is published only when every character of its region is accounted for: a reader
    that stopped early, or lost a cell, must not publish the part it read as the whole."""
    accounting = character_accounting(parsed)
    left = accounting["unplaced"]
    if left:
        where = next((ln for ln in reversed(parsed.lines) if any(ch in normalize_key(ln.text) for ch in left)), None)
        place = f" (e.g. line {where.lineno}{f', page {where.page}' if where and where.page else ''}: {where.text.strip()[:20]!r})" \
            if where else ""
        raise SourceError(parsed.document.source.name,
                          f"annex table read incompletely: {len(left)} characters of the annex region are in no "
                          f"measure, unit or header{place}")


def measure_rows(parsed: ParsedAnnex) -> list[dict[str, Any]]:
    return rows_of_measures(parsed.document.doc_id, parsed.document.source.name, parsed.table.measures)


def rows_of_measures(doc_id: str, source_file: str,
                     measures: list[AnnexMeasure] | tuple[AnnexMeasure, ...]) -> list[dict[str, Any]]:
    """The annex_measures rows of a version's measures."""
    return [{
        "doc_id": doc_id, "unit": m.unit, "unit_order": m.unit_order, "phase": m.phase,
        "phase_key": phase_key(m.phase), "phase_order": m.phase_order, "seq": m.seq, "label": m.label, "text": m.text,
        "text_key": normalize_key(m.text), "source_file": source_file,
        "page_start": m.page_start, "page_end": m.page_end, "line_start": m.line_start, "line_end": m.line_end,
    } for m in measures]


# --------------------------------------------------------------------------- checks

def _header_lines(parsed: ParsedAnnex) -> list[Line]:
    """The annex heading, title and column headings: up to the line that completes the last phase
    (a narrow column can wrap a heading such as 2023—2027年 over two lines)."""
    last = normalize_key(parsed.table.phases[-1]) if parsed.table.phases else ""
    read = ""
    for k, ln in enumerate(parsed.lines):
        read += normalize_key(ln.text)
        if last and last in read[-(len(last) + len(normalize_key(ln.text))):]:
            return parsed.lines[:k + 1]
    return []


def character_accounting(parsed: ParsedAnnex) -> dict[str, Any]:
    """Every character of the annex region must be in a measure, a unit name, the header or a
    reported issue; what is left over is listed so that nothing is dropped silently."""
    if parsed.accounting is None:
        parsed.accounting = _count_characters(parsed)
    return dict(parsed.accounting)


def _count_characters(parsed: ParsedAnnex) -> dict[str, Any]:
    region = Counter(normalize_key("".join(ln.text for ln in parsed.lines)))
    header = Counter(normalize_key("".join(ln.text for ln in _header_lines(parsed))))
    # Each text normalised on its own, the characters of all counted in one go.
    placed = Counter("".join([normalize_key(m.text + m.label) for m in parsed.table.measures]
                             + [normalize_key(unit) for unit in parsed.table.units]))
    reported = Counter("".join(normalize_key(issue.text.replace(" | ", "")) for issue in parsed.table.issues
                               if issue.kind in ("footer_removed", "unplaced_fragment")))
    left = region - header - placed - reported
    # The mark after an item number (1. 1． 1、) is dropped with the number's label.
    marks = sum(1 for m in parsed.table.measures if m.label)
    for mark in LABEL_MARKS:
        taken = min(left[mark], marks)
        left[mark] -= taken
        marks -= taken
    left = +left
    invented = placed + reported - (region - header)
    return {"region_chars": sum(region.values()), "header_chars": sum(header.values()),
            "in_measures_or_units": sum(placed.values()), "in_report": sum(reported.values()),
            "unplaced": "".join(sorted(left.elements())), "invented": "".join(sorted(invented.elements()))}


def cross_check(rebuilt: ParsedAnnex, clean: ParsedAnnex) -> dict[str, Any]:
    """Compare two tables measure for measure on (unit, phase, label) and normalised text."""
    return compare_measures(rebuilt.document.doc_id, rebuilt.table.measures, clean.document.doc_id,
                            clean.table.measures)


def compare_measures(a_doc: str, a_measures: list[AnnexMeasure], b_doc: str, b_measures: list[AnnexMeasure],
                     names: tuple[str, str] = ("rebuilt", "clean")) -> dict[str, Any]:
    """Two readings of a table, measure for measure; `names` label the two sides in the result
    (also used for two files of one plan version, see pipeline.versions)."""
    def keyed(measures: list[AnnexMeasure]) -> dict[tuple[str, str, int], AnnexMeasure]:
        return {(normalize_key(m.unit), phase_key(m.phase), m.seq): m for m in measures}

    na, nb = names
    a, b = keyed(a_measures), keyed(b_measures)
    exact, punctuation, differ = 0, [], []
    for key in sorted(set(a) | set(b)):
        ma, mb = a.get(key), b.get(key)
        if ma is None or mb is None:
            differ.append({"unit": key[0], "phase": key[1], "seq": key[2],
                           na: ma.text if ma else None, nb: mb.text if mb else None})
        elif normalize_key(ma.label + ma.text) == normalize_key(mb.label + mb.text):
            exact += 1
        elif strip_punctuation(ma.label + ma.text) == strip_punctuation(mb.label + mb.text):
            punctuation.append({"unit": ma.unit, "phase": ma.phase, "seq": ma.seq, "label": ma.label,
                                na: ma.text, nb: mb.text,
                                f"{na}_lines": [ma.line_start, ma.line_end], f"{nb}_lines": [mb.line_start, mb.line_end]})
        else:
            differ.append({"unit": ma.unit, "phase": ma.phase, "seq": ma.seq, na: ma.text, nb: mb.text})
    return {f"{na}_doc": a_doc, f"{nb}_doc": b_doc,
            f"{na}_measures": len(a), f"{nb}_measures": len(b), "exact": exact,
            "punctuation_only": punctuation, "different": differ}


def quality_report(parsed: list[ParsedAnnex]) -> dict[str, Any]:
    tables = []
    for p in parsed:
        tables.append({
            "doc_id": p.document.doc_id, "method": p.method, "source_file": p.document.source.name,
            "phases": p.table.phases, "units": p.table.units, "measures": len(p.table.measures),
            "issues": [asdict(i) for i in p.table.issues],
            "characters": character_accounting(p),
        })
    rebuilt = [p for p in parsed if p.method == "rebuilt"]
    clean = [p for p in parsed if p.method in ("linear", "table")]
    checks = [cross_check(r, c) for r in rebuilt for c in clean]
    return {"tables": tables, "cross_checks": checks}


def render_markdown(report: dict[str, Any]) -> str:
    out = ["# Annex quality report", ""]
    for t in report["tables"]:
        out += [f"## {t['doc_id']} ({t['method']}, {t['source_file']})", "",
                f"- phases: {', '.join(t['phases'])}",
                f"- units ({len(t['units'])}): {', '.join(t['units'])}",
                f"- measures: {t['measures']}",
                f"- characters in the annex region: {t['characters']['region_chars']}; "
                f"in measures and unit names: {t['characters']['in_measures_or_units']}; "
                f"in this report: {t['characters']['in_report']}; "
                f"unplaced: {t['characters']['unplaced'] or 'none'}; invented: {t['characters']['invented'] or 'none'}", ""]
        if t["issues"]:
            out += ["| issue | unit | phase | lines | detail | text |", "|---|---|---|---|---|---|"]
            for i in t["issues"]:
                out.append(f"| {i['kind']} | {i['unit'] or ''} | {i['phase'] or ''} | {i['line_start']}-{i['line_end']} "
                           f"| {i['detail']} | {i['text'].replace('|', '/')} |")
            out.append("")
    for c in report["cross_checks"]:
        out += [f"## Cross-check: {c['rebuilt_doc']} (rebuilt) vs {c['clean_doc']} (clean)", "",
                f"- measures: {c['rebuilt_measures']} rebuilt, {c['clean_measures']} clean; "
                f"{c['exact']} identical on the normalised key",
                f"- punctuation-only differences: {len(c['punctuation_only'])}",
                f"- other differences: {len(c['different'])}", ""]
        for d in c["punctuation_only"]:
            out.append(f"  - {d['unit']} / {d['phase']} / item {d['label'] or d['seq']}: "
                       f"rebuilt 「{d['rebuilt']}」 vs clean 「{d['clean']}」")
        for d in c["different"]:
            out.append(f"  - DIFFERENT {d['unit']} / {d['phase']} / {d['seq']}: 「{d['rebuilt']}」 vs 「{d['clean']}」")
        out.append("")
    return "\n".join(out)


def read_status(doc: Document, annex: ParsedAnnex | None, settled: bool = False) -> AnnexRead:
    """Whether the version's annex came through whole, for the change audit (see annex_status).
    `settled`: a clean reading of the same table in the run confirms the cells in doubt."""
    if annex is None:
        return absent(doc)
    unplaced = [(i.unit, i.phase) for i in annex.table.issues if i.kind == "unplaced_fragment"]
    page_of = {ln.lineno: ln.page for ln in annex.lines}
    unsure = [] if settled else [(i.unit or "", i.phase or "", page_of.get(i.line_start))
                                 for i in annex.table.issues if i.kind == "paragraph_end_unsure"]
    return read_fully(doc, annex.method, len(annex.table.measures), unplaced, character_accounting(annex)["unplaced"],
                      unsure)


def confirmed_by(measures: list[AnnexMeasure] | tuple[AnnexMeasure, ...], clean: list[list[AnnexMeasure]]) -> bool:
    """Whether one of the clean readings of a table in the run agrees with these measures, measure
    for measure, punctuation aside."""
    for other in clean:
        check = compare_measures("", list(measures), "", list(other))
        if not check["different"] and check["rebuilt_measures"] == check["clean_measures"]:
            return True
    return False


def in_doubt(annex: ParsedAnnex) -> bool:
    """Whether the file leaves some of the table's cells in doubt (see pipeline.annex.cells)."""
    return any(i.kind == "paragraph_end_unsure" for i in annex.table.issues)


def unconfirmed(source_file: str, kind: str, rebuilt: list[AnnexMeasure] | tuple[AnnexMeasure, ...],
                clean: list[list[AnnexMeasure]]) -> SourceError | None:
    """Why a table rebuilt from broken text may not be published, or None when it may.

    Rebuilding a table from text that PDF extraction broke is inference: on text copies of
    renderings it was not tuned on, it reads some tables wrong in ways nothing in the text can
    show (see README, *Measured on real renderings*). Such a table is published only when a clean
    reading of the same table (a web page's table, a DOCX or PDF table read cell by cell) agrees
    with it measure for measure, punctuation aside; the differences are in the quality report."""
    if confirmed_by(rebuilt, clean):
        return None
    return SourceError(source_file,
                       f"annex of the {kind} is text extracted from a PDF, whose table can only be "
                       "rebuilt by inference, and no clean copy of the table (a PDF, DOCX or web page of it) "
                       "confirms the rebuilt table: put the PDF or DOCX in the raw folder")


def parse_all(documents: list[Document], statuses: list[AnnexRead] | None = None) -> list[ParsedAnnex]:
    """The annex of every plan version; one that cannot be read, or is rebuilt from broken text
    and confirmed by no clean copy, is reported and skipped. How each was read is appended to
    `statuses` when given."""
    read: list[tuple[Document, ParsedAnnex | None, SourceError | None]] = []
    for doc in plan_versions(documents):
        try:
            read.append((doc, parse_annex(doc), None))
        except SourceError as error:
            read.append((doc, None, error))
    # What may confirm another reading: a table read from the file's own cells or a clean
    # linearisation, with no cell in doubt. A table rebuilt from broken text is published only when
    # confirmed; cells in doubt are settled when the whole table is confirmed.
    clean = [annex.table.measures for _, annex, _ in read
             if annex is not None and annex.method != "rebuilt" and not in_doubt(annex)]
    parsed = []
    for doc, annex, error in read:
        if annex is not None and annex.method == "rebuilt":
            error = unconfirmed(doc.source.name, doc.kind, annex.table.measures, clean)
            annex = None if error else annex
        if error is not None:
            report_problem(error)
            if statuses is not None:
                statuses.append(refused(doc, error))
            continue
        if annex is not None:
            parsed.append(annex)
        if statuses is not None:
            settled = annex is not None and in_doubt(annex) and confirmed_by(annex.table.measures, clean)
            statuses.append(read_status(doc, annex, settled))
    return parsed


def run(raw_dir: Path, out_dir: Path) -> None:
    from pipeline.versions import render_twins, twin_report
    statuses: list[AnnexRead] = []
    documents = load_documents(raw_dir)
    parsed = parse_all(documents, statuses)
    rows = sorted((r for p in parsed for r in measure_rows(p)),
                  key=lambda r: (r["doc_id"], r["unit_order"], r["phase_order"], r["seq"]))
    report = quality_report(parsed)
    # The files of one plan version are checked against each other, never against other versions.
    report["twins"] = twin_report(documents)
    status_rows = sorted((s.row() for s in statuses), key=lambda r: r["doc_id"])
    write_tables(out_dir, [(ANNEX_MEASURES, rows), (ANNEX_STATUS, status_rows)])
    quality = out_dir / "quality"
    write_bytes_atomic(quality / "annex_quality.json",
                       (json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    markdown = "\n".join(part for part in (render_markdown(report), render_twins(report["twins"])) if part)
    write_bytes_atomic(quality / "annex_quality.md", (markdown + "\n").encode("utf-8"))
