"""The end of a run: what was read, what was found, what went wrong, and the exit status.

Every stage records the problems it met (one line each, naming the file and the place) in
`OUT/quality/problems/STAGE.json`, so that the summary, run as a step of its own after the stages
(`make all` runs them as separate processes), can tell the whole story from the outputs alone:
sources read, plan versions with how their annex was read and their measure counts, the scopes of
the change audit that were not compared, and every problem. A run that skipped anything ends with
exit status 1, after everything it could write has been written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError, SourceError
from pipeline.tables import write_bytes_atomic

PROBLEMS_DIR = Path("quality") / "problems"


def problems_path(out_dir: Path, stage: str) -> Path:
    return out_dir / PROBLEMS_DIR / f"{stage}.json"


def write_problems(out_dir: Path, stage: str, problems: list[str]) -> None:
    data = {"stage": stage, "problems": problems}
    write_bytes_atomic(problems_path(out_dir, stage), (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


def recorded_problems(out_dir: Path, stages: list[str]) -> list[str]:
    """Problems recorded by the stages, in stage order, each once (every stage reads the sources,
    so a bad source is recorded by several)."""
    found: dict[str, None] = {}
    for stage in stages:
        path = problems_path(out_dir, stage)
        if path.exists():
            found.update(dict.fromkeys(json.loads(path.read_text(encoding="utf-8"))["problems"]))
    return list(found)


@dataclass
class RunSummary:
    sources: list[str] = field(default_factory=list)  # source files in the raw folder
    read: list[str] = field(default_factory=list)  # those that gave documents
    versions: list[str] = field(default_factory=list)  # one line per plan version
    not_compared: list[str] = field(default_factory=list)  # one line per (pair, scope, part)
    pairs: int = 0
    compared: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def skipped_anything(self) -> bool:
        return bool(self.problems or self.not_compared or set(self.sources) - set(self.read))

    def lines(self) -> list[str]:
        unread = [s for s in self.sources if s not in self.read]
        out = [f"sources: {len(self.read)} of {len(self.sources)} read"
               + (f"; not read: {', '.join(unread)}" if unread else ""),
               f"plan versions: {len(self.versions)}"]
        out += [f"  {v}" for v in self.versions]
        out.append(f"change audit: {self.pairs} pair(s) of consecutive versions; {self.compared} scope(s) compared, "
                   f"{len(self.not_compared)} not compared")
        out += [f"  not compared: {n}" for n in self.not_compared]
        out.append(f"problems: {len(self.problems) or 'none'}")
        out += [f"  {p}" for p in self.problems]
        if self.skipped_anything:
            out.append("exit status 1: something was skipped or not compared (listed above); "
                       "everything else was written")
        return out


def _table(out_dir: Path, name: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    path = out_dir / f"{name}.parquet"
    return pq.read_table(path).to_pylist() if path.exists() else []


def _twin_checks(out_dir: Path) -> dict[str, int]:
    """Differences found between the files of each version read from several (annex stage)."""
    path = out_dir / "quality" / "annex_quality.json"
    if not path.exists():
        return {}
    return {t["version"]: t["differences"] for t in json.loads(path.read_text(encoding="utf-8")).get("twins", [])}


def summarise(raw_dir: Path, out_dir: Path, stages: list[str]) -> RunSummary:
    from pipeline.changes import version_order
    from pipeline.records import PLAN_KINDS
    from pipeline.sources import source_paths

    result = RunSummary(problems=recorded_problems(out_dir, stages))
    try:
        result.sources = [p.relative_to(raw_dir).as_posix() for p in source_paths(raw_dir)]
    except SourceError as error:
        result.problems.append(str(error))
    documents = _table(out_dir, "documents")
    result.read = sorted({d["source_file"] for d in documents})
    statuses = {s["doc_id"]: s for s in _table(out_dir, "annex_status")}
    twins = _twin_checks(out_dir)
    for doc in sorted((d for d in documents if d["kind"] in PLAN_KINDS and not d.get("version_of")), key=version_order):
        status = statuses.get(doc["doc_id"])
        annex = (f"annex {status['status']}, {status['measures']} measures" if status
                 else "annex not read (no status recorded)")
        line = f"{doc['doc_id']} ({doc['kind']}, {doc['issue_date'] or 'no date'}): {annex}"
        files = [d["source_file"] for d in documents if d.get("version_of") == doc["doc_id"]]
        if files:
            differences = twins.get(doc["doc_id"])
            line += (f"; the same text in {', '.join(files)} (cross-check: "
                     + ("not recorded" if differences is None
                        else f"{differences} difference(s)" if differences else "no differences")
                     + ", see quality/annex_quality.md)")
        result.versions.append(line)
    comparisons = _table(out_dir, "comparisons")
    result.pairs = len({(c["from_doc"], c["to_doc"]) for c in comparisons})
    result.compared = sum(1 for c in comparisons if c["status"] == "compared")
    result.not_compared = [f"{c['from_doc']} → {c['to_doc']} {c['scope']}"
                           + ("" if c["part"] == "all" else f" / {c['part']}") + f": {c['reason']}"
                           for c in comparisons if c["status"] == "not_compared"]
    return result


def print_summary(raw_dir: Path, out_dir: Path, stages: list[str]) -> int:
    """Print the summary on stdout; 1 when anything was skipped or not compared, else 0."""
    if not out_dir.is_dir():
        raise PipelineError(f"{out_dir}: output folder not found; run the stages first")
    result = summarise(raw_dir, out_dir, stages)
    print("== summary")
    for line in result.lines():
        print(line)
    return 1 if result.skipped_anything else 0
