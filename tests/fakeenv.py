"""Fabricated environments: a real venv (no pip, ~50 ms) whose site-packages the test fills by
hand with dist-info folders carrying real TensorFlow/Keras metadata, broken the ways pip and users
break them. The scan then runs for real: the probe in the venv's interpreter, then the checks."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kerasfix.diagnose.scan import ScanResult, scan
from kerasfix.inspect.target import Target

# Real Requires-Dist lines of Linux x86_64 wheels (kerasfix/knowledge/data/tf-keras-matrix.json).
TF_REQUIRES = {
    "2.14.1": ["keras<2.15,>=2.14.0", "numpy<2.0.0,>=1.23.5", "ml-dtypes==0.2.0",
               "protobuf!=4.21.0,!=4.21.1,!=4.21.2,!=4.21.3,!=4.21.4,!=4.21.5,<5.0.0dev,>=3.20.3"],
    "2.14.0": ["keras<2.15,>=2.14.0", "numpy>=1.23.5", "ml-dtypes==0.2.0",
               "protobuf!=4.21.0,!=4.21.1,!=4.21.2,!=4.21.3,!=4.21.4,!=4.21.5,<5.0.0dev,>=3.20.3"],
    "2.15.1": ["keras<2.16,>=2.15.0", "numpy<2.0.0,>=1.23.5", "ml-dtypes~=0.3.1",
               "protobuf!=4.21.0,!=4.21.1,!=4.21.2,!=4.21.3,!=4.21.4,!=4.21.5,<5.0.0dev,>=3.20.3"],
    "2.18.1": ["keras>=3.5.0", "numpy<2.1.0,>=1.26.0", "ml-dtypes<1.0.0,>=0.4.0",
               "protobuf!=4.21.0,!=4.21.1,!=4.21.2,!=4.21.3,!=4.21.4,!=4.21.5,<6.0.0dev,>=3.20.3",
               'tensorflow-io-gcs-filesystem>=0.23.1; python_version < "3.12"',
               'nvidia-cudnn-cu12==9.3.0.75; extra == "and-cuda"'],
    "2.21.0": ["keras>=3.12.0", "numpy>=1.26.0", "ml-dtypes<1.0.0,>=0.5.1",
               "protobuf<8.0.0,>=6.31.1"],
}
TF_KERAS_REQUIRES = {"2.15.0": [], "2.14.1": [], "2.18.0": ["tensorflow<2.19,>=2.18"],
                     "2.15.1": ["tensorflow<2.16,>=2.15"], "2.21.0": ["tensorflow<2.22,>=2.21"]}


def _hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


@dataclass
class FakeEnv:
    root: Path
    python: str
    site: Path
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None

    # ------------------------------------------------------------ building
    def add_dist(self, name: str, version: str, *, requires: Iterable[str] = (),
                 files: Mapping[str, str] | None = None, installer: str | None = "pip",
                 record: bool = True, tags: Iterable[str] = ("py3-none-any",),
                 requires_python: str | None = None, dist_name: str | None = None,
                 site: Path | None = None) -> Path:
        """Write <name>-<version>.dist-info plus its files, as pip would have."""
        base = site or self.site
        norm = (dist_name or name).replace("-", "_")
        info = base / f"{norm}-{version}.dist-info"
        info.mkdir(parents=True, exist_ok=True)
        meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
        if requires_python:
            meta.append(f"Requires-Python: {requires_python}")
        meta += [f"Requires-Dist: {r}" for r in requires]
        written: dict[str, bytes] = {}
        written[f"{info.name}/METADATA"] = ("\n".join(meta) + "\n\nA description.\n").encode()
        written[f"{info.name}/WHEEL"] = ("Wheel-Version: 1.0\nRoot-Is-Purelib: true\n" + "".join(
            f"Tag: {t}\n" for t in tags)).encode()
        if installer:
            written[f"{info.name}/INSTALLER"] = f"{installer}\n".encode()
        for rel, text in (files or {}).items():
            written[rel] = text.encode()
        for rel, data in written.items():
            path = base / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if record:
            lines = [f"{rel},{_hash(data)},{len(data)}" for rel, data in written.items()]
            lines.append(f"{info.name}/RECORD,,")
            (info / "RECORD").write_text("\n".join(lines) + "\n")
        return info

    def tensorflow(self, version: str = "2.18.1", dist: str = "tensorflow-cpu", **kw) -> Path:
        files = {"tensorflow/__init__.py": f"__version__ = '{version}'\n",
                 "tensorflow/python/__init__.py": "",
                 f"{dist.replace('-', '_')}.libs/libfake.so": "x"}
        return self.add_dist(dist, version, requires=TF_REQUIRES.get(version, ()), files=files,
                             tags=("cp311-cp311-manylinux_2_17_x86_64",), **kw)

    def keras(self, version: str, dist: str = "keras", **kw) -> Path:
        if version.startswith("3"):
            files = {"keras/__init__.py": "",
                     "keras/src/version.py": f'__version__ = "{version}"\n',
                     "keras/_tf_keras/keras/__init__.py": ""}
        else:
            files = {"keras/__init__.py": f'__version__ = "{version}"\n',
                     "keras/api/_v2/keras/__init__.py": ""}
        return self.add_dist(dist, version, files=files, **kw)

    def tf_keras(self, version: str, **kw) -> Path:
        return self.add_dist("tf-keras", version, requires=TF_KERAS_REQUIRES.get(version, ()),
                             files={"tf_keras/__init__.py": f'__version__ = "{version}"\n'}, **kw)

    def simple(self, name: str, version: str, **kw) -> Path:
        pkg = name.replace("-", "_")
        return self.add_dist(name, version, files={f"{pkg}/__init__.py": ""}, **kw)

    def healthy(self, tf: str = "2.18.1", dist: str = "tensorflow-cpu") -> None:
        """A consistent stack, as `pip install tensorflow-cpu==<tf>` leaves it."""
        self.tensorflow(tf, dist)
        minor = int(tf.split(".")[1])
        self.keras("3.15.1" if minor >= 16 else f"2.{minor}.0")
        numpy = "2.0.2" if minor >= 18 else "1.26.4"
        self.simple("numpy", numpy)
        self.simple("protobuf", "6.31.1" if minor >= 21 else "4.25.9" if minor < 18 else "5.29.6",
                    dist_name="protobuf")
        self.simple("ml-dtypes", {14: "0.2.0", 15: "0.3.2"}.get(minor, "0.5.1"))
        if minor < 21:
            self.simple("tensorflow-io-gcs-filesystem", "0.37.1")

    # ------------------------------------------------------------ running
    def scan(self, **kw) -> ScanResult:
        env = {**os.environ, **self.env}
        for key in ("TF_USE_LEGACY_KERAS", "KERAS_BACKEND", "PYTHONPATH"):
            if key not in self.env:
                env.pop(key, None)
        env.setdefault("HOME", str(self.root / "home"))
        if "HOME" not in self.env:
            env["HOME"] = str(self.root / "home")
        return scan(Target(self.python, "test"), cwd=str(self.cwd or self.root / "work"),
                    env=env, **kw)

    def codes(self, **kw) -> dict[str, str]:
        return {f.code: f.severity.value for f in self.scan(**kw).findings}


def make_venv(root: Path, python: str = sys.executable, *, with_pip: bool = False) -> FakeEnv:
    """A real, empty virtual environment, by default without pip (fast)."""
    root.mkdir(parents=True, exist_ok=True)
    flags = [] if with_pip else ["--without-pip"]
    subprocess.run([python, "-m", "venv", *flags, str(root / "venv")], check=True)
    py = root / "venv" / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig;print(sysconfig.get_paths()"
                                "['purelib'])"], capture_output=True, text=True,
                               check=True).stdout.strip())
    (root / "work").mkdir(exist_ok=True)
    (root / "home").mkdir(exist_ok=True)
    return FakeEnv(root=root, python=str(py), site=site)


def build_wheel(out: Path, name: str, version: str, files: Mapping[str, str],
                requires: Iterable[str] = ()) -> Path:
    """A tiny real wheel (zip with METADATA, WHEEL, RECORD) that pip installs offline."""
    norm = name.replace("-", "_")
    info = f"{norm}-{version}.dist-info"
    entries = dict(files)
    entries[f"{info}/METADATA"] = "\n".join(
        ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
         *(f"Requires-Dist: {r}" for r in requires)]) + "\n"
    entries[f"{info}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: kerasfix-tests\n" \
                               "Root-Is-Purelib: true\nTag: py3-none-any\n"
    record = [f"{rel},{_hash(text.encode())},{len(text.encode())}" for rel, text in entries.items()]
    record.append(f"{info}/RECORD,,")
    entries[f"{info}/RECORD"] = "\n".join(record) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{norm}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for rel, text in entries.items():
            zf.writestr(rel, text)
    return path


def pip_offline(env: FakeEnv, wheels: Path, *args: str) -> None:
    """The user's pip, offline: `pip --python <target>` (test venvs have no pip of their own)."""
    extra = ["--no-index", "--find-links", str(wheels)] if args[0] == "install" else []
    subprocess.run([sys.executable, "-m", "pip", "--isolated", "--python", env.python, *args,
                    *extra], capture_output=True, text=True, check=True)


def tree_hash(root: Path) -> str:
    """A digest of every path and file under root: proves a dry run changed nothing."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def kerasfix_offline(env: FakeEnv, wheels: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it from the env's work folder; fix and undo offline from
    `wheels`, fix without the runtime check (the tiny wheels hold no real TensorFlow)."""
    cmd = [sys.executable, "-m", "kerasfix", *args, "--python", env.python, "--no-color"]
    if args[0] in ("fix", "undo"):
        cmd += ["--find-links", str(wheels), "--no-index"]
    if args[0] == "fix":
        cmd += ["--no-verify"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          cwd=env.root / "work", env={**os.environ, "COLUMNS": "200"})
