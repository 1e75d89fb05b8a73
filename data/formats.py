"""Readers for the files the data sets ship in; each returns arrays and where they came from.

Every reader returns ``(arrays, origins)``: two dicts keyed by the four roles of
:data:`ROLES`, holding the raw arrays and the file each was read from, so that
:func:`data.checks.check_splits` can name the right file. Anything unreadable
(a bad magic number, a truncated gzip, a broken zip or pickle) is one
:class:`~data.errors.DataError` naming the file. Nothing is extracted to disk.
"""

import gzip
import tarfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from data.errors import DataError
from data.pickles import load_restricted

ROLES = ("x_train", "y_train", "x_test", "y_test")

# Keras's mnist.npz holds one array per role, under the role's name.
NPZ_KEYS = ROLES

# The official IDX file names (each found raw or with a .gz suffix).
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

CIFAR_FOLDER = "cifar-10-batches-py"
CIFAR_ARCHIVE = "cifar-10-python.tar.gz"
CIFAR_TRAIN_BATCHES = tuple(f"data_batch_{index}" for index in range(1, 6))
CIFAR_TEST_BATCH = "test_batch"

_GZIP_MAGIC = b"\x1f\x8b"
_IDX_UBYTE = 0x08  # the IDX type code for unsigned bytes, the only one images use
_CIFAR_SIDE = 32
_CIFAR_VALUES = 3 * _CIFAR_SIDE * _CIFAR_SIDE  # one R, G, B plane after another


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def read_mnist_npz(path: Path):
    """Read a Keras ``mnist.npz``-layout file (x_train, y_train, x_test, y_test)."""
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):  # np.load also reads .npy files
            raise DataError(f"{path}: a single .npy array, not an .npz archive")
        with archive:
            missing = [key for key in NPZ_KEYS if key not in archive.files]
            if missing:
                raise DataError(
                    f"{path}: missing array(s) {', '.join(missing)}; "
                    f"an mnist.npz file holds {', '.join(NPZ_KEYS)}"
                )
            arrays = {key: archive[key] for key in NPZ_KEYS}
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise DataError(f"{path}: not a readable .npz file ({_first_line(error)})") from error
    return arrays, {role: str(path) for role in ROLES}


def _read_maybe_gzipped(path: Path) -> bytes:
    """The file's bytes, decompressed when it is gzip (told by content, not by name)."""
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if raw.startswith(_GZIP_MAGIC) else raw
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path}: not a readable gzip file ({_first_line(error)})") from error


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """Read one IDX file of unsigned bytes with ``ndim`` dimensions (3: images, 1: labels).

    The header is the magic number ``0x000008NN`` (NN = ``ndim``) and then ``ndim``
    big-endian uint32 sizes; the data that follows must fill them exactly.
    """
    content = _read_maybe_gzipped(path)
    expected_magic = (_IDX_UBYTE << 8) | ndim
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise DataError(f"{path}: truncated IDX file ({len(content)} bytes, no full header)")
    magic = int.from_bytes(content[:4], "big")
    if magic != expected_magic:
        kind = "images" if ndim == 3 else "labels"
        raise DataError(
            f"{path}: not an IDX {kind} file "
            f"(magic number 0x{magic:08x}, expected 0x{expected_magic:08x})"
        )
    shape = tuple(int(size) for size in np.frombuffer(content, ">u4", ndim, offset=4))
    expected_bytes = int(np.prod(shape))
    found_bytes = len(content) - header_size
    if found_bytes != expected_bytes:
        problem = "truncated" if found_bytes < expected_bytes else "has trailing bytes"
        raise DataError(
            f"{path}: IDX file {problem} (header says {'x'.join(map(str, shape))} = "
            f"{expected_bytes} bytes of data, found {found_bytes})"
        )
    return np.frombuffer(content, np.uint8, offset=header_size).reshape(shape).copy()


