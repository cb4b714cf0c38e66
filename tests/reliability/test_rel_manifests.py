"""Issue 13's inputs: the project kerasfix edits (--project, the manifests it finds walking up from
the working folder), the installer it is told to use, `scan --fail-on` and `--share`.

A manifest kerasfix cannot parse is a manual step (the environment is fixed all the same, exit 1,
the file untouched); one it cannot write fails its step (exit 3, nothing half-written); an
installer that cannot run here blocks the plan (exit 3, nothing changed).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from relkit import (
    BAD_INPUT,
    FAULT,
    Case,
    Ctx,
    Expect,
    Result,
    WheelServer,
    immutable,
    squash,
    wait_until,
)

FLAGS = ("--python", "{py}", "--find-links", "{wheels}", "--no-index")
DRY_RUN = ("fix", "--dry-run", *FLAGS)
FIX = ("fix", "--yes", "--no-verify", *FLAGS)
# What the pip_mismatch environment's repair installs (tf-keras 2.15.0 under TensorFlow 2.18).
PINS = b"tensorflow-cpu==2.18.1\ntf-keras==2.15.0\n"
FIXED = "tf_keras-2.18.0.dist-info"
BROKEN = "tf_keras-2.15.0.dist-info"

# ---------------------------------------------------------------------------- helpers


def _project(files: dict[str, bytes | None], base: str = "pip_mismatch"
             ) -> Callable[[Ctx], None]:
    """The environment, and the working folder as the project holding `files` (None: a
    folder of that name). The folder is watched as "work": what must stay byte-identical."""
    def setup(ctx: Ctx) -> None:
        ctx.use(base)
        work = ctx.user_dir("work")
        for name, data in files.items():
            path = work / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if data is None:
                path.mkdir()
            else:
                path.write_bytes(data)
    return setup


def _env_fixed(ctx: Ctx, r: Result) -> None:
    assert ctx.venv is not None
    names = {p.name for p in ctx.venv.site.glob("tf_keras-*.dist-info")}
    assert names == {FIXED}, f"the environment was not fixed: {sorted(names)}\n{r.show()}"


def _env_untouched(ctx: Ctx, r: Result) -> None:
    assert ctx.venv is not None
    names = {p.name for p in ctx.venv.site.glob("tf_keras-*.dist-info")}
    assert names == {BROKEN}, f"the environment changed: {sorted(names)}\n{r.show()}"


def _fixed_with_manual_step(*says: str) -> Expect:
    """fix --yes: the environment repaired, the project byte for byte as it was, exit 1 for the
    manual step that names the manifest's problem."""
    return Expect(output_has=("by hand", *says), unchanged=("work",), check=_env_fixed)


# ---------------------------------------------------------------------------- --project


def _project_elsewhere(kind: str) -> Callable[[Ctx], None]:
    """ctx.vars["project"]: a --project value that is not a usable folder."""
    def setup(ctx: Ctx) -> None:
        ctx.use("pip_mismatch")
        place = ctx.user_dir("place")
        if kind == "missing":
            ctx.vars["project"] = str(place / "no" / "such")
        elif kind == "file":
            (place / "requirements.txt").write_bytes(PINS)
            ctx.vars["project"] = str(place / "requirements.txt")
        elif kind == "dangling-link":
            (place / "proj").symlink_to(place / "gone")
            ctx.vars["project"] = str(place / "proj")
        elif kind == "control-chars":
            ctx.vars["project"] = str(place / "a\x1b[31mb\x07\nc")
        else:
            raise AssertionError(kind)
    return setup


def _unreadable_project(ctx: Ctx) -> None:
    """--project names a folder nobody but root may list or enter (chmod 000)."""
    ctx.use("pip_mismatch")
    place = ctx.user_dir("place")
    proj = place / "proj"
    proj.mkdir()
    (proj / "requirements.txt").write_bytes(PINS)
    proj.chmod(0)
    ctx.on_cleanup(lambda: proj.chmod(0o755))
    ctx.vars["project"] = str(proj)


