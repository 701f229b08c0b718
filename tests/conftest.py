from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.load import load_documents

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def real_documents():
    return load_documents(ROOT / "raw")


@pytest.fixture(scope="session")
def versions(real_documents):
    """Plan versions by kind: consultation_draft, final_text, issued_notice."""
    return {d.kind: d for d in real_documents if d.is_plan_version}
