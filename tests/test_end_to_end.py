"""The whole pipeline on the real sources: committed outputs, determinism, interrupted runs."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
# Written by `make bench`, `make rebuild-share` and `make render-share`, not by the pipeline.
MEASUREMENTS = {"bench.json", "rebuild_share.json", "render_share.json"}


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in (".parquet", ".csv", ".json", ".md", ".html")
            and p.name not in MEASUREMENTS and not p.name.startswith(".")}


def beside_sources(folder: Path) -> Path:
    """An output folder laid out as in the repository, beside (a link to) the sources: the site links
    to the sources by their path relative to it."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "raw").exists():
        (folder / "raw").symlink_to(ROOT / "raw")
    return folder / "data"


def run_all(out: Path, cwd: Path = ROOT, hashseed: str = "0") -> None:
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    result = subprocess.run([sys.executable, "-m", "pipeline", "all", "--raw", str(out.parent / "raw"), "--out", str(out)],
                            cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = beside_sources(tmp_path_factory.mktemp("fresh"))
    run_all(out)
    return out


def test_committed_data_is_what_the_code_produces(fresh):
    assert outputs(fresh) == outputs(DATA)


def test_runs_are_byte_identical_across_hash_seeds_and_directories(fresh, tmp_path):
    other = beside_sources(tmp_path / "other")
    run_all(other, cwd=tmp_path, hashseed="12345")
    assert outputs(other) == outputs(fresh)


def test_a_killed_run_leaves_earlier_outputs_whole(fresh, tmp_path):
    """Kill `all` at several moments: every output is either the earlier file or the new one."""
    out = beside_sources(tmp_path / "out")
    shutil.copytree(fresh, out)
    earlier = outputs(out)
    for delay in (0.05, 0.2, 0.4, 0.6, 0.9):
        proc = subprocess.Popen([sys.executable, "-m", "pipeline", "all", "--raw", str(out.parent / "raw"), "--out", str(out)],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert outputs(out) == earlier  # same inputs: every complete file is byte-identical


def test_every_dataset_is_in_the_data_dictionary():
    import json
    package = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    described = {r["name"] for r in package["resources"]}
    assert described == {p.stem for p in DATA.glob("*.parquet")}
