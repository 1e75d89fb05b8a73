"""One run across devices: --distribute mirrored and multi_worker, end to end in subprocesses.

Every scenario runs train_model.py in fresh processes: logical CPU devices and
TF_CONFIG are fixed once per process, before TensorFlow starts. The workers of
a multi-worker run listen on free ports of 127.0.0.1 and are stopped by the
tests themselves.
"""

import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

import train_model
from analysis import run_config
from analysis.history import read_history
from training import distribute
from training.checkpoint import FOLDER, WEIGHTS, latest_checkpoint

ROOT = Path(__file__).resolve().parents[2]
RUN = "momentum_lr0.01_seed0"
TIMEOUT_S = 240  # per process: a bound on a hang, far above the seconds these runs take
# float32 sums of the same numbers in another order differ by a few units in the last
# place (2**-24 relative each); see test_mirrored_matches_one_device for the tolerance.
RTOL, ATOL = 1e-5, 1e-6


def arguments(tiny_mnist, output, experiment, *extra, epochs=3):
    """SGD with momentum (its step grows with the gradient: a gradient averaged wrongly over
    the replicas shows), the MLP without dropout (each replica would draw its own masks),
    a global batch of 16 that 2 replicas share evenly (108 training images: 6 batches of 16
    and one of 12)."""
    return ["--optimizer", "momentum", "--model", "mlp", "--dropout", "0", "--batch_size", "16",
            "--epochs", str(epochs), "--quiet", "--data_dir", str(tiny_mnist),
            "--output_dir", str(output), "--experiment", experiment, *extra]


def environment(tf_config=None):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "KERAS_BACKEND": "tensorflow"}
    env.pop("TF_CONFIG", None)
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return env


def start(argv, tf_config=None):
    return subprocess.Popen([sys.executable, "train_model.py", *argv], cwd=ROOT,
                            env=environment(tf_config), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(process, timeout=TIMEOUT_S):
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"no end within {timeout} s (a hang):\n{err[-3000:]}")
    return process.returncode, out, err


def run(argv, tf_config=None):
    return finish(start(argv, tf_config))


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for one in sockets:
        one.bind(("127.0.0.1", 0))
    ports = [one.getsockname()[1] for one in sockets]
    for one in sockets:
        one.close()
    return ports


def cluster(ports, index):
    return {"cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]},
            "task": {"type": "worker", "index": index}}


def start_workers(argv, count=2):
    """`count` processes of one multi-worker run, on free ports of 127.0.0.1."""
    ports = free_ports(count)
    argv = [*argv, "--distribute", "multi_worker"]
    return ports, [start(argv, cluster(ports, index)) for index in range(count)]


def weights(run_folder):
    """Every array of the run's latest checkpoint (model and optimizer), by its h5 path."""
    arrays = {}
    with h5py.File(latest_checkpoint(run_folder)[1] / WEIGHTS, "r") as file:
        file.visititems(lambda name, item: arrays.__setitem__(name, item[()])
                        if isinstance(item, h5py.Dataset) else None)
    return arrays


@pytest.fixture(scope="module")
def one_device(tiny_mnist, tmp_path_factory):
    """The run on one device, the reference of the distributed ones."""
    output = tmp_path_factory.mktemp("one_device")
    status, _, err = run(arguments(tiny_mnist, output, "one", "--keep_checkpoints"))
    assert status == 0, err[-3000:]
    return output / "one" / RUN


def assert_same_curves(history, reference):
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        np.testing.assert_allclose(history["history"][key], reference["history"][key],
                                   rtol=RTOL, atol=ATOL, err_msg=key)
    assert history["history"]["step"] == reference["history"]["step"]


