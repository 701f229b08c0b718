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

Not compared is not deleted: a scope that one side could not read completely (an annex refused,
missing or read in part, a body with no clause read) is not compared, and no row is invented for
it. Every (pair, scope) is published in `comparisons` with its status and reason, and the pair's
report opens with a banner. The parts of an annex that were read in part are left out the same way.

Every annex measure gets a `measure_id` that it keeps as long as the audit aligns it from version
to version; `measure_history` has one row per measure per version.

Unchanged items are counted in the report, not written as rows. Redlines are word-level: text is
segmented with jieba and a domain dictionary, so a change reads as words, not characters.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.annex.status import COMPARABLE, PART_SEPARATOR
from pipeline.records import PLAN_KINDS
from pipeline.tables import Column, TableSpec, read_table, write_bytes_atomic, write_tables
from pipeline.textnorm import normalize_key, strip_punctuation

DOMAIN_TERMS = Path(__file__).with_name("data") / "domain_terms.txt"
HEADER_FIELDS = ("title", "doc_number", "issuer", "issue_date", "recipients", "label")
REWORD_SIMILARITY = 0.5
SCOPES = ("header", "body", "annex")
WHOLE = "all"  # `part` of a comparison that covers the whole scope
# Kinds of alignment under which a measure keeps its identity.
SAME_MEASURE = ("unchanged", "punctuation", "reworded", "renumbered", "moved")

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


COMPARISONS = TableSpec(
    name="comparisons",
    description="For every pair of consecutive plan versions and every scope: whether it was compared. A scope "
                "that one side could not read completely is not compared, and no change is invented for it.",
    primary_key=("from_doc", "to_doc", "scope", "part"),
    columns=(
        Column("from_doc", "string", "Older version (documents.doc_id).", dictionary=True, required=True),
        Column("to_doc", "string", "Newer version (documents.doc_id).", dictionary=True, required=True),
        Column("scope", "string", "header, body or annex.", dictionary=True, required=True),
        Column("part", "string", "all for the whole scope; for an annex read in part, the unit or unit/phase that "
                                 "was not read completely.", required=True),
        Column("status", "string", "compared or not_compared.", dictionary=True, required=True),
        Column("reason", "string", "Why not compared (or compared only in part): the file and the problem."),
        Column("changes", "integer", "Rows of the changes table for this pair and scope.", required=True),
    ),
)

MEASURE_HISTORY = TableSpec(
    name="measure_history",
    description="Lineage of the annex measures: one row per measure_id per plan version. A measure keeps its id "
                "while the audit aligns it (unchanged, punctuation, reworded, renumbered, moved); a split or a "
                "merge gives new ids linked to their parents.",
    primary_key=("measure_id", "doc_id"),
    columns=(
        Column("measure_id", "string", "Stable id: from the content and place of the measure in the first version "
                                       "that has it (versions by date; never from file names).", required=True),
        Column("version", "integer", "1-based order of the plan version (by date, a draft before the final text).",
               required=True),
        Column("doc_id", "string", "Plan version (documents.doc_id).", dictionary=True, required=True),
        Column("present", "boolean", "Whether the measure is in this version; empty when the version's annex (or "
                                     "the part where the measure was) could not be read."),
        Column("unit", "string", "Unit of the measure in this version (annex_measures.unit).", dictionary=True),
        Column("phase", "string", "Phase of the measure in this version (annex_measures.phase).", dictionary=True),
        Column("seq", "integer", "Order within its cell (annex_measures.seq): with doc_id, unit and phase, the "
                                 "key of the annex_measures row."),
        Column("label", "string", "Item number as printed in this version."),
        Column("text", "string", "Text as printed in this version."),
        Column("change_type", "string", "From the previous version whose annex was read: unchanged, punctuation, "
                                        "reworded, renumbered, moved, added, deleted, split, merged, or not_compared "
                                        "(this version, or the part, was not read); empty in the first version read "
                                        "and where the measure is absent.", dictionary=True),
        Column("linked_ids", "string", "On a split or merge: the parent ids (on the new measure) or the child ids "
                                       "(on the measure that ends), separated by '；'."),
        Column("source", "string", "Where the text is: file:line_start-line_end."),
    ),
)


@dataclass(frozen=True)
class Comparison:
    scope: str
    part: str  # WHOLE, or the unit (unit/phase) of an annex read in part
    status: str  # compared | not_compared
    reason: str | None = None


