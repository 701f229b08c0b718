"""Outputs are shareable: every file and folder the pipeline writes gets the mode the user's umask
gives a new file (0644 / 0755 under 022), although each is first written to a private temporary
file or folder and renamed into place."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pipeline.tables import Column, TableSpec, write_bytes_atomic, write_tables

ROOT = Path(__file__).resolve().parents[1]
SPEC = TableSpec("items", "toy", (Column("id", "string", "id", required=True),), ("id",))


@pytest.fixture(params=[0o022, 0o027, 0o002])
def umask(request):
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_tables_get_the_umask_mode(tmp_path, umask):
    out = tmp_path / "new" / "data"
    for target in write_tables(out, [(SPEC, [{"id": "a"}])]):
        assert mode(target) == 0o666 & ~umask, target
    assert mode(out) == 0o777 & ~umask
    assert not list(out.glob(".*.tmp"))


def test_rewritten_files_get_the_umask_mode(tmp_path, umask):
    target = tmp_path / "reports" / "x.html"
    write_bytes_atomic(target, b"one")
    write_bytes_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert mode(target) == 0o666 & ~umask
    assert mode(target.parent) == 0o777 & ~umask


def test_a_stage_run_under_022_writes_0644(tmp_path):
    from pipeline import datadict

    old = os.umask(0o022)
    try:
        datadict.run(ROOT / "raw", tmp_path)
    finally:
        os.umask(old)
    assert mode(tmp_path / "datapackage.json") == 0o644


def test_corpus_folders_get_the_umask_mode(tmp_path):
    from pipeline.corpus import run_corpus

    old = os.umask(0o022)
    try:
        run_corpus(ROOT / "raw", tmp_path / "out", workers=1)
    finally:
        os.umask(old)
    written = [p for p in (tmp_path / "out").rglob("*")]
    assert any(p.suffix == ".parquet" for p in written)
    for path in written:
        assert mode(path) == (0o755 if path.is_dir() else 0o644), path
