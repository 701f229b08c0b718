"""Text normalisation shared by every stage.

Published text keeps its printed form; comparisons use `normalize_key`, which folds full-width
and half-width forms together (NFKC) and drops all whitespace, because justified PDF text can
put a space between every character.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WHITESPACE = re.compile(r"\s+")
# Characters that are punctuation in either width; used to tell punctuation-only edits apart.
_PUNCT_CATEGORIES = ("P", "S")


# Closing marks that Chinese line breaking keeps off the start of a line (they hang at the end of
# the line before, or pull its last character down with them), in either width.
NO_LINE_START = frozenset("，。、；：！？）》」』”,.;:!?)")


# Parsers compare the same short strings (item numbers, unit names, headings) over and over.
@lru_cache(maxsize=1 << 14)
def normalize_key(text: str) -> str:
    """Comparison key: NFKC folded, all whitespace removed."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


_YEAR_SPAN = re.compile(r"(\d{4})年?(?:[‐‑‒–—―−\-~至]+(\d{4})年?)?")


def phase_key(heading: str) -> str:
    """Comparison key of an annex column heading: a year or a span of years as digits joined by
    '-' (2025—2027年, 2025-2027, 2025年～2027年 -> 2025-2027); any other heading as its key."""
    key = normalize_key(heading)
    years = _YEAR_SPAN.fullmatch(key)
    return "-".join(y for y in years.groups() if y) if years else key


def strip_punctuation(text: str) -> str:
    """Comparison key with punctuation and symbols removed as well."""
    return "".join(ch for ch in normalize_key(text) if not unicodedata.category(ch).startswith(_PUNCT_CATEGORIES))


# The annex rebuild asks for the width of the same few thousand lines hundreds of thousands of
# times while it scores cuts; a line's width depends on its text only.
@lru_cache(maxsize=1 << 16)
def display_width(text: str) -> float:
    """Width in CJK character cells: wide characters count 1, narrow ones 1/2.

    Ambiguous-width characters (curly quotes, ·, —) are set full width in Chinese type.
    """
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.5 for ch in text)


def _wide(ch: str) -> bool:
    return not ch.isascii() and unicodedata.east_asian_width(ch) in "WFA"


def without_spread_spaces(text: str) -> str:
    """A table cell's line without the spaces a PDF reader put between two wide characters
    (ideographs, Chinese punctuation and quotes). Chinese text has none there; justification
    spreads a line's characters apart (常 态 化 before a number that did not fit), and the white
    reads as spaces. A space beside a Latin letter or a digit stays (2022 年, 12355 青少年)."""
    return _WHITESPACE.sub(lambda m: "" if 0 < m.start() and m.end() < len(text) and _wide(text[m.start() - 1])
                           and _wide(text[m.end()]) else m.group(), text)


def join_lines(parts: list[str]) -> str:
    """Join wrapped lines into one paragraph.

    Chinese text wraps without spaces, so lines are concatenated directly; a space is kept only
    where two Latin/digit runs meet (e.g. 'DNA' + 'data').
    """
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if out and out[-1].isascii() and out[-1].isalnum() and part[0].isascii() and part[0].isalnum():
            out += " "
        out += part
    return out
