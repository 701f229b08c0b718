"""Command line: `python -m pipeline STAGE [--raw DIR] [--out DIR]`."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys
import traceback
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.problems import collect_problems
from pipeline.summary import print_summary, write_problems

# Exit statuses: 0 every source and annex read, every scope of the audit compared; 1 something was
# skipped (a source, an annex or part of one, a scope not compared), everything else written;
# 2 nothing written (bad arguments, no readable source, or a failed stage: earlier outputs stay intact).
EXIT_SOURCES_SKIPPED = 1
EXIT_FAILED = 2
EXIT_STATUS_HELP = ("Exit status: 0 every source and annex read and every scope of the change audit compared; "
                    "1 something was skipped (a source or an annex that could not be read, a scope not compared: "
                    "each named on stderr and in the summary), everything else written; 2 nothing written (no "
                    "readable source or a failed stage), earlier outputs left as they were.")

# Stage name -> (module, what it writes). Modules are imported only when their stage runs.
STAGES: dict[str, tuple[str, str]] = {
    "documents": ("pipeline.documents", "documents: one row per document in raw/ (embedded ones included)"),
    "clauses": ("pipeline.outline.clauses", "clauses, responsibilities: the outline of each plan version and who does what"),
    "annex": ("pipeline.annex.stage", "annex_measures + quality/annex_*: the 重点任务推进表 rebuilt as unit x phase x measure"),
    "consultation": ("pipeline.consultation", "consultation: organiser, period, channels, timeline, figures"),
    "tags": ("pipeline.tags", "tags: rule-based links / 4P / target-group tags of every clause and measure"),
    "changes": ("pipeline.changes", "changes + reports/: what changed between consecutive plan versions"),
    "datadict": ("pipeline.datadict", "datapackage.json: the data dictionary of every table"),
    "site": ("pipeline.site", "site/index.html: every plan version's annex as a table, heat maps, quality, change reports"),
}

# What each stage reads besides its own code: the sources (raw), or the datasets other stages
# publish. The data flows one way: raw -> documents, clauses, annex, consultation -> tags, changes
# -> site. The Makefile's prerequisites say the same.
INPUTS: dict[str, tuple[str, ...]] = {
    "documents": ("raw",), "clauses": ("raw",), "annex": ("raw",), "consultation": ("raw",),
    "tags": ("clauses", "annex"), "changes": ("documents", "clauses", "annex"), "datadict": (),
    "site": ("documents", "annex", "changes"),
}


def with_downstream(names: list[str]) -> list[str]:
    """The stages named and every stage that reads what they write, in run order."""
    due = set(names)
    for name in STAGES:  # STAGES is in run order: a stage comes after the stages it reads
        if due & set(INPUTS[name]):
            due.add(name)
    return [name for name in STAGES if name in due]


def due_stages(path: Path) -> list[str]:
    """The stages `make` marked as out of date in `path` (one name a line); the file is removed, so
    that a run that fails leaves its stages out of date for the next `make`."""
    try:
        names = path.read_text(encoding="utf-8").split()
    except FileNotFoundError:
        return []
    path.unlink()
    return names


def available_stages() -> list[str]:
    return [name for name, (module, _) in STAGES.items() if importlib.util.find_spec(module) is not None]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Turn the anti-trafficking action plan sources in a raw folder into tidy datasets "
                    "(Parquet + CSV). Run one stage, or `all` for every stage in order.",
        epilog=EXIT_STATUS_HELP,
    )
    sub = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")
    sub.add_parser("corpus", help="run every notice in a folder on all cores into one partitioned dataset "
                                  "(see `python -m pipeline corpus --help`)", add_help=False)
    for name in available_stages() + ["all"]:
        help_text = STAGES[name][1] if name in STAGES else "run every stage in order"
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--raw", type=Path, default=Path("raw"), help="folder of source files (default: raw)")
        p.add_argument("--out", type=Path, default=Path("data"), help="output folder (default: data)")
        p.add_argument("--debug", action="store_true",
                       help="show a traceback on error, and the PDF library's warnings about the files it reads")
    p = sub.add_parser("run", help="run the stages named (or marked due in --due FILE) and every stage that "
                                   "reads their outputs, in one process (how `make` runs what is out of date)",
                       epilog=EXIT_STATUS_HELP)
    p.add_argument("stages", nargs="*", metavar="STAGE", help=f"stages to run: {', '.join(STAGES)}")
    p.add_argument("--due", type=Path, help="file of stage names, one a line, to run as well (removed when read)")
    p.add_argument("--summary", action="store_true", help="print the summary after the stages, as `all` does")
    p.add_argument("--raw", type=Path, default=Path("raw"), help="folder of source files (default: raw)")
    p.add_argument("--out", type=Path, default=Path("data"), help="output folder (default: data)")
    p.add_argument("--debug", action="store_true", help="show a traceback on error")
    p = sub.add_parser("summary", help="what the last run read, found and skipped; exit status 1 if anything was "
                                       "skipped (`make all` ends with it)", epilog=EXIT_STATUS_HELP)
    p.add_argument("--raw", type=Path, default=Path("raw"), help="folder of source files (default: raw)")
    p.add_argument("--out", type=Path, default=Path("data"), help="output folder (default: data)")
    p.add_argument("--debug", action="store_true", help="show a traceback on error")
    return parser


def run_stage(name: str, raw: Path, out: Path, seen: dict[str, None]) -> None:
    """Run one stage; its problems are added to `seen` (even when it fails) and, when it succeeds,
    recorded for the summary."""
    module = importlib.import_module(STAGES[name][0])
    with collect_problems() as problems:
        try:
            module.run(raw, out)
        finally:
            seen.update(dict.fromkeys(problems))
    write_problems(out, name, problems)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["corpus"]:
        from pipeline.corpus import main as corpus_main
        return corpus_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.stage == "summary":
        try:
            return print_summary(args.raw, args.out, list(STAGES))
        except PipelineError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED
    if args.debug:
        logging.basicConfig(format="%(name)s: %(message)s")
        logging.getLogger("pdfminer").setLevel(logging.WARNING)
    if args.stage == "run":
        try:
            asked = list(args.stages) + (due_stages(args.due) if args.due else [])
            unknown = sorted(set(asked) - set(STAGES))
            if unknown:
                raise PipelineError(f"unknown stage(s) {', '.join(unknown)}; the stages are {', '.join(STAGES)}")
        except PipelineError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED
        available = set(available_stages())
        names = [name for name in with_downstream(asked) if name in available]
    else:
        names = available_stages() if args.stage == "all" else [args.stage]
    # Each stage collects its own problems (so that a stage's record does not depend on which ran
    # before it in this process); each is printed once.
    problems: dict[str, None] = {}
    try:
        for name in names:
            if args.stage == "run":
                print(f"== {STAGES[name][1]}", flush=True)
            run_stage(name, args.raw, args.out, problems)
    except PipelineError as exc:
        if args.debug:
            traceback.print_exc()
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    status = EXIT_SOURCES_SKIPPED if problems else 0
    if args.stage == "all" or (args.stage == "run" and args.summary):
        status = max(status, print_summary(args.raw, args.out, list(STAGES)))
    return status


if __name__ == "__main__":
    sys.exit(main())
