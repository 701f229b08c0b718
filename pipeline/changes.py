"""Stage `changes`: what changed between consecutive versions of the plan.

Versions (the consultation draft, the final text on the consultation page, the issued notice, and
any revision dropped into raw/) are ordered by date and compared pair by pair, aligned by
structure rather than by line: header fields by name, body clauses by outline position and
content, annex measures by unit, phase and content. Each difference is one row with a type:

- punctuation: only punctuation or whitespace differ (compared on NFKC-folded text);
- reworded: same place, different words;
- added / deleted: no counterpart;
- moved: the same text in another place (another clause position, or another unit or phase);
- renumbered: the same text under a different item number;
- split / merged: one item became two consecutive ones whose text joins up, or the reverse.

Unchanged items are counted in the report, not written as rows. Redlines are word-level: text is
segmented with jieba and a domain dictionary, so a change reads as words, not characters.
"""

from __future__ import annotations

import difflib
import html
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.sources import PLAN_KINDS
from pipeline.tables import Column, TableSpec, write_bytes_atomic, write_tables
from pipeline.textnorm import normalize_key, strip_punctuation

DOMAIN_TERMS = Path(__file__).with_name("data") / "domain_terms.txt"
HEADER_FIELDS = ("title", "doc_number", "issuer", "issue_date", "recipients", "label")
REWORD_SIMILARITY = 0.5

CHANGES = TableSpec(
    name="changes",
    description="One row per change between two consecutive versions of the plan, aligned by structure.",
    primary_key=("from_doc", "to_doc", "seq"),
    columns=(
        Column("from_doc", "string", "Older version (documents.doc_id).", dictionary=True, required=True),
        Column("to_doc", "string", "Newer version (documents.doc_id).", dictionary=True, required=True),
        Column("seq", "integer", "1-based order of the change within the pair.", required=True),
        Column("scope", "string", "header, body or annex.", dictionary=True, required=True),
        Column("key", "string", "Header field, clause id, or unit/phase/label of the item.", required=True),
        Column("unit", "string", "Unit of an annex measure (the newer one when it moved).", dictionary=True),
        Column("phase", "string", "Phase of an annex measure (the newer one when it moved).", dictionary=True),
        Column("old_label", "string", "Item number or clause id in the older version."),
        Column("new_label", "string", "Item number or clause id in the newer version."),
        Column("change_type", "string", "punctuation, reworded, added, deleted, moved, renumbered, split or merged.", dictionary=True, required=True),
        Column("old_text", "string", "Text in the older version, as printed."),
        Column("new_text", "string", "Text in the newer version, as printed."),
        Column("redline", "string", "Word-level redline: [-deleted-] and {+inserted+}."),
        Column("old_source", "string", "Where the older text is: file:line_start-line_end."),
        Column("new_source", "string", "Where the newer text is: file:line_start-line_end."),
    ),
)


@dataclass(frozen=True)
class Item:
    """A comparable piece of a version: a header field, a clause, or an annex measure."""

    scope: str
    place: tuple[str, ...]  # where it sits: (field,), (clause_id,), (unit, phase)
    label: str  # item number as printed, or clause id
    text: str
    source: str = ""

    @property
    def key(self) -> str:
        return normalize_key(self.text)

    @property
    def loose(self) -> str:
        return strip_punctuation(self.text)


@dataclass
class Version:
    doc_id: str
    document: dict[str, Any]
    items: list[Item]


@dataclass(frozen=True)
class Change:
    scope: str
    change_type: str
    old: Item | None
    new: Item | None
    extra_old: Item | None = None  # the second part of a merge
    extra_new: Item | None = None  # the second part of a split


@dataclass
class Audit:
    changes: list[Change] = field(default_factory=list)
    unchanged: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- alignment

def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def align(old: list[Item], new: list[Item], scope: str, audit: Audit) -> None:
    """Pair the items of one scope and record every difference."""
    old_left, new_left = list(old), list(new)

    def take(pairs_found: list[tuple[Item, Item]], kind: str | None) -> None:
        for a, b in pairs_found:
            old_left.remove(a)
            new_left.remove(b)
            if kind is None:
                audit.unchanged[scope] = audit.unchanged.get(scope, 0) + 1
            else:
                audit.changes.append(Change(scope, kind, a, b))

    def pairs(match) -> list[tuple[Item, Item]]:
        found, used = [], set()
        for a in old_left:
            b = next((b for b in new_left if id(b) not in used and match(a, b)), None)
            if b is not None:
                used.add(id(b))
                found.append((a, b))
        return found

    take(pairs(lambda a, b: a.place == b.place and a.key == b.key and a.label == b.label), None)
    take(pairs(lambda a, b: a.place == b.place and a.key == b.key), "renumbered")
    take(pairs(lambda a, b: a.key == b.key), "moved")
    take(pairs(lambda a, b: a.place == b.place and a.loose == b.loose), "punctuation")
    _splits_and_merges(old_left, new_left, scope, audit)
    take(pairs(lambda a, b: a.place == b.place and a.label == b.label
               and _similarity(a.key, b.key) >= REWORD_SIMILARITY), "reworded")
    audit.changes.extend(Change(scope, "deleted", a, None) for a in old_left)
    audit.changes.extend(Change(scope, "added", None, b) for b in new_left)


