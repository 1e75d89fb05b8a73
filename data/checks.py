"""Validation of loaded arrays against a data set's facts, whatever file they came from."""

import numpy as np

from data.errors import DataError
from data.formats import ROLES
from data.registry import DatasetInfo

Split = tuple[np.ndarray, np.ndarray]


def _check_images(images, role: str, info: DatasetInfo, origin: str) -> None:
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        found = getattr(images, "dtype", type(images).__name__)
        raise DataError(f"{origin}: {role} has dtype {found}, expected uint8 pixels")
    expected = info.stored_shape
    if images.shape[1:] != expected:
        raise DataError(
            f"{origin}: {role} has shape {images.shape}, expected (N, "
            f"{', '.join(map(str, expected))}) for {info.name}"
        )
    if len(images) == 0:
        raise DataError(f"{origin}: {role} holds no images")


def _checked_labels(labels, role: str, info: DatasetInfo, origin: str) -> np.ndarray:
    """The labels as a 1-D uint8 array, once their type and range are right."""
    if not isinstance(labels, np.ndarray) or labels.dtype.kind not in "iu":
        found = getattr(labels, "dtype", type(labels).__name__)
        raise DataError(f"{origin}: {role} has dtype {found}, expected integer labels")
    if labels.ndim != 1:
        raise DataError(f"{origin}: {role} has shape {labels.shape}, expected (N,)")
    if labels.size and (labels.min() < 0 or labels.max() >= info.num_classes):
        raise DataError(
            f"{origin}: {role} has labels from {labels.min()} to {labels.max()}, "
            f"expected 0..{info.num_classes - 1}"
        )
    return labels.astype(np.uint8)


def check_splits(info: DatasetInfo, arrays: dict, origins: dict) -> tuple[Split, Split]:
    """Check the four arrays of ``info``'s data set; return them as two (x, y) pairs.

    Images must be uint8 of the data set's stored shape, labels 1-D integers in
    ``0..num_classes-1`` (returned as uint8), and each split must hold as many
    labels as images. A failure names the file the offending array came from.
    """
    checked = {}
    for role in ROLES:
        if role.startswith("x"):
            _check_images(arrays[role], role, info, origins[role])
            checked[role] = arrays[role]
        else:
            checked[role] = _checked_labels(arrays[role], role, info, origins[role])
    for split in ("train", "test"):
        images, labels = checked[f"x_{split}"], checked[f"y_{split}"]
        if len(images) != len(labels):
            origin = origins[f"x_{split}"]
            if origins[f"y_{split}"] != origin:
                origin = f"{origin} and {origins[f'y_{split}']}"
            raise DataError(
                f"{origin}: {len(images)} {split} images but {len(labels)} {split} labels"
            )
    return (checked["x_train"], checked["y_train"]), (checked["x_test"], checked["y_test"])
