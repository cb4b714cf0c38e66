"""The catalogue, as data: the causes of TensorFlow/Keras errors and the error signatures
(regexes over a pasted text) that point at them.

One module per area adds its records; this package only gathers them:
- core.py: the causes and signatures kerasfix started with (the scenario list);
- imports.py: the seed article's `cannot import name X from 'tensorflow.keras'` family, editors'
  unresolved imports, TensorFlow too old for the code, damaged installs, Python too new;
- interop.py: Keras 2 <-> 3 (model files, removed modules, Keras 2 layers in Keras 3 models)
  and standalone Keras 3 with its backends;
- numeric.py: NumPy across its eras, protobuf as users see it, ml-dtypes;
- platform.py: Windows DLLs, CPUs, Apple silicon, interpreters that are not the target, and
  errors that are the code's own (not the environment's);
- addons.py: the TensorFlow add-ons and the libraries built on Keras;
- gpu.py: TensorFlow and an NVIDIA GPU (cuDNN, CUDA libraries, the driver, the GPU's
  generation).

A Cause names the scan findings that back it (their codes, as the scan reports them); the
checker that decides it against an inventory is registered under its id in
kerasfix/diagnose/explain/ (DECIDES), and the version facts behind both live in
kerasfix.knowledge.compat. Every cause added since issue 12 records its sources: the public
threads or the real-install experiment that established it.
"""

from __future__ import annotations

from kerasfix.knowledge.messages import (
    addons,
    core,
    gpu,
    imports,
    interop,
    numeric,
    platform,
)
from kerasfix.knowledge.messages.records import Cause, Signature, no_module

_AREAS = (core, imports, interop, numeric, platform, addons, gpu)

CAUSES: dict[str, Cause] = {c.id: c for area in _AREAS for c in area.CAUSES}
SIGNATURES: tuple[Signature, ...] = tuple(s for area in _AREAS for s in area.SIGNATURES)

__all__ = ["CAUSES", "SIGNATURES", "Cause", "Signature", "no_module"]
