"""One progress line for a whole experiment, however its runs are executed."""

from __future__ import annotations

import time


def duration(seconds: float) -> str:
    """`3h07m`, `4m05s` or `12s`."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


class Progress:
    """Counts of runs done, running, waiting and held by other processes, the elapsed time
    and an estimate of the time left, printed as one line at every change.

    The estimate applies the pace so far (runs done per second of this invocation) to
    the runs not yet done: rough until a few runs finished.
    """

    def __init__(self, total: int, clock=time.monotonic, stream=None):
        self.total, self.clock = total, clock
        self.stream = stream
        self.start = clock()
        self.done = self.running = self.elsewhere = 0

    @property
    def waiting(self) -> int:
        return self.total - self.done - self.running - self.elsewhere

    def line(self) -> str:
        elapsed = self.clock() - self.start
        text = (f"[{self.done}/{self.total} done, {self.running} running, "
                f"{self.waiting} waiting")
        if self.elsewhere:
            text += f", {self.elsewhere} held by other processes"
        text += f" | elapsed {duration(elapsed)}"
        if self.done and self.done < self.total:
            left = elapsed / self.done * (self.total - self.done)
            text += f", about {duration(left)} left"
        return text + "]"

    def show(self, note: str = "") -> None:
        print(self.line() + (f" {note}" if note else ""), file=self.stream, flush=True)
