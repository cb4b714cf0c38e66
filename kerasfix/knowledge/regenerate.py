"""Rebuild data/tf-keras-matrix.json from the real package metadata on PyPI.

    python -m kerasfix.knowledge.regenerate            # rewrite the committed file
    python -m kerasfix.knowledge.regenerate --check    # exit 1 if PyPI says something else

Every field is regenerated; nothing is carried over from the previous file except the choice of
which distributions and versions to cover (SELECTION below). For each one:

* ``files``, ``cp_tags_by_platform``: the PyPI simple index (PEP 691 JSON) of the project.
* ``wheels_read``: one wheel per platform kind (linux-x86, linux-aarch64, mac-x86, mac-arm, win,
  any; the cp311 wheel where there is one, else the first by file name). Its
  ``*.dist-info/METADATA`` (Requires-Python, Requires-Dist), ``top_level.txt`` and the zip's
  top-level entries are read with HTTP range requests: the zip's central directory and two small
  members, never the whole wheel (the same thing pip's ``--use-feature=fast-deps`` does). PEP 658
  ``.metadata`` files would be cheaper still, but they cannot give the zip's entries, and proxies
  in front of PyPI often strip them.

Needs: network access to https://pypi.org and https://files.pythonhosted.org (HTTP range
requests), the standard library and ``packaging``. Takes 45-50 s for the 115 releases and 200
wheels (it fetches about 260 MB in range requests, nearly all of it the central directories of
the TensorFlow wheels, 1-3 MB each; 8 parallel connections). Set PYPI_URL to use a PEP 691
mirror. Nightly versions vanish from PyPI after a while: when one is gone, the script says so;
replace it in SELECTION.
"""

from __future__ import annotations

import argparse
import email.parser
import io
import json
import os
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from packaging.utils import parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

OUTPUT = Path(__file__).parent / "data" / "tf-keras-matrix.json"
PYPI_URL = os.environ.get("PYPI_URL", "https://pypi.org/simple").rstrip("/")
USER_AGENT = "kerasfix-knowledge-regenerate (+https://pypi.org)"
BLOCK = 256 * 1024
WORKERS = 8

# Which releases to cover: every TF minor's latest patch (plus the first patch where it matters),
# each platform/variant distribution, every Keras line and every tf-keras release. Order is kept.
SELECTION: dict[str, list[str]] = {
    "tensorflow": ["2.6.5", "2.7.4", "2.8.4", "2.9.3", "2.10.1", "2.11.1", "2.12.1", "2.13.1",
                   "2.14.1", "2.15.0", "2.15.1", "2.16.1", "2.16.2", "2.17.1", "2.18.1", "2.19.1",
                   "2.20.0", "2.21.0"],
    "tensorflow-cpu": ["2.10.1", "2.11.1", "2.12.1", "2.13.1", "2.14.1", "2.15.1", "2.16.2",
                       "2.17.1", "2.18.1", "2.19.1", "2.20.0", "2.21.0"],
    "tensorflow-intel": ["2.10.1", "2.11.1", "2.12.1", "2.13.1", "2.14.1", "2.15.1", "2.16.2",
                         "2.17.1", "2.18.0"],
    "tensorflow-macos": ["2.10.0", "2.11.0", "2.12.0", "2.13.1", "2.14.1", "2.15.1", "2.16.2"],
    "tensorflow-aarch64": ["2.10.1", "2.11.1", "2.12.1", "2.13.1", "2.14.1", "2.15.1", "2.16.1"],
    "tensorflow-cpu-aws": ["2.10.1", "2.11.1", "2.12.1", "2.13.1", "2.14.1", "2.15.1"],
    "tensorflow-gpu": ["2.10.1", "2.11.0", "2.12.0"],
    "intel-tensorflow": ["2.10.0", "2.11.0", "2.12.0", "2.13.0", "2.14.0"],
    "tensorflow-rocm": ["2.13.1.600", "2.14.0.600"],
    "keras": ["2.3.1", "2.4.3", "2.6.0", "2.7.0", "2.8.0", "2.9.0", "2.10.0", "2.11.0", "2.12.0",
              "2.13.1", "2.14.0", "2.15.0", "3.0.5", "3.1.1", "3.2.1", "3.3.3", "3.4.1", "3.5.0",
              "3.6.0", "3.7.0", "3.8.0", "3.9.2", "3.10.0", "3.11.3", "3.12.4", "3.13.2",
              "3.14.1", "3.15.1"],
    "tf-keras": ["2.14.1", "2.15.0", "2.15.1", "2.16.0", "2.17.0", "2.18.0", "2.19.0", "2.20.0",
                 "2.20.1", "2.21.0"],
    "keras-core": ["0.1.7"],
    "tf-nightly": ["2.23.0.dev20261026", "2.22.0.dev20260924"],
    "tf-nightly-cpu": ["2.22.0.dev20260905"],
    "keras-nightly": ["3.16.0.dev2026102704"],
    "tf-keras-nightly": ["2.23.0.dev2026102618", "2.21.0.dev2026102609", "2.22.0.dev2026101709"],
}


