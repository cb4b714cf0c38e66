"""Catalogue area: numeric (see the package docstring)."""

from __future__ import annotations

import re

from kerasfix import knowledge
from kerasfix.knowledge import compat
from kerasfix.knowledge.messages.records import Cause, Signature
from kerasfix.knowledge.messages.texts import (
    NEWEST,
    NUMPY2_FIRST,
    OLD_GENCODE,
    WARN_FIRST,
    WARN_LAST,
)

CAUSES: tuple[Cause, ...] = (
    Cause("numpy2-under-old-tf", "NumPy 2 under a TensorFlow compiled against NumPy 1",
          f"TensorFlow < {NUMPY2_FIRST} (and ml-dtypes of that era) are compiled against NumPy"
          " 1.x; NumPy 2 changed the C ABI, so `import tensorflow` prints NumPy's banner and"
          f" fails. TensorFlow {compat.numpy_uncapped_text()} do not even cap NumPy, so"
          " pip installs NumPy 2.",
          'python -c "import numpy; print(numpy.__version__)"',
          f'python -m pip install "numpy<2" (or TensorFlow >= {NUMPY2_FIRST})',
          ("numpy-incompatible",), "S11"),
    Cause("numpy1-under-numpy2-module", "NumPy 1.x under a package compiled for NumPy 2",
          "Some package (often ml-dtypes >= 0.5 or a fresh wheel) was built against NumPy 2 and"
          " cannot load with the NumPy 1.x installed.",
          'python -m pip check', "align NumPy with what TensorFlow and that package accept"
          " (kerasfix fix --strategy repair)",
          ("ml-dtypes-incompatible", "requirement-version-conflict/numpy"), "S11"),
    Cause("protobuf-too-new", "protobuf is newer than TensorFlow's generated code allows",
          f"TensorFlow <= {OLD_GENCODE.minor_text} was generated with protoc <"
          f" {compat.protobuf_cap(OLD_GENCODE)}; protobuf >= 4 refuses such *_pb2 modules"
          f" ('Descriptors cannot be created directly'). On TF {WARN_FIRST}-{WARN_LAST} a"
          " protobuf above the cap only prints 'GetPrototype' noise.",
          'python -c "import google.protobuf as p; print(p.__version__)"',
          f'python -m pip install "protobuf<{compat.protobuf_cap(OLD_GENCODE)}" (TF <='
          f" {OLD_GENCODE.minor_text}), or the range TensorFlow declares",
          ("protobuf-incompatible",), "S12"),
    Cause("protobuf-too-old", "protobuf is older than TensorFlow's generated code needs",
          f"TensorFlow {compat.first_new_gencode_line().minor_text}+ *_pb2 modules need"
          " google.protobuf.internal.builder (protobuf"
          f" >= {knowledge.PROTOBUF_BUILDER_FIRST}); TensorFlow {NEWEST.minor_text} needs protobuf"
          f" >= {compat.protobuf_floor(NEWEST)} and checks it (VersionError).",
          'python -c "import google.protobuf as p; print(p.__version__)"',
          "python -m pip install the protobuf range TensorFlow declares (python -m pip show"
          " tensorflow)", ("protobuf-incompatible",), "S12"),
)

SIGNATURES: tuple[Signature, ...] = (
    Signature("numpy-abi",
              (re.escape(knowledge.NUMPY_ABI_BANNER) + r"\s+NumPy 2", r"_ARRAY_API not found",
               r"numpy\.core\.umath failed to import",
               r"numpy\.core\._multiarray_umath failed to import",
               r"Unable to convert function return value to a Python type! The signature"
               r" was\s+\(\) -> handle"),
              "a module compiled against NumPy 1.x was imported with NumPy 2",
              ("numpy2-under-old-tf", "numpy1-under-numpy2-module"), priority=2,
              scenario="S11"),
    Signature("numpy-too-old",
              (r"module compiled against (?:ABI|API) version \w+ but this version of numpy is",),
              "a module built for a newer NumPy was imported with an older one",
              ("numpy1-under-numpy2-module",), priority=2, scenario="S11"),
    Signature("protobuf-descriptors", (r"Descriptors cannot be created directly",),
              "protobuf is too new for TensorFlow's (or TensorBoard's) generated *_pb2 code",
              ("protobuf-too-new",), priority=2, scenario="S12"),
    Signature("protobuf-builder",
              (r"cannot import name 'builder' from 'google\.protobuf\.internal'",),
              "protobuf < 3.20 under a TensorFlow whose *_pb2 modules need protobuf >= 3.20",
              ("protobuf-too-old",), priority=2, scenario="S12"),
    Signature("protobuf-gencode",
              (r"VersionError: Detected incompatible Protobuf Gencode/Runtime versions",
               r"Detected incompatible Protobuf Gencode/Runtime versions",
               r"cannot import name 'runtime_version' from 'google\.protobuf'"),
              "protobuf is older than the one TensorFlow's *_pb2 modules were generated with",
              ("protobuf-too-old",), priority=2, scenario="S12"),
    Signature("protobuf-getprototype",
              (r"'MessageFactory' object has no attribute 'GetPrototype'",),
              "protobuf newer than TensorFlow's cap: noisy but not fatal",
              ("protobuf-too-new",), priority=0, scenario="S12"),
)
