"""The README's quickstart on a machine with no MNIST and no network: it trains on the
bundled sample, and stderr holds the one warning that says so and nothing else."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quickstart_trains_on_the_bundled_sample_offline(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("TF_CPP_MIN_LOG_LEVEL", "KERAS_HOME")}
    # An empty home (no Keras cache), and a proxy that refuses every connection, so the
    # download fails at once here whether or not this machine has a network.
    environment.update(HOME=str(home), https_proxy="http://127.0.0.1:9",
                       http_proxy="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9",
                       HTTP_PROXY="http://127.0.0.1:9")
    command = [sys.executable, "train_model.py", "--optimizer", "adam", "--epochs", "1",
               "--model", "mlp", "--quiet", "--output_dir", str(tmp_path / "results"),
               "--experiment", "quickstart"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                            env=environment, timeout=600)
    assert result.returncode == 0, result.stderr
    warning, *others = result.stderr.splitlines()
    assert others == []  # no TensorFlow start-up lines, no traceback
    assert warning.startswith("warning: mnist not found locally, download through Keras failed")
    assert "data/sample/mnist.npz (6000 training, 1000 test images)" in warning
    assert "not comparable with full mnist" in warning
    (history_file,) = (tmp_path / "results" / "quickstart").glob("*/history.json")
    history = json.loads(history_file.read_text())
    assert history["status"] == "completed"
    assert history["test"]["accuracy"] > 0.5  # real digits are learnt in one epoch; noise is not
