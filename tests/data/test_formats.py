"""Each file format, written here in its real layout, read back through load_dataset."""

import gzip
import os
import pickle

import numpy as np
import pytest

from data import DataError, load_dataset
from tests.data.writers import (
    IDX_NAMES,
    cifar_batch_bytes,
    cifar_members,
    idx_bytes,
    write_cifar_archive,
    write_cifar_folder,
    write_idx_set,
    write_npz,
)


def assert_same(loaded, arrays):
    (x_train, y_train), (x_test, y_test) = loaded
    for role, array in zip(("x_train", "y_train", "x_test", "y_test"),
                           (x_train, y_train, x_test, y_test), strict=True):
        assert array.dtype == np.uint8, role
        np.testing.assert_array_equal(array, arrays[role], err_msg=role)


def assert_one_line_naming(error, *names):
    message = str(error)
    assert "\n" not in message
    for name in names:
        assert str(name) in message


# --- MNIST-likes: npz and IDX --------------------------------------------------


def test_mnist_npz(tmp_path, mnist_arrays):
    write_npz(tmp_path / "mnist.npz", mnist_arrays)
    assert_same(load_dataset("mnist", tmp_path, download=False), mnist_arrays)


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_idx_files(tmp_path, mnist_arrays, name, compress):
    write_idx_set(tmp_path, mnist_arrays, compress)
    assert_same(load_dataset(name, tmp_path, download=False), mnist_arrays)


def test_idx_files_mixing_raw_and_gz(tmp_path, mnist_arrays):
    paths = write_idx_set(tmp_path, mnist_arrays, compress=True)
    raw = gzip.decompress(paths["y_test"].read_bytes())
    paths["y_test"].unlink()
    (tmp_path / IDX_NAMES["y_test"]).write_bytes(raw)
    assert_same(load_dataset("mnist", tmp_path, download=False), mnist_arrays)


def test_idx_pixel_order_is_row_major(tmp_path, mnist_arrays):
    image = np.arange(28 * 28, dtype=np.int64).reshape(28, 28) % 256
    arrays = dict(mnist_arrays, x_train=np.repeat(image[None], 30, axis=0).astype(np.uint8))
    write_idx_set(tmp_path, arrays, compress=False)
    (x_train, _), _ = load_dataset("mnist", tmp_path, download=False)
    assert x_train[0, 0, 5] == 5 and x_train[0, 1, 0] == 28
    assert x_train[0, 9, 3] == (9 * 28 + 3) % 256


