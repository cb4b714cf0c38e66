"""Texts the catalogue's modules share: the commands they print, and the version boundaries
their texts name, rendered from kerasfix.knowledge (today's values in the comments)."""

from __future__ import annotations

from kerasfix import knowledge
from kerasfix.knowledge import compat, keras_layout

VERSIONS = ('python -c "import tensorflow as tf, keras; print(tf.__version__, tf.__file__);'
             ' print(keras.__version__, keras.__file__)"')
PIP_LIST = "python -m pip list | grep -i -E 'tensorflow|keras|numpy|protobuf'"

FIXED_LAST = compat.last_fixed_route_line().minor_text  # 2.14: tf.keras hard-wired to Keras 2
OLDEST = min(knowledge.TF_LINES.values(), key=lambda li: li.minor).minor_text  # 2.10
KERAS2_LAST = compat.last_keras2_line().minor_text  # 2.15
KERAS3_FIRST = compat.first_keras3_line().minor_text  # 2.16
API_V2 = f"{knowledge.KERAS_API_V2_FIRST}-{keras_layout.last_keras2()}"  # keras 2.6-2.15
NUMPY2_FIRST = compat.numpy2_first_line().minor_text  # 2.18
OLD_GENCODE = compat.last_old_gencode_line()  # 2.11
WARN_FIRST, WARN_LAST = (li.minor_text for li in compat.warning_only_protobuf_lines())
NEWEST = knowledge.TF_LINES[knowledge.NEWEST_LINE]
TRANSFORMERS_TF_LAST = knowledge.TRANSFORMERS_TF_LAST.major  # transformers 5 dropped TF


TF1_NAMES = ("get_default_graph|Session|InteractiveSession|placeholder|contrib|ConfigProto|"
              "GPUOptions|set_random_seed|global_variables_initializer|reset_default_graph|"
              "variable_scope|get_variable|train\\.AdamOptimizer|logging\\.set_verbosity")
