"""Stage `tags`: tag every annex measure and every clause by a rule set over jieba tokens.

Three tag families:

- ``link``: the plan's own five links 预防, 打击, 救助, 安置, 康复 (集预防、打击、救助、安置、康复于一体);
- ``4p``: the international frame prevention, protection, prosecution, partnership;
- ``group``: the target groups a record names (妇女, 儿童, 留守儿童, 流动人口, 残疾人, 青少年, …).

The rules are data, in ``pipeline/data/tag_rules.json``: for each family, for each tag, a list of
terms, and optionally ``includes`` (other tags whose terms count too, e.g. 4P protection includes
the links 救助, 安置 and 康复). The rule is one and the same for every tag:

    a record carries tag T when a token of its text is equal to a term of T (or of a tag T includes).

Tokens come from jieba in precise mode with HMM off (so no guessed words), over the NFKC-normalised
text with whitespace removed (justified PDF text spaces characters apart); every term and every
word of the rule file's ``dictionary`` is added as a user word, so domain words (被拐, 反拐, 心理疏导,
回归家庭, …) come out whole. A compound that is one token (妇女儿童) therefore matches only the tags
that list it, which is why compounds are listed under every tag they stand for. The tokens that
triggered a tag are published with it, so every tag can be checked by reading.

jieba's main dictionary is loaded once per process, lazily, from jieba's cache in the temp folder;
each word list gets a private ``jieba.Tokenizer`` that starts from a copy of it (the change audit
adds its own domain words to another).
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from pipeline.errors import SourceError
from pipeline.tables import Column, ForeignKey, TableSpec, read_table, write_tables
from pipeline.textnorm import normalize_key

if TYPE_CHECKING:
    import jieba

RULES_PATH = Path(__file__).resolve().parent / "data" / "tag_rules.json"
FAMILIES = ("link", "4p", "group")
TOKEN_SEPARATOR = "、"

TAGS = TableSpec(
    name="tags",
    description="Rule-based tags of every annex measure and every clause: one row per (record, tag). "
                "Rules: pipeline/data/tag_rules.json (term lists over jieba tokens).",
    primary_key=("doc_id", "record_type", "record_key", "family", "tag"),
    foreign_keys=(ForeignKey(("doc_id",), "documents", ("doc_id",)),),
    columns=(
        Column("doc_id", "string", "Plan version of the tagged record (documents.doc_id).", dictionary=True, required=True),
        Column("record_type", "string", "clause (clauses table) or measure (annex_measures table).", dictionary=True, required=True),
        Column("record_key", "string", "clause_id for a clause; unit/phase/seq (e.g. 市公安局/2022/1) for a measure.", required=True),
        Column("family", "string", "Tag family: link (预防 打击 救助 安置 康复), 4p (prevention protection prosecution partnership) or group (target group).", dictionary=True, required=True),
        Column("tag", "string", "The tag, e.g. 救助, protection, 留守儿童.", dictionary=True, required=True),
        Column("tokens", "string", "The distinct tokens that triggered the tag, in order of first occurrence, joined by '、'.", required=True),
        Column("source_file", "string", "Source file of the record, relative to the raw folder.", dictionary=True, required=True),
        Column("line_start", "integer", "First source line of the record (1-based).", required=True),
        Column("line_end", "integer", "Last source line of the record.", required=True),
    ),
)


# --------------------------------------------------------------------------- rules

@dataclass(frozen=True)
class TagRule:
    family: str
    tag: str
    description: str
    terms: tuple[str, ...]  # own terms and the terms of included tags, normalised, deduplicated
    includes: tuple[str, ...] = ()  # family/tag of the tags whose terms count too
    own_terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[TagRule, ...]
    dictionary: tuple[str, ...]  # every word added to jieba: terms and segmentation-only words
    titles: dict[str, str]

    @cached_property
    def index(self) -> dict[str, list[TagRule]]:
        """term -> the rules it triggers; built once per rule set (every record is looked up in it)."""
        return self.term_index()

    def term_index(self) -> dict[str, list[TagRule]]:
        index: dict[str, list[TagRule]] = {}
        for rule in self.rules:
            for term in rule.terms:
                index.setdefault(term, []).append(rule)
        return index


def _norm(term: str) -> str:
    return normalize_key(unicodedata.normalize("NFKC", term))


def parse_rules(data: dict[str, Any], path: Path | str = RULES_PATH) -> RuleSet:
    """Rules from the JSON form of tag_rules.json; includes are resolved one level deep on purpose
    (a tag includes the own terms of others) so that the table in the docs stays readable."""
    families = data.get("families")
    if not isinstance(families, dict) or set(families) != set(FAMILIES):
        raise SourceError(path, f"families must be exactly {', '.join(FAMILIES)}")
    own: dict[str, tuple[str, ...]] = {}
    for family in FAMILIES:
        for tag, spec in families[family]["tags"].items():
            terms = spec.get("terms", [])
            if not isinstance(terms, list) or not all(isinstance(t, str) and _norm(t) for t in terms):
                raise SourceError(path, f"{family}/{tag}: terms must be a list of non-empty strings")
            own[f"{family}/{tag}"] = tuple(_norm(t) for t in terms)
    rules = []
    for family in FAMILIES:
        for tag, spec in families[family]["tags"].items():
            terms = list(own[f"{family}/{tag}"])
            for ref in spec.get("includes", []):
                if ref not in own:
                    raise SourceError(path, f"{family}/{tag}: includes unknown tag {ref}")
                terms += own[ref]
            if not terms:
                raise SourceError(path, f"{family}/{tag}: no terms")
            rules.append(TagRule(family, tag, spec.get("description", ""), tuple(dict.fromkeys(terms)),
                                 tuple(spec.get("includes", [])), own[f"{family}/{tag}"]))
    words = tuple(sorted({_norm(w) for w in data.get("dictionary", [])} | {t for r in rules for t in r.terms}))
    distinct = {(_norm(a), _norm(b)) for a, b in data.get("distinct_compounds", [])}
    overlaps = hidden_terms(rules, words, distinct)
    if overlaps:
        raise SourceError(path, "a word hides the term of another tag (list it there too, or declare it in "
                                "distinct_compounds): " + "; ".join(overlaps))
    titles = {f: families[f].get("title", f) for f in FAMILIES}
    return RuleSet(tuple(rules), words, titles)


def hidden_terms(rules: list[TagRule], words: Iterable[str], distinct: set[tuple[str, str]]) -> list[str]:
    """Matching is on whole tokens, and every word of the dictionary comes out as one token, so a
    word that contains a tag's term (康复救助 contains 救助) hides that term unless the word is
    listed under the tag as well."""
    out = []
    for word in words:
        for rule in rules:
            if word in rule.terms:
                continue
            for term in rule.terms:
                if term != word and term in word and (word, term) not in distinct:
                    out.append(f"{word} contains {term} ({rule.family}/{rule.tag})")
    return out


@lru_cache(maxsize=1)
def load_rules(path: Path = RULES_PATH) -> RuleSet:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SourceError(path, f"cannot read the tag rules: {exc}") from exc
    return parse_rules(data, path)


# --------------------------------------------------------------------------- tokens

@lru_cache(maxsize=1)
def _main_dictionary() -> tuple[dict[str, int], int]:
    """jieba's main dictionary (word -> frequency, total), loaded once per process from jieba's
    cache in the temp folder: the tokenizers of every stage start from a copy of it."""
    import jieba  # imported here: only the stages that segment text pay for it
    jieba.setLogLevel(60)
    main = jieba.Tokenizer()
    main.initialize()
    return main.FREQ, main.total


@lru_cache(maxsize=4)
def jieba_tokenizer(words: tuple[str, ...]) -> "jieba.Tokenizer":
    """A private tokenizer: the main dictionary plus `words` (each stage adds its own words)."""
    import jieba
    freq, total = _main_dictionary()
    tokenizer = jieba.Tokenizer()
    # What initialize() would load, copied: add_word changes the frequencies and the total.
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = dict(freq), total, True
    for word in words:
        tokenizer.add_word(word)
    return tokenizer


def tokenize(text: str, rules: RuleSet | None = None) -> list[str]:
    rules = rules or load_rules()
    return [t for t in jieba_tokenizer(rules.dictionary).cut(normalize_key(text), HMM=False) if t.strip()]


@dataclass(frozen=True)
class TagHit:
    family: str
    tag: str
    tokens: tuple[str, ...]


def tag_text(text: str, rules: RuleSet | None = None) -> list[TagHit]:
    """Every tag whose terms occur among the tokens of `text`, in rule-file order."""
    rules = rules or load_rules()
    index = rules.index
    found: dict[TagRule, dict[str, None]] = {}
    for token in tokenize(text, rules):
        for rule in index.get(token, ()):
            found.setdefault(rule, {})[token] = None
    return [TagHit(r.family, r.tag, tuple(found[r])) for r in rules.rules if r in found]


# --------------------------------------------------------------------------- records

@dataclass(frozen=True)
class TaggedRecord:
    """Anything with text and provenance that gets tagged: a measure or a clause."""

    doc_id: str
    record_type: str  # clause | measure
    record_key: str
    text: str
    source_file: str
    line_start: int
    line_end: int


def measure_key(unit: str, phase: str, seq: int) -> str:
    return f"{unit}/{phase}/{seq}"


def measure_records(rows: Iterable[dict[str, Any]]) -> list[TaggedRecord]:
    """The rows of `annex_measures`, each plan version's in table order (unit, phase, item)."""
    ordered = sorted(rows, key=lambda m: (m["doc_id"], m["unit_order"], m["phase_order"], m["seq"]))
    return [TaggedRecord(m["doc_id"], "measure", measure_key(m["unit"], m["phase"], m["seq"]), m["text"],
                         m["source_file"], m["line_start"], m["line_end"]) for m in ordered]


