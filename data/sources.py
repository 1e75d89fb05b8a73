"""Where the data sets are looked for, in order, and the one entry point that loads them.

Order: the caller's ``data_dir``; system folders (Debian's
``dataset-fashion-mnist`` package); the Keras cache; a download through Keras.
The first place that holds the files wins; a file that is there but unreadable
is an error at once rather than a reason to look further.
"""

import logging
import os
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from data.checks import Split, check_splits
from data.errors import DataError
from data.formats import (
    CIFAR_ARCHIVE,
    CIFAR_FOLDER,
    CIFAR_TEST_BATCH,
    IDX_FILES,
    ROLES,
    read_cifar_archive,
    read_cifar_folder,
    read_idx_set,
    read_mnist_npz,
)
from data.registry import get_dataset_info

logger = logging.getLogger(__name__)

# Debian's dataset-fashion-mnist installs the four official IDX .gz files here.
SYSTEM_DIRS: dict[str, tuple[Path, ...]] = {
    "fashion_mnist": (Path("/usr/share/datasets/fashion-mnist"),),
}

# Where keras.datasets.<name>.load_data() caches its files, relative to the
# Keras home's datasets/ folder. Keras 3 extracts CIFAR-10 into
# cifar-10-batches-py-target/ (archive: cifar-10-batches-py-target_archive);
# tf.keras 2 used cifar-10-batches-py/ and cifar-10-batches-py.tar.gz.
KERAS_CACHE_SUBDIRS: dict[str, tuple[str, ...]] = {
    "mnist": (".",),
    "fashion_mnist": ("fashion-mnist",),
    "cifar10": ("cifar-10-batches-py-target", "."),
}

NPZ_NAMES = {"mnist": "mnist.npz", "fashion_mnist": "fashion_mnist.npz"}
CIFAR_ARCHIVES = (CIFAR_ARCHIVE, "cifar-10-batches-py.tar.gz", "cifar-10-batches-py-target_archive")

_IDX_LIST = ", ".join(IDX_FILES[role] for role in ROLES)
HOW_TO_SUPPLY = {
    "mnist": f"pass --data_dir DIR with mnist.npz or the four IDX files ({_IDX_LIST}, raw or .gz)",
    "fashion_mnist": (
        "run apt-get install dataset-fashion-mnist, or pass --data_dir DIR with "
        f"fashion_mnist.npz or the four IDX files ({_IDX_LIST}, raw or .gz)"
    ),
    "cifar10": f"pass --data_dir DIR with {CIFAR_ARCHIVE} or its extracted {CIFAR_FOLDER}/",
}

Reader = Callable[[], tuple[dict, dict]]


def default_keras_home() -> Path:
    """``$KERAS_HOME`` if set, else ``~/.keras``: where Keras caches downloads."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()


def _find_idx_set(folder: Path) -> Reader | None:
    """A reader for the four IDX files in ``folder`` (raw or .gz), or None if none is there."""
    paths, missing = {}, []
    for role in ROLES:
        base = IDX_FILES[role]
        found = [folder / name for name in (base, f"{base}.gz") if (folder / name).is_file()]
        if found:
            paths[role] = found[0]
        else:
            missing.append(f"{base}[.gz]")
    if not paths:
        return None
    if missing:
        raise DataError(f"{folder}: incomplete IDX set, missing {', '.join(missing)}")
    return partial(read_idx_set, paths)


def _find_mnist_like(name: str, folder: Path) -> Reader | None:
    npz = folder / NPZ_NAMES[name]
    if npz.is_file():
        return partial(read_mnist_npz, npz)
    return _find_idx_set(folder)


def _find_cifar(folder: Path) -> Reader | None:
    # The folder itself may be the extracted cifar-10-batches-py/.
    for candidate in (folder / CIFAR_FOLDER, folder):
        if (candidate / "data_batch_1").is_file() or (candidate / CIFAR_TEST_BATCH).is_file():
            return partial(read_cifar_folder, candidate)
    for archive_name in CIFAR_ARCHIVES:
        archive = folder / archive_name
        if archive.is_file():
            return partial(read_cifar_archive, archive)
    return None


def find_in_folder(name: str, folder: Path) -> Reader | None:
    """A reader for data set ``name``'s files in ``folder``, or None when they are not there."""
    if not folder.is_dir():
        return None
    return _find_cifar(folder) if name == "cifar10" else _find_mnist_like(name, folder)