def _unreadable(says: str | None) -> Callable[[Ctx, Result], None]:
    """Root reads it anyway (the diff is shown); anyone else gets no edit, and `says`."""
    def check(ctx: Ctx, r: Result) -> None:
        if os.geteuid() == 0:
            assert "+tf-keras==2.18.0" in r.stdout, r.show()
        else:
            assert "+tf-keras==2.18.0" not in r.stdout, r.show()
            assert says is None or says in r.stdout, r.show()
    return check


CASES = [
    Case(f"project-{kind}-fix-dry-run", BAD_INPUT, _project_elsewhere(kind),
         (*DRY_RUN, "--project", "{project}"), 2, Expect(stderr_has=("not a folder",)))
    for kind in ("missing", "file", "dangling-link", "control-chars")
] + [
    Case("project-file-fix", BAD_INPUT, _project_elsewhere("file"),
         (*FIX, "--project", "{project}"), 2, Expect(stderr_has=("{project}",))),
    Case("project-missing-scan", BAD_INPUT, _project_elsewhere("missing"),
         ("scan", "--python", "{py}", "--project", "{project}"), 2,
         Expect(stderr_has=("{project}",))),
    Case("project-empty-fix-dry-run", BAD_INPUT, _project_elsewhere("missing"),
         (*DRY_RUN, "--project", ""), 2),
    Case("project-unreadable-fix-dry-run", BAD_INPUT, _unreadable_project,
         (*DRY_RUN, "--project", "{project}"), 1, Expect(check=_unreadable(None))),
]

# ---------------------------------------------------------------------------- --installer


def _shadow_uv(ctx: Ctx) -> None:
    """No uv anywhere: PATH holds only an empty folder, and the `uv` Python package beside
    kerasfix is shadowed by a module that fails to import (installers.find_uv's second try)."""
    ctx.use("pip_mismatch")
    shadow = ctx.tmp / "shadow"
    shadow.mkdir()
    (shadow / "uv.py").write_text("raise ImportError('hidden by the reliability suite')\n")
    empty = ctx.tmp / "empty-path"
    empty.mkdir()
    ctx.env.update(PYTHONPATH=str(shadow), PATH=str(empty))


def _tool_setup(tool: str, *, pyproject: bool, fake: str | None = None
                ) -> Callable[[Ctx], None]:
    """An environment; a pyproject.toml in the working folder or none; PATH with only a fake
    `tool` (printing `fake` as the environment it uses) or nothing at all."""
    def setup(ctx: Ctx) -> None:
        _project({"pyproject.toml": PYPROJECT} if pyproject else {})(ctx)
        bin_dir = ctx.tmp / "tools"
        bin_dir.mkdir()
        if fake is not None:
            where = fake.format(**ctx.vars)
            script = bin_dir / tool
            script.write_text(f"#!/bin/sh\necho '{where}'\n")
            script.chmod(0o755)
        ctx.env["PATH"] = str(bin_dir)
    return setup


PYPROJECT = (b'[project]\nname = "demo"\nversion = "0.1"\n'
             b'dependencies = ["tensorflow-cpu==2.18.1", "tf-keras==2.15.0"]\n')
