"""Runtime check steps, run by the *target* interpreter in a throwaway subprocess.

Run as: python -c <bootstrap> runtime_script.py tensorflow|keras|tf_keras (sys.path[0] is then
the user's folder, as in their own `python -c`).
Prints one JSON line per finished step and flushes, so that when a native crash (SIGILL,
segfault) kills the process, the parent still knows which step it died in.
Stdlib only at module level; Python 3.8+.
"""

import json
import os
import re
import subprocess
import sys
import time
import traceback

MARK = "KERASFIX-STEP "
LOG_LINES, LOG_WIDTH = 150, 400  # bounds on the TensorFlow log lines a step row carries
# A separate process copies what TensorFlow's C++ logging writes to fd 2 both to the real
# stderr (at once: if a native crash kills this process, the parent still sees every line)
# and to a file read back afterwards. A thread could not: native imports hold the GIL, and a
# full pipe would then block the logger forever. Lines at TensorFlow's INFO level are kept in
# the file but not echoed unless the user asked for them (TF_CPP_MIN_LOG_LEVEL set).
TEE = (
    "import re, sys\n"
    "quiet = sys.argv[1] == '1'\n"
    "info = re.compile(br'^(?:[0-9-]+ [0-9:.]+: I |I[0-9]{4} )')\n"
    "for line in iter(sys.stdin.buffer.readline, b''):\n"
    "    sys.stdout.buffer.write(line)\n"
    "    sys.stdout.flush()\n"
    "    if not (quiet and info.match(line)):\n"
    "        sys.stderr.buffer.write(line)\n"
    "        sys.stderr.flush()\n"
)


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


class StderrTee:
    """fd 2 through TEE while TensorFlow imports and probes the GPU (see TEE)."""

    def __init__(self, quiet):
        self.quiet = quiet
        self.live = None  # (the saved fd 2, the tee process, its file) while capturing

    def start(self):
        import tempfile

        try:
            file = tempfile.TemporaryFile()
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", TEE, "1" if self.quiet else "0"],
                stdin=subprocess.PIPE, stdout=file)
            pipe = proc.stdin
            if pipe is None:
                return self
            sys.stderr.flush()
            saved = os.dup(2)
            os.dup2(pipe.fileno(), 2)
            self.live = (saved, proc, pipe, file)
        except (OSError, ValueError):
            pass
        return self

    def stop(self):
        """Restore fd 2 and return the lines TensorFlow wrote (bounded)."""
        if self.live is None:
            return []
        saved, proc, pipe, file = self.live
        self.live = None
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        pipe.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        file.seek(0)
        text = file.read().decode("utf-8", "replace")
        file.close()
        lines = [line[:LOG_WIDTH] for line in text.splitlines() if line.strip()]
        return lines[-LOG_LINES:]


def gpu_facts(tf):
    """What TensorFlow itself says about GPUs: the devices, its build, and one cuDNN op."""
    facts = {}  # type: dict[str, object]
    try:
        devices = tf.config.list_physical_devices("GPU")
        facts["gpus"] = [device_facts(tf, d) for d in devices]
    except BaseException as err:
        facts["gpus_error"] = short_error(err)
        devices = []
    try:
        info = dict(tf.sysconfig.get_build_info())
        facts["build"] = {k: info[k] if isinstance(info[k], (bool, int, float, str))
                          else str(info[k]) for k in ("is_cuda_build", "is_rocm_build",
                          "cuda_version", "cudnn_version") if k in info}
    except BaseException as err:
        facts["build_error"] = short_error(err)
    if devices:
        try:  # a convolution needs cuDNN: a mismatched one fails here, as in the user's model
            with tf.device("/GPU:0"):
                tf.nn.conv2d(tf.zeros([1, 4, 4, 1]), tf.zeros([2, 2, 1, 1]), 1, "VALID")
            facts["conv"] = "ok"
        except BaseException as err:
            facts["conv_error"] = short_error(err)
    return facts


def device_facts(tf, device):
    row = {"name": device.name}
    try:
        details = tf.config.experimental.get_device_details(device)
        row["device_name"] = details.get("device_name")
        capability = details.get("compute_capability")
        if capability:
            row["compute_capability"] = "%s.%s" % tuple(capability)
    except BaseException:
        pass
    return row


def short_error(err):
    text = str(err).strip().splitlines()
    return "%s: %s" % (type(err).__name__, re.sub(r"\s+", " ", text[0])[:300] if text else "")


def run_tensorflow():
    started = begin("import_tensorflow")
    tee = StderrTee(quiet="TF_CPP_MIN_LOG_LEVEL" not in os.environ)
    if tee.quiet:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"  # the GPU probing lines are INFO
    tee.start()
    try:
        import tensorflow as tf
    except BaseException as err:  # report anything, including SystemExit from a broken init
        emit("import_tensorflow", False, started, tf_log=tee.stop(), **failure(err))
        return
    if getattr(tf, "__file__", None) is None:
        # An emptied tensorflow/ folder imports as a namespace package: nothing works.
        emit("import_tensorflow", False, started,
             error="AttributeError: module 'tensorflow' has no attribute '__version__' (an"
                   " empty namespace package: tensorflow/__init__.py is gone)",
             path=list(getattr(tf, "__path__", [])), tf_log=tee.stop())
        return
    try:
        keras_repr = repr(getattr(tf, "keras", None))
    except BaseException as err:  # a shadowing keras.py can make even repr() recurse
        keras_repr = "unavailable: %s" % type(err).__name__
    imported = {"version": getattr(tf, "__version__", None),
                "file": getattr(tf, "__file__", None), "path": list(getattr(tf, "__path__", [])),
                "keras_repr_before": keras_repr}
    seconds = time.time() - started
    emit("import_tensorflow", True, started, **imported)
    # The same step again with the GPU facts: a native crash while probing leaves the row
    # above (the import did work); a step's last row is the one the parent keeps.
    gpu = gpu_facts(tf)
    emit("import_tensorflow", True, time.time() - seconds, gpu=gpu, tf_log=tee.stop(),
         **imported)
    # The INFO level asked for above stays on for the process: keep filtering it from the
    # stderr the parent reads, so a failure's last lines are not crowded out.
    rest = StderrTee(quiet=True).start() if tee.quiet else None
    try:
        run_keras_steps(tf)
    finally:
        if rest is not None:
            rest.stop()


def run_keras_steps(tf):
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
    if what != "tensorflow":  # the tensorflow group captures and filters TensorFlow's log
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    if what == "tensorflow":
        run_tensorflow()
    elif what == "keras":
        run_module("import_keras", "keras")
    elif what == "tf_keras":
        run_module("import_tf_keras", "tf_keras")


main()
