"""A claim per run: no run is ever trained by two processes at once, on one machine or many.

Before a process trains a run it creates `<run folder>/.claim` with O_EXCL
(atomic on local disks and on NFS v3+), holding one JSON line: host, pid and
a heartbeat time that a thread of the claiming process renews every
`HEARTBEAT_S` seconds. Another process that finds the file leaves the run
alone unless the claim is stale:

- its host is this machine and its process is gone (killed, crashed), or
- its heartbeat is older than `STALE_AFTER_S` (another machine that stopped,
  judged by the shared disk's clocks: keep the machines' clocks in sync).

A stale claim is taken over: renamed away atomically (only one taker wins the
rename), then claimed afresh. The claim is released when the run ends, however
it ends; a run that its worker left half-done continues from its last
checkpoint (`training.runner.run_one`) under the next claim.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from pathlib import Path

CLAIM = ".claim"
HEARTBEAT_S = 10.0
STALE_AFTER_S = 60.0


def owner_record() -> dict:
    """Who claims: this host and process, and the time of the latest heartbeat (Unix s)."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "heartbeat": time.time()}


def read_claim(path: Path) -> dict | None:
    """The claim's record, or None if there is none; {} for a half-written one."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}


def is_stale(record: dict, now: float | None = None) -> bool:
    """Whether the claim `record` belongs to nobody any more (see the module's rules)."""
    now = time.time() if now is None else now
    if not record or not isinstance(record.get("heartbeat"), (int, float)):
        return True  # half-written by a process that died while claiming
    if record.get("host") == socket.gethostname() and not process_alive(record.get("pid")):
        return True
    return now - record["heartbeat"] > STALE_AFTER_S


def process_alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True


def try_claim(folder: Path) -> bool:
    """Claim the run in `folder` for this process; False if a live process holds it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CLAIM
    for _ in range(2):
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            record = read_claim(path)
            if record is None:
                continue  # released meanwhile
            if not is_stale(record):
                return False
            _take_away(path)
            continue
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(json.dumps(owner_record()) + "\n")
        return True
    return False


def _take_away(path: Path) -> None:
    """Remove a stale claim so that exactly one of several takers can claim afresh."""
    aside = path.with_name(f"{CLAIM}.stale-{socket.gethostname()}-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        os.replace(path, aside)  # atomic: of several takers, one moves it, the rest find none
        aside.unlink()


def renew(folder: Path) -> None:
    """Write a fresh heartbeat into this process's claim (atomically: temp file + rename)."""
    path = Path(folder) / CLAIM
    staging = path.with_name(f"{CLAIM}.{os.getpid()}.tmp")
    staging.write_text(json.dumps(owner_record()) + "\n", encoding="utf-8")
    os.replace(staging, path)


def release(folder: Path) -> None:
    """Drop this process's claim on the run (only if it is still ours)."""
    path = Path(folder) / CLAIM
    record = read_claim(path)
    if record and record.get("pid") == os.getpid() and record.get("host") == socket.gethostname():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


@contextlib.contextmanager
def claimed(folder: Path):
    """Hold the claim on the run in `folder` while the block runs; yields False (and runs
    nothing of its own) if another live process holds it."""
    if not try_claim(folder):
        yield False
        return
    stop = threading.Event()

    def beat():
        while not stop.wait(HEARTBEAT_S):
            with contextlib.suppress(OSError):
                renew(folder)

    heartbeat = threading.Thread(target=beat, name=f"claim heartbeat {folder}", daemon=True)
    heartbeat.start()
    try:
        yield True
    finally:
        stop.set()
        heartbeat.join()
        release(folder)
