"""Corpus mode: every notice of a folder into one partitioned dataset, with tqdm's progress bar."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pyarrow.dataset as ds

from pipeline.corpus import run_corpus

ROOT = Path(__file__).resolve().parents[1]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_one_closing_line(tmp_path, monkeypatch, capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "raw", corpus)
    (corpus / "empty.txt").write_bytes(b"")
    results = run_corpus(corpus, tmp_path / "out", workers=1).results
    err = capsys.readouterr().err
    failed = sum(1 for r in results if r.error)
    assert failed == 1 and f"{len(results)} documents, 1 failed" in err.splitlines()
    assert "\r" not in err  # no bar drawn into a log
    table = ds.dataset(tmp_path / "out" / "annex_measures", partitioning="hive").to_table()
    assert table.num_rows > 0


def test_a_terminal_gets_the_bar(tmp_path, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    run_corpus(ROOT / "raw", tmp_path / "out", workers=1)
    shown = terminal.getvalue()
    assert "documents: 100%" in shown and "failed=0" in shown


def test_a_cell_in_doubt_is_settled_across_the_corpus_as_in_a_run(tmp_path):
    # The notice's LibreOffice PDF leaves a cell in doubt; the consultation page in the same corpus
    # prints the same table cell by cell, which settles it: nothing to report.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "luan-2022-49-issued-notice.pdf", corpus / "notice.pdf")
    alone = run_corpus(corpus, tmp_path / "alone", workers=1)
    assert [p for p in alone.problems if "cells in doubt not compared" in p]
    shutil.copy(ROOT / "raw" / "luan-2022-consultation-page.txt", corpus)
    beside = run_corpus(corpus, tmp_path / "beside", workers=1)
    assert beside.problems == []
