"""One run across several devices or machines: the tf.distribute strategy of this process.

`--distribute` (a run's `execution.distribute`) is `none`; `mirrored`
(`tf.distribute.MirroredStrategy` over this machine's GPUs, all or the first
`--replicas`, or over `--replicas` logical CPU devices, default 2, where there is
no GPU); or `multi_worker` (`tf.distribute.MultiWorkerMirroredStrategy`, one
process per machine, the cluster named by `TF_CONFIG`). In a multi-worker run the
chief (task type "chief", or worker 0 without one) writes history, checkpoints and
summary; the others write into a temporary folder, removed after the run, and read
the chief's checkpoint from the shared run folder to resume in step with it.

The batch size is global: each of the R replicas computes its mean loss on
batch_size / R examples, Keras divides it by R and all-reduces the gradients with
a sum: the gradient of the global batch's mean loss. The learning rate is
unchanged unless `--scale_lr` multiplies it by R (`linear`, Goyal et al. 2017,
"Accurate, Large Minibatch SGD") or sqrt(R) (`sqrt`, Krizhevsky 2014, "One weird
trick"; Hoffer et al. 2017), both meant for a global batch raised with the
replicas. Batch normalisation uses the global batch's statistics (Keras's
`synchronized=True`), as on one device.

A lost peer: TensorFlow's coordination service expects heartbeats; once a peer
misses them for `HEARTBEAT_TIMEOUT_S` (or its connection closes), every
survivor's collectives fail with `UnavailableError`, which `lost_worker` turns
into one line naming the worker. TensorFlow is imported only inside the
functions that need it: the checks run before it loads.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MODES = ("none", "mirrored", "multi_worker")
DEFAULT_CPU_REPLICAS = 2  # logical CPU devices of a mirrored run on a machine without GPU
HEARTBEAT_TIMEOUT_S = 10  # a peer silent this long is lost (TensorFlow's own default)
SHUTDOWN_BARRIER_TIMEOUT_S = 10  # how long an exiting worker waits for the others
REGISTER_TIMEOUT_S = 300  # how long a starting worker waits for the whole cluster
COORDINATED_JOBS = ("chief", "worker")


class WorkerLost(RuntimeError):
    """A peer of a multi-worker run stopped; the message is one line naming it."""


def cluster_from_environment(environ=None) -> dict:
    """The parsed `TF_CONFIG`: {"cluster": {job: [address, ...]}, "task": {"type", "index"}}.

    Raises ValueError (one line) when it is unset, not JSON, has no cluster of
    chief/worker addresses, or its task is not one of the cluster's chiefs or workers.
    """
    text = (os.environ if environ is None else environ).get("TF_CONFIG")
    rule = ('set TF_CONFIG to {"cluster": {"worker": ["host:port", ...]}, '
            '"task": {"type": "worker", "index": N}}')
    if not text:
        raise ValueError(f"--distribute multi_worker needs the TF_CONFIG environment variable; "
                         f"{rule}")
    try:
        config = json.loads(text)
    except ValueError:
        raise ValueError(f"TF_CONFIG is not valid JSON ({text[:60]!r}); {rule}") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not any(
            isinstance(cluster.get(job), list) and cluster[job] for job in COORDINATED_JOBS):
        raise ValueError(f"TF_CONFIG has no cluster of chief or worker addresses; {rule}")
    task = config.get("task")
    if (not isinstance(task, dict) or task.get("type") not in COORDINATED_JOBS
            or task["type"] not in cluster
            or not isinstance(task.get("index"), int)
            or not 0 <= task["index"] < len(cluster[task["type"]])):
        raise ValueError(f"TF_CONFIG's task {task!r} is not one of its cluster's; {rule}")
    return config


def is_chief(mode: str, environ=None) -> bool:
    """Whether this process writes the run's files: always, except in a multi-worker run,
    where only the chief does (task type "chief", or worker 0 where there is no chief)."""
    if mode != "multi_worker":
        return True
    config = cluster_from_environment(environ)
    task = config["task"]
    if "chief" in config["cluster"]:
        return task["type"] == "chief"
    return task["type"] == "worker" and task["index"] == 0


def check_request(mode: str, replicas: int | None, workers: int = 1, ray=None,
                  experiment: str | None = None, environ=None, scale_lr: str = "none") -> None:
    """Refuse a distribution that cannot run; ValueError with one line.

    `--replicas` is for mirrored only, `--scale_lr` for a distributed run; `--workers > 1`
    and `--ray` run several runs at once and cannot be combined with one run across
    devices; multi_worker needs a valid TF_CONFIG and an `--experiment` name that every
    worker shares.
    """
    if mode not in MODES:
        raise ValueError(f"--distribute must be one of {', '.join(MODES)}, got {mode!r}")
    if replicas is not None and mode != "mirrored":
        raise ValueError(f"--replicas {replicas} needs --distribute mirrored (got {mode})")
    if mode == "none":
        if scale_lr != "none":
            raise ValueError(f"--scale_lr {scale_lr} needs --distribute mirrored or "
                             "multi_worker: one device has nothing to scale by")
        return
    if workers > 1 or ray:
        used = f"--workers {workers}" if workers > 1 else "--ray"
        raise ValueError(f"--distribute {mode} cannot be combined with {used}: one run "
                         "across devices, or several runs at once, not both")
    if mode == "multi_worker":
        cluster_from_environment(environ)
        if not experiment:
            raise ValueError("--distribute multi_worker needs --experiment NAME: every "
                             "worker must name the same experiment folder")


def check_batch_size(batch_size, replicas: int) -> None:
    """Refuse a global batch the replicas cannot share equally; ValueError (one line)."""
    if batch_size == "full" or replicas <= 1:
        return
    if batch_size % replicas:
        raise ValueError(f"--batch_size {batch_size} cannot be shared by the {replicas} "
                         f"replicas in sync: use a multiple of {replicas}")


def check_even_batches(examples: dict, batch_size: int, replicas: int) -> None:
    """Refuse a run whose last training or validation batch the replicas cannot share
    equally; `examples` maps each part to its size. ValueError (one line).
    Keras 3's `fit` and `evaluate` under a tf.distribute strategy fail on such a
    batch (an `AddN` of unequal per-replica shapes), so it is refused before anything
    is written. Validation runs in batches of `batch_size` too; the test set, whose
    size the user cannot choose, is scored by `test_scores` instead."""
    if replicas <= 1:
        return
    for part, count in examples.items():
        last = count % batch_size
        if last % replicas:
            raise ValueError(
                f"the last {part} batch ({last} of {count} examples at --batch_size "
                f"{batch_size}) cannot be shared equally by {replicas} replicas; choose a "
                f"--subset, --validation_split or --batch_size that leaves a multiple of "
                f"{replicas}")


def test_scores(model, x, y, batch_size: int) -> dict:
    """Test loss and accuracy of a distributed model, batch by batch in cross-replica
    context (a plain call of the model on each batch, which the replicas need not share).

    The quantities of Keras's `evaluate` for this compile: "loss" is the mean sparse
    categorical cross-entropy over all of `x` plus the model's regularisation losses,
    "accuracy" the share of argmax predictions equal to `y`.
    """
    import keras
    import numpy as np

    cross_entropy, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        probabilities = model(x[start:start + batch_size], training=False)
        labels = y[start:start + batch_size]
        losses = keras.losses.sparse_categorical_crossentropy(labels, probabilities)
        cross_entropy += float(np.sum(keras.ops.convert_to_numpy(losses), dtype=np.float64))
        predicted = np.argmax(keras.ops.convert_to_numpy(probabilities), axis=-1)
        correct += int(np.sum(predicted == labels))
    penalty = sum(float(keras.ops.convert_to_numpy(loss)) for loss in model.losses)
    return {"accuracy": correct / len(x), "loss": cross_entropy / len(x) + penalty}


def learning_rate_factor(rule: str, replicas: int) -> float:
    """The factor `--scale_lr` multiplies learning rates by: 1 (none), R (linear, Goyal et
    al. 2017) or sqrt(R) (sqrt, Krizhevsky 2014), R the replicas in sync."""
    return {"none": 1.0, "linear": float(replicas), "sqrt": math.sqrt(replicas)}[rule]


def scaled_config(config: dict, factor: float) -> dict:
    """`config` with the optimizer's learning rate, and every map group's, times `factor`."""
    if factor == 1.0:
        return config
    optimizer = {**config["optimizer"],
                 "learning_rate": config["optimizer"]["learning_rate"] * factor}
    groups = optimizer.get("map")
    if groups:
        optimizer["map"] = {pattern: {**group, "learning_rate": group["learning_rate"] * factor}
                            for pattern, group in groups.items()}
    return {**config, "optimizer": optimizer}


@functools.cache
def get_strategy(mode: str, replicas: int | None = None):
    """This process's strategy for `mode` (None for "none"), built once: before TensorFlow
    first uses a device, since logical devices and collectives are fixed then.

    Raises ValueError for more replicas than GPUs, or a bad TF_CONFIG.
    """
    if mode == "none":
        return None
    import tensorflow as tf

    if mode == "mirrored":
        return tf.distribute.MirroredStrategy(mirrored_devices(replicas))
    config = cluster_from_environment()
    configure_coordination(config)
    workers = sum(len(config["cluster"].get(job, [])) for job in COORDINATED_JOBS)
    problem = (f"--distribute multi_worker: the {workers} chief and worker tasks of TF_CONFIG "
               f"did not all start within {REGISTER_TIMEOUT_S} s")
    try:
        with _deadline(REGISTER_TIMEOUT_S + 10, f"train_model.py: error: {problem}"):
            return _multi_worker_strategy()
    except tf.errors.OpError as error:  # a worker's registration timed out
        raise ValueError(f"{problem} ({type(error).__name__})") from None


@contextlib.contextmanager
def _deadline(seconds: float, message: str):
    """Write `message` to stderr and kill this process unless the block ends in `seconds`.

    The cluster's leader waits for the other tasks inside TensorFlow, holding the
    GIL and deaf to SIGINT and SIGTERM (its preemption notifier catches the
    latter), with no time limit: only another process can end that wait.
    """
    # The watchdog leaves as soon as its parent is gone (it is then adopted by another).
    code = ("import os, sys, time\n"
            "end, parent = time.monotonic() + float(sys.argv[1]), int(sys.argv[3])\n"
            "while time.monotonic() < end and os.getppid() == parent:\n"
            "    time.sleep(0.5)\n"
            "if os.getppid() == parent:\n"
            "    sys.stderr.write(sys.argv[2] + '\\n'); sys.stderr.flush()\n"
            "    os.kill(parent, 9)\n")
    watchdog = subprocess.Popen([sys.executable, "-c", code, str(seconds), message,
                                 str(os.getpid())])
    try:
        yield
    finally:
        watchdog.kill()
        watchdog.wait()


def mirrored_devices(replicas: int | None) -> list[str]:
    """The devices of a mirrored strategy: the first `replicas` GPUs (default all), or,
    with no GPU, `replicas` (default 2) logical CPU devices made now."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        count = len(gpus) if replicas is None else replicas
        if count > len(gpus):
            raise ValueError(f"--replicas {replicas}: this machine has {len(gpus)} GPU(s)")
        return [f"/gpu:{index}" for index in range(count)]
    count = replicas or DEFAULT_CPU_REPLICAS
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)])
    except RuntimeError:  # TensorFlow already runs in this process
        raise ValueError(f"--distribute mirrored: cannot split the CPU into {count} devices "
                         "once TensorFlow runs; start a fresh process") from None
    return [f"/cpu:{index}" for index in range(count)]


