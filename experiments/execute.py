"""Executors: run specs in, histories out. The seam for parallel execution.

An executor is any callable `executor(specs: Sequence[dict]) -> Iterator[dict]`
that runs every spec of the manifest (`experiments.plan`) with
`training.runner.run_one` and yields each run's final history as it finishes
(in any order; a parallel executor yields in order of completion). It must
let KeyboardInterrupt and the driver's `Interrupted` through, after the runs
in flight have written their histories. Each spec is plain JSON, so a worker
process or a Ray task can run it from the spec alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from analysis.run_config import describe

Executor = Callable[[Sequence[dict]], Iterator[dict]]


def execute_serially(specs: Sequence[dict]) -> Iterator[dict]:
    """Run the specs one after another in this process, in manifest order."""
    from training.runner import run_one  # imports TensorFlow: only when runs are executed

    for number, spec in enumerate(specs, start=1):
        print(f"\n[{number}/{len(specs)}] {describe(spec['config'])}", flush=True)
        yield run_one(spec)


EXECUTORS: dict[str, Executor] = {"serial": execute_serially}
