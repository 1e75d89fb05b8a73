"""The history file: atomic writing, null for non-finite numbers, validation, round trip."""

import json
import math
import os

import pytest

from analysis import history as schema
from tests.plotting.histories import make_history


def test_round_trip_keeps_every_value(tmp_path):
    path = tmp_path / schema.FILENAME
    original = make_history("nadam", 3, loss=(2.0, 1.5), test_accuracy=0.97)
    schema.write_history(path, original)
    assert schema.read_history(path) == original


def test_non_finite_numbers_are_written_as_null(tmp_path):
    path = tmp_path / schema.FILENAME
    run = make_history(loss=(1.0, 0.5, 0.25))
    run["history"]["loss"] = [1.0, math.nan, math.inf]
    run["history"]["val_loss"] = [-math.inf, 0.5, 0.25]
    schema.write_history(path, run)
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["history"]["loss"] == [1.0, None, None]
    assert schema.read_history(path)["history"]["val_loss"] == [None, 0.5, 0.25]


def test_atomic_write_leaves_only_the_file(tmp_path):
    path = tmp_path / schema.FILENAME
    schema.write_json_atomic(path, {"a": 1})
    schema.write_json_atomic(path, {"a": 2})
    assert os.listdir(tmp_path) == [schema.FILENAME]
    assert json.loads(path.read_text()) == {"a": 2}


def test_atomic_write_gives_the_mode_of_a_plain_new_file(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    atomic = tmp_path / "atomic.txt"
    schema.write_text_atomic(atomic, "x")
    assert atomic.stat().st_mode == plain.stat().st_mode


def test_failed_write_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "summary.md"
    schema.write_text_atomic(path, "old\n")

    def broken_replace(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(schema.os, "replace", broken_replace)
    with pytest.raises(OSError):
        schema.write_text_atomic(path, "new\n")
    assert os.listdir(tmp_path) == ["summary.md"]
    assert path.read_text() == "old\n"


def faulty(change):
    run = make_history()
    change(run)
    return run


@pytest.mark.parametrize(
    ("run", "fault"),
    [
        (faulty(lambda run: run.pop("config")), "missing key(s) config"),
        (faulty(lambda run: run.update(status="done")), "status 'done' is not one of"),
        (faulty(lambda run: run.update(schema_version=3)), "schema_version 3 is not 2"),
        (faulty(lambda run: run["config"]["execution"].pop("seed")),
         "config is missing key(s) execution.seed"),
        (faulty(lambda run: run["config"].pop("model")), "config.model must be an object"),
        (faulty(lambda run: run["history"].pop("step")), "history is missing key(s) step"),
        (faulty(lambda run: run["history"]["step"].__setitem__(0, 1.5)), "integers or null"),
        (faulty(lambda run: run["history"]["loss"].pop()), "history.loss has 2 entries"),
        (faulty(lambda run: run["history"].update(epoch=[1, 3, 4])), "must count 1, 2, 3"),
        (faulty(lambda run: run["history"]["accuracy"].__setitem__(0, "x")), "numbers or null"),
        (faulty(lambda run: run.update(wall_time_s="10")), "wall_time_s must be a number"),
        (faulty(lambda run: run.update(divergence={"epoch": 0, "step": 0, "criterion": "x",
                                                   "value": None})), "divergence.epoch must be"),
        (faulty(lambda run: run.update(divergence={"epoch": 1})), "divergence is missing"),
        (faulty(lambda run: run.update(target=3)), "target must be an object or null"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_validation_names_the_file_and_the_fault(tmp_path, run, fault):
    path = tmp_path / schema.FILENAME
    path.write_text(json.dumps(run))
    with pytest.raises(schema.HistoryError) as error:
        schema.read_history(path)
    assert str(error.value).startswith(f"{path}: ")
    assert fault in str(error.value)


def test_unreadable_and_invalid_json_name_the_file(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 2,')
    with pytest.raises(schema.HistoryError, match=r"broken\.json: not valid JSON"):
        schema.read_history(broken)
    with pytest.raises(schema.HistoryError, match=r"absent\.json: cannot read"):
        schema.read_history(tmp_path / "absent.json")


def test_write_history_refuses_an_invalid_history(tmp_path):
    run = make_history()
    run["status"] = "unknown"
    with pytest.raises(schema.HistoryError, match="status 'unknown'"):
        schema.write_history(tmp_path / schema.FILENAME, run)
    assert os.listdir(tmp_path) == []


def test_find_history_files_takes_experiment_and_run_levels_only(tmp_path):
    for relative in ("b/run1", "a/run2", "a/run1", "a/run1/deeper", "top"):
        (tmp_path / relative).mkdir(parents=True, exist_ok=True)
        (tmp_path / relative / schema.FILENAME).write_text("{}")
    found = [path.relative_to(tmp_path).as_posix() for path in schema.find_history_files(tmp_path)]
    assert found == ["a/run1/history.json", "a/run2/history.json", "b/run1/history.json"]
