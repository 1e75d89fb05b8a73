"""Per-step cost of our optimizers against the Keras built-ins.

Claim: each registered optimizer whose record names a Keras built-in
(`optimizers.RECORDS`, `keras_builtin` and `keras_arguments`) trains the
default MNIST CNN (batch 64, CPU) at the speed of that built-in: median step
time ours / built-in <= 1.03 for every one. Schedule-Free AdamW, whose Keras
class computes another rule on TensorFlow with the same operations, is timed
against that class (`TIMED_AGAINST`).

Method: for each optimizer, two identical models (`models.build_model("cnn")`
when the models package is importable, else an equivalent convnet defined
here), one compiled with our class and one with the built-in. Both are warmed
up first (tracing and the first steps are left out), then timed alternately,
ours, built-in, ours, built-in ..., `--rounds` times, each round a
`model.fit` of `--steps` steps on synthetic uint8-like images (step time does
not depend on the pixel values). Every step is timed by a callback; the
table gives the median over all timed steps of each side, their ratio, and
the range of the per-round ratios (median of a round against the median of
the built-in's round next to it) as a measure of the noise.

    python benchmarks/optimizer_overhead.py                 # about 3 minutes on 2 cores
    python benchmarks/optimizer_overhead.py --rounds 3 --steps 20 --optimizers adam nadam
"""

import argparse
import datetime
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

import optimizers  # noqa: E402

# Every registered optimizer whose record names a Keras built-in (`optimizers.builtin`).
WITH_BUILTIN = tuple(record.name for record in optimizers.RECORDS if record.keras_builtin)
# Timed against a Keras class that runs the same operations but, on TensorFlow, another
# rule (README: Schedule-Free AdamW reads z after updating it), so no parity record names it.
TIMED_AGAINST = {"schedule_free_adamw": "ScheduleFreeAdamW"}
TIMED = (*WITH_BUILTIN, *TIMED_AGAINST)


def counterpart(name):
    """The Keras optimizer `name` is timed against."""
    if name in TIMED_AGAINST:
        return getattr(keras.optimizers, TIMED_AGAINST[name])()
    return optimizers.builtin(name)
INPUT_SHAPE, NUM_CLASSES = (28, 28, 1), 10


def fallback_cnn():
    """Conv32-BN-ReLU, Conv64-BN-ReLU, max-pool, dropout, dense 128, dropout, softmax."""
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Conv2D(32, 3, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2D(64, 3, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ]
    )


def model_builder():
    """`(build, description)`: the project's default CNN, or the fallback above."""
    try:
        import models
    except ImportError:
        return fallback_cnn, "fallback convnet defined in this benchmark (models not importable)"
    return (
        lambda: models.build_model("cnn", input_shape=INPUT_SHAPE, num_classes=NUM_CLASSES),
        'models.build_model("cnn", input_shape=(28, 28, 1), num_classes=10)',
    )


class StepTimer(keras.callbacks.Callback):
    """Wall time of every training step."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_train_batch_begin(self, batch, logs=None):
        self.started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter() - self.started)


def compiled_model(build, optimizer):
    keras.utils.set_random_seed(0)
    model = build()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    return model


def step_times(model, images, labels, batch_size, steps):
    """Per-step times of one `fit` of `steps` steps."""
    timer = StepTimer()
    count = batch_size * steps
    model.fit(
        images[:count],
        labels[:count],
        batch_size=batch_size,
        epochs=1,
        shuffle=False,
        verbose=0,
        callbacks=[timer],
    )
    return timer.times


def measure(name, build, images, labels, arguments):
    """Step times (seconds) of ours and of the built-in, per round, timed alternately."""
    pair = {
        "ours": compiled_model(build, optimizers.get(name)),
        "keras": compiled_model(build, counterpart(name)),
    }
    for model in pair.values():  # trace, build the optimizer, settle the caches
        step_times(model, images, labels, arguments.batch_size, arguments.warmup)
    rounds = {side: [] for side in pair}
    for _ in range(arguments.rounds):
        for side, model in pair.items():
            times = step_times(model, images, labels, arguments.batch_size, arguments.steps)
            rounds[side].append(times)
    return rounds["ours"], rounds["keras"]


def table_row(name, ours_rounds, keras_rounds):
    """Median step times over all rounds, their ratio, and the spread of per-round ratios."""
    ours = statistics.median(time for times in ours_rounds for time in times)
    keras_time = statistics.median(time for times in keras_rounds for time in times)
    round_ratios = [
        statistics.median(ours_times) / statistics.median(keras_times)
        for ours_times, keras_times in zip(ours_rounds, keras_rounds, strict=True)
    ]
    ratio = ours / keras_time
    spread = f"{min(round_ratios):.3f}-{max(round_ratios):.3f}"
    row = f"| {name} | {ours * 1e3:.2f} | {keras_time * 1e3:.2f} | {ratio:.3f} | {spread} |"
    return row, ratio


def header(arguments, model_description):
    cpu = platform.processor() or platform.machine()
    return "\n".join(
        [
            "# Optimizer overhead: ours / Keras built-in, median step time",
            "",
            f"- date: {datetime.date.today().isoformat()}",
            f"- machine: {platform.system()} {platform.release()}, {cpu}, "
            f"{os.cpu_count()} CPUs, no GPU used",
            f"- Python {platform.python_version()}, TensorFlow {tf.__version__}, "
            f"Keras {keras.__version__}, backend {keras.backend.backend()}",
            f"- model: {model_description}",
            f"- batch {arguments.batch_size}; {arguments.warmup} warm-up steps per model "
            f"left out; {arguments.rounds} alternating rounds of {arguments.steps} steps "
            f"per side ({arguments.rounds * arguments.steps} timed steps each)",
            f"- load average (1 min) at the start: {os.getloadavg()[0]:.2f} (other "
            "processes' load falls on both sides alike, as they alternate)",
            "- target: every ratio <= 1.03",
            "",
            "| optimizer | ours (ms/step) | Keras (ms/step) | ratio | per-round ratios |",
            "|---|---:|---:|---:|---:|",
        ]
    )


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=16, help="alternating rounds (16)")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per round (10)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps per model (5)")
    parser.add_argument("--batch_size", "--batch-size", type=int, default=64)
    parser.add_argument(
        "--optimizers", nargs="+", default=list(TIMED), choices=list(TIMED), metavar="NAME",
    )  # fmt: skip
    return parser.parse_args(argv)


def main(argv=None):
    arguments = parse_arguments(argv)
    build, model_description = model_builder()
    rng = np.random.default_rng(0)
    count = arguments.batch_size * max(arguments.steps, arguments.warmup)
    images = (rng.integers(0, 256, (count, *INPUT_SHAPE), dtype=np.uint8) / 255.0).astype("float32")
    labels = rng.integers(0, NUM_CLASSES, count)

    print(header(arguments, model_description), flush=True)
    ratios = []
    for name in arguments.optimizers:
        row, ratio = table_row(name, *measure(name, build, images, labels, arguments))
        ratios.append(ratio)
        print(row, flush=True)
    print(f"\nlargest ratio: {max(ratios):.3f} (target <= 1.03)")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
