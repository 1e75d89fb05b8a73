"""--ray: every run a task of a real Ray cluster on this machine, the histories those of the
serial runs bit for bit; a head node started with `ray start`; unreachable addresses."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import train_model
from analysis.history import read_history
from experiments.claims import CLAIM, read_claim

ray = pytest.importorskip("ray")
ROOT = Path(__file__).resolve().parents[2]
UNREPEATABLE = ("train_time_s", "eval_time_s")
# A cluster of this machine only: no usage reports, and no token authentication (Ray 2.60
# turns it on by default with a token in ~/.ray, which other local clusters may replace).
RAY_ENVIRONMENT = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled",
                   "TF_CPP_MIN_LOG_LEVEL": "3"}


def arguments(data, output, *extra, epochs=3, model="cnn"):
    return ["--optimizer", "adam,momentum", "--model", model, "--epochs", str(epochs),
            "--quiet", "--data_dir", str(data), "--output_dir", str(output),
            "--experiment", "exp", "--threads_per_run", "1", *extra]


def repeatable(history):
    record = {key: values for key, values in history["history"].items()
              if key not in UNREPEATABLE}
    return {"status": history["status"], "config": history["config"], "history": record,
            "test": history["test"], "divergence": history["divergence"],
            "data": history["data"]}


def histories(output):
    return {path.parent.name: read_history(path)
            for path in sorted(Path(output).glob("exp/*/history.json"))}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def serial(tiny_mnist, tmp_path_factory):
    """The reference, trained in one fresh process with the tasks' one thread per run."""
    output = tmp_path_factory.mktemp("serial")
    result = subprocess.run([sys.executable, "train_model.py", *arguments(tiny_mnist, output)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-3000:]
    return histories(output)


@pytest.fixture(scope="module")
def local_ray():
    """A Ray cluster inside this test process (2 CPUs, small object store), torn down after."""
    for key, value in RAY_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    ray.init(address="local", num_cpus=2, object_store_memory=80 * 1024 * 1024,
             include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_tasks_give_the_serial_histories_bit_for_bit(tiny_mnist, tmp_path, serial,
                                                         local_ray, capsys):
    assert train_model.main(arguments(tiny_mnist, tmp_path, "--ray", "auto")) == 0
    assert "Ray: 2 runs at once, 1 CPU each" in capsys.readouterr().out
    on_ray = histories(tmp_path)
    assert set(on_ray) == set(serial) and len(on_ray) == 2
    for name, history in on_ray.items():
        assert repeatable(history) == repeatable(serial[name]), name


@pytest.mark.slow
def test_a_killed_ray_worker_loses_nothing(tiny_mnist, tmp_path, serial, local_ray):
    import threading

    victim = tmp_path / "exp" / "adam_lr0.001_seed0"
    killed = []

    def kill_at_epoch_two():
        deadline = time.time() + 300
        while time.time() < deadline and not killed:
            try:
                left = read_history(victim / "history.json")
                owner = read_claim(victim / CLAIM)
            except Exception:  # not written yet, or half written
                time.sleep(0.02)
                continue
            if len(left["history"]["epoch"]) >= 2 and left["status"] == "running" and owner:
                os.kill(owner["pid"], signal.SIGKILL)
                killed.append(owner["pid"])
            time.sleep(0.02)

    killer = threading.Thread(target=kill_at_epoch_two)
    killer.start()
    status = train_model.main(arguments(tiny_mnist, tmp_path, "--ray", "auto", epochs=3))
    killer.join()
    assert status == 0
    assert killed and killed[0] != os.getpid(), "a Ray worker, not this process, was killed"
    for name, history in histories(tmp_path).items():
        assert repeatable(history) == repeatable(serial[name]), name


@pytest.fixture
def head_node(tmp_path):
    """`ray start --head` on 127.0.0.1 and a free port, in its own process group (so that
    tearing it down stops only this cluster's processes, never `ray stop`'s all)."""
    port = free_port()
    command = ["ray", "start", "--head", "--block", "--node-ip-address=127.0.0.1",
               f"--port={port}", "--num-cpus=2", "--object-store-memory=80000000",
               "--include-dashboard=false", "--disable-usage-stats"]
    environment = {**os.environ, **RAY_ENVIRONMENT}
    head = subprocess.Popen([str(Path(sys.executable).with_name("ray")), *command[1:]],
                            start_new_session=True, env=environment,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    else:
        os.killpg(head.pid, signal.SIGKILL)
        pytest.fail("the Ray head node did not start")
    yield f"127.0.0.1:{port}"
    os.killpg(head.pid, signal.SIGTERM)
    try:
        head.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(head.pid, signal.SIGKILL)


@pytest.mark.slow
def test_runs_on_a_started_head_node(tiny_mnist, tmp_path, head_node, serial):
    environment = {**os.environ, **RAY_ENVIRONMENT}
    result = subprocess.run([sys.executable, "train_model.py",
                             *arguments(tiny_mnist, tmp_path, "--ray", head_node)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    for name, history in histories(tmp_path).items():
        for key, value in repeatable(history).items():
            assert value == repeatable(serial[name])[key], (name, key)
    assert (tmp_path / "exp" / "summary.md").exists()


@pytest.mark.parametrize("address, message", [
    ("127.0.0.1:{port}", "no Ray cluster answers there"),
    ("nonsense", "--ray must be auto or HOST:PORT of a Ray head node, got 'nonsense'"),
])
def test_an_unreachable_address_is_refused(tiny_mnist, tmp_path, capsys, address, message):
    argv = arguments(tiny_mnist, tmp_path, "--ray", address.format(port=free_port()))
    assert train_model.main(argv) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert not (tmp_path / "exp").exists()


def test_auto_resolving_to_a_dead_cluster_is_refused(tiny_mnist, tmp_path, capsys,
                                                      monkeypatch):
    # Ray's "auto" reads RAY_ADDRESS, else the address the last `ray start` here recorded;
    # a stopped cluster leaves it behind, and Ray would then retry for ever.
    port = free_port()
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{port}")
    assert train_model.main(arguments(tiny_mnist, tmp_path, "--ray", "auto")) == 2
    error = capsys.readouterr().err
    # (Ray writes 127.0.0.1 as this machine's own address.)
    assert "--ray auto (resolved to " in error
    assert f":{port}): no Ray cluster answers there" in error
    assert error.count("\n") == 1 and not (tmp_path / "exp").exists()


def test_ray_and_workers_do_not_combine(tiny_mnist, tmp_path, capsys):
    argv = arguments(tiny_mnist, tmp_path, "--ray", "auto", "--workers", "2")
    assert train_model.main(argv) == 2
    assert "--workers and --ray cannot be combined" in capsys.readouterr().err