@dataclass(frozen=True)
class Item:
    """A comparable piece of a version: a header field, a clause, or an annex measure."""

    scope: str
    place: tuple[str, ...]  # where it sits: (field,), (clause_id,), (unit, phase)
    label: str  # item number as printed, or clause id
    text: str
    source: str = ""
    seq: int = 0  # 1-based order in its cell (annex measures); 0 when not known
    # Where it sits as printed, when `place` is a normalised key (an annex measure's unit and
    # phase: 2025—2027年 and 2025-2027 are one phase across versions).
    printed: tuple[str, ...] = ()

    @property
    def shown(self) -> tuple[str, ...]:
        return self.printed or self.place

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
    # Why a scope cannot be compared: scope -> reason naming the file and the problem. A partial
    # annex lists its missing parts instead (unit or unit/phase), with the reason in `reasons`.
    unread: dict[str, str] = field(default_factory=dict)
    missing_parts: tuple[str, ...] = ()
    partial_reason: str = ""


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
    same: list[tuple[Item, Item]] = field(default_factory=list)  # unchanged pairs, for the lineage
    comparisons: list[Comparison] = field(default_factory=list)


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
                audit.same.append((a, b))
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


def in_part(item: Item, part: str) -> bool:
    """Whether an annex item lies in a part given as unit or unit/phase."""
    unit, _, phase = part.partition("/")
    return normalize_key(item.shown[0]) == normalize_key(unit) and (not phase or item.shown[1] == phase)


def in_parts(item: Item, parts: tuple[str, ...]) -> bool:
    return any(in_part(item, p) for p in parts)


def audit(old: Version, new: Version) -> Audit:
    """Align every scope that both versions read completely; the others are recorded as not compared."""
    result = Audit()
    for scope in SCOPES:
        reasons = [v.unread[scope] for v in (old, new) if scope in v.unread]
        if reasons:
            result.comparisons.append(Comparison(scope, WHOLE, "not_compared", "; ".join(reasons)))
            continue
        scoped = Audit()
        align([i for i in old.items if i.scope == scope], [i for i in new.items if i.scope == scope], scope, scoped)
        partial = [(v, p) for v in (old, new) for p in v.missing_parts] if scope == "annex" else []
        if partial:
            # What one side did not read cannot have been added or deleted.
            scoped.changes = [c for c in scoped.changes
                              if not (c.change_type == "deleted" and in_parts(c.old, new.missing_parts))
                              and not (c.change_type == "added" and in_parts(c.new, old.missing_parts))]
        result.changes += scoped.changes
        for name, n in scoped.unchanged.items():
            result.unchanged[name] = result.unchanged.get(name, 0) + n
        result.same += scoped.same
        reason = "; ".join(dict.fromkeys(v.partial_reason for v, _ in partial)) or None
        result.comparisons.append(Comparison(scope, WHOLE, "compared",
                                             f"compared except the parts not read: {reason}" if reason else None))
        for part in dict.fromkeys(p for _, p in partial):
            why = "; ".join(v.partial_reason for v in (old, new) if part in v.missing_parts)
            result.comparisons.append(Comparison(scope, part, "not_compared", why))
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


def _unread_annex(doc: dict[str, Any], status: dict[str, Any] | None) -> str | None:
    """Why the version's annex cannot be compared at all, or None."""
    if status is None:
        return f"{doc['source_file']}: no read status of the annex of {doc['doc_id']} (rerun the annex stage)"
    if status["status"] in COMPARABLE or (status["status"] == "partial" and status["missing_parts"]):
        return None
    return status["detail"] or f"{doc['source_file']}: annex {status['status']}"


def version_order(doc: dict[str, Any]) -> tuple[str, int, str, int]:
    """By date, a draft before the final text before the issued notice; ties by content, never by file name."""
    order = {kind: k for k, kind in enumerate(PLAN_KINDS)}
    return (str(doc["issue_date"] or ""), order[doc["kind"]], doc["source_sha256"], doc["line_start"] or 0)


