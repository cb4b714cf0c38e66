"""Catalogue area: platform (see the package docstring)."""

from __future__ import annotations

from kerasfix.knowledge.messages.records import Cause, Signature
from kerasfix.knowledge.messages.texts import PIP_LIST

CAUSES: tuple[Cause, ...] = (
    Cause("cpu-lacks-avx", "The CPU lacks instructions (AVX) TensorFlow's wheels are built for",
          "PyPI TensorFlow wheels use AVX; on an older CPU, a VM that hides AVX or an emulator,"
          " `import tensorflow` dies with SIGILL (Illegal instruction) and no traceback.",
          "grep -o -w -m1 avx /proc/cpuinfo", "run on a CPU with AVX, or use a TensorFlow built"
          " without it (conda-forge, or build from source)", (), None, static=False),
    Cause("x86-python-on-apple-silicon", "An x86_64 Python runs under Rosetta on Apple silicon",
          "Rosetta does not emulate AVX, so x86_64 TensorFlow wheels crash with SIGILL.",
          "python -c \"import platform; print(platform.machine())\"",
          "use an arm64 Python (it prints arm64) and a fresh environment", (), None,
          static=False),
    Cause("tensorflow-metal-mismatch", "A tensorflow-metal plugin built for another TensorFlow",
          "TensorFlow loads every library in tensorflow-plugins/ at import; a tensorflow-metal"
          " built against another TensorFlow fails with 'Symbol not found'.",
          "python -m pip show tensorflow-metal tensorflow",
          "python -m pip uninstall tensorflow-metal (reinstall a matching version later)",
          ("tensorflow-metal-plugin",), "S22"),
    Cause("wheel-for-another-python", "TensorFlow's binaries were built for another Python",
          "The environment was upgraded in place or copied: compiled extensions built for one"
          " CPython do not load in another.", PIP_LIST,
          "reinstall the stack (or make a fresh environment)",
          ("wheel-for-another-python", "requires-python-unmet"), "S13"),
    Cause("wrong-environment", "The code runs in another environment than the one you fixed",
          "A notebook kernel, IDE interpreter or `pip` from another Python: what you installed"
          " is not what runs.", 'python -c "import sys; print(sys.executable)"; python -m pip'
          " --version", "install with `<the python that runs the code> -m pip`, or scan that"
          " one (kerasfix scan --python PATH)", (), None, static=False, personal=False),
)

SIGNATURES: tuple[Signature, ...] = (
    Signature("illegal-instruction",
              (r"(?i)\billegal instruction\b", r"\bSIGILL\b",
               r"exit (?:code|status) (?:132|-4)\b"),
              "the process died on a CPU instruction it cannot run",
              ("cpu-lacks-avx", "x86-python-on-apple-silicon", "tensorflow-folder-clobbered"),
              priority=3),
    Signature("metal-symbol-not-found",
              (r"libmetal_plugin\.dylib[^\n]*Symbol not found",
               r"Symbol not found[^\n]*libmetal_plugin"),
              "tensorflow-metal does not match TensorFlow", ("tensorflow-metal-mismatch",),
              priority=3, scenario="S22"),
    Signature("native-runtime", (r"Failed to load the native TensorFlow runtime",),
              "TensorFlow's compiled core did not load",
              ("wheel-for-another-python", "tensorflow-folder-clobbered", "cpu-lacks-avx"),
              priority=2, scenario="S13"),
)
