"""Parse a document once per process, whichever stage asks.

The annex and the outline of a plan version are wanted by several stages of one run (and, for a
notice held by several files, by the grouping of its files). A result is kept by what it is
computed from: the document's id, kind, source file name and format, and every one of its lines
(text, line and page numbers, table cells). A document read again from changed bytes has other
lines, so nothing stale is returned; names or time stamps alone are never the key.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from typing import Any, Callable, TypeVar

from pipeline.errors import SourceError
from pipeline.records import Document

T = TypeVar("T")
# Enough for every plan version of a folder; bounded so that a corpus worker does not keep them all.
KEPT = 64


def content_key(doc: Document) -> tuple[Any, ...]:
    return (doc.doc_id, doc.kind, doc.source.name, doc.source.format, tuple(doc.lines))


def by_content(fn: Callable[[Document], T]) -> Callable[[Document], T]:
    """Keep `fn(doc)` (or the SourceError it raised) by the document's content. `fn` must be pure:
    it reports no problems, it only returns or raises."""
    kept: OrderedDict[tuple[Any, ...], tuple[bool, Any]] = OrderedDict()

    @functools.wraps(fn)
    def wrapper(doc: Document) -> T:
        key = content_key(doc)
        hit = kept.get(key)
        if hit is None:
            try:
                hit = (True, fn(doc))
            except SourceError as error:
                hit = (False, error)
            kept[key] = hit
            if len(kept) > KEPT:
                kept.popitem(last=False)
        else:
            kept.move_to_end(key)
        ok, value = hit
        if not ok:
            raise value.with_traceback(None)
        return value

    wrapper.cache_clear = kept.clear  # type: ignore[attr-defined]
    return wrapper
