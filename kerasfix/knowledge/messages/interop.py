"""Catalogue area: interop (see the package docstring)."""

from __future__ import annotations

from kerasfix.knowledge import keras_layout
from kerasfix.knowledge.messages.records import Cause, Signature, no_module
from kerasfix.knowledge.messages.texts import API_V2, KERAS2_LAST, KERAS3_FIRST, VERSIONS

CAUSES: tuple[Cause, ...] = (
    Cause("keras3-code-for-keras2", "tf.keras is Keras 3, but the code was written for Keras 2",
          f"Keras 3 (the default from TensorFlow {KERAS3_FIRST}, or keras upgraded over TF"
          f" {KERAS2_LAST}) dropped"
          " layers.experimental, TF1 backend helpers, optimizers.legacy and SavedModel folders;"
          " Keras 2 code fails on those names.", 'python -c "import tensorflow as tf;'
          ' print(tf.keras.__version__)"',
          "port the code (kerasfix scan --code DIR lists the places), or keep Keras 2:"
          ' python -m pip install "tf-keras~=2.N.0" and export TF_USE_LEGACY_KERAS=1',
          ("keras3-under-tf-2.15",), "S1", static=False),
    Cause("keras3-savedmodel", "Keras 3 cannot load or write a TensorFlow SavedModel folder",
          "Keras 3's load_model reads only .keras and .h5 files, and save() needs one of those"
          " extensions; folders saved by Keras 2's model.save('dir') are SavedModels.",
          'python -c "import keras; print(keras.__version__)"',
          'keras.layers.TFSMLayer(path, call_endpoint="serving_default") for inference, or'
          " load it with tf_keras (tf-keras + TF_USE_LEGACY_KERAS=1) and re-save as .keras",
          (), "S20", static=False),
    Cause("removed-keras-path", "The code imports a Keras path the installed Keras does not have",
          "keras.engine and keras.layers.core exist only up to keras"
          f" {keras_layout.last_flat_keras2()}, keras.src.engine only in"
          f" {keras_layout.KERAS_SRC_FIRST}-{keras_layout.last_keras2()}, keras.api._v2 only in"
          f" {API_V2}; Keras 3 has none of them. Your code or"
          " a library written for another Keras imports it.", VERSIONS,
          "use the public API (kerasfix scan --code DIR shows what to write), upgrade the"
          " library, or pin the Keras line it was written for", (), "S19", static=False),
    Cause("keras-backend-missing", "Keras 3 is set to a backend that is not installed",
          "KERAS_BACKEND or ~/.keras/keras.json names jax/torch; Keras 3 (and tf.keras, which is"
          " Keras 3) imports that backend first. tf.keras.X then even says 'Keras cannot be"
          " imported', which misleads.", 'python -c "import os; print(os.environ.get('
          '\'KERAS_BACKEND\'))"; cat ~/.keras/keras.json',
          'unset KERAS_BACKEND, or set "backend": "tensorflow" in keras.json',
          ("keras-backend-not-tensorflow",), "S25", hints=(r"KERAS_BACKEND",
                                                          r"keras[/\\]src[/\\]backend")),
)

SIGNATURES: tuple[Signature, ...] = (
    Signature("savedmodel-keras3",
              (r"File format not supported: filepath=", r"Keras 3 only supports V3 `?\.keras`?"
               r" files", r"Invalid filepath extension for saving",
               r"The `save_format` argument is deprecated in Keras 3"),
              "Keras 3 cannot read or write TensorFlow SavedModel folders",
              ("keras3-savedmodel",), priority=3, scenario="S20"),
    Signature("keras-engine", (no_module(r"keras\.engine", children=True),),
              "code written for keras <= 2.12 imports keras.engine",
              ("removed-keras-path", "keras3-code-for-keras2"), priority=2, scenario="S19"),
    Signature("keras-src-engine", (no_module(r"keras\.src\.engine", children=True),),
              "code written for keras 2.13-2.15 imports the private keras.src.engine",
              ("removed-keras-path", "keras3-code-for-keras2"), priority=2, scenario="S19"),
    Signature("keras-src",
              (r"No module named ['\"]?(?P<module>keras\.src(?:\.(?!engine\b)[\w.]+)?)['\"]?"
               r"(?![\w.])",),
              "code imports the private keras.src (keras >= 2.13 only)",
              ("removed-keras-path",), priority=2, scenario="S19"),
    Signature("keras-layers-core",
              (no_module(r"(?:tensorflow\.)?keras\.layers\.core", children=True),),
              "code written for keras <= 2.12 imports keras.layers.core",
              ("removed-keras-path",), priority=2, scenario="S19"),
    Signature("keras-private-submodule",
              (no_module(r"(?:tensorflow\.)?keras\.(?:utils\.(?:np_utils|generic_utils|"
                          r"data_utils|vis_utils|layer_utils|conv_utils|tf_utils)|wrappers"
                          r"(?:\.scikit_learn)?|optimizers\.legacy)", children=True),),
              "code imports a Keras 2 module that newer Keras removed",
              ("removed-keras-path",), priority=2, scenario="S19"),
    Signature("optimizers-legacy-keras3",
              (r"`?keras\.optimizers\.legacy`? is not supported in Keras 3",),
              "Keras 2 optimizer API used under Keras 3",
              ("keras3-code-for-keras2",), priority=3, scenario="S1"),
    Signature("keras3-missing-attribute",
              (r"module 'keras(?:\._tf_keras\.keras|\.api)?\.(?:layers|backend|preprocessing|"
               r"utils|optimizers|models|callbacks|wrappers|losses|metrics)[\w.]*' has no"
               r" attribute '(?P<attr>\w+)'", r"module 'keras\._tf_keras\.keras' has no"
               r" attribute '(?P<attr2>\w+)'"),
              "Keras 2 API used where tf.keras / keras is Keras 3",
              ("keras3-code-for-keras2", "keras-folder-clobbered"), priority=2, scenario="S1"),
    Signature("compat-v1-keras3",
              (r"`?tf\.compat\.v[12]\.keras`? is not available with Keras 3",),
              "TF1-style tf.compat.v1.keras used with Keras 3",
              ("keras3-code-for-keras2",), priority=3, scenario="S1"),
    Signature("backend-not-installed", (no_module(r"jax|torch|openvino"),),
              "Keras 3 is configured for a backend that is not installed",
              ("keras-backend-missing",), priority=3, scenario="S25"),
)
