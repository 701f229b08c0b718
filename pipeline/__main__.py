"""Command line: `python -m pipeline STAGE [--raw DIR] [--out DIR]`."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import traceback
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.sources import collect_problems

# Exit statuses: 0 all sources processed; 1 some sources skipped, outputs written for the others;
# 2 nothing written (bad arguments, no readable source, or a failed stage: earlier outputs stay intact).
EXIT_SOURCES_SKIPPED = 1
EXIT_FAILED = 2

# Stage name -> (module, what it writes). Modules are imported only when their stage runs.
STAGES: dict[str, tuple[str, str]] = {
    "documents": ("pipeline.documents", "documents: one row per document in raw/ (embedded ones included)"),
    "clauses": ("pipeline.clauses", "clauses, responsibilities: the outline of each plan version and who does what"),
    "annex": ("pipeline.annex", "annex_measures + quality/annex_*: the 重点任务推进表 rebuilt as unit x phase x measure"),
    "consultation": ("pipeline.consultation", "consultation: organiser, period, channels, timeline, figures"),
    "tags": ("pipeline.tags", "tags: rule-based links / 4P / target-group tags of every clause and measure"),
    "changes": ("pipeline.changes", "changes + reports/: what changed between consecutive plan versions"),
    "datadict": ("pipeline.datadict", "datapackage.json: the data dictionary of every table"),
}


def available_stages() -> list[str]:
    return [name for name, (module, _) in STAGES.items() if importlib.util.find_spec(module) is not None]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Turn the anti-trafficking action plan sources in a raw folder into tidy datasets "
                    "(Parquet + CSV). Run one stage, or `all` for every stage in order.",
        epilog="Exit status: 0 every source processed; 1 some sources could not be read and were skipped "
               "(each named on stderr), outputs written for the others; 2 nothing written (no readable "
               "source or a failed stage), earlier outputs left as they were.",
    )
    sub = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")
    sub.add_parser("corpus", help="run every notice in a folder on all cores into one partitioned dataset "
                                  "(see `python -m pipeline corpus --help`)", add_help=False)
    for name in available_stages() + ["all"]:
        help_text = STAGES[name][1] if name in STAGES else "run every stage in order"
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--raw", type=Path, default=Path("raw"), help="folder of source files (default: raw)")
        p.add_argument("--out", type=Path, default=Path("data"), help="output folder (default: data)")
        p.add_argument("--debug", action="store_true", help="show a traceback on error")
    return parser


def run_stage(name: str, raw: Path, out: Path) -> None:
    module = importlib.import_module(STAGES[name][0])
    module.run(raw, out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["corpus"]:
        from pipeline.corpus import main as corpus_main
        return corpus_main(argv[1:])
    args = build_parser().parse_args(argv)
    names = available_stages() if args.stage == "all" else [args.stage]
    with collect_problems() as problems:
        try:
            for name in names:
                run_stage(name, args.raw, args.out)
        except PipelineError as exc:
            if args.debug:
                traceback.print_exc()
            for problem in problems:
                print(f"error: {problem}", file=sys.stderr)
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return EXIT_SOURCES_SKIPPED if problems else 0


if __name__ == "__main__":
    sys.exit(main())
