"""What others wrote into the environment: corrupt METADATA and RECORD, symlink loops, file names
that are not UTF-8, and control characters anywhere a name or a version can come from."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from relkit import BAD_INPUT, KNOWN_ERROR, Case, Ctx, Expect

SCAN_JSON = ("scan", "--json", "--python", "{py}")
SCAN_TEXT = ("scan", "--python", "{py}")
DRY_RUN = ("fix", "--dry-run", "--python", "{py}", "--find-links", "{wheels}", "--no-index")
FIX = ("fix", "--yes", "--no-verify", "--python", "{py}", "--find-links", "{wheels}",
       "--no-index")


def dist_info(ctx: Ctx, name: str) -> Path:
    assert ctx.venv is not None
    return next(ctx.venv.site.glob(f"{name}-*.dist-info"))


def _on(base: str, name: str, edit: Callable[[Path], None]) -> Callable[[Ctx], None]:
    """Copy a base environment and edit one distribution's .dist-info folder."""
    def setup(ctx: Ctx) -> None:
        ctx.use(base)
        edit(dist_info(ctx, name))
    return setup


def _write(rel: str, data: bytes) -> Callable[[Path], None]:
    def edit(info: Path) -> None:
        target = info / rel
        if target.is_dir() and not target.is_symlink():
            target.rmdir()
        elif target.exists() or target.is_symlink():
            target.unlink()
        target.write_bytes(data)
    return edit


def _meta(*lines: str, tail: bytes = b"") -> bytes:
    return ("\n".join(lines) + "\n\nA description.\n").encode() + tail


KERAS = ("Metadata-Version: 2.1", "Name: keras", "Version: 3.15.1")

# ---------------------------------------------------------------------------- METADATA

METADATA: dict[str, bytes] = {
    "empty": b"",
    "binary": bytes(range(256)) * 8,
    "non-utf8": b"Metadata-Version: 2.1\nName: keras\nVersion: 3.15.1\nSummary: caf\xe9"
                b" \xff\xfe\x80\n\n\xc3\x28 body\n",
    "missing-name": _meta("Metadata-Version: 2.1", "Version: 3.15.1"),
    "missing-version": _meta("Metadata-Version: 2.1", "Name: keras"),
    "invalid-version": _meta("Metadata-Version: 2.1", "Name: keras",
                             "Version: 3.15.1-not a version!"),
    "huge-header": _meta(*KERAS, "Summary: " + "A" * 8_000_000),
    "invalid-requires-dist": _meta(*KERAS, "Requires-Dist: numpy >= = 1.0 ; python_version <<"
                                   " '3'", "Requires-Dist: ][", "Requires-Dist: absl-py"),
    "invalid-requires-python": _meta(*KERAS, "Requires-Python: >=3.9,,<<4!"),
}

CASES = [
    Case(f"metadata-{kind}-scan", BAD_INPUT, _on("healthy", "keras", _write("METADATA", data)),
         SCAN_JSON, frozenset({0, 1}))
    for kind, data in METADATA.items()
] + [
    Case(f"metadata-{kind}-fix-dry-run", BAD_INPUT,
         _on("mismatch", "keras", _write("METADATA", data)), DRY_RUN, frozenset({1, 3}))
    for kind, data in METADATA.items()
]

TF_METADATA = {
    "invalid-version": _meta("Metadata-Version: 2.1", "Name: tensorflow-cpu", "Version: two"),
    "missing-version": _meta("Metadata-Version: 2.1", "Name: tensorflow-cpu"),
    "binary": b"\x00\x01\xff" * 1000,
}
CASES += [
    Case(f"tensorflow-metadata-{kind}-fix-dry-run", BAD_INPUT,
         _on("mismatch", "tensorflow_cpu", _write("METADATA", data)), DRY_RUN,
         frozenset({1, 3}))
    for kind, data in TF_METADATA.items()
]


def _egg_info_file(ctx: Ctx) -> None:
    ctx.use("healthy")
    assert ctx.venv is not None
    (ctx.venv.site / "oldpkg-0.1-py3.11.egg-info").write_bytes(b"\x00\xffPKG-INFO\x00" * 50)


def _egg_info_dir(ctx: Ctx) -> None:
    ctx.use("healthy")
    assert ctx.venv is not None
    egg = ctx.venv.site / "h5py-3.0.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_bytes(b"Name: h5py\nVersion: \xff\xfe\n")
    (egg / "installed-files.txt").write_bytes(b"../h5py/__init__.py\n/etc/passwd\n\x00\x01\n")
    (egg / "top_level.txt").write_bytes(b"h5py\n\xff\n")


