"""Pure numpy steps between loading and training: split, subset, scale.

All functions return new arrays and leave their inputs untouched; the random
ones draw from ``numpy.random.default_rng(seed)`` only, so a seed fixes them.
"""

import math
from numbers import Integral, Real

import numpy as np

from data.errors import DataError
from data.registry import get_dataset_info

# CIFAR-10 training-set statistics per channel (R, G, B) of pixels scaled to
# [0, 1], over all 50,000 training images: means 125.31, 122.95, 113.87 of 255
# (R. Decal, "Use these normalization values for torchvision datasets") and
# standard deviations over all pixels as in E. Stevens, L. Antiga, T. Viehmann,
# "Deep Learning with PyTorch" (2020), sec. 7.1.4. Not (0.2023, 0.1994, 0.2010),
# which is the mean of per-image standard deviations.
CIFAR10_MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)
CIFAR10_STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32)

_CHANNEL_STATS = {"cifar10": (CIFAR10_MEAN, CIFAR10_STD)}


def _check_pair(x, y) -> None:
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray) or y.ndim != 1:
        raise DataError("expected numpy arrays x (N, ...) and y (N,)")
    if len(x) != len(y):
        raise DataError(f"x holds {len(x)} images but y holds {len(y)} labels")


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that add up to ``total`` (Hamilton's method)."""
    ideal = weights * (total / weights.sum())
    quotas = np.floor(ideal).astype(np.int64)
    shortfall = total - int(quotas.sum())
    # Stable sort: equal remainders go to the lower class index first.
    order = np.argsort(-(ideal - quotas), kind="stable")
    quotas[order[:shortfall]] += 1
    return quotas


def _pick_per_class(y, quotas: dict, rng) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``quotas[c]`` random images of each class c, and of all the rest."""
    chosen, rest = [], []
    for label, quota in quotas.items():
        indices = rng.permutation(np.flatnonzero(y == label))
        chosen.append(indices[:quota])
        rest.append(indices[quota:])
    # Shuffle across classes so neither part comes out sorted by label.
    return rng.permutation(np.concatenate(chosen)), rng.permutation(np.concatenate(rest))


def validation_count(images: int, fraction: float) -> int:
    """How many of `images` a validation `fraction` holds out: ``round(fraction * images)``.

    Raises DataError unless `fraction` is a number in (0, 1) that leaves at least one
    image for validation and one for training.
    """
    is_number = isinstance(fraction, Real) and not isinstance(fraction, bool)
    if not is_number or not math.isfinite(fraction) or not 0 < fraction < 1:
        raise DataError(
            f"validation fraction must be a number strictly between 0 and 1, got {fraction!r}"
        )
    count = round(fraction * images)
    if not 1 <= count < images:
        raise DataError(
            f"validation fraction {fraction} of {images} images leaves {count} for "
            f"validation and {images - count} for training; both need at least 1"
        )
    return count


def split_validation(x: np.ndarray, y: np.ndarray, fraction: float, seed: int):
    """Split off ``round(fraction * N)`` images for validation, stratified by class.

    Returns ``(x_train, y_train), (x_val, y_val)``; together they hold every
    image exactly once, each class is split in (nearly) the same proportion,
    and both parts come out in a shuffled order fixed by ``seed``.
    """
    _check_pair(x, y)
    val_count = validation_count(len(y), fraction)
    labels, counts = np.unique(y, return_counts=True)
    quotas = dict(zip(labels.tolist(), _largest_remainder(counts, val_count).tolist(), strict=True))
    val_index, train_index = _pick_per_class(y, quotas, np.random.default_rng(seed))
    return (x[train_index], y[train_index]), (x[val_index], y[val_index])


def _balanced_quotas(counts: np.ndarray, total: int) -> np.ndarray:
    """Per-class counts adding up to ``total``, as equal as the class sizes allow.

    Classes are filled smallest first, each with an equal share of what is left
    or all it has if that is less. The shares never shrink along the way, so the
    largest class takes the last remainder and ``total <= counts.sum()`` is met.
    """
    quotas = np.zeros_like(counts)
    remaining = total
    order = np.argsort(counts, kind="stable")
    for position, index in enumerate(order):
        share = remaining // (len(order) - position)
        quotas[index] = min(counts[index], share)
        remaining -= int(quotas[index])
    return quotas


def class_balanced_subset(x: np.ndarray, y: np.ndarray, n: int, seed: int):
    """Draw ``n`` images with the classes as equally represented as the data allows.

    Returns ``(x_subset, y_subset)`` in a shuffled order fixed by ``seed``.
    """
    _check_pair(x, y)
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise DataError(f"subset size must be a positive integer, got {n!r}")
    if n > len(y):
        raise DataError(f"subset of {n} images requested but only {len(y)} are available")
    labels, counts = np.unique(y, return_counts=True)
    quotas = dict(zip(labels.tolist(), _balanced_quotas(counts, int(n)).tolist(), strict=True))
    index, _ = _pick_per_class(y, quotas, np.random.default_rng(seed))
    return x[index], y[index]


def preprocess(x: np.ndarray, dataset_name: str) -> np.ndarray:
    """Scale uint8 images to float32 model inputs; the one place pixel scaling happens.

    MNIST and Fashion-MNIST: ``x / 255`` in [0, 1] with a channel axis added,
    (N, 28, 28) -> (N, 28, 28, 1). CIFAR-10: ``(x / 255 - CIFAR10_MEAN) / CIFAR10_STD``
    per channel, (N, 32, 32, 3). Only uint8 input is accepted, so images can't be
    scaled twice.
    """
    info = get_dataset_info(dataset_name)
    if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.shape[1:] != info.stored_shape:
        found = f"{getattr(x, 'dtype', type(x).__name__)} {np.shape(x)}"
        expected = ", ".join(map(str, info.stored_shape))
        raise DataError(
            f"preprocess({dataset_name!r}) needs uint8 images (N, {expected}), got {found}"
        )
    scaled = x.astype(np.float32)
    scaled /= 255.0
    if dataset_name in _CHANNEL_STATS:
        mean, std = _CHANNEL_STATS[dataset_name]
        scaled -= mean
        scaled /= std
    return scaled.reshape(len(x), *info.image_shape)
