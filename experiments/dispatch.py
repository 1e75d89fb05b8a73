"""The one loop every executor runs: claims, retries after a worker died, the progress line.

`dispatch(specs, backend)` hands each spec to a backend (this process, a pool
of worker processes, Ray tasks) as a future of `run_claimed(spec)`, as many at
once as the backend's capacity, and yields the histories as they finish. A run
another process holds (its claim, `experiments.claims`) is looked at again
every `POLL_S` seconds until it is finished or its claim is stale; a run whose
worker died is submitted again (it continues from its last checkpoint).
"""

from __future__ import annotations

import collections
import concurrent.futures
import time
from collections.abc import Callable, Iterator, Sequence

from analysis.run_config import describe
from experiments.claims import CLAIM, claimed
from experiments.progress import Progress
from training.distribute import is_chief

Executor = Callable[[Sequence[dict]], Iterator[dict]]
POLL_S = 5.0  # how often runs held by other processes are looked at again
MAX_LOSSES = 3  # a run whose worker died this often is given up (it may be what kills it)


class RunLost(RuntimeError):
    """A run's worker died `MAX_LOSSES` times; the run is left to `--resume`."""


def run_claimed(spec: dict) -> dict | None:
    """Train the run under its claim; its final history, or None if another process holds
    it. What runs in a worker process or a Ray task."""
    from training.runner import run_one  # imports TensorFlow: only when runs are executed

    mode = spec["config"]["execution"].get("distribute", "none")
    if not is_chief(mode):  # every worker trains the run; the chief alone claims it
        return run_one(spec)
    with claimed(spec["folder"]) as ours:
        if not ours and mode == "multi_worker":  # waiting would leave the others hanging
            raise RunLost(f"{spec['folder']}: another process holds it (its {CLAIM}); a "
                          "multi_worker run cannot wait for it")
        return run_one(spec) if ours else None


class InProcess:
    """The `dispatch` backend that trains one run at a time in this process."""

    capacity = 1
    lost_errors: tuple = ()
    lost_together = False

    def submit(self, spec: dict) -> concurrent.futures.Future:
        future = concurrent.futures.Future()
        future.set_result(run_claimed(spec))  # exceptions (Ctrl-C too) reach the caller
        return future

    def restart(self) -> None:
        pass

    def stop(self) -> None:
        pass


def dispatch(specs: Sequence[dict], backend, stream=None) -> Iterator[dict]:
    """Run every spec on `backend` and yield each finished run's history.

    The backend has `capacity` (runs at once), `submit(spec)` (a Future of
    `run_claimed(spec)`), `lost_errors` (the exceptions of a future whose worker died),
    `lost_together` (whether such a death fails every run in flight; `restart()` is then
    called) and `stop()` (interrupt the runs in flight and wait for them). Raises RunLost
    for a run whose worker died `MAX_LOSSES` times, and whatever a run raised.
    """
    pending, in_flight = collections.deque(specs), {}
    elsewhere, losses = [], collections.Counter()
    progress = Progress(len(specs), stream=stream)
    try:
        while pending or in_flight or elsewhere:
            while pending and len(in_flight) < backend.capacity:
                spec = pending.popleft()
                progress.running += 1
                progress.show(f"start {describe(spec['config'])}")
                in_flight[backend.submit(spec)] = spec
            if not in_flight:  # only runs other processes hold: look again later
                time.sleep(POLL_S)
                pending.extend(elsewhere)
                progress.elsewhere -= len(elsewhere)
                elsewhere.clear()
                continue
            done, _ = concurrent.futures.wait(in_flight, return_when="FIRST_COMPLETED")
            if backend.lost_together and any(
                    isinstance(future.exception(), backend.lost_errors) for future in done):
                # A worker died and took its pool down: wait for the other runs in flight.
                done, _ = concurrent.futures.wait(in_flight)
                progress.show("a worker process died; its runs continue from their last "
                              "checkpoints")
                backend.restart()
            for future in done:
                spec = in_flight.pop(future)
                progress.running -= 1
                history = outcome(future, spec, backend, losses, pending)
                if history is None and future.exception() is None:
                    elsewhere.append(spec)
                    progress.elsewhere += 1
                    progress.show(f"held by another process: {spec['folder']}")
                elif history is not None:
                    progress.done += 1
                    progress.show(f"{history['status']} {describe(spec['config'])}")
                    yield history
    except BaseException:
        backend.stop()
        raise


def outcome(future, spec: dict, backend, losses: collections.Counter,
            pending: collections.deque) -> dict | None:
    """The future's history; None (the spec requeued) if its worker died."""
    error = future.exception()
    if error is None:
        return future.result()
    if not isinstance(error, backend.lost_errors):
        raise error
    losses[spec["folder"]] += 1
    if losses[spec["folder"]] >= MAX_LOSSES:
        raise RunLost(f"{spec['folder']}: its worker died {MAX_LOSSES} times ({error}); "
                      "it is left as it is for --resume")
    pending.appendleft(spec)  # it continues from its last checkpoint
    return None
