"""The quiet start: TensorFlow's known start-up lines dropped, genuine warnings and errors kept."""

import os
import select
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import training.startup as startup
from training.startup import LineFilter, forward

ROOT = Path(startup.__file__).resolve().parents[1]

# Lines TensorFlow 2.21 wrote to stderr on a 2-core CPU machine, copied from a run.
ABSL_PREAMBLE = (b"WARNING: All log messages before absl::InitializeLog() is called are written "
                 b"to STDERR")
ONEDNN = (b"I0000 00:00:1795991939.495853    8053 port.cc:153] oneDNN custom operations are on. "
          b"You may see slightly different numerical results due to floating-point round-off "
          b"errors from different computation orders. To turn them off, set the environment "
          b"variable `TF_ENABLE_ONEDNN_OPTS=0`.")
NO_DRIVER = (b"I0000 00:00:1795991939.496109    8053 cudart_stub.cc:31] Could not find cuda "
             b"drivers on your machine, GPU will not be used.")
CPU_FEATURES = (b"I0000 00:00:1795991939.532364    8053 cpu_feature_guard.cc:227] This TensorFlow "
                b"binary is optimized to use available CPU instructions in performance-critical "
                b"operations.")
CPU_FEATURES_2 = (b"To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 "
                  b"AVX_VNNI FMA, in other operations, rebuild TensorFlow with the appropriate "
                  b"compiler flags.")
CUINIT = (b"E0000 00:00:1795991941.720388    8053 cuda_platform.cc:52] failed call to cuInit: "
          b"INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)")
THREADPOOL = (b"E0000 00:00:1795992132.383871   12526 node_def_util.cc:682] NodeDef mentions "
              b"attribute use_unbounded_threadpool which is not in the op definition: "
              b"Op<name=MapDataset; ...> This may be expected if your graph generating binary is "
              b"newer  than this binary. Unknown attributes will be ignored.")
TF_216_ONEDNN = (b"2024-03-08 10:11:12.345678: I tensorflow/core/util/port.cc:113] oneDNN custom "
                 b"operations are on. You may see slightly different numerical results.")
GENUINE_ERROR = (b"E0000 00:00:1795992132.383871   12526 bfc_allocator.cc:485] Allocator ran "
                 b"out of memory trying to allocate 2.0GiB")
FATAL = b"F0000 00:00:1795992132.383871   12526 cpu_feature_guard.cc:57] Illegal instruction"


def kept(lines):
    line_filter = LineFilter()
    return [line for line in lines if line_filter.keep(line)]


def test_the_start_up_lines_of_a_cpu_machine_are_dropped():
    lines = [ABSL_PREAMBLE, ONEDNN, NO_DRIVER, CPU_FEATURES, CPU_FEATURES_2, ABSL_PREAMBLE,
             ONEDNN, NO_DRIVER, CUINIT, THREADPOOL, TF_216_ONEDNN]
    assert kept(lines) == []


def test_genuine_errors_and_other_text_are_kept():
    lines = [ONEDNN, GENUINE_ERROR, FATAL, b"Traceback (most recent call last):",
             b"UserWarning: oneDNN custom operations are on.", b"", b"Epoch 1/5"]
    assert kept(lines) == lines[1:]


def test_cuinit_failing_is_an_error_where_a_driver_was_found():
    assert kept([CUINIT]) == [CUINIT]
    assert kept([CUINIT, NO_DRIVER]) == [CUINIT]  # the order TF never uses: still shown
    assert kept([NO_DRIVER, CUINIT]) == []


def test_the_cpu_features_continuation_is_dropped_only_right_after_its_first_line():
    assert kept([CPU_FEATURES_2]) == [CPU_FEATURES_2]
    assert kept([CPU_FEATURES, GENUINE_ERROR, CPU_FEATURES_2]) == [GENUINE_ERROR, CPU_FEATURES_2]


def run_forward(data: bytes) -> bytes:
    """What forward() passes on of ``data`` written to its pipe."""
    source_read, source_write = os.pipe()
    target_read, target_write = os.pipe()
    os.write(source_write, data)
    os.close(source_write)
    forward(source_read, target_write)
    os.close(source_read)
    os.close(target_write)
    with os.fdopen(target_read, "rb") as target:
        return target.read()


