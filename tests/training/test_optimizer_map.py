"""Per-layer optimizers through train_model.py on tiny data: recorded, labelled, frozen
where asked, checked before anything is written, and resumable like any run."""

import json
import signal
import warnings

import keras
import numpy as np
import pytest
from keras.optimizers import schedules

import train_model
from analysis.history import read_history
from optimizers import multi
from training.checkpoint import latest_checkpoint, restore_checkpoint
from training.runner import build_compiled_model, build_model
from training.schedules import build_learning_rate

# mlp variables: dense/{kernel,bias} (256 units), dense_1/... (128), dense_2/... (output).
MAP = "dense/.*=momentum(learning_rate=0.05),dense_2/.*=sgd(learning_rate=0)"
LABEL = "dense/.*=momentum, dense_2/.*=sgd, rest=adam"


def arguments(tiny_mnist, output, *extra, epochs=2):
    return ["--optimizer", "adam", "--model", "mlp", "--epochs", str(epochs), "--quiet",
            "--data_dir", str(tiny_mnist), "--output_dir", str(output), "--experiment", "exp",
            "--optimizer_map", MAP, *extra]


def only_history(output):
    (path,) = output.glob("exp/*/history.json")
    return path


def initial_weights(config):
    """The model's weights before training, built as the runner builds them."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(config["execution"]["seed"])
    return {variable.path: variable.numpy() for variable in build_model(config).weights}


def test_a_mapped_run_trains_records_its_map_and_freezes_its_zero_group(tiny_mnist, tmp_path,
                                                                         capsys):
    argv = arguments(tiny_mnist, tmp_path, "--keep_checkpoints")
    assert train_model.main(argv) == 0
    out = capsys.readouterr().out
    path = only_history(tmp_path)
    history = read_history(path)
    groups = history["config"]["optimizer"]["map"]
    assert [(pattern, group["name"], group["learning_rate"]) for pattern, group in
            groups.items()] == [("dense/.*", "momentum", 0.05), ("dense_2/.*", "sgd", 0.0)]
    assert history["status"] == "completed"
    assert history["history"]["lr"] == [pytest.approx(0.001)] * 2  # the default group's
    assert path.parent.name.startswith("adam_lr0.001_map-momentum-sgd_")
    assert LABEL in out and LABEL in (tmp_path / "exp" / "summary.md").read_text()

    config = history["config"]
    start = initial_weights(config)
    keras.backend.clear_session()  # layer names from dense again, as in a run
    model = build_compiled_model(config, config["optimizer"]["learning_rate"])
    restore_checkpoint(model, latest_checkpoint(path.parent)[1])
    assert type(model.optimizer) is multi.MultiOptimizer
    for variable in model.trainable_variables:
        frozen = variable.path.startswith("dense_2/")
        assert np.array_equal(variable.numpy(), start[variable.path]) == frozen, variable.path


def test_every_group_follows_the_schedule_from_its_own_rate(tiny_mnist, tmp_path):
    config = {"problem": {"dataset": "mnist"}, "model": {"name": "mlp", "init": "he",
              "dropout": None, "batch_norm": True, "l2": 0.0},
              "optimizer": {"name": "adam", "learning_rate": 0.001,
                            "map": {"dense/.*": {"name": "sgd", "learning_rate": 0.1}}},
              "schedule": {"name": "step", "decay_rate": 0.5, "decay_epochs": 1,
                           "warmup_epochs": 0},
              "execution": {"jit_compile": "auto"}}
    keras.backend.clear_session()
    model = build_compiled_model(config, 0.001, steps_per_epoch=10)
    default, group = model.optimizer.optimizers[1], model.optimizer.optimizers[0]
    schedule = group._learning_rate
    assert isinstance(schedule, schedules.ExponentialDecay)
    assert [float(schedule(step)) for step in (0, 9, 10, 20)] == pytest.approx(
        [0.1, 0.1, 0.05, 0.025])
    assert float(default.learning_rate) == pytest.approx(0.001)  # given as it is by the caller


@pytest.mark.parametrize("mapping, message", [
    ("conv.*=sgd", "optimizer map pattern 'conv.*' matches no variable of the model; its "
                   "variables: dense/kernel, dense/bias, dense_1/kernel, dense_1/bias, "
                   "dense_2/kernel, dense_2/bias"),
    ("dense.*=sgd,.*bias=adam", "variable 'dense/bias' matches 2 patterns of the optimizer "
                                "map ('dense.*', '.*bias')"),
    ("dense/.*=sgd(momentum=0.9)", "optimizer map group 'dense/.*': unknown hyperparameter"),
    ("dense/.*=sgd(", "--optimizer_map group 'dense/.*': expected NAME or NAME(KEY=VALUE"),
])
def test_a_bad_map_is_one_line_exit_2_and_nothing_written(tiny_mnist, tmp_path, capsys,
                                                           mapping, message):
    argv = arguments(tiny_mnist, tmp_path / "results")
    argv[argv.index(MAP)] = mapping
    assert train_model.main(argv) == 2
    error = capsys.readouterr().err
    assert error.startswith("train_model.py: error: ") and message in error
    assert error.count("\n") == 1 and "Traceback" not in error
    assert not list((tmp_path / "results").rglob("*.*"))


def test_zero_is_still_refused_as_the_global_rate(tiny_mnist, tmp_path, capsys):
    assert train_model.main(arguments(tiny_mnist, tmp_path, "--learning_rate", "0")) == 2
    assert "--learning_rate must be a number > 0, got 0.0" in capsys.readouterr().err


def test_a_recorded_mapped_run_repeats_from_its_history(tiny_mnist, tmp_path):
    first = tmp_path / "first"
    assert train_model.main(arguments(tiny_mnist, first, epochs=1)) == 0
    source = only_history(first)
    again = tmp_path / "again"
    assert train_model.main(["--from_history", str(source), "--output_dir", str(again),
                             "--experiment", "exp", "--quiet"]) == 0
    repeated = read_history(only_history(again))
    original = read_history(source)
    assert repeated["config"] == original["config"]
    assert repeated["history"]["loss"] == original["history"]["loss"]


def repeatable(history):
    record = {key: values for key, values in history["history"].items()
              if key not in ("train_time_s", "eval_time_s")}
    return json.dumps({"config": history["config"], "history": record,
                       "test": history["test"]}, sort_keys=True)


@pytest.mark.slow
def test_a_killed_mapped_run_resumes_to_the_uninterrupted_history(tiny_mnist, tmp_path,
                                                                   capsys):
    from tests.training.test_resume import crash

    extra = ("--lr_schedule", "exponential")  # the groups' schedules resume too
    whole = tmp_path / "whole"
    assert train_model.main(arguments(tiny_mnist, whole, *extra, epochs=4)) == 0
    output = tmp_path / "killed"
    result = crash("during_epoch", 3, arguments(tiny_mnist, output, *extra, epochs=4))
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    path = only_history(output)
    assert read_history(path)["history"]["epoch"] == [1, 2]
    epoch, checkpoint = latest_checkpoint(path.parent)
    assert epoch == 2
    config = read_history(path)["config"]
    keras.backend.clear_session()
    steps = 2  # 108 training images in batches of 64
    rate = build_learning_rate(config["schedule"], config["optimizer"]["learning_rate"], steps)
    model = build_compiled_model(config, rate, steps)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Keras only warns when the variables do not match
        restore_checkpoint(model, checkpoint)  # every group's slots and counters are in it
    groups = model.optimizer.optimizers
    assert [type(group).__name__ for group in groups] == ["Momentum", "SGD", "Adam"]
    assert [int(group.iterations) for group in groups] == [2 * steps] * 3
    assert int(model.optimizer.iterations) == 2 * steps
    capsys.readouterr()

    assert train_model.main(arguments(tiny_mnist, output, *extra, "--resume", epochs=4)) == 0
    assert "resuming after epoch 2" in capsys.readouterr().out
    assert repeatable(read_history(only_history(output))) == repeatable(
        read_history(only_history(whole)))
