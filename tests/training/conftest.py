"""Fixtures for the training tests: tiny data sets in the real file formats."""

import numpy as np
import pytest


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
