"""Records shared by the annex parsers: the tidy table they both return."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AnnexMeasure:
    """One measure: a numbered item (or an unnumbered paragraph) in one cell of the annex."""

    unit: str
    unit_order: int  # 1-based order of the unit's row in the table
    phase: str  # column heading as printed: 重点任务, 2022, 2023-2029, 2030
    phase_order: int  # 1-based order of the column
    seq: int  # 1-based order within the cell
    label: str  # item number as printed ('3'), '' for an unnumbered paragraph
    text: str  # as printed, one paragraph, label removed
    line_start: int
    line_end: int
    page_start: int | None = None
    page_end: int | None = None


@dataclass(frozen=True)
class QualityIssue:
    """Something a person should know about the annex: kept as printed, but flagged."""

    kind: str  # numbering_gap | merged_line_split | footer_removed | unplaced_fragment | cells_merged | ...
    detail: str
    line_start: int
    line_end: int
    unit: str | None = None
    phase: str | None = None
    text: str = ""


@dataclass
class AnnexTable:
    phases: list[str]
    measures: list[AnnexMeasure]
    issues: list[QualityIssue] = field(default_factory=list)

    @property
    def units(self) -> list[str]:
        seen: dict[str, None] = {}
        for m in self.measures:
            seen.setdefault(m.unit, None)
        return list(seen)