def configure_coordination(config: dict) -> None:
    """Set the coordination service's timeouts before the strategy starts it.

    MultiWorkerMirroredStrategy configures the service itself only when nothing did
    (collective_all_reduce_strategy.py), with the same leader and jobs as here but
    TensorFlow's default timeouts; these bound how long a survivor waits for a lost
    peer. There is no public API for them.
    """
    from tensorflow.compiler.xla.tsl.protobuf import coordination_config_pb2
    from tensorflow.python.eager import context

    cluster = config["cluster"]
    leader = "chief" if "chief" in cluster else "worker"
    jobs = [coordination_config_pb2.CoordinatedJob(name=job, num_tasks=len(cluster[job]))
            for job in COORDINATED_JOBS if job in cluster]
    context.context().configure_coordination_service(
        service_type="standalone", service_leader=f"/job:{leader}/replica:0/task:0",
        heartbeat_timeout_in_ms=HEARTBEAT_TIMEOUT_S * 1000,
        shutdown_barrier_timeout_in_ms=SHUTDOWN_BARRIER_TIMEOUT_S * 1000,
        cluster_register_timeout_in_ms=REGISTER_TIMEOUT_S * 1000, coordinated_jobs=jobs)


def _multi_worker_strategy():
    """MultiWorkerMirroredStrategy whose `reduce` takes nested values and scalars.

    Keras 3's `fit` under this strategy reduces a whole (x, y) batch with one
    `strategy.reduce` call and each scalar metric with `axis=0`; TensorFlow's
    `reduce` takes neither (keras-team/keras#20585). Here each leaf is reduced on
    its own, and a scalar (which has no batch axis) across replicas only.
    """
    import tensorflow as tf

    class MultiWorkerMirrored(tf.distribute.MultiWorkerMirroredStrategy):
        recorded_name = "MultiWorkerMirroredStrategy"

        def reduce(self, reduce_op, value, axis=None):
            def one(leaf):
                rank = getattr(getattr(leaf, "shape", None), "rank", None)
                return super(MultiWorkerMirrored, self).reduce(
                    reduce_op, leaf, None if rank == 0 else axis)
            return tf.nest.map_structure(one, value)

    return MultiWorkerMirrored()


