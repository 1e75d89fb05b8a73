"""One sweep three ways: serial, --workers 2, and a local Ray cluster. Wall time, runs/minute.

Claim under test (issue 14): on a 2-core machine `--workers 2` finishes the
sweep in at most 0.75 of the serial time. The sweep: the seven optimizers x 2
seeds (14 runs), the MLP on the MNIST subset, a few epochs. Each mode is one
`train_model.py` command (process start and the driver's TensorFlow import
included, as a user meets them); the modes alternate over rounds, so that drift
in machine load hits all. The Ray head node is started once before the rounds
(its start-up is reported apart) and stopped after.

Per-run fixed cost, measured apart in fresh processes: interpreter start +
TensorFlow import, model build + compile, and tracing (first epoch minus the
second epoch's time of one run). With N runs on W workers, every worker pays
the import once and every run pays build and tracing again.

    python benchmarks/sweep_throughput.py --data_dir ../shared/data/mnist-subset
    python benchmarks/sweep_throughput.py --data_dir ../shared/data/mnist-subset \
        --epochs 3 --rounds 2 --modes serial,workers2,workers3,workers4   # which N is best
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 14  # seven optimizers x two seeds
ENVIRONMENT = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "RAY_USAGE_STATS_ENABLED": "0",
               "RAY_AUTH_MODE": "disabled"}


def sweep_command(data_dir: str, output: Path, name: str, epochs: int, extra: list) -> list:
    return [sys.executable, str(ROOT / "train_model.py"), "--optimizer", "all", "--seed", "0,1",
            "--model", "mlp", "--epochs", str(epochs), "--quiet", "--data_dir", data_dir,
            "--output_dir", str(output), "--experiment", name, *extra]


def timed(command: list) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=ENVIRONMENT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{result.stderr[-2000:]}")
    return time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_ray_head(cpus: int) -> tuple[subprocess.Popen, str, float]:
    """`ray start --head --block` in its own process group; (process, address, seconds)."""
    port = free_port()
    start = time.perf_counter()
    head = subprocess.Popen(
        [str(Path(sys.executable).with_name("ray")), "start", "--head", "--block",
         "--node-ip-address=127.0.0.1", f"--port={port}", f"--num-cpus={cpus}",
         "--object-store-memory=100000000", "--include-dashboard=false",
         "--disable-usage-stats"],
        env=ENVIRONMENT, start_new_session=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    while time.perf_counter() - start < 180:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return head, f"127.0.0.1:{port}", time.perf_counter() - start
        except OSError:
            time.sleep(0.5)
    os.killpg(head.pid, signal.SIGKILL)
    raise SystemExit("the Ray head node did not start")


FIXED_COST = """
import json, sys, time
start = time.perf_counter()
import tensorflow  # noqa: F401
imported = time.perf_counter()
sys.path.insert(0, {root!r})
from training.runner import build_compiled_model
config = {{"problem": {{"dataset": "mnist"}},
          "model": {{"name": "mlp", "init": "he", "dropout": None, "batch_norm": True, "l2": 0.0}},
          "optimizer": {{"name": "adam", "learning_rate": 0.001}},
          "execution": {{"jit_compile": "auto"}}}}
built_at = time.perf_counter()
build_compiled_model(config, 0.001)
print(json.dumps({{"import_s": imported - start, "build_s": time.perf_counter() - built_at}}))
"""


def fixed_costs(data_dir: str, scratch: Path) -> dict:
    """Median over 3 fresh processes of import and build; tracing from one 2-epoch run."""
    samples = []
    for _ in range(3):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", FIXED_COST.format(root=str(ROOT))],
                                env=ENVIRONMENT, capture_output=True, text=True, check=True)
        sample = json.loads(result.stdout.strip().splitlines()[-1])
        sample["process_s"] = time.perf_counter() - start
        samples.append(sample)
    costs = {key: statistics.median(sample[key] for sample in samples) for key in samples[0]}
    command = sweep_command(data_dir, scratch, "fixed", 2, [])
    command[command.index("all")] = "adam"
    command[command.index("0,1")] = "0"
    timed(command)
    (path,) = scratch.glob("fixed/*/history.json")
    train_times = json.loads(path.read_text())["history"]["train_time_s"]
    costs["tracing_s"] = train_times[0] - train_times[1]
    costs["epoch_s"] = train_times[1]
    return costs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", default=str(ROOT.parent / "shared/data/mnist-subset"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--modes", default="serial,workers,ray")
    arguments = parser.parse_args(argv)
    if not (Path(arguments.data_dir) / "mnist.npz").exists():
        print(f"sweep_throughput: no mnist.npz in {arguments.data_dir}", file=sys.stderr)
        return 2
    modes = arguments.modes.split(",")
    cores = len(os.sched_getaffinity(0))
    print(f"# sweep: 7 optimizers x 2 seeds, MLP, {arguments.epochs} epochs, "
          f"{arguments.data_dir}; {cores} cores, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")
    head, address = None, None
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        costs = fixed_costs(arguments.data_dir, scratch)
        print("# fixed cost per process/run: " + ", ".join(
            f"{key} {value:.2f}" for key, value in costs.items()))
        if "ray" in modes:
            head, address, started = start_ray_head(cores)
            print(f"# Ray head node start-up (not in the sweep times): {started:.1f} s")
        times = {mode: [] for mode in modes}
        try:
            for round_number in range(arguments.rounds):
                for mode in modes:
                    name = f"{mode}-{round_number}"
                    times[mode].append(timed(sweep_command(arguments.data_dir, scratch, name,
                                                           arguments.epochs,
                                                           mode_flags(mode, address))))
                    print(f"# round {round_number + 1} {mode}: {times[mode][-1]:.1f} s",
                          flush=True)
        finally:
            if head is not None:
                os.killpg(head.pid, signal.SIGTERM)
                head.wait(timeout=60)
    print_table(times)
    return 0


def mode_flags(mode: str, address: str | None) -> list:
    """The flags of a mode: serial, workersN (workers: N = 2), ray."""
    if mode == "serial":
        return []
    if mode == "ray":
        return ["--ray", str(address)]
    if mode.startswith("workers"):
        return ["--workers", mode.removeprefix("workers") or "2"]
    raise SystemExit(f"unknown mode {mode!r}; expected serial, workersN or ray")


def print_table(times: dict) -> None:
    serial = statistics.mean(times["serial"]) if "serial" in times else None
    print("\n| mode | wall time (s), mean of rounds | rounds | runs/minute | vs serial |")
    print("|---|---|---|---|---|")
    for mode, values in times.items():
        mean = statistics.mean(values)
        spread = f" ± {statistics.stdev(values):.1f}" if len(values) > 1 else ""
        ratio = f"{mean / serial:.2f}" if serial else ""
        print(f"| {mode} | {mean:.1f}{spread} | {len(values)} | {RUNS / mean * 60:.1f} | "
              f"{ratio} |")


if __name__ == "__main__":
    raise SystemExit(main())