def _get(url: str, byte_range: tuple[int, int] | None = None, accept: str | None = None) -> bytes:
    headers = {"User-Agent": USER_AGENT}
    if accept:
        headers["Accept"] = accept
    if byte_range:
        headers["Range"] = f"bytes={byte_range[0]}-{byte_range[1] - 1}"
    for attempt in range(4):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                        timeout=120) as resp:
                data: bytes = resp.read()
                if byte_range and resp.status != 206:
                    raise RuntimeError(f"{url}: the server ignores range requests")
                return data
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if (isinstance(exc, urllib.error.HTTPError) and exc.code < 500) or attempt == 3:
                raise
            time.sleep(2 ** attempt)
    raise AssertionError("unreachable")


class RangeFile(io.RawIOBase):
    """A read-only, seekable view of a remote file that fetches only the blocks that are read."""

    def __init__(self, url: str, size: int) -> None:
        super().__init__()
        self.url, self.size, self.pos = url, size, 0
        self.blocks: dict[int, bytes] = {}
        self.fetched = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, buffer: Any) -> int:
        end = min(self.pos + len(buffer), self.size)
        if end <= self.pos:
            return 0
        first, last = self.pos // BLOCK, (end - 1) // BLOCK
        missing = [b for b in range(first, last + 1) if b not in self.blocks]
        if missing:  # one request for the whole missing run
            start, stop = missing[0] * BLOCK, min((missing[-1] + 1) * BLOCK, self.size)
            data = _get(self.url, (start, stop))
            self.fetched += len(data)
            for b in range(missing[0], missing[-1] + 1):
                self.blocks[b] = data[(b - missing[0]) * BLOCK:(b - missing[0] + 1) * BLOCK]
        data = b"".join(self.blocks[b] for b in range(first, last + 1))
        chunk = data[self.pos - first * BLOCK:end - first * BLOCK]
        buffer[:len(chunk)] = chunk
        self.pos += len(chunk)
        return len(chunk)


def _platform(filename: str) -> tuple[str, str, list[str]] | None:
    """(platform key, wheel kind, python tags) of a wheel file name; None for other files."""
    if not filename.endswith(".whl"):
        return None
    tags = parse_wheel_filename(filename)[3]
    plats = {t.platform for t in tags}
    pythons = sorted({t.interpreter for t in tags})
    if plats == {"any"}:
        return "any", "any", pythons
    plat = sorted(plats)[0]
    if plat.startswith("macosx"):
        return "macosx", "mac-x86" if plat.endswith("x86_64") else "mac-arm", pythons
    if plat.startswith("win"):
        return "win", "win", pythons
    if "linux" in plat and plat.endswith("x86_64"):
        return "manylinux-x86_64", "linux-x86", pythons
    if "linux" in plat and plat.endswith("aarch64"):
        return "manylinux-aarch64", "linux-aarch64", pythons
    return None


