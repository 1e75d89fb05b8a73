"""Runs as tasks of a Ray cluster: Ray is the scheduler, the toolkit only submits.

`ray_cluster(address)` connects to an existing cluster (`ray start --head` on
one machine, `ray start --address HEAD:PORT` on the others) and returns an
executor (`experiments.execute`) that sends every run to it as one task with
its resources: `num_cpus` = the run's TensorFlow threads (`--threads_per_run`,
default 1) and `num_gpus` = 1 with `--device gpu` (or `auto` on a cluster that
has GPUs; Ray then sets CUDA_VISIBLE_DEVICES for the task). Every node must
see the project and the `--output_dir` (and `--data_dir`) at the same paths,
as on a shared disk: a task works in the driver's directory and imports the
toolkit from there. Each run trains under its claim (`experiments.claims`),
so tasks retried by Ray after a node or worker died continue from the run's
last checkpoint, never beside a live copy.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Sequence

from experiments.config import ConfigError
from experiments.dispatch import Executor, dispatch, run_claimed
from experiments.workers import limit_threads, one_line_per_epoch

CONNECT_TIMEOUT_S = 5.0
TASK_RETRIES = 2  # Ray runs a task again if its worker process or node died


def check_reachable(address: str) -> None:
    """Refuse quickly (ConfigError) an address nothing listens on; Ray itself would retry
    for a minute, or for ever. "auto" is first resolved as Ray resolves it (RAY_ADDRESS,
    else the address the last `ray start` on this machine recorded in
    /tmp/ray/ray_current_cluster, which outlives a stopped or crashed cluster)."""
    given = address
    if address == "auto":
        address = resolve_auto()
        if address is None:
            return  # Ray's resolver is not where this Ray keeps it: left to Ray
        given = f"auto (resolved to {address})"
    host, separator, port = address.removeprefix("ray://").rpartition(":")
    if not separator or not host or not port.isdigit():
        raise ConfigError(f"--ray must be auto or HOST:PORT of a Ray head node, got {address!r}")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as error:
        raise ConfigError(f"--ray {given}: no Ray cluster answers there "
                          f"({error.strerror or error}); start one with `ray start --head` "
                          "or check the address") from None


def resolve_auto() -> str | None:
    """The HOST:PORT `ray.init(address="auto")` would connect to; ConfigError when there is
    none; None when this Ray version's resolver (private to Ray) is not found."""
    try:
        from ray._private.services import canonicalize_bootstrap_address
    except ImportError:
        return None
    try:
        resolved = canonicalize_bootstrap_address("auto")
    except (ConnectionError, ValueError):
        resolved = None
    if not resolved:
        raise ConfigError("--ray auto: no Ray cluster found on this machine; start one with "
                          "`ray start --head` or give its HOST:PORT")
    return resolved


def connect(address: str):
    """Connect this process to the Ray cluster at `address` (once); the `ray` module."""
    check_reachable(address)
    import ray

    if not ray.is_initialized():
        try:
            ray.init(address=address, log_to_driver=True, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise ConfigError(f"--ray {address}: cannot connect ({first_line})") from None
    return ray


def run_task(spec: dict, threads: int, directory: str) -> dict | None:
    """What a Ray task runs: the run under its claim, with `threads` CPU threads, in the
    driver's `directory` (relative paths of the spec mean the same there)."""
    os.chdir(directory)
    limit_threads(threads)  # a reused Ray worker keeps those its first task set
    return run_claimed(spec)


class RayBackend:
    """The `dispatch` backend: one Ray task per run, as many in flight as the cluster's
    CPUs (and GPUs) hold; the rest wait in this process, so the progress line is true."""

    def __init__(self, ray, cpus: int, gpus: int):
        self.ray, self.cpus, self.gpus = ray, cpus, gpus
        self.task = ray.remote(run_task).options(num_cpus=cpus, num_gpus=gpus,
                                                 max_retries=TASK_RETRIES)
        resources = ray.cluster_resources()
        slots = int(resources.get("CPU", 1) // cpus)
        if gpus:
            slots = min(slots, int(resources.get("GPU", 0) // gpus))
        self.capacity = max(1, slots)
        self.lost_errors = (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError)
        self.lost_together = False  # after Ray's own retries: only that task is lost
        self.references = {}

    def submit(self, spec: dict):
        reference = self.task.remote(one_line_per_epoch(spec), self.cpus, os.getcwd())
        future = reference.future()
        self.references[future] = reference
        future.add_done_callback(lambda done: self.references.pop(done, None))
        return future

    def restart(self) -> None:
        pass  # Ray replaces dead workers itself

    def stop(self) -> None:
        """Interrupt the tasks in flight (KeyboardInterrupt in each: the runs write their
        histories) and wait for them."""
        references = list(self.references.values())
        for reference in references:
            self.ray.cancel(reference)
        self.ray.wait(references, num_returns=len(references), timeout=120)


def ray_cluster(address: str, device: str = "auto", threads: int | None = None) -> Executor:
    """An executor on the Ray cluster at `address`; connects now (ConfigError if it cannot).
    `threads`: CPUs (and TensorFlow threads) of each run's task, default 1."""
    ray = connect(address)
    cluster_gpus = ray.cluster_resources().get("GPU", 0)
    if device == "gpu" and not cluster_gpus:
        raise ConfigError(f"--device gpu: the Ray cluster at {address} has no GPU")
    gpus = 1 if device == "gpu" or (device == "auto" and cluster_gpus) else 0

    def execute(specs: Sequence[dict]) -> Iterator[dict]:
        backend = RayBackend(ray, threads or 1, gpus)
        print(f"Ray: {backend.capacity} runs at once, {threads or 1} CPU each"
              f"{' and a GPU' if gpus else ''}", flush=True)
        yield from dispatch(specs, backend)

    return execute