CASES += [
    Case("installer-bogus", BAD_INPUT, _project({}), (*DRY_RUN, "--installer", "bogus"), 2,
         Expect(stderr_has=("--installer",))),
    Case("installer-empty", BAD_INPUT, _project({}), (*FIX, "--installer", ""), 2),
    Case("installer-undo-poetry", BAD_INPUT, _project({}),
         ("undo", "--yes", "--python", "{py}", "--installer", "poetry"), 2),
    Case("installer-uv-hidden-fix", BAD_INPUT, _shadow_uv, (*FIX, "--installer", "uv"), 3,
         Expect(output_has=("uv is not installed",), check=_env_untouched)),
    Case("installer-uv-hidden-dry-run", BAD_INPUT, _shadow_uv, (*DRY_RUN, "--installer", "uv"),
         3, Expect(output_has=("uv is not installed",))),
    Case("installer-poetry-not-on-path", BAD_INPUT, _tool_setup("poetry", pyproject=True),
         (*FIX, "--installer", "poetry"), 3,
         Expect(output_has=("poetry is not installed",), check=_env_untouched)),
    Case("installer-pdm-no-project", BAD_INPUT, _tool_setup("pdm", pyproject=False),
         (*FIX, "--installer", "pdm"), 3,
         Expect(output_has=("needs a project with a pyproject.toml",), check=_env_untouched)),
    Case("installer-poetry-other-env", BAD_INPUT,
         _tool_setup("poetry", pyproject=True, fake="{tmp}/elsewhere/venv"),
         (*FIX, "--installer", "poetry"), 3,
         Expect(output_has=("not the target",), check=_env_untouched)),
    Case("installer-pdm-says-nothing", BAD_INPUT,
         _tool_setup("pdm", pyproject=True, fake=""), (*DRY_RUN, "--installer", "pdm"), 3,
         Expect(output_has=("unknown",))),
]

# ---------------------------------------------------------------------------- broken manifests

def _unreadable_manifest(ctx: Ctx) -> None:
    """A requirements.txt nobody but root may read (chmod 000)."""
    _project({"requirements.txt": PINS})(ctx)
    path = ctx.tmp / "work" / "requirements.txt"
    path.chmod(0)
    ctx.on_cleanup(lambda: path.chmod(0o644))


NON_UTF8 = b"tensorflow-cpu==2.18.1\n# caf\xe9 \xff\xfe\ntf-keras==2.15.0\n"
CASES += [
    Case("manifest-broken-pyproject-fix", BAD_INPUT,
         _project({"pyproject.toml": b'[project]\ndependencies = ["tf-keras==2.15.0"\n'}),
         FIX, 1, _fixed_with_manual_step("pyproject.toml does not parse")),
    Case("manifest-broken-pyproject-no-manifest", BAD_INPUT,
         _project({"pyproject.toml": b'[project]\ndependencies = ["tf-keras==2.15.0"\n'}),
         (*FIX, "--no-manifest"), 0, Expect(unchanged=("work",), check=_env_fixed)),
    Case("manifest-include-loop-fix", BAD_INPUT,
         _project({"requirements.txt": PINS + b"-r requirements-dev.txt\n",
                   "requirements-dev.txt": b"-r requirements.txt\npytest\n"}),
         FIX, 1, _fixed_with_manual_step()),
    Case("manifest-self-include-fix", BAD_INPUT,
         _project({"requirements.txt": b"-r requirements.txt\n" + PINS}),
         FIX, 1, _fixed_with_manual_step()),
    Case("manifest-missing-include-fix", BAD_INPUT,
         _project({"requirements.txt": PINS + b"-r no/such/file.txt\n"}),
         FIX, 1, _fixed_with_manual_step("file.txt")),
    Case("manifest-non-utf8-fix", BAD_INPUT, _project({"requirements.txt": NON_UTF8}),
         FIX, 1, _fixed_with_manual_step("not UTF-8")),
    Case("manifest-utf16-fix", BAD_INPUT,
         _project({"requirements.txt": PINS.decode().encode("utf-16")}),
         FIX, 1, _fixed_with_manual_step("not UTF-8")),
    Case("manifest-nul-bytes-fix", BAD_INPUT,
         _project({"requirements.txt": b"tensorflow-cpu==2.18.1\x00\ntf-\x00keras==2.15.0\n"
                                       b"\x00\x00\x00\n"}),
         FIX, 0, Expect(unchanged=("work",), check=_env_fixed)),  # lines pip cannot read
    Case("manifest-nul-bytes-dry-run", BAD_INPUT,
         _project({"requirements.txt": PINS + b"\x00" * 4096}), DRY_RUN, 1),
    Case("manifest-requirements-is-folder-dry-run", BAD_INPUT,
         _project({"requirements.txt": None, "pyproject.toml": PYPROJECT}), DRY_RUN, 1),
    Case("manifest-include-is-folder-fix", BAD_INPUT,
         _project({"requirements.txt": PINS + b"-r extra\n", "extra": None}),
         FIX, 1, _fixed_with_manual_step("extra")),
    Case("manifest-include-escapes-fix", BAD_INPUT,
         _project({"requirements.txt": PINS + b"-r /dev/zero\n"}), FIX, 1,
         _fixed_with_manual_step("/dev/zero")),
    Case("manifest-unreadable-dry-run", BAD_INPUT, _unreadable_manifest, DRY_RUN, 1,
         Expect(check=_unreadable("cannot read"))),
    Case("manifest-binary-pyproject-fix", BAD_INPUT,
         _project({"pyproject.toml": bytes(range(256)) * 64}),
         FIX, 1, _fixed_with_manual_step("pyproject.toml")),
]

