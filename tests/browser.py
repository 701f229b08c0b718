"""Screenshots in headless Chromium, for the tests that look at a page as a reader would."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None,
                                    reason="Debian chromium not installed (CI installs it)")


def screenshot(page: Path, shot: Path, profile: Path, size: tuple[int, int] = (1400, 2000)) -> Path:
    """Screenshot `page`; a copy goes to $SCREENSHOTS (when set) for a person to look at."""
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--hide-scrollbars", f"--user-data-dir={profile}", f"--screenshot={shot}",
                    f"--window-size={size[0]},{size[1]}", page.resolve().as_uri()],
                   check=True, capture_output=True, timeout=120)
    keep = os.environ.get("SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(keep) / shot.name)
    return shot


def colours(shot: Path) -> int:
    """Distinct grey levels: a blank or failed page has a handful, text and tables many."""
    from PIL import Image
    return len(Image.open(shot).convert("L").getcolors(256) or [])
