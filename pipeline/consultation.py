"""Stage `consultation`: the facts of the public consultation, one row per fact.

Found by pattern in the documents of a consultation page: the organiser, period and status from
the page's facts line; the channels listed in the announcement and the channel tab with their
contacts; the feedback received; the drafting timeline as dated events from the drafting
explanation, the feedback summary and the interpretation; and the interpretation's figures.

Some printed dates lost characters ('202246日' for 2022年4月6日). Such a date is flagged
`date_incomplete` and left without a value, unless another statement in the sources prints the
same digits as a whole date for the same event, or is the issue date of the plan; then it is
flagged `date_resolved` and the note names that statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.load import load_documents
from pipeline.notice import CN_DATE
from pipeline.records import Document, Line
from pipeline.tables import Column, ForeignKey, TableSpec, write_tables
from pipeline.textnorm import normalize_key

CONSULTATION = TableSpec(
    name="consultation",
    description="Facts of the public consultation: organiser, period, channels, feedback, drafting timeline, figures.",
    primary_key=("doc_id", "fact_id"),
    foreign_keys=(ForeignKey(("doc_id",), "documents", ("doc_id",)),),
    columns=(
        Column("doc_id", "string", "Document the fact is printed in (documents.doc_id).", dictionary=True, required=True),
        Column("fact_id", "string", "Stable id within the document, e.g. period_start, channel-2, timeline-3.", required=True),
        Column("category", "string", "organizer, period, status, channel, feedback, timeline or figure.", dictionary=True, required=True),
        Column("name", "string", "What the fact is, e.g. 电子邮件, 征集开始, or the event as printed.", required=True),
        Column("value", "string", "The value as printed.", required=True),
        Column("value_date", "date", "The value as a date, when it is one and is complete or confirmed."),
        Column("value_number", "integer", "The value as a number, for figures and feedback counts."),
        Column("unit_of_measure", "string", "Measure word of a figure, e.g. 名, 个.", dictionary=True),
        Column("contact", "string", "Phone, e-mail or address of a channel."),
        Column("flag", "string", "date_incomplete, date_resolved, year_missing or period_conflict.", dictionary=True),
        Column("note", "string", "How a flagged value was read, citing the confirming statement."),
        Column("source_file", "string", "Source file, relative to the raw folder.", dictionary=True, required=True),
        Column("line_start", "integer", "First source line of the statement.", required=True),
        Column("line_end", "integer", "Last source line of the statement.", required=True),
    ),
)


@dataclass(frozen=True)
class Fact:
    doc_id: str
    fact_id: str
    category: str
    name: str
    value: str
    value_date: str | None
    value_number: int | None
    unit_of_measure: str | None
    contact: str | None
    flag: str | None
    note: str | None
    source_file: str
    line_start: int
    line_end: int


def _fact(doc: Document, line: Line, fact_id: str, category: str, name: str, value: str, **extra) -> Fact:
    fields = dict(value_date=None, value_number=None, unit_of_measure=None, contact=None, flag=None, note=None)
    fields.update(extra)
    return Fact(doc.doc_id, fact_id, category, name, value, source_file=doc.source.name,
                line_start=line.lineno, line_end=line.lineno, **fields)


def _nonblank(doc: Document) -> list[Line]:
    return [ln for ln in doc.lines if ln.text.strip()]


# --------------------------------------------------------------------------- announcement

ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
PERIOD_TEXT = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:起)?至(\d{4})年(\d{1,2})月(\d{1,2})日")
PHONE = re.compile(r"0\d{2,3}-\d{7,8}")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
CHANNEL_ITEM = re.compile(r"^[(（][一二三四五六七八九十]+[)）](.+)")
CHANNEL_KINDS = (("电子邮件", "电子邮件"), ("邮箱", "电子邮件"), ("传真", "传真"), ("信函", "信函"),
                 ("电话", "电话"), ("留言", "网站留言"), ("网站", "网站留言"))


def _date(y: str, m: str, d: str) -> str:
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


def page_facts(announcement: Document) -> list[Fact]:
    """Organiser, period and status from the facts line above the page's menu, checked against
    the announcement's own statement of the period."""
    facts: list[Fact] = []
    header = next((ln for ln in announcement.source.lines[:10] if "征集" in ln.text and ":" in ln.text), None)
    if header is None:
        return facts
    text = normalize_key(header.text)
    organiser = re.search(r"征集单位:(.+?)征集时间", text)
    if organiser:
        facts.append(_fact(announcement, header, "organizer", "organizer", "征集单位", organiser.group(1)))
    dates = ISO_DATE.findall(header.text)
    stated = next(((ln, m) for ln in _nonblank(announcement) if (m := PERIOD_TEXT.search(normalize_key(ln.text)))), None)
    for k, (name, fid) in enumerate((("征集开始", "period_start"), ("征集结束", "period_end"))):
        if k >= len(dates):
            break
        value = _date(*dates[k])
        flag = note = None
        if stated:
            other = _date(*stated[1].groups()[3 * k:3 * k + 3])
            if other != value:
                flag, note = "period_conflict", f"the announcement (line {stated[0].lineno}) says {other}"
            else:
                note = f"agrees with the announcement, line {stated[0].lineno}"
        facts.append(_fact(announcement, header, fid, "period", name, value, value_date=value, flag=flag, note=note))
    status = re.search(r"状态:(\S+)", text)
    if status:
        facts.append(_fact(announcement, header, "status", "status", "状态", status.group(1)))
    return facts


