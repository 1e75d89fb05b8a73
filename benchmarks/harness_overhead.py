"""Does train_model.py's loop cost anything over a bare `model.fit`?

Claim: the harness (history and checkpoint writing every epoch, the
resumable (seed, epoch)-ordered input pipeline, timing, divergence check)
adds at most 5% to an epoch. Measured as the median epoch time of
`training.runner.run_one` divided by that of a bare `model.fit` on the same
model, optimizer and data, alternating the two in one process, the first
(tracing) epoch of every fit left out. Also times `train_model.py --help`,
which must answer without importing TensorFlow.

    python benchmarks/harness_overhead.py --data_dir ../shared/data/mnist-subset
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import models  # noqa: E402
import optimizers  # noqa: E402
from analysis import run_config  # noqa: E402
from training import runner  # noqa: E402


def help_time(repeats: int) -> float:
    """Median wall time of `python train_model.py --help` in a fresh interpreter."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "train_model.py", "--help"], cwd=ROOT, check=True,
                       capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


class EpochTimer(keras.callbacks.Callback):
    """Epoch times of a bare fit, validation included."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.started)


def synthetic_mnist(folder: Path, count: int) -> str:
    """A folder holding an mnist.npz of random images (the loop's cost does not depend on them)."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (count + 1000, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, count + 1000, dtype=np.uint8)
    np.savez(folder / "mnist.npz", x_train=x[:count], y_train=y[:count], x_test=x[count:],
             y_test=y[count:])
    return str(folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data_dir", help="real MNIST (mnist.npz); synthetic if not given")
    parser.add_argument("--subset", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--optimizer", default="adam")
    arguments = parser.parse_args()

    help_seconds = help_time(5)
    harness, bare = [], []
    with tempfile.TemporaryDirectory() as folder:
        data_dir = arguments.data_dir or synthetic_mnist(Path(folder), arguments.subset)
        arrays = runner.load_arrays("mnist", data_dir)  # the arrays run_one uses (cached)
        config = run_config.from_flat({
            "dataset": "mnist", "model": "cnn", "optimizer": arguments.optimizer,
            "optimizer_config": optimizers.hyperparameters(arguments.optimizer),
            "epochs": arguments.epochs, "batch_size": 64, "seed": 0,
            "subset": arguments.subset, "validation_split": 0.1, "init": "he",
            "divergence_threshold": None, "data_dir": data_dir})
        for round_number in range(arguments.rounds):
            spec = {"config": config, "folder": str(Path(folder) / f"round{round_number}"),
                    "runtime": {"device": "cpu", "verbose": 2}}
            record = runner.run_one(spec)["history"]
            harness += [train + evaluation for train, evaluation
                        in zip(record["train_time_s"][1:], record["eval_time_s"][1:],
                               strict=True)]

            keras.backend.clear_session()
            keras.utils.set_random_seed(0)
            tf.config.experimental.enable_op_determinism()
            (x_train, y_train), validation = runner.split_for_run(arrays, config)
            model = models.build_model("cnn", (28, 28, 1), 10, "he")
            model.compile(optimizer=optimizers.get(arguments.optimizer),
                          loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                          jit_compile=False)
            timer = EpochTimer()
            model.fit(x_train, y_train, validation_data=validation, epochs=arguments.epochs,
                      batch_size=64, shuffle=True, verbose=2, callbacks=[timer])
            bare += timer.times[1:]

    harness_median, bare_median = statistics.median(harness), statistics.median(bare)
    print(f"\n# Harness overhead ({os.cpu_count()} CPUs, TensorFlow {tf.__version__}, "
          f"Keras {keras.__version__}, Python {sys.version.split()[0]})")
    print(f"# cnn, {arguments.optimizer}, batch 64, {arguments.subset} images, "
          f"{arguments.rounds} rounds x {arguments.epochs - 1} timed epochs each\n")
    print("| measure | value |\n| --- | --- |")
    print(f"| epoch, train_model.py loop (median) | {harness_median:.2f} s |")
    print(f"| epoch, bare model.fit (median) | {bare_median:.2f} s |")
    print(f"| ratio | {harness_median / bare_median:.3f} |")
    print(f"| `python train_model.py --help` (median of 5) | {help_seconds:.2f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
