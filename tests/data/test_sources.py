"""Where load_dataset looks, in which order, and what it says when it finds nothing."""

import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import data
import data.sources
from data import DataError, load_dataset
from tests.data.writers import (
    cifar_members,
    make_splits,
    write_cifar_archive,
    write_cifar_folder,
    write_idx_set,
    write_npz,
)


def train_labels(loaded):
    (_, y_train), _ = loaded
    return y_train


def marked(arrays, label):
    """The arrays with every training label set to ``label``, to tell sources apart."""
    return dict(arrays, y_train=np.full_like(arrays["y_train"], label))


def test_data_dir_comes_first(tmp_path, no_real_data, mnist_arrays):
    write_idx_set(tmp_path / "given", marked(mnist_arrays, 1), compress=True)
    write_idx_set(tmp_path / "system", marked(mnist_arrays, 2), compress=True)
    write_idx_set(no_real_data / ".keras/datasets/fashion-mnist", marked(mnist_arrays, 3), True)
    loaded = load_dataset("fashion_mnist", tmp_path / "given", download=False,
                          system_dirs=[tmp_path / "system"])
    assert set(train_labels(loaded)) == {1}


def test_system_dir_before_keras_cache(tmp_path, no_real_data, mnist_arrays, monkeypatch):
    write_idx_set(tmp_path / "system", marked(mnist_arrays, 2), compress=True)
    write_idx_set(no_real_data / ".keras/datasets/fashion-mnist", marked(mnist_arrays, 3), True)
    monkeypatch.setattr(data.sources, "SYSTEM_DIRS", {"fashion_mnist": (tmp_path / "system",)})
    assert set(train_labels(load_dataset("fashion_mnist", download=False))) == {2}


def test_a_data_dir_without_the_files_is_an_error_not_a_fallback(tmp_path, no_real_data,
                                                                  mnist_arrays):
    (tmp_path / "empty").mkdir()
    write_npz(no_real_data / ".keras/datasets/mnist.npz", marked(mnist_arrays, 4))
    with pytest.raises(DataError) as caught:
        load_dataset("mnist", tmp_path / "empty", download=False)
    message = str(caught.value)
    assert f"data_dir '{tmp_path / 'empty'}' holds no mnist files" in message
    assert "mnist.npz or the four IDX files" in message


def test_npz_preferred_to_idx_in_the_same_folder(tmp_path, mnist_arrays):
    write_npz(tmp_path / "mnist.npz", marked(mnist_arrays, 5))
    write_idx_set(tmp_path, marked(mnist_arrays, 6), compress=False)
    assert set(train_labels(load_dataset("mnist", tmp_path, download=False))) == {5}


def test_keras_home_honoured(tmp_path, no_real_data, mnist_arrays, monkeypatch):
    write_npz(no_real_data / ".keras/datasets/mnist.npz", marked(mnist_arrays, 7))
    write_npz(tmp_path / "keras_home/datasets/mnist.npz", marked(mnist_arrays, 8))
    assert set(train_labels(load_dataset("mnist", download=False))) == {7}
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    assert set(train_labels(load_dataset("mnist", download=False))) == {8}


@pytest.mark.parametrize(
    ("where", "kind"),
    [
        ("cifar-10-batches-py-target", "folder"),  # Keras 3 extracts to .../cifar-10-batches-py
        (".", "folder"),  # tf.keras 2 extracted to datasets/cifar-10-batches-py
        ("cifar-10-batches-py-target_archive", "archive"),  # Keras 3's download, no suffix
        ("cifar-10-batches-py.tar.gz", "archive"),  # tf.keras 2's download
    ],
)
def test_cifar_found_in_keras_cache_layouts(tmp_path, cifar_arrays, monkeypatch, where, kind):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    members = cifar_members(cifar_arrays)
    if kind == "archive":
        write_cifar_archive(tmp_path / "datasets" / where, members)
    else:
        write_cifar_folder(tmp_path / "datasets" / where, members)
    (x_train, _), _ = load_dataset("cifar10", download=False)
    np.testing.assert_array_equal(x_train, cifar_arrays["x_train"])


@pytest.mark.parametrize(
    ("name", "advice"),
    [
        ("mnist", "mnist.npz"),
        ("fashion_mnist", "apt-get install dataset-fashion-mnist"),
        ("cifar10", "cifar-10-python.tar.gz"),
    ],
)
def test_nothing_found_names_every_place(tmp_path, no_real_data, monkeypatch, name, advice):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(DataError) as caught:
        load_dataset(name, download=False, system_dirs=[tmp_path / "sys"], bundled_sample=False)
    message = str(caught.value)
    assert "\n" not in message
    for place in (tmp_path / "sys", tmp_path / "keras" / "datasets"):
        assert str(place) in message
    assert advice in message and "--data_dir" in message
    assert "download disabled" in message