CASES += [
    Case("egg-info-file-binary-scan", BAD_INPUT, _egg_info_file, SCAN_JSON, frozenset({0, 1})),
    Case("egg-info-dir-garbage-scan", BAD_INPUT, _egg_info_dir, SCAN_JSON, frozenset({0, 1})),
]

# ---------------------------------------------------------------------------- RECORD

RECORD: dict[str, bytes] = {
    "garbage": bytes(range(256)) * 16,
    "one-column": b"keras/__init__.py\nkeras/src/version.py\n",
    "six-columns": b"keras/__init__.py,sha256=x,1,extra,more,fields\n,,,,,,\n",
    "absolute-paths": b"/etc/passwd,,\n/usr/bin/env,sha256=abc,12\nkeras/__init__.py,,\n",
    "dotdot-paths": b"../../../../../../../../etc/passwd,,\n../../bin/keras-tool,,\n",
    "empty": b"",
    "unterminated-quote": b'"keras/__init__.py,sha256=abc,1\nkeras/src/version.py,,\n',
    "nul-bytes": b"keras/__init__.py\x00,,\n\x00\x00\x00\n",
    "non-utf8": b"keras/caf\xe9.py,,\nkeras/__init__.py,,\n",
    "200k-lines": b"".join(b"keras/src/m%d.py,sha256=abc,1\n" % i for i in range(200_000)),
}


def _no_record(info: Path) -> None:
    (info / "RECORD").unlink()


def _record_dir(info: Path) -> None:
    (info / "RECORD").unlink()
    (info / "RECORD").mkdir()


CASES += [
    Case(f"record-{kind}-scan", BAD_INPUT, _on("healthy", "keras", _write("RECORD", data)),
         SCAN_JSON, frozenset({0, 1}))
    for kind, data in RECORD.items()
] + [
    Case("record-missing-scan", BAD_INPUT, _on("healthy", "keras", _no_record), SCAN_JSON,
         frozenset({0, 1})),
    Case("record-is-a-folder-scan", BAD_INPUT, _on("healthy", "keras", _record_dir), SCAN_JSON,
         frozenset({0, 1})),
]


def _record_names_user_file(style: str) -> Callable[[Ctx], None]:
    """The tensorflow the repair uninstalls lists a file of the user's in its RECORD."""
    def setup(ctx: Ctx) -> None:
        ctx.use("clobbered")
        project = ctx.user_dir("project")
        mine = project / "model.keras"
        mine.write_bytes(b"weights" * 100)
        record = dist_info(ctx, "tensorflow") / "RECORD"
        if style == "absolute":
            line = f"{mine},,\n"
        else:
            line = os.path.relpath(mine, record.parent.parent) + ",,\n"
        record.write_text(record.read_text() + line)
    return setup


CASES += [
    Case(f"record-{style}-user-file-fix", BAD_INPUT, _record_names_user_file(style), FIX,
         frozenset({0, 1, 3}), Expect(unchanged=("project",), preserved=("state",)))
    for style in ("absolute", "dotdot")
]

# ---------------------------------------------------------------------------- symlink loops


def _in_site(make: Callable[[Path], None], base: str = "healthy") -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        ctx.use(base)
        assert ctx.venv is not None
        make(ctx.venv.site)
    return setup


def _self_loop(site: Path) -> None:
    (site / "loop").symlink_to("loop")


def _cycle(site: Path) -> None:
    (site / "a").symlink_to("b")
    (site / "b").symlink_to("a")


def _up(site: Path) -> None:
    (site / "up").symlink_to("..")
    (site / "here").symlink_to(".")


def _dist_info_loop(site: Path) -> None:
    (site / "ghost-1.0.dist-info").symlink_to("ghost-1.0.dist-info")


def _watched_name_loop(site: Path) -> None:
    (site / "h5py").symlink_to("h5py")
    (site / "numpy.py").symlink_to("numpy.py")


def _pth_to_loop(site: Path) -> None:
    (site / "loop").symlink_to("loop")
    (site / "extra.pth").write_text(f"{site / 'loop'}\n{site / 'up'}\n")
    (site / "up").symlink_to("..")


def _record_loop(site: Path) -> None:
    info = next(site.glob("keras-*.dist-info"))
    (info / "RECORD").unlink()
    (info / "RECORD").symlink_to("RECORD")


SYMLINKS = {"self": _self_loop, "cycle": _cycle, "parent": _up,
            "dist-info": _dist_info_loop, "watched-name": _watched_name_loop,
            "pth": _pth_to_loop, "record": _record_loop}

