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


class _Key:
    """A content key hashed once: it holds every line of a document, and a lookup, a store and a
    move to the end would each hash them all again."""

    __slots__ = ("parts", "hash")

    def __init__(self, parts: tuple[Any, ...]) -> None:
        self.parts = parts
        self.hash = hash(parts)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self.hash == other.hash and self.parts == other.parts


def by_content(fn: Callable[[Document], T]) -> Callable[[Document], T]:
    """Keep `fn(doc)` (or the SourceError it raised) by the document's content. `fn` must be pure:
    it reports no problems, it only returns or raises."""
    kept: OrderedDict[_Key, tuple[bool, Any]] = OrderedDict()

    @functools.wraps(fn)
    def wrapper(doc: Document) -> T:
        key = _Key(content_key(doc))
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
