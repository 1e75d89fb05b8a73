"""Isolation from real data and the network for every data test, and sample arrays."""

import pytest

import data.sources
from tests.data.writers import make_splits


@pytest.fixture(autouse=True)
def no_real_data(tmp_path_factory, monkeypatch):
    """Point every default location at empty folders and forbid downloads."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setattr(data.sources, "SYSTEM_DIRS", {})

    def refuse_download(name):
        pytest.fail(f"test tried to download {name}")

    monkeypatch.setattr(data.sources, "download_with_keras", refuse_download)
    return home


@pytest.fixture
def mnist_arrays():
    return make_splits((28, 28))


@pytest.fixture
def cifar_arrays():
    return make_splits((32, 32, 3), train=25, test=7)