def scope(strategy):
    """The strategy's scope (variables created in it are mirrored), or no context."""
    return contextlib.nullcontext() if strategy is None else strategy.scope()


def replicas_in_sync(strategy) -> int:
    return 1 if strategy is None else int(strategy.num_replicas_in_sync)


def describe(strategy) -> dict:
    """What a history's environment records: the strategy's class and replicas in sync."""
    name = None if strategy is None else getattr(strategy, "recorded_name",
                                                 type(strategy).__name__)
    return {"strategy": name, "replicas_in_sync": replicas_in_sync(strategy)}


def synchronize_batch_norm(model) -> None:
    """Make every BatchNormalization layer of `model` use the statistics of the global
    batch, all-reduced over the replicas (the layer reads the flag at each call, so set
    it before `fit`)."""
    import keras

    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.synchronized = True


_TASK = re.compile(r"/job:(\w+)/(?:replica:\d+/)?task:(\d+)")
# How TensorFlow 2.21 words a lost peer: the coordination service's missed heartbeats, or
# gRPC's closed connection (seen first when the peer runs on the same machine).
_REASONS = (("stopped sending heartbeats", "it stopped sending heartbeats"),
            ("Socket closed", "its connection closed"),
            ("Connection reset", "its connection was reset"),
            ("Connection refused", "its connection was refused"))