def _channel_kind(text: str) -> str:
    return next((kind for word, kind in CHANNEL_KINDS if word in text), "其他")


def _contact(text: str) -> str | None:
    for pattern in (EMAIL, PHONE):
        m = pattern.search(text)
        if m:
            return m.group(0)
    m = re.search(r"(?:邮寄至|至)[:：](.+?)[。.]", text)
    return m.group(1) if m else None


def channel_facts(announcement: Document, channels: Document | None) -> list[Fact]:
    facts: list[Fact] = []
    for ln in _nonblank(announcement):
        m = CHANNEL_ITEM.match(ln.text.strip())
        if m:
            facts.append(_fact(announcement, ln, f"channel-{len(facts) + 1}", "channel", _channel_kind(m.group(1)),
                               m.group(1).strip(), contact=_contact(m.group(1))))
    if channels is None:
        return facts
    lines = _nonblank(channels)
    count = 0
    for k, ln in enumerate(lines):
        key = normalize_key(ln.text)
        if key.endswith("渠道") and k + 1 < len(lines) and not normalize_key(lines[k + 1].text).endswith(("渠道", "情况")):
            count += 1
            detail = lines[k + 1].text.strip()
            facts.append(_fact(channels, lines[k + 1], f"channel-{count}", "channel", key, detail,
                               contact=_contact(detail) or detail.split("。")[0]))
        if key.startswith("未收到"):
            facts.append(_fact(channels, ln, "feedback-received", "feedback", "其他渠道意见", ln.text.strip(),
                               value_number=0))
    return facts


def feedback_facts(summary: Document) -> list[Fact]:
    facts: list[Fact] = []
    for ln in _nonblank(summary):
        key = normalize_key(ln.text)
        m = re.search(r"反馈时间:" + CN_DATE.pattern, key)
        if m:
            facts.append(_fact(summary, ln, "feedback-date", "feedback", "反馈时间", m.group(0).split(":", 1)[1],
                               value_date=_date(*m.groups()[:3])))
        if "未收到反馈意见" in key or "未收到意见" in key:
            facts.append(_fact(summary, ln, "feedback-received", "feedback", "反馈意见", "未收到反馈意见", value_number=0))
    return facts


# --------------------------------------------------------------------------- timeline

# A whole date, a month and day without year, or a date whose 年/月 were lost in copying.
DATE_MENTION = re.compile(
    r"(?P<full>(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日)"
    r"|(?P<lost_m>(?P<y4>\d{4})年(?P<md4>\d{2,4})日)"
    r"|(?P<ym>(?P<y2>\d{4})年(?P<m2>\d{1,2})(?=[^\d月]))"
    r"|(?P<md>(?<![\d年])(?P<m3>\d{1,2})月(?P<d3>\d{1,2})日)"
    r"|(?P<lost>(?<![\d年月])(?P<digits>\d{3,8})日)"
    r"|(?P<lost_month>(?<![\d年])(?P<yd>20\d{2})(?P<mo>\d{1,2})(?=启动|开始|至))"
)
EVENT_END = re.compile(r"[,，。;；]")
CONSULTATION_WORDS = ("征求意见", "征集时间")


@dataclass(frozen=True)
class DateMention:
    doc: Document
    line: Line
    printed: str
    digits: str
    iso: str | None
    flag: str | None
    event: str


def _event(text: str, end: int) -> str:
    """The clause a date opens: the words after it up to the next punctuation."""
    rest = text[end:].lstrip(",，")
    stop = EVENT_END.search(rest)
    event = rest[:stop.start()] if stop else rest
    return event.strip(" ,，、")[:60]


def date_mentions(doc: Document) -> list[DateMention]:
    out = []
    for ln in _nonblank(doc):
        text = normalize_key(ln.text)
        for m in DATE_MENTION.finditer(text):
            printed = m.group(0)
            digits = re.sub(r"\D", "", printed)
            if m.group("full"):
                iso, flag = _date(m.group("y"), m.group("m"), m.group("d")), None
            elif m.group("md"):
                iso, flag = None, "year_missing"
            else:
                iso, flag = None, "date_incomplete"
            out.append(DateMention(doc, ln, printed, digits, iso, flag, _event(text, m.end())))
    return out


