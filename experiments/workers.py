"""Local worker processes: up to N runs of an experiment train at once on this machine.

`local_workers(n)` is an executor (`experiments.execute`) backed by
`concurrent.futures.ProcessPoolExecutor` with the "spawn" start method (a
fresh interpreter per worker: TensorFlow does not survive a fork). The
machine is divided between the workers:

- CPU: each worker's TensorFlow gets `threads` intra-op and inter-op threads,
  by default the usable cores divided by the number of workers (at least 1);
- GPU: worker k sees GPU k mod (number of GPUs) only (CUDA_VISIBLE_DEVICES),
  with memory growth on, so that several workers can share one GPU.

A worker that dies (SIGKILL, out of memory) breaks the pool; `dispatch`
starts a new one and its run continues from its last checkpoint.
Ctrl-C (SIGINT) interrupts the runs in flight, which write their histories
("interrupted") before the workers exit.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from experiments.dispatch import Executor, dispatch, run_claimed

_worker = {"running": False}  # state of this process when it is a worker


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, e.g. a container's share)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def threads_per_worker(workers: int) -> int:
    """The default division of the CPU: usable cores // workers, at least 1."""
    return max(1, usable_cores() // workers)


def limit_threads(threads: int | None) -> None:
    """Give this process's TensorFlow `threads` intra-op and inter-op threads (before its
    first operation: TensorFlow fixes its thread pools then; later, says so on stderr and
    keeps them). None leaves its defaults."""
    if threads is None:
        return
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # TensorFlow already runs (an earlier run of this process)
        current = tf.config.threading.get_intra_op_parallelism_threads()
        if current != threads:
            print(f"--threads_per_run {threads}: TensorFlow already runs in this process with "
                  f"{current or 'its default number of'} threads; keeping them", file=sys.stderr)


def prepare_worker(threads: int, gpus: int, counter) -> None:
    """The pool's initializer: this worker's GPU and threads, and Ctrl-C handling."""
    with counter.get_lock():
        index = counter.value
        counter.value += 1
    if gpus:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(index % gpus)
        os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    signal.signal(signal.SIGINT, _interrupt_run)
    limit_threads(threads)


def _interrupt_run(signal_number, frame):
    """SIGINT in a worker: stop its run (once; it then writes its history), else ignore."""
    if _worker["running"]:
        _worker["running"] = False
        raise KeyboardInterrupt


def run_in_worker(spec: dict) -> dict | None:
    """`run_claimed` in a worker, interruptible by SIGINT while it trains."""
    _worker["running"] = True
    try:
        return run_claimed(spec)
    finally:
        _worker["running"] = False


class WorkerPool:
    """The `dispatch` backend of `local_workers`: a spawn-start process pool."""

    lost_errors = (BrokenProcessPool,)
    lost_together = True  # one dead worker breaks the whole pool

    def __init__(self, workers: int, threads: int, gpus: int):
        self.capacity, self.threads, self.gpus = workers, threads, gpus
        self.context = multiprocessing.get_context("spawn")
        self.counter = self.context.Value("i", 0)
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.capacity, mp_context=self.context,
                                   initializer=prepare_worker,
                                   initargs=(self.threads, self.gpus, self.counter))

    def submit(self, spec: dict):
        return self.pool.submit(run_in_worker, one_line_per_epoch(spec))

    def restart(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = self._new_pool()

    def stop(self) -> None:
        """Interrupt the runs in flight (the terminal's Ctrl-C reaches the workers itself;
        a SIGINT or SIGTERM sent to this process alone does not) and wait for them."""
        for child in multiprocessing.active_children():
            try:
                os.kill(child.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
        self.pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def one_line_per_epoch(spec: dict) -> dict:
    """The spec with Keras's progress bar (verbose 1) turned into a line per epoch: the
    bars of several processes would overwrite each other."""
    runtime = spec.get("runtime", {})
    return {**spec, "runtime": {**runtime, "verbose": min(runtime.get("verbose", 1) * 2, 2)}}


def local_workers(workers: int, device: str = "auto", threads: int | None = None) -> Executor:
    """An executor that trains up to `workers` runs at once, each in its own process;
    `threads` per worker (default: `threads_per_worker`). More workers than runs: says so
    and starts only as many as there are runs. Raises ValueError for workers < 1."""
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")

    def execute(specs: Sequence[dict]) -> Iterator[dict]:
        count = min(workers, len(specs))
        if count < workers:
            print(f"--workers {workers}: only {len(specs)} run{'s' if len(specs) > 1 else ''}, "
                  f"so {count} worker{'s' if count > 1 else ''}", file=sys.stderr)
        per_worker = threads or threads_per_worker(count)
        pool = WorkerPool(count, per_worker, visible_gpus(device))
        print(f"Workers: {count} processes, {per_worker} CPU thread"
              f"{'s' if per_worker > 1 else ''} each", flush=True)
        try:
            yield from dispatch(specs, pool)
        finally:
            pool.close()

    return execute


def visible_gpus(device: str) -> int:
    """How many GPUs the workers share (0 on CPU or with --device cpu)."""
    if device == "cpu":
        return 0
    import tensorflow as tf

    return len(tf.config.list_physical_devices("GPU"))
