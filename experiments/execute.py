"""Executors: run specs in, histories out. The seam for parallel execution.

An executor is any callable `executor(specs: Sequence[dict]) -> Iterator[dict]`
that runs every spec of the manifest (`experiments.plan`) with
`training.runner.run_one` and yields each run's final history as it finishes
(in any order; a parallel executor yields in order of completion). It must
let KeyboardInterrupt and the driver's `Interrupted` through, after the runs
in flight have written their histories. Each spec is plain JSON, so a worker
process or a Ray task can run it from the spec alone.

Three come with the toolkit, all built on `experiments.dispatch` (one loop: claims,
retries after a worker died, the progress line): `execute_serially` (this
process), `experiments.workers.local_workers(n)` (n processes of this
machine) and `experiments.ray_executor.ray_cluster(address)` (tasks of a Ray
cluster). `executor_for(config)` picks the one the command line asked for.
Every run is trained under its claim (`experiments.claims`), so several
invocations, on one machine or several sharing a disk, can execute one
manifest together: a run another process holds is waited for, not repeated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from experiments.dispatch import Executor, InProcess, dispatch


def execute_serially(specs: Sequence[dict]) -> Iterator[dict]:
    """Run the specs one after another in this process, in manifest order."""
    return dispatch(specs, InProcess())


EXECUTORS: dict[str, Executor] = {"serial": execute_serially}


def executor_for(config) -> Executor:
    """The executor an ExperimentConfig asks for: Ray (`ray`), local worker processes
    (`workers` > 1) or this process. Raises ConfigError for an unreachable Ray cluster."""
    if config.ray and config.workers > 1:
        from experiments.config import ConfigError

        raise ConfigError("--workers and --ray cannot be combined: on Ray, the cluster's "
                          "CPUs decide how many runs train at once")
    if config.ray:
        from experiments.ray_executor import ray_cluster

        return ray_cluster(config.ray, config.device, config.threads_per_run)
    if config.workers > 1:
        from experiments.workers import local_workers

        return local_workers(config.workers, config.device, config.threads_per_run)
    return execute_serially
