"""How well `kerasfix explain` names the causes of the corpus' real messages (tests/corpus/).

Each entry's `expect` is the catalogue cause the thread established, or null when the cause is
not in the TensorFlow/Keras environment (a typo, the user's own code): then the right answer is
no cause at all. Top-1: the first cause explain ranks is `expect`; top-3: it is among the first
three. `make test` prints the score (tests/conftest.py), test_corpus.py holds the goal.

    python tests/corpus_score.py [--misses] [--part b] [--expect numpy]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).parent / "corpus"


def entries() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in sorted(CORPUS.glob("part-*.json")):
        rows = json.loads(part.read_text(encoding="utf-8"))
        out += [{**row, "_file": part.name} for row in rows]
    return out


@dataclass
class Score:
    total: int = 0
    top1: int = 0
    top3: int = 0
    misses: list[tuple[dict[str, Any], tuple[str, ...]]] = field(default_factory=list)

    def ratio(self, hits: int) -> float:
        return hits / self.total if self.total else 0.0

    def line(self) -> str:
        return (f"explain on the message corpus: {self.total} real messages, top-1"
                f" {self.ratio(self.top1):.1%} ({self.top1}), top-3 {self.ratio(self.top3):.1%}"
                f" ({self.top3})")


def ranked(message: str) -> tuple[str, ...]:
    from kerasfix.diagnose.explain import explain_text

    return tuple(c.id for c in explain_text(message).causes)


def hit(expect: str | None, causes: tuple[str, ...], depth: int) -> bool:
    if expect is None:  # the right answer is "no TensorFlow/Keras cause"
        return not causes
    return expect in causes[:depth]


def score(rows: list[dict[str, Any]]) -> Score:
    result = Score()
    for row in rows:
        causes = ranked(row["message"])
        result.total += 1
        result.top1 += hit(row["expect"], causes, 1)
        result.top3 += hit(row["expect"], causes, 3)
        if not hit(row["expect"], causes, 1):
            result.misses.append((row, causes))
    return result


def _filtered(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = entries()
    if args.part:
        rows = [r for r in rows if r["_file"].startswith(f"part-{args.part}")]
    if args.expect:
        rows = [r for r in rows if args.expect in str(r["expect"])]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every top-1 miss")
    parser.add_argument("--part", help="only part-<PART>*.json")
    parser.add_argument("--expect", help="only entries whose expected cause contains this")
    args = parser.parse_args(argv)
    result = score(_filtered(args))
    if args.misses:
        for row, causes in result.misses:
            tail = " | ".join(row["message"].strip().splitlines()[-2:])[-160:]
            print(f"- {row['id']}: expect {row['expect']}, got {list(causes[:3])}\n    {tail}")
    print(result.line())
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