def load_versions(out_dir: Path) -> list[Version]:
    documents = read_table(out_dir, "documents")
    clauses = read_table(out_dir, "clauses")
    measures = read_table(out_dir, "annex_measures")
    statuses = {s["doc_id"]: s for s in read_table(out_dir, "annex_status")}
    versions = []
    for doc in documents:
        # Another file of a version is cross-checked by the annex stage, never audited as a version.
        if doc["kind"] not in PLAN_KINDS or doc.get("version_of"):
            continue
        items = [Item("header", (name,), name, str(doc[name]), f"{doc['source_file']}:{doc['line_start']}")
                 for name in HEADER_FIELDS if doc[name] not in (None, "")]
        body = [Item("body", (c["clause_id"],), c["clause_id"], c["text"] or c["heading"] or "", _source(c))
                for c in clauses if c["doc_id"] == doc["doc_id"]]
        items += body
        items += [Item("annex", (normalize_key(m["unit"]), m["phase_key"]), m["label"], m["text"], _source(m), m["seq"],
                       (m["unit"], m["phase"]))
                  for m in measures if m["doc_id"] == doc["doc_id"]]
        version = Version(doc["doc_id"], doc, items)
        # A plan always has an outline: a version without clauses is one whose body was not read.
        if not body:
            version.unread["body"] = (f"{doc['source_file']}: no clause of the {doc['kind']} at line "
                                      f"{doc['line_start']} was read (see the clauses stage's error)")
        status = statuses.get(doc["doc_id"])
        unread = _unread_annex(doc, status)
        if unread:
            version.unread["annex"] = unread
        elif status is not None and status["status"] == "partial":
            version.missing_parts = tuple(status["missing_parts"].split(PART_SEPARATOR))
            version.partial_reason = status["detail"] or ""
        versions.append(version)
    return sorted(versions, key=lambda v: version_order(v.document))


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
            "key": "/".join(where.shown + ((where.label,) if ch.scope == "annex" else ())),
            "unit": where.shown[0] if ch.scope == "annex" else None,
            "phase": where.shown[1] if ch.scope == "annex" else None,
            "old_label": a.label if a else None, "new_label": b.label if b else None,
            "change_type": ch.change_type, "old_text": old_text, "new_text": new_text,
            "redline": redline(old_text, new_text),
            "old_source": a.source if a else None, "new_source": b.source if b else None,
        })
    return rows


def comparison_rows(old: Version, new: Version, result: Audit, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"from_doc": old.doc_id, "to_doc": new.doc_id, "scope": c.scope, "part": c.part, "status": c.status,
             "reason": c.reason,
             "changes": sum(1 for r in rows if r["scope"] == c.scope) if c.part == WHOLE else 0}
            for c in result.comparisons]


def summary(old: Version, new: Version, result: Audit) -> dict[str, Any]:
    counts: dict[str, dict[str, int]] = {}
    for ch in result.changes:
        counts.setdefault(ch.scope, {}).setdefault(ch.change_type, 0)
        counts[ch.scope][ch.change_type] += 1
    for scope, n in result.unchanged.items():
        counts.setdefault(scope, {})["unchanged"] = n
    out: dict[str, Any] = {"from_doc": old.doc_id, "to_doc": new.doc_id,
                           "counts": {s: dict(sorted(c.items())) for s, c in sorted(counts.items())}}
    if result.comparisons:
        out["comparisons"] = [{"scope": c.scope, "part": c.part, "status": c.status, "reason": c.reason}
                              for c in result.comparisons]
    return out


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


def comparison_banner(comparisons: list[dict[str, Any]]) -> str:
    """A banner that no reader can miss when a scope (or part of one) was not compared; a quiet
    line saying what was compared otherwise."""
    esc = html.escape
    missing = [c for c in comparisons if c["status"] == "not_compared"]
    if not missing:
        scopes = "、".join(c["scope"] for c in comparisons) or "nothing"
        return f'<p class=compared>Compared 已比对: {esc(scopes)}; both versions read completely.</p>'
    items = "".join(f"<li><b>{esc(c['scope'])}{'' if c['part'] == WHOLE else ' / ' + esc(c['part'])}</b>: "
                    f"{esc(c['reason'] or '')}</li>" for c in missing)
    return (f'<div class=banner role=alert><p class=banner-title>⚠ 未比对 Not compared</p>'
            f"<p>One of the two versions could not be read completely in the parts below. They were "
            f"<b>not compared</b>: nothing in them is reported as added or deleted, and what is absent here "
            f"is not evidence of a deletion.</p><ul>{items}</ul></div>")


