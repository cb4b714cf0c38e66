"""Runtime check steps, run by the *target* interpreter in a throwaway subprocess.

Run as: python -c <bootstrap> runtime_script.py tensorflow|keras|tf_keras (sys.path[0] is then
the user's folder, as in their own `python -c`).
Prints one JSON line per finished step and flushes, so that when a native crash (SIGILL,
segfault) kills the process, the parent still knows which step it died in.
Stdlib only at module level; Python 3.8+.
"""

import json
import os
import sys
import time
import traceback

MARK = "KERASFIX-STEP "


def emit(step, ok, started, **extra):
    row = {"step": step, "ok": ok, "seconds": round(time.time() - started, 3)}
    row.update(extra)
    sys.stdout.write(MARK + json.dumps(row) + "\n")
    sys.stdout.flush()


def begin(step):
    sys.stdout.write(MARK + json.dumps({"step": step, "begin": True}) + "\n")
    sys.stdout.flush()
    return time.time()


def failure(err):
    tb = traceback.extract_tb(err.__traceback__)
    where = "%s:%s" % (tb[-1].filename, tb[-1].lineno) if tb else None
    return {"error": "%s: %s" % (type(err).__name__, err), "where": where}


def run_tensorflow():
    started = begin("import_tensorflow")
    try:
        import tensorflow as tf
    except BaseException as err:  # report anything, including SystemExit from a broken init
        emit("import_tensorflow", False, started, **failure(err))
        return
    if getattr(tf, "__file__", None) is None:
        # An emptied tensorflow/ folder imports as a namespace package: nothing works.
        emit("import_tensorflow", False, started,
             error="AttributeError: module 'tensorflow' has no attribute '__version__' (an"
                   " empty namespace package: tensorflow/__init__.py is gone)",
             path=list(getattr(tf, "__path__", [])))
        return
    try:
        keras_repr = repr(getattr(tf, "keras", None))
    except BaseException as err:  # a shadowing keras.py can make even repr() recurse
        keras_repr = "unavailable: %s" % type(err).__name__
    emit("import_tensorflow", True, started, version=getattr(tf, "__version__", None),
         file=getattr(tf, "__file__", None), path=list(getattr(tf, "__path__", [])),
         keras_repr_before=keras_repr)
    # Attribute access goes through TensorFlow's lazy loader (reads TF_USE_LEGACY_KERAS);
    # the import statement goes through tensorflow.__path__. They can disagree (legacy mode
    # without tf-keras fails the first and silently gets Keras 3 in the second).
    started = begin("tf_keras_attribute")
    try:
        model_class = tf.keras.Model
        emit("tf_keras_attribute", True, started, model=model_class.__module__,
             keras_file=getattr(tf.keras, "__file__", None))
    except BaseException as err:
        emit("tf_keras_attribute", False, started, **failure(err))
    started = begin("tf_keras_models")
    try:
        from tensorflow.keras import layers
        from tensorflow.keras.models import Sequential
    except BaseException as err:
        emit("tf_keras_models", False, started, **failure(err))
        return
    emit("tf_keras_models", True, started, sequential=Sequential.__module__,
         keras_file=getattr(sys.modules.get("tensorflow.keras"), "__file__", None))
    started = begin("fit")
    try:
        import numpy as np

        model = Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        history = model.fit(np.zeros((8, 3)), np.zeros((8, 1)), epochs=1, verbose=0)
        loss = float(history.history["loss"][-1])
    except BaseException as err:
        emit("fit", False, started, **failure(err))
        return
    emit("fit", True, started, loss=loss, model_class=type(model).__module__)


def run_module(step, name):
    started = begin(step)
    try:
        module = __import__(name)
    except BaseException as err:
        emit(step, False, started, **failure(err))
        return
    extra = {"version": getattr(module, "__version__", None),
             "file": getattr(module, "__file__", None)}
    if name == "keras":
        try:
            extra["backend"] = module.config.backend()
        except BaseException:  # Keras 2 has no keras.config
            extra["backend"] = None
    emit(step, True, started, **extra)


def main():
    what = sys.argv[-1]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    if what == "tensorflow":
        run_tensorflow()
    elif what == "keras":
        run_module("import_keras", "keras")
    elif what == "tf_keras":
        run_module("import_tf_keras", "tf_keras")


main()
