"""--tensorboard: the event files hold history.json's values, change nothing, survive resume.

Event files are read back with TensorBoard's own reader (EventAccumulator), with
purge_orphaned_data off so that a repeated step would show.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import TENSORS, EventAccumulator
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.util import tensor_util

import train_model
from analysis.grouping import group_by_configuration
from analysis.history import read_history
from experiments.config import load_yaml

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("crash_driver.py")
EPOCHS = 4
UNREPEATABLE = ("train_time_s", "eval_time_s")


def arguments(tiny_mnist, output, *extra):
    # An exponential decay every step: the rate of an epoch's last update differs from the
    # next update's, which is what Keras's callback alone would log.
    return ["--optimizer", "adam", "--model", "mlp", "--epochs", str(EPOCHS), "--quiet",
            "--lr_schedule", "exponential", "--data_dir", str(tiny_mnist),
            "--output_dir", str(output), "--experiment", "exp", *extra]


def only_run(output) -> Path:
    (path,) = output.glob("exp/*/history.json")
    return path.parent


def scalars(folder: Path) -> dict:
    """{tag: [(step, value), ...]} of every scalar under one TensorBoard run folder."""
    reader = EventAccumulator(str(folder), size_guidance={TENSORS: 0},
                              purge_orphaned_data=False)
    reader.Reload()
    return {tag: [(event.step, tensor_util.make_ndarray(event.tensor_proto).item())
                  for event in reader.Tensors(tag)]
            for tag in reader.Tags()["tensors"] if not tag.startswith("_hparams_")}


def session_hparams(folder: Path) -> list[dict]:
    """The hyperparameters of each HParams session start written in `folder`."""
    reader = EventAccumulator(str(folder), size_guidance={TENSORS: 0},
                              purge_orphaned_data=False)
    reader.Reload()
    tag = hparams_metadata.SESSION_START_INFO_TAG
    if tag not in reader.Tags()["tensors"]:
        return []
    content = reader.SummaryMetadata(tag).plugin_data.content
    info = hparams_metadata.parse_session_start_info_plugin_data(content)
    sessions = [{name: getattr(value, value.WhichOneof("kind"))
                 for name, value in info.hparams.items()}]
    return sessions * len(reader.Tensors(tag))


def float32(values) -> list[float]:
    """What a float32 summary keeps of each value."""
    return [float(np.float32(value)) for value in values]


def expected_logs(history: dict) -> dict:
    """{(run, tag): [(step, value), ...]} as the module docstring of training.tensorboard
    says, from history.json alone."""
    record = history["history"]
    epochs = [epoch - 1 for epoch in record["epoch"]]

    def series(steps, key):
        return list(zip(steps, float32(record[key]), strict=True))

    test = history["test"]
    return {
        ("train", "epoch_loss"): series(epochs, "loss"),
        ("train", "epoch_accuracy"): series(epochs, "accuracy"),
        ("train", "epoch_learning_rate"): series(epochs, "lr"),
        ("validation", "epoch_loss"): series(epochs, "val_loss"),
        ("validation", "epoch_accuracy"): series(epochs, "val_accuracy"),
        ("validation", "evaluation_loss_vs_iterations"): series(record["step"], "val_loss"),
        ("validation", "evaluation_accuracy_vs_iterations"):
            series(record["step"], "val_accuracy"),
        ("test", "epoch_loss"): [(epochs[-1], *float32([test["loss"]]))],
        ("test", "epoch_accuracy"): [(epochs[-1], *float32([test["accuracy"]]))],
    }


def logged(run_folder: Path) -> dict:
    logs = run_folder / "tensorboard"
    return {(run, tag): values for run in ("train", "validation", "test")
            for tag, values in scalars(logs / run).items()}


@pytest.fixture(scope="module")
def with_tensorboard(tiny_mnist, tmp_path_factory):
    output = tmp_path_factory.mktemp("with_tensorboard")
    assert train_model.main(arguments(tiny_mnist, output, "--tensorboard")) == 0
    return only_run(output)


def test_the_event_files_hold_the_values_of_the_history(with_tensorboard):
    history = read_history(with_tensorboard / "history.json")
    assert history["config"]["execution"]["tensorboard"] is True
    rates = history["history"]["lr"]
    assert len(set(rates)) == EPOCHS, "the schedule must change the rate every epoch"
    assert logged(with_tensorboard) == expected_logs(history)


def test_the_hparams_session_holds_the_run_config(with_tensorboard):
    history = read_history(with_tensorboard / "history.json")
    (hparams,) = session_hparams(with_tensorboard / "tensorboard")
    expected = {f"{section}.{key}": value for section, settings in history["config"].items()
                for key, value in settings.items() if value is not None}
    assert set(hparams) == set(expected)
    for name, value in expected.items():
        assert hparams[name] == (pytest.approx(value) if isinstance(value, float) else value)
    assert hparams["optimizer.name"] == "adam" and hparams["execution.seed"] == 0


def test_tensorboard_changes_nothing_in_training(tiny_mnist, tmp_path, with_tensorboard):
    output = tmp_path / "results"
    assert train_model.main(arguments(tiny_mnist, output)) == 0
    plain = read_history(only_run(output) / "history.json")
    logged_run = read_history(with_tensorboard / "history.json")
    assert not (only_run(output) / "tensorboard").exists()

    def results(history):
        record = {key: values for key, values in history["history"].items()
                  if key not in UNREPEATABLE}
        return record, history["test"], history["status"]

    assert results(plain) == results(logged_run)
    assert len(group_by_configuration([plain, logged_run])) == 1, "one configuration"


@pytest.mark.slow
def test_a_killed_and_resumed_run_logs_every_epoch_once(tiny_mnist, tmp_path, capsys):
    output = tmp_path / "results"
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    argv = arguments(tiny_mnist, output, "--tensorboard")
    # Killed while saving epoch 3's checkpoint: epoch 3 is logged, the checkpoint is epoch 2's.
    result = subprocess.run([sys.executable, str(DRIVER), "during_checkpoint_write", "3", "--",
                             *argv], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env=environment)
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    run = only_run(output)
    before = scalars(run / "tensorboard" / "train")
    assert [step for step, _ in before["epoch_loss"]] == [0, 1, 2]

    # The flag is part of the run's config: resuming without it is refused, nothing trained.
    plain = [argument for argument in argv if argument != "--tensorboard"]
    assert train_model.main([*plain, "--resume"]) == 2
    assert "execution.tensorboard=True" in capsys.readouterr().err
    assert len(read_history(run / "history.json")["history"]["epoch"]) == 3

    assert train_model.main([*argv, "--resume"]) == 0
    history = read_history(run / "history.json")
    assert history["history"]["epoch"] == list(range(1, EPOCHS + 1))
    assert logged(run) == expected_logs(history)
    assert len(session_hparams(run / "tensorboard")) == 1


def test_the_setting_is_read_from_yaml_in_both_spellings(tmp_path):
    flat, sectioned = tmp_path / "flat.yaml", tmp_path / "sectioned.yaml"
    flat.write_text("tensorboard: true\n")
    sectioned.write_text(json.dumps({"execution": {"tensorboard": True}}))
    assert load_yaml(str(flat))["tensorboard"] is True
    assert load_yaml(str(sectioned))["tensorboard"] is True
    bad = tmp_path / "bad.yaml"
    bad.write_text("tensorboard: 3\n")
    with pytest.raises(ValueError, match="tensorboard"):
        load_yaml(str(bad))