def clauses_available() -> bool:
    import importlib.util
    return importlib.util.find_spec("pipeline.outline.clauses") is not None


def clause_records(rows: Iterable[dict[str, Any]]) -> list[TaggedRecord]:
    """The rows of `clauses`, each plan version's in reading order. A 一、 clause keeps its title in
    `heading` apart from its text, a lower one repeats its first sentence there: the heading is
    tagged with the text when the text does not already hold it, since a heading often names the
    link (做好救助管理等服务)."""
    records = []
    for c in sorted(rows, key=lambda c: (c["doc_id"], c["seq"])):
        heading, text = c["heading"] or "", c["text"] or ""
        if normalize_key(heading) not in normalize_key(text):
            text = heading + "\n" + text
        if text.strip():
            records.append(TaggedRecord(c["doc_id"], "clause", c["clause_id"], text, c["source_file"],
                                        c["line_start"], c["line_end"]))
    return records


def tag_rows(records: Iterable[TaggedRecord], rules: RuleSet | None = None) -> list[dict[str, Any]]:
    rules = rules or load_rules()
    rows = []
    # Plan versions repeat most of their texts (a draft and its final text, a notice on several
    # pages): each text is segmented and tagged once.
    hits_of: dict[str, list[TagHit]] = {}
    for rec in records:
        hits = hits_of.get(rec.text)
        if hits is None:
            hits = hits_of[rec.text] = tag_text(rec.text, rules)
        for hit in hits:
            rows.append({"doc_id": rec.doc_id, "record_type": rec.record_type, "record_key": rec.record_key,
                         "family": hit.family, "tag": hit.tag, "tokens": TOKEN_SEPARATOR.join(hit.tokens),
                         "source_file": rec.source_file, "line_start": rec.line_start, "line_end": rec.line_end})
    return rows


def rules_markdown(rules: RuleSet | None = None) -> str:
    """The rule set as a Markdown table (for the README and reports)."""
    rules = rules or load_rules()
    out = ["| family | tag | terms (a token equal to one of them triggers the tag) |", "|---|---|---|"]
    for r in rules.rules:
        parts = [f"all terms of {ref}" for ref in r.includes] + (["、".join(r.own_terms)] if r.own_terms else [])
        out.append(f"| {r.family} | {r.tag} | {'; plus '.join(parts)} |")
    return "\n".join(out)


def tag_records(clauses: Iterable[dict[str, Any]], measures: Iterable[dict[str, Any]]) -> list[TaggedRecord]:
    """Records by document, clauses first, each kept in reading order (the sort is stable)."""
    records = clause_records(clauses) + measure_records(measures)
    records.sort(key=lambda r: (r.doc_id, r.record_type))
    return records


def run(raw_dir: Path, out_dir: Path) -> None:
    """Stage form: reads the published clauses and annex_measures (raw_dir is not read)."""
    clauses = read_table(out_dir, "clauses") if clauses_available() else []
    records = tag_records(clauses, read_table(out_dir, "annex_measures"))
    write_tables(out_dir, [(TAGS, tag_rows(records))])
