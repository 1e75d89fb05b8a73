"""Shared test setup: quiet TensorFlow before anything imports it; tiny data sets in the
real file formats."""

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# float64 under JAX (the optimizer references run in float64); no effect on other backends.
os.environ.setdefault("JAX_ENABLE_X64", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


def write_mnist_npz(folder, train=120, test=40, seed=0):
    """A small `mnist.npz` in Keras's layout whose classes are learnable (bright bars)."""
    rng = np.random.default_rng(seed)

    def images(count):
        labels = np.arange(count) % 10
        pixels = rng.integers(0, 40, size=(count, 28, 28), dtype=np.uint8)
        for index, label in enumerate(labels):
            pixels[index, 2 + 2 * label : 4 + 2 * label, :] = 255  # class = bar position
        return pixels, labels.astype(np.uint8)

    x_train, y_train = images(train)
    x_test, y_test = images(test)
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return folder


@pytest.fixture(scope="session")
def tiny_mnist(tmp_path_factory):
    """A folder holding a 120 + 40 image mnist.npz, shared by the whole session."""
    return write_mnist_npz(tmp_path_factory.mktemp("tiny_mnist"))


def write_noise_npz(folder, train=120, test=40, seed=0):
    """A `mnist.npz` of random images with random labels: nothing generalises, so the
    validation loss soon rises while the model memorises its training images."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(train + test, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=train + test).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "mnist.npz", x_train=images[:train], y_train=labels[:train],
             x_test=images[train:], y_test=labels[train:])
    return folder


@pytest.fixture(scope="session")
def noise_mnist(tmp_path_factory):
    """A folder holding a 120 + 40 image mnist.npz of noise (for early stopping, plateaus)."""
    return write_noise_npz(tmp_path_factory.mktemp("noise_mnist"))