# ---------------------------------------------------------------------------- unwritable

def _read_only_project(how: str) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        _project({"requirements.txt": PINS})(ctx)
        work = ctx.tmp / "work"
        (work / "requirements.txt").chmod(0o444)
        if how == "immutable":  # even root cannot create the temporary file beside it
            immutable(ctx, work)
        else:  # modes only: root writes anyway
            work.chmod(0o555)
            ctx.on_cleanup(lambda: work.chmod(0o755))
    return setup


def _edit_failed(ctx: Ctx, r: Result) -> None:
    _env_fixed(ctx, r)  # the installs ran first; the edit comes after them
    left = sorted(p.name for p in (ctx.tmp / "work").iterdir())
    assert left == ["requirements.txt"], f"temporary files left: {left}"
    assert (ctx.tmp / "work" / "requirements.txt").read_bytes() == PINS


def _edit_as_modes_allow(ctx: Ctx, r: Result) -> None:
    _env_fixed(ctx, r)
    text = (ctx.tmp / "work" / "requirements.txt").read_bytes()
    left = sorted(p.name for p in (ctx.tmp / "work").iterdir())
    assert left == ["requirements.txt"], f"temporary files left: {left}"
    if os.geteuid() == 0:
        assert r.code == 0 and text == PINS.replace(b"2.15.0", b"2.18.0"), r.show()
    else:
        assert r.code == 3 and text == PINS, r.show()


CASES += [
    Case("manifest-immutable-folder-fix", BAD_INPUT, _read_only_project("immutable"), FIX, 3,
         Expect(output_has=("cannot write",), unchanged=("work",), check=_edit_failed),
         needs=("chattr",)),
    Case("manifest-read-only-folder-fix", BAD_INPUT, _read_only_project("modes"), FIX,
         frozenset({0, 3}), Expect(unchanged=(), check=_edit_as_modes_allow)),
]

# ---------------------------------------------------------------------------- saved meanwhile

SAVED = b"# the user's own edit, saved while the fix ran\ntf-keras==2.15.0\n"


def _saved_during_run(ctx: Ctx) -> Result:
    """The fix is held in its download (after its preview computed the diff) while the user
    saves requirements.txt; the edit must then fail rather than overwrite the user's text."""
    server = WheelServer(ctx.bases.wheels, gate=lambda: bool(
        list(ctx.state.glob("envs/*/snapshots/*/snapshot.json"))))
    ctx.on_cleanup(server.close)
    argv = [a.format(**ctx.vars) for a in ("fix", "--yes", "--no-verify", "--python", "{py}",
                                           "--no-index", "--find-links", server.url)]
    started = time.monotonic()
    proc = ctx.spawn(*argv, env={"PIP_NO_CACHE_DIR": "1"})
    wait_until(lambda: server.blocked.is_set() or proc.poll() is not None, 120,
               "the fix to start downloading")
    assert proc.poll() is None, "the fix ended before its download"
    (ctx.tmp / "work" / "requirements.txt").write_bytes(SAVED)
    server.release()
    return ctx.collect(proc, argv, started)