@pytest.mark.slow
def test_mirrored_matches_one_device(tiny_mnist, tmp_path, one_device):
    """Two logical CPU devices, each half of every global batch of 16, against one device.

    Keras scales each replica's mean loss by 1/2 and all-reduces the gradients with
    a sum: mathematically the gradient of the global batch's mean. In float32 the
    two half-batch sums and their all-reduce round differently from one sum over 16
    examples: a few units of 2**-24 (6e-8) relative per gradient, carried through 21
    steps. rtol 1e-5 (about 170 such units) with atol 1e-6 allows that and nothing
    real: the loss falls from 2.16 to 0.29 in three epochs, so a batch missed or seen
    twice, or a gradient off by a factor, moves it by far more than 1e-5 relative.
    Measured (same data and flags, this machine): largest relative difference 1.2e-7
    in the losses, 1.3e-7 in the validation losses, largest absolute difference
    4.5e-8 in the weights and optimizer slots.
    """
    output = tmp_path / "results"
    status, out, err = run(arguments(tiny_mnist, output, "mirrored", "--distribute",
                                     "mirrored", "--replicas", "2", "--keep_checkpoints"))
    assert status == 0, err[-3000:]
    assert "2 replicas in sync" in out
    mirrored = read_history(output / "mirrored" / RUN / "history.json")
    reference = read_history(one_device / "history.json")
    assert mirrored["environment"]["strategy"] == "MirroredStrategy"
    assert mirrored["environment"]["replicas_in_sync"] == 2
    assert reference["environment"]["replicas_in_sync"] == 1
    assert mirrored["config"]["execution"]["distribute"] == "mirrored"
    assert_same_curves(mirrored, reference)
    # The test set, scored batch by batch across the replicas, against Keras's evaluate.
    assert sorted(mirrored["test"]) == sorted(reference["test"])
    for key, value in reference["test"].items():
        assert mirrored["test"][key] == pytest.approx(value, rel=RTOL, abs=ATOL), key
    ours, theirs = weights(output / "mirrored" / RUN), weights(one_device)
    assert sorted(ours) == sorted(theirs)
    for name, array in theirs.items():
        np.testing.assert_allclose(ours[name], array, rtol=RTOL, atol=ATOL, err_msg=name)


@pytest.mark.slow
def test_mirrored_batch_norm_normalises_over_the_global_batch(tiny_mnist, tmp_path):
    """The cnn's batch normalisation under two replicas: synchronized statistics (of all 16
    examples) match one device within the tolerance above. Each replica's own statistics
    (of 8 examples) would not: measured, the losses then differ by up to 85% relative."""
    output = tmp_path / "results"
    runs = {}
    for mode in ("none", "mirrored"):
        argv = arguments(tiny_mnist, output, mode, "--model", "cnn", "--distribute", mode,
                         epochs=2)
        status, _, err = run(argv)
        assert status == 0, err[-3000:]
        runs[mode] = read_history(output / mode / RUN / "history.json")
    assert runs["mirrored"]["environment"]["replicas_in_sync"] == 2
    assert runs["mirrored"]["config"]["model"]["batch_norm"] is True
    assert_same_curves(runs["mirrored"], runs["none"])


@pytest.mark.slow
def test_two_workers_train_one_run_written_by_the_chief(tiny_mnist, tmp_path, one_device):
    output = tmp_path / "results"
    _, workers = start_workers(arguments(tiny_mnist, output, "two"))
    (chief_status, chief_out, chief_err), (other_status, other_out, other_err) = [
        finish(worker) for worker in workers]
    assert chief_status == 0, chief_err[-3000:]
    assert other_status == 0, other_err[-3000:]
    folder = output / "two" / RUN
    assert sorted(path.name for path in folder.iterdir()) == ["history.json"]
    assert sorted(path.name for path in folder.parent.iterdir()) == [
        RUN, "summary.csv", "summary.md"]
    assert "2 replicas in sync" in chief_out and "2 replicas in sync" in other_out
    assert "Wrote" in chief_out and "Wrote" not in other_out
    history = read_history(folder / "history.json")
    assert history["status"] == "completed" and history["history"]["epoch"] == [1, 2, 3]
    assert history["environment"]["strategy"] == "MultiWorkerMirroredStrategy"
    assert history["environment"]["replicas_in_sync"] == 2
    assert_same_curves(history, read_history(one_device / "history.json"))


