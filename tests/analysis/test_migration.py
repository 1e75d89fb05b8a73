"""Schema 1 histories (the first release's files) read as schema 2."""

import json

import pytest

from analysis.history import HistoryError, read_history

# A schema 1 file as the first release wrote it (flat config, epoch_time_s, diverged_at_epoch).
SCHEMA_1 = {
    "schema_version": 1,
    "status": "diverged",
    "config": {"dataset": "mnist", "model": "cnn", "optimizer": "sgd",
               "optimizer_config": {"learning_rate": 0.5, "momentum": 0.0},
               "epochs": 5, "batch_size": 64, "seed": 2, "subset": 1000,
               "validation_split": 0.1, "init": "he", "divergence_threshold": None,
               "data_dir": "data"},
    "environment": {"python": "3.11.7", "tensorflow": "2.21.0", "keras": "3.15.1",
                    "device": "CPU", "git_commit": None},
    "history": {"epoch": [1, 2], "loss": [2.1, None], "accuracy": [0.3, None],
                "val_loss": [2.0, None], "val_accuracy": [0.35, None], "lr": [0.5, 0.5],
                "epoch_time_s": [3.5, 2.5]},
    "test": None,
    "wall_time_s": 6.0,
    "diverged_at_epoch": 2,
}


def written(tmp_path, payload):
    path = tmp_path / "history.json"
    path.write_text(json.dumps(payload))
    return path


def test_schema_1_is_migrated(tmp_path):
    history = read_history(written(tmp_path, SCHEMA_1))
    assert history["schema_version"] == 2 and history["data"] is None
    record = history["history"]
    assert record["train_time_s"] == [3.5, 2.5] and "epoch_time_s" not in record
    assert record["eval_time_s"] == [None, None] and record["step"] == [None, None]
    assert history["divergence"] == {"epoch": 2, "step": None,
                                     "criterion": "unknown (schema 1)", "value": None}
    config = history["config"]
    assert config["optimizer"] == {"name": "sgd", "learning_rate": 0.5, "momentum": 0.0}
    assert config["problem"] == {"dataset": "mnist", "subset": 1000, "validation_split": 0.1,
                                 "data_dir": "data", "target": None}
    assert config["execution"]["seed"] == 2 and config["execution"]["early_stopping"] is None
    # Keys added after the first release, at the values it ran with.
    assert config["model"] == {"name": "cnn", "init": "he", "dropout": None,
                               "batch_norm": True, "l2": 0.0}
    assert config["schedule"] == {"name": "constant", "warmup_epochs": 0}
    assert history["target"] is None and history["early_stopping"] is None


def test_schema_1_target_gets_its_metric_and_train_time(tmp_path):
    payload = {**SCHEMA_1, "status": "completed", "diverged_at_epoch": None,
               "target": {"value": 0.3, "epoch": 1, "time_s": 3.5}}
    history = read_history(written(tmp_path, payload))
    assert history["target"] == {"metric": "val_accuracy", "value": 0.3, "epoch": 1,
                                 "step": None, "train_time_s": 3.5}
    assert history["divergence"] is None


def test_a_broken_schema_1_file_is_named(tmp_path):
    payload = {key: value for key, value in SCHEMA_1.items() if key != "history"}
    path = written(tmp_path, payload)
    with pytest.raises(HistoryError, match=rf"{path}: missing key\(s\) history"):
        read_history(path)
