"""The real GPU breakage, on a machine that has an NVIDIA GPU (not run by `make test`).

    .venv/bin/python tests/gpu_check.py [--tf 2.18.1] [--other "torch==2.3.1"] [--keep]

1. a fresh venv (uv) with `tensorflow[and-cuda]==TF`, and a GPU matmul to show it works;
2. the other framework installed after it, as users do (`pip install torch`): it brings its
   own cuDNN/cuBLAS wheels over TensorFlow's (torch 2.3.1 pins nvidia-cudnn-cu12==8.9.2.26,
   TF 2.18.1 pins 9.3.0.75);
3. `kerasfix scan --deep --json`: what kerasfix says (the CUDA findings, the driver, the GPU,
   TensorFlow's own log lines);
4. `kerasfix fix --yes` (or the strategy kerasfix recommends), then the matmul again.

It prints each step's outcome and ends with a summary; exit 0 when the fix brought the GPU
back, 1 when it did not, 2 when the machine has no NVIDIA GPU (nothing to check here).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MATMUL = """\
import tensorflow as tf
gpus = tf.config.list_physical_devices("GPU")
print("GPUS", len(gpus))
if gpus:
    with tf.device("/GPU:0"):
        a = tf.random.normal((1024, 1024))
        print("MATMUL", float(tf.reduce_sum(tf.matmul(a, a))) != 0.0)
"""


def run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    print("$", " ".join(argv), flush=True)
    return subprocess.run(argv, capture_output=True, text=True, **kw)  # type: ignore[call-overload]


def has_gpu() -> bool:
    smi = shutil.which("nvidia-smi")
    return smi is not None and run([smi, "-L"]).returncode == 0


def matmul(python: str) -> tuple[int, bool]:
    proc = run([python, "-c", MATMUL], timeout=900)
    gpus = next((int(line.split()[1]) for line in proc.stdout.splitlines()
                 if line.startswith("GPUS")), 0)
    ok = "MATMUL True" in proc.stdout
    tail = [line for line in proc.stderr.splitlines() if "cuDNN" in line or "dlopen" in line]
    print(f"  GPUs seen: {gpus}; matmul on GPU: {ok}")
    for line in tail[-5:]:
        print("  TF said:", line)
    return gpus, ok


def kerasfix(*args: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "kerasfix", *args], timeout=3600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tf", default="2.18.1")
    parser.add_argument("--other", default="torch==2.3.1",
                        help="the framework installed after TensorFlow")
    parser.add_argument("--keep", action="store_true", help="keep the venv for a look")
    args = parser.parse_args(argv)
    if not has_gpu():
        print("no NVIDIA GPU here (nvidia-smi -L failed): nothing to check")
        return 2
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    root = Path(tempfile.mkdtemp(prefix="kerasfix-gpu-"))
    py = str(root / "venv" / "bin" / "python")
    try:
        run([uv, "venv", "--seed", "--python", "3.11", str(root / "venv")], check=True)
        pip = [py, "-m", "pip", "install", "--quiet"]
        run([*pip, f"tensorflow[and-cuda]=={args.tf}"], check=True)
        print("1. TensorFlow with its own CUDA wheels:")
        before = matmul(py)
        run([*pip, args.other], check=True)
        print(f"2. after `pip install {args.other}`:")
        broken = matmul(py)
        scan = kerasfix("scan", "--deep", "--json", "--python", py)
        doc = json.loads(scan.stdout or "{}")
        print("3. kerasfix scan --deep:")
        print("  GPU:", json.dumps((doc.get("target") or {}).get("gpu")))
        for f in doc.get("findings", []):
            if any(k in f["code"] for k in ("cuda", "cudnn", "gpu", "nvidia", "driver")):
                print(f"  {f['severity']:8} {f['code']}: {f['title']}")
        fix = kerasfix("fix", "--yes", "--python", py, "--no-manifest")
        print(f"4. kerasfix fix: exit {fix.returncode}")
        print("\n".join("  " + line for line in fix.stdout.splitlines()[-15:]))
        after = matmul(py)
        print(f"\nsummary: before {before}, after {args.other} {broken}, after the fix {after}")
        return 0 if after[1] else 1
    finally:
        if args.keep:
            print("kept:", root)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
