"""Model builders and their registry.

`build_model(name, input_shape, num_classes)` returns an uncompiled Keras model.
Every model ends in a float32 softmax so that losses and accuracies mean the
same thing for every optimizer, and every hidden layer uses ReLU.
"""

from __future__ import annotations

from models.builders import build_cifar_cnn, build_cnn, build_mlp

MODELS = {
    "mlp": build_mlp,
    "cnn": build_cnn,
    "cifar_cnn": build_cifar_cnn,
}

# Weight initialisation by name: He (Kaiming) suits the ReLU layers used here;
# Glorot is Keras's own default.
INITIALIZERS = {"he": "he_uniform", "glorot": "glorot_uniform"}


def build_model(name: str, input_shape, num_classes: int, init: str = "he"):
    """Build model `name` for images of `input_shape` (H, W, C) and `num_classes` classes."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from: {', '.join(MODELS)}")
    if init not in INITIALIZERS:
        raise ValueError(f"unknown init {init!r}; choose from: {', '.join(INITIALIZERS)}")
    return MODELS[name](tuple(input_shape), num_classes, INITIALIZERS[init])
