"""Data sets for the optimizer benchmarks: MNIST, Fashion-MNIST and CIFAR-10 as numpy arrays.

    (x_train, y_train), (x_test, y_test) = load_dataset("mnist", data_dir="~/data")
    arrays, source = load_dataset_with_source("mnist")  # source: {"source": ..., "path": ...}
    (x_train, y_train), (x_val, y_val) = split_validation(x_train, y_train, 0.1, seed=0)
    inputs = preprocess(x_train, "mnist")  # float32 (N, 28, 28, 1) in [0, 1]

When MNIST is found nowhere and cannot be downloaded, the small real sample in
data/sample/ is loaded instead, after one warning. Importing this package imports
numpy only; Keras is imported when a download is needed.
"""

from data.errors import DataError
from data.prepare import (
    CIFAR10_MEAN,
    CIFAR10_STD,
    class_balanced_subset,
    preprocess,
    split_validation,
    validation_count,
)
from data.registry import DATASETS, DatasetInfo, get_dataset_info
from data.sources import load_dataset, load_dataset_with_source

__all__ = [
    "CIFAR10_MEAN",
    "CIFAR10_STD",
    "DATASETS",
    "DataError",
    "DatasetInfo",
    "class_balanced_subset",
    "get_dataset_info",
    "load_dataset",
    "load_dataset_with_source",
    "preprocess",
    "split_validation",
    "validation_count",
]
