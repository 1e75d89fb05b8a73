"""Select the runs a figure or table should show, from those `analysis.loading` reads.

"Latest" means the experiment whose history files were modified most recently.
"""

from __future__ import annotations

from analysis.loading import Run, SelectionError, listing, load_runs
from plotting.style import optimizer_sort_key

__all__ = ["ALL", "Run", "SelectionError", "load_runs", "parse_optimizers", "select_runs"]

ALL = "all"


def parse_optimizers(text: str) -> list[str] | None:
    """`"adam,sgd"` -> ["adam", "sgd"]; `"all"` -> None (every optimizer)."""
    names = list(dict.fromkeys(name.strip().lower() for name in text.split(",") if name.strip()))
    if not names:
        raise SelectionError("--optimizer needs a name, a comma-separated list or 'all'")
    return None if ALL in names else names


def select_runs(runs: list[Run], optimizers: list[str] | None, dataset: str | None = None):
    """The runs to draw, in optimizer order.

    `optimizers=None` takes every run of the latest experiment; a list takes,
    for each optimizer, its runs in the latest experiment that has it. A
    `dataset` keeps only the runs on that dataset.
    """
    if not runs:
        raise SelectionError("no readable history files (see the warnings above)")
    if dataset is not None:
        runs = _on_dataset(runs, dataset)
    if optimizers is None:
        chosen = [run for run in runs if run.experiment == latest_experiment(runs)]
    else:
        _check_known(runs, optimizers, dataset)
        chosen = []
        for optimizer in optimizers:
            candidates = [run for run in runs if run.optimizer == optimizer]
            latest = latest_experiment(candidates, among=runs)
            chosen += [run for run in candidates if run.experiment == latest]
    return sorted(chosen, key=lambda run: (optimizer_sort_key(run.optimizer), str(run.path)))


def latest_experiment(candidates: list[Run], among: list[Run] | None = None) -> str:
    """The experiment of `candidates` whose history files (all of `among`) changed last."""
    modified: dict[str, float] = {}
    for run in among if among is not None else candidates:
        modified[run.experiment] = max(modified.get(run.experiment, 0.0), run.modified)
    names = {run.experiment for run in candidates}
    return max(names, key=lambda name: (modified[name], name))


def _on_dataset(runs: list[Run], dataset: str) -> list[Run]:
    kept = [run for run in runs if run.dataset == dataset]
    if not kept:
        found = sorted({run.dataset for run in runs})
        raise SelectionError(f"no runs on dataset {dataset!r} (found: {listing(found)})")
    return kept


def _check_known(runs: list[Run], optimizers: list[str], dataset: str | None) -> None:
    found = sorted({run.optimizer for run in runs}, key=optimizer_sort_key)
    unknown = [name for name in optimizers if name not in found]
    if unknown:
        experiments = sorted({run.experiment for run in runs})
        where = f"experiment {experiments[0]!r}" if len(experiments) == 1 else "the results"
        if dataset is not None:
            where += f" on dataset {dataset!r}"
        names = ", ".join(repr(name) for name in unknown)
        raise SelectionError(f"no runs of {names} in {where} (found: {listing(found)})")

