"""`make demo`: a sandbox environment broken the way users break theirs, then the app on it.

Real packages, real pip, the steps a user takes:
  1. pip install tensorflow-cpu==2.15.1          (a working TF 2.15 with Keras 2.15)
  2. pip install -U numpy                         (another project wanted NumPy 2: pip warns, obeys)
  3. pip install --no-deps tf-keras==2.14.1       (an old requirements file)
  4. a keras.py experiment left in the project folder
  5. an interrupted pip run left ~umpy behind
  6. the project's requirements.txt pins what broke it (a fix edits it too, shown as a diff)
Built once under .cache/demo (a marker marks it complete); `make demo` reuses it unless the
environment was repaired, in which case the broken steps are replayed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = Path(os.environ.get("KERASFIX_DEMO_DIR") or ROOT / ".cache" / "demo")
PYTHON = os.environ.get("KERASFIX_DEMO_PYTHON") or shutil.which("python3.11") or "python3"
MARKER = DEMO / ".complete"
# Snapshots and audit logs of the sandbox stay in the sandbox.
os.environ.setdefault("KERASFIX_STATE_DIR", str(DEMO / "state"))


REQUIREMENTS = """\
# training service
tensorflow-cpu==2.15.1
tf-keras==2.14.1  # from the old notebook
numpy>=2
"""


def run(*argv: str) -> None:
    print("+", " ".join(argv), flush=True)
    subprocess.run(list(argv), check=True)


def venv_python() -> Path:
    return DEMO / "venv" / "bin" / "python"


def project() -> Path:
    return DEMO / "my-project"


def build(force: bool = False) -> Path:
    """Create (or re-break) the demo environment; returns its interpreter."""
    py = venv_python()
    if force or not MARKER.exists():
        shutil.rmtree(DEMO, ignore_errors=True)
        DEMO.mkdir(parents=True)
        run(PYTHON, "-m", "venv", str(DEMO / "venv"))
        run(str(py), "-m", "pip", "install", "--quiet", "tensorflow-cpu==2.15.1")
    rebreak()
    MARKER.write_text("ok\n")
    return py


def rebreak() -> None:
    py = str(venv_python())
    run(py, "-m", "pip", "install", "--quiet", "-U", "numpy>=2")
    run(py, "-m", "pip", "install", "--quiet", "--no-deps", "tf-keras==2.14.1")
    project().mkdir(parents=True, exist_ok=True)
    (project() / "keras.py").write_text("# my quick experiment\nimport numpy as np\n")
    (project() / "requirements.txt").write_text(REQUIREMENTS)
    site = Path(subprocess.run([py, "-c", "import sysconfig;print(sysconfig.get_paths()"
                                "['purelib'])"], capture_output=True, text=True,
                               check=True).stdout.strip())
    (site / "~umpy").mkdir(exist_ok=True)
    (site / "~umpy" / "__init__.py").write_text("")


def main() -> int:
    py = build(force="--rebuild" in sys.argv)
    print(f"\nDemo environment: {DEMO / 'venv'}  (project folder: {project()})\n", flush=True)
    if "--build-only" in sys.argv:
        return 0
    os.chdir(project())
    kerasfix = [sys.executable, "-m", "kerasfix", "--python", str(py)]
    return subprocess.call(kerasfix)


if __name__ == "__main__":
    raise SystemExit(main())
