"""How long `plot_results.py` takes to draw seven optimizers x three seeds x 50 epochs.

Claim (issue 4): under 3 s end to end. The script writes synthetic history files
into a temporary results tree, then times `plot_results.main([...])` in this
process: reading and validating the 21 JSON files, grouping, drawing both
panels with bands, writing the PNG. Matplotlib's first import and the first
draw (font cache) are a warm-up and not counted there. Then the same command
in a fresh interpreter, as a user runs it (Python start and imports counted).
Medians of the repeats, with min and max. TensorFlow is not involved.

    python benchmarks/plot_speed.py [--repeats 7] [--epochs 50] [--seeds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import matplotlib  # noqa: E402

import plot_results  # noqa: E402
from analysis import run_config  # noqa: E402
from analysis.history import FILENAME, new_history, write_history  # noqa: E402

OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw", "nadam")


def synthetic_history(optimizer: str, seed: int, epochs: int) -> dict:
    """A plausible completed run: loss decaying, accuracy rising, some noise."""
    rng = random.Random(f"{optimizer}-{seed}")
    config = {
        "dataset": "mnist",
        "model": "cnn",
        "optimizer": optimizer,
        "optimizer_config": {"learning_rate": 0.001},
        "epochs": epochs,
        "batch_size": 64,
        "seed": seed,
        "subset": None,
        "validation_split": 0.1,
    }
    environment = {
        "python": platform.python_version(),
        "tensorflow": None,
        "keras": None,
        "device": "CPU",
        "git_commit": None,
    }
    history = new_history(run_config.from_flat(config), environment)
    speed = 0.15 + 0.5 * rng.random()
    for epoch in range(1, epochs + 1):
        loss = 2.3 * math.exp(-speed * epoch) + 0.03 + 0.01 * rng.random()
        values = {
            "epoch": epoch,
            "step": 250 * epoch,
            "loss": loss,
            "accuracy": 1 - loss / 2.5,
            "val_loss": loss * 1.1,
            "val_accuracy": 1 - loss * 1.1 / 2.5,
            "lr": 0.001,
            "train_time_s": 5.0 + rng.random(),
            "eval_time_s": 1.0,
        }
        for key, value in values.items():
            history["history"][key].append(value)
    history.update(
        status="completed",
        test={"loss": loss, "accuracy": 1 - loss / 2.5},
        wall_time_s=sum(history["history"]["train_time_s"]) + epochs * 1.0,
    )
    return history


def write_results(results_dir: Path, epochs: int, seeds: int) -> None:
    for optimizer in OPTIMIZERS:
        for seed in range(seeds):
            folder = results_dir / "bench" / f"{optimizer}_default_seed{seed}"
            folder.mkdir(parents=True)
            write_history(folder / FILENAME, synthetic_history(optimizer, seed, epochs))


def time_in_process(argv: list[str]) -> float:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        status = plot_results.main(argv)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"plot_results.main({argv}) returned {status}")
    return elapsed


def time_command_line(argv: list[str]) -> float:
    """A fresh interpreter, as a user runs it: Python start and imports included."""
    script = Path(__file__).resolve().parent.parent / "plot_results.py"
    start = time.perf_counter()
    subprocess.run([sys.executable, str(script), *argv], check=True, capture_output=True)
    return time.perf_counter() - start


def report(name: str, timings: list[float]) -> None:
    print(
        f"{name}: median {statistics.median(timings):.2f} s over {len(timings)} runs "
        f"(min {min(timings):.2f}, max {max(timings):.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results_dir = Path(folder) / "results"
        write_results(results_dir, arguments.epochs, arguments.seeds)
        argv = ["--optimizer", "all", "--results_dir", str(results_dir), "--table"]
        time_in_process(argv)  # warm-up: imports, font cache
        in_process = [time_in_process(argv) for _ in range(arguments.repeats)]
        command_line = [time_command_line(argv) for _ in range(arguments.repeats)]
    print(
        f"# {len(OPTIMIZERS)} optimizers x {arguments.seeds} seeds x {arguments.epochs} epochs,"
        f" both panels with bands, PNG + table; Python {platform.python_version()},"
        f" matplotlib {matplotlib.__version__}, {platform.machine()}"
    )
    report("plot_results.main() in process", in_process)
    report("python plot_results.py (fresh interpreter)", command_line)


if __name__ == "__main__":
    main()
