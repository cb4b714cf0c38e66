"""Bad paths and bad files kerasfix is pointed at: undo ids, snapshots, --report, the state folder,
explain's input and report merge's files."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from relkit import BAD_INPUT, KNOWN_ERROR, Case, Ctx, Expect, Result, immutable

DRY_RUN = ("fix", "--dry-run", "--python", "{py}", "--find-links", "{wheels}", "--no-index")
FIX = ("fix", "--yes", "--no-verify", "--python", "{py}", "--find-links", "{wheels}",
       "--no-index")

# ---------------------------------------------------------------------------- snapshots


def snapshot_json(ctx: Ctx, snapshot_id: str) -> str:
    """A valid snapshot of the environment as it is (kerasfix's own dataclass)."""
    from kerasfix.fix.snapshot import Snapshot

    assert ctx.venv is not None
    dists = []
    for info in sorted(ctx.venv.site.glob("*.dist-info")):
        name, version = info.name[: -len(".dist-info")].split("-", 1)
        dists.append({"name": name.replace("_", "-").lower(), "version": version,
                      "location": str(ctx.venv.site), "active": True, "installer": "pip"})
    snap = Snapshot(id=snapshot_id, prefix=ctx.vars["venv"], python=ctx.vars["py"],
                    strategy="repair", created="2026-01-01T00:00:00+00:00", user="someone",
                    distributions=dists, steps_total=1, steps_done=1, status="complete",
                    plan=["pip install something"])
    return json.dumps(dataclasses.asdict(snap), indent=2)


def _put_snapshot(ctx: Ctx, folder: Path, snapshot_id: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "snapshot.json").write_text(snapshot_json(ctx, snapshot_id))


GOOD_ID = "20260101T000000Z-good"
BAD_ID = "20260102T000000Z-bad1"


def _decoys(ctx: Ctx) -> None:
    """A real snapshot, and valid-looking snapshots wherever a path-like id would lead."""
    ctx.use("healthy")
    env_dir = ctx.env_state_dir()
    snaps = env_dir / "snapshots"
    _put_snapshot(ctx, snaps / GOOD_ID, GOOD_ID)
    _put_snapshot(ctx, ctx.state / "envs" / "x", "x")  # snapshots/../../x
    _put_snapshot(ctx, snaps / "a" / "b", "b")  # a/b
    _put_snapshot(ctx, env_dir, "..")  # ..
    _put_snapshot(ctx, snaps, ".")  # .


UNDO_IDS = {"dotdot-x": "../../x", "slash": "a/b", "dotdot": "..", "dot": ".", "empty": "",
            "very-long": "a" * 5000, "absolute": "/etc", "escape": "\x1b[31mid\x07",
            "well-formed-missing": "20990101T000000Z-dead"}

CASES = [
    Case(f"undo-id-{label}", BAD_INPUT, _decoys, ("undo", "--yes", "--python", "{py}", value), 2)
    for label, value in UNDO_IDS.items()
] + [
    Case("undo-no-snapshots", BAD_INPUT, lambda ctx: ctx.use("healthy") and None,
         ("undo", "--yes", "--python", "{py}"), 2, Expect(stderr_has=("no snapshots",))),
    Case("undo-dry-run-no-snapshots", BAD_INPUT, lambda ctx: ctx.use("healthy") and None,
         ("undo", "--dry-run", "--python", "{py}"), 2, Expect(stderr_has=("no snapshots",))),
]


def _corrupt(kind: str) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        ctx.use("healthy")
        snaps = ctx.env_state_dir() / "snapshots"
        _put_snapshot(ctx, snaps / GOOD_ID, GOOD_ID)
        bad = snaps / BAD_ID
        bad.mkdir(parents=True)
        target = bad / "snapshot.json"
        good = json.loads(snapshot_json(ctx, BAD_ID))
        if kind == "not-json":
            target.write_text("{not json")
        elif kind == "json-list":
            target.write_text("[1, 2, 3]")
        elif kind == "missing-fields":
            target.write_text(json.dumps({"id": BAD_ID, "status": "complete"}))
        elif kind == "wrong-types":
            good.update(steps_done="many", distributions="x", moved=5, prefix=None)
            target.write_text(json.dumps(good))
        elif kind == "empty":
            target.write_text("")
        elif kind == "directory":
            target.mkdir()
        elif kind == "binary":
            target.write_bytes(bytes(range(256)) * 4)
        else:
            raise AssertionError(kind)
    return setup


SNAPSHOT_KINDS = ("not-json", "json-list", "missing-fields", "wrong-types", "empty",
                  "directory", "binary")
CASES += [
    Case(f"snapshot-{kind}-list", BAD_INPUT, _corrupt(kind), ("undo", "--list", "--python",
                                                              "{py}"),
         frozenset({0, 2}), Expect(output_has=(BAD_ID, GOOD_ID)))
    for kind in SNAPSHOT_KINDS
] + [
    Case(f"snapshot-{kind}-undo-id", BAD_INPUT, _corrupt(kind),
         ("undo", "--yes", "--python", "{py}", BAD_ID), 2, Expect(stderr_has=(BAD_ID,)))
    for kind in SNAPSHOT_KINDS
] + [
    Case("snapshot-newest-corrupt-undo", BAD_INPUT, _corrupt("not-json"),
         ("undo", "--yes", "--python", "{py}"), 2, Expect(stderr_has=(BAD_ID,))),
]

# ---------------------------------------------------------------------------- --report paths


def _report_to(kind: str, base: str = "mismatch") -> Callable[[Ctx], None]:
    """ctx.vars["report"]: a path a report cannot (or must not) be written to."""
    def setup(ctx: Ctx) -> None:
        if base == "audit":
            _audit_world(ctx)
        else:
            ctx.use(base)
        project = ctx.user_dir("project")
        (project / "notes.md").write_text("my notes\n")
        if kind == "symlink":
            (ctx.tmp / "report.md").symlink_to(project / "notes.md")
            ctx.vars["report"] = str(ctx.tmp / "report.md")
        elif kind == "directory":
            (project / "reports.md").mkdir()
            ctx.vars["report"] = str(project / "reports.md")
        elif kind == "missing-parent":
            ctx.vars["report"] = str(ctx.tmp / "no" / "such" / "folder" / "report.md")
        elif kind == "unwritable":
            locked = ctx.user_dir("locked")
            immutable(ctx, locked)
            ctx.vars["report"] = str(locked / "report.md")
        elif kind == "unknown-suffix":
            ctx.vars["report"] = str(ctx.tmp / "report.html")
        elif kind == "empty":
            ctx.vars["report"] = ""
        else:
            raise AssertionError(kind)
    return setup


def _symlink_replaced_or_refused(ctx: Ctx, r: Result) -> None:
    link = ctx.tmp / "report.md"
    if r.code == 2:
        assert link.is_symlink(), "refused, yet the symlink is gone"
    else:
        assert not link.is_symlink() and link.is_file(), "the report went through the symlink"


def _report_case(kind: str, command: str) -> Case:
    argv = {"fix-dry-run": (*DRY_RUN, "--report", "{report}"),
            "fix": (*FIX, "--report", "{report}"),
            "audit": ("audit", "--all", "--root", "{tmp}/envs", "--no-preview", "--report",
                      "{report}")}[command]
    code: int | frozenset[int] = 2
    expect = Expect(stderr_has=() if kind == "empty" else ("{report}",))
    if kind == "symlink":
        code = frozenset({1, 2})
        expect = Expect(check=_symlink_replaced_or_refused, one_line_error=None)
    return Case(f"report-{kind}-{command}", BAD_INPUT,
                _report_to(kind, "audit" if command == "audit" else "mismatch"), argv, code,
                expect, needs=("chattr",) if kind == "unwritable" else ())


def _audit_world(ctx: Ctx) -> None:
    """One broken environment under --root; no other Python the search could find."""
    ctx.use("mismatch", where="envs/team")
    ctx.env.update(PATH="/usr/bin:/bin", XDG_DATA_HOME=str(ctx.tmp / "data"),
                   JUPYTER_DATA_DIR=str(ctx.tmp / "data" / "jupyter"))


REPORT_KINDS = ("symlink", "directory", "missing-parent", "unwritable", "unknown-suffix",
                "empty")
CASES += [_report_case(kind, "fix-dry-run") for kind in REPORT_KINDS]
CASES += [_report_case(kind, "audit") for kind in REPORT_KINDS]
CASES += [_report_case(kind, "fix") for kind in ("directory", "missing-parent",
                                                 "unknown-suffix")]

# ---------------------------------------------------------------------------- the state folder


def _state_at(kind: str, base: str) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        ctx.use(base)
        if kind == "file":
            path = ctx.tmp / "state-file"
            path.write_text("not a folder\n")
            ctx.watched["state-file"] = path
        elif kind == "below-file":
            parent = ctx.tmp / "state-file"
            parent.write_text("not a folder\n")
            ctx.watched["state-file"] = parent
            path = parent / "kerasfix"
        elif kind == "read-only":
            path = ctx.tmp / "ro-state"
            path.mkdir()
            immutable(ctx, path)
        elif kind == "dangling-symlink":
            path = ctx.tmp / "state-link"
            path.symlink_to(ctx.tmp / "gone" / "state")
            ctx.watched["state-link"] = path
        else:
            raise AssertionError(kind)
        ctx.env["KERASFIX_STATE_DIR"] = str(path)
        ctx.watched["state"] = path
    return setup


STATE_KINDS = ("file", "below-file", "read-only", "dangling-symlink")
CASES += [
    Case(f"state-{kind}-fix", BAD_INPUT, _state_at(kind, "mismatch"), FIX, 2,
         Expect(stderr_has=("KERASFIX_STATE_DIR",), preserved=()),
         needs=("chattr",) if kind == "read-only" else ())
    for kind in STATE_KINDS
] + [
    Case("state-file-undo-list", BAD_INPUT, _state_at("file", "healthy"),
         ("undo", "--list", "--python", "{py}"), frozenset({0, 2}), Expect(preserved=())),
    Case("state-below-file-undo", BAD_INPUT, _state_at("below-file", "healthy"),
         ("undo", "--yes", "--python", "{py}"), 2, Expect(preserved=())),
    Case("state-file-scan", BAD_INPUT, _state_at("file", "healthy"),
         ("scan", "--python", "{py}"), 0, Expect(preserved=())),
    Case("state-read-only-fix-dry-run", BAD_INPUT, _state_at("read-only", "mismatch"),
         DRY_RUN, 1, Expect(preserved=()), needs=("chattr",)),
]

# ---------------------------------------------------------------------------- explain's input

TEN_MB = 10 * 1024 * 1024


def _explain_file(kind: str) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        logs = ctx.user_dir("logs")
        path = logs / "error.txt"
        if kind == "unreadable":  # reading fails with EIO, even for root
            path.symlink_to("/proc/self/mem")
        elif kind == "binary":
            path.write_bytes(bytes(range(256)) * 1024)
        elif kind == "ten-mb":
            line = b"2026-01-01 12:00:00 INFO step 1234 loss=0.1234 acc=0.99 lr=0.001\n"
            path.write_bytes(line * (TEN_MB // len(line)) + KNOWN_ERROR.encode() + b"\n")
        elif kind == "directory":
            path.mkdir()
        ctx.vars["file"] = str(path)
    return setup


BINARY = bytes(range(256)) * 256
CASES += [
    Case("explain-unreadable-file", BAD_INPUT, _explain_file("unreadable"),
         ("explain", "{file}", "--no-scan"), 2, Expect(stderr_has=("{file}",))),
    Case("explain-missing-file", BAD_INPUT, _explain_file("missing"),
         ("explain", "{file}", "--no-scan"), 2, Expect(stderr_has=("{file}",))),
    Case("explain-directory", BAD_INPUT, _explain_file("directory"),
         ("explain", "{file}", "--no-scan"), 2, Expect(stderr_has=("{file}",))),
    Case("explain-empty-stdin", BAD_INPUT, None, ("explain", "-", "--no-scan"), 2, stdin=b""),
    Case("explain-binary-stdin", BAD_INPUT, None, ("explain", "-", "--no-scan"),
         frozenset({0, 2}), stdin=BINARY),
    Case("explain-binary-file", BAD_INPUT, _explain_file("binary"),
         ("explain", "{file}", "--no-scan"), frozenset({0, 2})),
    Case("explain-ten-mb-stdin", BAD_INPUT, None, ("explain", "-", "--no-scan"),
         frozenset({0, 2}), stdin=b"x" * TEN_MB + b"\n" + KNOWN_ERROR.encode(), timeout=60),
    Case("explain-ten-mb-file", BAD_INPUT, _explain_file("ten-mb"),
         ("explain", "{file}", "--no-scan", "--json"), frozenset({0, 2}), timeout=60),
]

# ---------------------------------------------------------------------------- report merge


def _merge_files(kind: str) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        hosts = ctx.user_dir("hosts")
        (hosts / "node-1.json").write_text(json.dumps(ctx.bases.scan_doc))
        bad = hosts / "node-2.json"
        payload: bytes | None = {
            "non-json": b"<html>502 Bad Gateway</html>",
            "json-list": b"[1, 2, 3]",
            "other-schema": b'{"schema": "pip.inspect/1", "installed": []}',
            "scan-schema-missing-fields": b'{"schema": "kerasfix.scan/1"}',
            "envs-schema-wrong-types": b'{"schema": "kerasfix.envs/1", "environments": "x",'
                                       b' "problems": 5}',
            "scan-schema-wrong-types": b'{"schema": "kerasfix.scan/1", "target": 3,'
                                       b' "findings": {"a": 1}, "distributions": "x",'
                                       b' "interpreter": []}',
            "empty": b"",
            "binary": bytes(range(256)) * 8,
            "nested-100000-deep": b"[" * 100_000 + b"]" * 100_000,
        }.get(kind)
        if payload is not None:
            bad.write_bytes(payload)
        elif kind == "directory":
            bad.mkdir()
        elif kind != "missing":
            raise AssertionError(kind)
        ctx.vars.update(good=str(hosts / "node-1.json"), bad=str(bad))
    return setup


MERGE_KINDS = ("missing", "non-json", "json-list", "other-schema", "scan-schema-missing-fields",
               "envs-schema-wrong-types", "scan-schema-wrong-types", "empty", "binary",
               "directory", "nested-100000-deep")
CASES += [
    Case(f"merge-{kind}", BAD_INPUT, _merge_files(kind),
         ("report", "merge", "{good}", "{bad}"), 2,
         Expect(output_has=("node-2.json",), one_line_error=False))
    for kind in MERGE_KINDS
] + [
    Case(f"merge-{kind}-json", BAD_INPUT, _merge_files(kind),
         ("report", "merge", "{good}", "{bad}", "--json"), 2,
         Expect(output_has=("node-2.json",), one_line_error=False, json_out=True))
    for kind in ("missing", "scan-schema-wrong-types")
] + [
    Case("merge-only-bad-files", BAD_INPUT, _merge_files("non-json"),
         ("report", "merge", "{bad}", "{tmp}/hosts/node-3.json"), 2,
         Expect(output_has=("node-2.json", "node-3.json"), one_line_error=False)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_path_or_file(case: Case, run_case) -> None:  # type: ignore[no-untyped-def]
    run_case(case)


def test_decoys_are_where_a_path_id_leads(tmp_path: Path, bases) -> None:  # type: ignore[no-untyped-def]
    """The undo-id cases can fail: a naive join of the id would find a valid snapshot."""
    ctx = Ctx(tmp_path, bases)
    _decoys(ctx)
    snaps = ctx.env_state_dir() / "snapshots"
    for value in ("../../x", "a/b", "..", "."):
        assert (snaps / value / "snapshot.json").is_file(), value
    assert os.path.isdir(snaps / GOOD_ID)