def lost_worker(error: BaseException, environ=None) -> WorkerLost | None:
    """A WorkerLost naming the peer `error` (from a multi-worker run) says stopped: the
    first task it names other than this one. None when `error` is not TensorFlow's report
    of an unreachable peer."""
    import tensorflow as tf

    if not isinstance(error, tf.errors.UnavailableError):
        return None
    text = str(error)
    try:
        config = cluster_from_environment(environ)
    except ValueError:
        config = {"cluster": {}, "task": {}}
    own = (config["task"].get("type"), config["task"].get("index"))
    peers = [(job, int(index)) for job, index in _TASK.findall(text) if (job, int(index)) != own]
    peer = "a peer"
    if peers:
        job, index = peers[0]
        addresses = config["cluster"].get(job, [])
        peer = f"{job} {index} ({addresses[index] if index < len(addresses) else '?'})"
    reason = next((why for sign, why in _REASONS if sign in text), type(error).__name__)
    return WorkerLost(f"multi_worker: lost {peer} ({reason}); the run stopped")


@contextlib.contextmanager
def writing_folder(run_folder: Path, mode: str):
    """The folder this process writes the run into: `run_folder`, except for a multi-worker
    non-chief, which gets a temporary copy of the run's history and latest checkpoint
    (to resume in step with the chief), removed afterwards. Its name depends only on the
    task and the run, so that the next attempt replaces what a killed worker left."""
    if is_chief(mode):
        yield Path(run_folder)
        return
    from analysis.history import FILENAME
    from training.checkpoint import FOLDER, latest_checkpoint

    task = cluster_from_environment()["task"]
    digest = hashlib.sha1(str(Path(run_folder).resolve()).encode()).hexdigest()[:12]
    scratch = Path(tempfile.gettempdir()) / f"multi_worker-{task['type']}{task['index']}-{digest}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    try:
        history = Path(run_folder) / FILENAME
        if history.is_file():
            shutil.copy2(history, scratch / history.name)
            checkpoint = latest_checkpoint(run_folder)
            if checkpoint:
                shutil.copytree(checkpoint[1], scratch / FOLDER / checkpoint[1].name)
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
