"""Per-epoch checkpoints of a run, written so that a crash at any moment leaves a usable one.

A checkpoint is a folder `checkpoints/epoch-NNNN/` holding

- `model.weights.h5`: Keras's own weights file; it holds the model's weights
  and the optimizer's variables (every slot and the iteration count);
- `state.json`: the epoch, and the state of every dropout random generator,
  which Keras's weights file leaves out (without it a resumed run would draw
  other dropout masks than an uninterrupted one), and the counters of the
  stateful callbacks (early stopping, plateau: `get_state`/`set_state`);
- `<key>.npz`: the arrays such a callback keeps (early stopping's best weights).

Both are written into `epoch-NNNN.partial/`, which is then renamed to
`epoch-NNNN/` in one step, and only then are older checkpoints removed: a
crash leaves either the previous checkpoint or the new one complete, and
maybe a `.partial` folder that is ignored and cleared on the next save.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import warnings
from pathlib import Path

import keras
import numpy as np

from analysis.history import write_json_atomic

FOLDER = "checkpoints"
WEIGHTS = "model.weights.h5"
STATE = "state.json"
_COMPLETE = re.compile(r"^epoch-(\d{4,})$")


def _seed_generators(model) -> list:
    """The model's random generators (dropout's), in the model's layer order."""
    return [generator for layer in model._flatten_layers() for generator in layer._seed_generators]


def save_checkpoint(model, run_folder: Path, epoch: int, callbacks=()) -> Path:
    """Write the checkpoint after `epoch` (1-based) completed epochs; return its folder.

    `callbacks` are stateful callbacks (a `key`, `get_state()` -> (dict, arrays)).
    """
    root = Path(run_folder) / FOLDER
    target = root / f"epoch-{epoch:04d}"
    staging = root / f"epoch-{epoch:04d}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    model.save_weights(staging / WEIGHTS)
    generators = [keras.ops.convert_to_numpy(g.state).tolist() for g in _seed_generators(model)]
    states = {}
    for callback in callbacks:
        states[callback.key], arrays = callback.get_state()
        np.savez(staging / f"{callback.key}.npz", *arrays)
    write_json_atomic(staging / STATE, {"epoch": epoch, "seed_generators": generators,
                                        "callbacks": states})
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    for other in root.iterdir():
        if other != target:
            shutil.rmtree(other, ignore_errors=True)
    return target


def latest_checkpoint(run_folder: Path) -> tuple[int, Path] | None:
    """(epoch, folder) of the newest complete checkpoint of the run, or None."""
    root = Path(run_folder) / FOLDER
    if not root.is_dir():
        return None
    found = []
    for folder in root.iterdir():
        match = _COMPLETE.match(folder.name)
        if match and (folder / WEIGHTS).is_file() and (folder / STATE).is_file():
            found.append((int(match.group(1)), folder))
    return max(found) if found else None


def restore_checkpoint(model, folder: Path, callbacks=()) -> int:
    """Load a checkpoint into a compiled model built like the saved one; the epoch reached.

    Each of the stateful `callbacks` gets its saved state (`set_state`).
    """
    with open(folder / STATE, encoding="utf-8") as stream:
        state = json.load(stream)
    model.optimizer.build(model.trainable_variables)
    load_weights_strictly(model, folder)
    generators = _seed_generators(model)
    if len(generators) != len(state["seed_generators"]):
        raise ValueError(f"{folder}: checkpoint does not match the model's random generators")
    for generator, saved in zip(generators, state["seed_generators"], strict=True):
        generator.state.assign(np.asarray(saved, dtype=generator.state.dtype))
    for callback in callbacks:
        if callback.key not in state.get("callbacks", {}):
            raise ValueError(f"{folder}: checkpoint holds no {callback.key} state")
        with np.load(folder / f"{callback.key}.npz") as saved:
            arrays = [saved[f"arr_{index}"] for index in range(len(saved.files))]
        callback.set_state(state["callbacks"][callback.key], arrays)
    return int(state["epoch"])


def load_weights_strictly(model, folder: Path) -> None:
    """`model.load_weights` of the checkpoint, with Keras's skip warnings made errors.

    Keras only warns when a checkpoint's optimizer holds another number of
    variables than the optimizer it is loaded into ("Skipping variable loading
    for optimizer ...") or when some objects cannot be loaded, and trains on with
    fresh state: a resumed run would silently differ from an uninterrupted one.
    Raises ValueError naming the folder instead.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.load_weights(folder / WEIGHTS)
    for warning in caught:
        text = str(warning.message)
        if "Skipping variable loading" in text or "could not be loaded" in text:
            raise ValueError(f"{folder}: the checkpoint does not fit this run's model and "
                             f"optimizer ({text.splitlines()[0].strip()})")
        warnings.warn_explicit(warning.message, warning.category, warning.filename,
                               warning.lineno)


def remove_checkpoints(run_folder: Path) -> None:
    shutil.rmtree(Path(run_folder) / FOLDER, ignore_errors=True)


class Checkpointer(keras.callbacks.Callback):
    """Saves a checkpoint at the end of every epoch; put it last, after the history
    is written and the stateful `callbacks` have updated their state."""

    def __init__(self, run_folder: Path, callbacks=()):
        super().__init__()
        self.run_folder = Path(run_folder)
        self.callbacks = tuple(callbacks)

    def on_epoch_end(self, epoch, logs=None):
        save_checkpoint(self.model, self.run_folder, epoch + 1, self.callbacks)


def checkpoint_bytes(model) -> int:
    """A generous estimate of one checkpoint's size: the weights, up to three optimizer
    slots and early stopping's copy of the best weights, in float32."""
    return int(sum(np.prod(variable.shape) for variable in model.weights) * 5 * 4) + 1_000_000
