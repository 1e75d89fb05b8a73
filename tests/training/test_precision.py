"""--mixed_precision and --jit_compile: the policy and XLA setting a run trains with, our
optimizers under Keras's loss scaling, and what the history records."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import optimizers
import train_model
from analysis.history import read_history
from training.precision import policy_name, use_determinism, use_policy
from training.runner import build_compiled_model


def arguments(data, output, *extra):
    return ["--optimizer", "adam", "--model", "mlp", "--epochs", "2", "--quiet",
            "--data_dir", str(data), "--output_dir", str(output), "--experiment", "exp", *extra]


def only_history(output):
    (path,) = output.glob("exp/*/history.json")
    return read_history(path)


def run_config(optimizer="adam"):
    return {"problem": {"dataset": "mnist"},
            "model": {"name": "mlp", "init": "he", "dropout": None, "batch_norm": True,
                      "l2": 0.0},
            "optimizer": {"name": optimizer, "learning_rate": 0.01},
            "execution": {"jit_compile": "off"}}


@pytest.fixture
def policy():
    yield use_policy
    use_policy("float32")  # the rest of the session trains in float32


def test_the_policy_follows_the_device():
    assert policy_name(False, "GPU (NVIDIA H200)") == "float32"
    assert policy_name(True, "GPU (NVIDIA H200)") == "mixed_float16"
    assert policy_name(True, "CPU") == "mixed_bfloat16"


def test_mixed_bfloat16_computes_in_16_bits_and_keeps_float32_variables(policy):
    policy("mixed_bfloat16")
    model = build_compiled_model(run_config(), 0.01)
    model.optimizer.build(model.trainable_variables)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert len(dense) > 1 and all(layer.compute_dtype == "bfloat16" for layer in dense[:-1])
    assert dense[-1].compute_dtype == "float32"  # the softmax output, as keras.io advises
    assert all(variable.dtype == "float32" for variable in model.weights)
    assert all(variable.dtype in ("float32", "int64") for variable in model.optimizer.variables)
    assert not isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)


@pytest.mark.parametrize("name", optimizers.REGISTERED)
def test_our_optimizers_train_under_keras_loss_scaling(policy, name):
    policy("mixed_float16")
    model = build_compiled_model(run_config(name), 0.01)
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(model.optimizer.inner_optimizer, optimizers.OPTIMIZERS[name])
    rng = np.random.default_rng(0)
    x = rng.random((32, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 32)
    before = [np.array(weight) for weight in model.trainable_weights]
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert all(np.isfinite(history.history["loss"]))
    # The scale starts at 2**15; a step whose scaled gradient overflowed float16 is skipped
    # and the scale halved, so the inner optimizer counts the steps it applied.
    applied = int(model.optimizer.inner_optimizer.iterations.numpy())
    assert 0 < applied <= 6
    assert float(model.optimizer.dynamic_scale.numpy()) <= 2.0 ** 15
    after = [np.array(weight) for weight in model.trainable_weights]
    assert any(not np.array_equal(old, new) for old, new in zip(before, after, strict=True))


def test_the_history_records_precision_and_xla(tiny_mnist, tmp_path):
    assert train_model.main(arguments(tiny_mnist, tmp_path, "--mixed_precision")) == 0
    history = only_history(tmp_path)
    assert history["config"]["execution"]["mixed_precision"] is True
    assert history["config"]["execution"]["jit_compile"] == "auto"
    assert history["environment"]["precision_policy"] == "mixed_bfloat16"
    assert history["environment"]["jit_compile"] is False
    assert history["environment"]["op_determinism"] is True
    assert history["status"] == "completed"
    assert all(np.isfinite(history["history"]["loss"]))
    assert keras.mixed_precision.dtype_policy().name == "mixed_bfloat16"
    use_policy("float32")


def test_jit_compile_on_trades_determinism_for_xla(tiny_mnist, tmp_path):
    assert train_model.main(arguments(tiny_mnist, tmp_path, "--jit_compile", "on")) == 0
    environment = only_history(tmp_path)["environment"]
    assert environment["jit_compile"] is True and environment["op_determinism"] is False
    assert environment["precision_policy"] == "float32"
    # The next run of this process is deterministic again.
    assert use_determinism("off") is True
    from tensorflow.python.framework import config as tf_config

    assert tf_config.is_op_determinism_enabled()
    assert tf.config.experimental  # TensorFlow still importable and configured


def test_a_bad_jit_setting_is_refused(tiny_mnist, tmp_path, capsys):
    assert train_model.main(arguments(tiny_mnist, tmp_path, "--jit_compile", "yes")) == 2
    error = capsys.readouterr().err
    assert "--jit-compile: invalid choice: 'yes' (choose from 'auto', 'on', 'off')" in error
    assert error.count("\n") == 1
    assert not (tmp_path / "exp").exists()


def test_resume_refuses_another_precision(tiny_mnist, tmp_path, capsys):
    assert train_model.main(arguments(tiny_mnist, tmp_path)) == 0
    argv = arguments(tiny_mnist, tmp_path, "--resume", "--mixed_precision")
    assert train_model.main(argv) == 2
    assert "started with execution.mixed_precision=False, not True" in capsys.readouterr().err


def test_a_loss_scale_factor_mixed_float16_would_drop_is_refused(tiny_mnist, tmp_path, capsys,
                                                                   monkeypatch):
    # This machine has no GPU: the preflight is told it runs on one (mixed_float16).
    from training import preflight

    monkeypatch.setattr(preflight, "select_device", lambda requested: "GPU (pretend)")
    argv = arguments(tiny_mnist, tmp_path, "--mixed_precision", "--loss_scale_factor", "128")
    assert train_model.main(argv) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "mixed_float16 here, whose dynamic loss scaling replaces --loss_scale_factor 128" \
        in error
    assert not (tmp_path / "exp").exists()


def test_keras_loss_scaling_does_drop_the_inner_factor(policy):
    # What the refusal above guards against, shown on Keras itself.
    policy("mixed_float16")
    config = run_config()
    config["optimizer"]["loss_scale_factor"] = 128.0
    model = build_compiled_model(config, 0.01)
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.optimizer.inner_optimizer.loss_scale_factor is None


def test_a_loss_scale_factor_is_kept_under_mixed_bfloat16(tiny_mnist, tmp_path):
    argv = arguments(tiny_mnist, tmp_path, "--mixed_precision", "--loss_scale_factor", "128")
    assert train_model.main(argv) == 0
    history = only_history(tmp_path)
    assert history["environment"]["precision_policy"] == "mixed_bfloat16"
    assert history["config"]["optimizer"]["loss_scale_factor"] == 128
    assert history["status"] == "completed"
    use_policy("float32")
