"""The message corpus (tests/corpus/): every entry is complete, sourced and unique, so the
accuracy measured on it later means something."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import corpus_score
import pytest

CORPUS = Path(__file__).parent / "corpus"
FIELDS = {"id", "source", "kind", "message", "cause", "expect", "established_by", "fix",
          "versions", "no_tf_keras_cause"}
GOAL_TOP1, GOAL_TOP3, GOAL_SIZE = 0.90, 0.97, 150
KINDS = {"github-issue", "qa", "forum"}
ESTABLISHED = {"maintainer", "reporter-confirmed", "accepted-answer"}


def entries() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in sorted(CORPUS.glob("part-*.json")):
        rows = json.loads(part.read_text(encoding="utf-8"))
        assert isinstance(rows, list), part
        out += [{**row, "_file": part.name} for row in rows]
    return out


def problems_of(entry: dict[str, Any]) -> list[str]:
    """What is wrong with one entry (empty: nothing)."""
    problems = []
    missing = FIELDS - set(entry)
    if missing:
        problems.append(f"missing {sorted(missing)}")
    url = urlparse(str(entry.get("source", "")))
    if url.scheme != "https" or not url.netloc:
        problems.append("source is not an https address")
    if entry.get("kind") not in KINDS:
        problems.append(f"kind {entry.get('kind')!r}")
    if entry.get("established_by") not in ESTABLISHED:
        problems.append(f"established_by {entry.get('established_by')!r}")
    for field in ("id", "message", "cause", "fix"):
        if not str(entry.get(field, "")).strip():
            problems.append(f"empty {field}")
    if not isinstance(entry.get("no_tf_keras_cause"), bool):
        problems.append("no_tf_keras_cause is not a boolean")
    problems += _expect_problems(entry)
    return problems


def _expect_problems(entry: dict[str, Any]) -> list[str]:
    from kerasfix.knowledge.messages import CAUSES

    expect = entry.get("expect")
    if expect is not None and expect not in CAUSES:
        return [f"expect {expect!r} is no catalogue cause"]
    if (expect is None) != (entry.get("no_tf_keras_cause") is True):
        return ["expect is null exactly when no_tf_keras_cause is true"]
    return []


def test_every_entry_is_complete_and_sourced() -> None:
    rows = entries()
    if not rows:
        pytest.fail("the corpus is empty")
    bad = {f"{r['_file']}:{r.get('id')}": problems_of(r) for r in rows if problems_of(r)}
    assert not bad, bad


def test_ids_and_thread_messages_are_unique() -> None:
    rows = entries()
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    # one thread gives one entry per message; the same message from two threads is two
    # real reports (users hit the common ones often) and stays
    pairs = [(r["source"], " ".join(str(r["message"]).split())) for r in rows]
    twice = {f"{s} {m[:60]}" for s, m in pairs if pairs.count((s, m)) > 1}
    assert not twice, twice


def test_the_shape_check_can_fail() -> None:
    assert problems_of({"id": "x", "source": "http://x", "kind": "blog", "message": " ",
                        "cause": "c", "established_by": "guess", "fix": "f", "versions": "",
                        "no_tf_keras_cause": "no", "expect": "no-such-cause"}) == [
        "source is not an https address", "kind 'blog'", "established_by 'guess'",
        "empty message", "no_tf_keras_cause is not a boolean",
        "expect 'no-such-cause' is no catalogue cause"]


def test_explain_names_the_established_cause() -> None:
    """The goal of issue 12, on every entry: the established cause first for >= 90%, among
    the first three for >= 97%; no cause at all where the thread found none in the
    environment. The misses are listed so a regression names its messages."""
    result = corpus_score.score(corpus_score.entries())
    misses = [f"{r['id']}: expect {r['expect']}, got {list(c[:3])}" for r, c in result.misses]
    assert result.total >= GOAL_SIZE, result.line()
    assert result.ratio(result.top1) >= GOAL_TOP1, (result.line(), misses)
    assert result.ratio(result.top3) >= GOAL_TOP3, (result.line(), misses)


def test_the_score_counts_misses_and_the_no_cause_answer() -> None:
    rows = [{"message": "ImportError: cannot import name 'builder' from"
                        " 'google.protobuf.internal'", "expect": "protobuf-too-old"},
            {"message": "ImportError: cannot import name 'builder' from"
                        " 'google.protobuf.internal'", "expect": "protobuf-too-new"},
            {"message": "hello", "expect": None}]
    result = corpus_score.score(rows)
    assert (result.total, result.top1) == (3, 2)
    assert [r["expect"] for r, _ in result.misses] == ["protobuf-too-new"]
