"""Share of simulated annex layouts that the text rebuild returns exactly.

Run with `make rebuild-share` (about three minutes for 1,000 examples). The layout simulator of the
tests (tests/annex_simulator.py) draws a tidy table and a layout (column widths, page height,
footers, merged lines); the rebuild reads the text back. Every example ends as one of:

- exact: the original table came back;
- indistinguishable: another table came back that the same column widths, with another page
  length or another amount of room left on the annex's first page (neither is printed), lay out
  as exactly the same text: no reader of the text alone could tell the two apart;
- wrong: any other table;
- error: the rebuild refused the text with a SourceError naming the place.

Writes data/quality/rebuild_share.json; the examples are derandomized, so the counts repeat.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from annex_simulator import Layout, TidyTable, as_lines, layout, layouts, tidy_tables  # noqa: E402

from pipeline.annex.text import rebuild_annex  # noqa: E402
from pipeline.errors import SourceError  # noqa: E402
from pipeline.tables import write_bytes_atomic  # noqa: E402

MAX_FIRST_PAGE_ROOM = 40
PAGE_HEIGHTS = range(10, 41)


def as_table(rows: list[tuple[str, str, int, str, str]], phases: list[str]) -> TidyTable:
    units = list(dict.fromkeys(r[0] for r in rows))
    return TidyTable(phases, [(u, [[(r[3], r[4]) for r in rows if r[0] == u and r[1] == p] for p in phases])
                              for u in units])


def indistinguishable(rebuilt: TidyTable, spec: Layout, text: list[str]) -> bool:
    return any(layout(rebuilt, replace(spec, page_height=height, first_page_room=room)) == text
               for height in PAGE_HEIGHTS for room in range(1, min(height, MAX_FIRST_PAGE_ROOM) + 1))


def classify(table: TidyTable, spec: Layout) -> str:
    text = layout(table, spec)
    try:
        rebuilt = rebuild_annex(as_lines(text), "sim")
    except SourceError:
        return "error"
    rows = [(m.unit, m.phase, m.seq, m.label, m.text) for m in rebuilt.measures]
    if rows == table.measures():
        return "exact"
    return "indistinguishable" if indistinguishable(as_table(rows, table.phases), spec, text) else "wrong"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000, help="number of simulated tables (default 1000)")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "quality" / "rebuild_share.json",
                        help="where to write the counts (default data/quality/rebuild_share.json)")
    args = parser.parse_args(argv)
    counts: Counter[str] = Counter()

    @settings(max_examples=args.examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(tidy_tables(), layouts())
    def run(table: TidyTable, spec: Layout) -> None:
        counts[classify(table, spec)] += 1

    run()
    total = sum(counts.values())
    result = {"examples": total, **{k: counts[k] for k in ("exact", "indistinguishable", "wrong", "error")},
              "exact_share": round(counts["exact"] / total, 4),
              "exact_or_indistinguishable_share": round((counts["exact"] + counts["indistinguishable"]) / total, 4)}
    report = json.dumps(result, indent=2) + "\n"
    write_bytes_atomic(args.out, report.encode())
    print(report, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
