"""Bad targets, bad flags and bad settings, for every subcommand that takes them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable

import pytest
from relkit import BAD_INPUT, KNOWN_ERROR, Case, Ctx, Expect, fake_python, probe_doc

MARKER = "KERASFIX-PROBE-JSON"

# ---------------------------------------------------------------------------- bad targets
# Each sets ctx.vars["target"] (what --python gets) and may set environment variables.


def t_missing(ctx: Ctx) -> None:
    ctx.vars["target"] = str(ctx.tmp / "no" / "such" / "python")


def t_folder(ctx: Ctx) -> None:
    folder = ctx.user_dir("project")
    (folder / "train.py").write_text("import tensorflow as tf\n")
    ctx.vars["target"] = str(folder)


def t_not_python(ctx: Ctx) -> None:
    ctx.vars["target"] = shutil.which("ls") or "/bin/ls"


def t_not_executable(ctx: Ctx) -> None:
    ctx.vars["target"] = ctx.script("python", "#!/bin/sh\nexit 0\n", mode=0o644)


def t_python2(ctx: Ctx) -> None:  # what the bootstrap prints in Python 2.7 (probe.TOO_OLD)
    ctx.vars["target"] = fake_python(ctx, "python2.7", b"KERASFIX-TOO-OLD 2.7.18\n", 97)


def t_python36(ctx: Ctx) -> None:
    ctx.vars["target"] = fake_python(ctx, "python3.6", b"KERASFIX-TOO-OLD 3.6.15\n", 97)


def t_hanging(ctx: Ctx) -> None:
    ctx.vars["target"] = ctx.script("python", "#!/bin/sh\nexec sleep 300\n")
    ctx.env["KERASFIX_PROBE_TIMEOUT"] = "1"


def t_garbage(ctx: Ctx) -> None:
    noise = bytes(range(256)) * 64 + b"\x1b[2J\x1b]0;owned\x07\x9b31m\r\n" * 100
    ctx.vars["target"] = fake_python(ctx, "python", noise)


def t_malformed_json(ctx: Ctx) -> None:
    ctx.vars["target"] = fake_python(ctx, "python", f'{MARKER}\n{{"schema": "kerasfix.probe/1",'
                                     ' "interpreter": {"executable": \n'.encode())


def t_json_list(ctx: Ctx) -> None:
    ctx.vars["target"] = fake_python(ctx, "python", f"{MARKER}\n[1, 2, 3]\n".encode())


def t_empty(ctx: Ctx) -> None:
    ctx.vars["target"] = ""


def t_broken_symlink(ctx: Ctx) -> None:
    link = ctx.tmp / "bin" / "python3"
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(ctx.tmp / "removed" / "python3.11")
    ctx.vars["target"] = str(link)


TARGETS: dict[str, tuple[Callable[[Ctx], None], tuple[str, ...]]] = {
    # name: (setup, what stderr must say besides naming the target)
    "missing": (t_missing, ("no such file",)),
    "folder-not-env": (t_folder, ("not an environment",)),
    "not-python": (t_not_python, ("not a Python",)),
    "not-executable": (t_not_executable, ("not executable",)),
    "python2": (t_python2, ("Python 2.7.18",)),
    "python36": (t_python36, ("Python 3.6.15",)),
    "hanging": (t_hanging, ("did not answer",)),
    "garbage": (t_garbage, ()),
    "malformed-json": (t_malformed_json, ()),
    "json-list": (t_json_list, ()),
    "empty-string": (t_empty, ("--python",)),
    "broken-symlink": (t_broken_symlink, ()),
}

COMMANDS: dict[str, tuple[str, ...]] = {
    "scan": ("scan", "--python", "{target}"),
    "scan-json": ("scan", "--json", "--python", "{target}"),
    "fix": ("fix", "--yes", "--python", "{target}", "--find-links", "{wheels}", "--no-index"),
    "undo": ("undo", "--yes", "--python", "{target}"),
    "explain": ("explain", KNOWN_ERROR, "--python", "{target}"),
    "app": ("--python", "{target}"),
}


def _target_case(kind: str, command: str) -> Case:
    setup, says = TARGETS[kind]
    names_target = () if kind == "empty-string" else ("{target}",)
    return Case(f"target-{kind}-{command}", BAD_INPUT, setup, COMMANDS[command], 2,
                Expect(stderr_has=(*says, *names_target)))


CASES = [_target_case(kind, command) for kind in TARGETS for command in COMMANDS]

# ---------------------------------------------------------------------------- more bad targets


def _wrong_shape(name: str, bend: Callable[[dict], object]) -> Case:
    def setup(ctx: Ctx) -> None:
        doc = probe_doc(ctx)
        shaped = bend(doc)
        body = shaped if isinstance(shaped, str) else json.dumps(doc if shaped is None
                                                                 else shaped)
        ctx.vars["target"] = fake_python(ctx, "python", f"{MARKER}\n{body}\n".encode())
    return Case(f"target-probe-{name}", BAD_INPUT, setup, ("scan", "--python", "{target}"), 2,
                Expect(stderr_has=("{target}",)))


def _pop(key: str) -> Callable[[dict], None]:
    return lambda doc: doc.pop(key) and None


def _set(path: tuple[str, ...], value: object) -> Callable[[dict], None]:
    def bend(doc: dict) -> None:
        where = doc
        for key in path[:-1]:
            where = where[key]
        where[path[-1]] = value
    return bend


def _bad_dist(doc: dict) -> None:
    entry = next(e for e in doc["sys_path"] if e.get("dists"))
    entry["dists"][0].update(name=None, version=5, requires_dist="keras>=3", tops=7)


def _bad_entry(doc: dict) -> None:
    doc["sys_path"] = [{"index": "zero"}, None, 3]


CASES += [
    _wrong_shape("empty-object", lambda doc: {}),
    _wrong_shape("json-null", lambda doc: "null"),
    _wrong_shape("no-interpreter", _pop("interpreter")),
    _wrong_shape("sys-path-string", _set(("sys_path",), "/usr/lib/python3")),
    _wrong_shape("version-text", _set(("interpreter", "version"), "three")),
    _wrong_shape("dist-wrong-types", _bad_dist),
    _wrong_shape("sys-path-entries-wrong", _bad_entry),
    _wrong_shape("nested-100000-deep", lambda doc: "[" * 100_000 + "]" * 100_000),
]


def _traceback_target(ctx: Ctx) -> None:
    ctx.vars["target"] = ctx.script("python", (
        "#!/bin/sh\n"
        "echo 'Traceback (most recent call last):' >&2\n"
        "echo '  File \"<string>\", line 1, in <module>' >&2\n"
        "echo 'ImportError: libpython3.11.so.1.0: cannot open shared object file' >&2\n"
        "exit 1\n"))


def _crashing_target(ctx: Ctx) -> None:
    ctx.vars["target"] = ctx.script("python", "#!/bin/sh\nkill -SEGV $$\n")


def _flooding_target(ctx: Ctx) -> None:  # 20 MB on stdout, then 20 MB on stderr
    ctx.vars["target"] = ctx.script("python", "#!/bin/sh\nhead -c 20000000 /dev/zero | tr"
                                    " '\\0' x\nhead -c 20000000 /dev/zero | tr '\\0' y >&2\n")


def _venv_base_removed(ctx: Ctx) -> None:
    venv = ctx.tmp / "old" / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /opt/python-3.10-removed/bin\n")
    (venv / "bin" / "python").symlink_to("/opt/python-3.10-removed/bin/python3.10")
    ctx.vars["target"] = str(venv)


def _virtual_env_file(ctx: Ctx) -> None:
    path = ctx.tmp / "venv.txt"
    path.write_text("not a folder\n")
    ctx.env["VIRTUAL_ENV"] = str(path)


CASES += [
    Case("target-prints-traceback", BAD_INPUT, _traceback_target,
         ("scan", "--python", "{target}"), 2, Expect(stderr_has=("{target}", "ImportError"))),
    Case("target-killed-by-signal", BAD_INPUT, _crashing_target,
         ("scan", "--python", "{target}"), 2, Expect(stderr_has=("{target}",))),
    Case("target-floods-40mb", BAD_INPUT, _flooding_target,
         ("scan", "--python", "{target}"), 2, Expect(stderr_has=("{target}",))),
    Case("target-venv-base-removed", BAD_INPUT, _venv_base_removed,
         ("scan", "--python", "{target}"), 2, Expect(stderr_has=("{target}",))),
    Case("virtual-env-missing", BAD_INPUT, None, ("scan",), 2,
         Expect(stderr_has=("VIRTUAL_ENV",)), env={"VIRTUAL_ENV": "/nonexistent/venv"}),
    Case("virtual-env-is-a-file", BAD_INPUT, _virtual_env_file, ("fix", "--dry-run"), 2,
         Expect(stderr_has=("VIRTUAL_ENV",))),
    Case("conda-prefix-without-python", BAD_INPUT, lambda ctx: ctx.env.update(
        CONDA_PREFIX=str(ctx.user_dir("conda-env"))), ("undo", "--list"), 2,
         Expect(stderr_has=("CONDA_PREFIX",))),
    Case("no-python-anywhere", BAD_INPUT, None, ("scan",), 2,
         Expect(stderr_has=("no Python",)), env={"PATH": "/nonexistent"}),
]

# ---------------------------------------------------------------------------- numbers

BAD_NUMBERS = {"zero": "0", "negative": "-1", "nan": "nan", "inf": "inf", "word": "abc",
               "empty": ""}


def _healthy(ctx: Ctx) -> None:
    ctx.use("healthy")


def _mismatch(ctx: Ctx) -> None:
    ctx.use("mismatch")


CASES += [
    Case(f"timeout-{label}-scan", BAD_INPUT, _healthy,
         ("scan", "--deep", "--python", "{py}", "--timeout", value), 2,
         Expect(stderr_has=("--timeout",)))
    for label, value in BAD_NUMBERS.items()
] + [
    Case(f"timeout-{label}-fix", BAD_INPUT, _mismatch,
         ("fix", "--yes", "--python", "{py}", "--find-links", "{wheels}", "--no-index",
          "--timeout", value), 2, Expect(stderr_has=("--timeout",)))
    for label, value in BAD_NUMBERS.items()
]

PROBE_TIMEOUTS = {"nan": "nan", "inf": "inf", "negative": "-1", "word": "abc", "zero": "0"}
CASES += [
    Case(f"probe-timeout-env-{label}-scan", BAD_INPUT, _healthy, ("scan", "--python", "{py}"),
         2, Expect(stderr_has=("KERASFIX_PROBE_TIMEOUT",) if label != "zero" else ()),
         env={"KERASFIX_PROBE_TIMEOUT": value})
    for label, value in PROBE_TIMEOUTS.items()
] + [
    Case("probe-timeout-env-nan-fix", BAD_INPUT, _mismatch,
         ("fix", "--yes", "--python", "{py}", "--find-links", "{wheels}", "--no-index"), 2,
         Expect(stderr_has=("KERASFIX_PROBE_TIMEOUT",)), env={"KERASFIX_PROBE_TIMEOUT": "nan"}),
    Case("probe-timeout-env-word-app", BAD_INPUT, _healthy, ("--python", "{py}"), 2,
         Expect(stderr_has=("KERASFIX_PROBE_TIMEOUT",)), env={"KERASFIX_PROBE_TIMEOUT": "soon"}),
]

# ---------------------------------------------------------------------------- usage

USAGE = {
    "unknown-subcommand": ("frobnicate",),
    "unknown-flag": ("--bogus",),
    "scan-unknown-flag": ("scan", "--bogus"),
    "scan-flag-with-value": ("scan", "--deep=3"),
    "fix-unknown-strategy": ("fix", "--strategy", "nuke"),
    "fix-yes-with-value": ("fix", "--yes=no"),
    "fix-flag-of-scan": ("fix", "--json"),
    "undo-unknown-flag": ("undo", "--frob"),
    "undo-two-ids": ("undo", "a", "b"),
    "undo-flag-of-fix": ("undo", "--timeout", "5"),
    "report-without-subcommand": ("report",),
    "report-merge-without-files": ("report", "merge"),
    "report-unknown-subcommand": ("report", "frob", "x.json"),
    "audit-without-all": ("audit", "--report", "x.md"),
    "audit-without-report": ("audit", "--all"),
    "explain-without-text": ("explain",),
    "explain-two-texts": ("explain", "a", "b"),
    "python-without-value": ("scan", "--python"),
}
CASES += [Case(f"usage-{name}", BAD_INPUT, None, argv, 2, Expect(stderr_has=("kerasfix",)))
          for name, argv in USAGE.items()]

# ---------------------------------------------------------------------------- other arguments


def _existing_venv_dest(ctx: Ctx) -> None:
    ctx.use("mismatch")
    dest = ctx.user_dir("my-new-env")
    (dest / "notes.md").write_text("mine\n")
    ctx.vars["dest"] = str(dest)


def _project_file(ctx: Ctx) -> None:
    ctx.use("healthy")
    project = ctx.user_dir("project")
    (project / "requirements.txt").mkdir()


CASES += [
    Case("requirements-missing", BAD_INPUT, _healthy,
         ("scan", "--python", "{py}", "--requirements", "{tmp}/nope/requirements.txt"), 2,
         Expect(stderr_has=("requirements.txt",))),
    Case("requirements-is-a-folder", BAD_INPUT, _project_file,
         ("scan", "--python", "{py}", "--requirements", "{tmp}/project/requirements.txt"), 2,
         Expect(stderr_has=("requirements.txt",))),
    Case("code-folder-missing", BAD_INPUT, _healthy,
         ("scan", "--python", "{py}", "--code", "{tmp}/no-such-project"), 2,
         Expect(stderr_has=("no-such-project",))),
    Case("fresh-venv-destination-exists", BAD_INPUT, _existing_venv_dest,
         ("fix", "--yes", "--python", "{py}", "--strategy", "fresh-venv", "--venv", "{dest}",
          "--find-links", "{wheels}", "--no-index"), 3, Expect(output_has=("{dest}",))),
    Case("find-links-missing-folder", BAD_INPUT, _mismatch,
         ("fix", "--yes", "--python", "{py}", "--find-links", "{tmp}/no-wheels-here",
          "--no-index"), frozenset({2, 3}), Expect(output_has=("no-wheels-here",))),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_target_or_argument(case: Case, run_case) -> None:  # type: ignore[no-untyped-def]
    run_case(case)