def render_report(summary_data: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    esc = html.escape
    banner = comparison_banner(summary_data.get("comparisons", []))
    types = sorted({t for c in summary_data["counts"].values() for t in c})
    head = "".join(f"<th>{esc(t)}</th>" for t in types)
    body = "".join(f"<tr><th>{esc(scope)}</th>" + "".join(f"<td>{c.get(t, 0)}</td>" for t in types) + "</tr>"
                   for scope, c in summary_data["counts"].items())
    # A scope not compared has no counts: say so in the summary too, never show it as zero changes.
    not_compared = [c["scope"] for c in summary_data.get("comparisons", [])
                    if c["status"] == "not_compared" and c["part"] == WHOLE]
    body += "".join(f"<tr><th>{esc(scope)}</th><td class=nc colspan={max(len(types), 1)}>not compared 未比对</td></tr>"
                    for scope in not_compared)
    no_rows = "No changes in the scopes compared." if not_compared else "No changes."
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
.banner {{ background: #fff3cd; border: 3px solid #c0392b; border-radius: 6px; padding: .6em 1.2em; margin: 1em 0 2em; }}
.banner-title {{ color: #c0392b; font-size: 160%; font-weight: bold; margin: .2em 0; }}
.compared {{ color: #2e7d32; }}
.nc {{ color: #c0392b; font-weight: bold; }}
</style></head><body>
<h1>{esc(title)}</h1>
{banner}
<h2>Summary 汇总</h2>
<table><thead><tr><th>scope</th>{head}</tr></thead><tbody>{body}</tbody></table>
<h2>对照表 (old left, new right)</h2>
<table><thead><tr><th>place</th><th>type</th><th>{esc(summary_data['from_doc'])}</th><th>{esc(summary_data['to_doc'])}</th></tr></thead>
<tbody>{''.join(table_rows) or f'<tr><td colspan=4>{no_rows}</td></tr>'}</tbody></table>
</body></html>
"""


def report_name(old: Version, new: Version) -> str:
    return f"{old.doc_id}__{new.doc_id}".replace("/", "~")


# --------------------------------------------------------------------------- lineage

@dataclass
class Event:
    """What happened to one measure id in one version."""
    present: bool | None
    item: Item | None = None
    change_type: str | None = None
    linked: tuple[str, ...] = ()


def _cell_positions(items: list[Item]) -> dict[int, int]:
    """id(item) -> 1-based order in its cell (the recorded seq when there is one)."""
    seen: dict[tuple[str, ...], int] = {}
    out = {}
    for item in items:
        seen[item.place] = seen.get(item.place, 0) + 1
        out[id(item)] = item.seq or seen[item.place]
    return out


class Lineage:
    """Measure ids across the chain of versions: an id lives while the audit aligns its measure."""

    def __init__(self) -> None:
        self.alive: dict[str, Item] = {}  # id -> where the measure was last seen
        self.events: dict[str, dict[int, Event]] = {}  # id -> version number -> event
        self.taken: set[str] = set()
        self.read_any = False  # whether a version's annex has been read yet
        self.unread_parts: tuple[str, ...] = ()  # parts the last version read could not read

    def new_id(self, version: Version, item: Item, seq: int) -> str:
        doc = version.document
        basis = "|".join(str(doc.get(k) or "") for k in ("issue_date", "kind", "doc_number"))
        basis += "|" + "|".join((*item.place, str(seq), item.key))
        digest = hashlib.sha256(basis.encode("utf-8")).hexdigest()[:10]
        measure_id, n = f"M{digest}", 1
        while measure_id in self.taken:  # the same measure again at the same place in a version of the same date
            n += 1
            measure_id = f"M{digest}-{n}"
        self.taken.add(measure_id)
        self.events[measure_id] = {}
        return measure_id

    def add(self, vnum: int, version: Version) -> None:
        items = [i for i in version.items if i.scope == "annex"]
        seqs = _cell_positions(items)
        if "annex" in version.unread:
            for measure_id in self.alive:
                self.events[measure_id][vnum] = Event(None, change_type="not_compared")
            return
        first, self.read_any = not self.read_any, True
        ids_of = {id(item): measure_id for measure_id, item in self.alive.items()}
        found = Audit()
        align(list(self.alive.values()), items, "annex", found)
        born: dict[int, tuple[str | None, tuple[str, ...]]] = {}  # id(new item) -> (change type, parents)
        kept: dict[int, tuple[str, str]] = {}  # id(new item) -> (measure id, change type)
        for old, new in found.same:
            kept[id(new)] = (ids_of[id(old)], "unchanged")
        for ch in found.changes:
            if ch.change_type in SAME_MEASURE:
                kept[id(ch.new)] = (ids_of[id(ch.old)], ch.change_type)
            elif ch.change_type == "added":
                # In a part the version before could not read, a measure may not be new at all.
                kind = None if first else "not_compared" if in_parts(ch.new, self.unread_parts) else "added"
                born[id(ch.new)] = (kind, ())
            elif ch.change_type == "split":
                parent = ids_of[id(ch.old)]
                born[id(ch.new)] = born[id(ch.extra_new)] = ("split", (parent,))
            elif ch.change_type == "merged":
                parents = (ids_of[id(ch.old)], ids_of[id(ch.extra_old)])
                born[id(ch.new)] = ("merged", parents)
            elif ch.change_type == "deleted":
                measure_id = ids_of[id(ch.old)]
                if in_parts(ch.old, version.missing_parts):  # not read in this version: unknown, still alive
                    self.events[measure_id][vnum] = Event(None, change_type="not_compared")
                else:
                    self.events[measure_id][vnum] = Event(False, change_type="deleted")
                    del self.alive[measure_id]
        children: dict[str, list[str]] = {}
        for item in items:  # table order, so that ids are created in a stable order
            if id(item) in kept:
                measure_id, kind = kept[id(item)]
                self.events[measure_id][vnum] = Event(True, item, kind)
            else:
                kind, parents = born[id(item)]
                measure_id = self.new_id(version, item, seqs[id(item)])
                for parent in parents:
                    children.setdefault(parent, []).append(measure_id)
                self.events[measure_id][vnum] = Event(True, item, kind, parents)
            self.alive[measure_id] = item
        for parent, kids in children.items():
            kind = "split" if len(kids) > 1 else "merged"
            self.events[parent][vnum] = Event(False, change_type=kind, linked=tuple(kids))
            self.alive.pop(parent, None)
        self.unread_parts = version.missing_parts

    def rows(self, versions: list[Version]) -> list[dict[str, Any]]:
        rows = []
        seqs = [_cell_positions([i for i in v.items if i.scope == "annex"]) for v in versions]
        for measure_id, events in self.events.items():
            for vnum, version in enumerate(versions, start=1):
                unread = "annex" in version.unread
                ev = events.get(vnum, Event(None if unread else False))
                item = ev.item
                seq = seqs[vnum - 1][id(item)] if item else None
                rows.append({
                    "measure_id": measure_id, "version": vnum, "doc_id": version.doc_id, "present": ev.present,
                    "unit": item.shown[0] if item else None, "phase": item.shown[1] if item else None, "seq": seq,
                    "label": item.label if item else None, "text": item.text if item else None,
                    "change_type": ev.change_type, "linked_ids": PART_SEPARATOR.join(ev.linked) or None,
                    "source": item.source if item else None,
                })
        return rows


def measure_history(versions: list[Version]) -> list[dict[str, Any]]:
    lineage = Lineage()
    for vnum, version in enumerate(versions, start=1):
        lineage.add(vnum, version)
    return lineage.rows(versions)


def run(raw_dir: Path, out_dir: Path) -> None:
    versions = load_versions(out_dir)
    rows: list[dict[str, Any]] = []
    compared: list[dict[str, Any]] = []
    reports: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = []
    for old, new in zip(versions, versions[1:]):
        result = audit(old, new)
        pair_rows = change_rows(old, new, result)
        rows += pair_rows
        compared += comparison_rows(old, new, result, pair_rows)
        reports.append((report_name(old, new), summary(old, new, result), pair_rows))
    write_tables(out_dir, [(CHANGES, rows), (COMPARISONS, compared), (MEASURE_HISTORY, measure_history(versions))])
    for name, summary_data, pair_rows in reports:
        write_bytes_atomic(out_dir / "reports" / f"{name}.html", render_report(summary_data, pair_rows).encode("utf-8"))
        write_bytes_atomic(out_dir / "reports" / f"{name}.json",
                           (json.dumps(summary_data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
