"""Cut a public-consultation web page into the documents it embeds.

Government consultation pages share one form: a title, a line of facts (organiser, period),
a tab menu (lines starting with '•'), then the tabs' contents one after another. A tab's content
starts at a line that repeats its menu label; the announcement carries the drafting explanation
and the draft as numbered attachments (附件1:, 附件2:).
"""

from __future__ import annotations

import re

from pipeline.errors import SourceError
from pipeline.notice import CN_DATE, DRAFT_LABEL, iso_date, parse_notice_header
from pipeline.records import Document, Line, Source
from pipeline.textnorm import normalize_key

ATTACHMENT_HEADING = re.compile(r"附件\s*\d+\s*[:：]?")
CHANNEL_HEADING = re.compile(r".{0,8}渠道.{0,6}")


def is_consultation_page(source: Source) -> bool:
    head = [normalize_key(ln.text) for ln in source.lines[:5]]
    has_menu = sum(1 for ln in source.lines[:40] if ln.text.strip().startswith("•")) >= 3
    return has_menu and any("征求" in h and "意见" in h for h in head)


def _menu(lines: list[Line]) -> tuple[list[str], int]:
    labels, end = [], 0
    for i, ln in enumerate(lines[:60]):
        if ln.text.strip().startswith("•"):
            labels.append(normalize_key(ln.text.strip().lstrip("•")))
            end = i + 1
    return labels, end


def _tab_starts(lines: list[Line], labels: list[str], menu_end: int) -> dict[int, str]:
    """Line index -> tab label, for lines that open a tab after the menu."""
    starts: dict[int, str] = {}
    for i in range(menu_end, len(lines)):
        key = normalize_key(lines[i].text)
        if not key:
            continue
        label = next((lab for lab in labels if key.startswith(lab) and len(key) <= len(lab) + 24), None)
        if label is not None and (i - 1) not in starts:
            starts[i] = label
        elif CHANNEL_HEADING.fullmatch(key) and len(key) <= 12:
            starts[i] = "渠道"
    return starts


def split_consultation_page(source: Source, stem: str) -> list[Document]:
    lines = source.lines
    labels, menu_end = _menu(lines)
    if not labels:
        raise SourceError(source.name, "consultation page has no tab menu")
    cuts = _tab_starts(lines, labels, menu_end)
    # Attachments inside the announcement are cut too.
    for i in range(menu_end, min(cuts) if cuts else len(lines)):
        if ATTACHMENT_HEADING.fullmatch(normalize_key(lines[i].text)):
            cuts[i] = "附件"
    bounds = sorted(cuts) + [len(lines)]
    sections: list[tuple[str, list[Line]]] = [("公告", lines[menu_end:bounds[0]])]
    sections += [(cuts[a], lines[a:b]) for a, b in zip(bounds, bounds[1:])]

    meta = normalize_key(" ".join(ln.text for ln in lines[:menu_end]))
    organiser = re.search(r"征集单位:(.+?)征集时间", meta)
    documents: list[Document] = []
    seen: dict[str, int] = {}

    def add(kind: str, sec_lines: list[Line], **fields) -> None:
        if documents and documents[-1].kind == kind:
            # A tab split over several headings (e.g. one per channel) is one document.
            previous = documents[-1]
            previous.lines = previous.lines + sec_lines
            for name, value in fields.items():
                if getattr(previous, name) in (None, ""):
                    setattr(previous, name, value)
            return
        seen[kind] = seen.get(kind, 0) + 1
        suffix = "" if seen[kind] == 1 else f"-{seen[kind]}"
        documents.append(Document(doc_id=f"{stem}/{kind}{suffix}", kind=kind, source=source,
                                  lines=sec_lines, **fields))

    for label, sec in sections:
        body = [ln for ln in sec if ln.text.strip()]
        if not body:
            continue
        first = normalize_key(body[0].text)
        if label == "公告":
            add("consultation_announcement", sec, title=lines[0].text.strip(),
                issuer=organiser.group(1) if organiser else None)
        elif label == "附件":
            heading = body[1].text.strip() if len(body) > 1 else ""
            if "起草说明" in heading:
                add("drafting_explanation", sec, title=heading)
            else:
                draft_label = DRAFT_LABEL.search(" ".join(ln.text for ln in body[1:4]))
                add("consultation_draft", sec, title=heading,
                    label=draft_label.group(1) if draft_label else None)
        elif label == "渠道" or "渠道" in label:
            add("consultation_channels", sec, title=body[0].text.strip())
        elif label.startswith("征集小结"):
            date = CN_DATE.search(" ".join(ln.text for ln in body))
            add("feedback_summary", sec, title=label, issue_date=iso_date(date) if date else None)
        elif first == "文件":
            header = parse_notice_header(sec[1:60])
            add("final_text", sec, title=header["title"] or "", doc_number=header["doc_number"],
                issuer=header["issuer"], issue_date=header["issue_date"], recipients=header["recipients"])
        elif first == "解读":
            title = body[1].text.strip() if len(body) > 1 else ""
            add("interpretation", sec, title=title)
        else:
            add("consultation_section", sec, title=body[0].text.strip())
    return documents
