"""Problems met while reading: a bad source is reported and skipped, the rest goes on.

The command line collects the problems of each stage (see pipeline.__main__); library use and tests,
without a collector, get the first problem raised.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Iterator

from pipeline.errors import SourceError

# When the command line collects problems, a bad source is reported and skipped so that every other
# source is still processed; without a collector (library use, tests) the first bad source raises.
@dataclass
class _Collector:
    messages: list[str] = field(default_factory=list)
    reported: list[tuple[SourceError, str]] = field(default_factory=list)  # each problem as reported


_collector: ContextVar[_Collector | None] = ContextVar("source_problems", default=None)


@contextmanager
def _collecting() -> Iterator[_Collector]:
    collector = _Collector()
    token = _collector.set(collector)
    try:
        yield collector
    finally:
        _collector.reset(token)


@contextmanager
def collect_problems() -> Iterator[list[str]]:
    """Problems reported inside the block, as the one-line messages the run prints."""
    with _collecting() as collector:
        yield collector.messages


@contextmanager
def captured_problems() -> Iterator[list[tuple[SourceError, str]]]:
    """Problems reported inside the block, as (error, consequence), to be reported again later
    (a result kept for later calls replays the problems met while computing it)."""
    with _collecting() as collector:
        yield collector.reported


def report_problem(error: SourceError, consequence: str = "skipped") -> None:
    """Record a problem (and what was done about it) when the command line collects them."""
    collector = _collector.get()
    if collector is None:
        raise error
    message = f"{error} ({consequence})" if consequence else str(error)
    if message not in collector.messages:
        collector.messages.append(message)
        collector.reported.append((error, consequence))
