"""--workers: runs in worker processes give the serial histories bit for bit; a killed
worker loses nothing; Ctrl-C stops every worker cleanly; bad input is refused."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import train_model
from analysis.history import read_history
from experiments.claims import CLAIM, read_claim

ROOT = Path(__file__).resolve().parents[2]
UNREPEATABLE = ("train_time_s", "eval_time_s")  # the clock


def arguments(data, output, *extra, epochs=2, model="mlp"):
    return ["--optimizer", "adam,momentum", "--model", model, "--epochs", str(epochs),
            "--quiet", "--data_dir", str(data), "--output_dir", str(output),
            "--experiment", "exp", "--threads_per_run", "1", *extra]


def repeatable(history):
    """What must not depend on scheduling: everything but the clocks."""
    record = {key: values for key, values in history["history"].items()
              if key not in UNREPEATABLE}
    return {"status": history["status"], "config": history["config"], "history": record,
            "test": history["test"], "divergence": history["divergence"],
            "target": history["target"], "data": history["data"]}


def histories(output):
    return {path.parent.name: read_history(path)
            for path in sorted(Path(output).glob("exp/*/history.json"))}


def train(argv, **options):
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, "train_model.py", *argv], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment,
                            **options)


def finish(process, timeout=600):
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return out, err


@pytest.fixture(scope="module")
def serial_cnn(tiny_mnist, tmp_path_factory):
    """The reference: both runs trained one after another in one fresh process (this one's
    TensorFlow may already run with other thread settings)."""
    output = tmp_path_factory.mktemp("serial")
    finish(train(arguments(tiny_mnist, output, model="cnn", epochs=5)))
    return histories(output)


@pytest.mark.slow
def test_workers_give_the_serial_histories_bit_for_bit(tiny_mnist, tmp_path, serial_cnn):
    process = train(arguments(tiny_mnist, tmp_path, "--workers", "2", model="cnn", epochs=5))
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-3000:]
    assert "Workers: 2 processes, 1 CPU thread each" in out
    parallel = histories(tmp_path)
    assert set(parallel) == set(serial_cnn) and len(parallel) == 2
    for name, history in parallel.items():
        assert repeatable(history) == repeatable(serial_cnn[name]), name
    assert "[2/2 done, 0 running, 0 waiting" in out


def wait_for_epoch(folder, epoch, timeout=300):
    """Poll until the run in `folder` has recorded `epoch` epochs and is still running."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            history = json.loads((folder / "history.json").read_text())
        except (OSError, ValueError):
            history = None
        if history and len(history["history"]["epoch"]) >= epoch:
            assert history["status"] == "running", "the run ended before it could be stopped"
            return
        time.sleep(0.02)
    raise AssertionError(f"{folder} never reached epoch {epoch}")


@pytest.mark.slow
def test_a_killed_worker_loses_nothing(tiny_mnist, tmp_path, serial_cnn):
    process = train(arguments(tiny_mnist, tmp_path, "--workers", "2", model="cnn", epochs=5))
    victim = tmp_path / "exp" / "adam_lr0.001_seed0"
    wait_for_epoch(victim, 2)
    owner = read_claim(victim / CLAIM)
    assert owner["pid"] != process.pid, "the run trains in a worker, not in the driver"
    os.kill(owner["pid"], signal.SIGKILL)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-3000:]
    assert "a worker process died; its runs continue from their last checkpoints" in out
    assert "resuming after epoch" in out
    for name, history in histories(tmp_path).items():
        assert repeatable(history) == repeatable(serial_cnn[name]), name
        assert not (tmp_path / "exp" / name / CLAIM).exists()


@pytest.mark.slow
def test_ctrl_c_stops_every_worker_and_says_how_to_resume(tiny_mnist, tmp_path, serial_cnn):
    argv = arguments(tiny_mnist, tmp_path, "--workers", "2", model="cnn", epochs=5)
    process = train(argv, start_new_session=True)  # its own process group, like a terminal's
    wait_for_epoch(tmp_path / "exp" / "adam_lr0.001_seed0", 1)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: the whole group gets it
    out, err = process.communicate(timeout=300)
    assert process.returncode == 130, err[-3000:]
    assert "Resume with:" in err and "--resume" in err and "Traceback" not in err
    left = histories(tmp_path)
    assert "interrupted" in {history["status"] for history in left.values()}
    assert all(history["status"] in ("interrupted", "completed") for history in left.values())

    finish(train([*argv, "--resume"]))
    for name, history in histories(tmp_path).items():
        assert repeatable(history) == repeatable(serial_cnn[name]), name


@pytest.mark.slow
def test_more_workers_than_runs_uses_fewer(tiny_mnist, tmp_path):
    process = train(arguments(tiny_mnist, tmp_path, "--workers", "5", epochs=1))
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-3000:]
    assert "--workers 5: only 2 runs, so 2 workers" in err
    assert "Workers: 2 processes" in out
    assert {history["status"] for history in histories(tmp_path).values()} == {"completed"}


@pytest.mark.parametrize("value, message", [
    ("0", "--workers must be a positive integer, got 0"),
    ("two", "argument --workers: invalid int value: 'two'"),
])
def test_bad_worker_counts_are_refused(tiny_mnist, tmp_path, capsys, value, message):
    assert train_model.main(arguments(tiny_mnist, tmp_path, "--workers", value)) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert not (tmp_path / "exp").exists()


@pytest.mark.slow
def test_two_invocations_share_one_experiment(tiny_mnist, tmp_path, serial_cnn):
    argv = arguments(tiny_mnist, tmp_path, model="cnn", epochs=5)
    first = train(argv)
    wait_for_epoch(tmp_path / "exp" / "adam_lr0.001_seed0", 0)  # its first history is written
    second = train([*argv, "--resume"])  # joins while the first trains
    first_out, _ = finish(first)
    second_out, _ = finish(second)
    outputs = first_out + second_out
    # One found a run the other held, and no run was trained twice or resumed.
    assert "held by another process" in outputs, outputs
    assert "resuming after epoch" not in outputs
    for name, history in histories(tmp_path).items():
        assert repeatable(history) == repeatable(serial_cnn[name]), name
        assert not (tmp_path / "exp" / name / CLAIM).exists()
