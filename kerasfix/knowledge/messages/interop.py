"""Catalogue area: interop (see the package docstring): Keras 2 <-> 3 (model files, removed
modules, Keras 2 objects in Keras 3 models) and standalone Keras with its backends."""

from __future__ import annotations

import re

from kerasfix.knowledge import keras_layout
from kerasfix.knowledge.messages.records import Cause, Signature, no_module
from kerasfix.knowledge.messages.texts import API_V2, KERAS2_LAST, KERAS3_FIRST, VERSIONS

# A name every Keras has in keras.models / keras.layers: its absence is keras-stable-name-missing
_STABLE = "(?:" + "|".join(n for names in keras_layout.STABLE_NAMES.values() for n in names) + ")'"
_LEGACY_FIX = ('python -m pip install "tf-keras~=2.N.0" and export TF_USE_LEGACY_KERAS=1 before'
               " Python starts")
# Libraries whose layers are Keras 2 (tf_keras) objects, as their names appear in a traceback.
_KERAS2_LIBRARIES = r"tensorflow_hub|hub\.KerasLayer|tensorflow_probability|tfp\.|" \
                    r"tensorflow_decision_forests|tfdf\.|tf_keras|transformers"
# Keras 2 modules that newer Keras dropped (keras.engine, keras.src.*, keras.utils.np_utils...
# have their own signatures); `keras.preprocessing` itself survives in Keras 3, `.text` not.
_REMOVED_MODULES = (r"legacy|preprocessing\.text|layers\.(?:convolutional|normalization|merge|"
                    r"recurrent|advanced_activations|wrappers|embeddings|pooling|noise|local|"
                    r"preprocessing|experimental)|backend\.tensorflow_backend|saving\."
                    r"(?:hdf5_format|saved_model|legacy)|optimizers\.optimizer_v2|optimizer_v2|"
                    r"utils\.all_utils|initializers\.initializers_v2|layers\.serialization|"
                    r"engine\.topology|applications\.\w+_utils")
# Keras 2 submodules whose names users import bare (`from keras.utils import np_utils`).
_REMOVED_NAMES = r"np_utils|generic_utils|data_utils|vis_utils|layer_utils|conv_utils|tf_utils"
# What a Keras 3 file carries that Keras 2 (keras 2.x, tf_keras) cannot rebuild.
_KERAS3_CONFIG = r"batch_shape|optional|quantization_config|DTypePolicy"

