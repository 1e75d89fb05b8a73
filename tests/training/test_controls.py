"""Training controls: gradient clipping, early stopping, target accuracy, batch sizes,
and the new settings in a run's config (repeatable with --from_history)."""

import math

import keras
import numpy as np
import pytest

import optimizers
import train_model
from analysis.history import read_history


def train(data_dir, output, *flags, experiment="exp"):
    argv = ["--data_dir", str(data_dir), "--output_dir", str(output), "--model", "mlp",
            "--quiet", "--experiment", experiment, *flags]
    assert train_model.main(argv) == 0
    (path,) = (output / experiment).glob("*/history.json")
    return read_history(path)


def one_sgd_step(gradients, values, learning_rate=0.1, **clipping):
    variables = [keras.Variable(np.array(value, "float32")) for value in values]
    optimizer = optimizers.get("sgd", learning_rate=learning_rate, **clipping)
    optimizer.apply([np.array(gradient, "float32") for gradient in gradients], variables)
    return [variable.numpy() - np.array(value) for variable, value in zip(variables, values,
                                                                          strict=True)]


def test_clipnorm_bounds_each_update_to_lr_times_the_norm():
    gradient = np.array([6.0, -8.0, 24.0])  # norm 26
    (moved,) = one_sgd_step([gradient], [[1.0, 2.0, 3.0]], clipnorm=2.0)
    np.testing.assert_allclose(moved, -0.1 * 2.0 * gradient / 26.0, rtol=1e-6)
    assert np.linalg.norm(moved) == pytest.approx(0.1 * 2.0, rel=1e-6)
    # A gradient already within the bound is left alone.
    (moved,) = one_sgd_step([gradient], [[1.0, 2.0, 3.0]], clipnorm=30.0)
    np.testing.assert_allclose(moved, -0.1 * gradient, rtol=1e-6)


def test_global_clipnorm_and_clipvalue():
    first, second = np.array([3.0, 0.0]), np.array([0.0, -4.0])  # together: norm 5
    moved = one_sgd_step([first, second], [[0.0, 0.0], [0.0, 0.0]], global_clipnorm=1.0)
    np.testing.assert_allclose(moved[0], -0.1 * first / 5.0, rtol=1e-6)
    np.testing.assert_allclose(moved[1], -0.1 * second / 5.0, rtol=1e-6)
    (moved,) = one_sgd_step([[0.5, -3.0, 2.0]], [[0.0, 0.0, 0.0]], clipvalue=1.0)
    np.testing.assert_allclose(moved, [-0.05, 0.1, -0.1], rtol=1e-6)


def test_clipping_from_the_command_line_is_recorded(tiny_mnist, tmp_path):
    from experiments.plan import plan_experiment

    config = train_model.parse_config(["--optimizer", "sgd,adam", "--clipnorm", "1.5",
                                       "--data_dir", str(tiny_mnist),
                                       "--output_dir", str(tmp_path)])
    specs = plan_experiment(config).specs
    assert [spec["config"]["optimizer"]["clipnorm"] for spec in specs] == [1.5, 1.5]


def test_new_settings_are_recorded_and_from_history_repeats_them(tiny_mnist, tmp_path):
    from experiments.config import resolve, values_from_run
    from experiments.plan import plan_experiment

    flags = ["--lr_schedule", "exponential", "--lr_decay_rate", "0.8", "--warmup_epochs", "1",
             "--l2", "1e-4", "--dropout", "0.3", "--batch_norm", "false", "--early_stopping",
             "3", "--target", "0.9", "--batch_size", "full", "--epochs", "4"]
    config = train_model.parse_config([*flags, "--data_dir", str(tiny_mnist),
                                       "--output_dir", str(tmp_path / "first")])
    (spec,) = plan_experiment(config).specs
    recorded = spec["config"]
    assert recorded["schedule"] == {"name": "exponential", "decay_rate": 0.8,
                                    "decay_epochs": 1, "warmup_epochs": 1}
    model = recorded["model"]
    assert (model["l2"], model["dropout"], model["batch_norm"]) == (1e-4, 0.3, False)
    assert (recorded["execution"]["early_stopping"], recorded["problem"]["target"]) == (3, 0.9)
    assert recorded["execution"]["batch_size"] == "full"
    # What --from_history does with the recorded config: the same run again.
    again = resolve(values_from_run(recorded, "history.json"),
                    {"output_dir": str(tmp_path / "again")})
    (repeated,) = plan_experiment(again).specs
    assert repeated["config"] == recorded