def wait_for_checkpoint(folder, epoch, workers, timeout=TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = latest_checkpoint(folder)
        if found and found[0] >= epoch:
            return
        if any(worker.poll() is not None for worker in workers):
            pytest.fail(f"a worker ended early: {[worker.returncode for worker in workers]}")
        time.sleep(0.05)
    pytest.fail(f"no checkpoint of epoch {epoch} within {timeout} s")


@pytest.mark.slow
def test_a_killed_worker_ends_the_other_with_one_error_and_the_run_resumes(tiny_mnist,
                                                                           tmp_path):
    output = tmp_path / "results"
    argv = arguments(tiny_mnist, output, "killed", "--scale_lr", "linear", epochs=6)
    ports, (chief, other) = start_workers(argv)
    folder = output / "killed" / RUN
    wait_for_checkpoint(folder, 2, [chief, other])
    other.send_signal(signal.SIGKILL)
    other.communicate()
    status, _, err = finish(chief, timeout=120)  # heartbeats time out within 10 s
    assert status == 1
    lines = [line for line in err.splitlines() if line.strip()]
    error, command = lines[-2], lines[-1].strip()
    assert error.startswith("train_model.py: error: multi_worker: lost worker 1 "
                            f"(127.0.0.1:{ports[1]})"), err[-3000:]
    assert "Resume with (on every worker" in error
    assert command.startswith("python train_model.py") and command.endswith("--resume")
    assert "Traceback" not in err
    left = read_history(folder / "history.json")
    assert left["status"] == "failed" and len(left["history"]["epoch"]) >= 2

    _, workers = start_workers([*argv, "--resume"])
    results = [finish(worker) for worker in workers]
    for status, out, err in results:
        assert status == 0, err[-3000:]
        assert "resuming after epoch" in out
    resumed = read_history(folder / "history.json")
    assert resumed["status"] == "completed"
    assert resumed["history"]["epoch"] == [1, 2, 3, 4, 5, 6]
    assert all(math.isfinite(loss) for loss in resumed["history"]["loss"])
    # --scale_lr linear with 2 replicas in sync: twice momentum's 0.01, every epoch.
    assert resumed["history"]["lr"] == pytest.approx([0.02] * 6)
    assert resumed["config"]["optimizer"]["learning_rate"] == 0.01
    assert not (folder / FOLDER).exists()


@pytest.mark.slow
def test_a_worker_whose_cluster_never_starts_ends_with_one_error(tiny_mnist, tmp_path):
    """Worker 0 alone: it leads the cluster, and TensorFlow would wait for worker 1 forever,
    deaf to signals. With the wait cut to 5 s, it ends with one error. (Worker 1 alone gets
    TensorFlow's own DeadlineExceeded after the same wait: the same line, exit status 2.)"""
    index = 0
    output = tmp_path / "results"
    argv = [*arguments(tiny_mnist, output, "alone"), "--distribute", "multi_worker"]
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("distribute_driver.py")), "5", "--",
         *argv], cwd=ROOT, env=environment(cluster(free_ports(2), index)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    status, _, err = finish(process, timeout=120)
    assert status != 0
    # TensorFlow's own error lines may follow ours, as its runtime shuts down.
    (error,) = [line for line in err.splitlines() if line.startswith("train_model.py: error:")]
    assert error.startswith("train_model.py: error: --distribute multi_worker: the 2 chief and "
                            "worker tasks of TF_CONFIG did not all start within 5 s"), err[-2000:]
    assert "Traceback" not in err
    assert not output.exists() or not any(output.rglob("*"))


@pytest.mark.slow
def test_a_batch_the_replicas_cannot_share_is_refused(tiny_mnist, tmp_path):
    output = tmp_path / "results"
    argv = arguments(tiny_mnist, output, "odd", "--distribute", "mirrored", "--replicas", "3")
    status, out, err = run(argv)
    assert status == 2
    assert err.strip() == ("train_model.py: error: --batch_size 16 cannot be shared by the 3 "
                           "replicas in sync: use a multiple of 3")
    assert not output.exists() or not any(output.rglob("*"))


TF_CONFIGS = {
    "unset": (None, "needs the TF_CONFIG environment variable"),
    "bad JSON": ("{cluster: ", "TF_CONFIG is not valid JSON"),
    "no cluster": (json.dumps({"task": {"type": "worker", "index": 0}}),
                   "TF_CONFIG has no cluster"),
    "task outside": (json.dumps({"cluster": {"worker": ["127.0.0.1:1"]},
                                 "task": {"type": "worker", "index": 3}}),
                     "is not one of its cluster's"),
    "evaluator task": (json.dumps({"cluster": {"worker": ["127.0.0.1:1"],
                                               "evaluator": ["127.0.0.1:2"]},
                                   "task": {"type": "evaluator", "index": 0}}),
                       "is not one of its cluster's"),
}


@pytest.mark.parametrize("case", TF_CONFIGS)
def test_multi_worker_without_a_valid_tf_config_is_refused(tiny_mnist, tmp_path, monkeypatch,
                                                           capsys, case):
    text, message = TF_CONFIGS[case]
    monkeypatch.delenv("TF_CONFIG", raising=False)
    if text is not None:
        monkeypatch.setenv("TF_CONFIG", text)
    output = tmp_path / "results"
    status = train_model.main(arguments(tiny_mnist, output, "x", "--distribute",
                                        "multi_worker"))
    err = capsys.readouterr().err
    assert status == 2 and message in err and err.count("\n") == 1, err
    assert not output.exists()


BAD_FLAGS = {
    "replicas without mirrored": (["--replicas", "2"], "--replicas 2 needs --distribute"),
    "with workers": (["--distribute", "mirrored", "--workers", "2"],
                     "--distribute mirrored cannot be combined with --workers 2"),
    "with ray": (["--distribute", "mirrored", "--ray", "auto"],
                 "--distribute mirrored cannot be combined with --ray"),
    "unknown mode": (["--distribute", "ring"], "invalid choice: 'ring'"),
    "unknown rule": (["--scale_lr", "cubic"], "invalid choice: 'cubic'"),
    "scale without distribute": (["--scale_lr", "linear"],
                                 "--scale_lr linear needs --distribute mirrored or multi_worker"),
    "zero replicas": (["--distribute", "mirrored", "--replicas", "0"],
                      "--replicas must be a positive integer, got 0"),
}


@pytest.mark.parametrize("case", BAD_FLAGS)
def test_bad_distribution_flags_are_refused(tiny_mnist, tmp_path, capsys, case):
    flags, message = BAD_FLAGS[case]
    output = tmp_path / "results"
    status = train_model.main(arguments(tiny_mnist, output, "x", *flags))
    err = capsys.readouterr().err
    assert status == 2 and message in err and err.count("\n") == 1, err
    assert not output.exists()


def test_multi_worker_needs_an_experiment_name(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TF_CONFIG", json.dumps(cluster([1, 2], 1)))
    status = train_model.main(["--distribute", "multi_worker", "--output_dir", str(tmp_path)])
    assert status == 2 and "needs --experiment NAME" in capsys.readouterr().err


@pytest.mark.parametrize("task, chief", [
    ({"type": "worker", "index": 0}, True),
    ({"type": "worker", "index": 1}, False),
    ({"type": "chief", "index": 0}, True),
])
def test_the_chief_is_the_chief_task_or_else_worker_0(task, chief):
    addresses = {"worker": ["a:1", "b:2"]}
    if task["type"] == "chief":
        addresses["chief"] = ["c:3"]
    environ = {"TF_CONFIG": json.dumps({"cluster": addresses, "task": task})}
    assert distribute.is_chief("multi_worker", environ) is chief
    if task["type"] == "worker" and "chief" not in addresses:
        with_chief = {"cluster": {**addresses, "chief": ["c:3"]}, "task": task}
        assert not distribute.is_chief("multi_worker", {"TF_CONFIG": json.dumps(with_chief)})
    assert distribute.is_chief("mirrored", {}) and distribute.is_chief("none", {})


def test_learning_rates_scale_with_the_replicas():
    assert distribute.learning_rate_factor("none", 8) == 1.0
    assert distribute.learning_rate_factor("linear", 8) == 8.0
    assert distribute.learning_rate_factor("sqrt", 4) == 2.0
    config = {"optimizer": {"name": "adam", "learning_rate": 0.01,
                            "map": {"dense.*": {"name": "sgd", "learning_rate": 0.1}}}}
    scaled = distribute.scaled_config(config, 4.0)
    assert scaled["optimizer"]["learning_rate"] == pytest.approx(0.04)
    assert scaled["optimizer"]["map"]["dense.*"]["learning_rate"] == pytest.approx(0.4)
    assert config["optimizer"]["learning_rate"] == 0.01  # the recorded config is untouched


def test_a_last_batch_the_replicas_cannot_share_is_named():
    # 15,691 images in batches of 128: the last holds 75, which 2 replicas cannot share.
    with pytest.raises(ValueError, match=r"last training batch \(75 of 15691 examples at "
                                         r"--batch_size 128\) cannot be shared equally by 2"):
        distribute.check_even_batches({"training": 15691, "validation": 1744}, 128, 2)
    distribute.check_even_batches({"training": 9000, "validation": 1000}, 128, 2)  # 40, 104
    distribute.check_even_batches({"training": 15691, "validation": 1743}, 128, 1)


@pytest.mark.slow
def test_three_replicas_train_and_score_a_test_set_they_cannot_split_evenly(tiny_mnist,
                                                                          tmp_path):
    # 108 training and 12 validation images at a global batch of 24: every batch splits
    # 8/8/8 or 4/4/4. The 40 test images leave a last batch of 16, which three replicas
    # cannot share (Keras's evaluate fails on it): they are scored batch by batch.
    output = tmp_path / "results"
    argv = [*arguments(tiny_mnist, output, "three", "--distribute", "mirrored",
                       "--replicas", "3", epochs=1)]
    argv[argv.index("--batch_size") + 1] = "24"
    status, out, err = run(argv)
    assert status == 0, err[-3000:]
    history = read_history(output / "three" / RUN / "history.json")
    assert history["environment"]["replicas_in_sync"] == 3
    assert history["status"] == "completed" and 0 <= history["test"]["accuracy"] <= 1
    assert history["test"]["loss"] > 0


@pytest.mark.slow
def test_a_validation_batch_the_replicas_cannot_share_is_refused(tiny_mnist, tmp_path):
    # --subset 100 holds out 10 validation images: a batch of 10 is not three equal shares.
    output = tmp_path / "results"
    argv = [*arguments(tiny_mnist, output, "odd", "--distribute", "mirrored", "--replicas",
                       "3", "--subset", "100")]
    argv[argv.index("--batch_size") + 1] = "24"
    status, out, err = run(argv)
    assert status == 2
    assert err.strip() == ("train_model.py: error: the last validation batch (10 of 10 "
                           "examples at --batch_size 24) cannot be shared equally by 3 "
                           "replicas; choose a --subset, --validation_split or --batch_size "
                           "that leaves a multiple of 3")
    assert not output.exists() or not any(output.rglob("*"))


def test_runs_recorded_before_distribution_read_as_undistributed():
    execution = {"epochs": 1, "batch_size": 64, "seed": 0}
    filled = run_config.with_added_keys({"execution": execution})["execution"]
    assert (filled["distribute"], filled["replicas"], filled["scale_lr"]) == ("none", None,
                                                                             "none")


# How TensorFlow 2.21 worded a lost peer on this machine (abridged): gRPC's reset
# connection names the local device first, then the remote target; the coordination
# service names the task that stopped sending heartbeats.
RESET = ("From /job:worker/replica:0/task:0/device:CPU:0: Collective ops is aborted by: "
         "recvmsg:Connection reset by peer\nAdditional GRPC error information from remote "
         "target /job:worker/replica:0/task:1 while calling /tensorflow.WorkerService/RecvBuf")
HEARTBEATS = ("Collective ops is aborted by: Error reported from /job:worker/task:0: The "
              "following tasks are unhealthy (stopped sending heartbeats):\n"
              "/job:worker/replica:0/task:0\nThe tasks have crashed.")


@pytest.mark.parametrize("text, own, lost", [
    (RESET, 0, "lost worker 1 (127.0.0.1:7001) (its connection was reset)"),
    (HEARTBEATS, 1, "lost worker 0 (127.0.0.1:7000) (it stopped sending heartbeats)"),
])
def test_a_lost_peer_is_named_by_its_task_and_address(text, own, lost):
    import tensorflow as tf

    environ = {"TF_CONFIG": json.dumps(cluster([7000, 7001], own))}
    found = distribute.lost_worker(tf.errors.UnavailableError(None, None, text), environ)
    assert str(found) == f"multi_worker: {lost}; the run stopped"
    assert distribute.lost_worker(ValueError(text), environ) is None