def _joins(parts: list[Item], wholes: list[Item]) -> list[tuple[Item, Item, Item]]:
    """(whole, first, second) where two consecutive parts join up into one whole; all three are
    taken out of their lists."""
    found = []
    for first, second in zip(list(parts), list(parts)[1:]):
        whole = next((w for w in wholes if w.loose == first.loose + second.loose), None)
        if whole is not None and first in parts and second in parts:
            parts.remove(first)
            parts.remove(second)
            wholes.remove(whole)
            found.append((whole, first, second))
    return found


def _splits_and_merges(old_left: list[Item], new_left: list[Item], scope: str, audit: Audit) -> None:
    for whole, first, second in _joins(new_left, old_left):
        audit.changes.append(Change(scope, "split", whole, first, extra_new=second))
    for whole, first, second in _joins(old_left, new_left):
        audit.changes.append(Change(scope, "merged", first, whole, extra_old=second))


def audit(old: Version, new: Version) -> Audit:
    result = Audit()
    for scope in ("header", "body", "annex"):
        align([i for i in old.items if i.scope == scope], [i for i in new.items if i.scope == scope], scope, result)
    return result


# --------------------------------------------------------------------------- redlines

@lru_cache(maxsize=1)
def _domain_words() -> tuple[str, ...]:
    return tuple(w.strip() for w in DOMAIN_TERMS.read_text(encoding="utf-8").splitlines()
                 if w.strip() and not w.startswith("#"))


def words(text: str) -> list[str]:
    from pipeline.tags import jieba_tokenizer
    return list(jieba_tokenizer(_domain_words()).cut(text, HMM=False))


