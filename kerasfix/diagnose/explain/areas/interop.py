"""How a scan decides the causes of kerasfix/knowledge/messages/interop.py."""

from __future__ import annotations

from kerasfix.diagnose.code_audit import installed_keras_major
from kerasfix.diagnose.explain.checkers import (
    CONFIRMED,
    RULED_OUT,
    Check,
    Checker,
    Context,
    keras3_active,
)

# Libraries whose Keras layers are tf_keras (Keras 2) objects.
_KERAS2_LAYER_LIBRARIES = ("tensorflow-hub", "tensorflow-probability",
                           "tensorflow-decision-forests")


def keras2_layer(ctx: Context) -> Check | None:
    """Keras 3 as tf.keras decides it; the Keras 2 layer libraries installed are the evidence."""
    verdict = keras3_active(ctx)
    if verdict is None or verdict[0] is not CONFIRMED:
        return verdict
    libs = [d.label for name in _KERAS2_LAYER_LIBRARIES if (d := ctx.inv.get(name))]
    if not libs:
        return verdict
    return CONFIRMED, (*verdict[1], f"{', '.join(libs)} builds its layers on tf_keras (Keras 2)")


def _file_direction(ctx: Context) -> int | None:
    """Which Keras line wrote the file the message failed to load: 3, 2, or None."""
    if any(ctx.explanation.group(g) for g in ("k3file", "k3file3")):
        return 3
    if ctx.explanation.group("k2file"):
        return 2
    return None


def file_other_line(ctx: Context) -> Check | None:
    """A Keras 3 file read where tf.keras is Keras 2 (or the reverse). Code that imports
    tf_keras directly reads with Keras 2 whatever tf.keras is, so tf-keras installed leaves a
    Keras-3 reader undecided."""
    wrote, reads = _file_direction(ctx), installed_keras_major(ctx.inv)
    if wrote is None or reads is None:
        return None
    if wrote != reads:
        return CONFIRMED, (f"the message shows a file written by Keras {wrote}, and tf.keras is"
                           f" Keras {reads} in the scanned environment",)
    if wrote == 3 and ctx.inv.tf_keras() is not None:
        return None
    return RULED_OUT, (f"tf.keras is Keras {reads} here, the line that wrote the file: the error"
                       " came from another environment",)


DECIDES: dict[str, Checker] = {
    "keras2-layer-in-keras3": keras2_layer,
    "keras-file-other-line": file_other_line,
}
