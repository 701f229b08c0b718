"""Cut a plan version into its parts: transmitting header, plan body, and annex.

The form is the usual one for a municipal action plan: an optional transmitting notice, the plan
title, a preamble, the outline (一、 …), a reference line to the annex (附件：…), and the annex
itself, opened by a line that reads just 附件 (or 附件1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.notice import DRAFT_LABEL
from pipeline.records import Document, Line
from pipeline.textnorm import normalize_key

TOP_HEADING = re.compile(r"[一二三四五六七八九十]+、")
ANNEX_HEADING = re.compile(r"附件\s*\d*")
SENTENCE_PUNCT = re.compile(r"[，。；,;：:]")
PLAN_TITLE_END = re.compile(r"(方案|计划|规划|意见|办法|细则|纲要|要点)$")


@dataclass
class PlanParts:
    document: Document
    header: list[Line]
    title: list[Line]
    body: list[Line]
    annex: list[Line]


def split_plan(doc: Document) -> PlanParts:
    lines = doc.lines
    keys = [normalize_key(ln.text) for ln in lines]
    first_heading = next((i for i, k in enumerate(keys) if TOP_HEADING.match(k)), None)
    if first_heading is None:
        from pipeline.errors import SourceError
        raise SourceError(doc.source.name, f"{doc.kind} at line {doc.line_span[0]} has no outline (一、…)")
    annex_at = next((i for i in range(len(keys) - 1, first_heading, -1) if ANNEX_HEADING.fullmatch(keys[i])), len(lines))
    # The plan title is the last short heading-like line before the preamble.
    title_at = [i for i in range(first_heading) if keys[i] and len(keys[i]) <= 40
                and not SENTENCE_PUNCT.search(keys[i]) and PLAN_TITLE_END.search(keys[i])]
    title_end = title_at[-1] + 1 if title_at else 0
    while title_end < first_heading and (not keys[title_end] or DRAFT_LABEL.fullmatch(keys[title_end])):
        title_end += 1
    title_start = title_at[-1] if title_at else 0
    return PlanParts(doc, lines[:title_start], lines[title_start:title_end], lines[title_end:annex_at], lines[annex_at:])