def test_default_places_are_named(no_real_data, monkeypatch):
    monkeypatch.setattr(data.sources, "SYSTEM_DIRS",
                        {"fashion_mnist": (no_real_data / "usr/share/datasets/fashion-mnist",)})
    with pytest.raises(DataError) as caught:
        load_dataset("fashion_mnist", download=False)  # no sample for fashion_mnist
    assert str(no_real_data / "usr/share/datasets/fashion-mnist") in str(caught.value)
    assert str(no_real_data / ".keras" / "datasets" / "fashion-mnist") in str(caught.value)


def test_missing_data_dir_is_an_error(tmp_path, mnist_arrays, no_real_data):
    write_npz(no_real_data / ".keras/datasets/mnist.npz", mnist_arrays)
    with pytest.raises(DataError, match="not an existing directory") as caught:
        load_dataset("mnist", tmp_path / "typo", download=False)
    assert str(tmp_path / "typo") in str(caught.value)


def test_loads_are_independent_and_leave_files_alone(tmp_path, mnist_arrays):
    path = write_npz(tmp_path / "mnist.npz", mnist_arrays)
    before = path.read_bytes()
    (first, _), _ = load_dataset("mnist", tmp_path, download=False)
    first[...] = 0
    (second, _), _ = load_dataset("mnist", tmp_path, download=False)
    np.testing.assert_array_equal(second, mnist_arrays["x_train"])
    assert path.read_bytes() == before


# --- the download step, with a stand-in for Keras -----------------------------

# Taken at import time, before the conftest's fixture replaces it for each test.
REAL_DOWNLOAD = data.sources.download_with_keras


@pytest.fixture
def keras_returning(monkeypatch):
    """Install a stand-in ``keras`` module whose datasets' load_data is the given function."""

    def install(load_data):
        loaders = types.SimpleNamespace(load_data=load_data)
        datasets = types.SimpleNamespace(mnist=loaders, fashion_mnist=loaders, cifar10=loaders)
        monkeypatch.setitem(sys.modules, "keras", types.SimpleNamespace(datasets=datasets))
        monkeypatch.setattr(data.sources, "download_with_keras", REAL_DOWNLOAD)

    return install


def test_download_used_when_nothing_is_found(tmp_path, cifar_arrays, keras_returning):
    calls = []

    def load_data():
        calls.append("cifar10")
        # keras.datasets.cifar10 returns labels shaped (N, 1).
        return ((cifar_arrays["x_train"], cifar_arrays["y_train"].reshape(-1, 1)),
                (cifar_arrays["x_test"], cifar_arrays["y_test"].reshape(-1, 1)))

    keras_returning(load_data)
    (x_train, y_train), (_, y_test) = load_dataset("cifar10", keras_home=tmp_path, system_dirs=[])
    assert calls == ["cifar10"]
    assert y_train.shape == (25,) and y_test.shape == (7,)
    np.testing.assert_array_equal(y_train, cifar_arrays["y_train"])
    np.testing.assert_array_equal(x_train, cifar_arrays["x_train"])


def test_download_not_used_when_files_are_found(tmp_path, mnist_arrays, keras_returning):
    keras_returning(lambda: pytest.fail("downloaded although the files were there"))
    write_npz(tmp_path / "mnist.npz", mnist_arrays)
    load_dataset("mnist", tmp_path)


def test_failed_download_names_places_and_reason(tmp_path, keras_returning):
    def load_data():
        raise Exception("URL fetch failure on https://example.invalid/mnist.npz: None\nmore")

    keras_returning(load_data)
    with pytest.raises(DataError) as caught:
        load_dataset("mnist", keras_home=tmp_path / "keras", system_dirs=[], bundled_sample=False)
    message = str(caught.value)
    assert "\n" not in message
    assert "URL fetch failure" in message and str(tmp_path / "keras" / "datasets") in message


def test_downloaded_arrays_are_checked(tmp_path, keras_returning):
    wrong = make_splits((32, 32, 3))  # CIFAR-shaped arrays where MNIST is expected
    splits = (wrong["x_train"], wrong["y_train"]), (wrong["x_test"], wrong["y_test"])
    keras_returning(lambda: splits)
    with pytest.raises(DataError, match="keras.datasets.mnist"):
        load_dataset("mnist", keras_home=tmp_path, system_dirs=[])


def test_importing_data_does_not_import_keras():
    code = ("import sys, data; "
            "sys.exit(int(any(m.split('.')[0] in ('keras', 'tensorflow') for m in sys.modules)))")
    project_root = Path(data.__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=project_root)
    assert result.returncode == 0, result.stderr
