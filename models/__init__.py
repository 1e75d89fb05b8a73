"""Model builders and their registry.

`build_model(name, input_shape, num_classes)` returns an uncompiled Keras model.
Every model ends in a float32 softmax so that losses and accuracies mean the
same thing for every optimizer, and every hidden layer uses ReLU. The options
(dropout, batch normalisation, L2 penalty) are described in `models.builders`.
"""

from __future__ import annotations

# Model name -> its builder in models.builders, imported (with Keras) only when a model
# is built: checking a name, as planning does, needs no TensorFlow.
MODELS = {
    "mlp": "build_mlp",
    "cnn": "build_cnn",
    "cifar_cnn": "build_cifar_cnn",
}

# Weight initialisation by name: He (Kaiming) suits the ReLU layers used here;
# Glorot is Keras's own default.
INITIALIZERS = {"he": "he_uniform", "glorot": "glorot_uniform"}


def build_model(name: str, input_shape, num_classes: int, init: str = "he",
                dropout: float | None = None, batch_norm: bool = True, l2: float = 0.0):
    """Build model `name` for images of `input_shape` (H, W, C) and `num_classes` classes.

    `dropout`: None keeps the model's own rates, a number in [0, 1) replaces
    every one; `batch_norm=False` removes batch normalisation (the layers before
    it keep their bias); `l2` > 0 adds `l2 * sum(kernel ** 2)` of every
    convolution and dense kernel to the loss.
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from: {', '.join(MODELS)}")
    if init not in INITIALIZERS:
        raise ValueError(f"unknown init {init!r}; choose from: {', '.join(INITIALIZERS)}")
    if dropout is not None and not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0, got {l2!r}")
    from models import builders

    options = builders.Options(INITIALIZERS[init], dropout, bool(batch_norm), float(l2))
    return getattr(builders, MODELS[name])(tuple(input_shape), num_classes, options)