CASES += [
    Case(f"symlink-loop-{kind}-scan", BAD_INPUT, _in_site(make), SCAN_JSON, frozenset({0, 1}),
         timeout=60)
    for kind, make in SYMLINKS.items()
] + [
    Case("symlink-loop-dist-info-fix-dry-run", BAD_INPUT, _in_site(_dist_info_loop, "mismatch"),
         DRY_RUN, frozenset({1, 3}), timeout=60),
    Case("symlink-loop-parent-fix", BAD_INPUT, _in_site(_up, "clobbered"), FIX, 0,
         Expect(unchanged=(), check=lambda ctx, r: _links_kept(ctx, "up", "here")), timeout=90),
]


def _links_kept(ctx: Ctx, *names: str) -> None:
    assert ctx.venv is not None
    for name in names:
        assert os.path.islink(ctx.venv.site / name), f"{name} was removed"

# ---------------------------------------------------------------------------- non-UTF-8 names

E9 = os.fsdecode(b"\xe9")  # a Latin-1 byte in a file name: undecodable as UTF-8


def _non_utf8_top(site: Path) -> None:
    os.mkdir(os.fsencode(site) + b"/caf\xe9")
    (site / f"caf{E9}" / "__init__.py").write_text("")


def _non_utf8_dist(site: Path) -> None:
    info = os.fsencode(site) + b"/p\xe9kg-1.0.dist-info"
    os.mkdir(info)
    with open(info + b"/METADATA", "wb") as fh:
        fh.write(b"Metadata-Version: 2.1\nName: p\xe9kg\nVersion: 1.0\n")
    with open(info + b"/RECORD", "wb") as fh:
        fh.write(b"p\xe9kg/__init__.py,,\n")


def _non_utf8_leftover(site: Path) -> None:
    os.mkdir(os.fsencode(site) + b"/~\xe9nsorflow")
    (site / f"~{E9}nsorflow" / "__init__.py").write_text("")


def _non_utf8_venv(ctx: Ctx) -> None:
    ctx.use("healthy", where=f"env-{E9}")


def _non_utf8_cwd(ctx: Ctx) -> None:
    ctx.use("healthy")
    ctx.cwd = ctx.user_dir(f"proj-{E9}")
    (ctx.cwd / "keras.py").write_text("x = 1\n")


CASES += [
    Case("non-utf8-top-level-scan", BAD_INPUT, _in_site(_non_utf8_top), SCAN_TEXT,
         frozenset({0, 1})),
    Case("non-utf8-top-level-scan-json", BAD_INPUT, _in_site(_non_utf8_top), SCAN_JSON,
         frozenset({0, 1})),
    Case("non-utf8-dist-info-scan", BAD_INPUT, _in_site(_non_utf8_dist), SCAN_TEXT,
         frozenset({0, 1})),
    Case("non-utf8-dist-info-scan-json", BAD_INPUT, _in_site(_non_utf8_dist), SCAN_JSON,
         frozenset({0, 1})),
    Case("non-utf8-leftover-fix-dry-run", BAD_INPUT, _in_site(_non_utf8_leftover, "mismatch"),
         DRY_RUN, frozenset({1, 3})),
    Case("non-utf8-venv-folder-scan", BAD_INPUT, _non_utf8_venv, SCAN_TEXT, frozenset({0, 1})),
    Case("non-utf8-venv-folder-scan-json", BAD_INPUT, _non_utf8_venv, SCAN_JSON,
         frozenset({0, 1})),
    Case("non-utf8-project-folder-scan", BAD_INPUT, _non_utf8_cwd, SCAN_TEXT, 1),
]

# ---------------------------------------------------------------------------- control characters

CONTROLS = {"esc": "\x1b[31m\x1b]0;owned\x1b\\", "bel": "\x07\x07", "c1": "\x9b31m\x9d0;x\x9c",
            "cr": "\rOK  "}
EVERY_CONTROL = "".join(CONTROLS.values())


def _version_with(chars: str) -> Callable[[Path], None]:
    return _write("METADATA", _meta("Metadata-Version: 2.1", "Name: keras",
                                    f"Version: 3.15.1{chars}evil"))


def _name_with(chars: str) -> Callable[[Path], None]:
    return _write("METADATA", _meta("Metadata-Version: 2.1", f"Name: keras{chars}x",
                                    "Version: 3.15.1"))


def _venv_named(chars: str) -> Callable[[Ctx], None]:
    return lambda ctx: ctx.use("healthy", where=f"env{chars}x") and None


def _leftover_named(site: Path) -> None:
    (site / f"~ensorflow{EVERY_CONTROL}").mkdir()


def _requirements_with_controls(ctx: Ctx) -> None:
    ctx.use("healthy")
    reqs = ctx.user_dir("project") / "requirements.txt"
    reqs.write_text(f"tensorflow==2.18.1{CONTROLS['esc']}\ntf-keras==2.15.0{CONTROLS['bel']}\n"
                    f"keras{CONTROLS['c1']}>=3\n# {CONTROLS['cr']}\n")


