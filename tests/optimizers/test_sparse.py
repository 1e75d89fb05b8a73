"""Sparse gradients (`tf.IndexedSlices`, as from `Embedding`; JAX's `BCOO`) act as
their dense sum.

Repeated rows are summed before anything else sees the gradient, clipping,
accumulation, loss scaling and weight decay included, so the result equals
the dense one bit for bit, for every registered optimizer and every option.
PyTorch has no sparse gradients in Keras: skipped there (`sparse_rows`).
"""

import keras
import numpy as np
import pytest

import optimizers

VARIANTS = [(name, {}) for name in optimizers.REGISTERED] + [
    ("rmsprop", {"momentum": 0.5, "centered": True}),
    ("adam", {"amsgrad": True}),
]


# Rows without a gradient still change here: FTRL recomputes every row from its linear
# term (an untouched row becomes 0), Schedule-Free AdamW recomputes every row from its z
# and x sequences (an untouched row moves by rounding, about one float32 ulp).
RECOMPUTES_EVERY_ROW = {"ftrl", "schedule_free_adamw"}


def _repeated_slices(make, rng):
    # Rows 0 and 3 appear twice, as a batch with a repeated token gives them.
    return make(rng.standard_normal((5, 4)).astype("float32"), [0, 3, 2, 0, 3], [6, 4])


def _assert_same(actual, expected, name):
    np.testing.assert_array_equal(actual, expected, err_msg=name)


@pytest.mark.parametrize(("name", "settings"), VARIANTS)
def test_indexed_slices_equal_their_dense_sum(sparse_rows, name, settings):
    make, densify = sparse_rows
    rng = np.random.default_rng(0)
    initial = rng.standard_normal((6, 4)).astype("float32")
    sparse_variable, dense_variable = keras.Variable(initial), keras.Variable(initial)
    sparse_optimizer = optimizers.get(name, learning_rate=0.1, **settings)
    dense_optimizer = optimizers.get(name, learning_rate=0.1, **settings)
    for _ in range(5):
        slices = _repeated_slices(make, rng)
        sparse_optimizer.apply([slices], [sparse_variable])
        dense_optimizer.apply([densify(slices)], [dense_variable])
    _assert_same(sparse_variable.numpy(), dense_variable.numpy(), name)
    # AdamW's decay shrinks every row.
    if sparse_optimizer.weight_decay is None and name not in RECOMPUTES_EVERY_ROW:
        # Rows 1, 4 and 5 never had a gradient, so nothing moved them.
        np.testing.assert_array_equal(sparse_variable.numpy()[[1, 4, 5]], initial[[1, 4, 5]])


def _embedding_model():
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((3,), dtype="int32"),
            keras.layers.Embedding(7, 4),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2),
        ]
    )


def _train_embedding(name, densify):
    """Three steps on token batches that repeat tokens; returns the final weights."""
    import tensorflow as tf

    model = _embedding_model()
    optimizer = optimizers.get(name, learning_rate=0.1)
    tokens = tf.constant([[1, 2, 1], [2, 5, 5], [1, 1, 1], [6, 0, 2]])
    targets = tf.constant([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [1.0, 1.0]])
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = keras.ops.mean(keras.ops.square(model(tokens) - targets))
        gradients = tape.gradient(loss, model.trainable_variables)
        assert isinstance(gradients[0], tf.IndexedSlices)
        if densify:
            gradients = [tf.convert_to_tensor(gradient) for gradient in gradients]
        optimizer.apply(gradients, model.trainable_variables)
    return model.get_weights()


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="only TensorFlow's autodiff gives an Embedding a sparse gradient (JAX's and "
    "PyTorch's are dense); the other backends' sparse gradients are tested above",
)
@pytest.mark.parametrize("name", optimizers.REGISTERED)
def test_embedding_gradients_train_as_dense(name):
    sparse_weights = _train_embedding(name, densify=False)
    dense_weights = _train_embedding(name, densify=True)
    for actual, expected in zip(sparse_weights, dense_weights, strict=True):
        _assert_same(actual, expected, name)
