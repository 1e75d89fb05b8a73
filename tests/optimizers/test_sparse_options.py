"""Sparse gradients with repeated rows under every base option: the dense result.

Keras's base class clips, accumulates and unscales the slices of an
`IndexedSlices` one by one, before any update sums repeated rows; ours sum
them first (`optimizers.base.Optimizer.apply`). The sparse gradient is the
backend's own (`sparse_rows`: TensorFlow and JAX; PyTorch has none in Keras).
"""

import keras
import numpy as np
import pytest

import optimizers

# Each option's arguments; every option is active on the gradients below.
OPTIONS = {
    "clipnorm": {"clipnorm": 1.0},
    "global_clipnorm": {"global_clipnorm": 1.0},
    "clipvalue": {"clipvalue": 0.5},
    "gradient_accumulation_steps": {"gradient_accumulation_steps": 2},
    "weight_decay": {"weight_decay": 0.1},
    "use_ema": {"use_ema": True, "ema_momentum": 0.5, "ema_overwrite_frequency": 2},
    "loss_scale_factor": {"loss_scale_factor": 64.0},
}


def _train(sparse_rows, optimizer, densify, scale=1.0):
    """Four steps from the same start; returns the final variable."""
    make, to_dense = sparse_rows
    rng = np.random.default_rng(0)
    variable = keras.Variable(np.random.default_rng(1).standard_normal((5, 4)), dtype="float32")
    for _ in range(4):
        # Row 0 three times and row 3 twice, as a batch that repeats tokens gives them.
        values = (rng.standard_normal((6, 4)).astype("float32") * scale).astype("float32")
        slices = make(values, [0, 3, 0, 2, 3, 0], [5, 4])
        _apply(optimizer, to_dense(slices) if densify else slices, variable)
    return variable.numpy()


def _apply(optimizer, gradient, variable):
    """`optimizer.apply`; under JAX through `stateless_apply`, the path of Keras's JAX
    trainer (the stateful `apply` of a `LossScaleOptimizer` leaks tracers there)."""
    if keras.backend.backend() != "jax":
        optimizer.apply([gradient], [variable])
        return
    optimizer.build([variable])
    values, state = optimizer.stateless_apply(
        [v.value for v in optimizer.variables], [gradient], [variable.value]
    )
    for target, value in zip([variable, *optimizer.variables], [*values, *state], strict=True):
        target.assign(value)


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize("name", optimizers.REGISTERED)
def test_repeated_rows_equal_the_dense_gradient(sparse_rows, name, option):
    scale = OPTIONS[option].get("loss_scale_factor", 1.0)  # the loss was scaled, so are they
    results = [
        _train(
            sparse_rows,
            optimizers.get(name, learning_rate=0.1, **OPTIONS[option]),
            densify,
            scale=scale,
        )
        for densify in (False, True)
    ]
    np.testing.assert_array_equal(*results)


@pytest.mark.parametrize("name", optimizers.REGISTERED)
def test_loss_scale_optimizer_under_mixed_precision(sparse_rows, name):
    # `compile` wraps the optimizer in a LossScaleOptimizer under mixed_float16. An
    # Embedding's gradient still comes as float32 slices there: the lookup reads the
    # float32 table cast to float16, and TensorFlow's gradient of that cast casts the
    # slices back.
    results = []
    for densify in (False, True):
        inner = optimizers.get(name, learning_rate=0.1)
        optimizer = keras.optimizers.LossScaleOptimizer(inner, initial_scale=2.0**6)
        results.append(_train(sparse_rows, optimizer, densify, scale=2.0**6))
    np.testing.assert_array_equal(*results)


def _issue_slices(sparse_rows):
    # Dense row 0 is 3 * [3, 4] = [9, 12], norm 15.
    make, _ = sparse_rows
    return make(np.array([[3.0, 4.0]] * 3, "float32"), [0, 0, 0], [2, 2])


@pytest.mark.parametrize(
    ("clipping", "expected_row"),
    [
        ({"clipnorm": 1.0}, [-0.6, -0.8]),  # [9, 12] / 15
        ({"global_clipnorm": 1.0}, [-0.6, -0.8]),
        ({"clipvalue": 1.0}, [-1.0, -1.0]),  # min(9, 1), min(12, 1)
    ],
)
def test_clipping_sees_the_summed_row(sparse_rows, clipping, expected_row):
    variable = keras.Variable(np.zeros((2, 2), "float32"))
    optimizer = optimizers.SGD(learning_rate=1.0, **clipping)
    optimizer.apply_gradients([(_issue_slices(sparse_rows), variable)])
    np.testing.assert_allclose(variable.numpy(), [expected_row, [0.0, 0.0]], rtol=1e-6)


def test_keras_builtin_clips_each_slice_instead(sparse_rows):
    # The departure the test above guards: Keras moves row 0 by three clipped slices
    # (TensorFlow), or cannot clip JAX's BCOO gradient at all.
    variable = keras.Variable(np.zeros((2, 2), "float32"))
    builtin = keras.optimizers.SGD(learning_rate=1.0, clipvalue=1.0)
    if keras.backend.backend() == "jax":
        with pytest.raises(TypeError, match="BCOO"):
            builtin.apply_gradients([(_issue_slices(sparse_rows), variable)])
        return
    builtin.apply_gradients([(_issue_slices(sparse_rows), variable)])
    np.testing.assert_allclose(variable.numpy()[0], [-3.0, -3.0], rtol=1e-6)


def test_fit_with_a_token_repeated_in_one_example_moves_its_row_by_the_clip_value():
    # Embedding row 1, looked up three times; each lookup's gradient is about -200 per
    # element (targets far above the output), so clipping each slice to 0.1 and then
    # summing would move the row by 0.3. Clipping the summed row moves it by 0.1.
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((3,), dtype="int32"),
            keras.layers.Embedding(4, 2, embeddings_initializer="zeros"),
            keras.layers.Flatten(),
            keras.layers.Dense(1, kernel_initializer="ones", use_bias=False, trainable=False),
        ]
    )
    model.compile(optimizer=optimizers.SGD(learning_rate=1.0, clipvalue=0.1), loss="mse")
    model.fit(np.array([[1, 1, 1]]), np.array([[100.0]]), epochs=1, verbose=0)
    embeddings = model.layers[0].embeddings.numpy()
    np.testing.assert_allclose(embeddings[1], [0.1, 0.1], rtol=1e-6)
    np.testing.assert_array_equal(embeddings[[0, 2, 3]], 0.0)