def _code_with_controls(ctx: Ctx) -> None:
    ctx.use("healthy")
    project = ctx.user_dir("project")
    (project / f"tr{CONTROLS['esc']}ain.py").write_text("from keras.engine import training\n")
    (project / f"ev{CONTROLS['bel']}al.py").write_text("import keras.engine.base_layer\n")


def _cwd_with_controls(ctx: Ctx) -> None:
    ctx.use("healthy")
    ctx.cwd = ctx.user_dir(f"proj{CONTROLS['c1']}{CONTROLS['cr']}")
    (ctx.cwd / "keras.py").write_text("x = 1\n")


def _tf_version_with_controls(ctx: Ctx) -> None:
    ctx.use("mismatch")
    _write("METADATA", _meta("Metadata-Version: 2.1", "Name: tensorflow-cpu",
                             f"Version: 2.18.1{EVERY_CONTROL}"))(dist_info(ctx, "tensorflow_cpu"))


CASES += [
    Case(f"control-{kind}-in-version-scan", BAD_INPUT,
         _on("healthy", "keras", _version_with(chars)), SCAN_TEXT, frozenset({0, 1}))
    for kind, chars in CONTROLS.items()
] + [
    Case(f"control-{kind}-in-name-scan", BAD_INPUT, _on("healthy", "keras", _name_with(chars)),
         SCAN_TEXT, frozenset({0, 1}))
    for kind, chars in CONTROLS.items()
] + [
    Case(f"control-{kind}-in-venv-folder-scan", BAD_INPUT, _venv_named(chars), SCAN_TEXT,
         frozenset({0, 1}))
    for kind, chars in CONTROLS.items()
] + [
    Case(f"control-{kind}-in-explain-text", BAD_INPUT, lambda ctx: ctx.use("healthy") and None,
         ("explain", f"{chars}{KNOWN_ERROR}{chars}", "--python", "{py}"), frozenset({0, 1}))
    for kind, chars in CONTROLS.items()
] + [
    Case("control-all-in-summary-scan", BAD_INPUT,
         _on("healthy", "keras", _write("METADATA", _meta(*KERAS, f"Summary: {EVERY_CONTROL}"))),
         SCAN_TEXT, frozenset({0, 1})),
    Case("control-all-in-summary-scan-json", BAD_INPUT,
         _on("healthy", "keras", _write("METADATA", _meta(*KERAS, f"Summary: {EVERY_CONTROL}"))),
         SCAN_JSON, frozenset({0, 1})),
    Case("control-all-in-version-scan-json", BAD_INPUT,
         _on("healthy", "keras", _version_with(EVERY_CONTROL)), SCAN_JSON, frozenset({0, 1})),
    Case("control-all-in-explain-stdin", BAD_INPUT, None, ("explain", "-", "--no-scan"),
         frozenset({0, 1}), stdin=f"{EVERY_CONTROL}\n{KNOWN_ERROR}\n{EVERY_CONTROL}\n".encode()),
    Case("control-all-in-explain-json", BAD_INPUT, None,
         ("explain", f"{KNOWN_ERROR}{EVERY_CONTROL}", "--no-scan", "--json"), frozenset({0, 1})),
    Case("control-all-in-leftover-fix-dry-run", BAD_INPUT, _in_site(_leftover_named, "mismatch"),
         DRY_RUN, frozenset({1, 3})),
    Case("control-all-in-tensorflow-version-fix-dry-run", BAD_INPUT, _tf_version_with_controls,
         DRY_RUN, frozenset({1, 3})),
    Case("control-raw-c1-byte-in-venv-folder-scan", BAD_INPUT, _venv_named(
        os.fsdecode(b"\x9b31m\x9b2J")), SCAN_TEXT, frozenset({0, 1})),
    Case("control-esc-in-python-argument", BAD_INPUT, None,
         ("scan", "--python", f"/nonexistent/{CONTROLS['esc']}python"), 2),
    Case("control-all-in-requirements-file", BAD_INPUT, _requirements_with_controls,
         ("scan", "--python", "{py}", "--requirements", "{tmp}/project/requirements.txt"),
         frozenset({0, 1})),
    Case("control-all-in-code-file-names", BAD_INPUT, _code_with_controls,
         ("scan", "--python", "{py}", "--code", "{tmp}/project"), frozenset({0, 1})),
    Case("control-all-in-project-folder-scan", BAD_INPUT, _cwd_with_controls, SCAN_TEXT, 1),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_corrupt_environment_or_hostile_text(case: Case, run_case) -> None:  # type: ignore[no-untyped-def]
    run_case(case)
