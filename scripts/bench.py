"""Benchmark: whole-process timings of the stages and of `make`, median of N runs.

Run with `make bench`. Prints a table and writes data/quality/bench.json. Targets on a 2-core
machine: `make all` from raw (venv present) under 3 s, a rerun with nothing changed under 0.3 s,
peak memory under 400 MB. Timings are whole processes (interpreter start-up included), because that
is what an analyst waits for.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# The committed format fixtures (the 9-page notice): reading one must stay interactive.
FORMAT_FIXTURES = ("luan-2022-49-issued-notice.pdf", "luan-2022-49-issued-notice-unruled.pdf",
                   "luan-2022-49-issued-notice.docx")
TARGETS = {"make all from raw": 3.0, "make all, nothing changed": 0.3,
           **{f"annex stage from {name}": 3.0 for name in FORMAT_FIXTURES}}
PEAK_MEMORY_TARGET_MB = 400


def timed(cmd: list[str], setup=None) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one run of `cmd` as a child process."""
    if setup:
        setup()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"bench: {' '.join(cmd)} failed: {proc.stderr.read().decode()[-500:]}")
    return elapsed, usage.ru_maxrss / 1024


def measure(name: str, cmd: list[str], runs: int, setup=None) -> dict:
    samples = [timed(cmd, setup) for _ in range(runs)]
    seconds = [s for s, _ in samples]
    return {"name": name, "command": " ".join(cmd), "runs": runs,
            "median_s": round(statistics.median(seconds), 3), "min_s": round(min(seconds), 3),
            "max_s": round(max(seconds), 3), "peak_mb": round(max(m for _, m in samples), 1),
            "target_s": TARGETS.get(name)}


def time_corpus(count: int, scratch: Path) -> dict:
    """Corpus mode on `count` generated notices: one run (it is long), wall time and CPU use."""
    corpus, out = scratch / f"corpus-{count}", scratch / f"corpus-{count}-out"
    subprocess.run([PYTHON, str(ROOT / "scripts" / "make_corpus.py"), str(corpus), str(count)], check=True)
    start_cpu = os.times()
    start = time.perf_counter()
    proc = subprocess.run([PYTHON, "-m", "pipeline", "corpus", str(corpus), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    end_cpu = os.times()
    cpu = (end_cpu.children_user - start_cpu.children_user) + (end_cpu.children_system - start_cpu.children_system)
    failed = sum(1 for line in proc.stderr.splitlines() if line.startswith("error:"))
    return {"documents": count, "wall_s": round(wall, 2), "ms_per_document": round(1000 * wall / count, 1),
            "cpu_percent": round(100 * cpu / wall), "failed": failed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "quality" / "bench.json")
    parser.add_argument("--corpus", default="200,1000",
                        help="sizes of generated corpora to time corpus mode on, comma-separated ('' to skip)")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    data = scratch / "data"

    def fresh() -> None:
        shutil.rmtree(data, ignore_errors=True)

    results = [measure("make all from raw", ["make", "--no-print-directory", "data", f"DATA={data}"], args.runs, fresh)]
    results.append(measure("make all, nothing changed", ["make", "--no-print-directory", "data", f"DATA={data}"], args.runs))
    from pipeline.__main__ import available_stages
    for stage in available_stages():
        results.append(measure(f"stage {stage}", [PYTHON, "-m", "pipeline", stage, "--out", str(data)], args.runs))
    for fixture in FORMAT_FIXTURES:
        raw = scratch / f"raw-{fixture}"
        raw.mkdir()
        shutil.copy(ROOT / "tests" / "fixtures" / fixture, raw)
        results.append(measure(f"annex stage from {fixture}", [PYTHON, "-m", "pipeline", "annex", "--raw", str(raw),
                                                                "--out", str(scratch / f"out-{fixture}")], args.runs))
    corpus_results = [time_corpus(int(n), scratch) for n in args.corpus.split(",") if n.strip()]
    shutil.rmtree(scratch, ignore_errors=True)

    print(f"{'what':56} {'median s':>9} {'min':>7} {'max':>7} {'peak MB':>8} {'target s':>9}")
    for r in results:
        target = f"{r['target_s']:.1f}" if r["target_s"] else ""
        print(f"{r['name']:56} {r['median_s']:9.3f} {r['min_s']:7.3f} {r['max_s']:7.3f} {r['peak_mb']:8.1f} {target:>9}")
    for c in corpus_results:
        print(f"corpus of {c['documents']:>5} notices: {c['wall_s']:.1f} s, {c['ms_per_document']:.1f} ms per document, "
              f"{c['cpu_percent']:.0f}% CPU on {os.cpu_count()} cores, {c['failed']} failed")
    report = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.system()},
              "results": results, "corpus": corpus_results, "peak_memory_target_mb": PEAK_MEMORY_TARGET_MB}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    missed = [r["name"] for r in results if r["target_s"] and r["median_s"] > r["target_s"]]
    missed += [r["name"] + " (memory)" for r in results if r["peak_mb"] > PEAK_MEMORY_TARGET_MB]
    if missed:
        print("targets missed: " + ", ".join(missed), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