def redline_ops(old: str, new: str) -> list[tuple[str, str, str]]:
    """[(op, old words, new words)] with op in '=', '-', '+', over jieba words. autojunk is off: on
    long Chinese sequences it would treat common characters as junk and garble the diff."""
    a, b = words(old), words(new)
    ops: list[tuple[str, str, str]] = []
    # Words are compared on their folded form: a full-width comma is the same mark as a half-width one.
    matcher = difflib.SequenceMatcher(None, [normalize_key(w) for w in a], [normalize_key(w) for w in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(("=", "".join(a[i1:i2]), "".join(b[j1:j2])))
            continue
        if i2 > i1:
            ops.append(("-", "".join(a[i1:i2]), ""))
        if j2 > j1:
            ops.append(("+", "", "".join(b[j1:j2])))
    return ops


def redline(old: str | None, new: str | None) -> str:
    """The newer text with [-deleted-] and {+inserted+} words marked."""
    marks = {"=": "{new}", "-": "[-{old}-]", "+": "{{+{new}+}}"}
    return "".join(marks[op].format(old=o, new=n) for op, o, n in redline_ops(old or "", new or ""))


# --------------------------------------------------------------------------- versions from the tables

def _source(row: dict[str, Any]) -> str:
    return f"{row['source_file']}:{row['line_start']}-{row['line_end']}"


def load_versions(out_dir: Path) -> list[Version]:
    import pyarrow.parquet as pq

    documents = pq.read_table(out_dir / "documents.parquet").to_pylist()
    clauses = pq.read_table(out_dir / "clauses.parquet").to_pylist()
    measures = pq.read_table(out_dir / "annex_measures.parquet").to_pylist()
    versions = []
    for doc in documents:
        if doc["kind"] not in PLAN_KINDS:
            continue
        items = [Item("header", (name,), name, str(doc[name]), f"{doc['source_file']}:{doc['line_start']}")
                 for name in HEADER_FIELDS if doc[name] not in (None, "")]
        items += [Item("body", (c["clause_id"],), c["clause_id"], c["text"] or c["heading"] or "", _source(c))
                  for c in clauses if c["doc_id"] == doc["doc_id"]]
        items += [Item("annex", (m["unit"], m["phase"]), m["label"], m["text"], _source(m))
                  for m in measures if m["doc_id"] == doc["doc_id"]]
        versions.append(Version(doc["doc_id"], doc, items))
    order = {kind: k for k, kind in enumerate(PLAN_KINDS)}
    return sorted(versions, key=lambda v: (str(v.document["issue_date"] or ""), order[v.document["kind"]], v.doc_id))


def change_rows(old: Version, new: Version, result: Audit) -> list[dict[str, Any]]:
    rows = []
    for seq, ch in enumerate(result.changes, start=1):
        a, b = ch.old, ch.new
        old_text = a.text if a else None
        if ch.extra_old:
            old_text = f"{old_text} ‖ {ch.extra_old.text}"
        new_text = b.text if b else None
        if ch.extra_new:
            new_text = f"{new_text} ‖ {ch.extra_new.text}"
        where = b or a
        rows.append({
            "from_doc": old.doc_id, "to_doc": new.doc_id, "seq": seq, "scope": ch.scope,
            "key": "/".join(where.place + ((where.label,) if ch.scope == "annex" else ())),
            "unit": where.place[0] if ch.scope == "annex" else None,
            "phase": where.place[1] if ch.scope == "annex" else None,
            "old_label": a.label if a else None, "new_label": b.label if b else None,
            "change_type": ch.change_type, "old_text": old_text, "new_text": new_text,
            "redline": redline(old_text, new_text),
            "old_source": a.source if a else None, "new_source": b.source if b else None,
        })
    return rows


def summary(old: Version, new: Version, result: Audit) -> dict[str, Any]:
    counts: dict[str, dict[str, int]] = {}
    for ch in result.changes:
        counts.setdefault(ch.scope, {}).setdefault(ch.change_type, 0)
        counts[ch.scope][ch.change_type] += 1
    for scope, n in result.unchanged.items():
        counts.setdefault(scope, {})["unchanged"] = n
    return {"from_doc": old.doc_id, "to_doc": new.doc_id,
            "counts": {s: dict(sorted(c.items())) for s, c in sorted(counts.items())}}


# --------------------------------------------------------------------------- report

def _marked(old: str | None, new: str | None) -> tuple[str, str]:
    left, right = [], []
    for op, o, n in redline_ops(old or "", new or ""):
        if op == "=":
            left.append(html.escape(o))
            right.append(html.escape(n))
        elif op == "-":
            left.append(f"<del>{html.escape(o)}</del>")
        else:
            right.append(f"<ins>{html.escape(n)}</ins>")
    return "".join(left), "".join(right)


def render_report(summary_data: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    esc = html.escape
    types = sorted({t for c in summary_data["counts"].values() for t in c})
    head = "".join(f"<th>{esc(t)}</th>" for t in types)
    body = "".join(f"<tr><th>{esc(scope)}</th>" + "".join(f"<td>{c.get(t, 0)}</td>" for t in types) + "</tr>"
                   for scope, c in summary_data["counts"].items())
    table_rows = []
    for r in rows:
        left, right = _marked(r["old_text"], r["new_text"])
        table_rows.append(
            f"<tr><td>{esc(r['scope'])}<br><code>{esc(r['key'])}</code></td><td>{esc(r['change_type'])}</td>"
            f"<td>{left}<div class=src>{esc(r['old_source'] or '')}</div></td>"
            f"<td>{right}<div class=src>{esc(r['new_source'] or '')}</div></td></tr>")
    title = f"修订对照表 {summary_data['from_doc']} → {summary_data['to_doc']}"
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 2em; }}
th, td {{ border: 1px solid #bbb; padding: .4em .6em; vertical-align: top; text-align: left; }}
thead th {{ background: #eee; }}
del {{ background: #fdd; color: #900; }}
ins {{ background: #dfd; color: #060; text-decoration: underline; }}
.src {{ color: #777; font-size: 80%; margin-top: .3em; }}
</style></head><body>
<h1>{esc(title)}</h1>
<h2>Summary 汇总</h2>
<table><thead><tr><th>scope</th>{head}</tr></thead><tbody>{body}</tbody></table>
<h2>对照表 (old left, new right)</h2>
<table><thead><tr><th>place</th><th>type</th><th>{esc(summary_data['from_doc'])}</th><th>{esc(summary_data['to_doc'])}</th></tr></thead>
<tbody>{''.join(table_rows) or '<tr><td colspan=4>No changes.</td></tr>'}</tbody></table>
</body></html>
"""


def report_name(old: Version, new: Version) -> str:
    return f"{old.doc_id}__{new.doc_id}".replace("/", "~")


def run(raw_dir: Path, out_dir: Path) -> None:
    versions = load_versions(out_dir)
    rows: list[dict[str, Any]] = []
    reports: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = []
    for old, new in zip(versions, versions[1:]):
        result = audit(old, new)
        pair_rows = change_rows(old, new, result)
        rows += pair_rows
        reports.append((report_name(old, new), summary(old, new, result), pair_rows))
    write_tables(out_dir, [(CHANGES, rows)])
    for name, summary_data, pair_rows in reports:
        write_bytes_atomic(out_dir / "reports" / f"{name}.html", render_report(summary_data, pair_rows).encode("utf-8"))
        write_bytes_atomic(out_dir / "reports" / f"{name}.json",
                           (json.dumps(summary_data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
