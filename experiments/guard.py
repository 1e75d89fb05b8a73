"""Guards around an experiment: one process per experiment folder, and clean interruption."""

from __future__ import annotations

import contextlib
import os
import signal
import socket

from experiments.config import ConfigError

LOCK = ".lock"


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; `exit_status` is 128 + the signal number (130, 143)."""

    def __init__(self, signal_number: int):
        super().__init__(signal.Signals(signal_number).name)
        self.signal_name = signal.Signals(signal_number).name
        self.exit_status = 128 + signal_number


@contextlib.contextmanager
def interruptible():
    """Turn SIGINT and SIGTERM into `Interrupted` for the duration, then restore the handlers."""

    def handler(signal_number, frame):
        # A second signal while the first is being handled gets the default action.
        for name in (signal.SIGINT, signal.SIGTERM):
            signal.signal(name, signal.SIG_DFL)
        raise Interrupted(signal_number)

    previous = {name: signal.signal(name, handler) for name in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for name, action in previous.items():
            signal.signal(name, action)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True


@contextlib.contextmanager
def experiment_lock(folder):
    """Hold `<folder>/.lock` while training into `folder`.

    A lock left by a process that no longer runs (killed, machine restarted)
    is taken over; a live one is refused with a ConfigError naming its PID.
    """
    path = os.path.join(folder, LOCK)
    owner = f"{os.getpid()} {socket.gethostname()}\n"
    for _ in range(2):
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if _held_by_live_process(path):
                with open(path, encoding="utf-8") as stream:
                    pid = stream.read().split()[0]
                raise ConfigError(
                    f"{folder} is being trained into by process {pid} (lock file {path}); "
                    "wait for it to finish or stop it"
                ) from None
            os.unlink(path)  # stale: its process is gone
            continue
        with os.fdopen(descriptor, "w") as stream:
            stream.write(owner)
        break
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _held_by_live_process(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as stream:
            fields = stream.read().split()
    except FileNotFoundError:
        return False
    if len(fields) < 2 or not fields[0].isdigit():
        return False  # unreadable leftovers of a crash while writing the lock
    pid, host = int(fields[0]), fields[1]
    if host != socket.gethostname():
        return True  # another machine on a shared disk: cannot check, so respect it
    return pid != os.getpid() and _process_alive(pid)
