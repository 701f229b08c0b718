"""The annex 重点任务推进表: stage, records, and the three ways a table is read.

- `stage`: the `annex` stage (parse every plan version's annex, cross-check, write the tables);
- `model`: the records (`AnnexTable`, `AnnexMeasure`, `QualityIssue`);
- `cells`: a table read cell by cell (DOCX, ruled PDF, the consultation page);
- `text`: a table rebuilt from broken PDF text;
- `linear`: a clean cell-by-cell linearisation;
- `status`: how each plan version's annex was read (the `annex_status` table).

The names other code uses are re-exported here, each imported from its module only when it is
first asked for: the derived stages import `status` alone, and importing the package must not pull
in the stage, which reads the sources.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.annex.model import AnnexMeasure, AnnexTable, QualityIssue
    from pipeline.annex.stage import (ANNEX_MEASURES, ParsedAnnex, compare_measures, cross_check,
                                      is_broken_layout, measure_rows, parse_all, parse_annex,
                                      quality_report, read_status, unconfirmed)
    from pipeline.annex.status import ANNEX_STATUS, COMPARABLE, PART_SEPARATOR, AnnexRead
    from pipeline.annex.text import rebuild_annex

# Public name -> the module of this package that defines it.
EXPORTS: dict[str, str] = {
    **dict.fromkeys(("AnnexMeasure", "AnnexTable", "QualityIssue"), "model"),
    **dict.fromkeys(("ANNEX_MEASURES", "ParsedAnnex", "compare_measures", "cross_check", "is_broken_layout",
                     "measure_rows", "parse_all", "parse_annex", "quality_report", "read_status",
                     "unconfirmed"), "stage"),
    **dict.fromkeys(("ANNEX_STATUS", "COMPARABLE", "PART_SEPARATOR", "AnnexRead"), "status"),
    "rebuild_annex": "text",
}

__all__ = sorted(EXPORTS)


def __getattr__(name: str) -> object:
    if name not in EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{EXPORTS[name]}"), name)