def _load_from_data_dir(info, folder: Path) -> tuple[Split, Split]:
    """A folder the user named is the only place looked in: no silent fallback elsewhere."""
    if not folder.is_dir():
        raise DataError(f"data_dir {str(folder)!r} is not an existing directory")
    reader = find_in_folder(info.name, folder)
    if reader is None:
        raise DataError(
            f"data_dir {str(folder)!r} holds no {info.name} files; {HOW_TO_SUPPLY[info.name]}"
        )
    arrays, origins = reader()
    return check_splits(info, arrays, origins)


def _places(name, keras_home, system_dirs) -> list[tuple[Path, str]]:
    """The default folders to search, in order, each with a word on what it is."""
    system = SYSTEM_DIRS.get(name, ()) if system_dirs is None else system_dirs
    places = [(Path(folder), "system") for folder in system]
    home = default_keras_home() if keras_home is None else Path(keras_home).expanduser()
    datasets = home / "datasets"
    places += [
        ((datasets / sub) if sub != "." else datasets, "Keras cache")
        for sub in KERAS_CACHE_SUBDIRS[name]
    ]
    return places


def download_with_keras(name: str):
    """Fetch ``name`` with ``keras.datasets.<name>.load_data()`` (needs the internet).

    Keras (and with it TensorFlow) is imported here only, so that importing the
    data package stays cheap.
    """
    import keras  # here, not at the top: importing Keras starts TensorFlow (~3 s)

    loaders = {
        "mnist": keras.datasets.mnist.load_data,
        "fashion_mnist": keras.datasets.fashion_mnist.load_data,
        "cifar10": keras.datasets.cifar10.load_data,
    }
    (x_train, y_train), (x_test, y_test) = loaders[name]()
    # keras.datasets.cifar10 returns labels as (N, 1); the other loaders as (N,).
    arrays = {"x_train": x_train, "y_train": y_train.reshape(-1),
              "x_test": x_test, "y_test": y_test.reshape(-1)}
    origin = f"keras.datasets.{name}.load_data()"
    return arrays, {role: origin for role in ROLES}


def load_dataset(
    name: str,
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = True,
    keras_home: str | os.PathLike | None = None,
    system_dirs: Sequence[str | os.PathLike] | None = None,
) -> tuple[Split, Split]:
    """Load data set ``name`` as ``(x_train, y_train), (x_test, y_test)`` numpy arrays.

    Images are uint8, (N, 28, 28) for MNIST and Fashion-MNIST, (N, 32, 32, 3) for
    CIFAR-10; labels are uint8 in 0..9. A ``data_dir`` given is the only place
    looked in (an error if it lacks the files); otherwise looks in
    ``system_dirs`` (default: :data:`SYSTEM_DIRS` for ``name``), then
    ``keras_home``/datasets (default: ``$KERAS_HOME`` or ``~/.keras``), then, if
    ``download``, lets Keras download it. Raises DataError if ``data_dir`` is
    not a folder, a file found is unreadable or invalid, or nothing is found.
    """
    info = get_dataset_info(name)
    if data_dir is not None:
        return _load_from_data_dir(info, Path(data_dir).expanduser())
    places = _places(name, keras_home, system_dirs)
    for folder, kind in places:
        reader = find_in_folder(name, folder)
        if reader is not None:
            arrays, origins = reader()
            logger.info("loaded %s from %s (%s)", name, folder, kind)
            return check_splits(info, arrays, origins)
        logger.debug("no %s files in %s (%s); looking further", name, folder, kind)
    looked_in = "; ".join(f"{folder} ({kind})" for folder, kind in places)
    if not download:
        outcome = "download disabled"
    else:
        try:
            arrays, origins = download_with_keras(name)
        except Exception as error:  # Keras raises bare Exception for URL failures
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
            outcome = f"download through Keras failed ({reason})"
        else:
            return check_splits(info, arrays, origins)
    raise DataError(
        f"{name} not found; looked in {looked_in}; {outcome}; to supply it, {HOW_TO_SUPPLY[name]}"
    )
