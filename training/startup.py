"""A quiet TensorFlow start: its known, harmless start-up lines dropped, all else kept.

TensorFlow 2.21 writes a dozen lines to stderr on a CPU machine before and as it
starts (oneDNN, "Could not find cuda drivers", cpu_feature_guard, cuInit).
``TF_CPP_MIN_LOG_LEVEL`` cannot hide most of them: they are written by absl
before absl's logging is initialised ("All log messages before
absl::InitializeLog() is called are written to STDERR"), and the cuInit failure
is an error-level line. So :func:`quiet_tensorflow_start` puts a filter on file
descriptor 2 itself: a pipe read by a small child process (this file, run as a
script) that drops lines matching :data:`BENIGN` and passes every other byte on
to the real stderr. A child process rather than a thread, so that a crash or
abort of the main process cannot lose the last lines: the child forwards them
once the pipe closes. Nothing about the computation changes (in particular not
``TF_ENABLE_ONEDNN_OPTS``, which changes numerics).

``TF_CPP_MIN_LOG_LEVEL=0`` in the environment turns the filter off, for whoever
wants to see every line.
"""

from __future__ import annotations

import atexit
import os
import re
import select
import signal
import subprocess
import sys

# The line headers: absl's (TF 2.17+: severity, MMDD, time, thread, file:line]) and
# the one TF 2.16 wrote (date time: severity path/file:line]).
HEADERS = (
    re.compile(rb"^[IWEF]\d{4} [\d:.]+\s+\d+ (?:[\w.-]+/)*(?P<file>[\w.-]+):\d+\] (?P<message>.*)"),
    re.compile(rb"^[\d-]+ [\d:.]+: [IWEF] (?:[\w.-]+/)*(?P<file>[\w.-]+):\d+\] (?P<message>.*)"),
)

# (file, start of message) of TensorFlow's start-up lines that ask nothing of the user.
BENIGN = (
    (b"port.cc", b"oneDNN custom operations are on."),  # a note on round-off; no action
    (b"cudart_stub.cc", b"Could not find cuda drivers on your machine"),  # a CPU machine
    (b"cpu_feature_guard.cc", b"This TensorFlow binary is optimized to use available CPU"),
    # TF 2.15/2.16 with CUDA: TensorRT is optional, and each CUDA library's plugin
    # was registered twice; neither affects training.
    (b"py_utils.cc", b"TF-TRT Warning: Could not find TensorRT"),
    (b"cuda_dnn.cc", b"Unable to register cuDNN factory"),
    (b"cuda_fft.cc", b"Unable to register cuFFT factory"),
    (b"cuda_blas.cc", b"Unable to register cuBLAS factory"),
    # tf.data's Python side sets an attribute the C++ op ignores ("Unknown
    # attributes will be ignored"); nothing the user can or need do.
    (b"node_def_util.cc", b"NodeDef mentions attribute use_unbounded_threadpool"),
)
ABSL_PREAMBLE = b"WARNING: All log messages before absl::InitializeLog() is called are written"
CPU_FEATURES_CONTINUATION = b"To enable the following instructions:"
NO_DRIVER = b"Could not find cuda drivers"
CUINIT_FAILED = b"failed call to cuInit"
FLUSH_AFTER_S = 0.1  # a partial line (a prompt, a progress bar) waits no longer than this
WAIT_AT_EXIT_S = 2.0


class LineFilter:
    """Decides line by line what reaches the user; remembers what it has seen."""

    def __init__(self):
        self.no_driver = False  # cuInit failing is expected once TF found no CUDA driver
        self.after_cpu_features = False

    def keep(self, line: bytes) -> bool:
        """False for a known start-up line (``line`` without or with its newline)."""
        continuation, self.after_cpu_features = self.after_cpu_features, False
        if line.startswith(ABSL_PREAMBLE):
            return False
        if continuation and line.startswith(CPU_FEATURES_CONTINUATION):
            return False
        header = next(filter(None, (pattern.match(line) for pattern in HEADERS)), None)
        if header is None:
            return True
        file, message = header["file"], header["message"]
        if CUINIT_FAILED in message:
            return not self.no_driver  # on a machine with a driver, a real error
        self.no_driver |= message.startswith(NO_DRIVER)
        self.after_cpu_features = file == b"cpu_feature_guard.cc"
        return not any(file == known and message.startswith(start) for known, start in BENIGN)


def forward(source: int, target: int) -> None:
    """Copy ``source`` to ``target`` until end of file, dropping what LineFilter drops."""
    line_filter, pending = LineFilter(), b""
    while True:
        ready, _, _ = select.select([source], [], [], FLUSH_AFTER_S if pending else None)
        if not ready:  # a partial line with nothing after it for a while: let it out
            _write(target, pending)
            pending = b""
            continue
        chunk = os.read(source, 65536)
        if not chunk:
            _write(target, pending)
            return
        *lines, pending = (pending + chunk).split(b"\n")
        _write(target, b"".join(line + b"\n" for line in lines if line_filter.keep(line)))


def _write(target: int, data: bytes) -> None:
    while data:
        data = data[os.write(target, data):]


class StderrFilter:
    """File descriptor 2 redirected through a filtering child process; :meth:`stop` undoes it."""

    def __init__(self):
        self.saved = os.dup(2)
        read_end, write_end = os.pipe()
        try:
            # A session of its own: Ctrl-C, meant for the run, must not end the filter.
            self.child = subprocess.Popen(
                [sys.executable, "-I", "-S", os.path.abspath(__file__)],
                stdin=read_end, stdout=self.saved, close_fds=True, start_new_session=True,
            )
        except OSError:
            for descriptor in (self.saved, write_end):
                os.close(descriptor)
            raise
        finally:
            os.close(read_end)
        sys.stderr.flush()
        os.dup2(write_end, 2)
        os.close(write_end)

    def stop(self) -> None:
        """Give fd 2 back to the real stderr and let the child forward what is left."""
        if self.saved is None:
            return
        sys.stderr.flush()
        os.dup2(self.saved, 2)  # closes our end of the pipe: the child reads to its end
        os.close(self.saved)
        self.saved = None
        try:
            self.child.wait(WAIT_AT_EXIT_S)  # longer only if a process we started holds it
        except subprocess.TimeoutExpired:
            pass


def quiet_tensorflow_start() -> StderrFilter | None:
    """Call before importing TensorFlow: hide its start-up lines, keep real warnings/errors.

    Sets ``TF_CPP_MIN_LOG_LEVEL=1`` unless set (info lines after start-up go; warnings
    and errors stay) and filters stderr for the rest of the process (see the module
    docstring). Returns the filter, or None where it is off: ``TF_CPP_MIN_LOG_LEVEL=0``
    asked for everything, the platform is not POSIX (Windows keeps all lines), or
    there is no Python executable to run the filter with.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    if os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0" or os.name != "posix" or not sys.executable:
        return None
    try:
        stderr_filter = StderrFilter()
    except OSError:  # no pipe or no process to spare: a noisy start, not a failed one
        return None
    atexit.register(stderr_filter.stop)
    return stderr_filter


if __name__ == "__main__":  # the child: stdin is the pipe, stdout the real stderr
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forward(0, 1)
    except BrokenPipeError:  # the real stderr was closed (`2>&1 | head`): nothing to do
        pass
