"""kerasfix: diagnose and fix broken TensorFlow / Keras / tf-keras environments."""

__version__ = "0.1.0"
