"""Which Keras release has which module path: the layout facts the code audit checks user code
against, and explain's checkers check a `No module named 'keras.engine'` against.

Confirmed by importing each path in real installs of keras 2.12-2.15 and Keras 3 (and read from
the keras wheels' RECORD files): keras 2.13 moved its modules under the private keras.src,
keras.api._v2 ships in keras 2.6-2.15, Keras 3 has neither.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from kerasfix import knowledge
from kerasfix.knowledge import compat

# keras 2.13 moved keras.engine, keras.layers.core and the keras.utils submodules under the
# private keras.src.
KERAS_SRC_FIRST = Version("2.13")


@dataclass(frozen=True)
class Rule:
    """A dotted path (module or attribute) and the Keras releases that have it."""

    id: str
    title: str  # short, for finding titles
    prefixes: tuple[str, ...]  # canonical dotted paths; a path matches itself and its children
    present: str  # PEP 440 specifier over the Keras version providing the path; "" = all
    problem: str  # why it breaks, in plain words
    instead: str  # what to write instead
    rewrite: tuple[tuple[str, str], ...] = ()  # path rewrites that give a concrete replacement
    private: bool = False  # exists but is not public API: a warning even where present
    absence_silent: bool = False  # code without it runs, differently (not a crash)
    scenario: str = "S19"

    def exists_in(self, version: Version) -> bool:
        return not self.present or version in _specifier(self.present)

    def matches(self, path: str) -> bool:
        return any(path == p or path.startswith(p + ".") for p in self.prefixes)

    def rewritten(self, path: str) -> str | None:
        for old, new in self.rewrite:
            if path == old or path.startswith(old + "."):
                return new + path[len(old):]
        return None


@functools.cache
def _specifier(text: str) -> SpecifierSet:
    return SpecifierSet(text)


_PUBLIC = ("public API instead: keras.layers.Layer / InputSpec, keras.Model, keras.Input,"
           " keras.Sequential; for Keras 2 internals install tf-keras and use"
           " tf_keras.src.engine")

# Order matters: the first matching rule wins (specific before general).
KERAS_LAYOUT: tuple[Rule, ...] = (
    Rule("keras-engine", "keras.engine", ("keras.engine",), f"<{KERAS_SRC_FIRST}",
         "keras.engine exists only in keras <= 2.12: keras 2.13 moved it to the private"
         " keras.src.engine, and Keras 3 has neither.", _PUBLIC),
    Rule("keras-layers-core", "keras.layers.core", ("keras.layers.core",), f"<{KERAS_SRC_FIRST}",
         "keras.layers.core exists only in keras <= 2.12 (2.13 moved the layer modules under"
         " keras.src).", "import the layers from keras.layers (or tensorflow.keras.layers)",
         rewrite=(("keras.layers.core", "keras.layers"),)),
    Rule("keras-utils-submodule", "keras.utils private submodules",
         tuple(f"keras.utils.{m}" for m in ("np_utils", "generic_utils", "data_utils",
                                            "vis_utils", "layer_utils", "conv_utils",
                                            "tf_utils")),
         f"<{KERAS_SRC_FIRST}", "These keras.utils submodules exist only in keras <= 2.12; the"
         " functions are public in keras.utils (to_categorical, get_file, plot_model,"
         " get_custom_objects...).",
         "import the function from keras.utils",
         rewrite=tuple((f"keras.utils.{m}", "keras.utils") for m in (
             "np_utils", "generic_utils", "data_utils", "vis_utils", "layer_utils",
             "conv_utils", "tf_utils"))),
    Rule("keras-src-engine", "keras.src.engine", ("keras.src.engine",), f">={KERAS_SRC_FIRST},<3",
         "keras.src.engine is a private module of keras 2.13-2.15 only; Keras 3 reorganised"
         " keras.src (Model is keras.src.models, Layer is keras.src.layers).", _PUBLIC,
         private=True),
    Rule("keras-src-legacy", "keras.src.legacy", ("keras.src.legacy",), ">=3",
         "keras.src.legacy is a private module of Keras 3 only.",
         "public API (keras.layers, keras.utils...)", private=True),
    Rule("keras-src-private", "keras.src (private)", ("keras.src",), f">={KERAS_SRC_FIRST}",
         "keras.src is Keras' private implementation: it exists from keras 2.13, with different"
         " contents in Keras 2 and Keras 3, and changes without notice.",
         "the public keras.* (or tensorflow.keras.*) path of the same object", private=True),
    Rule("keras-api-v2", "keras.api._v2", ("keras.api._v2", "keras.api._v1"), ">=2.6,<3",
         "keras.api._v2 is the folder TensorFlow <= 2.15 loads tf.keras from; only keras"
         " 2.6-2.15 ship it.", "tensorflow.keras (or keras)",
         rewrite=(("keras.api._v2.keras", "tensorflow.keras"),
                  ("keras.api._v1.keras", "tensorflow.compat.v1.keras")), private=True),
    Rule("tensorflow-python-keras", "tensorflow.python.keras", ("tensorflow.python.keras",), "",
         "tensorflow.python.keras is an old internal Keras copy frozen inside TensorFlow, not"
         " tf.keras: its layers and models do not mix with tf.keras or keras objects.",
         "tensorflow.keras (or keras)",
         rewrite=(("tensorflow.python.keras", "tensorflow.keras"),), private=True),
    Rule("tf-compat-v1-keras", "tf.compat.v1.keras", ("tensorflow.compat.v1.keras",), "<3",
         "With Keras 3 (TF >= 2.16), tf.compat.v1.keras silently gives Keras 3 objects, not the"
         " TF1-style Keras 2 this code expects (checked with TF 2.18).",
         "Keras 2 via tf-keras: install tf-keras~=2.N.0 and use tf_keras.compat.v1 (or set"
         " TF_USE_LEGACY_KERAS=1); or port to tf.keras / keras",
         absence_silent=True),
    Rule("layers-experimental", "layers.experimental",
         ("keras.layers.experimental", "tensorflow.keras.layers.experimental"), ">=2.6,<3",
         "layers.experimental (and .experimental.preprocessing) is gone in Keras 3: the"
         " preprocessing layers moved to keras.layers.",
         "the same layer from keras.layers / tf.keras.layers (e.g. layers.RandomFlip)",
         rewrite=(("keras.layers.experimental.preprocessing", "keras.layers"),
                  ("tensorflow.keras.layers.experimental.preprocessing",
                   "tensorflow.keras.layers"),
                  ("keras.layers.experimental", "keras.layers"),
                  ("tensorflow.keras.layers.experimental", "tensorflow.keras.layers"))),
    Rule("keras-backend-tf1", "keras.backend TF1 helpers",
         tuple(f"{root}.backend.{name}" for root in ("keras", "tensorflow.keras")
               for name in ("tf", "get_session", "set_session", "learning_phase",
                            "set_learning_phase", "placeholder", "tensorflow_backend",
                            "get_graph")),
         "<3", "Keras 3's backend module has no TF1 helpers (K.tf, K.get_session,"
         " K.learning_phase, K.placeholder...).",
         "import tensorflow as tf and use it directly (tf.compat.v1 for sessions), or Keras 2"
         " via tf-keras"),
    Rule("sklearn-wrappers", "keras.wrappers.scikit_learn",
         ("keras.wrappers.scikit_learn", "tensorflow.keras.wrappers.scikit_learn"),
         f"<{KERAS_SRC_FIRST}",
         "The scikit-learn wrappers (KerasClassifier, KerasRegressor) were removed in TF/keras"
         " 2.13.", "SciKeras: from scikeras.wrappers import KerasClassifier",
         rewrite=(("keras.wrappers.scikit_learn", "scikeras.wrappers"),
                  ("tensorflow.keras.wrappers.scikit_learn", "scikeras.wrappers"))),
    Rule("optimizers-legacy", "optimizers.legacy",
         ("keras.optimizers.legacy", "tensorflow.keras.optimizers.legacy"), ">=2.11,<3",
         "optimizers.legacy exists in keras 2.11-2.15 only; Keras 3 raises '`keras.optimizers."
         "legacy` is not supported in Keras 3'.", "the optimizer from keras.optimizers",
         rewrite=(("keras.optimizers.legacy", "keras.optimizers"),
                  ("tensorflow.keras.optimizers.legacy", "tensorflow.keras.optimizers"))),
    Rule("image-data-generator", "ImageDataGenerator",
         ("keras.preprocessing.image.ImageDataGenerator",), "<3",
         "ImageDataGenerator is deprecated in Keras 2 and gone from `keras` 3 (tf.keras under"
         " Keras 3 still carries a legacy copy).",
         "keras.utils.image_dataset_from_directory plus preprocessing layers"
         " (keras.layers.RandomFlip, RandomRotation...)"),
    Rule("tf-image-data-generator", "tf.keras ImageDataGenerator",
         ("tensorflow.keras.preprocessing.image.ImageDataGenerator",), "",
         "ImageDataGenerator is deprecated: Keras 3 keeps it only in tf.keras for"
         " compatibility, and `import keras` no longer has it.",
         "tf.keras.utils.image_dataset_from_directory plus preprocessing layers",
         private=True),
    Rule("keras-text-tokenizer", "keras.preprocessing.text",
         ("keras.preprocessing.text",), "<3",
         "keras.preprocessing.text (Tokenizer) is gone from Keras 3.",
         "keras.layers.TextVectorization"),
)

SAVE_RULES = {
    "savedmodel-save": Rule(
        "savedmodel-save", "model.save() to a SavedModel folder", (), "<3",
        "Saving to a path without .keras/.h5 writes a TensorFlow SavedModel folder in Keras 2;"
        " Keras 3 refuses it (Invalid filepath extension for saving) and its load_model cannot"
        " read such folders.", "model.save(\"model.keras\") (or model.export(dir) for serving)",
        scenario="S20"),
    "savedmodel-load": Rule(
        "savedmodel-load", "load_model() of a SavedModel folder", (), "<3",
        "Keras 3's load_model only reads .keras and .h5 files: a SavedModel folder gives 'File"
        " format not supported ... Keras 3 only supports V3 .keras files'.",
        "keras.layers.TFSMLayer(path, call_endpoint=\"serving_default\") for inference, or load"
        " with tf_keras (tf-keras + TF_USE_LEGACY_KERAS=1) and re-save as .keras",
        scenario="S20"),
    "save-format-tf": Rule(
        "save-format-tf", "save(..., save_format=...)", (), "<3",
        "Keras 3 removed the save_format argument (the file extension decides).",
        "drop save_format and use a .keras (or .h5) file name", scenario="S20"),
}


# Names every Keras line since 2.0 has exported from these modules (keras 2.x keras/models.py
# and keras/layers/, Keras 3's keras/api re-exports; tf.keras the same): when one of them cannot
# be imported, the module is not the one its release shipped (a damaged or clobbered folder),
# not a path the code got wrong.
STABLE_NAMES: dict[str, tuple[str, ...]] = {
    "keras.models": ("Sequential", "Model", "load_model", "model_from_json", "clone_model"),
    "keras.layers": ("Dense", "Layer", "Input", "InputLayer", "Conv2D", "LSTM", "Dropout",
                     "Flatten", "Activation", "Embedding", "Conv1D", "MaxPooling2D",
                     "BatchNormalization"),
}


def rule_for(path: str) -> Rule | None:
    """The layout rule for a canonical dotted path, e.g. 'keras.engine.topology'."""
    return next((r for r in KERAS_LAYOUT if r.matches(path)), None)


def last_keras2() -> Version:
    """The last Keras 2 minor (keras 2.N ships with TF 2.N; tf-keras carries it on)."""
    return Version(compat.last_keras2_line().minor_text)


def last_flat_keras2() -> Version:
    """The last Keras 2 minor before the keras.src move (2.12)."""
    return Version(f"{KERAS_SRC_FIRST.major}.{KERAS_SRC_FIRST.minor - 1}")


def keras_versions(keras_major: int | None, tf_version: str | Version | None = None
                   ) -> tuple[Version, ...]:
    """Representative Keras versions to test paths against.

    Keras 2's layout changed at 2.13, so an unknown Keras 2 minor is tested as both 2.12 and
    2.15; TF 2.N ships keras 2.N (from 2.6, and TF >= 2.16 with Keras 2 means tf-keras, laid
    out like 2.15). Keras 3 is tested as knowledge.KERAS_3_REPRESENTATIVE.
    """
    tf = tf_version if isinstance(tf_version, Version) or tf_version is None else \
        knowledge.parse_version(tf_version)
    keras3 = knowledge.KERAS_3_REPRESENTATIVE
    if keras_major == keras3.major:
        return (keras3,)
    if keras_major == knowledge.KERAS_API_V2_FIRST.major:
        first = knowledge.KERAS_API_V2_FIRST
        if tf is not None and tf.major == first.major and tf.minor >= first.minor:
            return (Version(f"{tf.major}.{min(tf.minor, last_keras2().minor)}"),)
        return (last_flat_keras2(), last_keras2())
    return (last_flat_keras2(), last_keras2(), keras3)