def _resolve(mention: DateMention, whole: list[DateMention], plan_dates: list[tuple[str, Document]]) -> tuple[str | None, str | None]:
    """A confirmed reading of an incomplete date, and the note saying what confirmed it."""
    for other in whole:
        same_event = normalize_key(other.event)[:8] == normalize_key(mention.event)[:8]
        both_about_consultation = all(any(w in normalize_key(m.line.text) for w in CONSULTATION_WORDS)
                                      for m in (mention, other)) and mention.doc.kind != "interpretation"
        if other.digits == mention.digits and (same_event or both_about_consultation):
            return other.iso, f"{other.doc.doc_id} line {other.line.lineno} prints {other.printed} for the same event"
    if "印发" in mention.event:
        for iso, doc in plan_dates:
            if re.sub(r"\D", "", iso.replace("-0", "-")) == mention.digits:
                return iso, f"{doc.doc_id} is dated {iso}"
    return None, None


TIMELINE_KINDS = ("drafting_explanation", "feedback_summary", "interpretation")


def timeline_facts(documents: list[Document], plan_dates: list[tuple[str, Document]]) -> list[Fact]:
    sources = [d for d in documents if d.kind in TIMELINE_KINDS]
    mentions = [m for d in sources for m in date_mentions(d)]
    # Whole dates anywhere on the page can confirm a damaged one.
    whole = [m for d in documents if d.kind in TIMELINE_KINDS + ("consultation_announcement",)
             for m in date_mentions(d) if m.iso]
    facts: list[Fact] = []
    counters: dict[str, int] = {}
    for mention in mentions:
        if mention.doc.kind == "feedback_summary" and "反馈时间" in normalize_key(mention.line.text):
            continue  # recorded as the feedback date
        iso, flag, note = mention.iso, mention.flag, None
        if flag == "date_incomplete":
            iso, note = _resolve(mention, whole, plan_dates)
            flag = "date_resolved" if iso else flag
            if not iso:
                note = f"printed {mention.printed}: characters lost, no other statement confirms a date"
        elif flag == "year_missing":
            note = f"printed {mention.printed} without a year"
        counters[mention.doc.doc_id] = counters.get(mention.doc.doc_id, 0) + 1
        facts.append(_fact(mention.doc, mention.line, f"timeline-{counters[mention.doc.doc_id]}", "timeline",
                           mention.event or mention.printed, mention.printed, value_date=iso, flag=flag, note=note))
    return facts


# --------------------------------------------------------------------------- figures

FIGURE = re.compile(r"(?P<before>[\u4e00-\u9fff]{2,12}?)(?P<n>\d+)(?P<unit>名|人|起|件)"
                    r"|(?P<n2>\d+)(?P<unit2>个|家|项)(?P<after>[\u4e00-\u9fff]{2,10})")


def figure_facts(documents: list[Document]) -> list[Fact]:
    facts: list[Fact] = []
    for doc in documents:
        if doc.kind not in ("interpretation", "drafting_explanation"):
            continue
        count = 0
        for ln in _nonblank(doc):
            text = normalize_key(ln.text)
            for m in FIGURE.finditer(text):
                if m.group("n"):
                    name = re.split(r"[共了的有]", m.group("before"))[-1] or m.group("before")
                    number, unit = m.group("n"), m.group("unit")
                else:
                    name = re.split(r"[及和与]", m.group("after"))[0]
                    number, unit = m.group("n2"), m.group("unit2")
                count += 1
                facts.append(_fact(doc, ln, f"figure-{count}", "figure", name, m.group(0),
                                   value_number=int(number), unit_of_measure=unit))
    return facts


def consultation_facts(documents: list[Document]) -> list[Fact]:
    by_kind = {d.kind: d for d in reversed(documents)}
    announcement = by_kind.get("consultation_announcement")
    if announcement is None:
        return []
    plan_dates = [(d.issue_date, d) for d in documents if d.is_plan_version and d.issue_date]
    facts = page_facts(announcement) + channel_facts(announcement, by_kind.get("consultation_channels"))
    if "feedback_summary" in by_kind:
        facts += feedback_facts(by_kind["feedback_summary"])
    facts += timeline_facts(documents, plan_dates) + figure_facts(documents)
    return facts


def run(raw_dir: Path, out_dir: Path) -> None:
    documents = load_documents(raw_dir)
    pages: dict[str, list[Document]] = {}
    for doc in documents:
        pages.setdefault(doc.source.name, []).append(doc)
    plan_docs = [d for d in documents if d.is_plan_version]
    facts: list[Fact] = []
    for name in sorted(pages):
        # Dates on a page may be confirmed by any plan version, the issued notice included.
        facts += consultation_facts(pages[name] + [d for d in plan_docs if d.source.name != name])
    write_tables(out_dir, [(CONSULTATION, facts)])