def test_early_stopping_stops_and_restores_the_best_weights(noise_mnist, tmp_path):
    flags = ["--optimizer", "adam", "--batch_size", "16"]
    patience = 2
    stopped = train(noise_mnist, tmp_path, *flags, "--epochs", "8",
                    "--early_stopping", str(patience))
    record, summary = stopped["history"], stopped["early_stopping"]
    assert stopped["status"] == "early_stopped"
    best = summary["best_epoch"]
    assert summary["stopped_at_epoch"] == best + patience < 8
    assert record["epoch"] == list(range(1, best + patience + 1))  # every epoch run is kept
    assert record["val_loss"][best - 1] == min(record["val_loss"])
    # The tested weights are the best epoch's: a run stopped there by --epochs tests the same.
    until_best = train(noise_mnist, tmp_path, *flags, "--epochs", str(best),
                       experiment="until_best")
    assert until_best["history"]["val_loss"] == record["val_loss"][:best]
    assert stopped["test"] == until_best["test"]
    assert until_best["early_stopping"] is None and until_best["status"] == "completed"


def test_target_records_the_first_epoch_that_reaches_it(tiny_mnist, noise_mnist, tmp_path):
    reached = train(tiny_mnist, tmp_path, "--epochs", "3", "--target", "0.5",
                    experiment="reached")
    record = reached["history"]
    first = next(epoch for epoch, value in enumerate(record["val_accuracy"], start=1)
                 if value >= 0.5)
    assert reached["target"] == {
        "metric": "val_accuracy", "value": 0.5, "epoch": first, "step": 2 * first,
        "train_time_s": pytest.approx(sum(record["train_time_s"][:first])),
    }
    assert reached["history"]["epoch"] == [1, 2, 3]  # a measurement, not a stop
    never = train(noise_mnist, tmp_path, "--epochs", "1", "--target", "1.0", experiment="never")
    assert never["history"]["val_accuracy"][0] < 1.0 and never["target"] is None


@pytest.mark.parametrize("batch_size, updates_per_epoch", [("full", 1), ("1", 108)])
def test_full_batch_and_single_example_steps(tiny_mnist, tmp_path, batch_size,
                                             updates_per_epoch):
    from training.checkpoint import latest_checkpoint, restore_checkpoint
    from training.runner import build_compiled_model

    # 120 images, 12 held out for validation: 108 to train on.
    history = train(tiny_mnist, tmp_path, "--optimizer", "sgd", "--epochs", "2",
                    "--batch_size", batch_size, "--keep_checkpoints")
    config = history["config"]
    expected = batch_size if batch_size == "full" else int(batch_size)
    assert config["execution"]["batch_size"] == expected
    (path,) = (tmp_path / "exp").glob("*/history.json")
    model = build_compiled_model(config, config["optimizer"]["learning_rate"])
    restore_checkpoint(model, latest_checkpoint(path.parent)[1])
    assert int(model.optimizer.iterations.numpy()) == 2 * updates_per_epoch
    assert history["history"]["step"] == [updates_per_epoch, 2 * updates_per_epoch]
    assert all(math.isfinite(value) for value in history["history"]["loss"])


def test_a_checkpoint_whose_optimizer_state_does_not_fit_is_refused(tiny_mnist, tmp_path):
    from training.checkpoint import latest_checkpoint, restore_checkpoint
    from training.runner import build_compiled_model

    # Keras only warns and goes on with fresh optimizer state; a resumed run would differ.
    history = train(tiny_mnist, tmp_path, "--optimizer", "adam", "--epochs", "1",
                    "--keep_checkpoints")
    (path,) = (tmp_path / "exp").glob("*/history.json")
    config = history["config"]
    sgd = {**config, "optimizer": {"name": "sgd", "learning_rate": 0.01}}
    model = build_compiled_model(sgd, 0.01)  # SGD holds fewer variables than Adam
    with pytest.raises(ValueError, match="does not fit this run's model and optimizer"):
        restore_checkpoint(model, latest_checkpoint(path.parent)[1])
    same = build_compiled_model(config, config["optimizer"]["learning_rate"])
    restore_checkpoint(same, latest_checkpoint(path.parent)[1])
    assert int(same.optimizer.iterations.numpy()) == history["history"]["step"][-1]
