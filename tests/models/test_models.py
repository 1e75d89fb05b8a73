"""The model builders' options: batch normalisation on/off, dropout rates, L2 penalty."""

import keras
import numpy as np
import pytest

import models

MNIST, CIFAR = (28, 28, 1), (32, 32, 3)


def layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


def cnn_parameters(batch_norm: bool) -> int:
    """The cnn's parameter count, layer by layer, worked out by hand."""
    conv1 = 3 * 3 * 1 * 32
    conv2 = 3 * 3 * 32 * 64
    dense = 7 * 7 * 64 * 128  # two 2x2 poolings: 28 -> 7
    output = 128 * 10 + 10
    channels = 32 + 64 + 128  # after each of the three hidden layers
    # Batch norm: gamma, beta, moving mean and variance per channel; without it, a bias.
    per_channel = 4 if batch_norm else 1
    return conv1 + conv2 + dense + output + per_channel * channels


@pytest.mark.parametrize("batch_norm", [True, False])
def test_cnn_parameter_count_with_and_without_batch_norm(batch_norm):
    model = models.build_model("cnn", MNIST, 10, batch_norm=batch_norm)
    assert model.count_params() == cnn_parameters(batch_norm)


@pytest.mark.parametrize("name, shape", [("cnn", MNIST), ("cifar_cnn", CIFAR)])
def test_without_batch_norm_there_is_none_and_every_layer_has_its_bias(name, shape):
    with_bn = models.build_model(name, shape, 10)
    without = models.build_model(name, shape, 10, batch_norm=False)
    assert layers_of(with_bn, keras.layers.BatchNormalization)
    assert not layers_of(without, keras.layers.BatchNormalization)
    weighted = layers_of(without, (keras.layers.Conv2D, keras.layers.Dense))
    assert weighted and all(layer.use_bias for layer in weighted)
    # Batch norm's 4 parameters per channel are replaced by 1 bias per channel.
    channels = sum(layer.gamma.shape[0] for layer in layers_of(with_bn,
                                                               keras.layers.BatchNormalization))
    assert with_bn.count_params() - without.count_params() == 3 * channels


def test_the_mlp_has_no_batch_norm_either_way():
    for batch_norm in (True, False):
        model = models.build_model("mlp", MNIST, 10, batch_norm=batch_norm)
        assert not layers_of(model, keras.layers.BatchNormalization)
        assert model.count_params() == (784 * 256 + 256) + (256 * 128 + 128) + (128 * 10 + 10)


@pytest.mark.parametrize(
    "name, shape, own_rates",
    [("mlp", MNIST, [0.2, 0.2]), ("cnn", MNIST, [0.25, 0.5]),
     ("cifar_cnn", CIFAR, [0.2, 0.3, 0.4, 0.5])],
)
def test_one_dropout_rate_replaces_every_rate(name, shape, own_rates):
    rates = [layer.rate for layer in layers_of(models.build_model(name, shape, 10),
                                               keras.layers.Dropout)]
    assert rates == pytest.approx(own_rates)
    for dropout in (0.0, 0.35):
        model = models.build_model(name, shape, 10, dropout=dropout)
        rates = [layer.rate for layer in layers_of(model, keras.layers.Dropout)]
        assert rates == pytest.approx([dropout] * len(own_rates))


@pytest.mark.parametrize("name, shape", [("mlp", MNIST), ("cnn", MNIST), ("cifar_cnn", CIFAR)])
def test_l2_adds_its_penalty_on_every_kernel_to_the_losses(name, shape):
    assert not models.build_model(name, shape, 10).losses  # no penalty by default
    l2 = 1e-3
    model = models.build_model(name, shape, 10, l2=l2)
    kernels = [keras.ops.convert_to_numpy(layer.kernel).astype(np.float64)
               for layer in layers_of(model, (keras.layers.Conv2D, keras.layers.Dense))]
    expected = l2 * sum(float(np.sum(kernel ** 2)) for kernel in kernels)
    penalty = sum(float(keras.ops.convert_to_numpy(loss)) for loss in model.losses)
    assert len(model.losses) == len(kernels)  # one per kernel: no bias, no BN parameter
    assert penalty == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("options, message", [
    ({"dropout": 1.0}, "dropout must be in [0, 1)"),
    ({"l2": -1.0}, "l2 must be >= 0"),
])
def test_bad_options_raise(options, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace(")", r"\)")):
        models.build_model("mlp", MNIST, 10, **options)
