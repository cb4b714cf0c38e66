"""Catalogue area: imports (see the package docstring)."""

from __future__ import annotations

from kerasfix import knowledge
from kerasfix.knowledge import compat
from kerasfix.knowledge.messages.records import Cause, Signature, no_module
from kerasfix.knowledge.messages.texts import PIP_LIST, TF1_NAMES

CAUSES: tuple[Cause, ...] = (
    Cause("tf1-api-on-tf2", "The code (or an old library) uses the TensorFlow 1 API",
          "tf.get_default_graph, tf.Session, tf.placeholder and tf.contrib are TensorFlow 1;"
          " TensorFlow 2 has them only under tf.compat.v1 (contrib not at all).",
          'python -c "import tensorflow as tf; print(tf.__version__)"',
          "use tf.compat.v1.<name> (with tf.compat.v1.disable_v2_behavior()), or port to TF2",
          (), None, static=False),
    Cause("python-unsupported", "No release you asked for has wheels for this Python",
          "pip only sees wheels built for your interpreter: TensorFlow 2.N supports a window of"
          f" Python versions ({compat.python_windows_text()}), and"
          f" {compat.keras_python_floor_text()}.",
          'python -c "import sys, struct; print(sys.version, struct.calcsize(\'P\') * 8)"',
          "use a Python TensorFlow supports in a fresh environment (uv venv -p"
          f" {compat.dotted(compat.recommended_python())}), or pick a"
          " release that supports yours", ("no-tensorflow-wheels-for-python",), "S13",
          static=False),
    Cause("index-unreachable", "pip could not reach a package index that has TensorFlow",
          "'(from versions: none)' also appears when pip's index is unreachable or a private"
          " mirror lacks the package.", "python -m pip index versions tensorflow",
          "check pip config (python -m pip config list), proxies and --index-url", (), None,
          static=False),
    Cause("tensorflow-gpu-retired", "The tensorflow-gpu package name was retired",
          "tensorflow itself has included GPU support since 2.1; tensorflow-gpu stopped at"
          f" {knowledge.minor_text(knowledge.TENSORFLOW_GPU_LAST)} and"
          f" {compat.tensorflow_gpu_refusing_release()}"
          " is a package that refuses to build.", PIP_LIST,
          'replace it with tensorflow (Linux GPU: "tensorflow[and-cuda]==2.N.*")',
          ("tensorflow-gpu-installed",), "S17", static=False),
    Cause("tensorflow-missing", "TensorFlow is not installed where the code runs",
          "The interpreter running the code has no tensorflow/ package: it is another"
          " environment, a platform stub without its payload, or a half-finished uninstall.",
          'python -c "import sys; print(sys.executable)"; python -m pip show tensorflow',
          "install TensorFlow with the interpreter that runs the code: python -m pip install"
          ' "tensorflow==2.N.*"', ("tensorflow-stub-without-payload",
                                   "half-uninstalled-package/tensorflow"), "S21"),
)

SIGNATURES: tuple[Signature, ...] = (
    Signature("no-module-tensorflow-keras", (no_module(r"tensorflow\.keras"),),
              "`from tensorflow.keras ...` found no usable Keras for tf.keras",
              ("keras3-under-old-tf", "tensorflow-without-keras", "local-file-shadows",
               "keras-folder-clobbered", "pip-interrupted", "legacy-keras-without-tf-keras",
               "keras-standalone-too-old", "wrong-environment")),
    Signature("tf1-api",
              (rf"module 'tensorflow' has no attribute '(?P<attr>{TF1_NAMES})'",),
              "TensorFlow 1 API called on TensorFlow 2",
              ("keras-standalone-too-old", "tf1-api-on-tf2"), priority=2, scenario="S6"),
    Signature("tensorflow-namespace",
              (rf"module 'tensorflow' has no attribute '(?!(?:{TF1_NAMES})')(?P<attr>\w+)'",),
              "`tensorflow` imported as an empty namespace or someone else's tensorflow.py",
              ("tensorflow-folder-clobbered", "local-file-shadows", "pip-interrupted",
               "user-site-copy"), priority=2, scenario="S9"),
    Signature("no-matching-distribution",
              (r"Could not find a version that satisfies the requirement"
               r" (?P<req>(?:tensorflow|tf-nightly|tf_nightly|intel-tensorflow|keras|tf-keras"
               r"|tf_keras)[^\s(]*)",
               r"No matching distribution found for (?P<req2>(?:tensorflow|keras|tf-keras)"
               r"[^\s(]*)",
               r"requires a different Python: (?P<pyver>[\d.]+) not in '(?P<spec>[^']+)'"),
              "pip found no release of it with a wheel for this interpreter",
              ("python-unsupported", "index-unreachable"), priority=3, scenario="S13"),
    Signature("tensorflow-gpu-removed", (r'The "tensorflow-gpu" package has been removed',),
              "the tensorflow-gpu name is retired", ("tensorflow-gpu-retired",), priority=3,
              scenario="S17"),
    Signature("no-module-tensorflow", (no_module("tensorflow"),),
              "this interpreter has no TensorFlow",
              ("tensorflow-missing", "pip-interrupted", "wrong-environment",
               "python-unsupported")),
)
