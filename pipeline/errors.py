"""Errors that are reported to the user as one line naming the file."""

from __future__ import annotations

from pathlib import Path


class PipelineError(Exception):
    """A problem with the input that the user can fix; printed as one line, exit status 2."""


class SourceError(PipelineError):
    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
