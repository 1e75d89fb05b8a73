"""Writers for small files in the data sets' real formats, for the data tests.

They follow the published format descriptions, not the package's readers:
IDX (big-endian magic 0x00000803 for images, 0x00000801 for labels, then one
uint32 per dimension, then the bytes), Keras's mnist.npz, and the CIFAR-10 python
batches (a pickled dict whose b'data' rows are the R, G, B planes one after another).
"""

import gzip
import io
import pickle
import struct
import tarfile

import numpy as np

IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
CIFAR_BATCHES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5")


def make_splits(image_shape, train=30, test=20, seed=0):
    """Random uint8 images and labels 0..9 (every class present in the training part)."""
    rng = np.random.default_rng(seed)
    x_train = rng.integers(0, 256, size=(train, *image_shape), dtype=np.uint8)
    x_test = rng.integers(0, 256, size=(test, *image_shape), dtype=np.uint8)
    y_train = (np.arange(train) % 10).astype(np.uint8)
    y_test = rng.integers(0, 10, size=test).astype(np.uint8)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension


def idx_bytes(array, magic=None):
    """An IDX file's content: magic number, one big-endian uint32 per dimension, the bytes."""
    array = np.asarray(array, dtype=np.uint8)
    if magic is None:
        magic = {3: IMAGES_MAGIC, 1: LABELS_MAGIC}[array.ndim]
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_idx_set(folder, arrays, compress):
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for role, base in IDX_NAMES.items():
        content = idx_bytes(arrays[role])
        path = folder / (base + ".gz" if compress else base)
        path.write_bytes(gzip.compress(content) if compress else content)
        paths[role] = path
    return paths


def write_npz(path, arrays):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:  # np.savez would append .npz to some names
        np.savez(handle, **arrays)
    return path


def cifar_rows(images):
    """(N, 32, 32, 3) images as CIFAR rows: 1024 red values, 1024 green, 1024 blue."""
    return np.stack([
        np.concatenate([image[:, :, channel].ravel() for channel in range(3)])
        for image in images
    ]).astype(np.uint8)


def cifar_batch_bytes(images, labels, protocol=2):
    batch = {
        b"batch_label": b"a test batch",
        b"labels": [int(label) for label in labels],
        b"data": cifar_rows(images),
        b"filenames": [f"image_{index}.png".encode() for index in range(len(labels))],
    }
    return pickle.dumps(batch, protocol=protocol)


def cifar_members(arrays, protocol=2):
    """File name -> bytes for the six batches (training images spread over five)."""
    members = {}
    train_parts = np.array_split(np.arange(len(arrays["y_train"])), len(CIFAR_BATCHES))
    for name, part in zip(CIFAR_BATCHES, train_parts, strict=True):
        images, labels = arrays["x_train"][part], arrays["y_train"][part]
        members[name] = cifar_batch_bytes(images, labels, protocol)
    members["test_batch"] = cifar_batch_bytes(arrays["x_test"], arrays["y_test"], protocol)
    members["batches.meta"] = pickle.dumps({b"num_cases_per_batch": 10000}, protocol=2)
    return members


def write_cifar_folder(parent, members):
    folder = parent / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in members.items():
        (folder / name).write_bytes(content)
    return folder


def write_cifar_archive(path, members):
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        folder = tarfile.TarInfo("cifar-10-batches-py")
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)
        for name, content in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return path
