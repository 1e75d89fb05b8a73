"""Where the data sets are looked for, in order, and the one entry point that loads them.

Order: the caller's ``data_dir``; system folders (Debian's
``dataset-fashion-mnist`` package); the Keras cache; a download through Keras;
last, for MNIST only, the small sample bundled in ``data/sample/``. The first
place that holds the files wins; a file that is there but unreadable is an
error at once rather than a reason to look further.
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

# A small real sample shipped with the repository, used when nothing else is found
# (see data/sample/README.md).
SAMPLE_FILES: dict[str, Path] = {"mnist": Path(__file__).resolve().parent / "sample" / "mnist.npz"}

# The word a history records for each kind of place in _places().
SOURCE_KINDS = {"system": "system", "Keras cache": "keras_cache"}

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
    bundled_sample: bool = True,
) -> tuple[Split, Split]:
    """:func:`load_dataset_with_source` without the source.

    Returns ``(x_train, y_train), (x_test, y_test)``; same arguments and errors.
    """
    arrays, _ = load_dataset_with_source(
        name, data_dir, download=download, keras_home=keras_home, system_dirs=system_dirs,
        bundled_sample=bundled_sample,
    )
    return arrays


def load_dataset_with_source(
    name: str,
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = True,
    keras_home: str | os.PathLike | None = None,
    system_dirs: Sequence[str | os.PathLike] | None = None,
    bundled_sample: bool = True,
) -> tuple[tuple[Split, Split], dict]:
    """Load data set ``name``: ``((x_train, y_train), (x_test, y_test)), source``.

    Images are uint8, (N, 28, 28) for MNIST and Fashion-MNIST, (N, 32, 32, 3) for
    CIFAR-10; labels are uint8 in 0..9. A ``data_dir`` given is the only place
    looked in (an error if it lacks the files); otherwise looks in
    ``system_dirs`` (default: :data:`SYSTEM_DIRS` for ``name``), then
    ``keras_home``/datasets (default: ``$KERAS_HOME`` or ``~/.keras``), then, if
    ``download``, lets Keras download it. When all of these fail and
    ``bundled_sample`` is true, a data set with a sample in :data:`SAMPLE_FILES`
    (MNIST) is loaded from it, after one warning logged on this module's logger.

    ``source`` is JSON-ready: ``{"source": KIND, "path": PATH}``, KIND one of
    ``data_dir``, ``system``, ``keras_cache``, ``download``, ``bundled_sample``;
    PATH the folder or file read (absolute), None for a download.

    Raises DataError if ``data_dir`` is not a folder, a file found is unreadable or
    invalid, or nothing is found (and there is no sample to fall back on).
    """
    info = get_dataset_info(name)
    if data_dir is not None:
        folder = Path(data_dir).expanduser()
        return _load_from_data_dir(info, folder), _source("data_dir", folder)
    places = _places(name, keras_home, system_dirs)
    found = _load_from_places(info, places)
    if found is not None:
        return found
    outcome, arrays = _try_download(info, download)
    if arrays is not None:
        return arrays, _source("download", None)
    looked_in = "; ".join(f"{folder} ({kind})" for folder, kind in places)
    sample = SAMPLE_FILES.get(name) if bundled_sample else None
    if sample is None or not sample.is_file():  # a copy without data/sample/ has none
        raise DataError(f"{name} not found; looked in {looked_in}; {outcome}; "
                        f"to supply it, {HOW_TO_SUPPLY[name]}")
    return _load_sample(info, sample, outcome)


def _source(kind: str, path: Path | None) -> dict:
    return {"source": kind, "path": None if path is None else str(Path(path).absolute())}


def _load_from_places(info, places):
    """The arrays and source from the first of ``places`` that holds the files, else None."""
    for folder, kind in places:
        reader = find_in_folder(info.name, folder)
        if reader is not None:
            arrays, origins = reader()
            logger.info("loaded %s from %s (%s)", info.name, folder, kind)
            return check_splits(info, arrays, origins), _source(SOURCE_KINDS[kind], folder)
        logger.debug("no %s files in %s (%s); looking further", info.name, folder, kind)
    return None


def _try_download(info, download: bool):
    """``(outcome, arrays)``: arrays None and a word on why when there is no download."""
    if not download:
        return "download disabled", None
    try:
        arrays, origins = download_with_keras(info.name)
    except Exception as error:  # Keras raises bare Exception for URL failures
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return f"download through Keras failed ({reason})", None
    return "downloaded", check_splits(info, arrays, origins)


def _load_sample(info, path: Path, outcome: str):
    """The bundled sample's arrays and source, announced by one warning line."""
    arrays, origins = read_mnist_npz(path)
    (x_train, y_train), (x_test, y_test) = check_splits(info, arrays, origins)
    logger.warning(
        "warning: %s not found locally, %s; using the sample bundled in %s (%d training, "
        "%d test images): results are not comparable with full %s (README, Data: how to "
        "supply it)", info.name, outcome, path, len(y_train), len(y_test), info.name,
    )
    return ((x_train, y_train), (x_test, y_test)), _source("bundled_sample", path)