def _users_save_kept(ctx: Ctx, r: Result) -> None:
    _env_fixed(ctx, r)
    assert (ctx.tmp / "work" / "requirements.txt").read_bytes() == SAVED, r.show()
    assert squash("changed since the preview") in squash(r.stdout + r.stderr), r.show()


CASES.append(Case("manifest-saved-during-run", FAULT, _project({"requirements.txt": PINS}),
                  (), 3, Expect(unchanged=(), check=_users_save_kept), run=_saved_during_run))

# ---------------------------------------------------------------------------- a huge manifest

HUGE = b"".join(b"package-%d==1.%d\n" % (i, i) for i in range(50_000))
CASES += [
    Case("manifest-50k-lines-dry-run", BAD_INPUT,
         _project({"requirements.txt": HUGE + PINS}), DRY_RUN, 1,
         Expect(output_has=("+tf-keras==2.18.0",)), timeout=120),
    Case("manifest-one-10mb-line-dry-run", BAD_INPUT,
         _project({"requirements.txt": PINS + b"x" * (10 * 1024 * 1024) + b"\n"}), DRY_RUN,
         frozenset({1}), timeout=120),
]

# ---------------------------------------------------------------------------- --fail-on, --share

CASES += [
    Case("fail-on-bogus", BAD_INPUT, _project({}),
         ("scan", "--python", "{py}", "--fail-on", "bogus"), 2,
         Expect(stderr_has=("--fail-on",))),
    Case("fail-on-empty", BAD_INPUT, _project({}),
         ("scan", "--python", "{py}", "--fail-on", ""), 2),
    Case("fail-on-on-fix", BAD_INPUT, _project({}), (*DRY_RUN, "--fail-on", "warning"), 2),
]


def _home(value: str) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        ctx.use("pip_mismatch")
        ctx.env["HOME"] = value.format(**ctx.vars)
    return setup


NOT_ALL_HOME = Expect(output_lacks=("~tmp", "~/tmp", "~pytest"))
CASES += [
    Case("share-home-empty-scan", BAD_INPUT, _home(""),
         ("scan", "--share", "--python", "{py}"), 1, NOT_ALL_HOME),
    Case("share-home-root-scan", BAD_INPUT, _home("/"),
         ("scan", "--share", "--python", "{py}"), 1, NOT_ALL_HOME),
    Case("share-home-root-scan-json", BAD_INPUT, _home("/"),
         ("scan", "--share", "--json", "--python", "{py}"), 1, NOT_ALL_HOME),
    Case("share-home-relative-scan", BAD_INPUT, _home("relative/home"),
         ("scan", "--share", "--python", "{py}"), 1),
    Case("share-home-regex-chars-scan", BAD_INPUT, _home("{tmp}/h(o)m[e]*+?"),
         ("scan", "--share", "--json", "--python", "{py}"), 1),
    # The venv's parent: pip runs rustc when it is on PATH, and rustup writes into ~.
    Case("share-home-holds-venv-fix-dry-run", BAD_INPUT, _home("{tmp}/env"),
         (*DRY_RUN, "--share"), 1, Expect(output_lacks=("{venv}",), output_has=("~/venv",))),
    Case("share-home-missing-fix-dry-run", BAD_INPUT, _home("{tmp}/no/such/home"),
         (*DRY_RUN, "--share"), 1),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_project_installer_or_share(case: Case, run_case) -> None:  # type: ignore[no-untyped-def]
    run_case(case)


def test_shadowed_uv_is_not_found(tmp_path: Path) -> None:
    """The uv-hidden cases can fail: the shadow really hides the package from kerasfix."""
    import subprocess
    import sys

    (tmp_path / "uv.py").write_text("raise ImportError('hidden')\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    code = "from kerasfix.fix.installers import find_uv; print(find_uv())"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(tmp_path), "PATH": str(empty)},
                          cwd=tmp_path, timeout=60)
    assert proc.stdout.strip() == "None", proc.stdout + proc.stderr
