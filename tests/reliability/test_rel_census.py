"""The suite itself: enough distinct cases of each kind, every name unique, every case checkable."""

from __future__ import annotations

from collections import Counter

import test_rel_faults
import test_rel_files
import test_rel_manifests
import test_rel_metadata
import test_rel_targets
from relkit import BAD_INPUT, FAULT, Case

ALL: list[Case] = [*test_rel_targets.CASES, *test_rel_metadata.CASES, *test_rel_files.CASES,
                   *test_rel_faults.CASES, *test_rel_manifests.CASES]


def test_enough_distinct_cases() -> None:
    kinds = Counter(c.kind for c in ALL)
    assert kinds[BAD_INPUT] >= 100 and kinds[FAULT] >= 25, kinds
    names = Counter(c.name for c in ALL)
    assert [n for n, k in names.items() if k > 1] == []


def test_no_two_cases_are_the_same_case() -> None:
    """Different names must mean different cases: setup, command, environment or driver."""
    def identity(c: Case) -> tuple:
        return (c.setup, c.argv if isinstance(c.argv, tuple) else id(c.argv), c.stdin,
                tuple(sorted(c.env.items())), c.run)
    seen: dict[tuple, str] = {}
    for case in ALL:
        key = identity(case)
        assert key not in seen, f"{case.name} repeats {seen[key]}"
        seen[key] = case.name


def test_every_case_expects_documented_exit_codes() -> None:
    for case in ALL:
        assert case.exits and case.exits <= {0, 1, 2, 3, 130}, case.name
        assert 4 not in case.exits, case.name