def read_idx_set(paths: dict[str, Path]):
    """Read the four IDX files given by role (see :data:`IDX_FILES`)."""
    arrays = {role: read_idx(paths[role], 3 if role.startswith("x") else 1) for role in ROLES}
    return arrays, {role: str(paths[role]) for role in ROLES}


def _cifar_batch(raw: bytes, source: str):
    """Decode one CIFAR-10 python batch into (N, 32, 32, 3) uint8 images and labels."""
    batch = load_restricted(raw, source)
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise DataError(
            f"{source}: not a CIFAR-10 batch (expected a dict with b'data' and b'labels')"
        )
    images, labels = batch[b"data"], batch[b"labels"]
    is_pixels = isinstance(images, np.ndarray) and images.dtype == np.uint8
    if not is_pixels or images.ndim != 2 or images.shape[1] != _CIFAR_VALUES:
        found = f"{getattr(images, 'dtype', type(images).__name__)} {np.shape(images)}"
        raise DataError(f"{source}: b'data' is {found}, expected uint8 (N, {_CIFAR_VALUES})")
    if not isinstance(labels, list | np.ndarray) or not all(
        isinstance(label, int | np.integer) for label in labels
    ):
        raise DataError(f"{source}: b'labels' must be a list of integers")
    # Each row is the red plane, then green, then blue, each 32x32 row-major;
    # moving the plane axis last gives Keras's channels-last layout.
    images = images.reshape(-1, 3, _CIFAR_SIDE, _CIFAR_SIDE).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), np.asarray(labels, dtype=np.int64)


def _cifar_from_raw(raw_batches: dict[str, bytes], origin: str):
    """Assemble train (five batches) and test arrays from the batches' bytes."""
    train = [_cifar_batch(raw_batches[name], f"{origin}/{name}") for name in CIFAR_TRAIN_BATCHES]
    x_test, y_test = _cifar_batch(raw_batches[CIFAR_TEST_BATCH], f"{origin}/{CIFAR_TEST_BATCH}")
    arrays = {
        "x_train": np.concatenate([images for images, _ in train]),
        "y_train": np.concatenate([labels for _, labels in train]),
        "x_test": x_test,
        "y_test": y_test,
    }
    train_origin = f"{origin}/data_batch_1..5"
    test_origin = f"{origin}/{CIFAR_TEST_BATCH}"
    origins = {"x_train": train_origin, "y_train": train_origin,
               "x_test": test_origin, "y_test": test_origin}
    return arrays, origins


def read_cifar_folder(folder: Path):
    """Read an extracted ``cifar-10-batches-py/`` folder."""
    names = (*CIFAR_TRAIN_BATCHES, CIFAR_TEST_BATCH)
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise DataError(f"{folder}: incomplete CIFAR-10 folder, missing {', '.join(missing)}")
    try:
        raw_batches = {name: (folder / name).read_bytes() for name in names}
    except OSError as error:
        raise DataError(f"{folder}: cannot read CIFAR-10 batch ({_first_line(error)})") from error
    return _cifar_from_raw(raw_batches, str(folder))


def read_cifar_archive(path: Path):
    """Read ``cifar-10-python.tar.gz`` member by member, in one pass, without extracting."""
    wanted = {f"{CIFAR_FOLDER}/{name}": name for name in (*CIFAR_TRAIN_BATCHES, CIFAR_TEST_BATCH)}
    raw_batches: dict[str, bytes] = {}
    try:
        # Stream mode ("r|*") reads the compressed file once, front to back.
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                name = wanted.get(member.name.removeprefix("./"))
                if name is not None and member.isfile():
                    raw_batches[name] = archive.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path}: not a readable tar archive ({_first_line(error)})") from error
    missing = [member for member, name in wanted.items() if name not in raw_batches]
    if missing:
        raise DataError(f"{path}: incomplete CIFAR-10 archive, missing {', '.join(missing)}")
    return _cifar_from_raw(raw_batches, str(path))
