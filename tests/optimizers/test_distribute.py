"""Training under `tf.distribute.MirroredStrategy` over two logical CPU devices."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

import optimizers

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="tf.distribute.MirroredStrategy is TensorFlow's; Keras's JAX and PyTorch "
    "distribution APIs are not part of the optimizer contract",
)

SCRIPT = Path(__file__).with_name("_mirrored_training.py")


@pytest.fixture(scope="module")
def mirrored_results():
    # A fresh process: the two logical devices must exist before TensorFlow starts.
    root = Path(optimizers.__file__).resolve().parent.parent
    python_path = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    environment = {**os.environ, "PYTHONPATH": python_path}
    completed = subprocess.run(
        [sys.executable, str(SCRIPT)],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


WITH_BUILTIN = [record.name for record in optimizers.RECORDS if record.keras_builtin]


def test_every_registered_optimizer_with_a_builtin_is_trained(mirrored_results):
    assert set(mirrored_results) == {*WITH_BUILTIN, "nadam-fit"}


@pytest.mark.parametrize("name", [*WITH_BUILTIN, "nadam-fit"])
def test_mirrored_training_equals_keras_builtin(mirrored_results, name):
    result = mirrored_results[name]
    assert result["replicas"] == 2
    assert result["iterations"] == 8  # 64 samples / batch 16 * 2 epochs
    assert result["moved"] > 0
    assert result["difference"] == 0.0
