"""Feed model.fit numpy arrays, or a tf.data pipeline? Per-epoch time of each.

Claim under test: on these CPU machines, handing `model.fit` the preprocessed
float32 numpy arrays is as fast as a `tf.data.Dataset.from_tensor_slices(...)
.shuffle().batch().prefetch(AUTOTUNE)` pipeline for a small MNIST convnet: the
input is not the bottleneck either way. (The training loop uses tf.data,
`training/pipeline.py`, because a resumed run needs each epoch's order fixed by
(seed, epoch); `benchmarks/harness_overhead.py` times that loop against a bare
`fit` on arrays.) Both variants shuffle every
epoch with the same batch size; each fit gets a fresh model with the same seed.
The first epoch of every fit (graph tracing) is left out; the variants alternate
over rounds so drift in machine load hits both. Reported: median, mean and
standard deviation of the remaining epoch times, and the ratio of medians.

Model: keras.io's MNIST convnet (conv32-pool-conv64-pool-dropout-dense10, Adam).
Data: synthetic MNIST-shaped uint8 images (speed does not depend on content),
or the real MNIST files from --data_dir; both go through data.preprocess.

    python benchmarks/data_pipeline.py
    python benchmarks/data_pipeline.py --data_dir ../shared/data/mnist-subset

`--load NAME` instead times `data.load_dataset(NAME, --data_dir)` alone (median
of 5 loads: reading, decoding and checking the files), the other half of "is
the data the bottleneck":

    python benchmarks/data_pipeline.py --load mnist --data_dir ../shared/data/mnist-subset
    python benchmarks/data_pipeline.py --load cifar10 --data_dir ../shared/data/cifar10-subset
    python benchmarks/data_pipeline.py --load fashion_mnist    # Debian's package
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import data  # noqa: E402


class EpochTimer(keras.callbacks.Callback):
    """Wall time of every epoch of one fit."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.started)


def build_model(seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def load_images(args) -> tuple[np.ndarray, np.ndarray]:
    """float32 (N, 28, 28, 1) inputs and integer labels, real or synthetic."""
    if args.data_dir:
        (x, y), _ = data.load_dataset("mnist", args.data_dir, download=False)
        x, y = x[: args.images], y[: args.images]
    else:
        rng = np.random.default_rng(args.seed)
        x = rng.integers(0, 256, size=(args.images, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, size=args.images).astype(np.uint8)
    return data.preprocess(x, "mnist"), y.astype(np.int64)


def fit_numpy(x, y, args) -> list[float]:
    timer = EpochTimer()
    build_model(args.seed).fit(x, y, batch_size=args.batch_size, epochs=args.epochs,
                               shuffle=True, verbose=0, callbacks=[timer])
    return timer.times


def fit_tf_data(x, y, args) -> list[float]:
    dataset = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .shuffle(len(x), seed=args.seed, reshuffle_each_iteration=True)
        .batch(args.batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    timer = EpochTimer()
    # The dataset shuffles itself; shuffle=False only stops fit warning that it would not.
    build_model(args.seed).fit(dataset, epochs=args.epochs, shuffle=False, verbose=0,
                               callbacks=[timer])
    return timer.times


VARIANTS = {"numpy arrays": fit_numpy, "tf.data pipeline": fit_tf_data}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", help="folder with mnist.npz or the MNIST IDX files")
    parser.add_argument("--images", type=int, default=12000, help="training images (12000)")
    parser.add_argument("--epochs", type=int, default=4, help="epochs per fit, first dropped (4)")
    parser.add_argument("--rounds", type=int, default=2, help="fits per variant (2)")
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--load", choices=list(data.DATASETS),
                        help="only time load_dataset(LOAD, --data_dir), median of 5")
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch of every fit is dropped")
    return args


def time_loading(name: str, data_dir: str | None, repeats: int = 5) -> int:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        (x, _), (x_test, _) = data.load_dataset(name, data_dir, download=False)
        times.append(time.perf_counter() - started)
    print(f"load_dataset({name!r}, {data_dir!r}): train {x.shape}, test {x_test.shape}, "
          f"median {statistics.median(times):.3f} s over {repeats} loads")
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.load:
        return time_loading(args.load, args.data_dir)
    x, y = load_images(args)
    source = args.data_dir or "synthetic"
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"Python {platform.python_version()}, TensorFlow {tf.__version__}, "
          f"Keras {keras.__version__}, NumPy {np.__version__}")
    print(f"# {len(x)} images ({source}), batch {args.batch_size}, {args.rounds} fits x "
          f"{args.epochs} epochs per variant, first epoch of each fit dropped")
    epoch_times = {name: [] for name in VARIANTS}
    names = list(VARIANTS)
    for round_index in range(args.rounds):
        order = names if round_index % 2 == 0 else names[::-1]
        for name in order:
            times = VARIANTS[name](x, y, args)
            epoch_times[name] += times[1:]
            print(f"round {round_index + 1} {name:17s} epochs: "
                  + " ".join(f"{seconds:.2f}" for seconds in times))
    medians = {}
    for name, times in epoch_times.items():
        medians[name] = statistics.median(times)
        spread = statistics.stdev(times) if len(times) > 1 else 0.0
        print(f"{name:17s} median {medians[name]:.2f} s/epoch, "
              f"mean {statistics.mean(times):.2f} +- {spread:.2f} s (n={len(times)})")
    ratio = medians["tf.data pipeline"] / medians["numpy arrays"]
    print(f"tf.data / numpy epoch time: {ratio:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