def test_truncated_gzip_names_the_file(tmp_path, mnist_arrays):
    paths = write_idx_set(tmp_path, mnist_arrays, compress=True)
    content = paths["x_train"].read_bytes()
    paths["x_train"].write_bytes(content[: len(content) // 2])
    with pytest.raises(DataError) as caught:
        load_dataset("mnist", tmp_path, download=False)
    assert_one_line_naming(caught.value, paths["x_train"])


def test_truncated_raw_idx_names_the_file(tmp_path, mnist_arrays):
    paths = write_idx_set(tmp_path, mnist_arrays, compress=False)
    content = paths["x_test"].read_bytes()
    paths["x_test"].write_bytes(content[:-100])
    with pytest.raises(DataError, match="truncated") as caught:
        load_dataset("mnist", tmp_path, download=False)
    assert_one_line_naming(caught.value, paths["x_test"])


@pytest.mark.parametrize("magic", [0x00000801, 0x00000804, 0x00000903, 0x03080000])
def test_wrong_magic_number_names_the_file(tmp_path, mnist_arrays, magic):
    paths = write_idx_set(tmp_path, mnist_arrays, compress=False)
    paths["x_train"].write_bytes(idx_bytes(mnist_arrays["x_train"], magic=magic))
    with pytest.raises(DataError, match="magic number") as caught:
        load_dataset("mnist", tmp_path, download=False)
    assert_one_line_naming(caught.value, paths["x_train"], f"0x{magic:08x}")


def test_labels_file_in_place_of_images_is_refused(tmp_path, mnist_arrays):
    paths = write_idx_set(tmp_path, mnist_arrays, compress=True)
    paths["x_test"].write_bytes(paths["y_test"].read_bytes())
    with pytest.raises(DataError, match="0x00000801") as caught:
        load_dataset("mnist", tmp_path, download=False)
    assert_one_line_naming(caught.value, paths["x_test"])


def test_incomplete_idx_set_names_the_missing_file(tmp_path, mnist_arrays):
    paths = write_idx_set(tmp_path, mnist_arrays, compress=True)
    paths["y_train"].unlink()
    with pytest.raises(DataError) as caught:
        load_dataset("fashion_mnist", tmp_path, download=False)
    assert_one_line_naming(caught.value, tmp_path, IDX_NAMES["y_train"])


def test_not_an_npz_names_the_file(tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"this is not a zip archive" * 10)
    with pytest.raises(DataError) as caught:
        load_dataset("mnist", tmp_path, download=False)
    assert_one_line_naming(caught.value, tmp_path / "mnist.npz")


def test_npy_in_place_of_npz_names_the_file(tmp_path):
    with open(tmp_path / "mnist.npz", "wb") as handle:
        np.save(handle, np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(DataError, match="npz") as caught:
        load_dataset("mnist", tmp_path, download=False)
    assert_one_line_naming(caught.value, tmp_path / "mnist.npz")


def test_idx_with_trailing_bytes_names_the_file(tmp_path, mnist_arrays):
    paths = write_idx_set(tmp_path, mnist_arrays, compress=False)
    paths["y_train"].write_bytes(paths["y_train"].read_bytes() + b"\x00")
    with pytest.raises(DataError, match="trailing") as caught:
        load_dataset("mnist", tmp_path, download=False)
    assert_one_line_naming(caught.value, paths["y_train"])


def test_truncated_npz_names_the_file(tmp_path, mnist_arrays):
    path = write_npz(tmp_path / "mnist.npz", mnist_arrays)
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(DataError) as caught:
        load_dataset("mnist", tmp_path, download=False)
    assert_one_line_naming(caught.value, path)


def test_npz_missing_an_array_names_it(tmp_path, mnist_arrays):
    arrays = {key: value for key, value in mnist_arrays.items() if key != "y_test"}
    path = write_npz(tmp_path / "mnist.npz", arrays)
    with pytest.raises(DataError, match="y_test") as caught:
        load_dataset("mnist", tmp_path, download=False)
    assert_one_line_naming(caught.value, path)


# --- contents checked on load --------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda a: dict(a, x_train=a["x_train"].astype(np.float32)), "uint8"),
        (lambda a: dict(a, x_test=np.zeros((20, 32, 32), np.uint8)), "x_test"),
        (lambda a: dict(a, y_train=np.full(30, 10, np.uint8)), "0..9"),
        (lambda a: dict(a, y_test=-np.ones(20, np.int64)), "0..9"),
        (lambda a: dict(a, y_test=np.zeros(20, np.float64)), "integer"),
        (lambda a: dict(a, y_train=np.zeros(29, np.uint8)), "30 train images but 29"),
        (lambda a: dict(a, y_test=np.zeros((20, 2), np.uint8)), "y_test"),
    ],
    ids=["float-images", "test-shape", "label-10", "label-negative", "float-labels",
         "count-mismatch", "2d-labels"],
)
def test_npz_contents_are_checked(tmp_path, mnist_arrays, change, expected):
    path = write_npz(tmp_path / "mnist.npz", change(mnist_arrays))
    with pytest.raises(DataError, match=expected) as caught:
        load_dataset("mnist", tmp_path, download=False)
    assert_one_line_naming(caught.value, path)


def test_idx_count_mismatch_names_both_files(tmp_path, mnist_arrays):
    arrays = dict(mnist_arrays, y_test=mnist_arrays["y_test"][:-1])
    paths = write_idx_set(tmp_path, arrays, compress=False)
    with pytest.raises(DataError) as caught:
        load_dataset("mnist", tmp_path, download=False)
    assert_one_line_naming(caught.value, paths["x_test"], paths["y_test"])


# --- CIFAR-10 python batches ---------------------------------------------------


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
@pytest.mark.parametrize("layout", ["folder", "archive", "folder-itself"])
def test_cifar(tmp_path, cifar_arrays, layout, protocol):
    members = cifar_members(cifar_arrays, protocol)
    if layout == "archive":
        write_cifar_archive(tmp_path / "cifar-10-python.tar.gz", members)
        data_dir = tmp_path
    else:
        folder = write_cifar_folder(tmp_path, members)
        data_dir = folder if layout == "folder-itself" else tmp_path
    assert_same(load_dataset("cifar10", data_dir, download=False), cifar_arrays)


def test_cifar_rows_are_red_green_blue_planes(tmp_path, cifar_arrays):
    row = (np.arange(3072) % 251).astype(np.uint8)  # every value tells its position
    members = cifar_members(cifar_arrays)
    batch = {b"data": np.tile(row, (3, 1)), b"labels": [0, 1, 2]}
    members["test_batch"] = pickle.dumps(batch, protocol=2)
    write_cifar_folder(tmp_path, members)
    _, (x_test, _) = load_dataset("cifar10", tmp_path, download=False)
    assert x_test.shape == (3, 32, 32, 3)
    for row_index, column, channel in [(0, 0, 0), (0, 1, 1), (5, 7, 2), (31, 31, 2)]:
        position = channel * 1024 + row_index * 32 + column
        assert x_test[2, row_index, column, channel] == position % 251


def test_cifar_archive_read_without_extracting(tmp_path, cifar_arrays):
    archive = write_cifar_archive(tmp_path / "cifar-10-python.tar.gz", cifar_members(cifar_arrays))
    load_dataset("cifar10", tmp_path, download=False)
    assert sorted(os.listdir(tmp_path)) == [archive.name]


def test_truncated_cifar_archive_names_it(tmp_path, cifar_arrays):
    archive = write_cifar_archive(tmp_path / "cifar-10-python.tar.gz", cifar_members(cifar_arrays))
    archive.write_bytes(archive.read_bytes()[:5000])
    with pytest.raises(DataError) as caught:
        load_dataset("cifar10", tmp_path, download=False)
    assert_one_line_naming(caught.value, archive)


def test_cifar_archive_missing_a_batch_names_it(tmp_path, cifar_arrays):
    members = cifar_members(cifar_arrays)
    del members["data_batch_4"]
    archive = write_cifar_archive(tmp_path / "cifar-10-python.tar.gz", members)
    with pytest.raises(DataError, match="data_batch_4") as caught:
        load_dataset("cifar10", tmp_path, download=False)
    assert_one_line_naming(caught.value, archive)


def test_cifar_folder_missing_a_batch_names_it(tmp_path, cifar_arrays):
    members = cifar_members(cifar_arrays)
    del members["test_batch"]
    folder = write_cifar_folder(tmp_path, members)
    with pytest.raises(DataError, match="test_batch") as caught:
        load_dataset("cifar10", tmp_path, download=False)
    assert_one_line_naming(caught.value, folder)


@pytest.mark.parametrize(
    "content",
    [
        b"not a pickle at all",
        pickle.dumps([1, 2, 3], protocol=2),
        pickle.dumps({b"data": np.zeros((2, 3072), np.float32), b"labels": [0, 1]}, protocol=2),
        pickle.dumps({b"data": np.zeros((2, 1024), np.uint8), b"labels": [0, 1]}, protocol=2),
        pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": ["a", "b"]}, protocol=2),
        pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 1]})[:-40],
    ],
    ids=["garbage", "list", "float-data", "short-rows", "text-labels", "truncated"],
)
def test_bad_cifar_batch_names_the_file(tmp_path, cifar_arrays, content):
    members = cifar_members(cifar_arrays)
    members["data_batch_2"] = content
    folder = write_cifar_folder(tmp_path, members)
    with pytest.raises(DataError) as caught:
        load_dataset("cifar10", tmp_path, download=False)
    assert_one_line_naming(caught.value, folder / "data_batch_2")


def test_cifar_labels_out_of_range(tmp_path, cifar_arrays):
    members = cifar_members(cifar_arrays)
    members["test_batch"] = cifar_batch_bytes(cifar_arrays["x_test"][:2], [3, 10])
    write_cifar_folder(tmp_path, members)
    with pytest.raises(DataError, match="0..9") as caught:
        load_dataset("cifar10", tmp_path, download=False)
    assert_one_line_naming(caught.value, "test_batch")