def _version_of(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except ValueError:
        return None


def read_wheel(url: str, size: int) -> dict[str, Any]:
    """Requires-Python, Requires-Dist, zip top-level entries and top_level.txt of a remote wheel."""
    remote = RangeFile(url, size)
    with zipfile.ZipFile(io.BufferedReader(remote, buffer_size=BLOCK)) as zf:
        names = zf.namelist()
        meta_name = next(n for n in names
                         if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        meta = email.parser.HeaderParser().parsestr(zf.read(meta_name).decode("utf-8"))
        top_name = meta_name.rsplit("/", 1)[0] + "/top_level.txt"
        top_level = zf.read(top_name).decode("utf-8") if top_name in names else None
    return {"requires_python": meta.get("Requires-Python"),
            "requires_dist": meta.get_all("Requires-Dist") or [],
            "zip_tops": sorted({n.split("/", 1)[0] for n in names}),
            "top_level_txt": top_level,
            "_fetched": remote.fetched}


def project_files(project: str) -> list[dict[str, Any]]:
    url = f"{PYPI_URL}/{project}/"
    rows: list[dict[str, Any]] = json.loads(
        _get(url, accept="application/vnd.pypi.simple.v1+json"))["files"]  # PEP 691 JSON
    return rows


def plan_release(project: str, version: str, files: list[dict[str, Any]]) -> dict[str, Any]:
    """A release's row without the wheel contents; ``wheels_read`` holds the wheels to read."""
    want = Version(version)
    mine = sorted((f for f in files if _version_of(f["filename"]) == want),
                  key=lambda f: f["filename"])
    if not mine:
        raise LookupError(f"{project}=={version} has no files on PyPI (deleted nightly?)")
    tags: dict[str, set[str]] = {}
    chosen: dict[str, dict[str, Any]] = {}
    for f in mine:
        plat = _platform(f["filename"])
        if plat is None:
            continue
        key, kind, pythons = plat
        tags.setdefault(key, set()).update(pythons)
        if kind not in chosen or ("-cp311-" in f["filename"]
                                  and "-cp311-" not in chosen[kind]["filename"]):
            chosen[kind] = f
    wheels = sorted(chosen.items(), key=lambda item: item[1]["filename"])
    return {
        "version": version,
        "cp_tags_by_platform": {k: sorted(v) for k, v in sorted(tags.items())},
        "files": [{"filename": f["filename"], "size": f["size"], "yanked": bool(f.get("yanked"))}
                  for f in mine],
        "wheels_read": [{"kind": kind, "filename": f["filename"], "size": f["size"],
                         "url": f["url"]} for kind, f in wheels],
    }


def build(log: Any = sys.stderr) -> dict[str, Any]:
    started = time.monotonic()
    with ThreadPoolExecutor(WORKERS) as pool:
        indexes = dict(zip(SELECTION, pool.map(project_files, SELECTION)))
        rows = {project: [plan_release(project, v, indexes[project]) for v in versions]
                for project, versions in SELECTION.items()}
        wheels = [w for versions in rows.values() for row in versions for w in row["wheels_read"]]
        read = list(pool.map(lambda w: read_wheel(w["url"], w["size"]), wheels))
    fetched = 0
    for wheel, contents in zip(wheels, read):
        del wheel["url"]
        fetched += contents.pop("_fetched")
        wheel.update(contents)
    print(f"{sum(map(len, rows.values()))} releases, {len(wheels)} wheels read, "
          f"{fetched / 1e6:.0f} MB fetched, {time.monotonic() - started:.0f} s", file=log)
    return {
        "generated": date.today().isoformat(),
        "source": "PyPI simple JSON index + wheel METADATA read via HTTP range requests "
                  "(python -m kerasfix.knowledge.regenerate); no full wheels downloaded",
        "packages": rows,
    }


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1) + "\n"


def command(argv: list[str] | None, *, module: str, doc: str | None, output: Path,
            build_data: Callable[[], dict[str, Any]], key: str) -> int:
    """The regenerate scripts' shared command line: rewrite `output`, or --check it against
    PyPI (`key`: the part of the data PyPI decides; the rest is dates and notes)."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}",
                                     description=(doc or "").split("\n", 1)[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed file instead of writing it")
    parser.add_argument("--output", type=Path, default=output)
    args = parser.parse_args(argv)
    data = build_data()
    if args.check:
        old = json.loads(args.output.read_text())
        if old[key] != data[key]:
            print(f"{args.output} differs from PyPI; run without --check", file=sys.stderr)
            return 1
        print(f"{args.output} matches PyPI", file=sys.stderr)
        return 0
    args.output.write_text(dumps(data))
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    return command(argv, module="kerasfix.knowledge.regenerate", doc=__doc__, output=OUTPUT,
                   build_data=build, key="packages")


if __name__ == "__main__":
    sys.exit(main())
