"""Build data/sample/mnist.npz, the small MNIST sample that ships with the repository.

    python -m data.sample.make_sample --source ../shared/data/mnist-subset/mnist.npz

Reads a Keras-layout ``mnist.npz`` whose images are the official MNIST files'
first images, in their order, and keeps the first ``--train_per_class`` images
of each digit of the training part and the first ``--test_per_class`` of the
test part, in file order. The output is Keras's ``mnist.npz`` layout (x_train
(N, 28, 28) uint8, y_train (N,) uint8, x_test, y_test) plus ``train_index`` and
``test_index``: each image's position in the source file, which for these
sources is its position in the official files. The zip members carry a fixed
date, so the same source gives the same bytes (see README.md beside this file).
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

OUTPUT = Path(__file__).resolve().parent / "mnist.npz"
TRAIN_PER_CLASS = 600
TEST_PER_CLASS = 100
NUM_CLASSES = 10
FIXED_DATE = (1998, 11, 1, 0, 0, 0)  # MNIST's publication; any constant would do


def first_per_class(labels: np.ndarray, per_class: int) -> np.ndarray:
    """Sorted indices of the first ``per_class`` examples of each class 0..9 in ``labels``.

    Raises ValueError when a class has fewer than ``per_class`` examples.
    """
    chosen = []
    for label in range(NUM_CLASSES):
        positions = np.flatnonzero(labels == label)[:per_class]
        if len(positions) < per_class:
            raise ValueError(f"class {label} has {len(positions)} examples, {per_class} wanted")
        chosen.append(positions)
    return np.sort(np.concatenate(chosen))


def make_sample(source: Path, train_per_class: int, test_per_class: int) -> dict:
    """The sample's arrays, cut from the Keras-layout file ``source``."""
    with np.load(source, allow_pickle=False) as archive:
        train = first_per_class(archive["y_train"], train_per_class)
        test = first_per_class(archive["y_test"], test_per_class)
        return {
            "x_train": archive["x_train"][train], "y_train": archive["y_train"][train],
            "x_test": archive["x_test"][test], "y_test": archive["y_test"][test],
            "train_index": train.astype(np.uint32), "test_index": test.astype(np.uint32),
        }


def write_npz(path: Path, arrays: dict) -> None:
    """``np.savez_compressed``'s format, but with a fixed member date: reproducible bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue(), compresslevel=9)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True,
                        help="a Keras-layout mnist.npz holding the official files' first images")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"default {OUTPUT}")
    parser.add_argument("--train_per_class", type=int, default=TRAIN_PER_CLASS)
    parser.add_argument("--test_per_class", type=int, default=TEST_PER_CLASS)
    arguments = parser.parse_args(argv)
    try:
        arrays = make_sample(arguments.source, arguments.train_per_class,
                             arguments.test_per_class)
    except (OSError, KeyError, ValueError) as error:
        print(f"make_sample: error: {arguments.source}: {error}", file=sys.stderr)
        return 2
    write_npz(arguments.output, arrays)
    print(f"wrote {arguments.output}: {len(arrays['y_train'])} training and "
          f"{len(arrays['y_test'])} test images, {arguments.output.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