CAUSES: tuple[Cause, ...] = (
    Cause("keras3-code-for-keras2", "tf.keras is Keras 3, but the code was written for Keras 2",
          f"Keras 3 (the default from TensorFlow {KERAS3_FIRST}, or keras upgraded over TF"
          f" {KERAS2_LAST}) dropped"
          " layers.experimental, TF1 backend helpers, optimizers.legacy and SavedModel folders;"
          " Keras 2 code fails on those names.", 'python -c "import tensorflow as tf;'
          ' print(tf.keras.__version__)"',
          "port the code (kerasfix scan --code DIR lists the places), or keep Keras 2:"
          ' python -m pip install "tf-keras~=2.N.0" and export TF_USE_LEGACY_KERAS=1',
          ("keras3-under-tf-2.15",), "S1", static=False,
          sources=("https://github.com/serengil/deepface/issues/1121",
                   "https://github.com/keras-team/keras/issues/20106",
                   "https://github.com/czwchenzhun/tfinterpy/pull/4")),
    Cause("keras3-savedmodel", "Keras 3 cannot load or write a TensorFlow SavedModel folder",
          "Keras 3's load_model reads only .keras and .h5 files, and save() needs one of those"
          " extensions; folders saved by Keras 2's model.save('dir') are SavedModels.",
          'python -c "import keras; print(keras.__version__)"',
          'keras.layers.TFSMLayer(path, call_endpoint="serving_default") for inference, or'
          " load it with tf_keras (tf-keras + TF_USE_LEGACY_KERAS=1) and re-save as .keras",
          (), "S20", static=False,
          sources=("https://github.com/keras-team/keras/issues/18709",
                   "https://github.com/IDAES/idaes-pse/issues/1369",
                   "tests/test_area_interop.py::test_keras3_refuses_a_savedmodel_folder")),
    Cause("removed-keras-path", "The code imports a Keras path the installed Keras does not have",
          "keras.engine and keras.layers.core exist only up to keras"
          f" {keras_layout.last_flat_keras2()}, keras.src.engine only in"
          f" {keras_layout.KERAS_SRC_FIRST}-{keras_layout.last_keras2()}, keras.api._v2 only in"
          f" {API_V2}; Keras 3 has none of them. Your code or"
          " a library written for another Keras imports it.", VERSIONS,
          "use the public API (kerasfix scan --code DIR shows what to write), upgrade the"
          " library, or pin the Keras line it was written for", (), "S19", static=False,
          sources=("https://github.com/onera/acetone/issues/72",
                   "https://github.com/keras-team/keras/issues/18606",
                   "https://github.com/keras-team/keras/issues/19517",
                   "https://github.com/adapt-python/adapt/issues/118")),
    Cause("keras-backend-missing", "Keras is set to a backend that is not installed",
          "KERAS_BACKEND or ~/.keras/keras.json names jax/torch (or a Keras 2 era backend such"
          " as mxnet, theano or cntk); Keras imports that backend first (and tf.keras, which is"
          " Keras 3, does too). tf.keras.X then even says 'Keras cannot be imported', which"
          " misleads.", 'python -c "import os; print(os.environ.get('
          '\'KERAS_BACKEND\'))"; cat ~/.keras/keras.json',
          'unset KERAS_BACKEND, or set "backend": "tensorflow" in keras.json (or install the'
          " backend it names)",
          ("keras-backend-not-tensorflow",), "S25",
          hints=(r"KERAS_BACKEND", r"keras\.json",
                 r"keras[/\\]src[/\\]backend[/\\](?:jax|torch|openvino)[/\\]"),
          sources=("https://github.com/keras-team/keras-hub/issues/1172",
                   "tests/test_area_interop.py::test_real_keras3_import_messages")),
    Cause("keras-without-backend", "Keras is installed without the backend it runs on",
          "`pip install keras` installs no backend: Keras 3 runs on TensorFlow unless"
          " KERAS_BACKEND / keras.json names jax, torch or openvino, and imports it on `import"
          " keras` (the old multi-backend keras 2.0-2.3 likewise). Without it, `import keras`"
          " fails with No module named 'tensorflow' from inside keras/.",
          'python -c "import keras"; python -m pip list | grep -i -E'
          " '^(tensorflow|jax|torch|keras) '",
          'install the backend with the same interpreter: python -m pip install tensorflow (or'
          " jax / torch, and export KERAS_BACKEND=jax / torch before Python starts)",
          ("keras-without-backend",), "S25",
          hints=(r"keras[/\\]src[/\\](?:tree|backend)[/\\]",
                 r"keras[/\\]backend[/\\]tensorflow_backend\.py"),
          sources=("https://github.com/udacity/sdc-issue-reports/issues/62",
                   "tests/test_area_interop.py::test_real_keras3_import_messages")),
    Cause("keras2-layer-in-keras3",
          "A Keras 2 (tf_keras) layer was handed to a Keras 3 model",
          "TF-Hub's hub.KerasLayer, TensorFlow Probability, TF Decision Forests and"
          " transformers' TF models are built on tf_keras (Keras 2); with TensorFlow >="
          f" {KERAS3_FIRST} tf.keras is Keras 3, whose Sequential and functional models refuse"
          " objects of the other Keras.", 'python -c "import tensorflow as tf;'
          ' print(tf.keras.__version__)"',
          f"{_LEGACY_FIX}, or build the whole model with tf_keras (import tf_keras; tf_keras."
          "Sequential([hub.KerasLayer(...), ...]))", ("keras3-under-tf-2.15",), "S1",
          static=False, hints=(_KERAS2_LIBRARIES,),
          sources=("https://github.com/tensorflow/tensorflow/issues/65419",
                   "https://github.com/tensorflow/tensorflow/issues/63849",
                   "https://github.com/tensorflow/tensorflow/issues/76042")),
    Cause("keras-file-other-line",
          "The model file was written by the other Keras line (Keras 2 vs Keras 3)",
          "Keras 3 writes configs Keras 2 (keras 2.x, tf_keras) cannot rebuild (batch_shape,"
          " DTypePolicy, keras.src.models.functional), and Keras 3 cannot rebuild Keras 2's"
          " (keras.src.engine.functional, compiled metrics, removed arguments): .keras and .h5"
          " files do not cross between the two lines.",
          'python -c "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read('
          "'metadata.json'))\" model.keras; " + VERSIONS,
          "load it with the Keras line that wrote it (a Keras 3 file: TensorFlow >="
          f" {KERAS3_FIRST} / keras>=3; a Keras 2 file: {_LEGACY_FIX}) and re-save, or rebuild"
          " the model in code and load_weights(); load_model(..., compile=False) skips the"
          " compiled metrics", (), "S20", static=False,
          hints=(r"load_model|model_from_json|from_config|\.h5\b|\.keras\b",),
          sources=("https://github.com/keras-team/keras/issues/19089",
                   "https://github.com/tensorflow/tensorflow/issues/66381",
                   "https://github.com/keras-team/keras/issues/20081",
                   "tests/test_area_interop.py::test_model_files_do_not_cross_keras_lines")),
)

