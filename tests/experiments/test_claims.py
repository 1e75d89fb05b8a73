"""Claims per run: exclusive, renewed, and taken over only when stale."""

import json
import multiprocessing
import socket
import subprocess
import sys
import time

import pytest

from experiments import claims
from experiments.claims import CLAIM, claimed, is_stale, read_claim, try_claim


def dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def sleeper():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


def write_claim(folder, host, pid, heartbeat):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CLAIM).write_text(json.dumps({"host": host, "pid": pid, "heartbeat": heartbeat}))


def test_a_claim_names_this_process_and_is_released(tmp_path):
    with claimed(tmp_path / "run") as ours:
        assert ours
        record = read_claim(tmp_path / "run" / CLAIM)
        assert record["pid"] == __import__("os").getpid()
        assert record["host"] == socket.gethostname()
        assert abs(record["heartbeat"] - time.time()) < 60
    assert not (tmp_path / "run" / CLAIM).exists()


def test_a_live_claim_of_this_host_is_respected(tmp_path, sleeper):
    write_claim(tmp_path, socket.gethostname(), sleeper.pid, time.time())
    assert not try_claim(tmp_path)
    with claimed(tmp_path) as ours:
        assert not ours
    assert read_claim(tmp_path / CLAIM)["pid"] == sleeper.pid, "someone else's claim stays"


def test_a_dead_process_claim_is_taken_over_at_once(tmp_path):
    write_claim(tmp_path, socket.gethostname(), dead_pid(), time.time())
    assert try_claim(tmp_path)
    assert read_claim(tmp_path / CLAIM)["pid"] == __import__("os").getpid()


def test_another_host_is_judged_by_its_heartbeat(tmp_path):
    fresh = {"host": "elsewhere.example", "pid": 1, "heartbeat": time.time()}
    assert not is_stale(fresh)
    assert is_stale({**fresh, "heartbeat": time.time() - claims.STALE_AFTER_S - 1})
    write_claim(tmp_path, "elsewhere.example", 1, time.time() - 10 * claims.STALE_AFTER_S)
    assert try_claim(tmp_path)


def test_a_half_written_claim_is_stale(tmp_path):
    (tmp_path / CLAIM).write_text('{"host": "x", "pi')
    assert read_claim(tmp_path / CLAIM) == {}
    assert try_claim(tmp_path)


def test_the_heartbeat_is_renewed(tmp_path, monkeypatch):
    monkeypatch.setattr(claims, "HEARTBEAT_S", 0.05)
    with claimed(tmp_path) as ours:
        assert ours
        first = read_claim(tmp_path / CLAIM)["heartbeat"]
        deadline = time.time() + 10
        while read_claim(tmp_path / CLAIM)["heartbeat"] == first and time.time() < deadline:
            time.sleep(0.02)
        assert read_claim(tmp_path / CLAIM)["heartbeat"] > first


def _race(folder, start, results, finish):
    start.wait()
    won = try_claim(folder)
    results.put(won)
    if won:  # stay alive until every racer has tried: a dead winner's claim is stale
        finish.wait(timeout=120)


def race(folder, racers=6):
    """Start `racers` spawned processes claiming `folder` at once; their outcomes."""
    context = multiprocessing.get_context("spawn")
    start, results, finish = context.Event(), context.Queue(), context.Event()
    processes = [context.Process(target=_race, args=(folder, start, results, finish))
                 for _ in range(racers)]
    for process in processes:
        process.start()
    start.set()
    outcomes = [results.get(timeout=120) for _ in processes]
    finish.set()
    for process in processes:
        process.join()
    return outcomes


def test_of_many_racing_processes_exactly_one_claims(tmp_path):
    assert sorted(race(tmp_path)) == [False] * 5 + [True]


def test_of_many_processes_taking_over_a_stale_claim_exactly_one_wins(tmp_path):
    write_claim(tmp_path, socket.gethostname(), dead_pid(), time.time())
    assert sorted(race(tmp_path)) == [False] * 5 + [True]
