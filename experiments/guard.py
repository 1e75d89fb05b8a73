"""Clean interruption of an experiment: SIGINT and SIGTERM as one exception.

(Who trains which run is settled per run by `experiments.claims`.)
"""

from __future__ import annotations

import contextlib
import signal


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