SIGNATURES: tuple[Signature, ...] = (
    Signature("savedmodel-keras3",
              (r"File format not supported: filepath=", r"Keras 3 only supports V3 `?\.keras`?"
               r" files", r"Invalid filepath extension for saving",
               r"The `save_format` argument is deprecated in Keras 3",
               r"keras\.layers\.TFSMLayer\(", r"Unable to load (?:a )?SavedModel.*Keras 3"),
              "Keras 3 cannot read or write TensorFlow SavedModel folders",
              ("keras3-savedmodel",), priority=3, scenario="S20",
              sources=("https://github.com/LSSTDESC/CCL/issues/1171",
                       "https://github.com/Hrushi11/Real-TIme-Skin-Type-Detection/issues/1")),
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
    Signature("keras-removed-module",
              (no_module(rf"(?:tensorflow\.)?keras\.(?:{_REMOVED_MODULES})", children=True),),
              "code imports a Keras module that the installed Keras no longer has (moved or"
              " removed between Keras releases)",
              ("removed-keras-path", "keras3-code-for-keras2"), priority=2, scenario="S19",
              sources=("https://github.com/keras-team/keras/issues/14665",
                       "https://github.com/entbappy/Generative-AI-Mastery-Resources/pull/4")),
    Signature("keras-stable-name-missing",
              tuple(rf"cannot import name '(?P<name>{'|'.join(names)})' from"
                    rf" '(?P<module>(?:tensorflow\.)?{re.escape(module)})'"
                    r"(?! \(unknown location\))"
                    for module, names in keras_layout.STABLE_NAMES.items()),
              "a name every Keras release has in this module is missing: the installed keras"
              " folder is not what its release shipped (damaged, or two Keras distributions"
              " wrote it)", ("keras-folder-clobbered", "pip-interrupted", "local-file-shadows"),
              priority=3, scenario="S10",
              sources=("tests/test_area_interop.py::test_an_emptied_keras_module_gives_the_seed"
                       "_articles_message",)),
    Signature("keras-removed-name",
              (rf"cannot import name '(?!{_STABLE})(?P<name>\w+)' from"
               r" '(?P<module>(?:tensorflow\.)?keras\.[\w.]+)'",
               rf"cannot import name '?(?P<name2>{_REMOVED_NAMES})'?(?! from)",
               r"module '(?P<module2>keras\.preprocessing\.(?:sequence|text|image))' has no"
               r" attribute '(?P<attr>\w+)'"),
              "code imports a Keras name from a module that no longer has it in the installed"
              " Keras (moved to keras.utils / keras.layers, or removed)",
              ("removed-keras-path", "keras3-code-for-keras2"), priority=2, scenario="S19",
              sources=("https://github.com/keras-team/keras/issues/18363",
                       "https://github.com/keras-team/keras/issues/18606",
                       "https://github.com/aimacode/aima-python/issues/1262",
                       "https://github.com/NicGian/SentITA/issues/7")),
    Signature("optimizers-legacy-keras3",
              (r"`?keras\.optimizers\.legacy`? is not supported in Keras 3",),
              "Keras 2 optimizer API used under Keras 3",
              ("keras3-code-for-keras2",), priority=3, scenario="S1"),
    Signature("keras3-missing-attribute",
              (r"module 'keras(?:\._tf_keras\.keras|\.api)?\.(?:layers|backend|"
               r"utils|optimizers|models|callbacks|wrappers|losses|metrics)[\w.]*' has no"
               r" attribute '(?P<attr>\w+)'", r"module 'keras\._tf_keras\.keras' has no"
               r" attribute '(?P<attr2>\w+)'"),
              "Keras 2 API used where tf.keras / keras is Keras 3",
              ("keras3-code-for-keras2", "keras-folder-clobbered"), priority=2, scenario="S1"),
    Signature("compat-v1-keras3",
              (r"`?tf\.compat\.v[12]\.keras`? is not available with Keras 3",),
              "TF1-style tf.compat.v1.keras used with Keras 3",
              ("keras3-code-for-keras2",), priority=3, scenario="S1"),
    Signature("kerastensor-tf-function",
              (r"A KerasTensor cannot be used as input to a TensorFlow function",
               r"You can only use it as input to a Keras layer or a Keras operation",
               r"A KerasTensor is symbolic: it's a placeholder for a shape an(?:d)? a dtype"),
              "Keras 3 refuses raw TensorFlow ops on its symbolic tensors, which Keras 2 code"
              " (and Keras 2 layers such as hub.KerasLayer) does",
              ("keras3-code-for-keras2", "keras2-layer-in-keras3"), priority=3, scenario="S1",
              sources=("https://github.com/serengil/deepface/issues/1121",
                       "https://github.com/czwchenzhun/tfinterpy/pull/4",
                       "https://github.com/DataCanvasIO/DeepTables/issues/93")),
    Signature("keras2-argument-in-keras3",
              (r"Unrecognized keyword arguments passed to \w+: \{'(?P<arg>batch_input_shape|"
               r"input_dim|time_major|ragged|implementation|weights|input_length)'",),
              "a Keras 2 argument reached Keras 3 (in the code, or in a model file written by"
              " Keras 2)", ("keras3-code-for-keras2", "keras-file-other-line"), priority=2,
              scenario="S1", sources=("https://github.com/keras-team/keras/issues/20106",)),
    Signature("keras2-layer-in-keras3",
              (r"Only instances of `?keras\.Layer`? can be added to a Sequential model",
               r"The added layer must be an instance of class Layer\. Received: layer=<"
               rf"(?:{_KERAS2_LIBRARIES})"),
              "a layer of the other Keras (e.g. hub.KerasLayer, a tf_keras layer) was added to"
              " a Keras 3 model", ("keras2-layer-in-keras3", "keras3-code-for-keras2"),
              priority=3, scenario="S1",
              sources=("https://github.com/tensorflow/tensorflow/issues/65419",
                       "https://github.com/tensorflow/hub/issues/920",
                       "https://github.com/mrdbourke/zero-to-mastery-ml/issues/125")),
    Signature("keras3-file-in-keras2",
              (rf"Unrecognized keyword arguments: \[[^\]\n]*'(?P<k3file>{_KERAS3_CONFIG})'",
               rf"Keyword argument not understood:'?,? '(?P<k3file2>{_KERAS3_CONFIG})'",
               r"Could not deserialize class '\w+' because its parent module"
               r" (?P<k3file3>keras\.src\.(?:models|layers|ops)\.[\w.]+) cannot be imported"),
              "a model file written by Keras 3 is read by Keras 2 (keras 2.x or tf_keras)",
              ("keras-file-other-line", "keras3-code-for-keras2"), priority=3, scenario="S20",
              sources=("https://github.com/tensorflow/tensorflow/issues/64685",
                       "https://github.com/tensorflow/tensorflow/issues/66381",
                       "https://github.com/zsylvester/segmenteverygrain/issues/21",
                       "tests/test_area_interop.py::test_model_files_do_not_cross_keras_lines")),
    Signature("keras2-file-in-keras3",
              (r"Could not deserialize class '\w+' because its parent module"
               r" (?P<k2file>keras\.(?:src\.)?engine\.[\w.]+) cannot be imported",
               r"Could not deserialize '(?P<k2file2>keras\.[\w.]+)' because it is not a"
               r" KerasSaveable subclass"),
              "a model file written by Keras 2 is read by Keras 3",
              ("keras-file-other-line",), priority=3, scenario="S20",
              sources=("https://github.com/keras-team/keras/issues/19089",
                       "tests/test_area_interop.py::test_model_files_do_not_cross_keras_lines")),
    Signature("backend-not-installed",
              (no_module(r"jax|jaxlib|torch|openvino|mxnet|theano|cntk"),),
              "Keras is configured for a backend that is not installed",
              ("keras-backend-missing",), priority=3, scenario="S25"),
    Signature("keras-unknown-backend",
              (r"Unable to import backend ?: ?(?P<backend>\w+)",
               r"Unknown backend: (?P<backend2>\w+)"),
              "KERAS_BACKEND or keras.json names a backend this Keras cannot import",
              ("keras-backend-missing",), priority=3, scenario="S25",
              sources=("https://github.com/keras-team/keras-hub/issues/1169",
                       "https://github.com/AntonMu/TrainYourOwnYOLO/issues/71",
                       "tests/test_area_interop.py::test_real_keras3_import_messages")),
    Signature("keras-without-backend",
              (r"keras[/\\]src[/\\][^\n]*\n(?:[^\n]*\n){0,40}?[^\n]*No module named"
               r" ['\"]?(?P<module>tensorflow)['\"]?(?![\w.])",
               r"keras[/\\]backend[/\\]tensorflow_backend\.py[^\n]*\n(?:[^\n]*\n){0,6}?[^\n]*"
               r"No module named ['\"]?(?P<module2>tensorflow)['\"]?(?![\w.])"),
              "Keras imports TensorFlow, its default backend, and this interpreter has none",
              ("keras-without-backend", "keras-backend-missing"), priority=3, scenario="S25",
              sources=("https://github.com/udacity/sdc-issue-reports/issues/62",
                       "https://github.com/keras-team/keras/issues/18888",
                       "tests/test_area_interop.py::test_real_keras3_import_messages")),
)