def test_forward_passes_every_other_byte_through_unchanged():
    data = b"\n".join([ABSL_PREAMBLE, ONEDNN, GENUINE_ERROR, NO_DRIVER, CUINIT,
                       b"progress 50%\r progress 100%", b"no newline at the end"])
    expected = GENUINE_ERROR + b"\nprogress 50%\r progress 100%\nno newline at the end"
    assert run_forward(data) == expected


def test_forward_lets_a_partial_line_out_without_waiting_for_its_newline():
    source_read, source_write = os.pipe()
    target_read, target_write = os.pipe()
    worker = threading.Thread(target=forward, args=(source_read, target_write))
    worker.start()
    try:
        os.write(source_write, b"Continue? [y/N] ")
        ready, _, _ = select.select([target_read], [], [], 30)
        assert ready and os.read(target_read, 100) == b"Continue? [y/N] "
    finally:
        os.close(source_write)
        worker.join()
        for descriptor in (source_read, target_read, target_write):
            os.close(descriptor)


def test_tf_cpp_min_log_level_0_turns_the_filter_off(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    assert startup.quiet_tensorflow_start() is None


# --- a real TensorFlow start, in a subprocess ------------------------------------------

PROGRAM = """
import os, sys, warnings
if sys.argv[1] == "quiet":
    from training.startup import quiet_tensorflow_start
    quiet_tensorflow_start()
import tensorflow as tf
tf.config.list_physical_devices("GPU")  # initialises CUDA, where cuInit fails
print(float(tf.reduce_sum(tf.ones(3))), flush=True)
os.write(2, b"E0000 00:00:1.0 1 genuine.cc:1] a genuine C++ error line\\n")
warnings.warn("a genuine Python warning")
print("a line the program writes to stderr", file=sys.stderr)
raise RuntimeError("a genuine crash")
"""
MARKERS = ("absl::InitializeLog", "oneDNN", "cuda drivers", "cuInit", "cpu_feature_guard")


def run_program(mode):
    environment = {key: value for key, value in os.environ.items()
                   if key != "TF_CPP_MIN_LOG_LEVEL"}  # as a user's shell has it
    return subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True,
                          text=True, cwd=ROOT, env=environment, timeout=300)


def test_a_real_start_shows_only_the_genuine_lines():
    noisy = run_program("plain")
    if not any(marker in noisy.stderr for marker in MARKERS):
        pytest.skip("this TensorFlow prints none of the known start-up lines here")
    quiet = run_program("quiet")
    assert quiet.returncode == 1 and quiet.stdout == "3.0\n"
    lines = quiet.stderr.splitlines()
    assert lines == [
        "E0000 00:00:1.0 1 genuine.cc:1] a genuine C++ error line",
        "<string>:10: UserWarning: a genuine Python warning",
        "a line the program writes to stderr",
        "Traceback (most recent call last):",
        '  File "<string>", line 12, in <module>',
        "RuntimeError: a genuine crash",
    ]
    # the same lines reach the user without the filter, among the noise
    assert set(lines) <= set(noisy.stderr.splitlines())


INTERRUPTED = """
import os, signal, sys
from training.startup import quiet_tensorflow_start
quiet_tensorflow_start()
def stop(signum, frame):
    print("stopped by SIGINT; resume with ...", file=sys.stderr)
    sys.exit(130)
signal.signal(signal.SIGINT, stop)
os.killpg(os.getpgid(0), signal.SIGINT)  # what Ctrl-C in a terminal does
signal.pause()
"""


def test_ctrl_c_on_the_process_group_does_not_end_the_filter_before_the_message():
    result = subprocess.run([sys.executable, "-c", INTERRUPTED], capture_output=True, text=True,
                            cwd=ROOT, timeout=60, start_new_session=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "1"})
    assert result.returncode == 130
    assert result.stderr == "stopped by SIGINT; resume with ...\n"
