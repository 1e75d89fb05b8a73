"""Muon: Newton-Schulz orthogonalised momentum on matrices, AdamW on the rest."""

import math
import re

import keras
import numpy as np
import pytest

from optimizers.muon import Muon, frobenius_norm

A, B, C = 3.4445, -4.7750, 2.0315


def _quintic(s, steps=5):
    for _ in range(steps):
        s = A * s + B * s**3 + C * s**5
    return s


@pytest.mark.parametrize(("rms_rate", "scale"), [(None, 1.0), (0.2, 0.2 * math.sqrt(2))])
def test_one_step_by_hand(rms_rate, scale):
    # A diagonal gradient diag(3, 4) has singular values 3 and 4; divided by its Frobenius
    # norm 5 they are 0.6 and 0.8, and each Newton-Schulz step maps s to a s + b s^3 + c s^5.
    # The momentum (zero at first) is the gradient; Nesterov's 1.5 x gradient has the same
    # direction. Update = 0.5 * diag(quintic(0.6), quintic(0.8)) * scale.
    variable = keras.Variable(np.zeros((2, 2), "float32"))
    optimizer = Muon(learning_rate=0.5, momentum=0.5, rms_rate=rms_rate, weight_decay=None)
    optimizer.apply([np.diag([3.0, 4.0]).astype("float32")], [variable])
    singular = [_quintic(1.5 * 3 / (7.5 + 1e-7)), _quintic(1.5 * 4 / (7.5 + 1e-7))]
    assert all(0.7 < value < 1.2 for value in singular)  # near-orthogonal, as promised
    np.testing.assert_allclose(variable.numpy(), -0.5 * scale * np.diag(singular), atol=1e-6)


def _layered_model():
    return keras.Sequential(
        [
            keras.Input((4,), dtype="int32"),
            keras.layers.Embedding(10, 6, name="token_embedding"),
            keras.layers.Conv1D(5, 2, name="conv"),
            keras.layers.Flatten(),
            keras.layers.Dense(7, name="hidden"),
            keras.layers.Dense(2, name="output_dense"),
        ],
        name="net",
    )


@pytest.mark.parametrize(
    ("settings", "muon_paths"),
    [
        ({"exclude_layers": ["output_dense"]}, {"net/hidden/kernel"}),
        ({}, {"net/hidden/kernel", "net/output_dense/kernel"}),
        (
            {"exclude_embeddings": False},
            {"net/token_embedding/embeddings", "net/hidden/kernel", "net/output_dense/kernel"},
        ),
        # Patterns are searched in the whole path, model name included.
        ({"exclude_layers": ["^hidden", "dense"]}, {"net/hidden/kernel"}),
        ({"exclude_layers": ["^net/hid", "dense"]}, set()),
    ],
)
def test_which_variables_take_the_muon_step(settings, muon_paths):
    variables = _layered_model().trainable_variables
    ours, theirs = Muon(**settings), keras.optimizers.Muon(**settings)
    ours.build(variables)
    # Only the AdamW variables get a velocity; conv kernels (3-D) and biases (1-D) always do.
    slots = zip(variables, ours._velocities, strict=True)
    with_velocity = {v.path for v, slot in slots if slot is not None}
    assert {v.path for v in variables} - with_velocity == muon_paths
    assert [ours.uses_adamw(v) for v in variables] == [
        theirs._should_use_adamw(v) for v in variables
    ]


SETTINGS = [
    {},
    {
        "nesterov": False,
        "rms_rate": None,
        "adam_lr_ratio": 0.5,
        "weight_decay": 0.1,
        "adam_weight_decay": None,
        "momentum": 0.8,
        "ns_steps": 3,
        "epsilon": 1e-3,
    },
    {"learning_rate": 0.02, "weight_decay": None, "adam_weight_decay": 0.05},
    {"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 7},
    {"gradient_accumulation_steps": 3, "clipnorm": 0.5},
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_float32_equals_keras_muon(assert_same_as_keras, settings):
    assert_same_as_keras(Muon(**settings), keras.optimizers.Muon(**settings))


def test_tall_matrix_equals_keras_muon(run_steps):
    rng = np.random.default_rng(1)
    initial = [rng.standard_normal((6, 3)).astype("float32")]
    gradients = [[rng.standard_normal((6, 3)).astype("float32")] for _ in range(30)]
    ours = run_steps(Muon(), initial, gradients)
    theirs = run_steps(keras.optimizers.Muon(), initial, gradients)
    np.testing.assert_array_equal(ours[0], theirs[0])


def test_float64_matches_reference(assert_matches_reference, reference):
    hyperparameters = {
        "learning_rate": 0.0625,
        "adam_beta_1": 0.875,
        "adam_beta_2": 0.9375,
        "adam_weight_decay": 0.25,
        "epsilon": 1e-3,
        "weight_decay": 0.125,
        "muon_a": A,
        "muon_b": B,
        "muon_c": C,
        "adam_lr_ratio": 0.5,
        "momentum": 0.75,
        "ns_steps": 4,
        "nesterov": True,
        "rms_rate": 0.25,
    }
    assert_matches_reference(Muon(**hyperparameters), reference.muon, **hyperparameters)


def test_keras_takes_a_float64_norm_in_float32_off_tensorflow():
    # Why `frobenius_norm` exists. Keras's JAX and PyTorch `norm` cast the input to
    # `result_type("float64", float)`, float32 there (`BIT64_TO_BIT32_DTYPE`), and
    # return float32. If this fails, `ops.norm` would do.
    x = keras.ops.convert_to_tensor(np.random.default_rng(2).standard_normal((4, 5)))
    norm = keras.ops.convert_to_numpy(keras.ops.norm(x, axis=(-2, -1)))
    expected = "float64" if keras.backend.backend() == "tensorflow" else "float32"
    assert norm.dtype == np.dtype(expected)


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4)])
def test_float64_frobenius_norm_keeps_float64(shape):
    x = np.random.default_rng(2).standard_normal(shape) / 3
    actual = keras.ops.convert_to_numpy(frobenius_norm(keras.ops.convert_to_tensor(x)))
    assert actual.dtype == np.float64 and actual.shape == shape[:-2] + (1, 1)
    expected = np.linalg.norm(x, axis=(-2, -1), keepdims=True)
    np.testing.assert_allclose(actual, expected, rtol=1e-14, atol=0)


def test_defaults_and_name_are_keras():
    ours, theirs = Muon().get_config(), keras.optimizers.Muon().get_config()
    assert ours.pop("name") == "muon"
    theirs.pop("name")
    assert ours == theirs


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("adam_beta_1", 1.0),
        ("adam_beta_2", -0.1),
        ("adam_weight_decay", -0.1),
        ("exclude_layers", "output_dense"),
        ("exclude_layers", ["("]),
        ("exclude_layers", [3]),
        ("exclude_embeddings", "yes"),
        ("muon_a", float("nan")),
        ("adam_lr_ratio", 0),
        ("momentum", 1.0),
        ("ns_steps", 2.5),
        ("ns_steps", True),
        ("ns_steps", -1),
        ("nesterov", 1),
        ("rms_rate", 0.0),
    ],
)
def test_bad_arguments(argument, value):
    with pytest.raises(ValueError, match=re.escape(f"Received: {argument}={value!r}")):
        Muon(**{argument: value})
