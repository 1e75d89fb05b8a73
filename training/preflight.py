"""Checks that need the data or a Keras model, made once before an experiment trains.

The plan (`experiments.plan`) checks everything that needs neither; these run
in the driver's process before the first run, so that a subset larger than
the data set or a full disk fail at once, with nothing trained.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import data
import models
from training import distribute
from training.checkpoint import checkpoint_bytes
from training.environment import select_device
from training.optimizer_map import check_optimizer_maps
from training.precision import check_honoured, policy_name
from training.runner import build_model, load_arrays


def preflight(specs: list[dict], folder: Path) -> None:
    """Load each data set the runs use (cached for `run_one`) and check the subset sizes, that
    the validation split leaves images on both sides, that the precision policy can honour
    the optimizer settings, and the free space in `folder`.
    Raises ValueError (or data.DataError) with a one-line message.
    """
    for spec in specs:
        problem = spec["config"]["problem"]
        arrays = load_arrays(problem["dataset"], problem["data_dir"])
        if problem["subset"] is not None and problem["subset"] > len(arrays["y_train"]):
            raise ValueError(f"--subset {problem['subset']} is larger than the "
                             f"{len(arrays['y_train'])} training images")
        images = problem["subset"] or len(arrays["y_train"])
        held_out = data.validation_count(images, problem["validation_split"])  # both non-empty
        check_precision(spec)
        check_replicas(spec, {"training": images - held_out, "validation": held_out})
    check_optimizer_maps(specs, build_model)
    kinds = {(spec["config"]["model"]["name"], spec["config"]["problem"]["dataset"])
             for spec in specs}
    needed = max((checkpoint_space(*kind) for kind in kinds), default=0)
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise ValueError(f"not enough free space in {folder} for checkpoints: need "
                         f"{needed / 1e6:.0f} MB, {free / 1e6:.0f} MB free")


def check_precision(spec: dict) -> None:
    """The run's optimizer settings under the policy its device gets (`training.precision`)."""
    device = select_device(spec.get("runtime", {}).get("device", "auto"))
    policy = policy_name(spec["config"]["execution"]["mixed_precision"], device)
    check_honoured(policy, spec["config"]["optimizer"])


def check_replicas(spec: dict, examples: dict) -> None:
    """Every batch of a distributed run splits equally over its replicas: the global batch
    (`training.distribute.check_batch_size`) and the last of training and validation
    (`check_even_batches`)."""
    execution = spec["config"]["execution"]
    mode = execution.get("distribute", "none")
    if mode == "none":
        return
    replicas = distribute.replicas_in_sync(distribute.get_strategy(mode,
                                                                   execution.get("replicas")))
    batch_size = execution["batch_size"]
    distribute.check_batch_size(batch_size, replicas)
    if batch_size == "full":
        batch_size = examples["training"]
    distribute.check_even_batches(examples, batch_size, replicas)


def checkpoint_space(model_name: str, dataset: str) -> int:
    """Room for two checkpoints of the model (while one replaces the other), in bytes."""
    info = data.get_dataset_info(dataset)
    model = models.build_model(model_name, info.image_shape, info.num_classes)
    return 2 * checkpoint_bytes(model)
