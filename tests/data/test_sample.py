"""The bundled MNIST sample: its file, its provenance, and when the loaders fall back on it."""

import hashlib
import logging
import os
import re
from pathlib import Path

import numpy as np
import pytest

import data
import data.sources
from data import DataError, load_dataset, load_dataset_with_source
from data.sample import make_sample
from tests.data.writers import make_splits, write_idx_set, write_npz

SAMPLE = Path(data.__file__).resolve().parent / "sample" / "mnist.npz"
# The real MNIST subset the sample was cut from: ../shared/data beside the repository, or
# the folder $SHARED_DATA names (a git worktree elsewhere).
REPOSITORY = Path(data.__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SHARED_DATA") or REPOSITORY.parent / "shared" / "data")
SHARED = SHARED_DATA / "mnist-subset" / "mnist.npz"
needs_shared = pytest.mark.skipif(not SHARED.is_file(), reason=f"{SHARED} is not here")


@pytest.fixture
def sample():
    with np.load(SAMPLE, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def failing_download(name):
    raise Exception(f"URL fetch failure on https://example.invalid/{name}.npz: None")


# --- the file -------------------------------------------------------------------


def test_sample_is_small_compressed_and_in_keras_layout(sample):
    assert SAMPLE.stat().st_size <= 2 * 1024 * 1024
    raw_size = sum(array.nbytes for array in sample.values())
    assert SAMPLE.stat().st_size < raw_size / 3  # compressed, not a plain np.savez
    assert sample["x_train"].shape == (6000, 28, 28) and sample["x_train"].dtype == np.uint8
    assert sample["x_test"].shape == (1000, 28, 28) and sample["x_test"].dtype == np.uint8
    assert sample["y_train"].shape == (6000,) and sample["y_test"].shape == (1000,)


def test_sample_is_class_balanced(sample):
    assert np.bincount(sample["y_train"], minlength=10).tolist() == [600] * 10
    assert np.bincount(sample["y_test"], minlength=10).tolist() == [100] * 10


def test_sample_images_look_like_handwritten_digits(sample):
    # MNIST digits: dark background (most pixels 0), some saturated strokes, centred mass.
    images = sample["x_train"].astype(np.float64)
    assert (images == 0).mean() > 0.7
    assert (images.max(axis=(1, 2)) >= 250).all()
    rows, cols = np.indices((28, 28))
    centre_row = (images * rows).sum(axis=(1, 2)) / images.sum(axis=(1, 2))
    centre_col = (images * cols).sum(axis=(1, 2)) / images.sum(axis=(1, 2))
    assert np.abs(centre_row - 13.5).max() < 2 and np.abs(centre_col - 13.5).max() < 2
    assert len({image.tobytes() for image in sample["x_train"]}) == 6000  # no duplicates


def test_readme_beside_the_sample_states_its_hash_and_licence():
    readme = (SAMPLE.parent / "README.md").read_text()
    assert hashlib.sha256(SAMPLE.read_bytes()).hexdigest() in readme
    assert f"{SAMPLE.stat().st_size:,} bytes" in readme
    assert "Creative Commons Attribution-Share Alike 3.0" in readme


@needs_shared
def test_every_sample_image_is_the_official_image_at_its_index(sample):
    with np.load(SHARED) as shared:
        for part in ("train", "test"):
            index = sample[f"{part}_index"]
            assert (np.diff(index.astype(np.int64)) > 0).all()
            np.testing.assert_array_equal(sample[f"x_{part}"], shared[f"x_{part}"][index])
            np.testing.assert_array_equal(sample[f"y_{part}"], shared[f"y_{part}"][index])


@needs_shared
def test_make_sample_makes_the_same_arrays_again(tmp_path, sample):
    output = tmp_path / "mnist.npz"
    assert make_sample.main(["--source", str(SHARED), "--output", str(output)]) == 0
    with np.load(output) as again:
        assert sorted(again.files) == sorted(sample)
        for key in sample:
            np.testing.assert_array_equal(again[key], sample[key])


def test_first_per_class_keeps_the_first_of_each_class_in_order():
    labels = np.array([3, 0, 3, 1, 2, 0, 4, 5, 6, 7, 8, 9, 1, 3, 9, 2, 4, 5, 6, 7, 8])
    chosen = make_sample.first_per_class(labels, 1)
    assert chosen.tolist() == [0, 1, 3, 4, 6, 7, 8, 9, 10, 11]
    chosen = make_sample.first_per_class(labels, 2)
    assert chosen.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18,
                               19, 20]
    with pytest.raises(ValueError, match="class 0 has 2 examples, 3 wanted"):
        make_sample.first_per_class(labels, 3)


def test_make_sample_writes_reproducible_bytes(tmp_path):
    arrays = make_splits((28, 28), train=40, test=20)
    arrays["y_test"] = (np.arange(20) % 10).astype(np.uint8)  # every class twice
    write_npz(tmp_path / "source.npz", arrays)
    for name in ("first.npz", "second.npz"):
        arguments = ["--source", str(tmp_path / "source.npz"), "--output", str(tmp_path / name),
                     "--train_per_class", "2", "--test_per_class", "1"]
        assert make_sample.main(arguments) == 0
    assert (tmp_path / "first.npz").read_bytes() == (tmp_path / "second.npz").read_bytes()
    with np.load(tmp_path / "first.npz") as made:
        assert made["train_index"].tolist() == list(range(20))
        assert made["test_index"].tolist() == list(range(10))
        np.testing.assert_array_equal(made["x_test"], arrays["x_test"][:10])


# --- when the loaders use it ------------------------------------------------------


def test_no_source_and_a_failed_download_fall_back_on_the_sample(
    tmp_path, monkeypatch, caplog, sample
):
    monkeypatch.setattr(data.sources, "download_with_keras", failing_download)
    with caplog.at_level(logging.WARNING):
        ((x_train, y_train), (x_test, y_test)), source = load_dataset_with_source(
            "mnist", keras_home=tmp_path / "keras", system_dirs=[]
        )
    assert source == {"source": "bundled_sample", "path": str(SAMPLE)}
    np.testing.assert_array_equal(x_train, sample["x_train"])
    np.testing.assert_array_equal(y_test, sample["y_test"])
    assert len(caplog.records) == 1  # one warning line, nothing else
    message = caplog.records[0].getMessage()
    assert "\n" not in message and message.startswith("warning: mnist not found")
    assert "URL fetch failure" in message  # why the download did not help
    assert str(SAMPLE) in message and "6000 training, 1000 test images" in message
    assert "not comparable with full mnist" in message


def test_load_dataset_falls_back_too_and_download_disabled_counts_as_failed(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        (x_train, _), _ = load_dataset("mnist", keras_home=tmp_path, system_dirs=[],
                                       download=False)
    assert x_train.shape == (6000, 28, 28)
    assert re.search(r"not found locally, download disabled; using the sample",
                     caplog.records[0].getMessage())


def test_without_the_sample_nothing_found_is_still_an_error(tmp_path):
    with pytest.raises(DataError, match="mnist not found; looked in"):
        load_dataset_with_source("mnist", keras_home=tmp_path, system_dirs=[],
                                 download=False, bundled_sample=False)


def test_a_copy_without_the_sample_file_says_not_found(tmp_path, monkeypatch):
    monkeypatch.setattr(data.sources, "SAMPLE_FILES", {"mnist": tmp_path / "gone.npz"})
    with pytest.raises(DataError, match="mnist not found; looked in .*download disabled"):
        load_dataset_with_source("mnist", keras_home=tmp_path, system_dirs=[], download=False)


@pytest.mark.parametrize("name", ["fashion_mnist", "cifar10"])
def test_only_mnist_has_a_sample(tmp_path, name, caplog):
    with pytest.raises(DataError, match=f"{name} not found"):
        load_dataset_with_source(name, keras_home=tmp_path, system_dirs=[], download=False)
    assert not caplog.records


@pytest.mark.parametrize("folder", ["missing", "empty"])
def test_an_explicit_data_dir_never_falls_back_on_the_sample(tmp_path, folder, caplog):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=f"data_dir '{tmp_path / folder}'"):
        load_dataset_with_source("mnist", tmp_path / folder)
    assert not caplog.records


def test_the_sample_folder_works_as_a_data_dir():
    ((x_train, _), _), source = load_dataset_with_source("mnist", SAMPLE.parent)
    assert x_train.shape == (6000, 28, 28)
    assert source == {"source": "data_dir", "path": str(SAMPLE.parent)}


# --- the source recorded for every other place ---------------------------------------


def test_source_names_the_data_dir(tmp_path, mnist_arrays):
    write_npz(tmp_path / "given" / "mnist.npz", mnist_arrays)
    _, source = load_dataset_with_source("mnist", tmp_path / "given", download=False)
    assert source == {"source": "data_dir", "path": str(tmp_path / "given")}


def test_source_names_the_system_folder_and_the_keras_cache(tmp_path, mnist_arrays):
    write_idx_set(tmp_path / "system", mnist_arrays, compress=True)
    _, source = load_dataset_with_source("fashion_mnist", system_dirs=[tmp_path / "system"],
                                         download=False)
    assert source == {"source": "system", "path": str(tmp_path / "system")}
    write_npz(tmp_path / "keras" / "datasets" / "mnist.npz", mnist_arrays)
    _, source = load_dataset_with_source("mnist", keras_home=tmp_path / "keras",
                                         system_dirs=[], download=False)
    assert source == {"source": "keras_cache", "path": str(tmp_path / "keras" / "datasets")}


def test_source_of_a_download_has_no_path(tmp_path, monkeypatch, mnist_arrays):
    def download(name):
        arrays = {key: mnist_arrays[key] for key in ("x_train", "y_train", "x_test", "y_test")}
        return arrays, dict.fromkeys(("x_train", "y_train", "x_test", "y_test"), "keras")

    monkeypatch.setattr(data.sources, "download_with_keras", download)
    _, source = load_dataset_with_source("mnist", keras_home=tmp_path, system_dirs=[])
    assert source == {"source": "download", "path": None}
