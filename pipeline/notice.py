"""The header of a government notice that transmits a plan: title, 文号, recipients, issuer, date.

Pure functions over lines; used by the splitting of sources and of consultation pages.
"""

from __future__ import annotations

import re

from pipeline.records import Line


DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d+\s*号")
CN_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
DRAFT_LABEL = re.compile(r"[（(]\s*(征求意见稿|送审稿|草案|讨论稿)\s*[)）]")


def _nonblank(lines: list[Line]) -> list[Line]:
    return [ln for ln in lines if ln.text.strip()]


def iso_date(match: re.Match[str]) -> str:
    year, month, day = (int(g) for g in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_notice_header(lines: list[Line]) -> dict[str, str | None]:
    """Title, document number, recipients, issuer and date of a 通知 that transmits a plan.

    The form is the standard one for government notices: title lines, the document number,
    the recipients ending with a colon, a short body, then the issuer and the date on their
    own lines.
    """
    body = _nonblank(lines)
    out: dict[str, str | None] = {"title": None, "doc_number": None, "recipients": None,
                                  "issuer": None, "issue_date": None}
    number_at = next((i for i, ln in enumerate(body[:12]) if DOC_NUMBER.fullmatch(ln.text.strip())), None)
    date_at = next((i for i, ln in enumerate(body[:30]) if CN_DATE.fullmatch(ln.text.strip())), None)
    title_end = number_at
    if number_at is not None:
        out["doc_number"] = re.sub(r"\s+", "", body[number_at].text)
    else:
        # Without a number the recipients line (ending in a colon) ends the title.
        title_end = next((i for i, ln in enumerate(body[:12]) if ln.text.rstrip().endswith(("：", ":"))), 1)
    out["title"] = "".join(ln.text.strip() for ln in body[:title_end]) or None
    start = title_end + (1 if number_at is not None else 0)
    recipients: list[str] = []
    for ln in body[start:start + 6]:
        recipients.append(ln.text.strip())
        if ln.text.rstrip().endswith(("：", ":")):
            out["recipients"] = "".join(recipients).rstrip("：:")
            break
    if date_at is not None:
        out["issue_date"] = iso_date(CN_DATE.fullmatch(body[date_at].text.strip()))
        if date_at > 0:
            out["issuer"] = body[date_at - 1].text.strip()
    return out
