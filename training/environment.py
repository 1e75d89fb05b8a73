"""Where a run trains: the device TensorFlow uses, and the environment a history records."""

from __future__ import annotations

import functools
import platform
import subprocess
from pathlib import Path

import keras
import tensorflow as tf

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def select_device(requested: str) -> str:
    """Make TensorFlow use the requested device (auto, cpu, gpu); a description of it.

    Once per process: TensorFlow fixes its devices when it first uses one.
    Raises ValueError for "gpu" where TensorFlow sees none.
    """
    gpus = tf.config.list_physical_devices("GPU")
    if requested == "cpu":
        if gpus:
            tf.config.set_visible_devices([], "GPU")
        return "CPU"
    if not gpus:
        if requested == "gpu":
            raise ValueError("--device gpu: TensorFlow sees no GPU here; use --device cpu or auto")
        return "CPU"
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"GPU ({details.get('device_name', gpus[0].name)})"


@functools.cache
def describe_environment(device: str) -> dict:
    """The history's "environment": versions, device and the code's commit."""
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "device": device,
        "git_commit": git_commit(),
    }


def git_commit() -> str | None:
    """HEAD's commit, with "+dirty" when tracked files differ from it; None outside git."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(PROJECT_ROOT), *args], capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()
    try:
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    if not commit:
        return None
    return commit + "+dirty" if dirty else commit
