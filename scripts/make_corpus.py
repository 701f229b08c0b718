"""Generate a corpus of synthetic notices for the corpus-mode benchmark.

Each notice is the issued notice's text up to its annex, with a document number of its own, followed by an annex table drawn at
random (units, cells, measures) and laid out by the test suite's layout simulator, the way PDF text
extraction breaks it. `python scripts/make_corpus.py OUT N [--seed S]`.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from annex_simulator import UNIT_END, UNIT_MIDDLE, UNIT_START, WORDS, Layout, TidyTable, layout  # noqa: E402

PHASES = ["重点任务", "2022", "2023-2029", "2030"]


def sentence(rng: random.Random) -> str:
    parts = ["".join(rng.choices(WORDS, k=rng.randint(1, 4))) for _ in range(rng.randint(1, 6))]
    return "，".join(parts) + "。"


def random_table(rng: random.Random) -> TidyTable:
    units: list[str] = []
    while len(units) < rng.randint(6, 14):
        name = rng.choice(UNIT_START) + "".join(rng.choices(UNIT_MIDDLE, k=rng.randint(1, 3))) + rng.choice(UNIT_END)
        if name not in units:
            units.append(name)
    rows = []
    for unit in units:
        cells = [[(str(k), sentence(rng)) for k in range(1, rng.randint(1, 6) + 1)] for _ in PHASES[:-1]]
        rows.append((unit, cells + [[("", "做好总结、宣传等工作")]]))
    return TidyTable(PHASES, rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    notice = (ROOT / "raw" / "luan-2022-49-issued-notice.txt").read_text(encoding="utf-8").splitlines()
    front = notice[:notice.index(" 附件")]
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    for k in range(args.count):
        spec = Layout([rng.choice([9.0, 10.0, 11.0])] * 3 + [3.0], page_height=rng.randint(18, 28),
                      first_page_room=rng.randint(8, 20), footer_every=rng.choice([0, 2, 3]),
                      merge_short_segments=rng.random() < 0.5, blank_between=True, seed=k)
        # Each notice is a plan version of its own: its own document number.
        header = [re.sub(r"〕\d+号", f"〕{1000 + k}号", line) for line in front]
        text = "\n".join(header + layout(random_table(rng), spec)) + "\n"
        (args.out / f"notice-{k:04d}.txt").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
