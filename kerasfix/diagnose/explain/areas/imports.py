"""How a scan decides the causes of kerasfix/knowledge/messages/imports.py."""

from __future__ import annotations

import os

from packaging.version import Version

from kerasfix.diagnose.explain.checkers import (
    CONFIRMED,
    RULED_OUT,
    Check,
    Checker,
    Context,
)
from kerasfix.knowledge.messages.imports import TF_FEATURE_FIRST

_FEATURE_GROUPS = ("feature", "feature3", "feature4")  # Explanation.group adds the "2" form


def tensorflow_damaged(ctx: Context) -> Check | None:
    """A namespace `tensorflow` (a folder without __init__.py, wherever it is) proves it; a
    regular package leaves the verdict to the scan's damaged-install findings."""
    first = ctx.inv.first_import("tensorflow")
    if first is None:
        return None
    if first.kind == "namespace":
        return CONFIRMED, (f"`import tensorflow` lands on {first.path}, a folder without"
                           " __init__.py: Python imports it as an empty namespace package",)
    return None


def _feature(ctx: Context) -> str | None:
    for group in _FEATURE_GROUPS:
        value = ctx.explanation.group(group)
        if value:
            return value
    return None


def tensorflow_too_old(ctx: Context) -> Check | None:
    """The installed TensorFlow against the first release with what the message asks for."""
    tf = ctx.inv.tensorflow()
    if not (tf and tf.version):
        return None
    feature = _feature(ctx)
    first = TF_FEATURE_FIRST.get(feature or "")
    if first is None:
        if tf.version.major < 2:
            return CONFIRMED, (f"{tf.label} is TensorFlow 1: code written for TensorFlow 2 fails",)
        return None
    where = f"{tf.label} is installed at {tf.location}"
    if tf.version < Version(first):
        return CONFIRMED, (f"{where}; the code needs {feature}, added in TensorFlow {first}",)
    return RULED_OUT, (f"{where}, which has {feature} (TensorFlow >= {first}): the error came"
                       " from another environment, a damaged install or a shadowing file",)


def editor_static(ctx: Context) -> Check | None:
    """The run-time import works when TensorFlow and a Keras for tf.keras are installed."""
    tf = ctx.inv.tensorflow()
    keras = ctx.inv.keras() or ctx.inv.tf_keras()
    if tf is None or ctx.inv.first_import("tensorflow") is None:
        return RULED_OUT, (f"{ctx.inv.interpreter.executable} has no TensorFlow: the editor is"
                           " right that it is missing (point it at the interpreter that has"
                           " it)",)
    if keras is None:
        return None
    return CONFIRMED, (f"{tf.label} and {keras.label} are installed at"
                       f" {os.path.dirname(keras.dist_dir)}: tf.keras resolves at run time, only"
                       " static analysis cannot follow it",)


DECIDES: dict[str, Checker] = {
    "tensorflow-damaged": tensorflow_damaged,
    "tensorflow-too-old": tensorflow_too_old,
    "editor-static-analysis": editor_static,
}
