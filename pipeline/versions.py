"""Plan versions: one notice in several files is one version.

Government sites publish a notice as a PDF and, beside it, the Word file; an analyst may keep the
text copied out of the PDF as well. Every file is read, and files that hold the same plan version
are grouped: the same kind of text with the same 文号 and date, or, for a text without a number,
the same title, status label, date and body. Identity comes from the document, never from the
file name: same-stem files of different notices are two versions, differently named files of one
notice are one.

The version is published from the most structured reading that reads completely: a table read
cell by cell (DOCX before PDF), before a clean linearisation, before a table rebuilt from broken
text. The other files stay in `documents`, marked `version_of`, and are not versions of their
own: no stage publishes their clauses or measures and the change audit never compares a version
with its own twin. Instead the annex stage cross-checks every pair of readings of a version,
measure by measure and clause by clause, and lists every disagreement with both readings in the
quality report. When one file cannot be read, the version comes from another and the report
says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any

from pipeline.errors import SourceError
from pipeline.problems import collect_problems, report_problem
from pipeline.records import Document
from pipeline.textnorm import normalize_key, strip_punctuation

if TYPE_CHECKING:
    from pipeline.annex.stage import ParsedAnnex
    from pipeline.annex.model import AnnexMeasure
    from pipeline.annex.status import AnnexRead

# Most structured first. A table read cell by cell keeps the author's cells; a linearisation keeps
# the order but not the grid; a rebuild infers the grid from line widths.
METHOD_ORDER = ("table", "linear", "rebuilt", "none")
FORMAT_ORDER = ("docx", "pdf", "html", "txt")
# A reading that read more is preferred, whatever its format.
STATUS_ORDER = ("complete", "none", "partial", "missing", "refused")
HEADER_FIELDS = ("title", "doc_number", "issuer", "issue_date", "recipients", "label")


@dataclass(frozen=True)
class Reading:
    """What one file gave for a plan version. Plain data, so that corpus workers can return it."""
    doc_id: str
    source_file: str
    format: str
    kind: str
    key: tuple[str, ...]  # version identity (see version_key)
    structure: tuple[int, int, str]  # how structured the file's annex is, format, file name
    header: tuple[tuple[str, str | None], ...]
    annex: AnnexRead
    measures: tuple[AnnexMeasure, ...] = ()
    clauses: tuple[tuple[str, str], ...] | None = None  # (clause_id, text); None when not read
    outline_error: str | None = None

    @property
    def rank(self) -> tuple[bool, int, tuple[int, int, str]]:
        return (self.outline_error is not None, STATUS_ORDER.index(self.annex.status), self.structure)

    @property
    def complete(self) -> bool:
        return self.outline_error is None and self.annex.status == "complete"

    @property
    def problem(self) -> str | None:
        """Why this reading is not whole, as one line naming the file."""
        if self.outline_error:
            return self.outline_error
        return self.annex.detail if self.annex.status not in ("complete", "none") else None


# --------------------------------------------------------------------------- identity

def _outline_key(doc: Document) -> str | None:
    """The body as the clauses stage reads it (page furniture and line breaks gone), hashed; the
    plain body text when the clauses stage is not installed; None when there is no outline."""
    from pipeline.plan import split_plan
    try:
        parts = split_plan(doc)
        try:
            from pipeline.outline.clauses import outline_of
        except ImportError:
            text = normalize_key("".join(ln.text for ln in parts.body))
        else:
            text = "\n".join(f"{c.clause_id}\t{c.text_key}" for c in outline_of(doc))
    except SourceError:
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def version_key(doc: Document) -> tuple[str, ...]:
    """Documents with the same key are the same plan version. A draft and the final text can share
    their body, so kind, label and date are always part of the identity."""
    if doc.doc_number and doc.issue_date:
        return ("number", doc.kind, normalize_key(doc.doc_number), doc.issue_date)
    with collect_problems():
        body = _outline_key(doc)
    if body is None:
        return ("alone", doc.doc_id)
    return ("body", doc.kind, normalize_key(doc.label or ""), doc.issue_date or "", normalize_key(doc.title), body)


def structure(doc: Document, method: str | None = None) -> tuple[int, int, str]:
    """How structured the file's reading of the annex can be, before reading it: a table read cell
    by cell, a clean linearisation, broken text to rebuild; then the format; then the file name.
    `method`: how the annex was read, when it was (the annex stage decides it the same way)."""
    if method is None:
        method = _annex_method(doc)
    fmt = FORMAT_ORDER.index(doc.source.format) if doc.source.format in FORMAT_ORDER else len(FORMAT_ORDER)
    return (METHOD_ORDER.index(method), fmt, doc.source.name)


def _annex_method(doc: Document) -> str:
    from pipeline.annex.stage import is_broken_layout
    from pipeline.plan import split_plan
    try:
        lines = split_plan(doc).annex
    except SourceError:
        lines = []
    if any(ln.cell is not None for ln in lines):
        return "table"
    if any(ln.text.strip() for ln in lines):
        return "rebuilt" if is_broken_layout(lines) else "linear"
    return "none"


# --------------------------------------------------------------------------- reading

@dataclass
class PlanRead:
    """A reading with what the stages publish from it."""
    reading: Reading
    annex: ParsedAnnex | None = None
    clauses: list[Any] | None = None  # pipeline.outline.clauses.Clause


def read_plan(doc: Document, key: tuple[str, ...] | None = None) -> PlanRead:
    """Read the annex and the outline of one file's plan version. Problems are not reported here:
    the stage that publishes the version reports its own, the annex stage those of its twins."""
    from pipeline.annex.stage import parse_annex, read_status
    from pipeline.annex.status import refused

    annex = None
    clauses = None
    outline_error = None
    with collect_problems():
        try:
            annex = parse_annex(doc)
            status = read_status(doc, annex)
        except SourceError as error:
            status = refused(doc, error)
        try:
            from pipeline.outline.clauses import outline_of
            clauses = outline_of(doc)
        except ImportError:
            clauses = None
        except SourceError as error:
            outline_error = str(error)
    header = tuple((name, getattr(doc, name)) for name in HEADER_FIELDS)
    reading = Reading(doc.doc_id, doc.source.name, doc.source.format, doc.kind, key or version_key(doc),
                      structure(doc, annex.method if annex else None), header, status, tuple(annex.table.measures) if annex else (),
                      tuple((c.clause_id, c.text) for c in clauses) if clauses is not None else None,
                      outline_error)
    return PlanRead(reading, annex, clauses)


def choose(readings: list[Reading]) -> Reading:
    """The reading published as the version: the one that read most, then the most structured."""
    return min(readings, key=lambda r: r.rank)


# --------------------------------------------------------------------------- grouping

def twin_groups(documents: list[Document]) -> list[list[Document]]:
    """Plan versions held by more than one file, each group ordered by structure. Two texts of one
    file (a draft and a final text on one page) are never the same version."""
    groups: dict[tuple[str, ...], list[Document]] = {}
    for doc in documents:
        if not doc.is_plan_version:
            continue
        key = version_key(doc)
        if any(m.source is doc.source for m in groups.get(key, [])):
            key = key + (doc.doc_id,)
        groups.setdefault(key, []).append(doc)
    return [sorted(members, key=structure) for members in groups.values() if len(members) > 1]


def mark_twins(documents: list[Document]) -> None:
    """Mark every file of a version but the published one with `version_of`.

    Readings are tried most structured first and the first that reads completely wins, so a stage
    that only needs to know which file is published reads one file, not all of them."""
    for members in twin_groups(documents):
        readings: list[Reading] = []
        published = None
        for doc in members:
            reading = read_plan(doc).reading
            if reading.complete:
                published = doc
                break
            readings.append(reading)
        if published is None:
            best = choose(readings)
            published = next(d for d in members if d.doc_id == best.doc_id)
        for doc in members:
            doc.version_of = None if doc is published else published.doc_id


# --------------------------------------------------------------------------- cross-check

def _clause_order(clause_id: str) -> tuple[int, ...]:
    return tuple(int(p) for p in clause_id.split(".") if p.isdigit())


def compare_clauses(a: Reading, b: Reading) -> dict[str, Any]:
    """Clause by clause on the outline position and the normalised text, as the annex measures."""
    ca, cb = dict(a.clauses or ()), dict(b.clauses or ())
    exact, punctuation, different = 0, [], []
    for cid in sorted(set(ca) | set(cb), key=_clause_order):
        ta, tb = ca.get(cid), cb.get(cid)
        entry = {"clause_id": cid, "a": ta, "b": tb}
        if ta is None or tb is None:
            different.append(entry)
        elif normalize_key(ta) == normalize_key(tb):
            exact += 1
        elif strip_punctuation(ta) == strip_punctuation(tb):
            punctuation.append(entry)
        else:
            different.append(entry)
    return {"a_clauses": len(ca), "b_clauses": len(cb), "exact": exact,
            "punctuation_only": punctuation, "different": different}


def compare_headers(a: Reading, b: Reading) -> list[dict[str, Any]]:
    ha, hb = dict(a.header), dict(b.header)
    return [{"field": name, "a": ha.get(name), "b": hb.get(name)} for name in HEADER_FIELDS
            if normalize_key(ha.get(name) or "") != normalize_key(hb.get(name) or "")]


def cross_check_pair(a: Reading, b: Reading) -> dict[str, Any]:
    """Two readings of one version: header, clauses and measures. A side that could not be read is
    not compared (and says why); nothing is reported as different for it."""
    from pipeline.annex.stage import compare_measures

    check: dict[str, Any] = {"a_doc": a.doc_id, "b_doc": b.doc_id, "header": compare_headers(a, b)}
    unread = [r for r in (a, b) if r.clauses is None]
    check["clauses"] = ({"not_compared": "; ".join(r.outline_error or f"{r.source_file}: outline not read"
                                                   for r in unread)} if unread else compare_clauses(a, b))
    # Measures read whole but with some cells in doubt are compared: a clean twin settles the doubt.
    unread = [r for r in (a, b) if r.annex.status not in ("complete", "none") and not r.annex.only_in_doubt]
    check["measures"] = ({"not_compared": "; ".join(r.annex.detail or f"{r.source_file}: annex {r.annex.status}"
                                                    for r in unread)} if unread
                         else compare_measures(a.doc_id, list(a.measures), b.doc_id, list(b.measures), ("a", "b")))
    check["differences"] = differences(check)
    return check


def differences(check: dict[str, Any]) -> int:
    """Disagreements of a pair: header fields, clauses and measures that differ, punctuation included."""
    count = len(check["header"])
    for scope in ("clauses", "measures"):
        part = check[scope]
        count += len(part.get("punctuation_only", [])) + len(part.get("different", []))
    return count


@dataclass
class TwinEntry:
    """One plan version read from several files, for the quality report."""
    version: str
    kind: str
    doc_number: str | None
    issue_date: str | None
    readings: list[Reading]
    checks: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "kind": self.kind, "doc_number": self.doc_number,
            "issue_date": self.issue_date,
            "grouped_by": "document number and date" if self.readings[0].key[0] == "number"
            else "kind, title, label, date and body",
            "readings": [{"doc_id": r.doc_id, "source_file": r.source_file, "format": r.format,
                          "published": r.doc_id == self.version, "annex": r.annex.status,
                          "method": r.annex.method, "measures": len(r.measures),
                          "clauses": None if r.clauses is None else len(r.clauses), "problem": r.problem}
                         for r in self.readings],
            "checks": self.checks,
            "differences": sum(c["differences"] for c in self.checks),
        }


# Up to this many files, every pair is cross-checked (three files: three pairs); beyond, each file
# against the published one, so that the work grows with the files, not with their square.
ALL_PAIRS_UP_TO = 4


def twin_entry(readings: list[Reading], published: Reading) -> TwinEntry:
    """The readings of one version cross-checked, published first."""
    ordered = [published] + sorted((r for r in readings if r is not published), key=lambda r: r.structure)
    header = dict(published.header)
    entry = TwinEntry(published.doc_id, published.kind, header.get("doc_number"), header.get("issue_date"), ordered)
    pairs = combinations(ordered, 2) if len(ordered) <= ALL_PAIRS_UP_TO else ((published, r) for r in ordered[1:])
    entry.checks = [cross_check_pair(a, b) for a, b in pairs]
    return entry


def unread_twins(entry: TwinEntry) -> list[tuple[SourceError, str]]:
    """A file of a version that could not be read whole is a problem, even though the version came
    from another file: the run names the file and says what was published instead."""
    published = entry.readings[0]
    return [(SourceError(r.source_file, r.problem.removeprefix(f"{r.source_file}: ")),
             f"version {entry.version} read from {published.source_file}")
            for r in entry.readings[1:] if r.problem and not settled_by(r, published)]


def settled_by(doubtful: Reading, clean: Reading) -> bool:
    """Whether a complete reading of the same version shows the cells another reading was in doubt
    about read as that one read them (a PDF twin of a DOCX): then nothing is in doubt."""
    if not doubtful.annex.only_in_doubt or not clean.complete:
        return False
    def cells(reading: Reading) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for m in reading.measures:
            out.setdefault(normalize_key(f"{m.unit}/{m.phase}"), []).append((m.label, normalize_key(m.text)))
        return out
    theirs, ours = cells(clean), cells(doubtful)
    return all(key in theirs and theirs[key] == ours.get(key)
               for key in (normalize_key(part) for part in doubtful.annex.doubtful_parts))


def group_readings(readings: list[Reading]) -> list[list[Reading]]:
    """Readings of the same version (by key), in the order first seen; two texts of one file are
    never the same version."""
    groups: dict[tuple[str, ...], list[Reading]] = {}
    for r in readings:
        key = r.key
        if any(m.source_file == r.source_file for m in groups.get(key, [])):
            key = key + (r.doc_id,)
        groups.setdefault(key, []).append(r)
    return list(groups.values())


def twin_report(documents: list[Document]) -> list[dict[str, Any]]:
    """The cross-check of every version read from several files (marked by mark_twins)."""
    entries = []
    for doc in documents:
        twins = [d for d in documents if d.version_of == doc.doc_id]
        if not twins:
            continue
        readings = [read_plan(d).reading for d in [doc] + twins]
        entry = twin_entry(readings, readings[0])
        for error, consequence in unread_twins(entry):
            report_problem(error, consequence)
        entries.append(entry.as_dict())
    return entries


# --------------------------------------------------------------------------- report

def _quote(text: str | None) -> str:
    return "(none)" if text is None else f"「{text}」"


def render_twins(entries: list[dict[str, Any]]) -> str:
    """The cross-check of twins as Markdown (empty when no version is read from several files)."""
    out: list[str] = []
    for e in entries:
        names = {r["doc_id"]: r["source_file"] for r in e["readings"]}
        what = ", ".join(x for x in (e["doc_number"], e["issue_date"]) if x)
        out += [f"## Plan version {e['version']}: one {e['kind']} in {len(e['readings'])} files"
                + (f" ({what})" if what else ""), "",
                f"Grouped by {e['grouped_by']}; published from {names[e['version']]}; "
                f"{e['differences']} difference(s) between the files.", "",
                "| file | format | published | annex | method | measures | clauses | problem |",
                "|---|---|---|---|---|---|---|---|"]
        for r in e["readings"]:
            out.append(f"| {r['source_file']} | {r['format']} | {'yes' if r['published'] else ''} | {r['annex']} "
                       f"| {r['method'] or ''} | {r['measures']} | {'' if r['clauses'] is None else r['clauses']} "
                       f"| {(r['problem'] or '').replace('|', '/')} |")
        out.append("")
        for c in e["checks"]:
            a, b = names[c["a_doc"]], names[c["b_doc"]]
            out += [f"### {a} vs {b}", ""]
            differ = len(c["header"])
            out.append(f"- header: {f'{differ} field(s) differ' if differ else 'identical'}")
            for h in c["header"]:
                out.append(f"  - {h['field']}: {_quote(h['a'])} vs {_quote(h['b'])}")
            for scope, unit in (("clauses", "clause"), ("measures", "measure")):
                part = c[scope]
                if "not_compared" in part:
                    out.append(f"- {scope}: not compared: {part['not_compared']}")
                    continue
                out.append(f"- {scope}: {part[f'a_{scope}']} and {part[f'b_{scope}']}; {part['exact']} identical on the "
                           f"normalised key; punctuation-only differences: {len(part['punctuation_only'])}; "
                           f"other differences: {len(part['different'])}")
                for kind, rows in (("punctuation", part["punctuation_only"]), ("DIFFERENT", part["different"])):
                    for d in rows:
                        where = d["clause_id"] if unit == "clause" else \
                            f"{d['unit']} / {d['phase']} / item {d.get('label') or d['seq']}"
                        out.append(f"  - {kind} {unit} {where}: {a} {_quote(d['a'])} vs {b} {_quote(d['b'])}")
            out.append("")
    return "\n".join(out)
